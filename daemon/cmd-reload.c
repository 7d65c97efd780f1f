/* reload: re-read the config; a bad one is rejected and the old kept. */
#include "reliabd.h"

static json_t *
cmd_reload(struct cmd_ctx *ctx, json_t *args)
{
	char err[1024];

	struct child *sc;

	(void)args;
	if (daemon_reload(ctx->d, err, sizeof(err)) < 0)
		return proto_reply_error(ctx->id, PROTO_E_BAD_CONFIG, "%s", err);
	/* The scenario worker's answer is the reply: its scenario count and
	 * the bad files, each with its reason (issue 16). */
	sc = child_find_kind(ctx->d, KIND_SCENARIO);
	if (sc != NULL && sc->state == CHILD_RUNNING)
		return cmd_forward(ctx, KIND_SCENARIO, "reload", NULL, 5000);
	return proto_reply_ok(ctx->id,
	    json_pack("{s:s}", "config", ctx->d->config_path));
}

static const char *const no_args[] = { NULL };

const struct cmd_entry cmd_reload_entry = {
	.name = "reload",
	.fn = cmd_reload,
	.args = no_args,
	.help = "re-read the config",
};
