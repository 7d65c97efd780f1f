/* Toxiproxy HTTP API client. */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "addr.h"
#include "log.h"
#include "http.h"
#include "toxiproxy.h"
#include "toxireply.h"
#include "util.h"

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "0"
#endif
#define USER_AGENT "reliabd-scenario/" PACKAGE_VERSION

const char *
toxi_result_text(enum toxi_result r)
{
	switch (r) {
	case TOXI_OK:
		return "ok";
	case TOXI_UNREACHABLE:
		return "unreachable";
	case TOXI_ERROR:
		return "error";
	}
	return "unknown";
}

int
toxi_init(struct toxi *t, const char *api, char *err, size_t errlen)
{
	struct hostport hp;
	char herr[128];

	memset(t, 0, sizeof *t);
	if (hostport_parse(api, &hp, herr, sizeof herr) != 0) {
		snprintf(err, errlen, "%s: %s", api, herr);
		return -1;
	}
	strlcpy_r(t->base, "http://", sizeof t->base);
	hostport_format(hp.host, hp.port, t->base + 7, sizeof t->base - 7);
	t->curl = curl_easy_init();
	if (!t->curl) {
		snprintf(err, errlen, "curl_easy_init failed");
		return -1;
	}
	return 0;
}

void
toxi_free(struct toxi *t)
{
	if (t->curl)
		curl_easy_cleanup(t->curl);
	t->curl = NULL;
}

/* One request. Returns the result; *status gets the HTTP code. */
static enum toxi_result
request(struct toxi *t, const char *method, const char *path,
    const char *json, long *status, struct http_body *b, char *err, size_t errlen)
{
	CURL *c = t->curl;
	struct curl_slist *hdrs = NULL;
	char url[600];
	CURLcode rc;

	*status = 0;
	t->last_status = 0;
	http_body_reset(b);
	snprintf(url, sizeof url, "%s%s", t->base, path);
	if (t->quiet_ms && now_mono_ms() < t->quiet_until) {
		snprintf(err, errlen, "%s %s: not tried: the proxy API timed "
		    "out; next try in %llu ms", method, url,
		    (unsigned long long)(t->quiet_until - now_mono_ms()));
		return TOXI_ERROR;
	}
	curl_easy_reset(c);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_USERAGENT, USER_AGENT);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
	    (long)TOXI_CONNECT_TIMEOUT_MS);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)TOXI_TIMEOUT_MS);
	curl_easy_setopt(c, CURLOPT_OPENSOCKETFUNCTION, http_open_socket);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, http_body_write);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, b);
#if LIBCURL_VERSION_NUM >= 0x075500
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http");
#else
	curl_easy_setopt(c, CURLOPT_PROTOCOLS, (long)CURLPROTO_HTTP);
#endif
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	if (json) {
		hdrs = curl_slist_append(hdrs,
		    "Content-Type: application/json");
		if (!hdrs) {
			snprintf(err, errlen, "out of memory");
			return TOXI_ERROR;
		}
		curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, json);
	}
	rc = curl_easy_perform(c);
	curl_slist_free_all(hdrs);
	if (rc == CURLE_OPERATION_TIMEDOUT) {
		t->quiet_ms = t->quiet_ms ? t->quiet_ms * 2 : TOXI_QUIET_MS;
		if (t->quiet_ms > TOXI_QUIET_MAX_MS)
			t->quiet_ms = TOXI_QUIET_MAX_MS;
		t->quiet_until = now_mono_ms() + t->quiet_ms;
		log_warn("proxy API %s timed out: calls fail at once for %llu "
		    "ms", t->base, (unsigned long long)t->quiet_ms);
	} else
		t->quiet_ms = 0;
	if (rc != CURLE_OK) {
		snprintf(err, errlen, "%s %s: %s", method, url,
		    b->overflow ? "reply too large" : curl_easy_strerror(rc));
		return rc == CURLE_COULDNT_CONNECT ? TOXI_UNREACHABLE :
		    TOXI_ERROR;
	}
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
	t->last_status = *status;
	return TOXI_OK;
}

static enum toxi_result
call(struct toxi *t, const char *method, const char *path, const char *json,
    long *status, char *err, size_t errlen)
{
	struct http_body b;
	enum toxi_result r;

	if (http_body_init(&b, TOXI_BODY_MAX) != 0) {
		snprintf(err, errlen, "out of memory");
		return TOXI_ERROR;
	}
	r = request(t, method, path, json, status, &b, err, errlen);
	if (r == TOXI_OK && *status >= 300) {
		char m[TOXI_ERROR_QUOTE_MAX + 1];

		toxi_parse_error(b.p, b.n, m, sizeof m);
		snprintf(err, errlen, "%s %s%s: HTTP %ld: %s", method,
		    t->base, path, *status, m);
	}
	http_body_free(&b);
	return r;
}

/* GET `path`, its body in *b (freed by the caller whatever the result);
 * a reply other than 200 is an error. */
static enum toxi_result
get_200(struct toxi *t, const char *path, struct http_body *b, char *err,
    size_t errlen)
{
	enum toxi_result r;
	long status;

	if (http_body_init(b, TOXI_BODY_MAX) != 0) {
		snprintf(err, errlen, "out of memory");
		return TOXI_ERROR;
	}
	r = request(t, "GET", path, NULL, &status, b, err, errlen);
	if (r == TOXI_OK && status != 200) {
		snprintf(err, errlen, "GET %s%s: HTTP %ld", t->base, path,
		    status);
		r = TOXI_ERROR;
	}
	return r;
}

enum toxi_result
toxi_probe(struct toxi *t, char *err, size_t errlen)
{
	struct http_body b;
	enum toxi_result r = get_200(t, "/version", &b, err, errlen);

	if (r == TOXI_OK) {
		t->builtin = toxi_parse_version(b.p, b.n, t->version,
		    sizeof t->version);
		t->version_known = 1;
	}
	http_body_free(&b);
	return r;
}

enum toxi_result
toxi_add_toxic(struct toxi *t, const char *proxy, const char *name,
    const char *type, const char *stream, double toxicity,
    json_t *attributes, char *err, size_t errlen)
{
	char path[256];
	json_t *o;
	char *text;
	long status;
	enum toxi_result r;

	o = json_pack("{s:s,s:s,s:s,s:f,s:O}", "name", name, "type", type,
	    "stream", stream, "toxicity", toxicity, "attributes", attributes);
	text = o ? json_dumps(o, JSON_COMPACT) : NULL;
	json_decref(o);
	if (!text) {
		snprintf(err, errlen, "out of memory");
		return TOXI_ERROR;
	}
	snprintf(path, sizeof path, "/proxies/%s/toxics", proxy);
	r = call(t, "POST", path, text, &status, err, errlen);
	if (r == TOXI_OK && status == 409) {
		/* Left over from an earlier run: replace it. */
		char tpath[400];
		long st2;
		snprintf(tpath, sizeof tpath, "/proxies/%s/toxics/%s", proxy,
		    name);
		r = call(t, "DELETE", tpath, NULL, &st2, err, errlen);
		if (r == TOXI_OK)
			r = call(t, "POST", path, text, &status, err, errlen);
	}
	free(text);
	if (r == TOXI_OK && status != 200 && status != 201)
		r = TOXI_ERROR;
	return r;
}

enum toxi_result
toxi_remove_toxic(struct toxi *t, const char *proxy, const char *name,
    char *err, size_t errlen)
{
	char path[400];
	long status;
	enum toxi_result r;

	snprintf(path, sizeof path, "/proxies/%s/toxics/%s", proxy, name);
	r = call(t, "DELETE", path, NULL, &status, err, errlen);
	if (r == TOXI_OK && status != 200 && status != 204 && status != 404)
		r = TOXI_ERROR;
	return r;
}

enum toxi_result
toxi_set_enabled(struct toxi *t, const char *proxy, int enabled, char *err,
    size_t errlen)
{
	char path[256];
	long status;
	enum toxi_result r;

	snprintf(path, sizeof path, "/proxies/%s", proxy);
	r = call(t, "POST", path, enabled ? "{\"enabled\":true}" :
	    "{\"enabled\":false}", &status, err, errlen);
	/* A proxy that no longer exists is not degrading anything. */
	if (r == TOXI_OK && enabled && status == 404)
		return TOXI_OK;
	if (r == TOXI_OK && status != 200 && status != 201)
		r = TOXI_ERROR;
	return r;
}

enum toxi_result
toxi_reset(struct toxi *t, char *err, size_t errlen)
{
	long status;
	enum toxi_result r;

	r = call(t, "POST", "/reset", NULL, &status, err, errlen);
	if (r == TOXI_OK && status != 200 && status != 204)
		r = TOXI_ERROR;
	return r;
}

enum toxi_result
toxi_populate(struct toxi *t, json_t *proxies, char *err, size_t errlen)
{
	char *text = json_dumps(proxies, JSON_COMPACT);
	long status;
	enum toxi_result r;

	if (!text) {
		snprintf(err, errlen, "out of memory");
		return TOXI_ERROR;
	}
	r = call(t, "POST", "/populate", text, &status, err, errlen);
	free(text);
	if (r == TOXI_OK && status != 200 && status != 201)
		r = TOXI_ERROR;
	return r;
}

enum toxi_result
toxi_has_proxies(struct toxi *t, const char *const *names, size_t n,
    int *present, char *err, size_t errlen)
{
	struct http_body b;
	enum toxi_result r = get_200(t, "/proxies", &b, err, errlen);

	if (r == TOXI_OK && toxi_parse_proxy_set(b.p, b.n, names, n,
	    present) != 0) {
		snprintf(err, errlen, "GET %s/proxies: not a JSON object",
		    t->base);
		r = TOXI_ERROR;
	}
	http_body_free(&b);
	return r;
}
