/* A small metrics registry rendered in the Prometheus text format 0.0.4.
 *
 * Families are declared once; a series (one label set) is looked up once
 * and its handle kept, so the update path is a lock-free atomic operation.
 * Looking up a series takes the family's own mutex; rendering takes the
 * registry's. Series are never freed before the registry: a handle stays
 * valid for the registry's whole life. */
#ifndef RELIABD_METRICS_H
#define RELIABD_METRICS_H

#include <stddef.h>
#include <stdint.h>

#define METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"
#define METRICS_MAX_LABELS 6

enum metric_type {
	METRIC_COUNTER,
	METRIC_GAUGE,
	METRIC_HISTOGRAM,
};
const char *metric_type_text(enum metric_type type);

struct metrics_registry;
struct metric_family;
struct metric;

struct metrics_registry *metrics_registry_new(void);
void metrics_registry_free(struct metrics_registry *reg);

/* Declare a family. `labels` is a comma-separated list of label names
 * ("op,status") or NULL/"" for none. Histograms take their upper bounds
 * (ascending, +Inf implied). Returns NULL on a bad name or no memory;
 * declaring the same name twice is a bug. */
struct metric_family *metrics_counter(struct metrics_registry *reg,
    const char *name, const char *help, const char *labels);
struct metric_family *metrics_gauge(struct metrics_registry *reg,
    const char *name, const char *help, const char *labels);
struct metric_family *metrics_histogram(struct metrics_registry *reg,
    const char *name, const char *help, const char *labels,
    const double *bounds, size_t nbounds);

/* Bucket bounds from `start` multiplied by `factor` up to `max` included;
 * returns the count written to `out` (at most `cap`). */
size_t metrics_exponential_bounds(double start, double factor, double max,
    double *out, size_t cap);

/* The series with these label values (as many as the family has labels),
 * created on first use. NULL on no memory or a wrong count. */
struct metric *metric_get(struct metric_family *fam, ...);
struct metric *metric_getv(struct metric_family *fam, const char *const *values);
/* Hide a series from the output until it is looked up again (its handle
 * stays valid). */
void metric_hide(struct metric_family *fam, ...);
/* Hide every series of the family. */
void metric_family_hide_all(struct metric_family *fam);

/* Update path: atomic, no lock. */
void metric_inc(struct metric *m);                /* counter or gauge +1 */
void metric_add(struct metric *m, double v);      /* counter (v >= 0) or gauge */
void metric_set(struct metric *m, double v);      /* gauge */
void metric_observe(struct metric *m, double v);  /* histogram */
double metric_value(const struct metric *m);      /* counter or gauge */
uint64_t metric_hist_count(const struct metric *m);
double metric_hist_sum(const struct metric *m);

/* Called (under the registry lock) before every render, to refresh
 * gauges that are read rather than pushed. */
typedef void (*metrics_collect_fn)(void *arg);
int metrics_on_collect(struct metrics_registry *reg, metrics_collect_fn fn,
    void *arg);

/* Same, and the registry calls free_fn(arg) when it is freed. */
int metrics_on_collect_free(struct metrics_registry *reg,
    metrics_collect_fn fn, void *arg, void (*free_fn)(void *));

/* The whole exposition as one malloc'd NUL-terminated buffer; NULL on no
 * memory. */
char *metrics_render(struct metrics_registry *reg, size_t *len);

/* The standard process_* metrics (cpu, resident memory, open fds, max
 * fds, virtual memory, start time) read from /proc at each render. */
int metrics_register_process(struct metrics_registry *reg);

#endif
