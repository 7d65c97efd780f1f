/* Durations with units: "250ms", "30s", "2m", "1h"; a bare number is
 * seconds. */
#ifndef RELIABD_DURATION_H
#define RELIABD_DURATION_H

#include <stddef.h>
#include <stdint.h>

/* Longest accepted duration: 30 days, in ms. */
#define DURATION_MAX_MS (30ULL * 24 * 3600 * 1000)

/* 0 and *ms set, or -1 (empty, bad number, unknown unit, negative, or
 * over DURATION_MAX_MS). */
int duration_parse(const char *s, uint64_t *ms);
/* "1.5s", "250ms", "2m", "1h30m"... into buf; returns buf. */
char *duration_format(uint64_t ms, char *buf, size_t len);

#endif
