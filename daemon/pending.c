/* Requests forwarded to a worker and waiting for its reply: each keeps
 * where the reply goes (a control client or another worker) and a
 * deadline. The list lives in the worker's struct child; this file alone
 * touches it. Below child.c and cmd.c, which both call it. */
#include <stdlib.h>

#include "log.h"
#include "reliabd.h"
#include "util.h"

struct pending {
	TAILQ_ENTRY(pending) entry;
	struct child *child;
	json_int_t wid;          /* id on the worker's channel */
	struct cmd_ctx ctx;      /* where the reply goes; conn NULLed if gone */
	struct event *timeout;
	char cmd[32];            /* what was asked, for the hook */
	json_t *args;
};

static pending_done_fn on_done;

void
pending_hook(pending_done_fn done)
{
	on_done = done;
}

/* Tells the hook how the request ended (reply NULL: no answer), then
 * forgets it. */
static void
pending_end(struct pending *p, const struct proto_msg *reply)
{
	TAILQ_REMOVE(&p->child->pending, p, entry);
	if (on_done && p->cmd[0])
		on_done(p->child, p->cmd, p->args, reply);
	if (p->timeout)
		event_free(p->timeout);
	json_decref(p->args);
	free(p);
}

static void
pending_free(struct pending *p)
{
	p->cmd[0] = '\0'; /* never sent: nothing to tell */
	pending_end(p, NULL);
}

static int
pending_wanted(const struct pending *p)
{
	return p->ctx.conn != NULL || p->ctx.from != NULL;
}

static void
pending_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct pending *p = arg;

	(void)fd;
	(void)what;
	if (pending_wanted(p))
		reply_send(&p->ctx, proto_reply_error(p->ctx.id,
					PROTO_E_TIMEOUT,
					"%s did not answer in time",
					p->child->name));
	pending_end(p, NULL);
}

int
pending_add(struct child *c, const struct cmd_ctx *ctx, const char *cmd,
    const json_t *args, uint64_t timeout_ms)
{
	struct timeval tv = { .tv_sec = timeout_ms / 1000,
		.tv_usec = (timeout_ms % 1000) * 1000 };
	struct pending *p;
	json_t *req;

	p = calloc(1, sizeof(*p));
	if (p == NULL) {
		log_warn("%s: out of memory", c->name);
		return -1;
	}
	p->child = c;
	p->wid = ++c->next_req_id;
	p->ctx = *ctx;
	p->args = args ? json_deep_copy(args) : NULL;
	TAILQ_INSERT_TAIL(&c->pending, p, entry);
	p->timeout = evtimer_new(c->d->base, pending_timeout, p);
	req = proto_request_new(p->wid, cmd, json_deep_copy(args));
	if (p->timeout == NULL || req == NULL || chan_send(c, req) < 0 ||
	    evtimer_add(p->timeout, &tv) < 0) {
		log_warn("%s: cannot forward %s", c->name, cmd);
		json_decref(req);
		pending_free(p);
		return -1;
	}
	json_decref(req);
	strlcpy_r(p->cmd, cmd, sizeof(p->cmd));
	return 0;
}

void
pending_reply(struct child *c, const struct proto_msg *msg)
{
	struct pending *p;
	json_t *reply;

	TAILQ_FOREACH(p, &c->pending, entry)
		if (p->wid == msg->id)
			break;
	if (p == NULL) {
		log_debug("%s: a reply to no request (id %lld)", c->name,
		    (long long)msg->id);
		return;
	}
	if (pending_wanted(p)) {
		if (msg->ok)
			reply = proto_reply_ok(p->ctx.id,
			    json_incref(msg->result));
		else
			reply = json_pack("{s:I, s:b, s:O}", "id", p->ctx.id,
			    "ok", 0, "error",
			    json_object_get(msg->root, "error"));
		reply_send(&p->ctx, reply);
	}
	pending_end(p, msg);
}

void
pending_fail_all(struct child *c, const char *why)
{
	while (!TAILQ_EMPTY(&c->pending)) {
		struct pending *p = TAILQ_FIRST(&c->pending);

		if (pending_wanted(p))
			reply_send(&p->ctx,
			    proto_reply_error(p->ctx.id, PROTO_E_UNAVAILABLE,
				"%s: %s", c->name, why));
		pending_end(p, NULL);
	}
}

void
pending_forget_conn(struct reliabd *d, struct ctl_conn *conn)
{
	struct child *c;
	struct pending *p;

	TAILQ_FOREACH(c, &d->children, entry)
		TAILQ_FOREACH(p, &c->pending, entry)
			if (p->ctx.conn == conn)
				p->ctx.conn = NULL;
}

void
pending_forget_child(struct reliabd *d, struct child *gone)
{
	struct child *c;
	struct pending *p;

	if (d == NULL)
		return;
	TAILQ_FOREACH(c, &d->children, entry)
		TAILQ_FOREACH(p, &c->pending, entry)
			if (p->ctx.from == gone)
				p->ctx.from = NULL;
}
