/* libFuzzer target: the proxy API's request bodies (daemon/proxy/
 * api_parse.c, and names.c's walk for host names). The first byte picks
 * the parser; the rest is the body. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_parse.h"
#include "log.h"
#include "names.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* No resolver in a fuzzer: every other name resolves, to loopback. */
static int
fake_resolve(const struct hostport *hp, struct sockaddr_storage *ss,
    socklen_t *len, char *err, size_t errlen)
{
	if (strlen(hp->host) % 2) {
		snprintf(err, errlen, "%s: no such host", hp->host);
		return -1;
	}
	hp = &(struct hostport){ "127.0.0.1", hp->port };
	return hostport_numeric(hp, ss, len);
}

/* Every name the walk found is looked up again, as the loop would. */
static void
fuzz_names(const char *body, size_t size)
{
	struct names *n = names_collect_with(body, size, fake_resolve);
	json_t *v, *o;
	struct api_error err;
	size_t i;

	if (n == NULL)
		return;
	v = api_body_load(body, size, &err);
	for (i = 0; v != NULL && i < (json_is_array(v) ?
	    json_array_size(v) : 1); i++) {
		o = json_is_array(v) ? json_array_get(v, i) : v;
		const char *s = json_string_value(json_object_get(o,
		    "upstream"));
		struct hostport hp;
		struct sockaddr_storage ss;
		socklen_t len = sizeof(ss);
		char e[256];

		if (s != NULL && hostport_parse(s, &hp, e, sizeof(e)) == 0)
			(void)names_resolve(n, &hp, &ss, &len, e, sizeof(e));
	}
	json_decref(v);
	names_free(n);
}

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
	switch (data[0] % 7) {
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
		tc.type = (enum toxic_type)(data[0] / 7 % TOXIC_TYPE_COUNT);
		api_parse_toxic_update(body, size, &tc, &t, &err);
		break;
	case 5:
		fuzz_names(body, size);
		break;
	default:
		json_decref(api_body_load(body, size, &err));
		break;
	}
	return 0;
}
