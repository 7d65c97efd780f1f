/* runs: the last runs from the journal, or one scenario's. Each run
 * without its phases, faults and checks (`show` has them), so a reply
 * holds many runs' key figures. */
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

/* What `runs` lists of a record: all but the bulky parts. */
static void
runs_slim(json_t *runs)
{
	size_t i;
	json_t *run;

	json_array_foreach(runs, i, run) {
		json_object_del(run, "phases");
		json_object_del(run, "faults");
		json_object_del(run, "checks");
	}
}

/* Keeps the last `last` runs of this scenario. The records are the
 * journal reader's own, so they are changed in place. */
static json_t *
runs_of(json_t *runs, const char *scenario, size_t last)
{
	json_t *out = json_array(), *run;
	size_t i;

	if (out == NULL) {
		json_decref(runs);
		return NULL;
	}
	json_array_foreach(runs, i, run) {
		const char *sc = json_string_value(json_object_get(run,
		    "scenario"));

		if (sc && strcmp(sc, scenario) == 0)
			json_array_append(out, run);
	}
	json_decref(runs);
	while (json_array_size(out) > last)
		json_array_remove(out, 0);
	return out;
}

static json_t *
cmd_runs(struct cmd_ctx *ctx, json_t *args)
{
	json_int_t last = 20;
	const char *scenario = NULL;
	char msg[256];
	size_t skipped;
	json_t *runs, *res;

	if (proto_arg_int(args, "last", 0, 1, RUNS_MAX, &last, msg,
		sizeof(msg)) < 0 ||
	    proto_arg_string(args, "scenario", 0, &scenario, msg,
		sizeof(msg)) < 0)
		return proto_reply_error(ctx->id, PROTO_E_BAD_ARGUMENTS, "%s",
		    msg);
	/* One scenario's: its runs among the last RUNS_MAX of all. */
	runs = journal_last(ctx->d->cfg.state_dir,
	    scenario ? RUNS_MAX : (size_t)last, &skipped, msg, sizeof(msg));
	if (runs && scenario)
		runs = runs_of(runs, scenario, (size_t)last);
	if (runs == NULL)
		return proto_reply_error(ctx->id, PROTO_E_INTERNAL, "%s",
		    msg[0] ? msg : "out of memory");
	runs_slim(runs);
	res = json_pack("{s:o, s:b, s:I}", "runs", runs, "truncated",
	    runs_fit(runs), "skipped", (json_int_t)skipped);
	if (res && scenario)
		json_object_set_new(res, "scenario", json_string(scenario));
	return proto_reply_ok(ctx->id, res);
}

static const char *const runs_args[] = { "last", "scenario", NULL };

const struct cmd_entry cmd_runs_entry = {
	.name = "runs",
	.fn = cmd_runs,
	.args = runs_args,
	.help = "the last runs from the journal",
};
