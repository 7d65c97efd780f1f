/* hello: who is answering, and which protocol it speaks. */
#include <unistd.h>

#include "ac-config.h"
#include "reliabd.h"

json_t *
cmd_hello(struct cmd_ctx *ctx, json_t *args)
{
	(void)args;
	return proto_reply_ok(ctx->id,
	    json_pack("{s:s, s:i, s:s, s:I}", "program", "reliabd", "protocol",
		PROTO_VERSION, "version", PACKAGE_VERSION, "pid",
		(json_int_t)getpid()));
}
