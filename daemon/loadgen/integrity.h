/* Values that can be checked: every value the loadgen writes says whose it
 * is (key), who wrote it (run nonce + worker), which write it was
 * (version), and carries a CRC-32 over all of that and the filler.
 *
 *   v1|WWWWWWWWWWWW|VVVVVVVVVVVVVVVV|CCCCCCCC|KEY|filler...
 *
 * W: writer (12 hex: 8 of run nonce, 4 of worker), V: version (16 hex),
 * C: CRC-32C of everything except the C field itself. */
#ifndef RELIABD_LOADGEN_INTEGRITY_H
#define RELIABD_LOADGEN_INTEGRITY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define INTEGRITY_HEADER_LEN 42   /* up to and including the '|' after C */
#define INTEGRITY_MAX_KEY 250     /* memcached's own limit */

/* Smallest value that holds a key of `keylen`. */
#define INTEGRITY_MIN_SIZE(keylen) (INTEGRITY_HEADER_LEN + (keylen) + 1)

enum integrity_result {
	INTEGRITY_OK,
	INTEGRITY_MALFORMED,  /* not our format, bad length or bad CRC */
	INTEGRITY_WRONG_KEY,  /* well formed, but another key's value */
};
const char *integrity_result_text(enum integrity_result r);

struct integrity_info {
	uint64_t writer;
	uint64_t version;
};

/* CRC-32C (Castagnoli), in hardware where the CPU has it. */
uint32_t crc32c(uint32_t crc, const void *data, size_t len);
/* The same, always in software (for tests). */
uint32_t crc32c_portable(uint32_t crc, const void *data, size_t len);

/* Writes exactly `size` bytes into buf; size >= INTEGRITY_MIN_SIZE(keylen).
 * 0, or -1 if it does not fit. */
int integrity_encode(char *buf, size_t size, const char *key, size_t keylen,
    uint64_t writer, uint64_t version);
/* Checks a value read for `key`. Any input is safe (bounded reads). */
enum integrity_result integrity_decode(const char *val, size_t len,
    const char *key, size_t keylen, struct integrity_info *info);

/* A worker's memory of the last version it wrote (or deleted) per key,
 * direct mapped: a newer key in the same slot evicts the older, so only
 * what is remembered is judged. */
struct version_slot {
	uint32_t key;      /* key index + 1 (low 32 bits); 0 = empty */
	uint32_t version;  /* low 32 bits: compared as a wrapping sequence */
};
struct version_table {
	struct version_slot *slots;
	size_t mask;
};

int version_table_init(struct version_table *t, size_t keys);
void version_table_free(struct version_table *t);
void version_table_put(struct version_table *t, uint64_t key_index,
    uint64_t version);
/* Whether `version` is older than the remembered one for this key (false
 * when nothing is remembered). */
bool version_table_older(const struct version_table *t, uint64_t key_index,
    uint64_t version);
/* The remembered version (low 32 bits), or 0 when none. */
uint64_t version_table_get(const struct version_table *t, uint64_t key_index);

#endif
