/* The Prometheus text rendering (format 0.0.4) of a registry: HELP and
 * TYPE lines, escaped label values, cumulative histogram buckets. */
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "metrics_int.h"
#include "util.h"

/* A growing output buffer; `failed` sticks after an allocation failure. */
struct sbuf {
	char *buf;
	size_t len, cap;
	bool failed;
};

static bool
sb_reserve(struct sbuf *sb, size_t more)
{
	size_t ncap;
	char *nb;

	if (sb->failed)
		return false;
	if (sb->len + more + 1 <= sb->cap)
		return true;
	ncap = sb->cap == 0 ? 4096 : sb->cap;
	while (ncap < sb->len + more + 1)
		ncap *= 2;
	nb = realloc(sb->buf, ncap);
	if (nb == NULL) {
		sb->failed = true;
		return false;
	}
	sb->buf = nb;
	sb->cap = ncap;
	return true;
}

static void
sb_add(struct sbuf *sb, const char *s, size_t n)
{
	if (!sb_reserve(sb, n))
		return;
	memcpy(sb->buf + sb->len, s, n);
	sb->len += n;
	sb->buf[sb->len] = '\0';
}

static void
sb_puts(struct sbuf *sb, const char *s)
{
	sb_add(sb, s, strlen(s));
}

/* HELP escapes backslash and newline; label values also the double
 * quote. */
static void
sb_escaped(struct sbuf *sb, const char *s, bool quote)
{
	const char *run = s;

	for (; *s != '\0'; s++) {
		const char *rep = NULL;

		if (*s == '\\')
			rep = "\\\\";
		else if (*s == '\n')
			rep = "\\n";
		else if (quote && *s == '"')
			rep = "\\\"";
		if (rep != NULL) {
			sb_add(sb, run, (size_t)(s - run));
			sb_puts(sb, rep);
			run = s + 1;
		}
	}
	sb_add(sb, run, (size_t)(s - run));
}

/* Prometheus spells the specials +Inf, -Inf, NaN; whole numbers below
 * 2^53 print as integers; anything else with the fewest digits that
 * read back to the same double (so a bound of 0.005 is le="0.005"). */
static void
format_double(double v, char *buf, size_t len)
{
	if (isnan(v)) {
		snprintf(buf, len, "NaN");
	} else if (isinf(v)) {
		snprintf(buf, len, v > 0 ? "+Inf" : "-Inf");
	} else if (v == 0) {
		snprintf(buf, len, "0");
	} else if (fabs(v) < 9007199254740992.0 && v == floor(v)) {
		snprintf(buf, len, "%.0f", v);
	} else {
		for (int prec = 15; prec <= 17; prec++) {
			snprintf(buf, len, "%.*g", prec, v);
			if (prec == 17 || strtod(buf, NULL) == v)
				break;
		}
	}
}

static void
sb_double(struct sbuf *sb, double v)
{
	char num[40];

	format_double(v, num, sizeof(num));
	sb_puts(sb, num);
}

static void
sb_u64(struct sbuf *sb, uint64_t v)
{
	char num[24];

	snprintf(num, sizeof(num), "%llu", (unsigned long long)v);
	sb_puts(sb, num);
}

/* name{l="v",...[,le="x"]} (no braces when there is nothing inside). */
static void
sb_series_name(struct sbuf *sb, const struct metric_family *fam,
    const struct metric *m, const char *suffix, const char *le)
{
	sb_puts(sb, fam->name);
	sb_puts(sb, suffix);
	if (fam->nlabels == 0 && le == NULL)
		return;
	sb_puts(sb, "{");
	for (size_t i = 0; i < fam->nlabels; i++) {
		if (i > 0)
			sb_puts(sb, ",");
		sb_puts(sb, fam->labels[i]);
		sb_puts(sb, "=\"");
		sb_escaped(sb, m->values[i], true);
		sb_puts(sb, "\"");
	}
	if (le != NULL) {
		if (fam->nlabels > 0)
			sb_puts(sb, ",");
		sb_puts(sb, "le=\"");
		sb_puts(sb, le);
		sb_puts(sb, "\"");
	}
	sb_puts(sb, "}");
}

static void
render_counter(struct sbuf *sb, const struct metric_family *fam,
    const struct metric *m)
{
	uint64_t i = atomic_load_explicit(&m->ival, memory_order_relaxed);
	double d = bits_to_double(atomic_load_explicit(&m->dbits,
	    memory_order_relaxed));

	sb_series_name(sb, fam, m, "", NULL);
	sb_puts(sb, " ");
	/* Exact even past 2^53 while only whole increments were made. */
	if (d == 0)
		sb_u64(sb, i);
	else
		sb_double(sb, (double)i + d);
	sb_puts(sb, "\n");
}

static void
render_histogram(struct sbuf *sb, const struct metric_family *fam,
    const struct metric *m)
{
	uint64_t cum = 0;
	char le[40];

	for (size_t i = 0; i <= fam->nbounds; i++) {
		cum += atomic_load_explicit(&m->buckets[i],
		    memory_order_relaxed);
		if (i < fam->nbounds)
			format_double(fam->bounds[i], le, sizeof(le));
		else
			snprintf(le, sizeof(le), "+Inf");
		sb_series_name(sb, fam, m, "_bucket", le);
		sb_puts(sb, " ");
		sb_u64(sb, cum);
		sb_puts(sb, "\n");
	}
	sb_series_name(sb, fam, m, "_sum", NULL);
	sb_puts(sb, " ");
	sb_double(sb, metric_hist_sum(m));
	sb_puts(sb, "\n");
	/* _count is the +Inf bucket read above, so the two always agree. */
	sb_series_name(sb, fam, m, "_count", NULL);
	sb_puts(sb, " ");
	sb_u64(sb, cum);
	sb_puts(sb, "\n");
}

static void
render_family(struct sbuf *sb, struct metric_family *fam)
{
	sb_puts(sb, "# HELP ");
	sb_puts(sb, fam->name);
	sb_puts(sb, " ");
	sb_escaped(sb, fam->help, false);
	sb_puts(sb, "\n# TYPE ");
	sb_puts(sb, fam->name);
	sb_puts(sb, " ");
	sb_puts(sb, metric_type_text(fam->type));
	sb_puts(sb, "\n");
	pthread_mutex_lock(&fam->lock);
	for (const struct metric *m = fam->series; m != NULL; m = m->next) {
		if (atomic_load(&m->hidden))
			continue;
		switch (fam->type) {
		case METRIC_COUNTER:
			render_counter(sb, fam, m);
			break;
		case METRIC_GAUGE:
			sb_series_name(sb, fam, m, "", NULL);
			sb_puts(sb, " ");
			sb_double(sb, metric_value(m));
			sb_puts(sb, "\n");
			break;
		case METRIC_HISTOGRAM:
			render_histogram(sb, fam, m);
			break;
		}
	}
	pthread_mutex_unlock(&fam->lock);
}

char *
metrics_render(struct metrics_registry *reg, size_t *len)
{
	struct sbuf sb = { 0 };

	if (reg == NULL)
		return NULL;
	pthread_mutex_lock(&reg->lock);
	for (size_t i = 0; i < reg->ncollectors; i++)
		reg->collectors[i].fn(reg->collectors[i].arg);
	sb_reserve(&sb, 0);
	if (sb.buf != NULL)
		sb.buf[0] = '\0';
	for (struct metric_family *fam = reg->families; fam != NULL;
	    fam = fam->next)
		render_family(&sb, fam);
	pthread_mutex_unlock(&reg->lock);
	if (sb.failed || sb.buf == NULL) {
		free(sb.buf);
		log_error("out of memory");
		return NULL;
	}
	if (len != NULL)
		*len = sb.len;
	return sb.buf;
}
