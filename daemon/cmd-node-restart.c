/* node-restart: kill a managed memcached node (its cache goes cold) and
 * start it again after down_ms. Asked by the node-restart scenario. */
#include "reliabd.h"

#define NODE_DOWN_MAX_MS (10 * 60 * 1000)

static json_t *
cmd_node_restart(struct cmd_ctx *ctx, json_t *args)
{
	const char *name = NULL;
	json_int_t down_ms = 1000;
	struct child *c;
	char msg[128];

	if (proto_arg_string(args, "name", 1, &name, msg, sizeof(msg)) < 0 ||
	    proto_arg_int(args, "down_ms", 0, 0, NODE_DOWN_MAX_MS, &down_ms,
		msg, sizeof(msg)) < 0)
		return proto_reply_error(ctx->id, PROTO_E_BAD_ARGUMENTS, "%s",
		    msg);
	c = child_find(ctx->d, name);
	if (c == NULL || c->kind != KIND_NODE || c->removed)
		return proto_reply_error(ctx->id, PROTO_E_NOT_FOUND,
		    "no managed node named \"%.64s\"", name);
	if (ctx->d->state == DAEMON_STOPPING || !c->want_up)
		return proto_reply_error(ctx->id, PROTO_E_UNAVAILABLE,
		    "%s is being stopped", c->name);
	child_kill_hold(c, (uint64_t)down_ms);
	events_emit(ctx->d, "node-restart", json_pack("{s:s, s:I}", "name",
	    c->name, "down_ms", down_ms));
	return proto_reply_ok(ctx->id,
	    json_pack("{s:s, s:I}", "node", c->name, "down_ms", down_ms));
}

static const char *const node_args[] = { "name", "down_ms", NULL };

const struct cmd_entry cmd_node_restart_entry = {
	.name = "node-restart",
	.fn = cmd_node_restart,
	.args = node_args,
	.help = "kill a managed node and start it again after down_ms",
};
