/* Logging to stderr with a level; every line names the program and the
 * function. Thread-safe: one write per line. */
#ifndef RELIABD_LOG_H
#define RELIABD_LOG_H

enum log_level {
	LOG_LVL_ERROR,
	LOG_LVL_WARN,
	LOG_LVL_INFO,
	LOG_LVL_DEBUG,
};

const char *log_level_text(enum log_level level);
/* Returns 0 and sets *out, or -1 for an unknown name. */
int log_level_parse(const char *s, enum log_level *out);

void log_init(const char *progname, enum log_level level);
void log_set_level(enum log_level level);
enum log_level log_get_level(void);

void log_msg(enum log_level level, const char *func, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* A line that already carries its origin (a child's output relayed). */
void log_raw(enum log_level level, const char *prefix, const char *line);

#define log_error(...) log_msg(LOG_LVL_ERROR, __func__, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_LVL_WARN, __func__, __VA_ARGS__)
#define log_info(...) log_msg(LOG_LVL_INFO, __func__, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_LVL_DEBUG, __func__, __VA_ARGS__)

/* A broken invariant: log and abort. */
#define FATAL_BUG(...)                                                         \
	do {                                                                   \
		log_msg(LOG_LVL_ERROR, __func__, __VA_ARGS__);                 \
		abort();                                                       \
	} while (0)

#endif
