/* watch: this connection now streams events, one JSON object a line. */
#include "reliabd.h"

json_t *
cmd_watch(struct cmd_ctx *ctx, json_t *args)
{
	(void)args;
	if (ctx->conn == NULL)
		return proto_reply_error(ctx->id, PROTO_E_BAD_REQUEST,
		    "watch needs a control connection");
	control_set_watch(ctx->conn);
	return proto_reply_ok(ctx->id, json_pack("{s:b}", "watching", 1));
}
