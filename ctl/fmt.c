/* reliabctl's number and time formats for people: rounded numbers,
 * short durations, local wall times, and the pieces the run reports
 * share (sorted keys, errors by kind, a check's way and result). "-"
 * for what is not known. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "reliabctl.h"

char *
fmt_duration_s(double s, char *buf, size_t len)
{
	long t;

	/* Past 1e12 s the cast to long is no longer safe (nor useful). */
	if (!isfinite(s) || s < 0 || s > 1e12) {
		snprintf(buf, len, "-");
		return buf;
	}
	if (s < 10) {
		snprintf(buf, len, "%.1fs", s);
		return buf;
	}
	t = (long)s;
	if (t < 60)
		snprintf(buf, len, "%lds", t);
	else if (t < 3600)
		snprintf(buf, len, "%ldm%02lds", t / 60, t % 60);
	else if (t < 86400)
		snprintf(buf, len, "%ldh%02ldm", t / 3600, (t % 3600) / 60);
	else
		snprintf(buf, len, "%ldd%02ldh", t / 86400, (t % 86400) / 3600);
	return buf;
}

void
fmt_time(double t, char *buf, size_t len)
{
	time_t tt;
	struct tm tm;

	/* A NaN or huge double cast to time_t is undefined: check first. */
	if (!isfinite(t) || t <= 0 || t > 1e15) {
		snprintf(buf, len, "-");
		return;
	}
	tt = (time_t)t;
	if (localtime_r(&tt, &tm) == NULL)
		snprintf(buf, len, "-");
	else
		strftime(buf, len, "%Y-%m-%d %H:%M:%S", &tm);
}

char *
fmt_clock(double t, char *buf, size_t len)
{
	time_t tt;
	struct tm tm;
	char hms[16];

	if (!isfinite(t) || t <= 0 || t > 1e15) {
		snprintf(buf, len, "-");
		return buf;
	}
	tt = (time_t)floor(t);
	if (localtime_r(&tt, &tm) == NULL) {
		snprintf(buf, len, "-");
		return buf;
	}
	strftime(hms, sizeof(hms), "%H:%M:%S", &tm);
	/* Tenths, truncated like the seconds: faults are a second apart. */
	snprintf(buf, len, "%s.%d", hms,
	    (int)floor((t - floor(t)) * 10) % 10);
	return buf;
}

char *
fmt_num(double v, const char *unit, char *buf, size_t len)
{
	double a = fabs(v);
	int dec;
	char *dot, *end;

	if (!isfinite(v)) {
		snprintf(buf, len, "-");
		return buf;
	}
	/* Three significant digits, whole numbers from 100 up. */
	if (a >= 100 || a == 0)
		dec = 0;
	else if (a >= 10)
		dec = 1;
	else if (a >= 1)
		dec = 2;
	else {
		dec = 2 - (int)floor(log10(a));
		if (dec > 6)
			dec = 6;
	}
	snprintf(buf, len, "%.*f", dec, v);
	dot = strchr(buf, '.');
	if (dot) {
		end = buf + strlen(buf) - 1;
		while (end > dot && *end == '0')
			*end-- = '\0';
		if (end == dot)
			*end = '\0';
	}
	if (strcmp(buf, "-0") == 0)
		snprintf(buf, len, "0");
	if (unit && *unit)
		snprintf(buf + strlen(buf), len - strlen(buf), "%s", unit);
	return buf;
}

char *
fmt_pct(double ratio, char *buf, size_t len)
{
	return fmt_num(100.0 * ratio, "%", buf, len);
}

const char *
jstr(const json_t *o, const char *key, const char *dflt)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : dflt;
}

double
jnum(const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);

	return json_is_number(v) ? json_number_value(v) : NAN;
}

/* ---- what a run's report shows (report.c, report_clients.c) ---- */

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* An object's keys, sorted (jansson iterates in hash order, and a
 * report reads the same each time): at most REPORT_KEYS_MAX. */
size_t
report_sorted_keys(const json_t *o, const char **keys)
{
	const char *k;
	json_t *v;
	size_t n = 0;

	json_object_foreach((json_t *)o, k, v)
		if (n < REPORT_KEYS_MAX)
			keys[n++] = k;
	qsort(keys, n, sizeof(*keys), cmp_str);
	return n;
}

/* "timeout 12, connection 3" from a phase's errors by kind. */
void
report_kinds_text(const json_t *errors, char *buf, size_t len)
{
	const char *keys[REPORT_KEYS_MAX];
	size_t n = 0, nk = report_sorted_keys(errors, keys);

	snprintf(buf, len, "-");
	for (size_t i = 0; i < nk; i++) {
		const char *k = keys[i];
		const json_t *v = json_object_get(errors, k);

		if (!json_is_integer(v) || n >= len)
			continue;
		n += (size_t)snprintf(buf + n, len - n, "%s%s %" JSON_INTEGER_FORMAT,
		    n ? ", " : "", k, json_integer_value(v));
	}
	if (n == 0 && json_is_object(errors))
		snprintf(buf, len, "none");
}

/* "<=" or ">=" for an expect key whose name says which way it goes. */
const char *
report_check_way(const char *name)
{
	if (strstr(name, "_min") || strcmp(name,
	    "recover_throughput_ratio") == 0)
		return ">=";
	if (strstr(name, "_max") || strstr(name, "_within"))
		return "<=";
	return "";
}

const char *
report_result_text(const char *r)
{
	if (strcmp(r, "passed") == 0)
		return "passed";
	if (strcmp(r, "failed") == 0)
		return "FAILED";
	if (strcmp(r, "not_judged") == 0)
		return "not judged";
	return r;
}
