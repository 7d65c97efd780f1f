/* Logging to stderr: one write(2) per line, so lines from several threads
 * (and from several processes sharing the stream) never interleave.
 *
 * When stderr is a socket (the journal's stream under systemd) a line is
 * sent without waiting: a stalled journald must not stall reliabd's loop
 * until the watchdog kills it. A line that finds the socket full is
 * dropped and counted; the next line that fits says how many were lost.
 * A file or terminal takes a blocking write, as before. */
#include "log.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#define LOG_LINE_MAX 4096

static char log_prog[64] = "reliabd";
static _Atomic int log_level_cur = LOG_LVL_INFO;
/* stderr is the journal: prefix with sd-daemon priorities instead. */
static _Atomic int log_journal = -1;
/* stderr is a socket: 1, not: 0, not looked at yet: -1. */
static _Atomic int log_sock = -1;

/* The socket path's state, under log_mu: the unsent end of a line cut
 * short by a full socket, and the lines dropped since the last one sent. */
static pthread_mutex_t log_mu = PTHREAD_MUTEX_INITIALIZER;
static const char *log_tag(enum log_level level, int *journal);
static char log_pend[LOG_LINE_MAX];
static size_t log_pend_len;
static unsigned long long log_dropped;

static const char *const level_names[] = {
	[LOG_LVL_ERROR] = "error",
	[LOG_LVL_WARN] = "warn",
	[LOG_LVL_INFO] = "info",
	[LOG_LVL_DEBUG] = "debug",
};

/* sd-daemon(3) priorities: err, warning, info, debug. */
static const char *const level_prio[] = {
	[LOG_LVL_ERROR] = "<3>",
	[LOG_LVL_WARN] = "<4>",
	[LOG_LVL_INFO] = "<6>",
	[LOG_LVL_DEBUG] = "<7>",
};

const char *
log_level_text(enum log_level level)
{
	if ((unsigned)level < sizeof(level_names) / sizeof(level_names[0]))
		return level_names[level];
	return "unknown";
}

int
log_level_parse(const char *s, enum log_level *out)
{
	if (s == NULL)
		return -1;
	for (size_t i = 0; i < sizeof(level_names) / sizeof(level_names[0]);
	    i++) {
		if (strcmp(s, level_names[i]) == 0) {
			*out = (enum log_level)i;
			return 0;
		}
	}
	if (strcmp(s, "warning") == 0 || strcmp(s, "err") == 0) {
		*out = s[0] == 'w' ? LOG_LVL_WARN : LOG_LVL_ERROR;
		return 0;
	}
	return -1;
}

/* JOURNAL_STREAM is "DEV:INODE" of the journal stream; it only counts when
 * stderr is still that stream (a child may have redirected it). */
static int
journal_detect(void)
{
	const char *js = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;

	if (js == NULL || sscanf(js, "%llu:%llu", &dev, &ino) != 2)
		return 0;
	if (fstat(STDERR_FILENO, &st) < 0)
		return 0;
	return (unsigned long long)st.st_dev == dev &&
	    (unsigned long long)st.st_ino == ino;
}

static int
sock_detect(void)
{
	struct stat st;

	return fstat(STDERR_FILENO, &st) == 0 && S_ISSOCK(st.st_mode);
}

static int
journal_on(void)
{
	int j = atomic_load(&log_journal);

	if (j < 0) {
		j = journal_detect();
		atomic_store(&log_journal, j);
	}
	return j;
}

void
log_init(const char *progname, enum log_level level)
{
	if (progname != NULL) {
		const char *slash = strrchr(progname, '/');

		if (slash != NULL && slash[1] != '\0')
			progname = slash + 1;
		snprintf(log_prog, sizeof(log_prog), "%s", progname);
	}
	log_set_level(level);
	atomic_store(&log_journal, journal_detect());
	atomic_store(&log_sock, sock_detect());
}

void
log_set_level(enum log_level level)
{
	if ((unsigned)level > LOG_LVL_DEBUG)
		level = LOG_LVL_DEBUG;
	atomic_store(&log_level_cur, (int)level);
}

enum log_level
log_get_level(void)
{
	return (enum log_level)atomic_load(&log_level_cur);
}

/* Writes the whole line, retrying on EINTR and short writes. */
static void
write_blocking(const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(STDERR_FILENO, buf, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		buf += n;
		len -= (size_t)n;
	}
}

/* Sends what fits now; returns the bytes sent (len when all went), or
 * (size_t)-1 when the socket is gone. */
static size_t
send_now(const char *buf, size_t len)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = send(STDERR_FILENO, buf + done, len - done,
		    MSG_DONTWAIT | MSG_NOSIGNAL);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			return (size_t)-1;
		}
		done += (size_t)n;
	}
	return done;
}

/* Sends a whole line or nothing, but for a line the socket cut short:
 * its end is kept and goes first next time, so no line is ever torn.
 * 0 when the line went (or began to), -1 when it was not sent. */
static int
send_line(const char *buf, size_t len)
{
	size_t n;

	if (log_pend_len > 0) {
		n = send_now(log_pend, log_pend_len);
		if (n == (size_t)-1) {
			log_pend_len = 0;
			return -1;
		}
		memmove(log_pend, log_pend + n, log_pend_len - n);
		log_pend_len -= n;
		if (log_pend_len > 0)
			return -1;
	}
	n = send_now(buf, len);
	if (n == 0 || n == (size_t)-1)
		return -1;
	/* len <= LOG_LINE_MAX: the rest always fits. */
	log_pend_len = len - n;
	memcpy(log_pend, buf + n, log_pend_len);
	return 0;
}

static void
write_socket(const char *buf, size_t len)
{
	pthread_mutex_lock(&log_mu);
	if (log_dropped > 0) {
		char note[160];
		int journal, k;
		const char *tag = log_tag(LOG_LVL_WARN, &journal);

		if (journal)
			k = snprintf(note, sizeof(note), "%s%s: log: %llu lines "
			    "dropped: stderr was full\n", tag, log_prog,
			    log_dropped);
		else
			k = snprintf(note, sizeof(note), "%s: %s: log: %llu lines "
			    "dropped: stderr was full\n", log_prog, tag,
			    log_dropped);
		if (k > 0 && (size_t)k < sizeof(note) &&
		    send_line(note, (size_t)k) == 0)
			log_dropped = 0;
	}
	if (log_dropped > 0 || send_line(buf, len) < 0)
		log_dropped++;
	pthread_mutex_unlock(&log_mu);
}

static void
log_write(const char *buf, size_t len)
{
	int saved = errno, sock = atomic_load(&log_sock);

	if (sock < 0) {
		sock = sock_detect();
		atomic_store(&log_sock, sock);
	}
	if (sock)
		write_socket(buf, len);
	else
		write_blocking(buf, len);
	errno = saved;
}

/* Ends buf (of size LOG_LINE_MAX, `used` bytes wanted) with a newline,
 * marking a cut line; returns the length to write. */
static size_t
log_finish(char *buf, int used)
{
	size_t len;

	if (used < 0)
		used = 0;
	len = (size_t)used;
	if (len >= LOG_LINE_MAX - 1) {
		len = LOG_LINE_MAX - 5;
		memcpy(buf + len, "...", 3);
		len += 3;
	}
	/* A message's own trailing newline is not doubled. */
	while (len > 0 && buf[len - 1] == '\n')
		len--;
	buf[len++] = '\n';
	return len;
}

static const char *
log_tag(enum log_level level, int *journal)
{
	*journal = journal_on();
	if ((unsigned)level > LOG_LVL_DEBUG)
		level = LOG_LVL_DEBUG;
	return *journal ? level_prio[level] : level_names[level];
}

void
log_msg(enum log_level level, const char *func, const char *fmt, ...)
{
	char buf[LOG_LINE_MAX];
	int journal, n, m;
	const char *tag;
	va_list ap;

	if ((int)level > atomic_load(&log_level_cur))
		return;
	tag = log_tag(level, &journal);
	if (journal)
		n = snprintf(buf, sizeof(buf), "%s%s: %s: ", tag, log_prog,
		    func != NULL ? func : "?");
	else
		n = snprintf(buf, sizeof(buf), "%s: %s: %s: ", log_prog, tag,
		    func != NULL ? func : "?");
	if (n < 0 || (size_t)n >= sizeof(buf) - 1)
		n = (int)sizeof(buf) - 2;
	va_start(ap, fmt);
	m = vsnprintf(buf + n, sizeof(buf) - (size_t)n, fmt, ap);
	va_end(ap);
	if (m > 0)
		n += m;
	log_write(buf, log_finish(buf, n));
}

void
log_raw(enum log_level level, const char *prefix, const char *line)
{
	char buf[LOG_LINE_MAX];
	int journal, n;
	const char *tag;

	if ((int)level > atomic_load(&log_level_cur))
		return;
	tag = log_tag(level, &journal);
	n = snprintf(buf, sizeof(buf), "%s%s: %s: %s", journal ? tag : "",
	    log_prog, prefix != NULL ? prefix : "?",
	    line != NULL ? line : "");
	log_write(buf, log_finish(buf, n));
}
