/* libFuzzer: the control protocol decoder (requests, replies/events) and
 * the line framer, as the daemon and reliabctl run them. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "frame.h"
#include "proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct proto_request req;
	struct proto_msg msg;
	struct frame f;
	char err[256], *line;
	size_t len;

	if (proto_decode_request((const char *)data, size, &req, err,
		sizeof(err)) == PROTO_OK) {
		json_t *reply = proto_reply_ok(req.id, json_deep_copy(req.args));
		char *s = reply ? proto_encode(reply, &len) : NULL;

		free(s);
		json_decref(reply);
		proto_request_clear(&req);
	}
	if (proto_decode_msg((const char *)data, size, &msg, err,
		sizeof(err)) == PROTO_OK)
		proto_msg_clear(&msg);

	/* Framing with a small limit, fed in uneven pieces. */
	if (frame_init(&f, 64) == 0) {
		size_t off = 0, step = 1;

		while (off < size) {
			size_t n = size - off < step ? size - off : step;

			if (frame_feed(&f, (const char *)data + off, n) < 0)
				break;
			off += n;
			step = step * 3 % 17 + 1;
			for (;;) {
				enum frame_status st = frame_next(&f, &line, &len);

				if (st == FRAME_NEED_MORE)
					break;
				/* A line never passes the limit and is
				 * always terminated. */
				if (st == FRAME_LINE &&
				    (len > 64 || line[len] != '\0'))
					abort();
			}
		}
		frame_free(&f);
	}
	return 0;
}
