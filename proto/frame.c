/* Line framing with a hard limit. */
#include "frame.h"

#include <stdlib.h>
#include <string.h>

const char *
frame_status_text(enum frame_status st)
{
	switch (st) {
	case FRAME_LINE:
		return "line";
	case FRAME_NEED_MORE:
		return "need-more";
	case FRAME_TOO_LONG:
		return "too-long";
	}
	return "unknown";
}

int
frame_init(struct frame *f, size_t max)
{
	memset(f, 0, sizeof(*f));
	f->max = max;
	f->cap = 4096;
	f->buf = malloc(f->cap);
	return f->buf ? 0 : -1;
}

void
frame_free(struct frame *f)
{
	free(f->buf);
	memset(f, 0, sizeof(*f));
}

/* Drops the line handed out last. */
static void
frame_compact(struct frame *f)
{
	if (f->consumed == 0)
		return;
	memmove(f->buf, f->buf + f->consumed, f->len - f->consumed);
	f->len -= f->consumed;
	f->consumed = 0;
}

/* Length of the unterminated tail of the buffer. */
static size_t
frame_partial(const struct frame *f)
{
	size_t i = f->len;

	while (i > f->consumed && f->buf[i - 1] != '\n')
		i--;
	return f->len - i;
}

int
frame_feed(struct frame *f, const char *data, size_t len)
{
	frame_compact(f);
	while (len > 0) {
		const char *nl;
		size_t take, partial;

		if (f->discarding) {
			nl = memchr(data, '\n', len);
			if (nl == NULL)
				return 0;
			len -= (size_t)(nl + 1 - data);
			data = nl + 1;
			f->discarding = 0;
			continue;
		}
		nl = memchr(data, '\n', len);
		take = nl ? (size_t)(nl + 1 - data) : len;
		partial = frame_partial(f);
		/* The line's content, without its newline, may be max bytes
		 * (plus a "\r" before the "\n"). */
		if (partial + take - (nl ? 1 : 0) > f->max + 1) {
			/* The long line becomes a marker line ("\0"), so the
			 * overflow is reported in order with the lines around
			 * it; the rest of it is skipped up to its newline. */
			f->len -= partial;
			if (f->len + 2 > f->cap) {
				char *nbuf = realloc(f->buf, f->cap * 2);

				if (nbuf == NULL)
					return -1;
				f->buf = nbuf;
				f->cap *= 2;
			}
			f->buf[f->len++] = '\0';
			f->buf[f->len++] = '\n';
			f->discarding = 1;
			continue;
		}
		if (f->len + take + 1 > f->cap) {
			size_t ncap = f->cap;
			char *nbuf;

			while (ncap < f->len + take + 1)
				ncap *= 2;
			nbuf = realloc(f->buf, ncap);
			if (nbuf == NULL)
				return -1;
			f->buf = nbuf;
			f->cap = ncap;
		}
		memcpy(f->buf + f->len, data, take);
		f->len += take;
		data += take;
		len -= take;
	}
	return 0;
}

enum frame_status
frame_next(struct frame *f, char **line, size_t *len)
{
	char *start, *nl;
	size_t n;

	frame_compact(f);
	start = f->buf;
	nl = f->len ? memchr(start, '\n', f->len) : NULL;
	if (nl == NULL)
		return FRAME_NEED_MORE;
	n = (size_t)(nl - start);
	f->consumed = n + 1;
	if (n == 1 && start[0] == '\0')
		return FRAME_TOO_LONG; /* the marker of a skipped line */
	if (n > 0 && start[n - 1] == '\r')
		n--;
	start[n] = '\0';
	if (n > f->max)
		return FRAME_TOO_LONG;
	*line = start;
	*len = n;
	return FRAME_LINE;
}
