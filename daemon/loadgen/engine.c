/* The workers, their operations, the threads' loops and the open loop's
 * schedule; connections are conn.c's. See engine.h. */
#include "engine_int.h"

#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"
#include "rng.h"
#include "util.h"

#define TICK_MS 10              /* local counts reach the metrics */
#define FALLBACK_FLOOR_NS 50000ull
#define FALLBACK_INITIAL_NS 1000000ull
#define FALLBACK_CREDIT_MIN_NS 2000000ull
/* A worker remembers its writes in a table of at most this many bytes in
 * all: 4096 workers must stay cheap. */
#define VERSION_BUDGET_SLOTS (1u << 20)

const char *
worker_state_text(enum worker_state s)
{
	switch (s) {
	case W_READY:
		return "ready";
	case W_FREE:
		return "free";
	case W_WAIT_CONN:
		return "wait_conn";
	case W_IN_FLIGHT:
		return "in_flight";
	case W_FALLBACK:
		return "fallback";
	case W_STOPPED:
		return "stopped";
	}
	return "unknown";
}

/* ---- Operations: choosing one, and their end. ---- */

static enum lg_op
pick_op(struct lg_engine *e, struct worker *w)
{
	unsigned r = (unsigned)(rng_next(&w->rng) % e->weight_sum);

	for (int i = 0; i < LG_NOPS; i++) {
		if (r < e->opt->ratio[i])
			return (enum lg_op)i;
		r -= e->opt->ratio[i];
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

/* Integrity errors are counted always, logged sparingly: a broken proxy
 * could otherwise flood the log at the full operation rate. */
bool
log_integrity_now(void)
{
	static atomic_uint n;
	unsigned k = atomic_fetch_add_explicit(&n, 1, memory_order_relaxed);

	return k < 20 || k % 1000 == 0;
}

static void
corrupt(struct worker *w, const char *why)
{
	metric_inc(w->t->e->c->m_integrity[LG_INTEGRITY_CORRUPT]);
	if (log_integrity_now())
		log_warn("corrupt value for %s on %s: %s", w->key,
		    w->srv->cfg->name, why);
}

/* A value read back: the key's, intact, and not older than our own last
 * write of it. false when corrupt (the connection is then replaced). */
static bool
check_value(struct worker *w, const struct mcp_reply *r)
{
	struct integrity_info info;
	enum integrity_result ir;
	uint64_t mine;

	if (r->truncated) {
		corrupt(w, "longer than any client writes");
		return false;
	}
	if (r->keylen != w->keylen || memcmp(r->key, w->key, w->keylen)) {
		corrupt(w, "a value for another key");
		return false;
	}
	ir = integrity_decode(r->val, r->len, w->key, w->keylen, &info);
	if (ir != INTEGRITY_OK) {
		corrupt(w, integrity_result_text(ir));
		return false;
	}
	/* Only our own writes are ordered for us: another worker's value may
	 * legitimately be older or newer than ours. */
	if (info.writer != w->writer)
		return true;
	if (version_table_older(&w->seen, w->key_index, info.version)) {
		mine = version_table_get(&w->seen, w->key_index);
		metric_inc(w->t->e->c->m_integrity[LG_INTEGRITY_STALE]);
		if (log_integrity_now())
			log_warn("stale value for %s on %s: version %llu, "
			    "wrote %llu", w->key, w->srv->cfg->name,
			    (unsigned long long)info.version,
			    (unsigned long long)mine);
	}
	return true;
}

static void
flush_counts(struct lg_thread *t)
{
	struct lg_client *c = t->e->c;

	for (int op = 0; op < LG_NOPS; op++) {
		if (t->ok[op]) {
			metric_add(c->m_ops[op][LG_STATUS_SUCCESS],
			    (double)t->ok[op]);
			t->ok[op] = 0;
		}
	}
	if (t->dropped) {
		metric_add(c->m_arrivals_dropped, (double)t->dropped);
		t->dropped = 0;
	}
}

static void
set_ready(struct worker *w)
{
	w->state = W_READY;
	TAILQ_INSERT_TAIL(&w->t->ready, w, link);
	kick(w->t);
}

/* ---- Open loop: the schedule. ---- */

/* This thread's k-th arrival: global arrival k * threads + index, so the
 * threads interleave evenly and the schedule never drifts. */
static uint64_t
arrival_ns(const struct lg_thread *t, uint64_t k)
{
	const struct lg_engine *e = t->e;

	return e->t0_ns + (uint64_t)(((double)k * e->nthreads + t->index) *
	    e->interval_ns);
}

/* Arrivals of this thread due by `now`. */
static uint64_t
due_count(const struct lg_thread *t, uint64_t now)
{
	const struct lg_engine *e = t->e;
	double x;

	if (now < e->t0_ns)
		return 0;
	x = ((double)(now - e->t0_ns) / e->interval_ns - t->index) /
	    e->nthreads;
	return x < 0 ? 0 : (uint64_t)floor(x) + 1;
}

/* The backlog holds at most a second of the thread's arrivals (or as
 * many as it has workers, if more): a hiccup of the machine is waited
 * out, counted in the latencies; beyond that the oldest are dropped,
 * counted, never silently skipped. It costs no memory: the schedule is
 * a formula, the backlog a difference of two counts. */
static void
drop_overflow(struct lg_thread *t, uint64_t now)
{
	uint64_t due = due_count(t, now);

	if (due > t->next_k + t->backlog_max) {
		t->dropped += due - t->backlog_max - t->next_k;
		t->next_k = due - t->backlog_max;
	}
}

static void
arm_arrival(struct lg_thread *t, uint64_t now)
{
	uint64_t at = arrival_ns(t, t->next_k);
	uint64_t d = at > now ? at - now : 0;
	struct timeval tv = {
		.tv_sec = (time_t)(d / 1000000000ull),
		.tv_usec = (suseconds_t)(d % 1000000000ull / 1000),
	};

	evtimer_add(t->arrival, &tv);
}

/* A worker with nothing to do: it takes the oldest arrival due, or waits
 * for the next one. */
static void
worker_free(struct worker *w, uint64_t now)
{
	struct lg_thread *t = w->t;

	if (t->draining) {
		w->state = W_STOPPED;
		return;
	}
	drop_overflow(t, now);
	if (arrival_ns(t, t->next_k) <= now) {
		w->start_ns = arrival_ns(t, t->next_k++);
		set_ready(w);
		return;
	}
	w->state = W_FREE;
	TAILQ_INSERT_TAIL(&t->free, w, link);
	if (!evtimer_pending(t->arrival, NULL))
		arm_arrival(t, now);
}

static void
on_arrival(evutil_socket_t fd, short what, void *arg)
{
	struct lg_thread *t = arg;
	uint64_t now = now_mono_ns();
	struct worker *w;

	(void)fd;
	(void)what;
	if (t->draining)
		return;
	drop_overflow(t, now);
	while ((w = TAILQ_FIRST(&t->free)) != NULL &&
	    arrival_ns(t, t->next_k) <= now) {
		TAILQ_REMOVE(&t->free, w, link);
		w->start_ns = arrival_ns(t, t->next_k++);
		set_ready(w);
	}
	if (!TAILQ_EMPTY(&t->free))
		arm_arrival(t, now);
}

/* ---- The end of an operation. ---- */

static uint64_t
fallback_ns(struct lg_thread *t)
{
	const struct lg_options *o = t->e->opt;
	double f = t->fallback_ns;

	if (!o->fallback_auto)
		return o->fallback_ms * 1000000ull;
	return f < FALLBACK_FLOOR_NS ? FALLBACK_FLOOR_NS : (uint64_t)f;
}

static void fallback_over(struct worker *w, uint64_t now);

/* After a failure the worker does what an application does: it goes to
 * its database, which takes time, and only then calls again. A wait that
 * ended late is paid back by shortening the next, so the mean is right
 * even when the wait is shorter than the loop's wake-up delay. */
static void
start_fallback(struct worker *w)
{
	uint64_t d = fallback_ns(w->t), now = now_mono_ns();
	struct timeval tv;

	w->state = W_FALLBACK;
	if (w->fb_late >= d) {
		w->fb_late -= d;
		fallback_over(w, now);
		return;
	}
	d -= w->fb_late;
	w->fb_late = 0;
	w->fb_due = now + d;
	tv.tv_sec = (time_t)(d / 1000000000ull);
	tv.tv_usec = (suseconds_t)(d % 1000000000ull / 1000);
	evtimer_add(w->timer, &tv);
}

static void
fallback_over(struct worker *w, uint64_t now)
{
	if (w->t->draining) {
		w->state = W_STOPPED;
		return;
	}
	if (w->t->e->open_loop) {
		worker_free(w, now);
	} else {
		w->start_ns = now;
		set_ready(w);
	}
}

/* The worker's next step once its operation is over. */
static void
next_op(struct worker *w, uint64_t end_ns)
{
	if (w->t->draining) {
		w->state = W_STOPPED;
		return;
	}
	if (w->t->e->open_loop) {
		worker_free(w, end_ns);
		return;
	}
	w->start_ns = end_ns;
	set_ready(w);
}

/* See engine_int.h. */
void
op_done(struct worker *w, bool ok, enum lg_err_kind kind, bool reached,
    uint64_t end_ns)
{
	struct lg_thread *t = w->t;
	struct lg_srv *s = w->srv;

	if (w->state == W_IN_FLIGHT && t->inflight > 0)
		t->inflight--;
	if (reached) {
		breaker_done(&s->breaker, &w->ticket, ok);
		metric_observe(s->m_duration[w->op],
		    (double)(end_ns - w->start_ns) / 1e9);
	}
	if (ok) {
		/* Counted locally, added to the counter every tick. */
		t->ok[w->op]++;
		/* The fallback follows what a healthy call costs (from its
		 * real start: a backlog is not the server's time). */
		t->fallback_ns += ((double)(end_ns - w->issue_ns) -
		    t->fallback_ns) / 16;
		next_op(w, end_ns);
	} else {
		metric_inc(t->e->c->m_ops[w->op][LG_STATUS_FAILED]);
		metric_inc(s->m_errors[w->op][kind]);
		if (t->draining)
			w->state = W_STOPPED;
		else
			start_fallback(w);
	}
	if (t->draining && t->inflight == 0)
		event_base_loopbreak(t->base);
}

/* ---- A worker's operation. ---- */

/* See engine_int.h. */
bool
op_reply(struct worker *w, const struct mcp_reply *rep, uint64_t end)
{
	bool ok = false, in_step = true;

	switch (rep->kind) {
	case MCP_REPLY_VALUE:
		ok = true;  /* a value was read: the call succeeded */
		in_step = check_value(w, rep);
		break;
	case MCP_REPLY_MISS:
		ok = true;
		break;
	case MCP_REPLY_STORED:
		ok = w->op == LG_OP_SET;
		if (ok)
			version_table_put(&w->seen, w->key_index, w->version);
		break;
	case MCP_REPLY_DELETED:
	case MCP_REPLY_NOT_FOUND:
		if (w->op == LG_OP_DELETE) {
			/* Any value of ours older than this delete is stale
			 * now; a miss is a success. */
			ok = true;
			version_table_put(&w->seen, w->key_index,
			    ++w->version);
		}
		break;
	default:
		break;
	}
	if (!ok) {
		/* An error reply may leave a half-read request behind it:
		 * the connection goes. */
		in_step = false;
		log_debug("%s %s on %s: %s", lg_op_text(w->op), w->key,
		    w->srv->cfg->name, mcp_reply_kind_text(rep->kind));
	}
	op_done(w, ok, LG_ERR_SERVER, true, end);
	return in_step;
}

/* Formats the worker's request and queues it on the connection, under
 * its op timer (connect, send, receive). */
void
op_send(struct worker *w, struct conn *c)
{
	const struct lg_options *o = w->t->e->opt;
	struct lg_thread *t = w->t;

	if (w->op == LG_OP_SET) {
		size_t size = o->value_min;
		if (o->value_max > o->value_min)
			size += rng_next(&w->rng) %
			    (o->value_max - o->value_min + 1);
		w->version++;
		if (integrity_encode(w->value, size, w->key, w->keylen,
		    w->writer, w->version) != 0)
			FATAL_BUG("value size %zu too small for %s", size,
			    w->key);
		w->vlen = size;
		w->reqlen = mcp_format_set(w->req, sizeof(w->req), w->key,
		    w->keylen, 0, o->ttl_s, size);
	} else if (w->op == LG_OP_GET) {
		w->vlen = 0;
		w->reqlen = mcp_format_get(w->req, sizeof(w->req), w->key,
		    w->keylen);
	} else {
		w->vlen = 0;
		w->reqlen = mcp_format_delete(w->req, sizeof(w->req), w->key,
		    w->keylen);
	}
	if (w->reqlen == 0)
		FATAL_BUG("request for key %s does not fit", w->key);
	w->conn = c;
	w->state = W_IN_FLIGHT;
	t->inflight++;
	evtimer_add(w->timer, t->tv_op);
	conn_submit(c, w);
}
/* A worker's next operation: key, server, breaker, connection. */
static void
op_start(struct worker *w)
{
	struct lg_thread *t = w->t;
	struct lg_engine *e = t->e;
	struct conn *c;
	bool wait;

	if (t->draining) {
		w->state = W_STOPPED;
		return;
	}
	w->op = pick_op(e, w);
	/* Uniform in [0, keys) by a multiply, not a division. */
	w->key_index = (uint64_t)(((unsigned __int128)rng_next(&w->rng) *
	    e->opt->keys) >> 64);
	w->keylen = format_key(w->key, e->prefix, e->prefix_len, w->key_index);
	uint32_t si = server_of(e, w);
	w->srv = &e->c->srv[si];
	w->ts = &t->ts[si];
	w->issue_ns = e->open_loop ? now_mono_ns() : w->start_ns;
	if (!breaker_allow(&w->srv->breaker, &w->ticket)) {
		op_done(w, false, LG_ERR_CIRCUIT_OPEN, false, 0);
		return;
	}
	c = conn_acquire(w->ts, &wait);
	if (c) {
		op_send(w, c);
		return;
	}
	if (wait && e->opt->pool_acquire_timeout_ms > 0) {
		w->state = W_WAIT_CONN;
		TAILQ_INSERT_TAIL(&w->ts->waiters, w, link);
		evtimer_add(w->timer, t->tv_pool);
		return;
	}
	if (wait)
		pool_acquire_failed(&w->ts->pool);
	metric_inc(w->srv->m_pool_acquire_errors);
	breaker_cancel(&w->srv->breaker, &w->ticket);
	op_done(w, false, LG_ERR_POOL, false, 0);
}

static void
on_worker_timer(evutil_socket_t fd, short what, void *arg)
{
	struct worker *w = arg;
	struct lg_thread *t = w->t;

	(void)fd;
	(void)what;
	switch (w->state) {
	case W_WAIT_CONN:
		TAILQ_REMOVE(&w->ts->waiters, w, link);
		pool_acquire_failed(&w->ts->pool);
		metric_inc(w->srv->m_pool_acquire_errors);
		log_debug("server %s: no connection within %llu ms",
		    w->srv->cfg->name,
		    (unsigned long long)t->e->opt->pool_acquire_timeout_ms);
		breaker_cancel(&w->srv->breaker, &w->ticket);
		op_done(w, false, LG_ERR_POOL, false, 0);
		break;
	case W_IN_FLIGHT:
		/* The connection is out of step with its server now: every
		 * request on it goes with it. */
		conn_break(w->conn, LG_ERR_TIMEOUT, "operation timed out");
		break;
	case W_FALLBACK: {
		uint64_t now = now_mono_ns(), cap = 2 * fallback_ns(t);
		/* What is owed is bounded: a stalled machine must not turn
		 * into a burst of back-to-back calls. */
		if (cap < FALLBACK_CREDIT_MIN_NS)
			cap = FALLBACK_CREDIT_MIN_NS;
		if (now > w->fb_due)
			w->fb_late += now - w->fb_due;
		if (w->fb_late > cap)
			w->fb_late = cap;
		fallback_over(w, now);
		break;
	}
	default:
		FATAL_BUG("timer of a worker in state %s",
		    worker_state_text(w->state));
	}
}

/* ---- The thread's loop. ---- */

void
kick(struct lg_thread *t)
{
	if (!t->kicked) {
		t->kicked = true;
		event_active(t->kick, EV_READ, 1);
	}
}

/* Starts the ready workers' operations, then writes every connection that
 * has requests to send: pipelined requests share one writev. */
static void
on_kick(evutil_socket_t fd, short what, void *arg)
{
	struct lg_thread *t = arg;
	struct worker *w;
	struct conn *c;

	(void)fd;
	(void)what;
	/* Still `kicked` while it runs: what it adds it takes itself. */
	while (!TAILQ_EMPTY(&t->ready) || !TAILQ_EMPTY(&t->dirty)) {
		while ((w = TAILQ_FIRST(&t->ready)) != NULL) {
			TAILQ_REMOVE(&t->ready, w, link);
			op_start(w);
		}
		while ((c = TAILQ_FIRST(&t->dirty)) != NULL) {
			TAILQ_REMOVE(&t->dirty, c, dirty_link);
			c->dirty = false;
			conn_flush(c);
		}
	}
	t->kicked = false;
}

static void
on_tick(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	flush_counts(arg);
}

/* Stop: nothing new starts; the operations in flight finish. */
static void
on_stop(evutil_socket_t fd, short what, void *arg)
{
	struct lg_thread *t = arg;
	uint64_t v;

	(void)what;
	if (read(fd, &v, sizeof(v)) < 0 && errno != EAGAIN)
		log_warn("read: %s", strerror(errno));
	if (t->draining)
		return;
	t->draining = true;
	evtimer_del(t->arrival);
	for (size_t i = 0; i < t->nw; i++) {
		struct worker *w = t->w[i];
		switch (w->state) {
		case W_READY:
			TAILQ_REMOVE(&t->ready, w, link);
			break;
		case W_FREE:
			TAILQ_REMOVE(&t->free, w, link);
			break;
		case W_WAIT_CONN:
			TAILQ_REMOVE(&w->ts->waiters, w, link);
			breaker_cancel(&w->srv->breaker, &w->ticket);
			break;
		case W_IN_FLIGHT:
			continue;
		case W_FALLBACK:
		case W_STOPPED:
			break;
		}
		evtimer_del(w->timer);
		w->state = W_STOPPED;
	}
	if (t->inflight == 0)
		event_base_loopbreak(t->base);
}

static void *
thread_main(void *arg)
{
	struct lg_thread *t = arg;
	uint64_t now = now_mono_ns();

	for (size_t i = 0; i < t->nw; i++) {
		struct worker *w = t->w[i];
		if (t->e->open_loop) {
			worker_free(w, now);
		} else {
			w->start_ns = now;
			set_ready(w);
		}
	}
	event_base_dispatch(t->base);
	/* Every request is answered or failed: the counts are final. */
	flush_counts(t);
	return NULL;
}

/* ---- Setup and teardown. ---- */

unsigned
lg_engine_threads(const struct lg_engine *e)
{
	return e->nthreads;
}

static void
thread_free(struct lg_engine *e, struct lg_thread *t)
{
	for (size_t s = 0; t->ts && s < e->c->nsrv; s++) {
		struct tsrv *ts = &t->ts[s];
		struct conn *c;
		/* Shared connections still out (a stop mid-flight on an
		 * aborted start) go back broken. */
		while ((c = TAILQ_FIRST(&ts->shared)) != NULL) {
			TAILQ_REMOVE(&ts->shared, c, shared_link);
			c->out = false;
			pool_release(&ts->pool, c, true);
		}
		if (ts->pool_ok)
			pool_destroy(&ts->pool);
	}
	free(t->ts);
	for (size_t i = 0; i < t->nw; i++)
		if (t->w[i]->timer)
			event_free(t->w[i]->timer);
	free(t->w);
	if (t->kick)
		event_free(t->kick);
	if (t->stop_ev)
		event_free(t->stop_ev);
	if (t->tick)
		event_free(t->tick);
	if (t->arrival)
		event_free(t->arrival);
	if (t->base)
		event_base_free(t->base);
	if (t->efd >= 0)
		close(t->efd);
	free(t->rbuf);
}

void
lg_engine_free(struct lg_engine *e)
{
	if (e == NULL)
		return;
	for (size_t s = 0; s < e->c->nsrv; s++)
		atomic_store_explicit(&e->c->srv[s].npools, 0,
		    memory_order_release);
	if (e->threads)
		for (unsigned i = 0; i < e->nthreads; i++)
			thread_free(e, &e->threads[i]);
	if (e->workers) {
		for (unsigned i = 0; i < e->opt->workers; i++) {
			version_table_free(&e->workers[i].seen);
			free(e->workers[i].value);
		}
	}
	for (size_t s = 0; s < LG_MAX_SERVERS; s++)
		if (e->addr[s])
			freeaddrinfo(e->addr[s]);
	free(e->workers);
	free(e->threads);
	free(e->key_server);
	free(e);
}

static int
resolve(struct lg_engine *e)
{
	for (size_t s = 0; s < e->c->nsrv; s++) {
		const struct lg_server *cfg = e->c->srv[s].cfg;
		struct addrinfo hints = {
			.ai_socktype = SOCK_STREAM,
			.ai_protocol = IPPROTO_TCP,
		};
		char port[8];
		int rc;

		snprintf(port, sizeof(port), "%u", cfg->addr.port);
		/* Once, before the loops run: a lookup blocks. */
		rc = getaddrinfo(cfg->addr.host, port, &hints, &e->addr[s]);
		if (rc != 0) {
			log_error("server %s: %s: %s", cfg->name,
			    cfg->addr.host, gai_strerror(rc));
			return -1;
		}
	}
	return 0;
}

static int
thread_init(struct lg_engine *e, struct lg_thread *t, unsigned index)
{
	const struct lg_options *o = e->opt;
	struct event_config *cfg;
	struct timeval tv;
	unsigned share;

	t->e = e;
	t->index = index;
	t->efd = -1;
	TAILQ_INIT(&t->ready);
	TAILQ_INIT(&t->free);
	TAILQ_INIT(&t->dirty);
	t->fallback_ns = FALLBACK_INITIAL_NS;
	cfg = event_config_new();
	if (cfg == NULL)
		return -1;
	/* One thread per base: no locks inside libevent. The open loop's
	 * schedule needs timers to the microsecond (timerfd), not the
	 * millisecond; the closed loop does without (a timerfd costs a
	 * syscall per loop turn), and its fallback waits, often under a
	 * millisecond, are right on average by paying back late ones. */
	event_config_set_flag(cfg, EVENT_BASE_FLAG_NOLOCK);
	if (e->open_loop)
		event_config_set_flag(cfg, EVENT_BASE_FLAG_PRECISE_TIMER);
	t->base = event_base_new_with_config(cfg);
	event_config_free(cfg);
	t->rbuf = malloc(READ_BUF);
	t->w = calloc(o->workers / e->nthreads + 1, sizeof(*t->w));
	t->ts = calloc(e->c->nsrv, sizeof(*t->ts));
	t->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (t->base == NULL || t->rbuf == NULL || t->w == NULL ||
	    t->ts == NULL || t->efd < 0) {
		log_error("no memory or no eventfd");
		return -1;
	}
	t->kick = event_new(t->base, -1, 0, on_kick, t);
	t->stop_ev = event_new(t->base, t->efd, EV_READ | EV_PERSIST, on_stop,
	    t);
	t->tick = event_new(t->base, -1, EV_PERSIST, on_tick, t);
	t->arrival = evtimer_new(t->base, on_arrival, t);
	if (!t->kick || !t->stop_ev || !t->tick || !t->arrival)
		return -1;
	tv.tv_sec = (time_t)(o->op_timeout_ms / 1000);
	tv.tv_usec = (suseconds_t)(o->op_timeout_ms % 1000 * 1000);
	/* The same timeout for every operation: libevent keeps those in a
	 * queue instead of its heap (O(1) to add and remove). */
	t->tv_op = event_base_init_common_timeout(t->base, &tv);
	tv.tv_sec = (time_t)(o->pool_acquire_timeout_ms / 1000);
	tv.tv_usec = (suseconds_t)(o->pool_acquire_timeout_ms % 1000 * 1000);
	t->tv_pool = event_base_init_common_timeout(t->base, &tv);
	if (t->tv_op == NULL || t->tv_pool == NULL)
		return -1;
	tv.tv_sec = 0;
	tv.tv_usec = TICK_MS * 1000;
	if (event_add(t->stop_ev, NULL) != 0 || event_add(t->tick, &tv) != 0)
		return -1;
	/* --connections is per server in all: each thread its share. */
	share = o->connections / e->nthreads +
	    (index < o->connections % e->nthreads ? 1 : 0);
	if (share == 0)
		share = 1;
	for (size_t s = 0; s < e->c->nsrv; s++) {
		struct tsrv *ts = &t->ts[s];
		ts->t = t;
		ts->srv = &e->c->srv[s];
		TAILQ_INIT(&ts->waiters);
		TAILQ_INIT(&ts->shared);
		ts->epoch = atomic_load(&ts->srv->flush_epoch);
		if (pool_init(&ts->pool, share, conn_create, conn_destroy,
		    ts) != 0)
			return -1;
		ts->pool_ok = true;
	}
	return 0;
}

struct lg_engine *
lg_engine_start(struct lg_client *client, const struct lg_options *opt)
{
	struct lg_engine *e = calloc(1, sizeof(*e));
	uint64_t seed = opt->seed ? opt->seed : now_mono_ns() ^ (uint64_t)getpid();
	uint64_t nonce;
	unsigned nthreads = opt->threads;
	size_t slots;

	if (e == NULL) {
		log_error("no memory");
		return NULL;
	}
	e->c = client;
	e->opt = opt;
	e->weight_sum = opt->ratio[0] + opt->ratio[1] + opt->ratio[2];
	e->prefix = opt->key_prefix;
	e->prefix_len = strlen(opt->key_prefix);
	e->open_loop = opt->rate > 0;
	if (resolve(e) != 0)
		goto fail;
	/* Up to 16 MiB of cache (pages are touched only as keys are used);
	 * a larger key space hashes every time. */
	if (opt->keys <= (16u << 20)) {
		e->key_server = calloc(opt->keys, sizeof(*e->key_server));
		if (e->key_server == NULL)
			goto nomem;
	}
	if (nthreads == 0) {
		/* Half the CPUs: memcached and the kernel's loopback work need
		 * the rest. */
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
	for (unsigned i = 0; i < nthreads; i++)
		e->threads[i].efd = -1;
	for (unsigned i = 0; i < nthreads; i++)
		if (thread_init(e, &e->threads[i], i) != 0)
			goto fail;
	/* Each worker's memory of its writes: the whole key space when it
	 * fits the budget, else its most recent writes. */
	slots = VERSION_BUDGET_SLOTS / opt->workers;
	if (slots > opt->keys)
		slots = (size_t)opt->keys;
	if (slots < 64)
		slots = 64;
	for (unsigned i = 0; i < opt->workers; i++) {
		struct worker *w = &e->workers[i];
		struct lg_thread *t = &e->threads[i % nthreads];
		w->id = i;
		w->t = t;
		w->state = W_STOPPED;
		w->rng = seed ^ (0x9e3779b97f4a7c15ull * (i + 1));
		if (w->rng == 0)
			w->rng = 1;
		w->writer = nonce << 16 | i;
		w->value = malloc(opt->value_max);
		w->timer = evtimer_new(t->base, on_worker_timer, w);
		if (!w->value || !w->timer ||
		    version_table_init(&w->seen, slots) != 0)
			goto nomem;
		t->w[t->nw++] = w;
	}
	if (e->open_loop) {
		e->interval_ns = 1e9 / opt->rate;
		for (unsigned i = 0; i < nthreads; i++) {
			struct lg_thread *t = &e->threads[i];
			t->backlog_max = (uint64_t)ceil(opt->rate / nthreads);
			if (t->backlog_max < t->nw)
				t->backlog_max = t->nw;
		}
	}
	for (size_t s = 0; s < client->nsrv; s++) {
		for (unsigned i = 0; i < nthreads; i++)
			client->srv[s].pools[i] = &e->threads[i].ts[s].pool;
		atomic_store_explicit(&client->srv[s].npools, nthreads,
		    memory_order_release);
	}
	e->t0_ns = now_mono_ns();
	for (unsigned i = 0; i < nthreads; i++) {
		int rc = pthread_create(&e->threads[i].tid, NULL, thread_main,
		    &e->threads[i]);
		if (rc != 0) {
			log_error("pthread_create: %s", strerror(rc));
			lg_engine_stop(e);
			lg_engine_free(e);
			return NULL;
		}
		e->threads[i].started = true;
	}
	log_info("%u workers on %u thread(s), %s loop, %u connection(s) per "
	    "server, pipeline %u", opt->workers, nthreads,
	    e->open_loop ? "open" : "closed", opt->connections, opt->pipeline);
	return e;
nomem:
	log_error("no memory");
fail:
	lg_engine_free(e);
	return NULL;
}

void
lg_engine_request_stop(struct lg_engine *e)
{
	uint64_t one = 1;

	for (unsigned i = 0; i < e->nthreads; i++)
		if (e->threads[i].efd >= 0 &&
		    write(e->threads[i].efd, &one, sizeof(one)) < 0 &&
		    errno != EAGAIN)
			log_warn("write: %s", strerror(errno));
}

void
lg_engine_stop(struct lg_engine *e)
{
	lg_engine_request_stop(e);
	for (unsigned i = 0; i < e->nthreads; i++)
		if (e->threads[i].started) {
			pthread_join(e->threads[i].tid, NULL);
			e->threads[i].started = false;
		}
}
