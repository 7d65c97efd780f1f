/* Each thread's pools and connections: a connection is taken from the
 * thread's pool for its server (or shared, pipelined), connected without
 * blocking, written with one send for what is queued, and read into the
 * thread's buffer and parsed (mcproto.c) reply by reply, each reply going
 * to the oldest request in flight. A connection that errs, times out or
 * breaks the protocol is closed with every request on it failed; a fresh
 * one replaces it on demand. See engine.h. */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "engine_int.h"
#include "log.h"
#include "util.h"

static int conn_connect(struct conn *c);

/* Protocol errors are counted always, logged sparingly: a rogue server
 * could otherwise flood the log. */
static bool
log_now(void)
{
	static atomic_uint n;
	unsigned k = atomic_fetch_add_explicit(&n, 1, memory_order_relaxed);

	return k < 20 || k % 1000 == 0;
}

void
kick(struct lg_thread *t)
{
	if (!t->kicked) {
		t->kicked = true;
		event_active(t->kick, EV_READ, 1);
	}
}


const char *
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

/* ---- Connections. ---- */

static char *
conn_grow(void *arg, size_t len)
{
	struct conn *c = arg;
	char *p;

	if (len <= c->bigcap)
		return c->big;
	if (len > LG_MAX_VALUE)
		return NULL;  /* no client writes that much: not a value */
	p = realloc(c->big, len);
	if (p == NULL) {
		log_warn("no memory for a value of %zu bytes", len);
		return NULL;
	}
	c->big = p;
	c->bigcap = len;
	return p;
}

void *
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
	mcp_parser_init(&c->parser);
	mcp_parser_set_grow(&c->parser, conn_grow, c);
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

void
conn_destroy(void *arg, void *conn)
{
	struct conn *c = conn;

	(void)arg;
	conn_close(c);
	free(c->ring);
	free(c->big);
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
		ts->t->e->hooks.grant(w, c);
	}
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
		ts->t->e->hooks.grant(w, c);
		return;
	}
	conn_unlink(c);
	c->out = false;
	pool_release(&ts->pool, c, false);
}

/* Fails every request in flight on the connection and closes it; a fresh
 * one replaces it on demand. Never called from inside its own parse loop
 * while that loop still needs it. */
void
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
		ts->t->e->hooks.fail(w, kind, end);
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

/* Sends what is pending: one send for every request queued since the
 * last one (several when pipelined). */
void
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
	/* Socket calls, not writev/read: they skip the file layer (its
	 * position lock and iovec import), about 3 % of the loop's CPU. One
	 * request (the usual case) needs no iovec at all. */
	if (niov == 1) {
		n = send(c->fd, iov[0].iov_base, iov[0].iov_len, MSG_NOSIGNAL);
	} else {
		struct msghdr mh = { .msg_iov = iov, .msg_iovlen = (size_t)niov };
		n = sendmsg(c->fd, &mh, MSG_NOSIGNAL);
	}
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
	ssize_t n;
	size_t pos = 0;
	uint64_t end = 0;

	(void)what;
	n = recv(fd, t->rbuf, READ_BUF, 0);
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
		/* One clock read for the replies of one read. */
		if (end == 0)
			end = now_mono_ns();
		if (!t->e->hooks.reply(w, &c->parser.reply, end))
			c->retire = true;
		parser_for_head(c);
	}
	if (why) {
		if (log_now())
			log_warn("server %s: %s", c->ts->srv->cfg->name, why);
		conn_break(c, LG_ERR_SERVER, why);
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
		t->e->hooks.grant(w, c);
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

struct conn *
conn_acquire(struct tsrv *ts, bool *wait)
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

/* Queues the request; a closed connection connects first. */
void
conn_submit(struct conn *c, struct worker *w)
{
	c->ring[(c->head + c->n) % c->ts->t->e->opt->pipeline] = w;
	c->n++;
	if (c->n == 1)
		parser_for_head(c);
	if (c->state == CONN_CLOSED && conn_connect(c) != 0) {
		conn_break(c, LG_ERR_CONNECTION, "connect failed");
		return;
	}
	if (c->state == CONN_READY)
		mark_dirty(c);
}
