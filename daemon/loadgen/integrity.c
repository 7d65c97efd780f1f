/* Self-checking values; see integrity.h for the format. */
#include "integrity.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

const char *
integrity_result_text(enum integrity_result r)
{
	switch (r) {
	case INTEGRITY_OK:
		return "ok";
	case INTEGRITY_MALFORMED:
		return "malformed";
	case INTEGRITY_WRONG_KEY:
		return "wrong_key";
	}
	return "unknown";
}

/* CRC-32C (Castagnoli): the check runs on every get and set, and x86's
 * SSE 4.2 computes it 8 bytes an instruction; elsewhere, slicing-by-8. */
static uint32_t crc_table[8][256];
static pthread_once_t crc_once = PTHREAD_ONCE_INIT;
static bool crc_hw;

static void
crc_table_init(void)
{
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i;
		for (int k = 0; k < 8; k++)
			c = c & 1 ? 0x82f63b78u ^ (c >> 1) : c >> 1;
		crc_table[0][i] = c;
	}
	for (uint32_t i = 0; i < 256; i++)
		for (int t = 1; t < 8; t++)
			crc_table[t][i] = (crc_table[t - 1][i] >> 8) ^
			    crc_table[0][crc_table[t - 1][i] & 0xff];
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
	crc_hw = __builtin_cpu_supports("sse4.2");
#endif
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
__attribute__((target("sse4.2"))) static uint32_t
crc32c_hw(uint32_t crc, const uint8_t *p, size_t len)
{
	uint64_t c = crc;

	while (len >= 8) {
		uint64_t v;
		memcpy(&v, p, 8);
		c = __builtin_ia32_crc32di(c, v);
		p += 8;
		len -= 8;
	}
	crc = (uint32_t)c;
	while (len--)
		crc = __builtin_ia32_crc32qi(crc, *p++);
	return crc;
}
#endif

static uint32_t
crc32c_sw(uint32_t crc, const uint8_t *p, size_t len)
{
	while (len >= 8) {
		uint32_t lo = crc ^ ((uint32_t)p[0] | (uint32_t)p[1] << 8 |
		    (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24);
		uint32_t hi = (uint32_t)p[4] | (uint32_t)p[5] << 8 |
		    (uint32_t)p[6] << 16 | (uint32_t)p[7] << 24;
		crc = crc_table[7][lo & 0xff] ^ crc_table[6][(lo >> 8) & 0xff] ^
		    crc_table[5][(lo >> 16) & 0xff] ^ crc_table[4][lo >> 24] ^
		    crc_table[3][hi & 0xff] ^ crc_table[2][(hi >> 8) & 0xff] ^
		    crc_table[1][(hi >> 16) & 0xff] ^ crc_table[0][hi >> 24];
		p += 8;
		len -= 8;
	}
	while (len--)
		crc = crc_table[0][(crc ^ *p++) & 0xff] ^ (crc >> 8);
	return crc;
}

uint32_t
crc32c(uint32_t crc, const void *data, size_t len)
{
	pthread_once(&crc_once, crc_table_init);
	crc = ~crc;
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
	if (crc_hw)
		return ~crc32c_hw(crc, data, len);
#endif
	return ~crc32c_sw(crc, data, len);
}

uint32_t
crc32c_portable(uint32_t crc, const void *data, size_t len)
{
	pthread_once(&crc_once, crc_table_init);
	return ~crc32c_sw(~crc, data, len);
}

/* Offsets in the header. */
#define OFF_WRITER 3
#define OFF_VERSION 16
#define OFF_CRC 33
#define OFF_KEY INTEGRITY_HEADER_LEN

static const char hexdig[] = "0123456789abcdef";

static void
put_hex(char *p, uint64_t v, int digits)
{
	for (int i = digits - 1; i >= 0; i--) {
		p[i] = hexdig[v & 0xf];
		v >>= 4;
	}
}

/* Lower-case hex digit values; 0xff for anything else. */
static uint8_t hexval[256];
static pthread_once_t hex_once = PTHREAD_ONCE_INIT;

static void
hexval_init(void)
{
	memset(hexval, 0xff, sizeof(hexval));
	for (int i = 0; i < 16; i++)
		hexval[(uint8_t)hexdig[i]] = (uint8_t)i;
}

static bool
get_hex(const char *p, int digits, uint64_t *out)
{
	uint64_t v = 0;
	uint8_t bad = 0;

	for (int i = 0; i < digits; i++) {
		uint8_t d = hexval[(uint8_t)p[i]];
		bad |= d;
		v = v << 4 | (d & 0xf);
	}
	/* A valid digit is < 16; any 0xff sets the high bits. */
	if (bad & 0xf0)
		return false;
	*out = v;
	return true;
}

static uint32_t
value_crc(const char *val, size_t len)
{
	uint32_t c = crc32c(0, val, OFF_CRC);
	return crc32c(c, val + OFF_KEY - 1, len - (OFF_KEY - 1));
}

int
integrity_encode(char *buf, size_t size, const char *key, size_t keylen,
    uint64_t writer, uint64_t version)
{
	uint64_t x;

	if (keylen == 0 || keylen > INTEGRITY_MAX_KEY ||
	    size < INTEGRITY_MIN_SIZE(keylen))
		return -1;
	memcpy(buf, "v1|", 3);
	put_hex(buf + OFF_WRITER, writer, 12);
	buf[OFF_VERSION - 1] = '|';
	put_hex(buf + OFF_VERSION, version, 16);
	buf[OFF_CRC - 1] = '|';
	buf[OFF_KEY - 1] = '|';
	memcpy(buf + OFF_KEY, key, keylen);
	buf[OFF_KEY + keylen] = '|';
	/* Filler that differs per write, so a torn or mixed value fails the
	 * CRC; a cheap xorshift seeded from the version. */
	x = version * 0x9e3779b97f4a7c15ull + writer + 1;
	for (size_t i = OFF_KEY + keylen + 1; i < size; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		buf[i] = (char)('a' + (x % 26));
	}
	put_hex(buf + OFF_CRC, value_crc(buf, size), 8);
	return 0;
}

enum integrity_result
integrity_decode(const char *val, size_t len, const char *key, size_t keylen,
    struct integrity_info *info)
{
	uint64_t writer, version, crc;

	if (val == NULL || len < INTEGRITY_MIN_SIZE(1))
		return INTEGRITY_MALFORMED;
	pthread_once(&hex_once, hexval_init);
	if (memcmp(val, "v1|", 3) != 0 || val[OFF_VERSION - 1] != '|' ||
	    val[OFF_CRC - 1] != '|' || val[OFF_KEY - 1] != '|')
		return INTEGRITY_MALFORMED;
	if (!get_hex(val + OFF_WRITER, 12, &writer) ||
	    !get_hex(val + OFF_VERSION, 16, &version) ||
	    !get_hex(val + OFF_CRC, 8, &crc))
		return INTEGRITY_MALFORMED;
	if ((uint32_t)crc != value_crc(val, len))
		return INTEGRITY_MALFORMED;
	/* Intact, so compare with the key asked for (which may itself hold
	 * '|': no searching for the separator). */
	if (len < OFF_KEY + keylen + 1 || val[OFF_KEY + keylen] != '|' ||
	    memcmp(val + OFF_KEY, key, keylen) != 0)
		return INTEGRITY_WRONG_KEY;
	if (info) {
		info->writer = writer;
		info->version = version;
	}
	return INTEGRITY_OK;
}

int
version_table_init(struct version_table *t, size_t keys)
{
	size_t n = 1;

	/* Enough for the whole key space up to 8192 slots: beyond that a
	 * worker remembers its most recent writes only. */
	while (n < keys && n < 8192)
		n <<= 1;
	t->slots = calloc(n, sizeof(*t->slots));
	if (t->slots == NULL) {
		log_error("no memory");
		return -1;
	}
	t->mask = n - 1;
	return 0;
}

void
version_table_free(struct version_table *t)
{
	free(t->slots);
	t->slots = NULL;
}

void
version_table_put(struct version_table *t, uint64_t key_index,
    uint64_t version)
{
	struct version_slot *s = &t->slots[key_index & t->mask];

	/* 8 bytes a slot keeps a worker's table within 64 KiB; a slot
	 * stores the low 32 bits of the key (the mask took fewer). */
	s->key = (uint32_t)(key_index + 1);
	s->version = (uint32_t)version;
}

uint64_t
version_table_get(const struct version_table *t, uint64_t key_index)
{
	const struct version_slot *s = &t->slots[key_index & t->mask];

	return s->key == (uint32_t)(key_index + 1) ? s->version : 0;
}

bool
version_table_older(const struct version_table *t, uint64_t key_index,
    uint64_t version)
{
	const struct version_slot *s = &t->slots[key_index & t->mask];

	if (s->key != (uint32_t)(key_index + 1) || s->version == 0)
		return false;
	/* Serial-number arithmetic: right across a 2^32 wrap. */
	return (int32_t)((uint32_t)version - s->version) < 0;
}
