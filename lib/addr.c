/* "host:port" and "[v6]:port" addresses. */
#include "addr.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <stdbool.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "util.h"

static int
addr_fail(char *err, size_t errlen, const char *s, const char *what)
{
	if (err != NULL && errlen > 0)
		snprintf(err, errlen, "\"%.80s\": %s", s, what);
	return -1;
}

/* A host name or IPv4 address: letters, digits, '.', '-', '_'. */
static int
host_char_ok(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_';
}

/* Inside brackets: an IPv6 address, maybe with a %zone. */
static int
host6_char_ok(char c)
{
	return host_char_ok(c) || c == ':' || c == '%';
}

int
hostport_parse(const char *s, struct hostport *out, char *err, size_t errlen)
{
	const char *host, *hend, *colon;
	uint64_t port;
	size_t hlen;

	if (s == NULL || *s == '\0')
		return addr_fail(err, errlen, "", "empty address");
	if (s[0] == '[') {
		host = s + 1;
		hend = strchr(host, ']');
		if (hend == NULL)
			return addr_fail(err, errlen, s, "missing ']'");
		if (hend[1] != ':')
			return addr_fail(err, errlen, s,
			    "expected [ADDRESS]:PORT");
		colon = hend + 1;
		for (const char *p = host; p < hend; p++)
			if (!host6_char_ok(*p))
				return addr_fail(err, errlen, s,
				    "bad character in IPv6 address");
	} else {
		colon = strrchr(s, ':');
		if (colon == NULL)
			return addr_fail(err, errlen, s,
			    "expected HOST:PORT");
		host = s;
		hend = colon;
		for (const char *p = host; p < hend; p++) {
			if (*p == ':')
				return addr_fail(err, errlen, s,
				    "an IPv6 address needs brackets: [ADDRESS]:PORT");
			if (!host_char_ok(*p))
				return addr_fail(err, errlen, s,
				    "bad character in host");
		}
	}
	hlen = (size_t)(hend - host);
	if (hlen == 0)
		return addr_fail(err, errlen, s, "empty host");
	if (hlen >= ADDR_HOST_MAX)
		return addr_fail(err, errlen, s, "host too long");
	if (colon[1] == '\0')
		return addr_fail(err, errlen, s, "missing port");
	if (strlen(colon + 1) > 5 || parse_u64(colon + 1, 0, 65535, &port) < 0)
		return addr_fail(err, errlen, s, "port must be 0..65535");
	memcpy(out->host, host, hlen);
	out->host[hlen] = '\0';
	out->port = (unsigned)port;
	return 0;
}

/* getaddrinfo's first TCP address for hp with `flags`: 0, or a gai
 * error; *too_big when that address does not fit a sockaddr_storage. */
static int
lookup(const struct hostport *hp, int flags, struct sockaddr_storage *ss,
    socklen_t *len, bool *too_big)
{
	struct addrinfo hints, *res = NULL;
	char port[8];
	int rc;

	*too_big = false;
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = flags | AI_NUMERICSERV;
	snprintf(port, sizeof(port), "%u", hp->port);
	rc = getaddrinfo(hp->host, port, &hints, &res);
	if (rc != 0)
		return rc;
	if (res == NULL || res->ai_addrlen > sizeof(*ss)) {
		if (res != NULL)
			freeaddrinfo(res);
		*too_big = true;
		return EAI_FAIL;
	}
	memset(ss, 0, sizeof(*ss));
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	*len = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

int
hostport_numeric(const struct hostport *hp, struct sockaddr_storage *ss,
    socklen_t *len)
{
	bool too_big;

	return lookup(hp, AI_NUMERICHOST, ss, len, &too_big) == 0 ? 0 : -1;
}

int
hostport_resolve(const struct hostport *hp, struct sockaddr_storage *ss,
    socklen_t *len, char *err, size_t errlen)
{
	/* Numeric first: no resolver round trip for the common case. */
	bool too_big;
	int rc = lookup(hp, AI_NUMERICHOST, ss, len, &too_big);

	if (rc == EAI_NONAME)
		rc = lookup(hp, AI_ADDRCONFIG, ss, len, &too_big);
	if (rc != 0) {
		if (err != NULL && errlen > 0)
			snprintf(err, errlen, "%s: %s", hp->host,
			    too_big ? "no usable address" : gai_strerror(rc));
		return -1;
	}
	return 0;
}

int
hostport_format(const char *host, unsigned port, char *out, size_t size)
{
	return snprintf(out, size, strchr(host, ':') ? "[%s]:%u" : "%s:%u",
	    host, port);
}
