/* A bounded parser for the Prometheus text format (what the loadgen's
 * /metrics serves), and the sample the verdicts are computed from. */
#ifndef RELIABD_SCENARIO_PROMTEXT_H
#define RELIABD_SCENARIO_PROMTEXT_H

#include <stddef.h>
#include <stdint.h>

#define PROM_NAME_MAX 128
#define PROM_LABEL_MAX 8
#define PROM_VALUE_MAX 128
#define PROM_LINE_MAX 4096
#define PROM_INPUT_MAX (4 * 1024 * 1024)

struct prom_label {
	char name[PROM_NAME_MAX];
	char value[PROM_VALUE_MAX];
};

struct prom_series {
	char name[PROM_NAME_MAX];
	struct prom_label labels[PROM_LABEL_MAX];
	size_t nlabels;
	double value;
};

/* Called for each sample line. */
typedef void (*prom_series_fn)(const struct prom_series *s, void *arg);

/* Parses the whole text; comment lines are skipped. Returns the count of
 * lines that were not understood (they are skipped too), or -1 when the
 * input is over PROM_INPUT_MAX. */
int prom_parse(const char *text, size_t len, prom_series_fn fn, void *arg);
const char *prom_label(const struct prom_series *s, const char *name);

#define SAMPLE_MAX_BUCKETS 48
#define SAMPLE_MAX_SERVERS 16
/* Per server: the loadgen has 21; more are merged away (dropped). */
#define SAMPLE_SERVER_BUCKETS 32

/* memcache_operation_errors_total's kinds; anything else is "other". */
enum err_kind {
	ERRK_TIMEOUT,
	ERRK_CONNECTION,
	ERRK_SERVER,
	ERRK_CIRCUIT_OPEN,
	ERRK_POOL,
	ERRK_OTHER,
	ERRK__COUNT,
};
const char *err_kind_text(enum err_kind k);

struct sample_server {
	char name[64];
	double breaker;      /* 0 closed, 1 half-open, 2 open; -1 unknown */
	double ops;          /* operations seen by the histogram */
	double errors;       /* memcache_operation_errors_total */
	double err_kind[ERRK__COUNT];
	double open_timeout_s; /* the breaker's open time; -1 unknown */
	double pool_total;   /* memcache_pool_connections; -1 unknown */
	double pool_active;  /* ... state="active"; -1 unknown */
	int have_errors;     /* memcache_operation_errors_total exported */
	size_t nbuckets;     /* histogram, summed over op */
	double le[SAMPLE_SERVER_BUCKETS];
	double cum[SAMPLE_SERVER_BUCKETS];
};

/* One scrape of the loadgen, reduced to what the verdicts need. */
struct lg_sample {
	uint64_t mono_ms;
	double wall;
	double ops_total;      /* memcache_operations_total, all labels */
	double failed_total;   /* ... status="failed" */
	int have_status;       /* a status="success" or "failed" series:
	                        * without one, failed_total counts nothing */
	double error_rate;     /* memcache_error_rate (last second) */
	double ops_rate;       /* memcache_operations_rate */
	int have_error_rate;
	size_t nbuckets;       /* histogram, summed over op and server */
	double le[SAMPLE_MAX_BUCKETS];   /* ascending; +Inf last if present */
	double cum[SAMPLE_MAX_BUCKETS];
	double err_kind[ERRK__COUNT];    /* every server, by kind */
	int have_err_kind;     /* memcache_operation_errors_total exported */
	double integrity_total;  /* memcache_data_integrity_errors_total */
	int have_integrity;
	size_t nservers;
	struct sample_server servers[SAMPLE_MAX_SERVERS];
};

void sample_init(struct lg_sample *s);
/* Fills `s` from a /metrics body. 0, or -1 if the body is not usable
 * (too large, or no memcache_operations_total at all). */
int sample_from_text(const char *text, size_t len, struct lg_sample *s);
struct sample_server *sample_server(struct lg_sample *s, const char *name,
    int create);

#endif
