/* The Toxiproxy API's replies (see toxireply.h). */
#include "toxireply.h"

#include <jansson.h>
#include <string.h>

/* Printable characters of s[0..len) up to the first line end. */
static void
printable(const char *s, size_t len, char *out, size_t outlen)
{
	size_t n = 0;

	if (!outlen)
		return;
	for (size_t i = 0; i < len && n + 1 < outlen; i++) {
		char c = s[i];
		if (c == '\n' || c == '\r' || c == '\0')
			break;
		if (c >= 0x20 && c < 0x7f)
			out[n++] = c;
	}
	out[n] = '\0';
}

int
toxi_parse_version(const char *body, size_t len, char *version, size_t vlen)
{
	json_t *j;
	int builtin = 0;

	if (vlen)
		version[0] = '\0';
	j = json_loadb(body, len, JSON_DECODE_ANY, NULL);
	if (json_is_object(j)) {
		const char *v = json_string_value(json_object_get(j,
		    "version"));
		const char *s = json_string_value(json_object_get(j,
		    "server"));
		if (v)
			printable(v, strlen(v), version, vlen);
		/* The agreed marker is "server"; older builds of the built-in
		 * proxy only named themselves in the version string. */
		builtin = (s && strcmp(s, "reliabd-proxy") == 0) ||
		    (v && strstr(v, "reliabd") != NULL);
	} else if (json_is_string(j)) {
		printable(json_string_value(j), json_string_length(j),
		    version, vlen);
	} else {
		/* Plain text such as "2.9.0\n". */
		printable(body, len, version, vlen);
	}
	json_decref(j);
	return builtin;
}

void
toxi_parse_error(const char *body, size_t len, char *msg, size_t msglen)
{
	json_t *j = json_loadb(body, len, 0, NULL);
	const char *m = json_string_value(json_object_get(j, "error"));
	size_t cap = msglen < TOXI_ERROR_QUOTE_MAX + 1 ? msglen :
	    TOXI_ERROR_QUOTE_MAX + 1;

	if (m)
		printable(m, strlen(m), msg, cap);
	else
		printable(body, len, msg, cap);
	json_decref(j);
}

int
toxi_parse_proxy_set(const char *body, size_t len, const char *const *names,
    size_t n, int *present)
{
	json_t *j = json_loadb(body, len, 0, NULL);

	for (size_t i = 0; i < n; i++)
		present[i] = 0;
	if (!json_is_object(j)) {
		json_decref(j);
		return -1;
	}
	for (size_t i = 0; i < n; i++)
		present[i] = json_is_object(json_object_get(j, names[i]));
	json_decref(j);
	return 0;
}
