/* Fuzzes what reliabd-scenario reads in the Toxiproxy API's replies:
 * /version (plain text, a JSON string or object), error bodies and the
 * GET /proxies list. The first byte picks which; what comes out must be
 * printable and bounded, since it goes into logs, status and run
 * records. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "toxireply.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_printable(const char *s, size_t cap)
{
	size_t n = strnlen(s, cap);

	if (n == cap)
		abort(); /* not terminated within its buffer */
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] >= 0x7f)
			abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *body;
	char version[64], small[4], msg[TOXI_ERROR_QUOTE_MAX + 64];

	if (size < 1)
		return 0;
	body = (const char *)data + 1;
	size--;
	if (data[0] & 2) {
		/* A GET /proxies body: any names, any shape. */
		static const char *const names[] = { "memcache1", "", "a.b",
			"toxics" };
		int present[4];

		if (toxi_parse_proxy_set(body, size, names, 4, present) != 0)
			for (int i = 0; i < 4; i++)
				if (present[i])
					abort();
		for (int i = 0; i < 4; i++)
			if (present[i] != 0 && present[i] != 1)
				abort();
	} else if (data[0] & 1) {
		(void)toxi_parse_version(body, size, version, sizeof version);
		check_printable(version, sizeof version);
		(void)toxi_parse_version(body, size, small, sizeof small);
		check_printable(small, sizeof small);
	} else {
		toxi_parse_error(body, size, msg, sizeof msg);
		check_printable(msg, sizeof msg);
		if (strlen(msg) > TOXI_ERROR_QUOTE_MAX)
			abort();
		toxi_parse_error(body, size, small, sizeof small);
		check_printable(small, sizeof small);
	}
	return 0;
}
