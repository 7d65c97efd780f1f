/* reliabctl's number and time formats for people: rounded numbers,
 * short durations, local wall times. "-" for what is not known. */
#include <math.h>
#include <stdio.h>
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
