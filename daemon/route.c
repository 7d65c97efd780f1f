/* A worker's channel lines, each to the file that owns its kind: events
 * to events.c, replies to the request waiting in pending.c, requests to
 * the command table. child.c hands the lines here through its hook. */
#include "log.h"
#include "reliabd.h"

void
route_line(struct child *c, const char *line, size_t len)
{
	struct proto_msg msg;
	char err[256];

	if (proto_decode_msg(line, len, &msg, err, sizeof(err)) != PROTO_OK) {
		log_warn("%s: bad message on channel: %s", c->name, err);
		return;
	}
	switch (msg.kind) {
	case PROTO_MSG_EVENT:
		events_from_child(c, msg.root);
		break;
	case PROTO_MSG_REPLY:
		pending_reply(c, &msg);
		break;
	case PROTO_MSG_REQUEST: {
		struct proto_request req;
		struct cmd_ctx ctx = { .d = c->d, .from = c };
		enum proto_err e;

		e = proto_decode_request(line, len, &req, err, sizeof(err));
		ctx.id = req.id;
		if (e != PROTO_OK) {
			reply_send(&ctx,
			    proto_reply_error(req.id, e, "%s", err));
			break;
		}
		cmd_dispatch(&ctx, &req);
		proto_request_clear(&req);
		break;
	}
	}
	proto_msg_clear(&msg);
}
