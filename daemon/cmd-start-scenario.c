/* start-scenario: the request's shape is checked here (names a list of
 * strings, loop an integer, forever a boolean, the phases strings), then
 * it goes to the scenario worker, which checks what it means (name
 * lengths, how many, loop and duration limits: daemon/scenario/runargs.h
 * alone defines them) and answers. */
#include <limits.h>

#include "reliabd.h"

static json_t *
cmd_start_scenario(struct cmd_ctx *ctx, json_t *args)
{
	static const char *const phases[] = { "stabilization", "testing",
		"recovery" };
	const json_t *names = json_object_get(args, "names");
	const char *dur = NULL;
	json_int_t loop;
	int forever, compare;
	char msg[160];
	size_t i;
	json_t *v;

	if (!json_is_array(names))
		return proto_reply_error(ctx->id, PROTO_E_BAD_ARGUMENTS,
		    "\"names\" must be a list of scenario names");
	json_array_foreach(names, i, v)
		if (!json_is_string(v))
			return proto_reply_error(ctx->id,
			    PROTO_E_BAD_ARGUMENTS,
			    "\"names\" must hold scenario names");
	if (proto_arg_int(args, "loop", 0, LLONG_MIN, LLONG_MAX, &loop, msg,
		sizeof(msg)) < 0 ||
	    proto_arg_bool(args, "forever", &forever, msg, sizeof(msg)) < 0 ||
	    proto_arg_bool(args, "compare", &compare, msg, sizeof(msg)) < 0)
		return proto_reply_error(ctx->id, PROTO_E_BAD_ARGUMENTS, "%s",
		    msg);
	for (i = 0; i < sizeof(phases) / sizeof(phases[0]); i++)
		if (proto_arg_string(args, phases[i], 0, &dur, msg,
			sizeof(msg)) < 0)
			return proto_reply_error(ctx->id,
			    PROTO_E_BAD_ARGUMENTS, "%s", msg);
	return cmd_forward_start(ctx, args);
}

static const char *const start_args[] = { "names", "loop", "forever",
	"stabilization", "testing", "recovery", "compare", NULL };

const struct cmd_entry cmd_start_scenario_entry = {
	.name = "start-scenario",
	.fn = cmd_start_scenario,
	.args = start_args,
	.help = "run scenarios (names, loop, forever, phase overrides)",
};
