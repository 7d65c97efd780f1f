/* The command table, dispatch, and requests forwarded to workers. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "metrics.h"
#include "reliabd.h"
#include "util.h"

static const char *const no_args[] = { NULL };
static const char *const load_args[] = { "action", NULL };
static const char *const node_args[] = { "name", "down_ms", NULL };
static const char *const start_args[] = { "names", "loop", "forever",
	"stabilization", "testing", "recovery", NULL };
static const char *const runs_args[] = { "last", NULL };
static const char *const show_args[] = { "run", NULL };

const struct cmd_entry cmd_table[] = {
	{ "hello", cmd_hello, no_args, "protocol and program versions" },
	{ "status", cmd_status, no_args, "children, current run, load" },
	{ "list", cmd_list, no_args, "the scenarios that can run" },
	{ "start-scenario", cmd_start_scenario, start_args,
	    "run scenarios (names, loop, forever, phase overrides)" },
	{ "stop", cmd_stop, no_args, "abort the current run" },
	{ "runs", cmd_runs, runs_args, "the last runs from the journal" },
	{ "show", cmd_show, show_args, "one run from the journal" },
	{ "reload", cmd_reload, no_args, "re-read the config" },
	{ "load", cmd_load, load_args, "start or stop the load generator" },
	{ "node-restart", cmd_node_restart, node_args,
	    "kill a managed node and start it again after down_ms" },
	{ "watch", cmd_watch, no_args, "stream events on this connection" },
};
const size_t cmd_table_len = NELEM(cmd_table);

void
cmd_reply(struct cmd_ctx *ctx, json_t *reply)
{
	size_t len;
	char *line;

	if (reply == NULL) {
		log_error("out of memory building a reply");
		return;
	}
	/* Encoded once; a reply that cannot be sent whole is replaced by
	 * an error, never dropped: the client would wait for nothing. */
	line = proto_encode(reply, &len);
	if (line == NULL) {
		json_decref(reply);
		reply = proto_reply_error(ctx->id, PROTO_E_INTERNAL,
		    "the reply is longer than %d bytes", PROTO_LINE_MAX);
		line = reply ? proto_encode(reply, &len) : NULL;
		if (line == NULL) {
			json_decref(reply);
			return;
		}
	}
	if (json_is_true(json_object_get(reply, "ok")))
		metric_inc(ctx->d->m_requests_ok);
	else
		metric_inc(ctx->d->m_requests_err);
	if (ctx->conn)
		control_write(ctx->conn, line, len);
	else if (ctx->from)
		child_write(ctx->from, line, len);
	free(line);
	json_decref(reply);
}

void
cmd_dispatch(struct cmd_ctx *ctx, struct proto_request *req)
{
	const struct cmd_entry *e = NULL;
	char msg[256];
	json_t *reply;

	for (size_t i = 0; i < cmd_table_len; i++)
		if (strcmp(cmd_table[i].name, req->cmd) == 0)
			e = &cmd_table[i];
	if (e == NULL) {
		cmd_reply(ctx, proto_reply_error(req->id,
				   PROTO_E_UNKNOWN_COMMAND,
				   "unknown command \"%s\"", req->cmd));
		return;
	}
	if (proto_args_only(req->args, e->args, msg, sizeof(msg)) < 0) {
		cmd_reply(ctx, proto_reply_error(req->id,
				   PROTO_E_BAD_ARGUMENTS, "%s: %s", e->name,
				   msg));
		return;
	}
	log_debug("%s (id %lld)", e->name, (long long)req->id);
	reply = e->fn(ctx, req->args);
	if (reply)
		cmd_reply(ctx, reply);
}

/* ---- forwarding to workers ----------------------------------------- */

struct pending {
	TAILQ_ENTRY(pending) entry;
	struct child *child;
	json_int_t wid;          /* id on the worker's channel */
	struct cmd_ctx ctx;      /* where the reply goes; conn NULLed if gone */
	struct event *timeout;
};

static void
pending_free(struct pending *p)
{
	TAILQ_REMOVE(&p->child->pending, p, entry);
	if (p->timeout)
		event_free(p->timeout);
	free(p);
}

static void
pending_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct pending *p = arg;

	(void)fd;
	(void)what;
	if (p->ctx.conn || p->ctx.from)
		cmd_reply(&p->ctx, proto_reply_error(p->ctx.id, PROTO_E_TIMEOUT,
				       "%s did not answer in time",
				       p->child->name));
	pending_free(p);
}

json_t *
cmd_forward(struct cmd_ctx *ctx, enum child_kind kind, const char *cmd,
    json_t *args, uint64_t timeout_ms)
{
	struct child *c = child_find_kind(ctx->d, kind);
	struct timeval tv = { .tv_sec = timeout_ms / 1000,
		.tv_usec = (timeout_ms % 1000) * 1000 };
	struct pending *p;
	json_t *req;

	if (c == NULL)
		return proto_reply_error(ctx->id, PROTO_E_UNAVAILABLE,
		    "no %s worker is configured", child_kind_text(kind));
	if (c->chan == NULL || c->state != CHILD_RUNNING)
		return proto_reply_error(ctx->id, PROTO_E_UNAVAILABLE,
		    "the %s worker is %s", c->name, child_state_text(c->state));
	p = calloc(1, sizeof(*p));
	if (p == NULL)
		return proto_reply_error(ctx->id, PROTO_E_INTERNAL,
		    "out of memory");
	p->child = c;
	p->wid = ++c->next_req_id;
	p->ctx = *ctx;
	TAILQ_INSERT_TAIL(&c->pending, p, entry);
	p->timeout = evtimer_new(ctx->d->base, pending_timeout, p);
	req = proto_request_new(p->wid, cmd, json_deep_copy(args));
	if (p->timeout == NULL || req == NULL || child_send(c, req) < 0 ||
	    evtimer_add(p->timeout, &tv) < 0) {
		json_decref(req);
		pending_free(p);
		return proto_reply_error(ctx->id, PROTO_E_UNAVAILABLE,
		    "cannot reach the %s worker", c->name);
	}
	json_decref(req);
	return NULL;
}

void
cmd_forward_reply(struct child *c, struct proto_msg *msg)
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
	if (p->ctx.conn || p->ctx.from) {
		if (msg->ok)
			reply = proto_reply_ok(p->ctx.id,
			    json_incref(msg->result));
		else
			reply = json_pack("{s:I, s:b, s:O}", "id", p->ctx.id,
			    "ok", 0, "error",
			    json_object_get(msg->root, "error"));
		cmd_reply(&p->ctx, reply);
	}
	pending_free(p);
}

void
cmd_forward_drop_conn(struct reliabd *d, struct ctl_conn *conn)
{
	struct child *c;
	struct pending *p;

	TAILQ_FOREACH(c, &d->children, entry)
		TAILQ_FOREACH(p, &c->pending, entry)
			if (p->ctx.conn == conn)
				p->ctx.conn = NULL;
}

void
cmd_forward_drop_child(struct reliabd *d, struct child *gone)
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

void
cmd_forward_fail_all(struct child *c, const char *why)
{
	while (!TAILQ_EMPTY(&c->pending)) {
		struct pending *p = TAILQ_FIRST(&c->pending);

		if (p->ctx.conn || p->ctx.from)
			cmd_reply(&p->ctx,
			    proto_reply_error(p->ctx.id, PROTO_E_UNAVAILABLE,
				"%s: %s", c->name, why));
		pending_free(p);
	}
}
