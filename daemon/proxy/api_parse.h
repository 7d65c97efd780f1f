/* Parsing of the Toxiproxy API's request bodies (outside input): bounded
 * size and depth, validated, and nothing changes unless all of it is
 * valid. Pure: no state, so it is fuzzed and unit-tested alone. */
#ifndef RELIABD_PROXY_API_PARSE_H
#define RELIABD_PROXY_API_PARSE_H

#include <stdbool.h>
#include <stddef.h>

#include "addr.h"
#include "toxic.h"

/* Largest request body accepted (larger: 413). */
#define API_BODY_MAX (64 * 1024)
/* Deepest JSON nesting accepted. */
#define API_DEPTH_MAX 16
/* Most proxies in one POST /populate (and in all). */
#define API_PROXIES_MAX 256

struct proxy_spec {
	char name[TOXIC_NAME_MAX + 1];
	char listen[ADDR_HOST_MAX + 8];
	char upstream[ADDR_HOST_MAX + 8];
	bool enabled;
};

/* The body as a JSON value, with size and depth checked. NULL with err
 * (400 or 413). */
json_t *api_body_load(const char *body, size_t len, struct api_error *err);

/* POST /proxies: {"name","listen","upstream","enabled"}; name and
 * upstream required, listen defaults to 127.0.0.1:0, enabled to true. */
int api_parse_proxy_create(const char *body, size_t len,
    struct proxy_spec *out, struct api_error *err);
/* POST|PATCH /proxies/{name}: fields absent keep `cur`'s values. */
int api_parse_proxy_update(const char *body, size_t len,
    const struct proxy_spec *cur, struct proxy_spec *out,
    struct api_error *err);
/* POST /populate: an array of proxies. *out is malloc'd (free it) with
 * *n entries. Duplicate names in one request are a 400. */
int api_parse_populate(const char *body, size_t len, struct proxy_spec **out,
    size_t *n, struct api_error *err);

/* POST /proxies/{p}/toxics: stream defaults to downstream, toxicity to
 * 1, name to "<type>_<stream>". Unknown type or stream: 400. */
int api_parse_toxic_create(const char *body, size_t len,
    struct toxic_spec *out, struct api_error *err);
/* POST|PATCH /proxies/{p}/toxics/{t}: "attributes" merged into `cur`'s,
 * "toxicity" replaced; name, type and stream stay. */
int api_parse_toxic_update(const char *body, size_t len,
    const struct toxic_spec *cur, struct toxic_spec *out,
    struct api_error *err);

#endif
