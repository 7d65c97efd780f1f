/* runs: the last runs from the journal. */
#include <stdio.h>

#include "reliabd.h"

#define RUNS_MAX 10000

json_t *
cmd_runs(struct cmd_ctx *ctx, json_t *args)
{
	json_int_t last = 20;
	char msg[256];
	json_t *runs;

	if (proto_arg_int(args, "last", 0, 1, RUNS_MAX, &last, msg,
		sizeof(msg)) < 0)
		return proto_reply_error(ctx->id, PROTO_E_BAD_ARGUMENTS, "%s",
		    msg);
	runs = journal_last(ctx->d->cfg.state_dir, (size_t)last, msg,
	    sizeof(msg));
	if (runs == NULL)
		return proto_reply_error(ctx->id, PROTO_E_INTERNAL, "%s", msg);
	return proto_reply_ok(ctx->id, json_pack("{s:o}", "runs", runs));
}
