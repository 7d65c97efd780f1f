/* check-client's result: scrape_check.c's reading of a /metrics body as
 * the JSON --json prints, and that JSON as text for people. Label values
 * come from the client under test: whatever their bytes, the JSON is
 * valid UTF-8 and the text holds no control character. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reliabctl.h"
#include "scrape_check.h"
#include "util.h"

/* The length of the UTF-8 sequence at s, or 0 when it is not one
 * (overlong, a surrogate, past U+10FFFF, cut short). */
static size_t
utf8_len(const unsigned char *s)
{
	size_t n;
	unsigned char lo = 0x80, hi = 0xbf;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4;
	else
		return 0;
	if (s[0] == 0xe0)
		lo = 0xa0;
	else if (s[0] == 0xed)
		hi = 0x9f;
	else if (s[0] == 0xf0)
		lo = 0x90;
	else if (s[0] == 0xf4)
		hi = 0x8f;
	if (s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < n; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return n;
}

/* s made valid UTF-8 in place: each byte of a broken sequence becomes
 * '?'; with `controls`, so does each control character (C0, DEL, C1),
 * which a terminal might act on. */
static void
utf8_clean(char *s, int controls)
{
	unsigned char *r = (unsigned char *)s, *w = r;

	while (*r) {
		size_t n = utf8_len(r);

		if (n == 0 || (controls && (*r < 0x20 || *r == 0x7f ||
		    (*r == 0xc2 && r[1] < 0xa0)))) {
			*w++ = '?';
			r += n ? n : 1;
			continue;
		}
		memmove(w, r, n);
		w += n;
		r += n;
	}
	*w = '\0';
}

/* A copy of s fit for a terminal. */
static void
text_safe(const char *s, char *buf, size_t len)
{
	strlcpy_r(buf, s, len);
	utf8_clean(buf, 1);
}

/* A JSON string of s; bytes that are not UTF-8 become '?'. NULL when
 * memory ran out. */
static json_t *
jstring_safe(const char *s)
{
	json_t *v = json_string(s);
	char *copy;

	if (v != NULL)
		return v;
	copy = strdup(s);
	if (copy == NULL)
		return NULL;
	utf8_clean(copy, 0);
	v = json_string(copy);
	free(copy);
	return v;
}

/* Appends v to a, or sets o's key to v: v is taken, and dropped on
 * failure (jansson's _new calls); -1 when a, o or v is missing. */
static int
append(json_t *a, json_t *v)
{
	return json_array_append_new(a, v) == 0 ? 0 : -1;
}

static int
set(json_t *o, const char *key, json_t *v)
{
	return json_object_set_new(o, key, v) == 0 ? 0 : -1;
}

static json_t *
type_json(enum scrape_type t)
{
	return scrape_type_text(t) ? json_string(scrape_type_text(t)) :
	    json_null();
}

/* Each builder: a new object, or NULL when memory ran out. Every
 * set() runs (|, not ||): each takes its value, whatever the others
 * did. */
static json_t *
family_json(const struct scrape_family *f)
{
	json_t *o = json_object(), *servers = json_array();
	int bad = 0;

	for (size_t i = 0; i < f->nservers && servers != NULL; i++)
		bad |= append(servers, jstring_safe(f->servers[i]));
	bad |= set(o, "name", json_string(f->name)) |
	    set(o, "type", type_json(f->type)) |
	    set(o, "documented_type", type_json(f->documented)) |
	    set(o, "samples", json_integer((json_int_t)f->samples)) |
	    set(o, "series", json_integer((json_int_t)f->series)) |
	    set(o, "series_at_least", json_boolean(f->series_floor)) |
	    set(o, "ignored_values", json_integer((json_int_t)f->ignored)) |
	    set(o, "servers", servers) |
	    set(o, "servers_more", json_boolean(f->servers_more));
	if (bad) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static json_t *
verdict_json(const struct scrape_verdict *v)
{
	json_t *o = json_object(), *needs = json_array();
	int bad = 0;

	for (size_t i = 0; i < v->nneeds && needs != NULL; i++)
		bad |= append(needs, json_string(v->needs[i]));
	bad |= set(o, "name", json_string(v->check)) |
	    set(o, "judged", json_boolean(v->judged)) |
	    set(o, "needs", needs);
	if (v->note != NULL)
		bad |= set(o, "note", json_string(v->note));
	if (bad) {
		json_decref(o);
		return NULL;
	}
	return o;
}

json_t *
scrape_result(const char *url, const struct scrape_check *c)
{
	json_t *o = json_object(), *metrics = json_array();
	json_t *missing = json_array(), *checks = json_array();
	int bad = 0;

	for (size_t i = 0; i < c->nfam && metrics != NULL; i++)
		bad |= append(metrics, family_json(&c->fam[i]));
	for (size_t i = 0; i < c->nmissing && missing != NULL; i++)
		bad |= append(missing, json_string(c->missing[i]));
	for (size_t i = 0; i < SCRAPE_CHECKS && checks != NULL; i++)
		bad |= append(checks, verdict_json(&c->checks[i]));
	bad |= set(o, "url", jstring_safe(url)) |
	    set(o, "client", json_boolean(c->client)) |
	    set(o, "metrics", metrics) | set(o, "missing", missing) |
	    set(o, "checks", checks) |
	    set(o, "samples", json_integer((json_int_t)c->samples)) |
	    set(o, "other_samples",
		json_integer((json_int_t)c->other_samples)) |
	    set(o, "unreadable_lines",
		json_integer((json_int_t)c->unreadable)) |
	    set(o, "dropped", json_integer((json_int_t)c->dropped));
	if (bad) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/* ---- for people ---- */

static long long
jint(const json_t *o, const char *key)
{
	return (long long)json_integer_value(json_object_get(o, key));
}

static const char *
plural(long long n)
{
	return n == 1 ? "" : "s";
}

/* "not exported: a, b, ...", wrapped for a terminal. */
static void
print_missing(FILE *f, const json_t *missing)
{
	const json_t *m;
	size_t i, col = strlen("not exported:");

	fputs("not exported:", f);
	json_array_foreach(missing, i, m) {
		const char *name = json_string_value(m) ? json_string_value(m) :
		    "?";

		if (i) {
			fputc(',', f);
			col++;
		}
		if (col + 1 + strlen(name) > 78) {
			fputs("\n ", f);
			col = 1;
		}
		fprintf(f, " %s", name);
		col += 1 + strlen(name);
	}
	fputc('\n', f);
}

/* "m1,m2,m3", or "-"; ",..." when the client has more, or when the
 * names do not all fit: a name goes in whole or not at all, so a cut
 * never splits a UTF-8 sequence. len must be at least 5. */
static void
servers_text(const json_t *m, char *buf, size_t len)
{
	const json_t *servers = json_object_get(m, "servers"), *s;
	char one[PROM_VALUE_MAX];
	size_t i, n = 0, w;
	int more = json_is_true(json_object_get(m, "servers_more"));

	buf[0] = '\0';
	json_array_foreach(servers, i, s) {
		text_safe(json_string_value(s) ? json_string_value(s) : "",
		    one, sizeof one);
		w = (i ? 1 : 0) + (one[0] ? strlen(one) : 2);
		/* Room for this name, then ",..." and the NUL. */
		if (n + w + 5 > len) {
			more = 1;
			break;
		}
		n += (size_t)snprintf(buf + n, len - n, "%s%s",
		    i ? "," : "", one[0] ? one : "\"\"");
	}
	if (more)
		n += (size_t)snprintf(buf + n, len - n, "%s...",
		    n ? "," : "");
	if (n == 0)
		snprintf(buf, len, "-");
}

static void
print_metrics(FILE *f, const json_t *metrics)
{
	const json_t *m;
	char servers[SCRAPE_SERVERS_MAX * 32], series[32];
	size_t i;
	int w = 6;

	json_array_foreach(metrics, i, m)
		if ((int)strlen(jstr(m, "name", "")) > w)
			w = (int)strlen(jstr(m, "name", ""));
	fprintf(f, "%-*s %-9s %7s  %s\n", w, "METRIC", "TYPE", "SERIES",
	    "SERVERS");
	json_array_foreach(metrics, i, m) {
		servers_text(m, servers, sizeof servers);
		snprintf(series, sizeof series, "%lld%s", jint(m, "series"),
		    json_is_true(json_object_get(m, "series_at_least")) ?
		    "+" : "");
		fprintf(f, "%-*s %-9s %7s  %s\n", w, jstr(m, "name", "?"),
		    jstr(m, "type", "-"), series, servers);
	}
	/* What the table cannot say in a column. */
	json_array_foreach(metrics, i, m) {
		const char *type = jstr(m, "type", NULL);
		const char *doc = jstr(m, "documented_type", NULL);

		if (doc == NULL)
			fprintf(f, "  %s: not a metric of the lab's clients "
				   "(docs/METRICS.md)\n",
			    jstr(m, "name", "?"));
		else if (type != NULL && strcmp(type, doc) != 0)
			fprintf(f, "  %s: # TYPE %s, where the lab's clients "
				   "export a %s\n",
			    jstr(m, "name", "?"), type, doc);
		if (jint(m, "ignored_values") > 0)
			fprintf(f, "  %s: %lld value%s the lab ignores (NaN, "
				   "infinite or negative)\n",
			    jstr(m, "name", "?"), jint(m, "ignored_values"),
			    plural(jint(m, "ignored_values")));
		if (json_is_true(json_object_get(m, "servers_more")))
			fprintf(f, "  %s: more than %d servers; the lab "
				   "samples %d\n",
			    jstr(m, "name", "?"), SCRAPE_SERVERS_MAX,
			    SCRAPE_SERVERS_MAX);
	}
}

static void
print_checks(FILE *f, const json_t *checks)
{
	const json_t *c, *n;
	size_t i, k;

	fprintf(f, "%-25s %s\n", "CHECK", "CAN THE LAB JUDGE IT");
	json_array_foreach(checks, i, c) {
		const json_t *needs = json_object_get(c, "needs");

		fprintf(f, "%-25s ", jstr(c, "name", "?"));
		if (json_is_true(json_object_get(c, "judged"))) {
			const char *note = jstr(c, "note", NULL);

			fprintf(f, "judged%s%s\n", note ? ", " : "",
			    note ? note : "");
			continue;
		}
		fprintf(f, "not judged: needs");
		json_array_foreach(needs, k, n)
			fprintf(f, "%s %s", k ? " and" : "",
			    json_string_value(n) ? json_string_value(n) : "?");
		fprintf(f, "\n");
	}
}

void
scrape_print(FILE *f, const json_t *r)
{
	const json_t *metrics = json_object_get(r, "metrics");
	const json_t *missing = json_object_get(r, "missing");
	const json_t *checks = json_object_get(r, "checks"), *c, *m;
	char url[SCRAPE_NEED_TEXT_MAX * 4];
	size_t i, judged = 0;
	int found = 0;

	text_safe(jstr(r, "url", "?"), url, sizeof url);
	json_array_foreach(checks, i, c)
		judged += json_is_true(json_object_get(c, "judged"));
	json_array_foreach(metrics, i, m)
		if (strcmp(jstr(m, "name", ""), "memcache_operations_total") ==
		    0 && jint(m, "samples") > 0)
			found = 1;
	if (json_is_true(json_object_get(r, "client")))
		fprintf(f, "%s: a memcache client: %zu memcache_* metrics, "
			   "%zu of %zu checks can be judged\n",
		    url, json_array_size(metrics), judged,
		    json_array_size(checks));
	else if (found)
		fprintf(f, "%s: NOT a memcache client: memcache_operations_"
			   "total has no usable value (NaN, infinite or "
			   "negative)\n",
		    url);
	else
		fprintf(f, "%s: NOT a memcache client: no "
			   "memcache_operations_total (%zu memcache_* "
			   "metric%s, %lld sample%s of others)\n",
		    url, json_array_size(metrics),
		    plural((long long)json_array_size(metrics)),
		    jint(r, "other_samples"), plural(jint(r, "other_samples")));
	if (json_array_size(metrics) > 0)
		print_metrics(f, metrics);
	/* Of no use to a program that is no client at all. */
	if (json_array_size(missing) > 0 && json_array_size(metrics) > 0)
		print_missing(f, missing);
	if (jint(r, "unreadable_lines") > 0)
		fprintf(f, "%lld line%s not understood, skipped (the scenario "
			   "worker skips them too)\n",
		    jint(r, "unreadable_lines"),
		    plural(jint(r, "unreadable_lines")));
	if (jint(r, "dropped") > 0)
		fprintf(f, "%lld line%s of memcache_* metrics past the first "
			   "%d not listed\n",
		    jint(r, "dropped"), plural(jint(r, "dropped")),
		    SCRAPE_FAMILIES_MAX);
	if (!json_is_true(json_object_get(r, "client"))) {
		fprintf(f, "no check can be judged: the scenario worker keeps "
			   "no sample without memcache_operations_total\n");
		return;
	}
	print_checks(f, checks);
}
