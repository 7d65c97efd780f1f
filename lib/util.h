/* Small helpers every program uses. */
#ifndef RELIABD_UTIL_H
#define RELIABD_UTIL_H

#include <stddef.h>
#include <stdint.h>

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* Monotonic and wall clocks. */
uint64_t now_mono_ns(void);
uint64_t now_mono_ms(void);
double now_wall(void); /* seconds since the epoch */

/* Like strlcpy: returns strlen(src); truncates. */
size_t strlcpy_r(char *dst, const char *src, size_t size);

/* Strict number parsing: the whole string, in range. 0 or -1. */
int parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out);
int parse_double(const char *s, double min, double max, double *out);

/* fd flags. 0 or -1 (errno set). */
int fd_set_cloexec(int fd);
int fd_set_nonblock(int fd);

/* open() for a file we read or append to: close-on-exec, and never
 * blocking on what is not a regular file (a FIFO in a config or state
 * directory would otherwise hang the caller): that fails with EINVAL.
 * The fd is blocking again on return. fd or -1 (errno set). */
int open_regular(const char *path, int flags, int mode);
/* strerror for open_regular's errno: EINVAL reads "not a regular file". */
const char *file_strerror(int e);

/* Count of open fds of this process (from /proc/self/fd), or -1. */
int count_open_fds(void);

#endif
