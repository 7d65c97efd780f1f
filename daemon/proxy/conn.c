/* The proxies' connections: two sockets, a toxic chain each way, the
 * half-close of each direction, backpressure and the timer that runs
 * the chains. On the proxy's own loop thread (pxloop.h): a connection
 * is its proxy's alone, so nothing here takes a lock; only the count
 * over every proxy (set->nconns) is shared, as an atomic. */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/listener.h>

#include "log.h"
#include "metrics.h"
#include "pipe.h"
#include "proxy_int.h"
#include "util.h"

enum side_id {
	SIDE_CLIENT,
	SIDE_SERVER,
};

/* One direction's half-close: the source's EOF goes through the toxic
 * chain like data, and comes out as shutdown(SHUT_WR) on the other side
 * once what came before it is written. A limit_data toxic may instead
 * close the whole connection once its last bytes are out. */
enum dir_state {
	DIR_OPEN,    /* bytes flow from the source */
	DIR_EOF_IN,  /* the source half-closed; its EOF is in the chain */
	DIR_EOF_OUT, /* the EOF came out: shutdown once the output is out */
	DIR_SHUT,    /* passed on with shutdown(SHUT_WR) */
	DIR_CLOSING, /* limit_data: close the connection once flushed */
};

struct dir {
	struct pipe pipe;
	struct conn *c;
	enum toxic_stream stream;
	enum dir_state state; /* dir_set_state() alone writes it */
};

enum conn_state {
	CONN_CONNECTING,
	CONN_OPEN,
};

/* One socket of a connection. Reads are level-triggered; bytes for it
 * are written at once, and only what the kernel does not take waits in
 * `out` with the write event armed (so an idle flow costs no epoll_ctl). */
struct side {
	struct conn *c;
	enum side_id id;
	int fd;
	struct event *rev, *wev;
	struct evbuffer *out;
	bool reading, writing;
};

struct conn {
	TAILQ_ENTRY(conn) link;
	struct proxy *px;
	struct side s[2]; /* by enum side_id */
	struct dir d[STREAM_COUNT];
	struct event *timer;
	enum conn_state state;
};

static void conn_settle(struct conn *c);

static const char *
dir_state_text(enum dir_state st)
{
	switch (st) {
	case DIR_OPEN:
		return "open";
	case DIR_EOF_IN:
		return "eof-in";
	case DIR_EOF_OUT:
		return "eof-out";
	case DIR_SHUT:
		return "shut";
	case DIR_CLOSING:
		return "closing";
	}
	return "unknown";
}

static const char *
conn_state_text(enum conn_state st)
{
	switch (st) {
	case CONN_CONNECTING:
		return "connecting";
	case CONN_OPEN:
		return "open";
	}
	return "unknown";
}

static void
conn_set_state(struct conn *c, enum conn_state st)
{
	log_debug("%s: connection %s -> %s", c->px->spec.name,
	    conn_state_text(c->state), conn_state_text(st));
	c->state = st;
}

static enum side_id
src_side(enum toxic_stream s)
{
	return s == STREAM_UPSTREAM ? SIDE_CLIENT : SIDE_SERVER;
}

static enum side_id
dst_side(enum toxic_stream s)
{
	return s == STREAM_UPSTREAM ? SIDE_SERVER : SIDE_CLIENT;
}

/* --- connections --- */

static void
conn_destroy(struct conn *c, bool reset)
{
	struct proxy *px = c->px;

	for (int i = 0; i < 2; i++) {
		struct side *sd = &c->s[i];

		if (sd->rev)
			event_free(sd->rev);
		if (sd->wev)
			event_free(sd->wev);
		if (sd->out)
			evbuffer_free(sd->out);
		if (sd->fd < 0)
			continue;
		if (reset) {
			/* A zero linger makes close() send RST. */
			struct linger lg = { .l_onoff = 1, .l_linger = 0 };

			(void)setsockopt(sd->fd, SOL_SOCKET, SO_LINGER, &lg,
			    sizeof(lg));
		}
		close(sd->fd);
	}
	for (int d = 0; d < STREAM_COUNT; d++)
		pipe_free(&c->d[d].pipe);
	if (c->timer)
		event_free(c->timer);
	TAILQ_REMOVE(&px->conns, c, link);
	atomic_fetch_sub(&px->set->nconns, 1);
	metric_add(px->m_conns, -1);
	free(c);
}

static void
side_want_write(struct side *sd, bool on)
{
	if (on && !sd->writing)
		sd->writing = event_add(sd->wev, NULL) == 0;
	else if (!on && sd->writing) {
		event_del(sd->wev);
		sd->writing = false;
	}
}

static void
side_want_read(struct side *sd, bool on)
{
	if (on && !sd->reading)
		sd->reading = event_add(sd->rev, NULL) == 0;
	else if (!on && sd->reading) {
		event_del(sd->rev);
		sd->reading = false;
	}
}

/* Bytes for a side: written now when nothing waits before them, the
 * rest kept. 0, or -1 when the socket failed or memory ran out. */
static int
side_send(struct side *sd, const void *buf, size_t len)
{
	size_t done = 0;

	if (sd->c->state == CONN_OPEN && evbuffer_get_length(sd->out) == 0) {
		ssize_t n = send(sd->fd, buf, len, MSG_NOSIGNAL);

		if (n < 0 && errno != EAGAIN && errno != EINTR) {
			log_debug("%s: send: %s", sd->c->px->spec.name,
			    strerror(errno));
			return -1;
		}
		done = n > 0 ? (size_t)n : 0;
	}
	if (done < len) {
		if (evbuffer_add(sd->out, (const char *)buf + done,
			len - done) < 0) {
			log_warn("%s: no memory for %zu bytes",
			    sd->c->px->spec.name, len - done);
			return -1;
		}
		if (sd->c->state == CONN_OPEN)
			side_want_write(sd, true);
	}
	return 0;
}

static int
dir_data(void *ctx, const void *buf, size_t len)
{
	struct dir *d = ctx;
	struct conn *c = d->c;

	if (side_send(&c->s[dst_side(d->stream)], buf, len) < 0)
		return -1;
	metric_add(c->px->m_bytes[d->stream], (double)len);
	return 0;
}

static void side_want_read(struct side *sd, bool on);

static void
dir_set_state(struct dir *d, enum dir_state st)
{
	if (d->state == st)
		return;
	log_debug("%s: %s %s -> %s", d->c->px->spec.name,
	    toxic_stream_text(d->stream), dir_state_text(d->state),
	    dir_state_text(st));
	/* Once the source is done, or the connection is to close, nothing
	 * more is read from it. */
	if (d->state == DIR_OPEN)
		side_want_read(&d->c->s[src_side(d->stream)], false);
	d->state = st;
}

/* The toxic chain passed the source's EOF on. */
static void
dir_eof(void *ctx)
{
	struct dir *d = ctx;

	if (d->state == DIR_EOF_IN)
		dir_set_state(d, DIR_EOF_OUT);
}

/* limit_data: the connection closes once this is written. */
static void
dir_close(void *ctx)
{
	struct dir *d = ctx;

	if (d->state != DIR_SHUT)
		dir_set_state(d, DIR_CLOSING);
}

static const struct pipe_ops dir_ops = {
	.data = dir_data,
	.eof = dir_eof,
	.close = dir_close,
};

static void
conn_src_eof(struct conn *c, enum toxic_stream s)
{
	struct dir *d = &c->d[s];

	if (d->state != DIR_OPEN)
		return;
	if (pipe_idle(&d->pipe)) {
		dir_set_state(d, DIR_EOF_OUT);
		return;
	}
	dir_set_state(d, DIR_EOF_IN);
	if (pipe_push_eof(&d->pipe, now_mono_ns()) < 0)
		d->pipe.failed = true;
}

static void
side_read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct side *sd = arg;
	struct conn *c = sd->c;
	enum toxic_stream s = sd->id == SIDE_CLIENT ? STREAM_UPSTREAM
						    : STREAM_DOWNSTREAM;
	struct dir *d = &c->d[s];
	unsigned char buf[PROXY_CHUNK];
	ssize_t n = recv(fd, buf, sizeof(buf), 0);

	if (n < 0) {
		if (errno == EAGAIN || errno == EINTR)
			return;
		log_debug("%s: %s side: %s", c->px->spec.name,
		    sd->id == SIDE_CLIENT ? "client" : "upstream",
		    strerror(errno));
		conn_destroy(c, false);
		return;
	}
	if (n == 0)
		conn_src_eof(c, s);
	else if (pipe_idle(&d->pipe)) {
		if (dir_data(d, buf, (size_t)n) < 0) {
			conn_destroy(c, false);
			return;
		}
	} else if (pipe_push(&d->pipe, buf, (size_t)n, now_mono_ns()) < 0)
		d->pipe.failed = true;
	conn_settle(c);
}

static void
side_write_cb(evutil_socket_t fd, short what, void *arg)
{
	struct side *sd = arg;
	struct conn *c = sd->c;

	if (c->state == CONN_CONNECTING) {
		int err = 0;
		socklen_t len = sizeof(err);

		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
			err = errno;
		if (err != 0) {
			log_debug("%s: connect to %s: %s", c->px->spec.name,
			    c->px->spec.upstream, strerror(err));
			conn_destroy(c, false);
			return;
		}
		conn_set_state(c, CONN_OPEN);
		/* The client may have sent (or have data due) meanwhile. */
		if (evbuffer_get_length(c->s[SIDE_CLIENT].out) > 0)
			side_want_write(&c->s[SIDE_CLIENT], true);
	}
	if (evbuffer_get_length(sd->out) > 0 &&
	    evbuffer_write(sd->out, fd) < 0 && errno != EAGAIN &&
	    errno != EINTR) {
		log_debug("%s: write: %s", c->px->spec.name, strerror(errno));
		conn_destroy(c, false);
		return;
	}
	if (evbuffer_get_length(sd->out) == 0)
		side_want_write(sd, false);
	conn_settle(c);
}

static void
conn_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	conn_settle(arg);
}

/* After anything happened: moves due data, acts on closes, applies
 * backpressure and arms the timer. May free c. */
static void
conn_settle(struct conn *c)
{
	uint64_t now = now_mono_ns(), next = PIPE_NEVER;

	for (int s = 0; s < STREAM_COUNT; s++) {
		struct pipe *p = &c->d[s].pipe;
		uint64_t t = pipe_run(p, now);

		if (t < next)
			next = t;
		if (p->failed) {
			conn_destroy(c, false);
			return;
		}
		if (p->action != PIPE_ACT_NONE) {
			log_debug("%s: toxic action %s", c->px->spec.name,
			    pipe_action_text(p->action));
			conn_destroy(c, p->action == PIPE_ACT_RESET);
			return;
		}
	}
	for (int s = 0; s < STREAM_COUNT; s++) {
		struct dir *d = &c->d[s];
		struct side *dst = &c->s[dst_side((enum toxic_stream)s)];

		if (c->state != CONN_OPEN || evbuffer_get_length(dst->out) > 0)
			continue;
		if (d->state == DIR_CLOSING) {
			conn_destroy(c, false);
			return;
		}
		if (d->state == DIR_EOF_OUT) {
			(void)shutdown(dst->fd, SHUT_WR);
			dir_set_state(d, DIR_SHUT);
		}
	}
	if (c->d[0].state == DIR_SHUT && c->d[1].state == DIR_SHUT) {
		conn_destroy(c, false);
		return;
	}
	for (int s = 0; s < STREAM_COUNT; s++) {
		struct dir *d = &c->d[s];
		struct side *dst = &c->s[dst_side((enum toxic_stream)s)];
		size_t held = d->pipe.queued + evbuffer_get_length(dst->out);

		if (d->state == DIR_OPEN)
			side_want_read(&c->s[src_side((enum toxic_stream)s)],
			    held < PROXY_HIGH_WATER);
	}
	if (next == PIPE_NEVER) {
		evtimer_del(c->timer);
	} else {
		uint64_t dt = next > now ? next - now : 0;
		struct timeval tv = { .tv_sec = (time_t)(dt / 1000000000),
			.tv_usec = (suseconds_t)(dt % 1000000000 / 1000) };

		/* Round up so the timer never fires just before the due. */
		if (dt % 1000)
			tv.tv_usec++;
		if (tv.tv_usec >= 1000000) {
			tv.tv_sec++;
			tv.tv_usec -= 1000000;
		}
		evtimer_add(c->timer, &tv);
	}
}

static void
set_nodelay(int fd)
{
	int one = 1;

	/* Small memcache requests must not wait for Nagle. */
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

static int
side_init(struct conn *c, enum side_id id, int fd)
{
	struct side *sd = &c->s[id];
	struct event_base *base = c->px->base;

	sd->c = c;
	sd->id = id;
	sd->fd = fd;
	set_nodelay(fd);
	sd->rev = event_new(base, fd, EV_READ | EV_PERSIST, side_read_cb, sd);
	sd->wev = event_new(base, fd, EV_WRITE | EV_PERSIST, side_write_cb,
	    sd);
	sd->out = evbuffer_new();
	if (sd->rev == NULL || sd->wev == NULL || sd->out == NULL) {
		log_error("%s: no memory for a connection", c->px->spec.name);
		return -1;
	}
	return 0;
}

void
conn_accept_cb(struct evconnlistener *lev, evutil_socket_t fd,
    struct sockaddr *sa, int salen, void *arg)
{
	struct proxy *px = arg;
	struct proxy_set *set = px->set;
	struct conn *c;
	int sfd;
	uint64_t now = now_mono_ns();
	/* Counted before it exists: the proxies' threads accept at once. */
	size_t nopen = atomic_fetch_add(&set->nconns, 1);

	if (nopen >= set->max_conns) {
		atomic_fetch_sub(&set->nconns, 1);
		log_warn("%s: %zu connections open, refusing one",
		    px->spec.name, nopen);
		close(fd);
		return;
	}
	c = calloc(1, sizeof(*c));
	if (c == NULL) {
		atomic_fetch_sub(&set->nconns, 1);
		log_error("%s: no memory for a connection", px->spec.name);
		close(fd);
		return;
	}
	c->px = px;
	c->state = CONN_CONNECTING; /* the first; conn_set_state from here */
	c->s[SIDE_CLIENT].fd = c->s[SIDE_SERVER].fd = -1;
	TAILQ_INSERT_TAIL(&px->conns, c, link);
	metric_add(px->m_conns, 1);
	metric_inc(px->m_conns_total);
	for (int s = 0; s < STREAM_COUNT; s++) {
		c->d[s].c = c;
		c->d[s].stream = (enum toxic_stream)s;
		c->d[s].state = DIR_OPEN; /* the first; dir_set_state from here */
		pipe_init(&c->d[s].pipe, &px->rng, &dir_ops, &c->d[s]);
	}
	if (side_init(c, SIDE_CLIENT, fd) < 0)
		goto fail;
	sfd = socket(px->up.ss_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0);
	if (sfd < 0) {
		log_warn("%s: socket: %s", px->spec.name, strerror(errno));
		goto fail;
	}
	if (side_init(c, SIDE_SERVER, sfd) < 0)
		goto fail;
	c->timer = evtimer_new(px->base, conn_timer_cb, c);
	if (c->timer == NULL)
		goto fail;
	for (size_t i = 0; i < px->ntx; i++) {
		struct toxic *t = px->tx[i];

		if (pipe_add(&c->d[t->spec.stream].pipe, &t->spec, now) < 0)
			goto fail;
	}
	if (connect(sfd, (struct sockaddr *)&px->up, px->uplen) == 0)
		conn_set_state(c, CONN_OPEN);
	else if (errno == EINPROGRESS)
		side_want_write(&c->s[SIDE_SERVER], true);
	else {
		log_debug("%s: connect to %s: %s", px->spec.name,
		    px->spec.upstream, strerror(errno));
		goto fail;
	}
	side_want_read(&c->s[SIDE_CLIENT], true);
	side_want_read(&c->s[SIDE_SERVER], true);
	conn_settle(c);
	return;
fail:
	conn_destroy(c, false);
}

void
conns_close(struct proxy *px)
{
	struct conn *c;

	while ((c = TAILQ_FIRST(&px->conns)) != NULL)
		conn_destroy(c, false);
}

void
conns_toxic_add(struct proxy *px, const struct toxic_spec *spec)
{
	struct conn *c, *tmp;
	uint64_t now = now_mono_ns();

	TAILQ_FOREACH_SAFE(c, &px->conns, link, tmp) {
		if (pipe_add(&c->d[spec->stream].pipe, spec, now) < 0) {
			conn_destroy(c, false);
			continue;
		}
		conn_settle(c);
	}
}

void
conns_toxic_update(struct proxy *px, const struct toxic_spec *spec)
{
	struct conn *c, *tmp;
	uint64_t now = now_mono_ns();

	TAILQ_FOREACH_SAFE(c, &px->conns, link, tmp) {
		pipe_update(&c->d[spec->stream].pipe, spec, now);
		conn_settle(c);
	}
}

void
conns_toxic_remove(struct proxy *px, const struct toxic_spec *spec)
{
	struct conn *c, *tmp;
	uint64_t now = now_mono_ns();

	TAILQ_FOREACH_SAFE(c, &px->conns, link, tmp) {
		pipe_remove(&c->d[spec->stream].pipe, spec, now);
		/* An EOF that was held is now the chain's output. */
		conn_settle(c);
	}
}
