/* The metrics registry's insides, shared by metrics.c (declaring and
 * updating) and metrics_render.c (the text format) alone. */
#ifndef RELIABD_METRICS_INT_H
#define RELIABD_METRICS_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "metrics.h"

#define MAX_COLLECTORS 32

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

static inline double
bits_to_double(uint64_t b)
{
	double d;

	memcpy(&d, &b, sizeof(d));
	return d;
}

static inline uint64_t
double_to_bits(double d)
{
	uint64_t b;

	memcpy(&b, &d, sizeof(b));
	return b;
}

/* Frees one series (its values and buckets). */
void metric_series_free(struct metric *m, size_t nlabels);

#endif
