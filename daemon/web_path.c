/* A request path of reliabd's pages parsed (outside input: bounded, and
 * a run id is checked before it comes near a file name). */
#include <string.h>

#include "report/series.h"
#include "web.h"

const char *
web_route_text(enum web_route r)
{
	switch (r) {
	case WEB_INDEX:
		return "index";
	case WEB_RUN:
		return "run";
	case WEB_NOT_FOUND:
		return "not-found";
	case WEB_BAD:
		return "bad";
	}
	return "unknown";
}

enum web_route
web_path(const char *url, char *id, size_t idlen)
{
	static const char *const prefixes[] = { "/run/", "/runs/" };
	size_t n;

	if (url == NULL)
		return WEB_NOT_FOUND;
	if (strcmp(url, "/") == 0 || strcmp(url, "/index.html") == 0)
		return WEB_INDEX;
	for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
		n = strlen(prefixes[i]);
		if (strncmp(url, prefixes[i], n) != 0)
			continue;
		url += n;
		/* The id checked whole, its length first: never copied
		 * unchecked. */
		if (strnlen(url, SERIES_RUN_ID_MAX + 1) > SERIES_RUN_ID_MAX ||
		    strlen(url) >= idlen || !series_run_id_ok(url))
			return WEB_BAD;
		memcpy(id, url, strlen(url) + 1);
		return WEB_RUN;
	}
	return WEB_NOT_FOUND;
}
