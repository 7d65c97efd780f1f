/* reliabd-loadgen's options: parsed, validated, with their defaults. */
#ifndef RELIABD_LOADGEN_OPTIONS_H
#define RELIABD_LOADGEN_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "addr.h"
#include "breaker.h"
#include "log.h"

#define LG_MAX_SERVERS 16
#define LG_NAME_MAX 64
#define LG_MAX_WORKERS 4096
#define LG_MAX_THREADS 256
#define LG_MAX_KEYS 100000000ULL
#define LG_MAX_VALUE 1000000 /* under memcached's default 1 MiB item limit */
#define LG_PREFIX_MAX 64
#define LG_MAX_PIPELINE 64
/* The libmemcached kind runs a thread per worker: a stated cap. */
#define LG_LIBMC_MAX_WORKERS 256

enum lg_op {
	LG_OP_GET,
	LG_OP_SET,
	LG_OP_DELETE,
};
#define LG_NOPS 3
const char *lg_op_text(enum lg_op op);

/* Which client runs the workload: the built-in resilient one (engine.h)
 * or libmemcached with its own failure handling (libmc.h). */
enum lg_kind {
	LG_KIND_RESILIENT,
	LG_KIND_LIBMEMCACHED,
};
const char *lg_kind_text(enum lg_kind k);

/* libmemcached's own failure behaviours (its defaults: limit 5, retry
 * 2 s, no ejection, dead timeout 0). Timeouts are whole seconds, as
 * libmemcached keeps them. */
struct lg_libmc_settings {
	uint32_t server_failure_limit;
	uint32_t retry_timeout_s;
	bool remove_failed_servers;
	uint32_t dead_timeout_s;
};

struct lg_server {
	char name[LG_NAME_MAX];
	struct hostport addr;
};

struct lg_options {
	struct lg_server servers[LG_MAX_SERVERS];
	size_t nservers;
	char metrics[ADDR_HOST_MAX + 8];
	unsigned workers;
	unsigned threads;              /* 0: automatic */
	char workload[64];             /* as given, for logs */
	unsigned ratio[LG_NOPS];       /* relative weights, sum > 0 */
	uint64_t keys;
	char key_prefix[LG_PREFIX_MAX + 1];
	size_t value_min, value_max;
	uint32_t ttl_s;
	double rate;                   /* ops/s; 0: closed loop */
	unsigned connections;          /* per server; 0: one per worker */
	uint64_t op_timeout_ms;
	uint64_t pool_acquire_timeout_ms;
	unsigned pipeline;             /* requests in flight per connection */
	bool fallback_auto;            /* fallback = recent mean latency */
	uint64_t fallback_ms;          /* else this, after a failed op */
	struct breaker_settings breaker;
	enum lg_kind kind;
	struct lg_libmc_settings libmc;
	uint64_t given;                /* options on the command line, a bit
	                                * each (lg_options_validate) */
	uint64_t duration_ms;          /* 0: until a signal */
	uint64_t seed;
	enum log_level log_level;
	bool check;
	bool help;
};

void lg_options_defaults(struct lg_options *o);
/* Parses argv (getopt_long; reset first). On a bad option or value it
 * writes "--opt: what is allowed" to err and returns -1. */
int lg_options_parse(struct lg_options *o, int argc, char **argv, char *err,
    size_t errlen);
/* Cross-option checks after parsing. 0 or -1 with err. */
int lg_options_validate(struct lg_options *o, char *err, size_t errlen);
/* The parsers for single values (exposed for tests and fuzzing). */
int lg_parse_workload(const char *s, unsigned ratio[LG_NOPS]);
int lg_parse_value_size(const char *s, size_t *min, size_t *max);
int lg_parse_server(const char *s, struct lg_server *out);
void lg_usage(FILE *f);

#endif
