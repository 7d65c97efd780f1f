/* Lines out of reliabd: a reply to whoever asked (a control client or a
 * worker), and any message down a worker's channel. Below every file
 * that answers, so none of them calls up into control.c, which calls
 * them: a control client's line goes through d->conn_write. */
#include <stdlib.h>

#include <event2/bufferevent.h>

#include "log.h"
#include "metrics.h"
#include "reliabd.h"

int
chan_write(struct child *c, const char *line, size_t len)
{
	if (c->chan == NULL)
		return -1;
	return bufferevent_write(c->chan, line, len);
}

int
chan_send(struct child *c, const json_t *msg)
{
	size_t len;
	char *s;
	int rc;

	s = proto_encode(msg, &len);
	if (s == NULL)
		return -1;
	rc = chan_write(c, s, len);
	free(s);
	return rc;
}

void
reply_send(struct cmd_ctx *ctx, json_t *reply)
{
	size_t len;
	char *line;

	if (reply == NULL) {
		log_error("out of memory building a reply");
		return;
	}
	/* Encoded once; a reply that cannot be sent whole is replaced by
	 * an error, never dropped: the client would wait for nothing. */
	line = proto_encode(reply, &len);
	if (line == NULL) {
		json_decref(reply);
		reply = proto_reply_error(ctx->id, PROTO_E_INTERNAL,
		    "the reply is longer than %d bytes", PROTO_LINE_MAX);
		line = reply ? proto_encode(reply, &len) : NULL;
		if (line == NULL) {
			json_decref(reply);
			return;
		}
	}
	if (json_is_true(json_object_get(reply, "ok")))
		metric_inc(ctx->d->m_requests_ok);
	else
		metric_inc(ctx->d->m_requests_err);
	if (ctx->conn && ctx->d->conn_write)
		ctx->d->conn_write(ctx->conn, line, len);
	else if (ctx->from)
		chan_write(ctx->from, line, len);
	free(line);
	json_decref(reply);
}
