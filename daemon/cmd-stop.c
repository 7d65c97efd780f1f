/* stop: abort the current run; the worker removes its faults first. */
#include "reliabd.h"

json_t *
cmd_stop(struct cmd_ctx *ctx, json_t *args)
{
	/* An explicit stop also ends the configured playlist until restart. */
	ctx->d->playlist_stopped = 1;
	return cmd_forward(ctx, CHILD_SCENARIO, "stop", args, 5000);
}
