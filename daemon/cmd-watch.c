/* watch: this connection now streams events, one JSON object a line. */
#include "reliabd.h"

static json_t *
cmd_watch(struct cmd_ctx *ctx, json_t *args)
{
	(void)args;
	if (ctx->conn == NULL || ctx->d->conn_watch == NULL)
		return proto_reply_error(ctx->id, PROTO_E_BAD_REQUEST,
		    "watch needs a control connection");
	ctx->d->conn_watch(ctx->conn);
	return proto_reply_ok(ctx->id, json_pack("{s:b}", "watching", 1));
}

static const char *const no_args[] = { NULL };

const struct cmd_entry cmd_watch_entry = {
	.name = "watch",
	.fn = cmd_watch,
	.args = no_args,
	.help = "stream events on this connection",
};
