/* Logging to stderr: one write(2) per line, so lines from several threads
 * (and from several processes sharing the stream) never interleave. */
#include "log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define LOG_LINE_MAX 4096

static char log_prog[64] = "reliabd";
static _Atomic int log_level_cur = LOG_LVL_INFO;
/* stderr is the journal: prefix with sd-daemon priorities instead. */
static _Atomic int log_journal = -1;

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
log_write(const char *buf, size_t len)
{
	int saved = errno;

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
