/* Line framing with a hard limit, for readers that are not libevent
 * bufferevents (reliabctl, the workers' channel). */
#ifndef RELIABD_FRAME_H
#define RELIABD_FRAME_H

#include <stddef.h>

enum frame_status {
	FRAME_LINE,      /* a line is ready */
	FRAME_NEED_MORE, /* no complete line yet */
	FRAME_TOO_LONG,  /* a line passed the limit: it is skipped to its end,
			  * and reported in its place among the others */
};
const char *frame_status_text(enum frame_status st);

struct frame {
	char *buf;
	size_t len, cap, max;
	size_t consumed; /* bytes of the line handed out last */
	int discarding;  /* inside an overlong line */
};

int frame_init(struct frame *f, size_t max);
void frame_free(struct frame *f);
/* Appends bytes; -1 on no memory. Never grows past max+1 line bytes. */
int frame_feed(struct frame *f, const char *data, size_t len);
/* The next line (NUL-terminated, without "\n" or "\r\n"); valid until the
 * next call. */
enum frame_status frame_next(struct frame *f, char **line, size_t *len);

#endif
