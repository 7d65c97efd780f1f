/* show: one run from the journal, by id or unique id prefix. */
#include "reliabd.h"

static json_t *
cmd_show(struct cmd_ctx *ctx, json_t *args)
{
	const char *id = NULL;
	char msg[256];
	json_t *run;

	if (proto_arg_string(args, "run", 1, &id, msg, sizeof(msg)) < 0)
		return proto_reply_error(ctx->id, PROTO_E_BAD_ARGUMENTS, "%s",
		    msg);
	msg[0] = '\0';
	run = journal_find(ctx->d->cfg.state_dir, id, msg, sizeof(msg));
	if (run == NULL)
		return proto_reply_error(ctx->id, PROTO_E_NOT_FOUND, "%s",
		    msg[0] ? msg : "no such run");
	return proto_reply_ok(ctx->id, json_pack("{s:o}", "run", run));
}

static const char *const show_args[] = { "run", NULL };

const struct cmd_entry cmd_show_entry = {
	.name = "show",
	.fn = cmd_show,
	.args = show_args,
	.help = "one run from the journal",
};
