/* A request a worker answers (list, start-scenario, stop, the
 * playlist): sent down its channel, and answered when its reply comes
 * (pending.c). Beside cmd.c, not in it: the commands call this, and
 * cmd.c calls the commands. */
#include "reliabd.h"

json_t *
cmd_forward(struct cmd_ctx *ctx, enum kind kind, const char *cmd,
    json_t *args, uint64_t timeout_ms)
{
	struct child *c = child_find_kind(ctx->d, kind);

	if (c == NULL)
		return proto_reply_error(ctx->id, PROTO_E_UNAVAILABLE,
		    "no %s worker is configured", kind_text(kind));
	if (c->chan == NULL || c->state != CHILD_RUNNING)
		return proto_reply_error(ctx->id, PROTO_E_UNAVAILABLE,
		    "the %s worker is %s", c->name, child_state_text(c->state));
	if (pending_add(c, ctx, cmd, args, timeout_ms) < 0)
		return proto_reply_error(ctx->id, PROTO_E_UNAVAILABLE,
		    "cannot reach the %s worker", c->name);
	return NULL;
}

void
cmd_forward_drop_conn(struct reliabd *d, struct ctl_conn *conn)
{
	pending_forget_conn(d, conn);
}
