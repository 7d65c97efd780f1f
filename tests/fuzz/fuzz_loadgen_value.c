/* libFuzzer target: the loadgen's value check reads whatever memcached
 * returns. Input: one byte of key length, the key, then the value. Also
 * checks that what we encode always decodes. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/loadgen/integrity.h"
#include "log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int init;
	struct integrity_info info;
	size_t klen;
	char *key, *val;

	if (!init) {
		log_init("fuzz_loadgen_value", LOG_LVL_ERROR);
		init = 1;
	}
	if (size < 1)
		return 0;
	klen = data[0];
	if (klen > size - 1)
		klen = size - 1;
	/* Exact-size copies so ASan sees any read past the end. */
	key = malloc(klen ? klen : 1);
	val = malloc(size - 1 - klen ? size - 1 - klen : 1);
	if (!key || !val)
		goto out;
	memcpy(key, data + 1, klen);
	memcpy(val, data + 1 + klen, size - 1 - klen);
	(void)integrity_decode(val, size - 1 - klen, key, klen, &info);
	if (klen >= 1 && klen <= INTEGRITY_MAX_KEY) {
		size_t vsize = INTEGRITY_MIN_SIZE(klen) + (size % 200);
		char *buf = malloc(vsize);
		if (buf) {
			if (integrity_encode(buf, vsize, key, klen, size, klen) != 0 ||
			    integrity_decode(buf, vsize, key, klen, &info) !=
			    INTEGRITY_OK || info.version != klen)
				abort();
			free(buf);
		}
	}
out:
	free(key);
	free(val);
	return 0;
}
