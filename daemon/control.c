/* The control socket: accepts reliabctl clients, frames their lines,
 * hands requests to the command table, and streams events to watchers.
 * Nothing a client sends may crash or block the daemon: lines are
 * bounded, idle clients are dropped, slow readers are cut off. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/listener.h>

#include "log.h"
#include "metrics.h"
#include "reliabd.h"
#include "util.h"

#define CONTROL_MAX_CONNS 512
#define CONTROL_IDLE_S 30
/* Replies a client has not read: past this, a watcher is dropped and a
 * requester is no longer read from. */
#define CONTROL_OUTPUT_MAX (4 * 1024 * 1024)

enum conn_state {
	CONN_READING,  /* taking requests */
	CONN_WATCHING, /* streaming events; requests still taken */
	CONN_CLOSING,  /* flushing a last reply, then closed */
};

static const char *
conn_state_text(enum conn_state st)
{
	switch (st) {
	case CONN_READING:
		return "reading";
	case CONN_WATCHING:
		return "watching";
	case CONN_CLOSING:
		return "closing";
	}
	return "unknown";
}

struct ctl_conn {
	TAILQ_ENTRY(ctl_conn) entry;
	struct reliabd *d;
	struct bufferevent *bev;
	struct frame frame;
	enum conn_state state;
	int paused;    /* not read from until its replies drain */
};
TAILQ_HEAD(conn_list, ctl_conn);

static struct conn_list *
conns(struct reliabd *d)
{
	return d->conns;
}

static void
conn_free(struct ctl_conn *conn)
{
	struct reliabd *d = conn->d;

	log_debug("closing client in state %s", conn_state_text(conn->state));
	cmd_forward_drop_conn(d, conn);
	TAILQ_REMOVE(conns(d), conn, entry);
	d->nconns--;
	metric_set(d->m_conns, d->nconns);
	bufferevent_free(conn->bev);
	frame_free(&conn->frame);
	free(conn);
}

int
control_write(struct ctl_conn *conn, const char *line, size_t len)
{
	if (conn->state == CONN_CLOSING)
		return -1;
	return bufferevent_write(conn->bev, line, len);
}

int
control_send(struct ctl_conn *conn, const json_t *msg)
{
	size_t len;
	char *s;
	int rc;

	s = proto_encode(msg, &len);
	if (s == NULL)
		return -1;
	rc = control_write(conn, s, len);
	free(s);
	return rc;
}

void
control_set_watch(struct ctl_conn *conn)
{
	conn->state = CONN_WATCHING;
	/* A watcher may stay silent for as long as it likes. */
	bufferevent_set_timeouts(conn->bev, NULL, NULL);
}

unsigned
control_nconns(const struct reliabd *d)
{
	return d->nconns;
}

void
control_broadcast(struct reliabd *d, const json_t *event)
{
	struct ctl_conn *conn, *tmp;
	size_t len;
	char *s;

	if (d->conns == NULL)
		return;
	s = proto_encode(event, &len);
	if (s == NULL)
		return;
	TAILQ_FOREACH_SAFE(conn, conns(d), entry, tmp) {
		if (conn->state != CONN_WATCHING)
			continue;
		if (evbuffer_get_length(bufferevent_get_output(conn->bev)) >
		    CONTROL_OUTPUT_MAX) {
			log_warn("dropping a watcher that does not read");
			conn_free(conn);
			continue;
		}
		bufferevent_write(conn->bev, s, len);
	}
	free(s);
}

/* Replies with an error and closes once it is written. */
static void
conn_fail(struct ctl_conn *conn, json_int_t id, enum proto_err err,
    const char *msg)
{
	json_t *reply = proto_reply_error(id, err, "%s", msg);

	if (reply) {
		control_send(conn, reply);
		json_decref(reply);
	}
	conn->state = CONN_CLOSING;
	bufferevent_disable(conn->bev, EV_READ);
	if (evbuffer_get_length(bufferevent_get_output(conn->bev)) == 0)
		conn_free(conn);
}

static void
conn_line(struct ctl_conn *conn, const char *line, size_t len)
{
	struct cmd_ctx ctx = { .d = conn->d, .conn = conn };
	struct proto_request req;
	char msg[256];
	enum proto_err err;

	err = proto_decode_request(line, len, &req, msg, sizeof(msg));
	ctx.id = req.id;
	if (err != PROTO_OK) {
		json_t *reply = proto_reply_error(req.id, err, "%s", msg);

		metric_inc(conn->d->m_requests_err);
		if (reply) {
			control_send(conn, reply);
			json_decref(reply);
		}
		return;
	}
	cmd_dispatch(&ctx, &req);
	proto_request_clear(&req);
}

static size_t
conn_pending_output(const struct ctl_conn *conn)
{
	return evbuffer_get_length(bufferevent_get_output(conn->bev));
}

/* Answers the framed lines, then reads more, until the input is used up
 * or the replies pile up: a client that sends without reading is paused
 * (not read from) until it has read its replies, so its requests cannot
 * grow reliabd's memory. */
static void
conn_pump(struct ctl_conn *conn)
{
	struct evbuffer *in = bufferevent_get_input(conn->bev);
	char buf[16384], *line;
	size_t n, len;

	for (;;) {
		while (conn->state != CONN_CLOSING) {
			enum frame_status st;

			if (conn_pending_output(conn) > CONTROL_OUTPUT_MAX) {
				conn->paused = 1;
				bufferevent_disable(conn->bev, EV_READ);
				return;
			}
			st = frame_next(&conn->frame, &line, &len);
			if (st == FRAME_NEED_MORE)
				break;
			if (st == FRAME_TOO_LONG) {
				metric_inc(conn->d->m_requests_err);
				conn_fail(conn, 0, PROTO_E_LINE_TOO_LONG,
				    "request line longer than 65536 bytes");
				return;
			}
			conn_line(conn, line, len);
		}
		if (conn->state == CONN_CLOSING)
			return;
		n = evbuffer_remove(in, buf, sizeof(buf));
		if (n == 0 || n == (size_t)-1)
			return;
		if (frame_feed(&conn->frame, buf, n) < 0) {
			conn_fail(conn, 0, PROTO_E_INTERNAL, "out of memory");
			return;
		}
	}
}

static void
conn_read(struct bufferevent *bev, void *arg)
{
	(void)bev;
	conn_pump(arg);
}

static void
conn_write(struct bufferevent *bev, void *arg)
{
	struct ctl_conn *conn = arg;

	(void)bev;
	if (conn->state == CONN_CLOSING && conn_pending_output(conn) == 0) {
		conn_free(conn);
		return;
	}
	if (conn->paused && conn_pending_output(conn) < CONTROL_OUTPUT_MAX / 2) {
		conn->paused = 0;
		bufferevent_enable(conn->bev, EV_READ);
		conn_pump(conn);
	}
}

static void
conn_event(struct bufferevent *bev, short what, void *arg)
{
	struct ctl_conn *conn = arg;

	(void)bev;
	if (what & BEV_EVENT_TIMEOUT)
		log_debug("dropping an idle client");
	conn_free(conn);
}

static void
control_accept(evutil_socket_t lfd, short what, void *arg)
{
	struct reliabd *d = arg;
	struct ctl_conn *conn;
	struct timeval idle = { CONTROL_IDLE_S, 0 };
	int fd;

	(void)what;
	/* Bounded per wake-up so a flood cannot starve the rest. */
	for (int i = 0; i < 64; i++) {
		fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
		if (fd < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK &&
			    errno != EINTR && errno != ECONNABORTED)
				log_warn("accept: %s", strerror(errno));
			return;
		}
		if (d->nconns >= CONTROL_MAX_CONNS) {
			static const char busy[] =
			    "{\"id\":0,\"ok\":false,\"error\":{\"code\":"
			    "\"busy\",\"message\":\"too many clients\"}}\n";

			(void)!write(fd, busy, sizeof(busy) - 1);
			close(fd);
			continue;
		}
		conn = calloc(1, sizeof(*conn));
		if (conn == NULL || frame_init(&conn->frame, PROTO_LINE_MAX) < 0) {
			free(conn);
			close(fd);
			continue;
		}
		conn->d = d;
		conn->state = CONN_READING;
		conn->bev = bufferevent_socket_new(d->base, fd,
		    BEV_OPT_CLOSE_ON_FREE);
		if (conn->bev == NULL) {
			frame_free(&conn->frame);
			free(conn);
			close(fd);
			continue;
		}
		bufferevent_setcb(conn->bev, conn_read, conn_write, conn_event,
		    conn);
		/* Idle readers and clients that stop reading their replies
		 * are both dropped after the same time. */
		bufferevent_set_timeouts(conn->bev, &idle, &idle);
		bufferevent_enable(conn->bev, EV_READ | EV_WRITE);
		TAILQ_INSERT_TAIL(conns(d), conn, entry);
		d->nconns++;
		metric_set(d->m_conns, d->nconns);
	}
}

/* Is a reliabd answering on this path? */
static int
socket_answers(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd, rc;

	/* Non-blocking: a wedged instance with a full backlog must not
	 * hang this one (EAGAIN: someone holds the socket, so it answers). */
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return 0;
	strlcpy_r(sun.sun_path, path, sizeof(sun.sun_path));
	rc = connect(fd, (struct sockaddr *)&sun, sizeof(sun));
	if (rc < 0 && errno == EAGAIN)
		rc = 0;
	close(fd);
	return rc == 0;
}

int
control_listen(struct reliabd *d, const char *path, int activated_fd,
    char *err, size_t errlen)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct conn_list *list;
	mode_t old;
	int fd;

	list = calloc(1, sizeof(*list));
	if (list == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	TAILQ_INIT(list);
	d->conns = list;

	if (activated_fd >= 0) {
		fd = activated_fd;
		d->ctl_activated = 1;
		fd_set_cloexec(fd);
		fd_set_nonblock(fd);
		log_info("using the control socket passed by systemd");
		goto listening;
	}
	if (strlen(path) >= sizeof(sun.sun_path)) {
		snprintf(err, errlen, "control socket path too long: %s", path);
		return -1;
	}
	strlcpy_r(sun.sun_path, path, sizeof(sun.sun_path));
	if (access(path, F_OK) == 0) {
		if (socket_answers(path)) {
			snprintf(err, errlen,
			    "another reliabd answers on %s; not starting", path);
			return -1;
		}
		log_info("replacing the stale control socket %s", path);
		unlink(path);
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	/* Bind under a umask, so the socket is never wider than 0660. */
	old = umask(0117);
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		umask(old);
		snprintf(err, errlen, "bind %s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	umask(old);
	if (chmod(path, 0660) < 0)
		log_warn("chmod %s: %s", path, strerror(errno));
	if (listen(fd, 128) < 0) {
		snprintf(err, errlen, "listen %s: %s", path, strerror(errno));
		close(fd);
		unlink(path);
		return -1;
	}
listening:
	d->ctl_fd = fd;
	d->ctl_ev = event_new(d->base, fd, EV_READ | EV_PERSIST, control_accept,
	    d);
	if (d->ctl_ev == NULL || event_add(d->ctl_ev, NULL) < 0) {
		snprintf(err, errlen, "cannot watch the control socket");
		return -1;
	}
	return 0;
}

void
control_close(struct reliabd *d)
{
	if (d->conns) {
		while (!TAILQ_EMPTY(conns(d)))
			conn_free(TAILQ_FIRST(conns(d)));
		free(d->conns);
		d->conns = NULL;
	}
	if (d->ctl_ev) {
		event_free(d->ctl_ev);
		d->ctl_ev = NULL;
	}
	if (d->ctl_fd >= 0) {
		close(d->ctl_fd);
		d->ctl_fd = -1;
		/* An activated socket belongs to systemd. */
		if (!d->ctl_activated)
			unlink(d->cfg.control_socket);
	}
}
