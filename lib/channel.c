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
#include "util.h"

/* How long a send may wait for a full socket buffer (a reliabd that
 * stopped reading) before it gives up. */
#define CHANNEL_SEND_TIMEOUT_MS 5000
/* Longest message sent; reliabd's line limit is 64 KiB. */
#define CHANNEL_LINE_MAX (64 * 1024)

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
	char *text;
	size_t len;
	int rc = -1;

	if (msg == NULL)
		return -1;
	pthread_mutex_lock(&chan_lock);
	if (chan_fd < 0) {
		/* Run by hand: nobody to tell. */
		pthread_mutex_unlock(&chan_lock);
		return -1;
	}
	text = json_dumps(msg, JSON_COMPACT);
	if (text == NULL) {
		pthread_mutex_unlock(&chan_lock);
		log_error("cannot encode message");
		return -1;
	}
	len = strlen(text);
	if (len + 1 > CHANNEL_LINE_MAX) {
		log_error("message of %zu bytes is over the line limit", len);
	} else {
		/* json_dumps left room for nothing: add the newline by
		 * reallocating, so one send() can carry the whole line. */
		char *line = realloc(text, len + 2);

		if (line == NULL) {
			log_error("out of memory");
		} else {
			text = line;
			text[len] = '\n';
			text[len + 1] = '\0';
			rc = send_all(chan_fd, text, len + 1);
			if (rc < 0)
				log_warn("send to reliabd: %s",
				    strerror(errno));
		}
	}
	pthread_mutex_unlock(&chan_lock);
	free(text);
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
