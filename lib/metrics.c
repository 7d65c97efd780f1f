/* The metrics registry and its Prometheus text rendering (format 0.0.4).
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
#include "util.h"

#define MAX_BOUNDS 128
#define MAX_COLLECTORS 32
/* Longest label value kept (bytes); longer ones are cut at a character
 * boundary. */
#define LABEL_VALUE_MAX 1024
#define NAME_MAX_LEN 200
#define HELP_MAX_LEN 1024

struct metric {
	struct metric *next;  /* family's series in creation order */
	struct metric *hnext; /* hash chain */
	struct metric_family *fam;
	uint64_t hash;
	atomic_bool hidden;
	char *values[METRICS_MAX_LABELS];
	/* counter: whole part + fractional part; gauge: dbits only */
	_Atomic uint64_t ival;
	_Atomic uint64_t dbits;
	/* histogram: nbounds + 1 counts (the last is +Inf), sum in dbits */
	_Atomic uint64_t *buckets;
};

struct metric_family {
	struct metric_family *next;
	struct metrics_registry *reg;
	enum metric_type type;
	char *name;
	char *help;
	size_t nlabels;
	char *labels[METRICS_MAX_LABELS];
	double *bounds;
	size_t nbounds;
	pthread_mutex_t lock;
	struct metric *series, **tail;
	struct metric **table;
	size_t tsize, count;
};

struct collector {
	metrics_collect_fn fn;
	void *arg;
	void (*free_fn)(void *);
};

struct metrics_registry {
	pthread_mutex_t lock;
	struct metric_family *families, **tail;
	struct collector collectors[MAX_COLLECTORS];
	size_t ncollectors;
};

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

static double
bits_to_double(uint64_t b)
{
	double d;

	memcpy(&d, &b, sizeof(d));
	return d;
}

static uint64_t
double_to_bits(double d)
{
	uint64_t b;

	memcpy(&b, &d, sizeof(b));
	return b;
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
series_free(struct metric *m, size_t nlabels)
{
	for (size_t i = 0; i < nlabels; i++)
		free(m->values[i]);
	free(m->buckets);
	free(m);
}

static void
family_free(struct metric_family *fam)
{
	struct metric *m, *next;

	for (m = fam->series; m != NULL; m = next) {
		next = m->next;
		series_free(m, fam->nlabels);
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

/* Label values are UTF-8 in the exposition format: an invalid byte is
 * replaced, so that one bad value cannot make a scrape fail. Returns the
 * length of the valid prefix of s (at most max), or (size_t)-1 when the
 * whole string is valid and short enough. */
static size_t
utf8_prefix(const unsigned char *s, size_t max)
{
	size_t i = 0;

	while (s[i] != '\0') {
		unsigned c = s[i];
		size_t n;
		unsigned cp;

		if (c < 0x80) {
			n = 1;
			cp = c;
		} else if (c >= 0xc2 && c <= 0xdf) {
			n = 2;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			n = 3;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			n = 4;
			cp = c & 0x07;
		} else {
			return i;
		}
		for (size_t k = 1; k < n; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return i;
			cp = (cp << 6) | (s[i + k] & 0x3f);
		}
		if ((n == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
		    (n == 4 && (cp < 0x10000 || cp > 0x10ffff)))
			return i;
		if (i + n > max)
			return i;
		i += n;
	}
	return (size_t)-1;
}

/* A copy of a label value made valid UTF-8 and at most LABEL_VALUE_MAX
 * bytes (plus replacement characters). */
static char *
label_value_clean(const char *v)
{
	size_t cap = 3 * strlen(v) + 1, o = 0;
	const unsigned char *s = (const unsigned char *)v;
	char *out;

	if (cap > 3 * LABEL_VALUE_MAX + 1)
		cap = 3 * LABEL_VALUE_MAX + 1;
	out = malloc(cap);
	if (out == NULL)
		return NULL;
	while (*s != '\0' && o < LABEL_VALUE_MAX) {
		size_t ok = utf8_prefix(s, LABEL_VALUE_MAX - o);

		if (ok == (size_t)-1)
			ok = strlen((const char *)s);
		if (ok > LABEL_VALUE_MAX - o)
			ok = 0;
		memcpy(out + o, s, ok);
		o += ok;
		s += ok;
		if (*s == '\0')
			break;
		if (ok == 0 && o + 3 <= LABEL_VALUE_MAX) {
			memcpy(out + o, "\xef\xbf\xbd", 3);
			o += 3;
			s++;
		} else if (ok == 0) {
			break;
		}
	}
	out[o] = '\0';
	return out;
}

static uint64_t
hash_values(const char *const *values, size_t n)
{
	uint64_t h = 1469598103934665603ULL; /* FNV-1a */

	for (size_t i = 0; i < n; i++) {
		for (const unsigned char *p = (const unsigned char *)values[i];
		    *p != '\0'; p++)
			h = (h ^ *p) * 1099511628211ULL;
		h = (h ^ 0xff) * 1099511628211ULL;
	}
	return h;
}

static struct metric *
series_find(struct metric_family *fam, const char *const *values,
    uint64_t h)
{
	if (fam->tsize == 0)
		return NULL;
	for (struct metric *m = fam->table[h % fam->tsize]; m != NULL;
	    m = m->hnext) {
		size_t i;

		if (m->hash != h)
			continue;
		for (i = 0; i < fam->nlabels; i++)
			if (strcmp(m->values[i], values[i]) != 0)
				break;
		if (i == fam->nlabels)
			return m;
	}
	return NULL;
}

static int
table_grow(struct metric_family *fam)
{
	size_t nsize = fam->tsize == 0 ? 16 : fam->tsize * 2;
	struct metric **nt = calloc(nsize, sizeof(*nt));

	if (nt == NULL)
		return -1;
	for (struct metric *m = fam->series; m != NULL; m = m->next) {
		m->hnext = nt[m->hash % nsize];
		nt[m->hash % nsize] = m;
	}
	free(fam->table);
	fam->table = nt;
	fam->tsize = nsize;
	return 0;
}

static struct metric *
series_new(struct metric_family *fam, const char *const *values, uint64_t h)
{
	struct metric *m;

	if (fam->count + 1 > 2 * fam->tsize && table_grow(fam) < 0)
		return NULL;
	m = calloc(1, sizeof(*m));
	if (m == NULL)
		return NULL;
	m->fam = fam;
	m->hash = h;
	for (size_t i = 0; i < fam->nlabels; i++) {
		m->values[i] = strdup(values[i]);
		if (m->values[i] == NULL) {
			series_free(m, fam->nlabels);
			return NULL;
		}
	}
	if (fam->type == METRIC_HISTOGRAM) {
		m->buckets = calloc(fam->nbounds + 1, sizeof(*m->buckets));
		if (m->buckets == NULL) {
			series_free(m, fam->nlabels);
			return NULL;
		}
		for (size_t i = 0; i <= fam->nbounds; i++)
			atomic_init(&m->buckets[i], 0);
	}
	atomic_init(&m->ival, 0);
	atomic_init(&m->dbits, double_to_bits(0.0));
	atomic_init(&m->hidden, false);
	m->hnext = fam->table[h % fam->tsize];
	fam->table[h % fam->tsize] = m;
	/* Appended last: a renderer walking the list under the family lock
	 * sees a complete series or none. */
	*fam->tail = m;
	fam->tail = &m->next;
	fam->count++;
	return m;
}

/* Looks the series up (creating it when `create`), with values made
 * valid first. */
static struct metric *
series_lookup(struct metric_family *fam, const char *const *values,
    bool create)
{
	const char *use[METRICS_MAX_LABELS];
	char *clean[METRICS_MAX_LABELS] = { 0 };
	struct metric *m = NULL;
	uint64_t h;

	if (fam == NULL)
		return NULL;
	for (size_t i = 0; i < fam->nlabels; i++) {
		if (values == NULL || values[i] == NULL) {
			log_error("%s: label value %zu missing", fam->name, i);
			goto out;
		}
		use[i] = values[i];
		if (utf8_prefix((const unsigned char *)values[i],
		    LABEL_VALUE_MAX) != (size_t)-1) {
			clean[i] = label_value_clean(values[i]);
			if (clean[i] == NULL) {
				log_error("out of memory");
				goto out;
			}
			use[i] = clean[i];
		}
	}
	h = hash_values(use, fam->nlabels);
	pthread_mutex_lock(&fam->lock);
	m = series_find(fam, use, h);
	if (m == NULL && create) {
		m = series_new(fam, use, h);
		if (m == NULL)
			log_error("%s: out of memory", fam->name);
	}
	pthread_mutex_unlock(&fam->lock);
out:
	for (size_t i = 0; i < fam->nlabels; i++)
		free(clean[i]);
	return m;
}

struct metric *
metric_getv(struct metric_family *fam, const char *const *values)
{
	struct metric *m = series_lookup(fam, values, true);

	if (m != NULL)
		atomic_store(&m->hidden, false);
	return m;
}

struct metric *
metric_get(struct metric_family *fam, ...)
{
	const char *values[METRICS_MAX_LABELS];
	va_list ap;

	if (fam == NULL)
		return NULL;
	va_start(ap, fam);
	for (size_t i = 0; i < fam->nlabels; i++)
		values[i] = va_arg(ap, const char *);
	va_end(ap);
	return metric_getv(fam, values);
}

void
metric_hide(struct metric_family *fam, ...)
{
	const char *values[METRICS_MAX_LABELS];
	struct metric *m;
	va_list ap;

	if (fam == NULL)
		return;
	va_start(ap, fam);
	for (size_t i = 0; i < fam->nlabels; i++)
		values[i] = va_arg(ap, const char *);
	va_end(ap);
	m = series_lookup(fam, values, false);
	if (m != NULL)
		atomic_store(&m->hidden, true);
}

void
metric_family_hide_all(struct metric_family *fam)
{
	if (fam == NULL)
		return;
	pthread_mutex_lock(&fam->lock);
	for (struct metric *m = fam->series; m != NULL; m = m->next)
		atomic_store(&m->hidden, true);
	pthread_mutex_unlock(&fam->lock);
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
