/* One bounded HTTP GET for the commands that fetch a page (report,
 * check-client): bounded in time and size, http:// only, no proxy,
 * close-on-exec sockets.
 *
 * libcurl is loaded (dlopen) when a command fetches, not linked: scripts
 * run reliabctl in polling loops, and loading libcurl's thirty libraries
 * was 25 ms of CPU in every start, four fifths of it. */
#include <curl/curl.h>
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "reliabctl.h"

/* The libcurl functions fetch_get calls, resolved at run time. */
struct curl_api {
	CURLcode (*global_init)(long);
	void (*global_cleanup)(void);
	CURL *(*easy_init)(void);
	CURLcode (*easy_setopt)(CURL *, CURLoption, ...);
	CURLcode (*easy_perform)(CURL *);
	CURLcode (*easy_getinfo)(CURL *, CURLINFO, ...);
	const char *(*easy_strerror)(CURLcode);
	void (*easy_cleanup)(CURL *);
};

/* dlsym's object pointer into a function pointer (POSIX guarantees the
 * two have one representation); -1 if the symbol is missing. */
static int
curl_sym(void *h, const char *name, void *fn, size_t size)
{
	void *p = dlsym(h, name);

	if (p == NULL || size != sizeof(p))
		return -1;
	memcpy(fn, &p, size);
	return 0;
}

#define CURL_SYM(h, api, f) \
	curl_sym((h), "curl_" #f, &(api)->f, sizeof((api)->f))

/* Loads libcurl (soname libcurl.so.4 since curl 7.16, 2006); never
 * unloaded: its TLS libraries may hold exit handlers. */
static int
curl_api_load(const char *who, struct curl_api *api)
{
	void *h = dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);

	if (h == NULL) {
		fprintf(stderr, "reliabctl: %s: cannot load libcurl: %s\n",
		    who, dlerror());
		return -1;
	}
	if (CURL_SYM(h, api, global_init) < 0 ||
	    CURL_SYM(h, api, global_cleanup) < 0 ||
	    CURL_SYM(h, api, easy_init) < 0 ||
	    CURL_SYM(h, api, easy_setopt) < 0 ||
	    CURL_SYM(h, api, easy_perform) < 0 ||
	    CURL_SYM(h, api, easy_getinfo) < 0 ||
	    CURL_SYM(h, api, easy_strerror) < 0 ||
	    CURL_SYM(h, api, easy_cleanup) < 0) {
		fprintf(stderr, "reliabctl: %s: libcurl.so.4 lacks a "
				"function it should have\n",
		    who);
		return -1;
	}
	return 0;
}

static size_t
body_write(char *ptr, size_t size, size_t n, void *arg)
{
	struct fetch_body *b = arg;
	size_t add = size * n, cap;
	char *p;

	if (add > b->max - b->len) {
		b->too_big = 1;
		return 0; /* aborts the transfer */
	}
	if (b->len + add + 1 > b->cap) {
		/* Doubling: a 64 MiB page arrives in 16 KiB pieces. */
		cap = b->cap ? b->cap : 64 * 1024;
		while (cap < b->len + add + 1)
			cap *= 2;
		if (cap > b->max + 1)
			cap = b->max + 1;
		p = realloc(b->data, cap);
		if (p == NULL) {
			b->no_memory = 1;
			return 0;
		}
		b->data = p;
		b->cap = cap;
	}
	memcpy(b->data + b->len, ptr, add);
	b->len += add;
	b->data[b->len] = '\0';
	return add;
}

/* CURLOPT_OPENSOCKETFUNCTION: libcurl opens its sockets without
 * SOCK_CLOEXEC. */
static curl_socket_t
open_socket(void *arg, curlsocktype purpose, struct curl_sockaddr *a)
{
	(void)arg;
	(void)purpose;
	return socket(a->family, a->socktype | SOCK_CLOEXEC, a->protocol);
}

long
fetch_get(const char *who, const char *url, size_t max, long timeout_s,
    struct fetch_body *b)
{
	char errbuf[CURL_ERROR_SIZE] = "";
	struct curl_api api;
	long status = -1;
	CURLcode rc;
	CURL *c;

	memset(b, 0, sizeof(*b));
	b->max = max;
	if (curl_api_load(who, &api) < 0)
		return -1;
	if (api.global_init(CURL_GLOBAL_DEFAULT) != 0 ||
	    (c = api.easy_init()) == NULL) {
		fprintf(stderr, "reliabctl: %s: cannot start libcurl\n", who);
		return -1;
	}
	api.easy_setopt(c, CURLOPT_URL, url);
#if LIBCURL_VERSION_NUM >= 0x075500
	api.easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http");
#else
	api.easy_setopt(c, CURLOPT_PROTOCOLS, (long)CURLPROTO_HTTP);
#endif
	api.easy_setopt(c, CURLOPT_USERAGENT, "reliabctl");
	api.easy_setopt(c, CURLOPT_NOPROXY, "*");
	api.easy_setopt(c, CURLOPT_TIMEOUT, timeout_s);
	api.easy_setopt(c, CURLOPT_CONNECTTIMEOUT,
	    timeout_s < 10 ? timeout_s : 10L);
	api.easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	api.easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	api.easy_setopt(c, CURLOPT_OPENSOCKETFUNCTION, open_socket);
	api.easy_setopt(c, CURLOPT_WRITEFUNCTION, body_write);
	api.easy_setopt(c, CURLOPT_WRITEDATA, b);
	rc = api.easy_perform(c);
	if (rc == CURLE_OK)
		api.easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	else if (b->too_big && max % (1024 * 1024) == 0)
		fprintf(stderr, "reliabctl: %s: %s: the body is over %zu "
				"MiB\n",
		    who, url, max / (1024 * 1024));
	else if (b->too_big)
		fprintf(stderr, "reliabctl: %s: %s: the body is over %zu "
				"bytes\n",
		    who, url, max);
	else
		fprintf(stderr, "reliabctl: %s: %s: %s\n", who, url,
		    b->no_memory ? "out of memory" :
		    errbuf[0] ? errbuf : api.easy_strerror(rc));
	api.easy_cleanup(c);
	api.global_cleanup();
	return status;
}

void
fetch_body_free(struct fetch_body *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}
