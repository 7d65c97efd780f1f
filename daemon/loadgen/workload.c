/* The workload's draws and the judging of values read back. See
 * workload.h. */
#include "workload.h"

#include <stdatomic.h>
#include <string.h>

#include "rng.h"

uint64_t
lg_worker_rng(uint64_t seed, unsigned i)
{
	uint64_t r = seed ^ (0x9e3779b97f4a7c15ull * (i + 1));

	return r ? r : 1;
}

enum lg_op
lg_pick_op(const unsigned ratio[LG_NOPS], unsigned weight_sum, uint64_t *rng)
{
	unsigned r = (unsigned)(rng_next(rng) % weight_sum);

	for (int i = 0; i < LG_NOPS; i++) {
		if (r < ratio[i])
			return (enum lg_op)i;
		r -= ratio[i];
	}
	return LG_OP_GET;
}

uint64_t
lg_pick_key(uint64_t *rng, uint64_t keys)
{
	/* By a multiply, not a division. */
	return (uint64_t)(((unsigned __int128)rng_next(rng) * keys) >> 64);
}

size_t
lg_format_key(char *buf, const char *prefix, size_t plen, uint64_t idx)
{
	char digits[24];
	size_t n = 0;

	do {
		digits[n++] = (char)('0' + idx % 10);
		idx /= 10;
	} while (idx);
	memcpy(buf, prefix, plen);
	for (size_t i = 0; i < n; i++)
		buf[plen + i] = digits[n - 1 - i];
	buf[plen + n] = '\0';
	return plen + n;
}

size_t
lg_pick_value_size(const struct lg_options *o, uint64_t *rng)
{
	size_t size = o->value_min;

	if (o->value_max > o->value_min)
		size += rng_next(rng) % (o->value_max - o->value_min + 1);
	return size;
}

enum lg_value_verdict
lg_judge_value(const char *val, size_t len, const char *key, size_t keylen,
    uint64_t key_index, uint64_t writer, const struct version_table *seen,
    const char **why, uint64_t *version)
{
	struct integrity_info info;
	enum integrity_result ir;

	ir = integrity_decode(val, len, key, keylen, &info);
	if (ir != INTEGRITY_OK) {
		*why = integrity_result_text(ir);
		return LG_VALUE_CORRUPT;
	}
	/* Only our own writes are ordered for us: another worker's value may
	 * legitimately be older or newer than ours. */
	*version = info.version;
	if (info.writer == writer &&
	    version_table_older(seen, key_index, info.version))
		return LG_VALUE_STALE;
	return LG_VALUE_OK;
}

/* A worker remembers its writes in a table of at most this many slots in
 * all. */
#define VERSION_BUDGET_SLOTS (1u << 20)

size_t
lg_version_slots(const struct lg_options *o)
{
	size_t slots = VERSION_BUDGET_SLOTS / o->workers;

	if (slots > o->keys)
		slots = (size_t)o->keys;
	if (slots < 64)
		slots = 64;
	return slots;
}

bool
lg_log_integrity_now(void)
{
	static atomic_uint n;
	unsigned k = atomic_fetch_add_explicit(&n, 1, memory_order_relaxed);

	return k < 20 || k % 1000 == 0;
}
