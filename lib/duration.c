/* Durations with units: "250ms", "30s", "2m", "1h", "1h30m", "1.5s"; a bare
 * number is seconds. Parsed in integers, so "0.1s" is exactly 100 ms. */
#include "duration.h"

#include <stdio.h>
#include <string.h>

/* At most this many fraction digits count; more are read but ignored. */
#define FRAC_DIGITS 9

static uint64_t
unit_ms(const char **p)
{
	const char *s = *p;

	if (s[0] == 'm' && s[1] == 's') {
		*p = s + 2;
		return 1;
	}
	if (s[0] == 's') {
		*p = s + 1;
		return 1000;
	}
	if (s[0] == 'm') {
		*p = s + 1;
		return 60 * 1000;
	}
	if (s[0] == 'h') {
		*p = s + 1;
		return 3600 * 1000;
	}
	return 0;
}

int
duration_parse(const char *s, uint64_t *ms)
{
	const char *p = s;
	uint64_t total = 0;
	int parts = 0;

	if (s == NULL || *s == '\0')
		return -1;
	while (*p != '\0') {
		uint64_t ipart = 0, frac = 0, scale = 1, mult, v;
		int idigits = 0, fdigits = 0;

		for (; *p >= '0' && *p <= '9'; p++, idigits++) {
			ipart = ipart * 10 + (uint64_t)(*p - '0');
			if (ipart > DURATION_MAX_MS)
				return -1;
		}
		if (*p == '.') {
			p++;
			for (; *p >= '0' && *p <= '9'; p++, fdigits++) {
				if (fdigits < FRAC_DIGITS) {
					frac = frac * 10 + (uint64_t)(*p - '0');
					scale *= 10;
				}
			}
			/* "1." is a typo more likely than a duration. */
			if (fdigits == 0)
				return -1;
		}
		if (idigits + fdigits == 0)
			return -1;
		if (*p == '\0' && parts == 0) {
			mult = 1000; /* bare number: seconds */
		} else {
			mult = unit_ms(&p);
			if (mult == 0)
				return -1;
		}
		/* ipart <= MAX (2.6e9) and mult <= 3.6e6: no overflow. */
		v = ipart * mult + (frac * mult + scale / 2) / scale;
		total += v;
		if (total > DURATION_MAX_MS)
			return -1;
		parts++;
	}
	*ms = total;
	return 0;
}

char *
duration_format(uint64_t ms, char *buf, size_t len)
{
	uint64_t h = ms / 3600000, m = ms / 60000 % 60, s = ms / 1000 % 60;
	uint64_t rest = ms % 1000;
	size_t off = 0;
	int n;

	if (buf == NULL || len == 0)
		return buf;
	buf[0] = '\0';
	if (ms == 0) {
		snprintf(buf, len, "0s");
		return buf;
	}
	if (ms < 1000) {
		snprintf(buf, len, "%llums", (unsigned long long)ms);
		return buf;
	}
#define APPEND(...)                                                            \
	do {                                                                   \
		n = snprintf(buf + off, len - off, __VA_ARGS__);               \
		if (n < 0 || (size_t)n >= len - off)                           \
			return buf;                                            \
		off += (size_t)n;                                              \
	} while (0)
	if (h > 0)
		APPEND("%lluh", (unsigned long long)h);
	if (m > 0)
		APPEND("%llum", (unsigned long long)m);
	if (s > 0 || rest > 0) {
		APPEND("%llu", (unsigned long long)s);
		if (rest > 0) {
			char frac[8];
			size_t fl;

			snprintf(frac, sizeof(frac), "%03llu",
			    (unsigned long long)rest);
			fl = strlen(frac);
			while (fl > 0 && frac[fl - 1] == '0')
				frac[--fl] = '\0';
			APPEND(".%s", frac);
		}
		APPEND("s");
	}
#undef APPEND
	return buf;
}
