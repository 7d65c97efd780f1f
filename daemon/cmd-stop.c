/* stop: abort the current run; the worker removes its faults first. */
#include "reliabd.h"

static json_t *
cmd_stop(struct cmd_ctx *ctx, json_t *args)
{
	/* An explicit stop also ends the configured playlist until restart. */
	ctx->d->playlist_stopped = 1;
	/* Nor is a job its dead worker left sent again. */
	job_stop(ctx->d);
	return cmd_forward(ctx, KIND_SCENARIO, "stop", args, 5000);
}

static const char *const no_args[] = { NULL };

const struct cmd_entry cmd_stop_entry = {
	.name = "stop",
	.fn = cmd_stop,
	.args = no_args,
	.help = "abort the current run",
};
