/* A family's series: found (or made) by their label values through a
 * hash table under the family's mutex, values cleaned to valid UTF-8 and
 * bounded; hidden and shown again. */
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "metrics_int.h"
#include "util.h"

/* Longest label value kept (bytes); longer ones are cut at a character
 * boundary. */
#define LABEL_VALUE_MAX 1024

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
			metric_series_free(m, fam->nlabels);
			return NULL;
		}
	}
	if (fam->type == METRIC_HISTOGRAM) {
		m->buckets = calloc(fam->nbounds + 1, sizeof(*m->buckets));
		if (m->buckets == NULL) {
			metric_series_free(m, fam->nlabels);
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
metric_series_free(struct metric *m, size_t nlabels)
{
	for (size_t i = 0; i < nlabels; i++)
		free(m->values[i]);
	free(m->buckets);
	free(m);
}
