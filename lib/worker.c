/* The worker runtime (see worker.h): loop, signals, channel reader,
 * metrics server, ready announcement. */
#include "worker.h"

#include <errno.h>
#include <event2/event.h>
#include <event2/thread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "addr.h"
#include "channel.h"
#include "frame.h"
#include "httpd.h"
#include "log.h"
#include "proto.h"
#include "util.h"

/* Bytes read from the channel per callback: a burst of requests is taken
 * in a few reads without starving the other events. */
#define WORKER_READ_CHUNK 16384

struct worker {
	char prog[64];
	struct worker_hooks hooks;
	const struct worker_cmd *cmds;
	void *cmd_arg;
	struct event_base *base;
	struct event *sig_term, *sig_int, *sig_hup;
	struct event *chan_ev;
	int chan_fd;
	struct frame frame;
	int frame_ok;
	struct metrics_server *msrv;
	char metrics_addr[ADDR_HOST_MAX + 16];
	atomic_llong next_id;
	int rc;
	int stopping;
};

/* The loop ends; on_stop first, once. */
static void
worker_stop(struct worker *w, const char *reason)
{
	if (!w->stopping) {
		w->stopping = 1;
		if (w->hooks.on_stop)
			w->hooks.on_stop(reason, w->hooks.arg);
	}
	event_base_loopbreak(w->base);
}

static void
on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct worker *w = arg;

	(void)what;
	if (sig == SIGHUP) {
		if (w->hooks.on_hup)
			w->hooks.on_hup(w->hooks.arg);
		else
			log_info("SIGHUP: nothing to reload");
		return;
	}
	log_info("signal %d: stopping", (int)sig);
	worker_stop(w, "worker stopped by a signal");
}

static void
send_reply(json_t *reply)
{
	if (reply == NULL) {
		log_error("out of memory: a reply is lost");
		return;
	}
	if (channel_send(reply) != 0)
		log_warn("cannot reply on the channel");
	json_decref(reply);
}

static json_t *
dispatch(struct worker *w, const struct proto_request *req)
{
	const struct worker_cmd *c;
	json_t *reply;

	for (c = w->cmds; c && c->name; c++) {
		if (strcmp(c->name, req->cmd) != 0)
			continue;
		reply = c->fn(req, w->cmd_arg);
		if (reply == NULL)
			reply = proto_reply_error(req->id, PROTO_E_INTERNAL,
			    "out of memory");
		return reply;
	}
	return proto_reply_error(req->id, PROTO_E_UNKNOWN_COMMAND,
	    "%s: unknown command \"%s\"", w->prog, req->cmd);
}

/* One line from reliabd: a request to answer, or a reply to ours. A
 * line that is neither gets a "bad-request" reply, as the channel always
 * answered; the loop carries on. */
static void
handle_line(struct worker *w, const char *line, size_t len)
{
	struct proto_request req;
	struct proto_msg msg;
	enum proto_err err;
	char text[PROTO_MSG_MAX];

	err = proto_decode_msg(line, len, &msg, text, sizeof text);
	if (err != PROTO_OK) {
		send_reply(proto_reply_error(0, PROTO_E_BAD_REQUEST, "%s",
		    text));
		return;
	}
	switch (msg.kind) {
	case PROTO_MSG_REPLY:
		if (w->hooks.on_reply)
			w->hooks.on_reply(&msg, w->hooks.arg);
		else if (!msg.ok)
			log_warn("reliabd: request %lld failed: %s",
			    (long long)msg.id, msg.message);
		proto_msg_clear(&msg);
		return;
	case PROTO_MSG_EVENT:
		log_debug("event from reliabd ignored");
		proto_msg_clear(&msg);
		return;
	case PROTO_MSG_REQUEST:
		break;
	}
	proto_msg_clear(&msg);
	err = proto_decode_request(line, len, &req, text, sizeof text);
	if (err != PROTO_OK) {
		send_reply(proto_reply_error(req.id, err, "%s", text));
		return;
	}
	send_reply(dispatch(w, &req));
	proto_request_clear(&req);
	if (w->hooks.after_request)
		w->hooks.after_request(w->hooks.arg);
}

static void
on_channel(evutil_socket_t fd, short what, void *arg)
{
	struct worker *w = arg;
	char buf[WORKER_READ_CHUNK];
	enum frame_status st;
	char *line;
	size_t len;
	ssize_t n;

	(void)what;
	n = read(fd, buf, sizeof buf);
	if (n < 0) {
		if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)
			return;
		log_error("channel: %s", strerror(errno));
	}
	if (n <= 0) {
		log_warn("reliabd is gone: stopping");
		event_del(w->chan_ev);
		worker_stop(w, "reliabd went away");
		return;
	}
	if (frame_feed(&w->frame, buf, (size_t)n) != 0) {
		log_error("out of memory: channel input dropped");
		return;
	}
	while ((st = frame_next(&w->frame, &line, &len)) != FRAME_NEED_MORE) {
		if (st == FRAME_TOO_LONG) {
			log_warn("channel: line over %d bytes dropped",
			    PROTO_LINE_MAX);
			send_reply(proto_reply_error(0, PROTO_E_LINE_TOO_LONG,
			    "line longer than %d bytes", PROTO_LINE_MAX));
			continue;
		}
		if (len > 0)
			handle_line(w, line, len);
	}
}

static struct event *
watch_signal(struct worker *w, int sig)
{
	struct event *ev = evsignal_new(w->base, sig, on_signal, w);

	if (ev == NULL || evsignal_add(ev, NULL) < 0) {
		if (ev)
			event_free(ev);
		return NULL;
	}
	return ev;
}

struct worker *
worker_init(const char *prog, const struct worker_hooks *hooks, int flags)
{
	struct worker *w = calloc(1, sizeof *w);

	if (w == NULL) {
		log_error("out of memory");
		return NULL;
	}
	strlcpy_r(w->prog, prog, sizeof w->prog);
	if (hooks)
		w->hooks = *hooks;
	atomic_init(&w->next_id, 1);
	w->chan_fd = -1;
	signal(SIGPIPE, SIG_IGN);
	if ((flags & WORKER_THREADS) && evthread_use_pthreads() < 0) {
		log_error("libevent has no thread support");
		goto fail;
	}
	w->base = event_base_new();
	if (w->base == NULL) {
		log_error("cannot create the event loop");
		goto fail;
	}
	w->sig_term = watch_signal(w, SIGTERM);
	w->sig_int = watch_signal(w, SIGINT);
	w->sig_hup = watch_signal(w, SIGHUP);
	if (!w->sig_term || !w->sig_int || !w->sig_hup) {
		log_error("cannot watch signals");
		goto fail;
	}
	if (flags & WORKER_NO_CHANNEL)
		return w;
	w->chan_fd = channel_open();
	if (w->chan_fd < 0)
		return w; /* run by hand */
	if (frame_init(&w->frame, PROTO_LINE_MAX) != 0) {
		log_error("out of memory");
		goto fail;
	}
	w->frame_ok = 1;
	if (evutil_make_socket_nonblocking(w->chan_fd) < 0) {
		log_error("channel: cannot make it non-blocking");
		goto fail;
	}
	w->chan_ev = event_new(w->base, w->chan_fd, EV_READ | EV_PERSIST,
	    on_channel, w);
	if (w->chan_ev == NULL || event_add(w->chan_ev, NULL) < 0) {
		log_error("cannot watch the channel");
		goto fail;
	}
	return w;
fail:
	worker_free(w);
	return NULL;
}

struct event_base *
worker_base(struct worker *w)
{
	return w->base;
}

void
worker_set_commands(struct worker *w, const struct worker_cmd *cmds,
    void *arg)
{
	w->cmds = cmds;
	w->cmd_arg = arg;
}

int
worker_has_channel(const struct worker *w)
{
	return w->chan_fd >= 0;
}

int
worker_serve_metrics(struct worker *w, const char *addr,
    struct metrics_registry *reg, json_t *extra, char *err, size_t errlen)
{
	struct hostport hp;
	json_t *fields;

	if (hostport_parse(addr, &hp, err, errlen) != 0) {
		json_decref(extra);
		return -1;
	}
	w->msrv = metrics_server_start(addr, reg, err, errlen);
	if (w->msrv == NULL) {
		json_decref(extra);
		return -1;
	}
	hostport_format(hp.host, metrics_server_port(w->msrv),
	    w->metrics_addr, sizeof w->metrics_addr);
	log_info("serving /metrics on %s", w->metrics_addr);
	fields = extra ? extra : json_object();
	if (fields == NULL ||
	    json_object_set_new(fields, "metrics",
	    json_string(w->metrics_addr)) < 0) {
		log_error("out of memory: no ready event");
		json_decref(fields);
		return 0;
	}
	channel_event("ready", fields);
	return 0;
}

const char *
worker_metrics_addr(const struct worker *w)
{
	return w->metrics_addr;
}

long long
worker_request(struct worker *w, const char *cmd, json_t *args)
{
	long long id;
	json_t *req;
	int rc;

	if (w->chan_fd < 0) {
		json_decref(args);
		return -1;
	}
	id = atomic_fetch_add(&w->next_id, 1);
	req = proto_request_new((json_int_t)id, cmd, args);
	if (req == NULL) {
		log_error("out of memory");
		return -1;
	}
	rc = channel_send(req);
	json_decref(req);
	return rc == 0 ? id : -1;
}

int
worker_run(struct worker *w)
{
	if (!w->stopping && event_base_dispatch(w->base) < 0) {
		log_error("event loop failed");
		return 1;
	}
	return w->rc;
}

void
worker_exit(struct worker *w, int rc)
{
	w->rc = rc;
	w->stopping = 1;
	event_base_loopbreak(w->base);
}

void
worker_free(struct worker *w)
{
	if (w == NULL)
		return;
	if (w->msrv)
		metrics_server_stop(w->msrv);
	if (w->chan_ev)
		event_free(w->chan_ev);
	if (w->sig_term)
		event_free(w->sig_term);
	if (w->sig_int)
		event_free(w->sig_int);
	if (w->sig_hup)
		event_free(w->sig_hup);
	if (w->frame_ok)
		frame_free(&w->frame);
	channel_close();
	if (w->base)
		event_base_free(w->base);
	free(w);
}
