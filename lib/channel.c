/* A worker's JSON-lines link to reliabd (see channel.h). */
#include "channel.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "proto.h"
#include "util.h"

/* How long a send may wait for a full socket buffer (a reliabd that
 * stopped reading) before it gives up. */
#define CHANNEL_SEND_TIMEOUT_MS 5000

static pthread_mutex_t chan_lock = PTHREAD_MUTEX_INITIALIZER;
static int chan_fd = -1;

int
channel_open(void)
{
	const char *s = getenv(CHANNEL_ENV);
	struct stat st;
	uint64_t v;
	int fd;

	if (s == NULL)
		return -1;
	if (parse_u64(s, 0, 65535, &v) < 0) {
		log_warn("%s=\"%.32s\" is not a file descriptor number",
		    CHANNEL_ENV, s);
		unsetenv(CHANNEL_ENV);
		return -1;
	}
	fd = (int)v;
	unsetenv(CHANNEL_ENV);
	if (fstat(fd, &st) < 0) {
		log_warn("%s=%d: %s", CHANNEL_ENV, fd, strerror(errno));
		return -1;
	}
	if (!S_ISSOCK(st.st_mode)) {
		log_warn("%s=%d is not a socket", CHANNEL_ENV, fd);
		return -1;
	}
	if (fd_set_cloexec(fd) < 0) {
		log_warn("%s=%d: cannot set close-on-exec: %s", CHANNEL_ENV,
		    fd, strerror(errno));
		return -1;
	}
	pthread_mutex_lock(&chan_lock);
	chan_fd = fd;
	pthread_mutex_unlock(&chan_lock);
	return fd;
}

int
channel_fd(void)
{
	int fd;

	pthread_mutex_lock(&chan_lock);
	fd = chan_fd;
	pthread_mutex_unlock(&chan_lock);
	return fd;
}

/* Writes all of buf; the fd may be non-blocking (a worker's event loop
 * also reads it), so a full buffer is waited out, within bounds. */
static int
send_all(int fd, const char *buf, size_t len)
{
	uint64_t deadline = now_mono_ms() + CHANNEL_SEND_TIMEOUT_MS;

	while (len > 0) {
		ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);

		if (n >= 0) {
			buf += n;
			len -= (size_t)n;
			continue;
		}
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK) {
			struct pollfd pfd = { .fd = fd, .events = POLLOUT };
			uint64_t now = now_mono_ms();

			if (now >= deadline) {
				errno = ETIMEDOUT;
				return -1;
			}
			if (poll(&pfd, 1, (int)(deadline - now)) < 0 &&
			    errno != EINTR)
				return -1;
			continue;
		}
		return -1;
	}
	return 0;
}

int
channel_send(json_t *msg)
{
	char *line;
	size_t len;
	int rc;

	if (msg == NULL)
		return -1;
	pthread_mutex_lock(&chan_lock);
	if (chan_fd < 0) {
		/* Run by hand: nobody to tell. */
		pthread_mutex_unlock(&chan_lock);
		return -1;
	}
	/* proto's encoder: one compact line with its newline, bounded by
	 * the line limit reliabd reads with. */
	line = proto_encode(msg, &len);
	if (line == NULL) {
		pthread_mutex_unlock(&chan_lock);
		log_error("cannot encode a message (no memory, or over %d "
		    "bytes)", PROTO_LINE_MAX);
		return -1;
	}
	rc = send_all(chan_fd, line, len);
	if (rc < 0)
		log_warn("send to reliabd: %s", strerror(errno));
	pthread_mutex_unlock(&chan_lock);
	free(line);
	return rc;
}

int
channel_event(const char *name, json_t *fields)
{
	json_t *msg;
	int rc;

	if (name == NULL) {
		json_decref(fields);
		return -1;
	}
	if (fields != NULL && !json_is_object(fields)) {
		log_error("event %s: fields are not an object", name);
		json_decref(fields);
		return -1;
	}
	msg = json_object();
	if (msg == NULL) {
		json_decref(fields);
		log_error("out of memory");
		return -1;
	}
	if ((fields != NULL && json_object_update(msg, fields) < 0) ||
	    json_object_set_new(msg, "event", json_string(name)) < 0) {
		json_decref(fields);
		json_decref(msg);
		log_error("out of memory");
		return -1;
	}
	json_decref(fields);
	rc = channel_send(msg);
	json_decref(msg);
	return rc;
}

void
channel_close(void)
{
	pthread_mutex_lock(&chan_lock);
	if (chan_fd >= 0)
		close(chan_fd);
	chan_fd = -1;
	pthread_mutex_unlock(&chan_lock);
}
