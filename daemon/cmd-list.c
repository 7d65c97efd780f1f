/* list: the scenarios the scenario worker knows. */
#include "reliabd.h"

json_t *
cmd_list(struct cmd_ctx *ctx, json_t *args)
{
	return cmd_forward(ctx, CHILD_SCENARIO, "list", args, 5000);
}
