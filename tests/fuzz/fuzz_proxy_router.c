/* libFuzzer target: the proxy API's URL router and handlers
 * (daemon/proxy/routes.c, with api_parse.c's bodies), as api.c hands
 * them a request: method, URL, body. The proxy set below it is a small
 * one in memory (no loop, no listener, no socket), so a run of requests
 * can create proxies and toxics and then reach them by URL.
 *
 * Input: up to 16 requests, separated by NUL bytes, each
 * "METHOD URL\nBODY". Besides the sanitizers it checks what the API
 * promises: a status from 200 to 599; 204 with no body; any other
 * status with a JSON body, an object with "error" from 400 up. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "log.h"
#include "proxy.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define SET_MAX 4

struct toxic {
	int used;
	struct toxic_spec spec;
};

struct proxy {
	int used;
	struct proxy_spec spec;
	struct toxic t[PROXY_TOXICS_MAX];
};

struct proxy_set {
	struct proxy px[SET_MAX];
};

struct proxy *
proxy_find(struct proxy_set *set, const char *name)
{
	for (int i = 0; i < SET_MAX; i++)
		if (set->px[i].used && strcmp(set->px[i].spec.name, name) == 0)
			return &set->px[i];
	return NULL;
}

struct toxic *
toxic_find(struct proxy *px, const char *name)
{
	for (int i = 0; i < PROXY_TOXICS_MAX; i++)
		if (px->t[i].used && strcmp(px->t[i].spec.name, name) == 0)
			return &px->t[i];
	return NULL;
}

const struct toxic_spec *
toxic_spec(const struct toxic *t)
{
	return &t->spec;
}

void
proxy_get_spec(const struct proxy *px, struct proxy_spec *out)
{
	*out = px->spec;
}

struct proxy *
proxy_create(struct proxy_set *set, const struct proxy_spec *spec,
    struct api_error *err)
{
	if (proxy_find(set, spec->name)) {
		api_error_set(err, 409, "proxy already exists");
		return NULL;
	}
	for (int i = 0; i < SET_MAX; i++)
		if (!set->px[i].used) {
			memset(&set->px[i], 0, sizeof(set->px[i]));
			set->px[i].used = 1;
			set->px[i].spec = *spec;
			return &set->px[i];
		}
	api_error_set(err, 500, "the fuzzer's set is full");
	return NULL;
}

int
proxy_apply(struct proxy *px, const struct proxy_spec *spec,
    struct api_error *err)
{
	(void)err;
	px->spec = *spec;
	return 0;
}

void
proxy_delete(struct proxy *px)
{
	px->used = 0;
}

json_t *
proxy_to_json(const struct proxy *px)
{
	return json_pack("{s:s, s:s, s:s, s:b, s:o}", "name", px->spec.name,
	    "listen", px->spec.listen, "upstream", px->spec.upstream,
	    "enabled", px->spec.enabled, "toxics", proxy_toxics_json(px));
}

json_t *
proxy_toxics_json(const struct proxy *px)
{
	json_t *a = json_array();

	for (int i = 0; a && i < PROXY_TOXICS_MAX; i++)
		if (px->t[i].used)
			json_array_append_new(a, toxic_to_json(&px->t[i].spec));
	return a;
}

json_t *
proxy_set_json(const struct proxy_set *set)
{
	json_t *o = json_object();

	for (int i = 0; o && i < SET_MAX; i++)
		if (set->px[i].used)
			json_object_set_new(o, set->px[i].spec.name,
			    proxy_to_json(&set->px[i]));
	return o;
}

json_t *
proxy_populate(struct proxy_set *set, const struct proxy_spec *specs,
    size_t n, struct api_error *err)
{
	json_t *a = json_array();

	for (size_t i = 0; a && i < n; i++) {
		struct proxy *px = proxy_find(set, specs[i].name);

		if (px == NULL)
			px = proxy_create(set, &specs[i], err);
		else
			px->spec = specs[i];
		if (px)
			json_array_append_new(a, proxy_to_json(px));
	}
	return a;
}

int
proxy_set_reset(struct proxy_set *set, struct api_error *err)
{
	(void)err;
	for (int i = 0; i < SET_MAX; i++) {
		set->px[i].spec.enabled = true;
		memset(set->px[i].t, 0, sizeof(set->px[i].t));
	}
	return 0;
}

struct toxic *
toxic_add(struct proxy *px, const struct toxic_spec *spec,
    struct api_error *err)
{
	if (toxic_find(px, spec->name)) {
		api_error_set(err, 409, "toxic already exists");
		return NULL;
	}
	for (int i = 0; i < PROXY_TOXICS_MAX; i++)
		if (!px->t[i].used) {
			px->t[i].used = 1;
			px->t[i].spec = *spec;
			return &px->t[i];
		}
	api_error_set(err, 400, "too many toxics");
	return NULL;
}

void
toxic_update(struct proxy *px, struct toxic *t, const struct toxic_spec *spec)
{
	(void)px;
	t->spec = *spec;
}

void
toxic_remove(struct proxy *px, struct toxic *t)
{
	(void)px;
	t->used = 0;
}

/* One request; aborts when a reply breaks the API's promises. */
static void
one(struct proxy_set *set, const char *req, size_t len)
{
	char method[16], url[1100];
	const char *nl = memchr(req, '\n', len), *sp;
	size_t mlen, ulen;
	char *resp = NULL;
	size_t resp_len = 0;
	json_t *v;
	int st;

	if (nl == NULL)
		nl = req + len;
	sp = memchr(req, ' ', (size_t)(nl - req));
	if (sp == NULL || (mlen = (size_t)(sp - req)) >= sizeof(method))
		return;
	ulen = (size_t)(nl - sp - 1);
	if (ulen >= sizeof(url))
		return;
	memcpy(method, req, mlen);
	method[mlen] = '\0';
	memcpy(url, sp + 1, ulen);
	url[ulen] = '\0';
	st = api_handle(set, method, url, nl < req + len ? nl + 1 : NULL,
	    nl < req + len ? (size_t)(req + len - nl - 1) : 0, &resp,
	    &resp_len);
	if (st < 200 || st > 599)
		abort();
	if (st == 204) {
		if (resp != NULL)
			abort();
		return;
	}
	if (resp == NULL || strlen(resp) != resp_len)
		abort();
	v = json_loads(resp, 0, NULL);
	if (v == NULL || (st >= 400 && !json_is_string(json_object_get(v,
	    "error"))))
		abort();
	json_decref(v);
	free(resp);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int init;
	struct proxy_set *set;
	const char *p = (const char *)data, *end = p + size;

	if (!init) {
		log_init("fuzz_proxy_router", LOG_LVL_ERROR);
		init = 1;
	}
	set = calloc(1, sizeof(*set));
	if (set == NULL)
		return 0;
	for (int i = 0; i < 16 && p < end; i++) {
		const char *z = memchr(p, '\0', (size_t)(end - p));
		size_t n = z ? (size_t)(z - p) : (size_t)(end - p);

		one(set, p, n);
		p += n + 1;
	}
	free(set);
	return 0;
}
