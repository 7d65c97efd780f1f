/* Worker threads and the per-operation path; see engine.h. */
#include "engine.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "integrity.h"
#include "log.h"
#include "util.h"

struct lg_thread;

struct worker {
	unsigned id;
	struct lg_thread *thread;
	uint64_t rng;
	uint64_t writer;          /* run nonce << 16 | id */
	uint64_t version;         /* of this worker's last write or delete */
	struct version_table seen;
	char *value;              /* value_max bytes */
	uint64_t nscheduled;      /* open loop: operations scheduled so far */

	/* The operation in flight. */
	enum lg_op op;
	uint64_t key_index;
	char key[LG_PREFIX_MAX + 24];
	size_t keylen;
	struct lg_srv *srv;
	struct breaker_ticket ticket;
	uint64_t start_ns;
};

struct batch;

struct lg_thread {
	struct lg_engine *e;
	pthread_t tid;
	bool started;
	struct worker **w;
	size_t nw;
	struct batch *batch;      /* one per server */
	uint64_t ok[LG_NOPS];     /* successes not yet added to the counter */
};

struct lg_engine {
	struct lg_client *c;
	const struct lg_options *opt;
	atomic_bool stop;
	bool open_loop;
	uint64_t t0_ns;           /* open loop: schedule origin */
	double interval_ns;       /* open loop: between one worker's ops */
	struct worker *workers;
	struct lg_thread *threads;
	unsigned nthreads;
	_Atomic uint8_t *key_server;  /* key index -> server + 1 */
	const char *prefix;
	size_t prefix_len;
	unsigned op_weights[LG_NOPS];
	unsigned weight_sum;
};

static uint64_t
rng_next(uint64_t *s)
{
	/* xorshift64*: cheap and good enough to pick ops, keys, sizes. */
	uint64_t x = *s;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 0x2545f4914f6cdd1dull;
}

static enum lg_op
pick_op(struct lg_engine *e, struct worker *w)
{
	unsigned r = (unsigned)(rng_next(&w->rng) % e->weight_sum);

	for (int i = 0; i < LG_NOPS; i++) {
		if (r < e->op_weights[i])
			return (enum lg_op)i;
		r -= e->op_weights[i];
	}
	return LG_OP_GET;
}

/* prefix + decimal index; the key buffer holds prefix + 20 digits. */
static size_t
format_key(char *buf, const char *prefix, size_t plen, uint64_t idx)
{
	char digits[24];
	size_t n = 0;

	do {
		digits[n++] = (char)('0' + idx % 10);
		idx /= 10;
	} while (idx);
	memcpy(buf, prefix, plen);
	for (size_t i = 0; i < n; i++)
		buf[plen + i] = digits[n - 1 - i];
	buf[plen + n] = '\0';
	return plen + n;
}

/* The ring lookup hashes the key with MD5; a key's server never changes,
 * so it is remembered per key index (0: not known yet). Racing threads
 * store the same byte. */
static uint32_t
server_of(struct lg_engine *e, struct worker *w)
{
	uint8_t v;

	if (e->key_server) {
		v = atomic_load_explicit(&e->key_server[w->key_index],
		    memory_order_relaxed);
		if (v)
			return v - 1u;
	}
	uint32_t si = ketama_server(&e->c->ring, w->key, w->keylen);
	if (e->key_server)
		atomic_store_explicit(&e->key_server[w->key_index],
		    (uint8_t)(si + 1), memory_order_relaxed);
	return si;
}

enum reach {
	REACH_NONE,     /* never sent: no breaker outcome, no latency */
	REACH_SERVER,   /* sent: breaker outcome and latency */
	REACH_BATCHED,  /* sent in a batch: latency; the batch tells the breaker */
};

/* The end of an operation: breaker, latency, counters. The caller gives
 * the connection back. */
static void
finish(struct lg_engine *e, struct worker *w, bool ok, enum lg_err_kind kind,
    enum reach reach, uint64_t end_ns)
{
	struct lg_client *c = e->c;
	struct lg_srv *s = w->srv;

	if (reach == REACH_SERVER)
		breaker_done(&s->breaker, &w->ticket, ok);
	if (reach != REACH_NONE)
		metric_observe(s->m_duration[w->op],
		    (double)(end_ns - w->start_ns) / 1e9);
	if (ok) {
		/* Counted locally, added to the counter once a round. */
		w->thread->ok[w->op]++;
	} else {
		metric_inc(c->m_ops[w->op][LG_STATUS_FAILED]);
		metric_inc(s->m_errors[w->op][kind]);
	}
}

static void
fail_rc(struct lg_engine *e, struct worker *w, memcached_return_t rc,
    uint64_t end_ns)
{
	log_debug("%s %s on %s: %s", lg_op_text(w->op), w->key,
	    w->srv->cfg->name, memcached_strerror(NULL, rc));
	finish(e, w, false, lg_classify(rc), REACH_SERVER, end_ns);
}

/* Integrity errors are counted always, logged sparingly: a broken proxy
 * could otherwise flood the log at the full operation rate. */
static bool
log_integrity_now(void)
{
	static atomic_uint n;
	unsigned k = atomic_fetch_add_explicit(&n, 1, memory_order_relaxed);

	return k < 20 || k % 1000 == 0;
}

static void
check_value(struct lg_engine *e, struct worker *w, const char *val,
    size_t len)
{
	struct integrity_info info;
	enum integrity_result r;
	uint64_t mine;

	r = integrity_decode(val, len, w->key, w->keylen, &info);
	if (r != INTEGRITY_OK) {
		metric_inc(e->c->m_integrity[LG_INTEGRITY_CORRUPT]);
		if (log_integrity_now())
			log_warn("corrupt value for %s on %s: %s", w->key,
			    w->srv->cfg->name, integrity_result_text(r));
		return;
	}
	/* Only our own writes are ordered for us: another worker's value may
	 * legitimately be older or newer than ours. */
	if (info.writer != w->writer)
		return;
	if (version_table_older(&w->seen, w->key_index, info.version)) {
		mine = version_table_get(&w->seen, w->key_index);
		metric_inc(e->c->m_integrity[LG_INTEGRITY_STALE]);
		if (log_integrity_now())
			log_warn("stale value for %s on %s: version %llu, "
			    "wrote %llu", w->key, w->srv->cfg->name,
			    (unsigned long long)info.version,
			    (unsigned long long)mine);
	}
}

/* A round's gets for one server, sent as one multi-get. */
struct batch {
	struct lg_srv *srv;
	struct lg_conn *conn;
	size_t n;
	struct worker **w;
	const char **keys;
	size_t *lens;
	bool *answered;
	bool *ok;
	struct breaker_ticket *tickets;
};

static bool
acquire(struct lg_engine *e, struct worker *w, struct lg_conn **conn)
{
	bool created;
	void *c;
	enum pool_result pr = pool_acquire(&w->srv->pool,
	    e->opt->pool_acquire_timeout_ms, &c, &created);

	if (pr == POOL_OK) {
		*conn = c;
		return true;
	}
	metric_inc(w->srv->m_pool_acquire_errors);
	log_debug("server %s: no connection: %s", w->srv->cfg->name,
	    pool_result_text(pr));
	return false;
}

/* Sets and deletes complete at once, each on a pooled connection. */
static void
run_sync(struct lg_engine *e, struct worker *w)
{
	const struct lg_options *o = e->opt;
	struct lg_conn *conn;
	memcached_return_t rc;

	if (!acquire(e, w, &conn)) {
		breaker_cancel(&w->srv->breaker, &w->ticket);
		finish(e, w, false, LG_ERR_POOL, REACH_NONE, 0);
		return;
	}
	if (!e->open_loop)
		w->start_ns = now_mono_ns();
	if (w->op == LG_OP_SET) {
		size_t size = o->value_min;
		uint64_t version = ++w->version;
		if (o->value_max > o->value_min)
			size += rng_next(&w->rng) %
			    (o->value_max - o->value_min + 1);
		if (integrity_encode(w->value, size, w->key, w->keylen,
		    w->writer, version) != 0)
			FATAL_BUG("value size %zu too small for %s", size,
			    w->key);
		rc = memcached_set(conn->mc, w->key, w->keylen, w->value, size,
		    (time_t)o->ttl_s, 0);
		if (rc == MEMCACHED_SUCCESS)
			version_table_put(&w->seen, w->key_index, version);
	} else {
		rc = memcached_delete(conn->mc, w->key, w->keylen, 0);
		if (rc == MEMCACHED_NOTFOUND)
			rc = MEMCACHED_SUCCESS; /* a miss */
		/* Any value of ours older than this delete is stale now. */
		if (rc == MEMCACHED_SUCCESS)
			version_table_put(&w->seen, w->key_index, ++w->version);
	}
	uint64_t end = now_mono_ns();
	if (rc == MEMCACHED_SUCCESS) {
		finish(e, w, true, 0, REACH_SERVER, end);
		pool_release(&w->srv->pool, conn, false);
	} else {
		fail_rc(e, w, rc, end);
		/* After an error the stream may hold half a reply: drop the
		 * connection; the pool makes a fresh one. */
		pool_release(&w->srv->pool, conn, true);
	}
}

static void
batch_send(struct lg_engine *e, struct batch *b)
{
	memcached_return_t rc;
	uint64_t start;

	if (!acquire(e, b->w[0], &b->conn)) {
		for (size_t i = 0; i < b->n; i++) {
			breaker_cancel(&b->srv->breaker, &b->w[i]->ticket);
			finish(e, b->w[i], false, LG_ERR_POOL, REACH_NONE, 0);
		}
		b->n = 0;
		return;
	}
	/* Closed loop: the batch's gets start when it is sent (one clock
	 * read for all). Open loop: each keeps its scheduled start. */
	start = e->open_loop ? 0 : now_mono_ns();
	for (size_t i = 0; i < b->n; i++) {
		b->keys[i] = b->w[i]->key;
		b->lens[i] = b->w[i]->keylen;
		b->answered[i] = false;
		if (!e->open_loop)
			b->w[i]->start_ns = start;
	}
	rc = memcached_mget(b->conn->mc, b->keys, b->lens, b->n);
	if (rc != MEMCACHED_SUCCESS) {
		uint64_t end = now_mono_ns();
		for (size_t i = 0; i < b->n; i++)
			fail_rc(e, b->w[i], rc, end);
		pool_release(&b->srv->pool, b->conn, true);
		b->conn = NULL;
		b->n = 0;
	}
}

/* Reads a multi-get's replies: each value goes to the first unanswered
 * worker with its key; the ones left at END missed (a success). */
static void
batch_collect(struct lg_engine *e, struct batch *b)
{
	memcached_return_t rc = MEMCACHED_SUCCESS;
	memcached_result_st *res;
	bool broken = false;

	while ((res = memcached_fetch_result(b->conn->mc, &b->conn->res,
	    &rc)) != NULL) {
		const char *k = memcached_result_key_value(res);
		size_t kl = memcached_result_key_length(res);
		size_t i;
		for (i = 0; i < b->n; i++)
			if (!b->answered[i] && b->w[i]->keylen == kl &&
			    memcmp(b->w[i]->key, k, kl) == 0)
				break;
		if (i == b->n) {
			/* A value for a key nobody asked for. */
			metric_inc(e->c->m_integrity[LG_INTEGRITY_CORRUPT]);
			if (log_integrity_now())
				log_warn("server %s sent an unrequested key",
				    b->srv->cfg->name);
			broken = true;
			continue;
		}
		b->answered[i] = true;
		check_value(e, b->w[i], memcached_result_value(res),
		    memcached_result_length(res));
	}
	/* One end time for the batch: its replies arrive together. */
	uint64_t end = now_mono_ns();
	bool ok = rc == MEMCACHED_END || rc == MEMCACHED_NOTFOUND ||
	    rc == MEMCACHED_SUCCESS;
	for (size_t i = 0; i < b->n; i++) {
		struct worker *w = b->w[i];
		b->tickets[i] = w->ticket;
		b->ok[i] = b->answered[i] || ok;
		if (b->ok[i])
			finish(e, w, true, 0, REACH_BATCHED, end);
		else
			finish(e, w, false, lg_classify(rc), REACH_BATCHED, end);
	}
	breaker_done_many(&b->srv->breaker, b->tickets, b->ok, b->n);
	if (!ok)
		log_debug("get batch on %s: %s", b->srv->cfg->name,
		    memcached_strerror(NULL, rc));
	pool_release(&b->srv->pool, b->conn, broken || !ok);
	b->conn = NULL;
	b->n = 0;
}

static void
sleep_until_ns(uint64_t when)
{
	struct timespec ts = {
		.tv_sec = (time_t)(when / 1000000000ull),
		.tv_nsec = (long)(when % 1000000000ull),
	};

	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) ==
	    EINTR)
		;
}

static uint64_t
due_ns(struct lg_engine *e, struct worker *w)
{
	/* Worker i's k-th op at t0 + (i + k * workers) / rate: the workers
	 * interleave evenly and the schedule never drifts. */
	return e->t0_ns + (uint64_t)(((double)w->id +
	    (double)w->nscheduled * e->opt->workers) * e->interval_ns);
}

/* One round: every due worker starts an operation; sets and deletes run
 * at once; the gets are grouped per server and sent, then read. */
static size_t
round_once(struct lg_engine *e, struct lg_thread *t, uint64_t *next)
{
	const struct lg_options *o = e->opt;
	struct lg_client *c = e->c;
	bool open_loop = e->open_loop;
	uint64_t now = open_loop ? now_mono_ns() : 0;
	size_t started = 0;

	for (size_t i = 0; i < t->nw; i++) {
		struct worker *w = t->w[i];

		if (open_loop) {
			uint64_t due = due_ns(e, w);
			if (due > now) {
				if (due < *next)
					*next = due;
				continue;
			}
			w->start_ns = due;
			w->nscheduled++;
		}
		started++;
		w->op = pick_op(e, w);
		/* Uniform in [0, keys) by a multiply, not a division. */
		w->key_index = (uint64_t)(((unsigned __int128)rng_next(&w->rng) *
		    o->keys) >> 64);
		w->keylen = format_key(w->key, e->prefix, e->prefix_len,
		    w->key_index);
		uint32_t si = server_of(e, w);
		w->srv = &c->srv[si];
		if (!breaker_allow(&w->srv->breaker, &w->ticket)) {
			finish(e, w, false, LG_ERR_CIRCUIT_OPEN, REACH_NONE, 0);
			continue;
		}
		if (w->op == LG_OP_GET) {
			struct batch *b = &t->batch[si];
			b->w[b->n++] = w;
		} else {
			run_sync(e, w);
		}
	}
	for (size_t s = 0; s < c->nsrv; s++)
		if (t->batch[s].n)
			batch_send(e, &t->batch[s]);
	for (size_t s = 0; s < c->nsrv; s++)
		if (t->batch[s].n)
			batch_collect(e, &t->batch[s]);
	for (int op = 0; op < LG_NOPS; op++) {
		if (t->ok[op]) {
			metric_add(c->m_ops[op][LG_STATUS_SUCCESS],
			    (double)t->ok[op]);
			t->ok[op] = 0;
		}
	}
	return started;
}

static void *
thread_main(void *arg)
{
	struct lg_thread *t = arg;
	struct lg_engine *e = t->e;

	while (!atomic_load_explicit(&e->stop, memory_order_relaxed)) {
		uint64_t next = UINT64_MAX;

		if (round_once(e, t, &next) == 0 && next != UINT64_MAX) {
			/* Open loop, nothing due: nap in short steps so a
			 * stop is seen soon. */
			uint64_t cap = now_mono_ns() + 50000000ull;
			sleep_until_ns(next < cap ? next : cap);
		}
	}
	return NULL;
}

unsigned
lg_engine_threads(const struct lg_engine *e)
{
	return e->nthreads;
}

static void
engine_free(struct lg_engine *e)
{
	if (e->workers) {
		for (unsigned i = 0; i < e->opt->workers; i++) {
			version_table_free(&e->workers[i].seen);
			free(e->workers[i].value);
		}
	}
	if (e->threads)
		for (unsigned i = 0; i < e->nthreads; i++)
		{
			struct lg_thread *t = &e->threads[i];
			for (size_t s = 0; t->batch && s < e->c->nsrv; s++) {
				free(t->batch[s].w);
				free(t->batch[s].keys);
				free(t->batch[s].lens);
				free(t->batch[s].answered);
				free(t->batch[s].ok);
				free(t->batch[s].tickets);
			}
			free(t->batch);
			free(t->w);
		}
	free(e->workers);
	free(e->threads);
	free(e->key_server);
	free(e);
}

struct lg_engine *
lg_engine_start(struct lg_client *client, const struct lg_options *opt)
{
	struct lg_engine *e = calloc(1, sizeof(*e));
	uint64_t seed = opt->seed ? opt->seed : now_mono_ns() ^ (uint64_t)getpid();
	uint64_t nonce;
	unsigned nthreads = opt->threads;

	if (e == NULL) {
		log_error("no memory");
		return NULL;
	}
	e->c = client;
	e->opt = opt;
	atomic_init(&e->stop, false);
	memcpy(e->op_weights, opt->ratio, sizeof(e->op_weights));
	e->weight_sum = opt->ratio[0] + opt->ratio[1] + opt->ratio[2];
	e->prefix = opt->key_prefix;
	e->prefix_len = strlen(opt->key_prefix);
	/* Up to 16 MiB of cache (pages are touched only as keys are used);
	 * a larger key space hashes every time. */
	if (opt->keys <= (16u << 20)) {
		e->key_server = calloc(opt->keys, sizeof(*e->key_server));
		if (e->key_server == NULL)
			goto nomem;
	}
	if (nthreads == 0) {
		/* Half the CPUs: memcached and the kernel's loopback work need
		 * the rest, and fewer threads make bigger multi-gets (measured
		 * in docs/BASELINE.md). */
		long n = sysconf(_SC_NPROCESSORS_ONLN);
		nthreads = n >= 2 ? (unsigned)(n / 2) : 1;
	}
	if (nthreads > opt->workers)
		nthreads = opt->workers;
	e->nthreads = nthreads;
	/* A fresh nonce per run: values left by an earlier run are another
	 * writer's, never mistaken for our own older writes. */
	nonce = rng_next(&seed) & 0xffffffffu;
	e->workers = calloc(opt->workers, sizeof(*e->workers));
	e->threads = calloc(nthreads, sizeof(*e->threads));
	if (!e->workers || !e->threads)
		goto nomem;
	for (unsigned i = 0; i < opt->workers; i++) {
		struct worker *w = &e->workers[i];
		w->id = i;
		w->rng = seed ^ (0x9e3779b97f4a7c15ull * (i + 1));
		if (w->rng == 0)
			w->rng = 1;
		w->writer = nonce << 16 | i;
		w->value = malloc(opt->value_max);
		if (!w->value || version_table_init(&w->seen, opt->keys) != 0)
			goto nomem;
	}
	for (unsigned i = 0; i < nthreads; i++) {
		struct lg_thread *t = &e->threads[i];
		t->e = e;
		size_t cap = opt->workers / nthreads + 1;
		t->w = calloc(cap, sizeof(*t->w));
		t->batch = calloc(client->nsrv, sizeof(*t->batch));
		if (!t->w || !t->batch)
			goto nomem;
		for (size_t s = 0; s < client->nsrv; s++) {
			struct batch *b = &t->batch[s];
			b->srv = &client->srv[s];
			b->w = calloc(cap, sizeof(*b->w));
			b->keys = calloc(cap, sizeof(*b->keys));
			b->lens = calloc(cap, sizeof(*b->lens));
			b->answered = calloc(cap, sizeof(*b->answered));
			b->ok = calloc(cap, sizeof(*b->ok));
			b->tickets = calloc(cap, sizeof(*b->tickets));
			if (!b->w || !b->keys || !b->lens || !b->answered ||
			    !b->ok || !b->tickets)
				goto nomem;
		}
	}
	for (unsigned i = 0; i < opt->workers; i++) {
		struct lg_thread *t = &e->threads[i % nthreads];
		t->w[t->nw++] = &e->workers[i];
		e->workers[i].thread = t;
	}
	e->open_loop = opt->rate > 0;
	if (e->open_loop)
		e->interval_ns = 1e9 / opt->rate;
	e->t0_ns = now_mono_ns();
	for (unsigned i = 0; i < nthreads; i++) {
		int rc = pthread_create(&e->threads[i].tid, NULL, thread_main,
		    &e->threads[i]);
		if (rc != 0) {
			log_error("pthread_create: %s", strerror(rc));
			lg_engine_stop(e);
			return NULL;
		}
		e->threads[i].started = true;
	}
	log_info("%u workers on %u thread(s), %s loop", opt->workers,
	    nthreads, opt->rate > 0 ? "open" : "closed");
	return e;
nomem:
	log_error("no memory");
	engine_free(e);
	return NULL;
}

void
lg_engine_request_stop(struct lg_engine *e)
{
	atomic_store(&e->stop, true);
}

void
lg_engine_stop(struct lg_engine *e)
{
	lg_engine_request_stop(e);
	for (unsigned i = 0; i < e->nthreads; i++)
		if (e->threads[i].started)
			pthread_join(e->threads[i].tid, NULL);
	engine_free(e);
}
