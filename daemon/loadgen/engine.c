/* Worker threads, their event loops and the per-operation path; see
 * engine.h. */
#include "engine.h"

#include <errno.h>
#include <event2/event.h>
#include <math.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "integrity.h"
#include "log.h"
#include "mcproto.h"
#include "queue.h"
#include "rng.h"
#include "util.h"

#define READ_BUF (64 * 1024)
#define IOV_BATCH 48            /* iovecs per writev: 3 per set */
#define TICK_MS 10              /* local counts reach the metrics */
#define FALLBACK_FLOOR_NS 50000ull
#define FALLBACK_INITIAL_NS 1000000ull
#define FALLBACK_CREDIT_MIN_NS 2000000ull
/* A worker remembers its writes in a table of at most this many bytes in
 * all: 4096 workers must stay cheap. */
#define VERSION_BUDGET_SLOTS (1u << 20)

struct lg_thread;
struct tsrv;
struct conn;

enum worker_state {
	W_READY,        /* on the ready list: starts an operation next turn */
	W_FREE,         /* open loop: no arrival to take */
	W_WAIT_CONN,    /* waiting for a pooled connection */
	W_IN_FLIGHT,    /* its request is on a connection */
	W_FALLBACK,     /* after a failure: the application's fallback */
	W_STOPPED,      /* stopping: starts nothing more */
};

static const char *
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

struct worker {
	unsigned id;
	struct lg_thread *t;
	enum worker_state state;
	TAILQ_ENTRY(worker) link;   /* ready, free or waiters list */
	struct event *timer;        /* op timeout, pool wait or fallback */
	uint64_t rng;
	uint64_t writer;            /* run nonce << 16 | id */
	uint64_t version;           /* of this worker's last write or delete */
	struct version_table seen;
	char *value;                /* value_max bytes: sent, or read back */

	/* The operation. */
	enum lg_op op;
	uint64_t key_index;
	char key[LG_PREFIX_MAX + 24];
	size_t keylen;
	struct lg_srv *srv;
	struct tsrv *ts;
	struct breaker_ticket ticket;
	uint64_t start_ns;          /* latency origin (scheduled, open loop) */
	uint64_t issue_ns;          /* when it really started */
	uint64_t fb_due;            /* fallback: when it should end */
	uint64_t fb_late;           /* fallback time owed: earlier waits
	                             * ended late (timer, scheduler) */
	struct conn *conn;
	char req[MCP_REQ_MAX];
	size_t reqlen;
	size_t vlen;                /* set: value bytes */
};

enum conn_state {
	CONN_CLOSED,        /* no socket yet */
	CONN_CONNECTING,
	CONN_READY,
};

static const char *
conn_state_text(enum conn_state s)
{
	switch (s) {
	case CONN_CLOSED:
		return "closed";
	case CONN_CONNECTING:
		return "connecting";
	case CONN_READY:
		return "ready";
	}
	return "unknown";
}

/* One connection of a thread's pool. Only its thread touches it. */
struct conn {
	struct tsrv *ts;
	enum conn_state state;
	int fd;
	struct event *rev, *wev;
	bool out;       /* taken from the pool */
	bool retire;    /* close once its requests are answered */
	bool dirty;     /* on the thread's list of connections to write */
	TAILQ_ENTRY(conn) dirty_link;
	TAILQ_ENTRY(conn) shared_link;  /* out, with room (pipeline > 1) */
	/* Requests in flight, oldest first: ring[(head + i) % cap]. The
	 * first nsent are fully sent, the next one sent_off bytes of it. */
	struct worker **ring;
	unsigned head, n, nsent;
	size_t sent_off;
	struct mcp_parser parser;
};

/* A thread's share of one server: its pool and who waits for it. */
struct tsrv {
	struct lg_thread *t;
	struct lg_srv *srv;
	struct pool pool;
	bool pool_ok;
	unsigned epoch;             /* srv->flush_epoch seen */
	TAILQ_HEAD(, worker) waiters;
	TAILQ_HEAD(, conn) shared;
};

TAILQ_HEAD(worker_list, worker);

struct lg_thread {
	struct lg_engine *e;
	unsigned index;
	pthread_t tid;
	bool started;
	struct event_base *base;
	struct event *kick, *stop_ev, *tick, *arrival;
	int efd;
	bool kicked, draining;
	const struct timeval *tv_op, *tv_pool;
	struct worker **w;
	size_t nw;
	struct worker_list ready, free;
	TAILQ_HEAD(, conn) dirty;
	struct tsrv *ts;            /* one per server */
	size_t inflight;            /* workers in W_IN_FLIGHT */
	uint64_t ok[LG_NOPS];       /* successes not yet in the counters */
	uint64_t dropped;           /* arrivals, not yet in the counter */
	double fallback_ns;         /* EWMA of successful operations */
	uint64_t next_k;            /* open loop: next arrival of this thread */
	char *rbuf;
};

struct lg_engine {
	struct lg_client *c;
	const struct lg_options *opt;
	bool open_loop;
	uint64_t t0_ns;             /* open loop: schedule origin */
	double interval_ns;         /* open loop: between two arrivals */
	struct worker *workers;
	struct lg_thread *threads;
	unsigned nthreads;
	_Atomic uint8_t *key_server;  /* key index -> server + 1 */
	const char *prefix;
	size_t prefix_len;
	unsigned weight_sum;
	struct addrinfo *addr[LG_MAX_SERVERS];
};

static void kick(struct lg_thread *t);
static void conn_break(struct conn *c, enum lg_err_kind kind,
    const char *why);
static void op_send(struct worker *w, struct conn *c);
static void serve_waiters(struct tsrv *ts);

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
static bool
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
		corrupt(w, "longer than any value written");
		return false;
	}
	if (r->keylen != w->keylen || memcmp(r->key, w->key, w->keylen)) {
		corrupt(w, "a value for another key");
		return false;
	}
	ir = integrity_decode(w->value, r->len, w->key, w->keylen, &info);
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

/* The backlog holds at most as many arrivals as the thread has workers;
 * older ones are dropped, counted, never silently skipped. */
static void
drop_overflow(struct lg_thread *t, uint64_t now)
{
	uint64_t due = due_count(t, now);

	if (due > t->next_k + t->nw) {
		t->dropped += due - t->nw - t->next_k;
		t->next_k = due - t->nw;
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

/* ---- Connections. ---- */

static void *
conn_create(void *arg)
{
	struct tsrv *ts = arg;
	struct conn *c = calloc(1, sizeof(*c));

	if (c == NULL) {
		log_error("no memory");
		return NULL;
	}
	c->ring = calloc(ts->t->e->opt->pipeline, sizeof(*c->ring));
	if (c->ring == NULL) {
		log_error("no memory");
		free(c);
		return NULL;
	}
	c->ts = ts;
	c->fd = -1;
	c->state = CONN_CLOSED;
	return c;
}

static void
conn_close(struct conn *c)
{
	if (c->rev) {
		event_free(c->rev);
		c->rev = NULL;
	}
	if (c->wev) {
		event_free(c->wev);
		c->wev = NULL;
	}
	if (c->fd >= 0) {
		close(c->fd);
		c->fd = -1;
	}
	c->state = CONN_CLOSED;
}

static void
conn_destroy(void *arg, void *conn)
{
	struct conn *c = conn;

	(void)arg;
	conn_close(c);
	free(c->ring);
	free(c);
}

static void
mark_dirty(struct conn *c)
{
	if (!c->dirty) {
		c->dirty = true;
		TAILQ_INSERT_TAIL(&c->ts->t->dirty, c, dirty_link);
	}
	kick(c->ts->t);
}

static struct worker *
ring_at(const struct conn *c, unsigned i)
{
	return c->ring[(c->head + i) % c->ts->t->e->opt->pipeline];
}

static void
parser_for_head(struct conn *c)
{
	struct worker *w;

	if (c->n == 0)
		return;
	w = ring_at(c, 0);
	mcp_parser_start(&c->parser, w->op == LG_OP_GET ? MCP_REQ_GET :
	    w->op == LG_OP_SET ? MCP_REQ_SET : MCP_REQ_DELETE, w->value,
	    w->t->e->opt->value_max);
}

/* Takes the connection off the thread's lists (before it goes). */
static void
conn_unlink(struct conn *c)
{
	struct tsrv *ts = c->ts;

	if (c->dirty) {
		TAILQ_REMOVE(&ts->t->dirty, c, dirty_link);
		c->dirty = false;
	}
	if (c->out && ts->t->e->opt->pipeline > 1)
		TAILQ_REMOVE(&ts->shared, c, shared_link);
}

/* A connection with no request in flight goes back to the pool, or to the
 * first worker waiting for one; a retired one is closed. */
static void
conn_idle(struct conn *c)
{
	struct tsrv *ts = c->ts;
	struct worker *w;

	if (c->retire || c->state != CONN_READY) {
		conn_unlink(c);
		c->out = false;
		pool_release(&ts->pool, c, true);
		serve_waiters(ts);
		return;
	}
	if ((w = TAILQ_FIRST(&ts->waiters)) != NULL) {
		TAILQ_REMOVE(&ts->waiters, w, link);
		evtimer_del(w->timer);
		op_send(w, c);
		return;
	}
	conn_unlink(c);
	c->out = false;
	pool_release(&ts->pool, c, false);
}

/* Fails every request in flight on the connection and closes it; a fresh
 * one replaces it on demand. Never called from inside its own parse loop
 * while that loop still needs it. */
static void
conn_break(struct conn *c, enum lg_err_kind kind, const char *why)
{
	struct tsrv *ts = c->ts;
	uint64_t end = now_mono_ns();

	log_debug("server %s: connection %s: %s (%s, %u in flight)",
	    ts->srv->cfg->name, conn_state_text(c->state), why,
	    lg_err_kind_text(kind), c->n);
	conn_close(c);
	while (c->n > 0) {
		struct worker *w = ring_at(c, 0);
		c->head = (c->head + 1) % ts->t->e->opt->pipeline;
		c->n--;
		evtimer_del(w->timer);
		w->conn = NULL;
		op_done(w, false, kind, true, end);
	}
	c->nsent = 0;
	c->sent_off = 0;
	conn_unlink(c);
	if (c->out) {
		c->out = false;
		pool_release(&ts->pool, c, true);
	} else {
		pool_discard_idle(&ts->pool, c);
	}
	serve_waiters(ts);
}

/* Sends what is pending: one writev for every request queued since the
 * last one (several when pipelined). */
static void
conn_flush(struct conn *c)
{
	struct iovec iov[IOV_BATCH];
	int niov = 0;
	size_t skip = c->sent_off;
	ssize_t n;

	if (c->state != CONN_READY || c->nsent == c->n)
		return;
	for (unsigned i = c->nsent; i < c->n && niov + 3 <= IOV_BATCH; i++) {
		struct worker *w = ring_at(c, i);
		struct iovec part[3] = {
			{ w->req, w->reqlen },
			{ w->value, w->vlen },
			{ (char *)"\r\n", 2 },
		};
		int np = w->op == LG_OP_SET ? 3 : 1;
		for (int k = 0; k < np; k++) {
			if (skip >= part[k].iov_len) {
				skip -= part[k].iov_len;
				continue;
			}
			iov[niov].iov_base = (char *)part[k].iov_base + skip;
			iov[niov].iov_len = part[k].iov_len - skip;
			skip = 0;
			niov++;
		}
	}
	n = writev(c->fd, iov, niov);
	if (n < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
			event_add(c->wev, NULL);
			return;
		}
		conn_break(c, LG_ERR_CONNECTION, strerror(errno));
		return;
	}
	/* Advance over what went. */
	size_t left = (size_t)n + c->sent_off;
	while (c->nsent < c->n) {
		struct worker *w = ring_at(c, c->nsent);
		size_t len = w->reqlen + (w->op == LG_OP_SET ? w->vlen + 2 : 0);
		if (left < len) {
			c->sent_off = left;
			break;
		}
		left -= len;
		c->sent_off = 0;
		c->nsent++;
	}
	if (c->nsent < c->n)
		event_add(c->wev, NULL);
}

static void
on_writable(evutil_socket_t fd, short what, void *arg)
{
	struct conn *c = arg;
	int err = 0;
	socklen_t len = sizeof(err);

	(void)what;
	if (c->state == CONN_CONNECTING) {
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0)
			err = errno;
		if (err != 0) {
			conn_break(c, LG_ERR_CONNECTION, strerror(err));
			return;
		}
		c->state = CONN_READY;
		event_add(c->rev, NULL);
	}
	conn_flush(c);
}

static void
on_readable(evutil_socket_t fd, short what, void *arg)
{
	struct conn *c = arg;
	struct lg_thread *t = c->ts->t;
	const char *why = NULL;
	enum lg_err_kind kind = LG_ERR_SERVER;
	ssize_t n;
	size_t pos = 0;

	(void)what;
	n = read(fd, t->rbuf, READ_BUF);
	if (n < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
			return;
		conn_break(c, LG_ERR_CONNECTION, strerror(errno));
		return;
	}
	if (n == 0) {
		/* Closed mid-reply: a truncated reply (the server's fault);
		 * between replies: the connection's. */
		bool mid = c->n > 0 && (c->parser.state != MCP_ST_LINE ||
		    c->parser.linelen > 0);
		conn_break(c, mid ? LG_ERR_SERVER : LG_ERR_CONNECTION,
		    mid ? "closed in the middle of a reply" : "closed");
		return;
	}
	while (pos < (size_t)n) {
		size_t used;
		enum mcp_result r;
		struct worker *w;
		uint64_t end;

		if (c->n == 0) {
			why = "bytes nobody asked for";
			break;
		}
		r = mcp_parse(&c->parser, t->rbuf + pos, (size_t)n - pos,
		    &used);
		pos += used;
		if (r == MCP_MORE)
			break;
		if (r == MCP_BAD) {
			why = c->parser.reply.error;
			break;
		}
		/* A complete reply: its request's. */
		w = ring_at(c, 0);
		if (c->nsent == 0) {
			why = "a reply before its request was sent";
			break;
		}
		c->head = (c->head + 1) % t->e->opt->pipeline;
		c->n--;
		c->nsent--;
		evtimer_del(w->timer);
		w->conn = NULL;
		end = now_mono_ns();
		const struct mcp_reply *rep = &c->parser.reply;
		bool ok = false;
		switch (rep->kind) {
		case MCP_REPLY_VALUE:
			ok = true;  /* a value was read: the call succeeded */
			if (!check_value(w, rep))
				c->retire = true;
			break;
		case MCP_REPLY_MISS:
			ok = true;
			break;
		case MCP_REPLY_STORED:
			ok = true;
			version_table_put(&w->seen, w->key_index, w->version);
			break;
		case MCP_REPLY_DELETED:
		case MCP_REPLY_NOT_FOUND:
			if (w->op == LG_OP_DELETE) {
				/* Any value of ours older than this delete is
				 * stale now; a miss is a success. */
				ok = true;
				version_table_put(&w->seen, w->key_index,
				    ++w->version);
			}
			break;
		default:
			break;
		}
		if (!ok) {
			/* An error reply may leave a half-read request
			 * behind it: the connection goes. */
			c->retire = true;
			log_debug("%s %s on %s: %s", lg_op_text(w->op), w->key,
			    w->srv->cfg->name, mcp_reply_kind_text(rep->kind));
		}
		op_done(w, ok, LG_ERR_SERVER, true, end);
		parser_for_head(c);
	}
	if (why) {
		if (log_integrity_now())
			log_warn("server %s: %s", c->ts->srv->cfg->name, why);
		conn_break(c, kind, why);
		return;
	}
	if (c->n == 0 && c->out) {
		conn_idle(c);
		return;
	}
	/* Room freed on a pipelined connection: a waiter may have it. */
	while (c->out && !c->retire && c->n < t->e->opt->pipeline &&
	    !TAILQ_EMPTY(&c->ts->waiters)) {
		struct worker *w = TAILQ_FIRST(&c->ts->waiters);
		TAILQ_REMOVE(&c->ts->waiters, w, link);
		evtimer_del(w->timer);
		op_send(w, c);
	}
}

/* Opens the socket; 0, or -1 with the connection closed. */
static int
conn_connect(struct conn *c)
{
	struct tsrv *ts = c->ts;
	struct lg_thread *t = ts->t;
	const struct addrinfo *ai = t->e->addr[ts->srv - t->e->c->srv];
	int one = 1;

	c->fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, ai->ai_protocol);
	if (c->fd < 0) {
		log_debug("socket: %s", strerror(errno));
		return -1;
	}
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	c->rev = event_new(t->base, c->fd, EV_READ | EV_PERSIST, on_readable,
	    c);
	c->wev = event_new(t->base, c->fd, EV_WRITE, on_writable, c);
	if (c->rev == NULL || c->wev == NULL) {
		log_error("no memory");
		conn_close(c);
		return -1;
	}
	metric_inc(ts->srv->m_pool_created);
	if (connect(c->fd, ai->ai_addr, ai->ai_addrlen) == 0) {
		c->state = CONN_READY;
		event_add(c->rev, NULL);
		return 0;
	}
	if (errno != EINPROGRESS) {
		log_debug("server %s: connect: %s", ts->srv->cfg->name,
		    strerror(errno));
		conn_close(c);
		return -1;
	}
	c->state = CONN_CONNECTING;
	event_add(c->wev, NULL);
	return 0;
}

/* ---- A worker's operation. ---- */

static struct conn *
acquire(struct tsrv *ts, bool *wait)
{
	unsigned epoch = atomic_load_explicit(&ts->srv->flush_epoch,
	    memory_order_relaxed);
	unsigned pipeline = ts->t->e->opt->pipeline;
	struct conn *c, *best = NULL;
	void *p;
	bool created;
	enum pool_result r;

	*wait = false;
	if (epoch != ts->epoch) {
		ts->epoch = epoch;
		pool_flush_idle(&ts->pool);
	}
	/* FIFO: nobody overtakes a waiter. */
	if (TAILQ_EMPTY(&ts->waiters)) {
		r = pool_try_acquire(&ts->pool, &p, &created);
		if (r == POOL_OK) {
			c = p;
			c->out = true;
			if (pipeline > 1)
				TAILQ_INSERT_TAIL(&ts->shared, c, shared_link);
			return c;
		}
		if (r == POOL_CREATE_FAILED)
			return NULL;
	}
	/* Every connection is out: share the least busy, pipelined. */
	if (pipeline > 1) {
		TAILQ_FOREACH(c, &ts->shared, shared_link)
			if (!c->retire && c->n < pipeline &&
			    (best == NULL || c->n < best->n))
				best = c;
		if (best)
			return best;
	}
	*wait = true;
	return NULL;
}

/* Workers that wait while a pool place is free (a connection went). */
static void
serve_waiters(struct tsrv *ts)
{
	struct worker *w;
	void *p;
	bool created;

	while ((w = TAILQ_FIRST(&ts->waiters)) != NULL) {
		if (pool_try_acquire(&ts->pool, &p, &created) != POOL_OK)
			return;
		struct conn *c = p;
		c->out = true;
		if (ts->t->e->opt->pipeline > 1)
			TAILQ_INSERT_TAIL(&ts->shared, c, shared_link);
		TAILQ_REMOVE(&ts->waiters, w, link);
		evtimer_del(w->timer);
		op_send(w, c);
	}
}

/* Queues the worker's request on the connection, under its op timer. */
static void
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
	c->ring[(c->head + c->n) % o->pipeline] = w;
	c->n++;
	if (c->n == 1)
		parser_for_head(c);
	evtimer_add(w->timer, t->tv_op);
	if (c->state == CONN_CLOSED) {
		if (conn_connect(c) != 0) {
			conn_break(c, LG_ERR_CONNECTION, "connect failed");
			return;
		}
	}
	if (c->state == CONN_READY)
		mark_dirty(c);
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
	c = acquire(w->ts, &wait);
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

static void
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
	/* One thread per base: no locks inside libevent. Timers to the
	 * microsecond (timerfd), not the millisecond: the open loop's
	 * schedule and the fallback waits are often under a millisecond. */
	event_config_set_flag(cfg, EVENT_BASE_FLAG_NOLOCK);
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
	if (e->open_loop)
		e->interval_ns = 1e9 / opt->rate;
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
