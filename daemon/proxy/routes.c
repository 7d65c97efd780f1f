/* The Toxiproxy API's routes and handlers: a request (method, URL,
 * body) in, a status and a JSON body out, on the loop thread that owns
 * every proxy. api.c brings the requests here. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ac-config.h" /* PACKAGE_VERSION */
#include "api.h"
#include "api_parse.h"
#include "log.h"
#include "proxy.h"
#include "util.h"

/* Longest URL path routed. */
#define API_URL_MAX 1024
#define API_SEGS_MAX 4

struct reply {
	int status;
	json_t *body; /* NULL: no body */
};

static struct reply
reply_error(int status, const char *msg)
{
	struct reply r = { status, json_pack("{s:s, s:i}", "error", msg,
				       "status", status) };
	return r;
}

static struct reply
reply_api_error(const struct api_error *e)
{
	return reply_error(e->status ? e->status : 500, e->msg);
}

static struct reply
reply_json(int status, json_t *body)
{
	if (body == NULL)
		return reply_error(500, "out of memory");
	return (struct reply){ status, body };
}

static bool
is(const char *method, const char *m)
{
	return strcmp(method, m) == 0;
}

static bool
is_update(const char *method)
{
	return is(method, "POST") || is(method, "PATCH");
}

static struct reply
h_populate(struct proxy_set *set, const char *body, size_t len)
{
	struct proxy_spec *specs = NULL;
	size_t n = 0;
	struct api_error err = { 0 };
	json_t *a, *o;

	if (api_parse_populate(body, len, &specs, &n, &err) < 0)
		return reply_api_error(&err);
	a = proxy_populate(set, specs, n, &err);
	free(specs);
	if (a == NULL)
		return reply_api_error(&err);
	if (err.status == 0)
		return reply_json(201, json_pack("{s:o}", "proxies", a));
	o = json_pack("{s:s, s:i, s:o}", "error", err.msg, "status",
	    err.status, "proxies", a);
	return reply_json(err.status, o);
}

static struct reply
h_proxy(struct proxy_set *set, const char *method, struct proxy *px,
    const char *body, size_t len)
{
	struct api_error err = { 0 };

	if (is(method, "GET"))
		return reply_json(200, proxy_to_json(px));
	if (is_update(method)) {
		struct proxy_spec cur, next;

		proxy_get_spec(px, &cur);
		if (api_parse_proxy_update(body, len, &cur, &next, &err) < 0 ||
		    proxy_apply(px, &next, &err) < 0)
			return reply_api_error(&err);
		return reply_json(200, proxy_to_json(px));
	}
	if (is(method, "DELETE")) {
		proxy_delete(px);
		return (struct reply){ 204, NULL };
	}
	return reply_error(405, "method not allowed");
}

static struct reply
h_toxics(struct proxy *px, const char *method, const char *body, size_t len)
{
	struct api_error err = { 0 };
	struct toxic_spec spec;
	struct toxic *t;

	if (is(method, "GET"))
		return reply_json(200, proxy_toxics_json(px));
	if (!is(method, "POST"))
		return reply_error(405, "method not allowed");
	if (api_parse_toxic_create(body, len, &spec, &err) < 0)
		return reply_api_error(&err);
	t = toxic_add(px, &spec, &err);
	if (t == NULL)
		return reply_api_error(&err);
	return reply_json(200, toxic_to_json(toxic_spec(t)));
}

static struct reply
h_toxic(struct proxy *px, const char *method, const char *name,
    const char *body, size_t len)
{
	struct api_error err = { 0 };
	struct toxic *t = toxic_find(px, name);
	struct toxic_spec spec;

	if (!is(method, "GET") && !is_update(method) && !is(method, "DELETE"))
		return reply_error(405, "method not allowed");
	if (t == NULL)
		return reply_error(404, "toxic not found");
	if (is(method, "GET"))
		return reply_json(200, toxic_to_json(toxic_spec(t)));
	if (is(method, "DELETE")) {
		toxic_remove(px, t);
		return (struct reply){ 204, NULL };
	}
	if (api_parse_toxic_update(body, len, toxic_spec(t), &spec, &err) < 0)
		return reply_api_error(&err);
	toxic_update(px, t, &spec);
	return reply_json(200, toxic_to_json(toxic_spec(t)));
}

static struct reply
route(struct proxy_set *set, const char *method, const char *url,
    const char *body, size_t len)
{
	char path[API_URL_MAX + 1], *seg[API_SEGS_MAX + 1], *save = NULL, *s;
	size_t n = 0;
	struct api_error err = { 0 };
	struct proxy *px;

	if (url[0] != '/' || strlen(url) > API_URL_MAX)
		return reply_error(404, "not found");
	strlcpy_r(path, url + 1, sizeof(path));
	/* An empty segment ("//", trailing '/') matches no route. */
	if (strstr(url, "//") != NULL || (url[1] && url[strlen(url) - 1] == '/'))
		return reply_error(404, "not found");
	for (s = strtok_r(path, "/", &save); s; s = strtok_r(NULL, "/", &save)) {
		if (n == API_SEGS_MAX)
			return reply_error(404, "not found");
		seg[n++] = s;
	}
	if (n == 1 && strcmp(seg[0], "version") == 0) {
		if (!is(method, "GET"))
			return reply_error(405, "method not allowed");
		/* "server" tells the scenario worker this is the built-in
		 * proxy (it has the loss toxic); Toxiproxy clients read
		 * "version" only. */
		return reply_json(200, json_pack("{s:s, s:s}", "version",
		    API_VERSION, "server", "reliabd-proxy"));
	}
	if (n == 1 && strcmp(seg[0], "reset") == 0) {
		if (!is(method, "POST"))
			return reply_error(405, "method not allowed");
		if (proxy_set_reset(set, &err) < 0)
			return reply_api_error(&err);
		return (struct reply){ 204, NULL };
	}
	if (n == 1 && strcmp(seg[0], "populate") == 0) {
		if (!is(method, "POST"))
			return reply_error(405, "method not allowed");
		return h_populate(set, body, len);
	}
	if (n == 0 || strcmp(seg[0], "proxies") != 0 ||
	    (n >= 3 && strcmp(seg[2], "toxics") != 0))
		return reply_error(404, "not found");
	if (n == 1) {
		struct proxy_spec spec;

		if (is(method, "GET"))
			return reply_json(200, proxy_set_json(set));
		if (!is(method, "POST"))
			return reply_error(405, "method not allowed");
		if (api_parse_proxy_create(body, len, &spec, &err) < 0)
			return reply_api_error(&err);
		px = proxy_create(set, &spec, &err);
		if (px == NULL)
			return reply_api_error(&err);
		return reply_json(201, proxy_to_json(px));
	}
	px = proxy_find(set, seg[1]);
	if (px == NULL)
		return reply_error(404, "proxy not found");
	if (n == 2)
		return h_proxy(set, method, px, body, len);
	if (n == 3)
		return h_toxics(px, method, body, len);
	return h_toxic(px, method, seg[3], body, len);
}

int
api_handle(struct proxy_set *set, const char *method, const char *url,
    const char *body, size_t len, char **resp, size_t *resp_len)
{
	struct reply r = route(set, method, url, body ? body : "", len);

	*resp = NULL;
	*resp_len = 0;
	if (r.status >= 400)
		log_debug("%s %s: %d", method, url, r.status);
	if (r.body != NULL) {
		char *s = json_dumps(r.body, JSON_COMPACT);

		json_decref(r.body);
		if (s == NULL) {
			log_error("no memory for a reply");
			return 500;
		}
		*resp_len = strlen(s);
		*resp = s;
	} else if (r.status != 204) {
		log_error("no memory for a reply");
		return 500;
	}
	return r.status;
}
