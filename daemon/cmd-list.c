/* list: the scenarios the scenario worker knows. */
#include "reliabd.h"

static json_t *
cmd_list(struct cmd_ctx *ctx, json_t *args)
{
	return cmd_forward(ctx, KIND_SCENARIO, "list", args, 5000);
}

static const char *const no_args[] = { NULL };

const struct cmd_entry cmd_list_entry = {
	.name = "list",
	.fn = cmd_list,
	.args = no_args,
	.help = "the scenarios that can run",
};
