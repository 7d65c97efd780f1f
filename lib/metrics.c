/* The metrics registry: families, series and their lock-free updates.
 * The Prometheus text rendering is metrics_render.c's.
 *
 * Update path: lock-free atomics on handles the caller keeps. A counter
 * holds an atomic integer part (fetch_add, exact for whole increments)
 * plus an atomic double part (CAS on its bit pattern) for fractional
 * adds; a gauge is one atomic double; a histogram has atomic per-bucket
 * counts (non-cumulative; made cumulative when rendered) and an atomic
 * double sum. Series lookup takes the family's mutex; declaring families
 * and rendering take the registry's. Series live until the registry dies,
 * so handles never dangle. */
#include "metrics.h"

#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "metrics_int.h"
#include "util.h"

#define MAX_BOUNDS 128
#define NAME_MAX_LEN 200
#define HELP_MAX_LEN 1024

const char *
metric_type_text(enum metric_type type)
{
	switch (type) {
	case METRIC_COUNTER:
		return "counter";
	case METRIC_GAUGE:
		return "gauge";
	case METRIC_HISTOGRAM:
		return "histogram";
	}
	return "unknown";
}

static void
atomic_double_add(_Atomic uint64_t *p, double v)
{
	uint64_t old = atomic_load_explicit(p, memory_order_relaxed);

	while (!atomic_compare_exchange_weak_explicit(p, &old,
	    double_to_bits(bits_to_double(old) + v), memory_order_relaxed,
	    memory_order_relaxed))
		;
}

struct metrics_registry *
metrics_registry_new(void)
{
	struct metrics_registry *reg = calloc(1, sizeof(*reg));

	if (reg == NULL) {
		log_error("out of memory");
		return NULL;
	}
	if (pthread_mutex_init(&reg->lock, NULL) != 0) {
		log_error("pthread_mutex_init failed");
		free(reg);
		return NULL;
	}
	reg->tail = &reg->families;
	return reg;
}

static void
family_free(struct metric_family *fam)
{
	struct metric *m, *next;

	for (m = fam->series; m != NULL; m = next) {
		next = m->next;
		metric_series_free(m, fam->nlabels);
	}
	for (size_t i = 0; i < fam->nlabels; i++)
		free(fam->labels[i]);
	free(fam->table);
	free(fam->bounds);
	free(fam->name);
	free(fam->help);
	pthread_mutex_destroy(&fam->lock);
	free(fam);
}

void
metrics_registry_free(struct metrics_registry *reg)
{
	struct metric_family *fam, *next;

	if (reg == NULL)
		return;
	for (fam = reg->families; fam != NULL; fam = next) {
		next = fam->next;
		family_free(fam);
	}
	for (size_t i = 0; i < reg->ncollectors; i++)
		if (reg->collectors[i].free_fn != NULL)
			reg->collectors[i].free_fn(reg->collectors[i].arg);
	pthread_mutex_destroy(&reg->lock);
	free(reg);
}

/* [a-zA-Z_:][a-zA-Z0-9_:]* for metric names; label names lack ':'. */
static bool
name_ok(const char *s, size_t len, bool colon)
{
	if (len == 0 || len > NAME_MAX_LEN)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    c == '_' || (colon && c == ':') ||
		    (i > 0 && c >= '0' && c <= '9');

		if (!ok)
			return false;
	}
	return true;
}

static bool
ends_with(const char *s, const char *suffix)
{
	size_t ls = strlen(s), lx = strlen(suffix);

	return ls >= lx && strcmp(s + ls - lx, suffix) == 0;
}

/* Does `name` collide with a family already declared, including the
 * series names a histogram adds (_bucket, _sum, _count)? */
static bool
name_taken(const struct metrics_registry *reg, const char *name)
{
	static const char *const hsuffix[] = { "_bucket", "_sum", "_count" };
	size_t ln = strlen(name);

	for (const struct metric_family *f = reg->families; f != NULL;
	    f = f->next) {
		size_t lf = strlen(f->name);

		if (strcmp(f->name, name) == 0)
			return true;
		for (size_t i = 0; i < NELEM(hsuffix); i++) {
			size_t ls = strlen(hsuffix[i]);

			/* new name is an existing histogram's series */
			if (f->type == METRIC_HISTOGRAM && ln == lf + ls &&
			    strncmp(name, f->name, lf) == 0 &&
			    strcmp(name + lf, hsuffix[i]) == 0)
				return true;
			/* an existing name is the new histogram's series */
			if (lf == ln + ls && strncmp(f->name, name, ln) == 0 &&
			    strcmp(f->name + ln, hsuffix[i]) == 0)
				return true;
		}
	}
	return false;
}

static int
parse_labels(struct metric_family *fam, const char *labels)
{
	const char *p = labels;

	if (labels == NULL || *labels == '\0')
		return 0;
	for (;;) {
		const char *end = strchr(p, ',');
		size_t len = end != NULL ? (size_t)(end - p) : strlen(p);

		if (fam->nlabels == METRICS_MAX_LABELS) {
			log_error("%s: more than %d labels", fam->name,
			    METRICS_MAX_LABELS);
			return -1;
		}
		if (!name_ok(p, len, false) || (len >= 2 && p[0] == '_' &&
		    p[1] == '_')) {
			log_error("%s: bad label name \"%.*s\"", fam->name,
			    (int)(len > 64 ? 64 : len), p);
			return -1;
		}
		if (fam->type == METRIC_HISTOGRAM && len == 2 &&
		    memcmp(p, "le", 2) == 0) {
			log_error("%s: a histogram cannot have an \"le\" label",
			    fam->name);
			return -1;
		}
		fam->labels[fam->nlabels] = strndup(p, len);
		if (fam->labels[fam->nlabels] == NULL) {
			log_error("out of memory");
			return -1;
		}
		for (size_t i = 0; i < fam->nlabels; i++) {
			if (strcmp(fam->labels[i], fam->labels[fam->nlabels]) ==
			    0) {
				log_error("%s: label \"%s\" twice", fam->name,
				    fam->labels[i]);
				free(fam->labels[fam->nlabels]);
				fam->labels[fam->nlabels] = NULL;
				return -1;
			}
		}
		fam->nlabels++;
		if (end == NULL)
			return 0;
		p = end + 1;
	}
}

static struct metric_family *
family_new(struct metrics_registry *reg, enum metric_type type,
    const char *name, const char *help, const char *labels,
    const double *bounds, size_t nbounds)
{
	struct metric_family *fam;

	if (reg == NULL || name == NULL) {
		log_error("no registry or no name");
		return NULL;
	}
	if (!name_ok(name, strlen(name), true)) {
		log_error("bad metric name \"%.64s\"", name);
		return NULL;
	}
	/* What promtool's linter insists on. */
	if (type == METRIC_COUNTER && !ends_with(name, "_total")) {
		log_error("%s: a counter's name must end in _total", name);
		return NULL;
	}
	if (type != METRIC_COUNTER && ends_with(name, "_total")) {
		log_error("%s: only counters' names end in _total", name);
		return NULL;
	}
	if (help == NULL || *help == '\0' || strlen(help) > HELP_MAX_LEN) {
		log_error("%s: help text missing or too long", name);
		return NULL;
	}
	if (type == METRIC_HISTOGRAM) {
		if (nbounds > MAX_BOUNDS || (nbounds > 0 && bounds == NULL)) {
			log_error("%s: bad bucket bounds", name);
			return NULL;
		}
		for (size_t i = 0; i < nbounds; i++) {
			if (!isfinite(bounds[i]) ||
			    (i > 0 && !(bounds[i] > bounds[i - 1]))) {
				log_error("%s: bucket bounds must be finite "
				    "and ascending", name);
				return NULL;
			}
		}
	}
	fam = calloc(1, sizeof(*fam));
	if (fam == NULL) {
		log_error("out of memory");
		return NULL;
	}
	if (pthread_mutex_init(&fam->lock, NULL) != 0) {
		log_error("pthread_mutex_init failed");
		free(fam);
		return NULL;
	}
	fam->reg = reg;
	fam->type = type;
	fam->tail = &fam->series;
	fam->name = strdup(name);
	fam->help = strdup(help);
	if (fam->name == NULL || fam->help == NULL) {
		log_error("out of memory");
		family_free(fam);
		return NULL;
	}
	if (parse_labels(fam, labels) < 0) {
		family_free(fam);
		return NULL;
	}
	if (type == METRIC_HISTOGRAM && nbounds > 0) {
		fam->bounds = malloc(nbounds * sizeof(double));
		if (fam->bounds == NULL) {
			log_error("out of memory");
			family_free(fam);
			return NULL;
		}
		memcpy(fam->bounds, bounds, nbounds * sizeof(double));
		fam->nbounds = nbounds;
	}
	pthread_mutex_lock(&reg->lock);
	if (name_taken(reg, name)) {
		pthread_mutex_unlock(&reg->lock);
		log_error("%s: declared twice (or clashes with a histogram's "
		    "series)", name);
		family_free(fam);
		return NULL;
	}
	*reg->tail = fam;
	reg->tail = &fam->next;
	pthread_mutex_unlock(&reg->lock);
	return fam;
}

struct metric_family *
metrics_counter(struct metrics_registry *reg, const char *name,
    const char *help, const char *labels)
{
	return family_new(reg, METRIC_COUNTER, name, help, labels, NULL, 0);
}

struct metric_family *
metrics_gauge(struct metrics_registry *reg, const char *name,
    const char *help, const char *labels)
{
	return family_new(reg, METRIC_GAUGE, name, help, labels, NULL, 0);
}

struct metric_family *
metrics_histogram(struct metrics_registry *reg, const char *name,
    const char *help, const char *labels, const double *bounds,
    size_t nbounds)
{
	return family_new(reg, METRIC_HISTOGRAM, name, help, labels, bounds,
	    nbounds);
}

size_t
metrics_exponential_bounds(double start, double factor, double max,
    double *out, size_t cap)
{
	size_t n = 0;
	double v = start;

	if (!(start > 0) || !(factor > 1) || !isfinite(max) ||
	    !isfinite(start) || !isfinite(factor) || out == NULL)
		return 0;
	/* A hair of slack so that max itself is reached despite rounding
	 * (0.001 * 2^k drifts). */
	while (n < cap && v <= max * (1 + 1e-9)) {
		out[n++] = v;
		v *= factor;
	}
	return n;
}

void
metric_inc(struct metric *m)
{
	if (m == NULL)
		return;
	if (m->fam->type == METRIC_COUNTER)
		atomic_fetch_add_explicit(&m->ival, 1, memory_order_relaxed);
	else if (m->fam->type == METRIC_GAUGE)
		atomic_double_add(&m->dbits, 1.0);
}

void
metric_add(struct metric *m, double v)
{
	if (m == NULL || isnan(v))
		return;
	if (m->fam->type == METRIC_GAUGE) {
		atomic_double_add(&m->dbits, v);
	} else if (m->fam->type == METRIC_COUNTER) {
		/* A counter never goes down. */
		if (!(v >= 0))
			return;
		if (v < 9007199254740992.0 && v == floor(v))
			atomic_fetch_add_explicit(&m->ival, (uint64_t)v,
			    memory_order_relaxed);
		else
			atomic_double_add(&m->dbits, v);
	}
}

/* On a counter, sets the total outright: for mirrors of totals kept
 * elsewhere (the kernel's CPU time). */
void
metric_set(struct metric *m, double v)
{
	if (m == NULL)
		return;
	if (m->fam->type == METRIC_GAUGE) {
		atomic_store_explicit(&m->dbits, double_to_bits(v),
		    memory_order_relaxed);
	} else if (m->fam->type == METRIC_COUNTER && v >= 0) {
		atomic_store_explicit(&m->ival, 0, memory_order_relaxed);
		atomic_store_explicit(&m->dbits, double_to_bits(v),
		    memory_order_relaxed);
	}
}

void
metric_observe(struct metric *m, double v)
{
	const struct metric_family *fam;
	size_t lo, hi;

	if (m == NULL || m->fam->type != METRIC_HISTOGRAM || isnan(v))
		return;
	fam = m->fam;
	/* First bound >= v (le: less or equal); nbounds is +Inf. */
	lo = 0;
	hi = fam->nbounds;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (v <= fam->bounds[mid])
			hi = mid;
		else
			lo = mid + 1;
	}
	atomic_fetch_add_explicit(&m->buckets[lo], 1, memory_order_relaxed);
	atomic_double_add(&m->dbits, v);
}

static double
counter_value(const struct metric *m)
{
	uint64_t i = atomic_load_explicit(&m->ival, memory_order_relaxed);
	double d = bits_to_double(atomic_load_explicit(&m->dbits,
	    memory_order_relaxed));

	return (double)i + d;
}

double
metric_value(const struct metric *m)
{
	if (m == NULL)
		return 0;
	if (m->fam->type == METRIC_COUNTER)
		return counter_value(m);
	if (m->fam->type == METRIC_GAUGE)
		return bits_to_double(atomic_load_explicit(&m->dbits,
		    memory_order_relaxed));
	return 0;
}

uint64_t
metric_hist_count(const struct metric *m)
{
	uint64_t n = 0;

	if (m == NULL || m->fam->type != METRIC_HISTOGRAM)
		return 0;
	for (size_t i = 0; i <= m->fam->nbounds; i++)
		n += atomic_load_explicit(&m->buckets[i], memory_order_relaxed);
	return n;
}

double
metric_hist_sum(const struct metric *m)
{
	if (m == NULL || m->fam->type != METRIC_HISTOGRAM)
		return 0;
	return bits_to_double(atomic_load_explicit(&m->dbits,
	    memory_order_relaxed));
}

int
metrics_on_collect(struct metrics_registry *reg, metrics_collect_fn fn,
    void *arg)
{
	return metrics_on_collect_free(reg, fn, arg, NULL);
}

int
metrics_on_collect_free(struct metrics_registry *reg, metrics_collect_fn fn,
    void *arg, void (*free_fn)(void *))
{
	int rc = -1;

	if (reg == NULL || fn == NULL)
		return -1;
	pthread_mutex_lock(&reg->lock);
	if (reg->ncollectors < MAX_COLLECTORS) {
		reg->collectors[reg->ncollectors].fn = fn;
		reg->collectors[reg->ncollectors].arg = arg;
		reg->collectors[reg->ncollectors].free_fn = free_fn;
		reg->ncollectors++;
		rc = 0;
	}
	pthread_mutex_unlock(&reg->lock);
	if (rc < 0)
		log_error("more than %d collectors", MAX_COLLECTORS);
	return rc;
}
