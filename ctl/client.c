/* One connection to reliabd's control socket. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "proto.h"
#include "reliabctl.h"
#include "util.h"

int
client_connect(struct ctl_client *cl, const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };

	memset(cl, 0, sizeof(*cl));
	cl->fd = -1;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		fprintf(stderr, "reliabctl: socket path too long: %s\n", path);
		return -1;
	}
	strlcpy_r(sun.sun_path, path, sizeof(sun.sun_path));
	cl->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (cl->fd < 0 ||
	    connect(cl->fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		fprintf(stderr,
		    "reliabctl: cannot reach reliabd on %s: %s (is it "
		    "running? see -s)\n",
		    path, strerror(errno));
		if (cl->fd >= 0)
			close(cl->fd);
		cl->fd = -1;
		return -1;
	}
	if (frame_init(&cl->frame, PROTO_LINE_MAX) < 0) {
		close(cl->fd);
		cl->fd = -1;
		return -1;
	}
	return 0;
}

void
client_close(struct ctl_client *cl)
{
	if (cl->fd >= 0)
		close(cl->fd);
	cl->fd = -1;
	frame_free(&cl->frame);
}

static int
write_all(int fd, const char *s, size_t len)
{
	while (len > 0) {
		ssize_t n = send(fd, s, len, MSG_NOSIGNAL);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		s += n;
		len -= (size_t)n;
	}
	return 0;
}

json_t *
client_read(struct ctl_client *cl, int timeout_ms)
{
	uint64_t deadline = now_mono_ms() + (uint64_t)(timeout_ms < 0 ? 0 : timeout_ms);

	for (;;) {
		char *line, buf[16384];
		size_t len;
		enum frame_status st = frame_next(&cl->frame, &line, &len);
		struct pollfd pfd = { .fd = cl->fd, .events = POLLIN };
		int wait_ms = -1, rc;
		ssize_t n;

		if (st == FRAME_LINE) {
			json_t *msg = json_loadb(line, len, 0, NULL);

			if (json_is_object(msg))
				return msg;
			json_decref(msg);
			fprintf(stderr, "reliabctl: reliabd sent a line that "
					"is not a JSON object\n");
			return NULL;
		}
		if (st == FRAME_TOO_LONG) {
			fprintf(stderr,
			    "reliabctl: reliabd sent an over-long line\n");
			return NULL;
		}
		if (timeout_ms >= 0) {
			uint64_t now = now_mono_ms();

			if (now >= deadline)
				return NULL;
			wait_ms = (int)(deadline - now);
		}
		rc = poll(&pfd, 1, wait_ms);
		if (rc < 0 && errno == EINTR)
			continue;
		if (rc <= 0)
			return NULL;
		n = read(cl->fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return NULL;
		if (frame_feed(&cl->frame, buf, (size_t)n) < 0)
			return NULL;
	}
}

json_t *
client_call(struct ctl_client *cl, const char *cmd, json_t *args,
    int timeout_ms)
{
	json_int_t id = ++cl->next_id;
	json_t *req = proto_request_new(id, cmd, json_incref(args));
	char *line;
	size_t len;

	if (req == NULL)
		return NULL;
	line = proto_encode(req, &len);
	json_decref(req);
	if (line == NULL || write_all(cl->fd, line, len) < 0) {
		free(line);
		fprintf(stderr, "reliabctl: cannot send to reliabd: %s\n",
		    strerror(errno));
		return NULL;
	}
	free(line);
	for (;;) {
		json_t *msg = client_read(cl, timeout_ms);
		const json_t *jid;

		if (msg == NULL) {
			fprintf(stderr, "reliabctl: no reply from reliabd\n");
			return NULL;
		}
		jid = json_object_get(msg, "id");
		if (json_object_get(msg, "event") == NULL && json_is_integer(jid) &&
		    (json_integer_value(jid) == id || json_integer_value(jid) == 0))
			return msg;
		json_decref(msg); /* an event, or a stale reply */
	}
}
