/* The control socket: accepts reliabctl clients, frames their lines,
 * hands requests to the command table, and streams events to watchers.
 * Nothing a client sends may crash or block the daemon: lines are
 * bounded, idle clients are dropped, slow readers are cut off.
 *
 * Nor may any local user lock others out (as tmux and relayd treat
 * theirs): a peer uid gets at most a share of the slots, the daemon's
 * own uid and root always find one kept for them, idle time counts from
 * the last complete request (a byte now and then buys nothing), and at
 * the limit the longest-idle connection gives way before a newcomer is
 * refused. Out of fds, accepting pauses instead of spinning. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include <event2/buffer.h>

#include "log.h"
#include "metrics.h"
#include "reliabd.h"
#include "util.h"

#define CONTROL_MAX_CONNS 512
/* Slots only the daemon's own uid and root may take. */
#define CONTROL_RESERVED 16
/* The most one other uid may hold. */
#define CONTROL_PER_UID (CONTROL_MAX_CONNS / 8)
/* Out of fds: how long accepting pauses before it is tried again. */
#define CONTROL_RETRY_MS 200
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
	TAILQ_ENTRY(ctl_conn) entry; /* longest idle first */
	struct reliabd *d;
	struct bufferevent *bev;
	struct event *idle;  /* idle_time() after the last request */
	struct frame frame;
	enum conn_state state;
	uid_t uid;           /* the peer's, from SO_PEERCRED */
	unsigned inflight;   /* requests not answered yet */
	int paused;          /* not read from until its replies drain */
};
TAILQ_HEAD(conn_list, ctl_conn);

/* control.c's part of struct reliabd (d->conns). */
struct control {
	struct conn_list conns;
	struct event *retry;  /* resumes accepting after EMFILE */
	int out_of_fds;       /* said once per episode */
	uid_t self;           /* the daemon's own uid */
};

static struct conn_list *
conns(struct reliabd *d)
{
	return &((struct control *)d->conns)->conns;
}

/* [daemon] control_idle_timeout, read at each use so a reload applies
 * from the next request on. */
static struct timeval
idle_time(const struct reliabd *d)
{
	uint64_t ms = d->cfg.control_idle_ms;
	struct timeval tv;

	tv.tv_sec = (time_t)(ms / 1000);
	tv.tv_usec = (suseconds_t)(ms % 1000) * 1000;
	return tv;
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
	if (conn->idle)
		event_free(conn->idle);
	bufferevent_free(conn->bev);
	frame_free(&conn->frame);
	free(conn);
}

/* Every reply to a request comes through here, one per request. */
int
control_write(struct ctl_conn *conn, const char *line, size_t len)
{
	if (conn->inflight > 0)
		conn->inflight--;
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
	/* A watcher may stay silent for as long as it likes (a slow
	 * reader is still cut off by CONTROL_OUTPUT_MAX). */
	evtimer_del(conn->idle);
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

/* A complete request: the idle clock starts again, and the connection
 * goes to the back of the eviction queue. */
static void
conn_touch(struct ctl_conn *conn)
{
	struct timeval idle = idle_time(conn->d);

	TAILQ_REMOVE(conns(conn->d), conn, entry);
	TAILQ_INSERT_TAIL(conns(conn->d), conn, entry);
	if (conn->state == CONN_READING)
		evtimer_add(conn->idle, &idle);
}

static void
conn_line(struct ctl_conn *conn, const char *line, size_t len)
{
	struct cmd_ctx ctx = { .d = conn->d, .conn = conn };
	struct proto_request req;
	char msg[256];
	enum proto_err err;

	conn_touch(conn);
	conn->inflight++;
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
				conn->inflight++;
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
		log_debug("dropping a client that does not read its replies");
	conn_free(conn);
}

/* Nothing to answer, nothing unsent, not watching: a connection that
 * may be dropped without losing anyone a reply. */
static int
conn_is_idle(const struct ctl_conn *conn)
{
	return conn->state == CONN_READING && conn->inflight == 0 &&
	    conn_pending_output(conn) == 0;
}

static void
conn_idle_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct ctl_conn *conn = arg;
	struct timeval idle = idle_time(conn->d);

	(void)fd;
	(void)what;
	/* A reply still on its way (a forwarded request) keeps it. */
	if (!conn_is_idle(conn)) {
		if (conn->state == CONN_READING)
			evtimer_add(conn->idle, &idle);
		return;
	}
	log_debug("dropping a client idle for %llu ms",
	    (unsigned long long)conn->d->cfg.control_idle_ms);
	conn_free(conn);
}

static int
uid_privileged(const struct reliabd *d, uid_t uid)
{
	return uid == 0 || uid == ((const struct control *)d->conns)->self;
}

/* The longest-idle connection that may give way to a newcomer of uid
 * `uid`: one of its own when `same_uid`, else any unprivileged one (any
 * at all for a privileged newcomer); NULL if none. */
static struct ctl_conn *
conn_victim(struct reliabd *d, uid_t uid, int same_uid)
{
	struct ctl_conn *c;

	TAILQ_FOREACH(c, conns(d), entry) {
		if (!conn_is_idle(c))
			continue;
		if (same_uid ? c->uid == uid :
		    uid_privileged(d, uid) || !uid_privileged(d, c->uid))
			return c;
	}
	return NULL;
}

/* Whether a newcomer of this uid gets a slot, dropping the longest-idle
 * connection if that is what it takes. */
static int
conn_admit(struct reliabd *d, uid_t uid)
{
	unsigned limit = CONTROL_MAX_CONNS, same = 0;
	struct ctl_conn *c, *victim = NULL;

	if (!uid_privileged(d, uid)) {
		TAILQ_FOREACH(c, conns(d), entry)
			same += c->uid == uid;
		if (same >= CONTROL_PER_UID) {
			victim = conn_victim(d, uid, 1);
			if (victim == NULL)
				return 0;
			log_debug("uid %u has %u connections: dropping its "
			    "longest idle", (unsigned)uid, same);
			conn_free(victim);
			return 1;
		}
		limit -= CONTROL_RESERVED;
	}
	if (d->nconns < limit)
		return 1;
	victim = conn_victim(d, uid, 0);
	if (victim == NULL)
		return 0;
	log_debug("%u connections: dropping the longest idle (uid %u)",
	    d->nconns, (unsigned)victim->uid);
	conn_free(victim);
	return 1;
}

static uid_t
peer_uid(int fd)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);

	/* Unknown is treated as a stranger, never as privileged. */
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0 ||
	    len != sizeof(cred))
		return (uid_t)-1;
	return cred.uid;
}

static void
conn_refuse(int fd, uid_t uid)
{
	static const char busy[] =
	    "{\"id\":0,\"ok\":false,\"error\":{\"code\":"
	    "\"busy\",\"message\":\"too many clients\"}}\n";

	log_debug("refusing a client of uid %u: no slot", (unsigned)uid);
	/* Non-blocking: a full buffer loses the line, never the loop. */
	(void)!write(fd, busy, sizeof(busy) - 1);
	close(fd);
}

static int
conn_new(struct reliabd *d, int fd, uid_t uid)
{
	struct timeval idle = idle_time(d);
	struct ctl_conn *conn;

	conn = calloc(1, sizeof(*conn));
	if (conn == NULL || frame_init(&conn->frame, PROTO_LINE_MAX) < 0) {
		free(conn);
		close(fd);
		return -1;
	}
	conn->d = d;
	conn->uid = uid;
	conn->state = CONN_READING;
	conn->idle = evtimer_new(d->base, conn_idle_timeout, conn);
	conn->bev = bufferevent_socket_new(d->base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (conn->bev == NULL || conn->idle == NULL ||
	    evtimer_add(conn->idle, &idle) < 0) {
		if (conn->bev)
			bufferevent_free(conn->bev); /* and closes fd */
		else
			close(fd);
		if (conn->idle)
			event_free(conn->idle);
		frame_free(&conn->frame);
		free(conn);
		return -1;
	}
	bufferevent_setcb(conn->bev, conn_read, conn_write, conn_event, conn);
	/* A client that stops reading its replies is dropped after the
	 * idle time too; reading is timed by conn->idle, per request. */
	bufferevent_set_timeouts(conn->bev, NULL, &idle);
	bufferevent_enable(conn->bev, EV_READ | EV_WRITE);
	TAILQ_INSERT_TAIL(conns(d), conn, entry);
	d->nconns++;
	metric_set(d->m_conns, d->nconns);
	return 0;
}

static void
control_resume(evutil_socket_t fd, short what, void *arg)
{
	struct reliabd *d = arg;

	(void)fd;
	(void)what;
	if (d->ctl_ev && event_add(d->ctl_ev, NULL) < 0)
		log_error("cannot watch the control socket again");
}

/* At the fd limit the listener stays readable and every accept fails:
 * stop watching it for a moment rather than spin (relayd does the
 * same), and try again on a timer. */
static void
control_pause(struct reliabd *d, int err)
{
	struct control *ctl = d->conns;
	struct timeval tv = { 0, CONTROL_RETRY_MS * 1000 };

	if (!ctl->out_of_fds)
		log_warn("accept: %s; pausing the control socket for %d ms "
		    "at a time until a descriptor frees", strerror(err),
		    CONTROL_RETRY_MS);
	ctl->out_of_fds = 1;
	event_del(d->ctl_ev);
	if (evtimer_add(ctl->retry, &tv) < 0) {
		log_error("cannot arm the accept retry timer");
		event_add(d->ctl_ev, NULL);
	}
}

static void
control_accept(evutil_socket_t lfd, short what, void *arg)
{
	struct reliabd *d = arg;
	struct control *ctl = d->conns;
	uid_t uid;
	int fd;

	(void)what;
	/* Bounded per wake-up so a flood cannot starve the rest. */
	for (int i = 0; i < 64; i++) {
		fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
		if (fd < 0) {
			int e = errno;

			if (e == EMFILE || e == ENFILE || e == ENOBUFS ||
			    e == ENOMEM)
				control_pause(d, e);
			else if (e != EAGAIN && e != EWOULDBLOCK &&
			    e != EINTR && e != ECONNABORTED)
				log_warn("accept: %s", strerror(e));
			return;
		}
		if (ctl->out_of_fds) {
			log_info("accepting control clients again");
			ctl->out_of_fds = 0;
		}
		uid = peer_uid(fd);
		if (!conn_admit(d, uid)) {
			conn_refuse(fd, uid);
			continue;
		}
		if (conn_new(d, fd, uid) < 0)
			log_error("out of memory for a control client");
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
	struct control *ctl;
	mode_t old;
	int fd;

	ctl = calloc(1, sizeof(*ctl));
	if (ctl == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	TAILQ_INIT(&ctl->conns);
	ctl->self = geteuid();
	d->conns = ctl;
	ctl->retry = evtimer_new(d->base, control_resume, d);
	if (ctl->retry == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}

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
	struct control *ctl = d->conns;

	if (ctl) {
		while (!TAILQ_EMPTY(&ctl->conns))
			conn_free(TAILQ_FIRST(&ctl->conns));
		if (ctl->retry)
			event_free(ctl->retry);
		free(ctl);
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
