/* hello: who is answering, and which protocol it speaks. */
#include <unistd.h>

#include "ac-config.h"
#include "reliabd.h"

static json_t *
cmd_hello(struct cmd_ctx *ctx, json_t *args)
{
	(void)args;
	return proto_reply_ok(ctx->id,
	    json_pack("{s:s, s:i, s:s, s:I}", "program", "reliabd", "protocol",
		PROTO_VERSION, "version", PACKAGE_VERSION, "pid",
		(json_int_t)getpid()));
}

static const char *const no_args[] = { NULL };

const struct cmd_entry cmd_hello_entry = {
	.name = "hello",
	.fn = cmd_hello,
	.args = no_args,
	.help = "protocol and program versions",
};
