/* The libmemcached kind's threads: a worker each, its own memcached_st,
 * one blocking call at a time. See libmc.h. */
#include "libmc.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "integrity.h"
#include "log.h"
#include "rng.h"
#include "util.h"
#include "workload.h"

#define STACK_SIZE (512 * 1024)         /* libmemcached needs little */
#define FALLBACK_FLOOR_NS 50000ull      /* as the resilient kind's */
#define FALLBACK_INITIAL_NS 1000000ull

struct mc_worker {
	struct lg_libmc *m;
	unsigned id;
	pthread_t tid;
	bool started;
	memcached_st *mc;
	uint64_t rng;
	uint64_t writer;           /* run nonce << 16 | id */
	uint64_t version;          /* of this worker's last write or delete */
	struct version_table seen;
	char *value;
	double fallback_ns;        /* EWMA of successful calls */
	uint64_t next_k;           /* open loop: this worker's next arrival */
	char key[LG_KEY_MAX];
};

struct lg_libmc {
	struct lg_client *c;
	const struct lg_options *o;
	struct mc_worker *w;
	unsigned n;
	unsigned weight_sum;
	size_t prefix_len;
	bool open_loop;
	uint64_t t0_ns;
	double interval_ns;        /* open loop: between two arrivals */
	uint64_t backlog;          /* open loop: a worker's arrivals that may
	                            * wait, a second's worth (at least 1) */
	/* Stop: the flag, and a condition the sleeping workers wait on. */
	atomic_bool stopping;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool sync_ok;
};

/* Sleeps until `until` (monotonic ns) or a stop; false on a stop. */
static bool
sleep_until(struct lg_libmc *m, uint64_t until)
{
	struct timespec ts = {
		.tv_sec = (time_t)(until / 1000000000ull),
		.tv_nsec = (long)(until % 1000000000ull),
	};
	bool stop;

	pthread_mutex_lock(&m->lock);
	while (!(stop = atomic_load(&m->stopping)) && now_mono_ns() < until)
		if (pthread_cond_timedwait(&m->cond, &m->lock, &ts) ==
		    ETIMEDOUT)
			break;
	pthread_mutex_unlock(&m->lock);
	return !stop && !atomic_load(&m->stopping);
}

/* Open loop: this worker's k-th arrival is the schedule's k * n + id, so
 * the workers interleave evenly and the schedule never drifts. */
static uint64_t
arrival_ns(const struct lg_libmc *m, const struct mc_worker *w, uint64_t k)
{
	return m->t0_ns + (uint64_t)(((double)k * m->n + w->id) *
	    m->interval_ns);
}

/* The next operation's latency origin, after waiting for its arrival
 * (open loop). A worker stuck in a call longer than its backlog drops the
 * oldest arrivals, counted, never silently skipped. 0 on a stop. */
static uint64_t
next_start(struct lg_libmc *m, struct mc_worker *w)
{
	uint64_t now = now_mono_ns(), at;

	if (!m->open_loop)
		return now;
	at = arrival_ns(m, w, w->next_k);
	if (now > at) {
		/* Arrivals due by now: (now - t0) / interval, ours among
		 * them every n-th. */
		double x = ((double)(now - m->t0_ns) / m->interval_ns -
		    w->id) / m->n;
		uint64_t due = x < 0 ? 0 : (uint64_t)floor(x) + 1;
		if (due > w->next_k + m->backlog) {
			metric_add(m->c->m_arrivals_dropped,
			    (double)(due - m->backlog - w->next_k));
			w->next_k = due - m->backlog;
			at = arrival_ns(m, w, w->next_k);
		}
	} else if (!sleep_until(m, at)) {
		return 0;
	}
	w->next_k++;
	return at;
}

static void
count_integrity(struct mc_worker *w, enum lg_integrity_kind kind,
    const struct lg_srv *s, const char *why)
{
	metric_inc(w->m->c->m_integrity[kind]);
	if (lg_log_integrity_now())
		log_warn("%s value for %s on %s: %s",
		    lg_integrity_kind_text(kind), w->key,
		    s ? s->cfg->name : "?", why);
}

/* One call; MEMCACHED_SUCCESS for a success (a miss is one). */
static memcached_return_t
call(struct mc_worker *w, enum lg_op op, uint64_t key_index, size_t keylen,
    const struct lg_srv *s)
{
	const struct lg_options *o = w->m->o;
	memcached_return_t rc;
	const char *why = NULL;
	uint64_t version = 0;
	uint32_t flags;
	size_t len;
	char *val;

	switch (op) {
	case LG_OP_GET:
		val = memcached_get(w->mc, w->key, keylen, &len, &flags, &rc);
		if (rc == MEMCACHED_NOTFOUND)
			return MEMCACHED_SUCCESS;
		if (rc != MEMCACHED_SUCCESS) {
			free(val);
			return rc;
		}
		switch (lg_judge_value(val, len, w->key, keylen, key_index,
		    w->writer, &w->seen, &why, &version)) {
		case LG_VALUE_OK:
			break;
		case LG_VALUE_CORRUPT:
			count_integrity(w, LG_INTEGRITY_CORRUPT, s, why);
			break;
		case LG_VALUE_STALE:
			count_integrity(w, LG_INTEGRITY_STALE, s,
			    "older than this worker's last write");
			break;
		}
		free(val);
		return MEMCACHED_SUCCESS;
	case LG_OP_SET:
		len = lg_pick_value_size(o, &w->rng);
		w->version++;
		if (integrity_encode(w->value, len, w->key, keylen, w->writer,
		    w->version) != 0)
			FATAL_BUG("value size %zu too small for %s", len,
			    w->key);
		rc = memcached_set(w->mc, w->key, keylen, w->value, len,
		    (time_t)o->ttl_s, 0);
		if (rc == MEMCACHED_SUCCESS)
			version_table_put(&w->seen, key_index, w->version);
		return rc;
	case LG_OP_DELETE:
		rc = memcached_delete(w->mc, w->key, keylen, 0);
		if (rc == MEMCACHED_NOTFOUND)
			rc = MEMCACHED_SUCCESS;
		/* Any value of ours older than this delete is stale now. */
		if (rc == MEMCACHED_SUCCESS)
			version_table_put(&w->seen, key_index, ++w->version);
		return rc;
	}
	return MEMCACHED_FAILURE;
}

static uint64_t
fallback_ns(const struct mc_worker *w)
{
	const struct lg_options *o = w->m->o;

	if (!o->fallback_auto)
		return o->fallback_ms * 1000000ull;
	return w->fallback_ns < FALLBACK_FLOOR_NS ? FALLBACK_FLOOR_NS :
	    (uint64_t)w->fallback_ns;
}

/* Errors are logged at debug, and the first of each kind at info, so a
 * run's log says what libmemcached answered without a line a call. */
static void
log_failure(struct mc_worker *w, enum lg_op op, const struct lg_srv *s,
    memcached_return_t rc)
{
	static atomic_uint seen[MEMCACHED_MAXIMUM_RETURN];
	unsigned k = rc < MEMCACHED_MAXIMUM_RETURN ?
	    atomic_fetch_add(&seen[rc], 1) : 1;

	if (k == 0)
		log_info("%s on %s: %s (first time)", lg_op_text(op),
		    s ? s->cfg->name : "no server",
		    memcached_strerror(w->mc, rc));
	else
		log_debug("%s %s on %s: %s", lg_op_text(op), w->key,
		    s ? s->cfg->name : "no server",
		    memcached_strerror(w->mc, rc));
}

static void *
worker_main(void *arg)
{
	struct mc_worker *w = arg;
	struct lg_libmc *m = w->m;
	struct lg_client *c = m->c;
	const struct lg_options *o = m->o;

	while (!atomic_load_explicit(&m->stopping, memory_order_relaxed)) {
		uint64_t start = next_start(m, w), issue, end;
		enum lg_op op;
		uint64_t ki;
		size_t keylen;
		memcached_return_t rc;
		const memcached_instance_st *in;
		struct lg_srv *s;
		int si;

		if (start == 0)
			break;
		op = lg_pick_op(o->ratio, m->weight_sum, &w->rng);
		ki = lg_pick_key(&w->rng, o->keys);
		keylen = lg_format_key(w->key, o->key_prefix, m->prefix_len,
		    ki);
		issue = now_mono_ns();
		/* The server the call goes to: libmemcached's own choice,
		 * after it re-admits servers whose timeouts have passed. */
		memcached_autoeject(w->mc);
		in = memcached_server_by_key(w->mc, w->key, keylen, &rc);
		si = libmc_server_index(o, in);
		s = si >= 0 ? &c->srv[si] : NULL;
		rc = call(w, op, ki, keylen, s);
		end = now_mono_ns();
		if (rc == MEMCACHED_SUCCESS) {
			if (s)
				metric_observe(s->m_duration[op],
				    (double)(end - start) / 1e9);
			metric_inc(c->m_ops[op][LG_STATUS_SUCCESS]);
			w->fallback_ns += ((double)(end - issue) -
			    w->fallback_ns) / 16;
			continue;
		}
		enum lg_err_kind kind = libmc_err_kind(rc);
		metric_inc(c->m_ops[op][LG_STATUS_FAILED]);
		if (s) {
			metric_inc(s->m_errors[op][kind]);
			/* As the resilient kind: a call refused without a
			 * try has no latency of the server's. */
			if (kind != LG_ERR_CIRCUIT_OPEN)
				metric_observe(s->m_duration[op],
				    (double)(end - start) / 1e9);
		}
		log_failure(w, op, s, rc);
		if (!sleep_until(m, now_mono_ns() + fallback_ns(w)))
			break;
	}
	return NULL;
}

void
lg_libmc_free(struct lg_libmc *m)
{
	if (m == NULL)
		return;
	for (unsigned i = 0; m->w && i < m->n; i++) {
		struct mc_worker *w = &m->w[i];
		if (w->mc)
			memcached_free(w->mc);
		version_table_free(&w->seen);
		free(w->value);
	}
	free(m->w);
	if (m->sync_ok) {
		pthread_cond_destroy(&m->cond);
		pthread_mutex_destroy(&m->lock);
	}
	free(m);
}

static int
sync_init(struct lg_libmc *m)
{
	pthread_condattr_t ca;

	if (pthread_condattr_init(&ca) != 0)
		return -1;
	/* sleep_until's deadlines are monotonic. */
	if (pthread_condattr_setclock(&ca, CLOCK_MONOTONIC) != 0 ||
	    pthread_cond_init(&m->cond, &ca) != 0) {
		pthread_condattr_destroy(&ca);
		return -1;
	}
	pthread_condattr_destroy(&ca);
	if (pthread_mutex_init(&m->lock, NULL) != 0) {
		pthread_cond_destroy(&m->cond);
		return -1;
	}
	m->sync_ok = true;
	return 0;
}

static int
workers_init(struct lg_libmc *m)
{
	const struct lg_options *o = m->o;
	uint64_t seed = o->seed ? o->seed : now_mono_ns() ^ (uint64_t)getpid();
	/* A fresh nonce per run: values left by an earlier run are another
	 * writer's, never mistaken for our own older writes. */
	uint64_t nonce = rng_next(&seed) & 0xffffffffu;
	size_t slots = lg_version_slots(o);

	m->w = calloc(m->n, sizeof(*m->w));
	if (m->w == NULL)
		return -1;
	for (unsigned i = 0; i < m->n; i++) {
		struct mc_worker *w = &m->w[i];
		w->m = m;
		w->id = i;
		w->rng = lg_worker_rng(seed, i);
		w->writer = nonce << 16 | i;
		w->fallback_ns = FALLBACK_INITIAL_NS;
		w->value = malloc(o->value_max);
		if (w->value == NULL || version_table_init(&w->seen, slots))
			return -1;
		if ((w->mc = libmc_create(o)) == NULL)
			return -1;
	}
	return 0;
}

struct lg_libmc *
lg_libmc_start(struct lg_client *c, const struct lg_options *o)
{
	struct lg_libmc *m = calloc(1, sizeof(*m));
	pthread_attr_t attr;

	if (m == NULL) {
		log_error("no memory");
		return NULL;
	}
	if (o->workers > LG_LIBMC_MAX_WORKERS)
		FATAL_BUG("%u workers past the cap (options.c)", o->workers);
	m->c = c;
	m->o = o;
	m->n = o->workers;
	m->weight_sum = o->ratio[0] + o->ratio[1] + o->ratio[2];
	m->prefix_len = strlen(o->key_prefix);
	m->open_loop = o->rate > 0;
	if (m->open_loop) {
		m->interval_ns = 1e9 / o->rate;
		m->backlog = (uint64_t)ceil(o->rate / m->n);
		if (m->backlog == 0)
			m->backlog = 1;
	}
	atomic_init(&m->stopping, false);
	if (sync_init(m) != 0 || workers_init(m) != 0) {
		log_error("no memory, or libmemcached could not be set up");
		lg_libmc_free(m);
		return NULL;
	}
	if (pthread_attr_init(&attr) != 0 ||
	    pthread_attr_setstacksize(&attr, STACK_SIZE) != 0) {
		log_error("pthread_attr: no memory");
		lg_libmc_free(m);
		return NULL;
	}
	m->t0_ns = now_mono_ns();
	for (unsigned i = 0; i < m->n; i++) {
		int rc = pthread_create(&m->w[i].tid, &attr, worker_main,
		    &m->w[i]);
		if (rc != 0) {
			log_error("pthread_create: %s", strerror(rc));
			pthread_attr_destroy(&attr);
			lg_libmc_stop(m);
			lg_libmc_free(m);
			return NULL;
		}
		m->w[i].started = true;
	}
	pthread_attr_destroy(&attr);
	log_info("libmemcached %s: %u workers, a thread and a memcached_st "
	    "each, %s loop; failure limit %u, retry timeout %us, "
	    "remove failed servers %s, dead timeout %us, timeouts %llu ms",
	    memcached_lib_version(), m->n, m->open_loop ? "open" : "closed",
	    o->libmc.server_failure_limit, o->libmc.retry_timeout_s,
	    o->libmc.remove_failed_servers ? "yes" : "no",
	    o->libmc.dead_timeout_s, (unsigned long long)o->op_timeout_ms);
	return m;
}

void
lg_libmc_request_stop(struct lg_libmc *m)
{
	pthread_mutex_lock(&m->lock);
	atomic_store(&m->stopping, true);
	pthread_cond_broadcast(&m->cond);
	pthread_mutex_unlock(&m->lock);
}

void
lg_libmc_stop(struct lg_libmc *m)
{
	lg_libmc_request_stop(m);
	for (unsigned i = 0; i < m->n; i++) {
		if (m->w[i].started) {
			pthread_join(m->w[i].tid, NULL);
			m->w[i].started = false;
		}
	}
}
