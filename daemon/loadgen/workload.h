/* What every client kind draws and checks the same way, so that two kinds
 * run side by side put the same load: an operation by the workload's
 * weights, a key of the key space, a value's size, and a value read back
 * judged (integrity.h). The resilient engine (workers.c) and the
 * libmemcached kind (libmc.c) both use these. */
#ifndef RELIABD_LOADGEN_WORKLOAD_H
#define RELIABD_LOADGEN_WORKLOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "integrity.h"
#include "options.h"

/* The room a key needs: the prefix and 20 digits. */
#define LG_KEY_MAX (LG_PREFIX_MAX + 24)

/* Worker i's own random state from the run's seed (never 0). */
uint64_t lg_worker_rng(uint64_t seed, unsigned i);
/* weight_sum: ratio[0] + ratio[1] + ratio[2], > 0. */
enum lg_op lg_pick_op(const unsigned ratio[LG_NOPS], unsigned weight_sum,
    uint64_t *rng);
/* Uniform in [0, keys). */
uint64_t lg_pick_key(uint64_t *rng, uint64_t keys);
/* prefix + decimal index into buf (LG_KEY_MAX bytes); the length. */
size_t lg_format_key(char *buf, const char *prefix, size_t plen,
    uint64_t idx);
/* A set's value size, in [value_min, value_max]. */
size_t lg_pick_value_size(const struct lg_options *o, uint64_t *rng);

enum lg_value_verdict {
	LG_VALUE_OK,
	LG_VALUE_CORRUPT,  /* another key's, damaged, or not ours */
	LG_VALUE_STALE,    /* older than this worker's own last write */
};

/* A value read back for key (index key_index) by the worker `writer`,
 * which remembers its writes in `seen`. *why says what was wrong
 * (corrupt); *version the value's version (stale). */
enum lg_value_verdict lg_judge_value(const char *val, size_t len,
    const char *key, size_t keylen, uint64_t key_index, uint64_t writer,
    const struct version_table *seen, const char **why, uint64_t *version);

/* The slots of each worker's version table: the whole key space when it
 * fits a budget shared by every worker (4096 workers must stay cheap),
 * else its most recent writes. */
size_t lg_version_slots(const struct lg_options *o);

/* Integrity errors are counted always, logged sparingly: a broken proxy
 * could otherwise flood the log at the full operation rate. */
bool lg_log_integrity_now(void);

#endif
