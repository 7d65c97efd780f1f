/* Proxies, their listeners and connections, on the loop thread. */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/listener.h>

#include "addr.h"
#include "log.h"
#include "metrics.h"
#include "names.h"
#include "pipe.h"
#include "proxy.h"
#include "util.h"

enum side_id {
	SIDE_CLIENT,
	SIDE_SERVER,
};

struct toxic {
	struct toxic_spec spec;
};

struct conn;

struct dir {
	struct pipe pipe;
	struct conn *c;
	enum toxic_stream stream;
	bool src_eof;   /* the source side half-closed */
	bool eof_out;   /* that EOF came out of the chain */
	bool shut;      /* passed on with shutdown(SHUT_WR) */
	bool close_out; /* limit_data: close once the output is flushed */
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

struct proxy {
	TAILQ_ENTRY(proxy) link;
	struct proxy_set *set;
	struct proxy_spec spec;
	struct sockaddr_storage up;
	socklen_t uplen;
	struct evconnlistener *lev;
	/* The listen address as last resolved or bound, and the spec string
	 * it belongs to: binding that string again (re-enabling, /reset, a
	 * rollback) needs no resolver, and may come in a request that does
	 * not name it. */
	struct sockaddr_storage la;
	socklen_t lalen;
	char la_str[sizeof(((struct proxy_spec *)0)->listen)];
	struct event *retry; /* re-enables accept after EMFILE */
	struct toxic *tx[PROXY_TOXICS_MAX];
	size_t ntx;
	TAILQ_HEAD(, conn) conns;
	struct metric *m_conns, *m_conns_total, *m_bytes[STREAM_COUNT];
	struct metric *m_toxics, *m_enabled;
};

struct proxy_set {
	struct event_base *base;
	struct rng rng;
	TAILQ_HEAD(, proxy) proxies;
	size_t n;
	size_t nconns, max_conns;
	struct metric_family *f_conns, *f_conns_total, *f_bytes, *f_toxics;
	struct metric_family *f_enabled;
	/* The request being handled: its names, resolved off the loop
	 * (NULL before the loop runs, when resolving may block). */
	const struct names *names;
};

#ifndef TAILQ_FOREACH_SAFE
#define TAILQ_FOREACH_SAFE(var, head, field, tvar)                             \
	for ((var) = TAILQ_FIRST((head));                                      \
	     (var) && ((tvar) = TAILQ_NEXT((var), field), 1); (var) = (tvar))
#endif

static void conn_settle(struct conn *c);

const char *
proxy_state_text(enum proxy_state s)
{
	switch (s) {
	case PROXY_DISABLED:
		return "disabled";
	case PROXY_LISTENING:
		return "listening";
	}
	return "unknown";
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
	px->set->nconns--;
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

static void
dir_eof(void *ctx)
{
	((struct dir *)ctx)->eof_out = true;
}

static void
dir_close(void *ctx)
{
	((struct dir *)ctx)->close_out = true;
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

	if (d->src_eof)
		return;
	d->src_eof = true;
	side_want_read(&c->s[src_side(s)], false);
	if (pipe_idle(&d->pipe))
		d->eof_out = true;
	else if (pipe_push_eof(&d->pipe, now_mono_ns()) < 0)
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
		c->state = CONN_OPEN;
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
		if (d->close_out) {
			conn_destroy(c, false);
			return;
		}
		if (d->eof_out && !d->shut) {
			(void)shutdown(dst->fd, SHUT_WR);
			d->shut = true;
		}
	}
	if (c->d[0].shut && c->d[1].shut) {
		conn_destroy(c, false);
		return;
	}
	for (int s = 0; s < STREAM_COUNT; s++) {
		struct dir *d = &c->d[s];
		struct side *dst = &c->s[dst_side((enum toxic_stream)s)];
		size_t held = d->pipe.queued + evbuffer_get_length(dst->out);

		if (!d->src_eof)
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
	struct event_base *base = c->px->set->base;

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

static void
accept_cb(struct evconnlistener *lev, evutil_socket_t fd,
    struct sockaddr *sa, int salen, void *arg)
{
	struct proxy *px = arg;
	struct proxy_set *set = px->set;
	struct conn *c;
	int sfd;
	uint64_t now = now_mono_ns();

	if (set->nconns >= set->max_conns) {
		log_warn("%s: %zu connections open, refusing one",
		    px->spec.name, set->nconns);
		close(fd);
		return;
	}
	c = calloc(1, sizeof(*c));
	if (c == NULL) {
		log_error("%s: no memory for a connection", px->spec.name);
		close(fd);
		return;
	}
	c->px = px;
	c->state = CONN_CONNECTING;
	c->s[SIDE_CLIENT].fd = c->s[SIDE_SERVER].fd = -1;
	TAILQ_INSERT_TAIL(&px->conns, c, link);
	set->nconns++;
	metric_add(px->m_conns, 1);
	metric_inc(px->m_conns_total);
	for (int s = 0; s < STREAM_COUNT; s++) {
		c->d[s].c = c;
		c->d[s].stream = (enum toxic_stream)s;
		pipe_init(&c->d[s].pipe, &set->rng, &dir_ops, &c->d[s]);
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
	c->timer = evtimer_new(set->base, conn_timer_cb, c);
	if (c->timer == NULL)
		goto fail;
	for (size_t i = 0; i < px->ntx; i++) {
		struct toxic *t = px->tx[i];

		if (pipe_add(&c->d[t->spec.stream].pipe, &t->spec, now) < 0)
			goto fail;
	}
	if (connect(sfd, (struct sockaddr *)&px->up, px->uplen) == 0)
		c->state = CONN_OPEN;
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

static void
proxy_close_conns(struct proxy *px)
{
	struct conn *c;

	while ((c = TAILQ_FIRST(&px->conns)) != NULL)
		conn_destroy(c, false);
}

/* --- listeners --- */

static void
retry_cb(evutil_socket_t fd, short what, void *arg)
{
	struct proxy *px = arg;

	if (px->lev)
		evconnlistener_enable(px->lev);
}

static void
listener_error_cb(struct evconnlistener *lev, void *arg)
{
	struct proxy *px = arg;
	int e = EVUTIL_SOCKET_ERROR();
	struct timeval tv = { 0, 100000 };

	log_warn("%s: accept: %s", px->spec.name, strerror(e));
	/* Out of fds: pause accepting instead of spinning. */
	if (e == EMFILE || e == ENFILE || e == ENOBUFS || e == ENOMEM) {
		evconnlistener_disable(lev);
		evtimer_add(px->retry, &tv);
	}
}

static void
format_addr(const char *host, unsigned port, char *out, size_t size)
{
	if (strchr(host, ':'))
		snprintf(out, size, "[%s]:%u", host, port);
	else
		snprintf(out, size, "%s:%u", host, port);
}

/* `listen` as an address: the remembered one if it is that string,
 * else resolved (off the loop: names.h). 0, or -1 with a 400 in err. */
static int
listen_resolve(const struct proxy *px, const char *listen,
    struct hostport *hp, struct sockaddr_storage *ss, socklen_t *len,
    struct api_error *err)
{
	char e[256];

	*len = sizeof(*ss);
	if (hostport_parse(listen, hp, e, sizeof(e)) < 0)
		goto bad;
	if (px->lalen > 0 && strcmp(listen, px->la_str) == 0) {
		*ss = px->la;
		*len = px->lalen;
		return 0;
	}
	if (names_resolve(px->set->names, hp, ss, len, e, sizeof(e)) == 0)
		return 0;
bad:
	api_error_set(err, 400, "bad request body: listen: %s", e);
	return -1;
}

static void
listen_remember(struct proxy *px, const struct sockaddr_storage *ss,
    socklen_t len, const char *listen)
{
	px->la = *ss;
	px->lalen = len;
	strlcpy_r(px->la_str, listen, sizeof(px->la_str));
}

/* Binds `listen`; on success *actual gets "host:boundport". */
static struct evconnlistener *
proxy_bind(struct proxy *px, const char *listen, char *actual, size_t size,
    struct api_error *err)
{
	struct hostport hp;
	struct sockaddr_storage ss;
	socklen_t len;
	struct evconnlistener *lev;

	if (listen_resolve(px, listen, &hp, &ss, &len, err) < 0)
		return NULL;
	lev = evconnlistener_new_bind(px->set->base, accept_cb, px,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC | LEV_OPT_REUSEABLE,
	    1024, (struct sockaddr *)&ss, (int)len);
	if (lev == NULL) {
		api_error_set(err, 500, "listen tcp %s: %s", listen,
		    strerror(errno));
		log_warn("%s: %s", px->spec.name, err->msg);
		return NULL;
	}
	evconnlistener_set_error_cb(lev, listener_error_cb);
	len = sizeof(ss);
	if (getsockname(evconnlistener_get_fd(lev), (struct sockaddr *)&ss,
		&len) == 0) {
		unsigned port = ss.ss_family == AF_INET6
		    ? ntohs(((struct sockaddr_in6 *)&ss)->sin6_port)
		    : ntohs(((struct sockaddr_in *)&ss)->sin_port);

		format_addr(hp.host, port, actual, size);
	} else {
		strlcpy_r(actual, listen, size);
		len = 0; /* unknown port: resolve again next time */
	}
	if (len > 0)
		listen_remember(px, &ss, len, actual);
	return lev;
}

static int
resolve_upstream(const struct proxy_set *set, const char *upstream,
    struct sockaddr_storage *ss, socklen_t *len, struct api_error *err)
{
	struct hostport hp;
	char e[256];

	*len = sizeof(*ss);
	if (hostport_parse(upstream, &hp, e, sizeof(e)) < 0 ||
	    names_resolve(set->names, &hp, ss, len, e, sizeof(e)) < 0) {
		api_error_set(err, 400, "bad request body: upstream: %s", e);
		return -1;
	}
	return 0;
}

/* --- the set --- */

struct proxy_set *
proxy_set_new(struct event_base *base, uint64_t seed,
    struct metrics_registry *reg)
{
	struct proxy_set *set = calloc(1, sizeof(*set));
	struct rlimit rl;

	if (set == NULL) {
		log_error("no memory");
		return NULL;
	}
	set->base = base;
	set->rng.s = seed;
	TAILQ_INIT(&set->proxies);
	/* Two fds a connection; keep some for the API and metrics. */
	set->max_conns = 4096;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
		set->max_conns = rl.rlim_cur > 256 ? (rl.rlim_cur - 128) / 2 : 64;
	set->f_conns = metrics_gauge(reg, "toxiproxy_connections",
	    "Client connections open through the proxy.", "proxy");
	set->f_conns_total = metrics_counter(reg,
	    "toxiproxy_connections_total",
	    "Client connections accepted by the proxy.", "proxy");
	set->f_bytes = metrics_counter(reg, "toxiproxy_bytes_total",
	    "Bytes forwarded, by direction (upstream: client to server).",
	    "proxy,direction");
	set->f_toxics = metrics_gauge(reg, "toxiproxy_toxics_active",
	    "Toxics configured on the proxy.", "proxy");
	set->f_enabled = metrics_gauge(reg, "toxiproxy_proxy_enabled",
	    "1 when the proxy is enabled (listening), else 0.", "proxy");
	if (!set->f_conns || !set->f_conns_total || !set->f_bytes ||
	    !set->f_toxics || !set->f_enabled) {
		log_error("cannot declare the metrics");
		free(set);
		return NULL;
	}
	return set;
}

void
proxy_set_names(struct proxy_set *set, const struct names *names)
{
	set->names = names;
}

size_t
proxy_count(const struct proxy_set *set)
{
	return set->n;
}

struct proxy *
proxy_find(struct proxy_set *set, const char *name)
{
	struct proxy *px;

	TAILQ_FOREACH(px, &set->proxies, link)
		if (strcmp(px->spec.name, name) == 0)
			return px;
	return NULL;
}

struct toxic *
toxic_find(struct proxy *px, const char *name)
{
	for (size_t i = 0; i < px->ntx; i++)
		if (strcmp(px->tx[i]->spec.name, name) == 0)
			return px->tx[i];
	return NULL;
}

const struct toxic_spec *
toxic_spec(const struct toxic *t)
{
	return &t->spec;
}

void
proxy_get_spec(const struct proxy *px, struct proxy_spec *out)
{
	*out = px->spec;
}

static void
proxy_metrics_update(struct proxy *px)
{
	metric_set(px->m_toxics, (double)px->ntx);
	metric_set(px->m_enabled, px->spec.enabled ? 1 : 0);
}

struct proxy *
proxy_create(struct proxy_set *set, const struct proxy_spec *spec,
    struct api_error *err)
{
	struct proxy *px;
	const char *n = spec->name;

	if (proxy_find(set, spec->name)) {
		api_error_set(err, 409, "proxy already exists");
		return NULL;
	}
	if (set->n >= API_PROXIES_MAX) {
		api_error_set(err, 400, "too many proxies (max %d)",
		    API_PROXIES_MAX);
		return NULL;
	}
	px = calloc(1, sizeof(*px));
	if (px == NULL) {
		api_error_set(err, 500, "out of memory");
		return NULL;
	}
	px->set = set;
	px->spec = *spec;
	TAILQ_INIT(&px->conns);
	px->retry = evtimer_new(set->base, retry_cb, px);
	px->m_conns = metric_get(set->f_conns, n);
	px->m_conns_total = metric_get(set->f_conns_total, n);
	px->m_bytes[STREAM_UPSTREAM] = metric_get(set->f_bytes, n, "upstream");
	px->m_bytes[STREAM_DOWNSTREAM] = metric_get(set->f_bytes, n,
	    "downstream");
	px->m_toxics = metric_get(set->f_toxics, n);
	px->m_enabled = metric_get(set->f_enabled, n);
	if (px->retry == NULL || !px->m_conns || !px->m_conns_total ||
	    !px->m_bytes[0] || !px->m_bytes[1] || !px->m_toxics ||
	    !px->m_enabled) {
		api_error_set(err, 500, "out of memory");
		goto fail;
	}
	if (resolve_upstream(set, spec->upstream, &px->up, &px->uplen, err) < 0)
		goto fail;
	if (spec->enabled) {
		px->lev = proxy_bind(px, spec->listen, px->spec.listen,
		    sizeof(px->spec.listen), err);
		if (px->lev == NULL)
			goto fail;
	} else {
		struct hostport hp;
		struct sockaddr_storage ss;
		socklen_t len;

		if (listen_resolve(px, spec->listen, &hp, &ss, &len, err) < 0)
			goto fail;
		listen_remember(px, &ss, len, spec->listen);
	}
	metric_set(px->m_conns, 0);
	TAILQ_INSERT_TAIL(&set->proxies, px, link);
	set->n++;
	proxy_metrics_update(px);
	log_info("proxy %s: %s -> %s%s", px->spec.name, px->spec.listen,
	    px->spec.upstream, px->spec.enabled ? "" : " (disabled)");
	return px;
fail:
	if (px->retry)
		event_free(px->retry);
	free(px);
	return NULL;
}

int
proxy_apply(struct proxy *px, const struct proxy_spec *spec,
    struct api_error *err)
{
	struct proxy_spec next = *spec;
	struct sockaddr_storage up = px->up;
	socklen_t uplen = px->uplen;
	bool listen_changed = strcmp(spec->listen, px->spec.listen) != 0;
	bool up_changed = strcmp(spec->upstream, px->spec.upstream) != 0;
	struct evconnlistener *lev = NULL;

	struct sockaddr_storage la;
	socklen_t lalen = 0;

	strlcpy_r(next.name, px->spec.name, sizeof(next.name));
	if (up_changed && resolve_upstream(px->set, spec->upstream, &up, &uplen,
			      err) < 0)
		return -1;
	if (!spec->enabled && listen_changed) {
		struct hostport hp;

		/* Resolved now, while the request names it: a later
		 * re-enable may not. */
		if (listen_resolve(px, spec->listen, &hp, &la, &lalen, err) < 0)
			return -1;
	}
	if (spec->enabled && (px->lev == NULL || listen_changed)) {
		lev = proxy_bind(px, spec->listen, next.listen,
		    sizeof(next.listen), err);
		if (lev == NULL && px->lev != NULL) {
			/* The old listener may hold the same address: retry
			 * without it, and put it back if that fails too. */
			char old[sizeof(px->spec.listen)];
			struct api_error e2;

			evconnlistener_free(px->lev);
			px->lev = NULL;
			lev = proxy_bind(px, spec->listen, next.listen,
			    sizeof(next.listen), err);
			if (lev == NULL) {
				px->lev = proxy_bind(px, px->spec.listen, old,
				    sizeof(old), &e2);
				if (px->lev == NULL) {
					/* Say so rather than claim a listener
					 * that is gone. */
					log_warn("%s: cannot listen on %s again: "
					    "%s; disabled", px->spec.name,
					    px->spec.listen, e2.msg);
					proxy_close_conns(px);
					px->spec.enabled = false;
					proxy_metrics_update(px);
				}
				return -1;
			}
		}
		if (lev == NULL)
			return -1;
	}
	/* Committed: nothing below fails. */
	if (!spec->enabled || listen_changed || up_changed)
		proxy_close_conns(px);
	if ((!spec->enabled || lev != NULL) && px->lev) {
		evconnlistener_free(px->lev);
		px->lev = NULL;
	}
	if (lev)
		px->lev = lev;
	else if (!spec->enabled)
		strlcpy_r(next.listen, spec->listen, sizeof(next.listen));
	else
		strlcpy_r(next.listen, px->spec.listen, sizeof(next.listen));
	px->spec = next;
	px->up = up;
	px->uplen = uplen;
	if (lalen > 0)
		listen_remember(px, &la, lalen, next.listen);
	proxy_metrics_update(px);
	return 0;
}

void
proxy_delete(struct proxy *px)
{
	struct proxy_set *set = px->set;
	const char *n = px->spec.name;

	proxy_close_conns(px);
	if (px->lev)
		evconnlistener_free(px->lev);
	event_free(px->retry);
	for (size_t i = 0; i < px->ntx; i++)
		free(px->tx[i]);
	metric_hide(set->f_conns, n);
	metric_hide(set->f_conns_total, n);
	metric_hide(set->f_bytes, n, "upstream");
	metric_hide(set->f_bytes, n, "downstream");
	metric_hide(set->f_toxics, n);
	metric_hide(set->f_enabled, n);
	TAILQ_REMOVE(&set->proxies, px, link);
	set->n--;
	free(px);
}

/* --- toxics --- */

struct toxic *
toxic_add(struct proxy *px, const struct toxic_spec *spec,
    struct api_error *err)
{
	struct toxic *t;
	struct conn *c, *tmp;
	uint64_t now = now_mono_ns();

	if (toxic_find(px, spec->name)) {
		api_error_set(err, 409, "toxic already exists");
		return NULL;
	}
	if (px->ntx >= PROXY_TOXICS_MAX) {
		api_error_set(err, 400, "too many toxics (max %d)",
		    PROXY_TOXICS_MAX);
		return NULL;
	}
	t = malloc(sizeof(*t));
	if (t == NULL) {
		api_error_set(err, 500, "out of memory");
		return NULL;
	}
	t->spec = *spec;
	px->tx[px->ntx++] = t;
	TAILQ_FOREACH_SAFE(c, &px->conns, link, tmp) {
		if (pipe_add(&c->d[spec->stream].pipe, &t->spec, now) < 0) {
			conn_destroy(c, false);
			continue;
		}
		conn_settle(c);
	}
	proxy_metrics_update(px);
	return t;
}

void
toxic_update(struct proxy *px, struct toxic *t, const struct toxic_spec *spec)
{
	struct conn *c, *tmp;
	uint64_t now = now_mono_ns();

	t->spec.toxicity = spec->toxicity;
	t->spec.a = spec->a;
	TAILQ_FOREACH_SAFE(c, &px->conns, link, tmp) {
		pipe_update(&c->d[t->spec.stream].pipe, &t->spec, now);
		conn_settle(c);
	}
}

void
toxic_remove(struct proxy *px, struct toxic *t)
{
	struct conn *c, *tmp;
	uint64_t now = now_mono_ns();
	size_t i;

	TAILQ_FOREACH_SAFE(c, &px->conns, link, tmp) {
		pipe_remove(&c->d[t->spec.stream].pipe, &t->spec, now);
		/* An EOF that was held is now the chain's output. */
		conn_settle(c);
	}
	for (i = 0; i < px->ntx && px->tx[i] != t; i++)
		;
	if (i < px->ntx) {
		memmove(&px->tx[i], &px->tx[i + 1],
		    (px->ntx - i - 1) * sizeof(px->tx[0]));
		px->ntx--;
	}
	free(t);
	proxy_metrics_update(px);
}

/* --- JSON --- */

json_t *
proxy_toxics_json(const struct proxy *px)
{
	json_t *a = json_array();

	if (a == NULL)
		return NULL;
	/* Toxiproxy lists the upstream chain, then the downstream one. */
	for (int s = 0; s < STREAM_COUNT; s++) {
		for (size_t i = 0; i < px->ntx; i++) {
			if ((int)px->tx[i]->spec.stream != s)
				continue;
			if (json_array_append_new(a,
				toxic_to_json(&px->tx[i]->spec)) < 0) {
				json_decref(a);
				return NULL;
			}
		}
	}
	return a;
}

json_t *
proxy_to_json(const struct proxy *px)
{
	json_t *tx = proxy_toxics_json(px);

	if (tx == NULL)
		return NULL;
	return json_pack("{s:s, s:s, s:s, s:b, s:o}", "name", px->spec.name,
	    "listen", px->spec.listen, "upstream", px->spec.upstream,
	    "enabled", px->spec.enabled, "toxics", tx);
}

json_t *
proxy_set_json(const struct proxy_set *set)
{
	json_t *o = json_object();
	struct proxy *px;

	if (o == NULL)
		return NULL;
	TAILQ_FOREACH(px, &set->proxies, link) {
		if (json_object_set_new(o, px->spec.name, proxy_to_json(px)) <
		    0) {
			json_decref(o);
			return NULL;
		}
	}
	return o;
}

json_t *
proxy_populate(struct proxy_set *set, const struct proxy_spec *specs,
    size_t n, struct api_error *err)
{
	json_t *a = json_array();

	err->status = 0;
	if (a == NULL) {
		api_error_set(err, 500, "out of memory");
		return NULL;
	}
	for (size_t i = 0; i < n; i++) {
		struct proxy *px = proxy_find(set, specs[i].name);

		if (px && strcmp(px->spec.listen, specs[i].listen) == 0 &&
		    strcmp(px->spec.upstream, specs[i].upstream) == 0) {
			struct proxy_spec sp = px->spec;

			sp.enabled = specs[i].enabled;
			if (proxy_apply(px, &sp, err) < 0)
				break;
		} else {
			if (px)
				proxy_delete(px);
			px = proxy_create(set, &specs[i], err);
			if (px == NULL)
				break;
		}
		if (json_array_append_new(a, proxy_to_json(px)) < 0) {
			api_error_set(err, 500, "out of memory");
			break;
		}
	}
	return a;
}

int
proxy_set_reset(struct proxy_set *set, struct api_error *err)
{
	struct proxy *px;
	int rc = 0;

	TAILQ_FOREACH(px, &set->proxies, link) {
		while (px->ntx > 0)
			toxic_remove(px, px->tx[px->ntx - 1]);
		if (!px->spec.enabled) {
			struct proxy_spec sp = px->spec;

			sp.enabled = true;
			if (proxy_apply(px, &sp, err) < 0)
				rc = -1;
		}
	}
	return rc;
}

void
proxy_set_shutdown(struct proxy_set *set)
{
	struct proxy *px;

	while ((px = TAILQ_FIRST(&set->proxies)) != NULL)
		proxy_delete(px);
}

void
proxy_set_free(struct proxy_set *set)
{
	if (set == NULL)
		return;
	proxy_set_shutdown(set);
	free(set);
}
