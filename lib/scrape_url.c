/* A /metrics endpoint's address. See scrape_url.h. */
#include "scrape_url.h"

#include <stdio.h>
#include <string.h>

#include "util.h"

#define HTTP_PREFIX "http://"

/* A path's characters: RFC 3986's unreserved, '/' and '%'. Enough for
 * any exporter's path, and nothing a URL, a log line or a Prometheus
 * label would have to quote. */
static int
path_ok(const char *p)
{
	if (*p != '/')
		return 0;
	for (; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || strchr("/-._~%", *p)))
			return 0;
	return 1;
}

int
scrape_url_parse(const char *s, struct scrape_url *out, char *err,
    size_t errlen)
{
	char hostport[SCRAPE_URL_MAX];
	const char *rest, *slash;
	size_t len = strnlen(s, SCRAPE_URL_MAX);

	if (len == SCRAPE_URL_MAX) {
		snprintf(err, errlen, "longer than %d bytes",
		    SCRAPE_URL_MAX - 1);
		return -1;
	}
	if (strncmp(s, HTTP_PREFIX, strlen(HTTP_PREFIX)) != 0) {
		if (strstr(s, "://") != NULL) {
			snprintf(err, errlen, "only http:// URLs are scraped");
			return -1;
		}
		if (hostport_parse(s, &out->hp, err, errlen) != 0)
			return -1;
		strlcpy_r(out->path, "/metrics", sizeof out->path);
		return 0;
	}
	rest = s + strlen(HTTP_PREFIX);
	slash = strchr(rest, '/');
	if (slash == NULL) {
		snprintf(err, errlen, "a URL is http://HOST:PORT/PATH");
		return -1;
	}
	memcpy(hostport, rest, (size_t)(slash - rest));
	hostport[slash - rest] = '\0';
	if (hostport_parse(hostport, &out->hp, err, errlen) != 0)
		return -1;
	if (out->hp.port == 0) {
		snprintf(err, errlen, "a URL needs a port other than 0");
		return -1;
	}
	if (strlen(slash) >= sizeof out->path || !path_ok(slash)) {
		snprintf(err, errlen, "the path: at most %d characters of "
		    "letters, digits and /-._~%%", SCRAPE_PATH_MAX - 1);
		return -1;
	}
	strlcpy_r(out->path, slash, sizeof out->path);
	return 0;
}

int
scrape_url_format(const struct scrape_url *u, char *out, size_t size)
{
	char hp[ADDR_HOST_MAX + 16];

	hostport_format(u->hp.host, u->hp.port, hp, sizeof hp);
	return snprintf(out, size, HTTP_PREFIX "%s%s", hp, u->path);
}
