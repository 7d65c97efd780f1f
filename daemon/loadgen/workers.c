/* A worker's life: an operation from its start (key, server, breaker,
 * connection) to its end (reply, timeout, failure), the fallback after a
 * failure, the open loop's schedule that feeds it, and the thread's loop
 * callbacks that drive all of that. Connections are conn.c's; setting up
 * and tearing down, engine.c's. See engine.h. */
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
#include "workload.h"

#define FALLBACK_FLOOR_NS 50000ull
#define FALLBACK_CREDIT_MIN_NS 2000000ull

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

static void
corrupt(struct worker *w, const char *why)
{
	metric_inc(w->t->e->c->m_integrity[LG_INTEGRITY_CORRUPT]);
	if (lg_log_integrity_now())
		log_warn("corrupt value for %s on %s: %s", w->key,
		    w->srv->cfg->name, why);
}

/* A value read back: the key's, intact, and not older than our own last
 * write of it. false when corrupt (the connection is then replaced). */
static bool
check_value(struct worker *w, const struct mcp_reply *r)
{
	const char *why = NULL;
	uint64_t version = 0, mine;

	if (r->truncated) {
		corrupt(w, "longer than any client writes");
		return false;
	}
	if (r->keylen != w->keylen || memcmp(r->key, w->key, w->keylen)) {
		corrupt(w, "a value for another key");
		return false;
	}
	switch (lg_judge_value(r->val, r->len, w->key, w->keylen,
	    w->key_index, w->writer, &w->seen, &why, &version)) {
	case LG_VALUE_OK:
		break;
	case LG_VALUE_CORRUPT:
		corrupt(w, why);
		return false;
	case LG_VALUE_STALE:
		mine = version_table_get(&w->seen, w->key_index);
		metric_inc(w->t->e->c->m_integrity[LG_INTEGRITY_STALE]);
		if (lg_log_integrity_now())
			log_warn("stale value for %s on %s: version %llu, "
			    "wrote %llu", w->key, w->srv->cfg->name,
			    (unsigned long long)version,
			    (unsigned long long)mine);
		break;
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

void
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

/* Breaker, latency, counters, then the worker's next step. `reached`:
 * the request was on its way to the server (breaker outcome, latency). */
static void
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
		size_t size = lg_pick_value_size(o, &w->rng);
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
	w->op = lg_pick_op(e->opt->ratio, e->weight_sum, &w->rng);
	w->key_index = lg_pick_key(&w->rng, e->opt->keys);
	w->keylen = lg_format_key(w->key, e->prefix, e->prefix_len,
	    w->key_index);
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

void
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

/* Starts the ready workers' operations, then writes every connection that
 * has requests to send: pipelined requests share one sendmsg. */
void
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

void
on_tick(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	flush_counts(arg);
}

/* Stop: nothing new starts; the operations in flight finish. */
void
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

void *
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

/* conn.c's way back to the workers (a call through the engine's hooks,
 * so that the connection layer sits below this one). */
void
op_failed(struct worker *w, enum lg_err_kind kind, uint64_t end_ns)
{
	op_done(w, false, kind, true, end_ns);
}
