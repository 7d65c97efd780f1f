/* libFuzzer target: the proxy API's request bodies (daemon/proxy/
 * api_parse.c). The first byte picks the parser; the rest is the body. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api_parse.h"
#include "log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int init;
	struct api_error err;
	struct proxy_spec p, cur = { .name = "m", .listen = "127.0.0.1:1",
		.upstream = "127.0.0.1:2", .enabled = true };
	struct toxic_spec t, tc = { .name = "t", .type = TOXIC_LATENCY,
		.toxicity = 1 };
	struct proxy_spec *arr = NULL;
	size_t n = 0;
	const char *body;

	if (!init) {
		log_init("fuzz_proxy_api", LOG_LVL_ERROR);
		init = 1;
	}
	if (size < 1)
		return 0;
	body = (const char *)data + 1;
	size--;
	switch (data[0] % 6) {
	case 0:
		api_parse_proxy_create(body, size, &p, &err);
		break;
	case 1:
		api_parse_proxy_update(body, size, &cur, &p, &err);
		break;
	case 2:
		if (api_parse_populate(body, size, &arr, &n, &err) == 0)
			free(arr);
		break;
	case 3:
		if (api_parse_toxic_create(body, size, &t, &err) == 0) {
			json_t *j = toxic_to_json(&t);

			json_decref(j);
		}
		break;
	case 4:
		tc.type = (enum toxic_type)(data[0] / 6 % TOXIC_TYPE_COUNT);
		api_parse_toxic_update(body, size, &tc, &t, &err);
		break;
	default:
		json_decref(api_body_load(body, size, &err));
		break;
	}
	return 0;
}
