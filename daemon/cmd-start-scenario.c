/* start-scenario: validated here for shape, then run by the worker. */
#include "reliabd.h"

#define LOOP_MAX 1000000

static json_t *
cmd_start_scenario(struct cmd_ctx *ctx, json_t *args)
{
	const json_t *names = json_object_get(args, "names");
	const char *dur = NULL;
	static const char *const phases[] = { "stabilization", "testing",
		"recovery" };
	json_int_t loop = 1;
	int forever = 0;
	char msg[160];
	size_t i;
	json_t *v;

	if (!json_is_array(names) || json_array_size(names) == 0 ||
	    json_array_size(names) > 256)
		return proto_reply_error(ctx->id, PROTO_E_BAD_ARGUMENTS,
		    "\"names\" must be a list of 1 to 256 scenario names");
	json_array_foreach(names, i, v)
		if (!json_is_string(v) || json_string_length(v) == 0 ||
		    json_string_length(v) > 128)
			return proto_reply_error(ctx->id,
			    PROTO_E_BAD_ARGUMENTS,
			    "\"names\" must hold scenario names");
	if (proto_arg_int(args, "loop", 0, 1, LOOP_MAX, &loop, msg,
		sizeof(msg)) < 0 ||
	    proto_arg_bool(args, "forever", &forever, msg, sizeof(msg)) < 0)
		return proto_reply_error(ctx->id, PROTO_E_BAD_ARGUMENTS, "%s",
		    msg);
	for (i = 0; i < sizeof(phases) / sizeof(phases[0]); i++)
		if (proto_arg_string(args, phases[i], 0, &dur, msg,
			sizeof(msg)) < 0)
			return proto_reply_error(ctx->id,
			    PROTO_E_BAD_ARGUMENTS, "%s", msg);
	return cmd_forward(ctx, KIND_SCENARIO, "start-scenario", args, 5000);
}

static const char *const start_args[] = { "names", "loop", "forever",
	"stabilization", "testing", "recovery", NULL };

const struct cmd_entry cmd_start_scenario_entry = {
	.name = "start-scenario",
	.fn = cmd_start_scenario,
	.args = start_args,
	.help = "run scenarios (names, loop, forever, phase overrides)",
};
