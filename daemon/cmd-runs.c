/* runs: the last runs from the journal. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reliabd.h"

#define RUNS_MAX 10000
/* Room left in a reply line for what surrounds the runs. */
#define RUNS_REPLY_MAX (PROTO_LINE_MAX - 1024)

/* Drops the oldest runs until the newest ones fit in one reply line;
 * returns whether any was dropped. */
static int
runs_fit(json_t *runs)
{
	size_t n = json_array_size(runs), total = 0, keep = 0;

	while (keep < n) {
		char *s = json_dumps(json_array_get(runs, n - 1 - keep),
		    JSON_COMPACT | JSON_ENSURE_ASCII);
		size_t len = s ? strlen(s) + 1 : RUNS_REPLY_MAX;

		free(s);
		if (total + len > RUNS_REPLY_MAX)
			break;
		total += len;
		keep++;
	}
	for (size_t i = keep; i < n; i++)
		json_array_remove(runs, 0);
	return keep < n;
}

static json_t *
cmd_runs(struct cmd_ctx *ctx, json_t *args)
{
	json_int_t last = 20;
	char msg[256];
	size_t skipped;
	json_t *runs;

	if (proto_arg_int(args, "last", 0, 1, RUNS_MAX, &last, msg,
		sizeof(msg)) < 0)
		return proto_reply_error(ctx->id, PROTO_E_BAD_ARGUMENTS, "%s",
		    msg);
	runs = journal_last(ctx->d->cfg.state_dir, (size_t)last, &skipped,
	    msg, sizeof(msg));
	if (runs == NULL)
		return proto_reply_error(ctx->id, PROTO_E_INTERNAL, "%s", msg);
	return proto_reply_ok(ctx->id, json_pack("{s:o, s:b, s:I}", "runs",
					   runs, "truncated", runs_fit(runs),
					   "skipped", (json_int_t)skipped));
}

static const char *const runs_args[] = { "last", NULL };

const struct cmd_entry cmd_runs_entry = {
	.name = "runs",
	.fn = cmd_runs,
	.args = runs_args,
	.help = "the last runs from the journal",
};
