/* "host:port" and "[v6]:port" addresses. */
#ifndef RELIABD_ADDR_H
#define RELIABD_ADDR_H

#include <stddef.h>
#include <sys/socket.h>

#define ADDR_HOST_MAX 256

struct hostport {
	char host[ADDR_HOST_MAX];
	unsigned port; /* 0..65535 */
};

/* Splits and validates; no name lookup. 0 or -1 with a message. */
int hostport_parse(const char *s, struct hostport *out, char *err,
    size_t errlen);
/* A numeric host only, so it never blocks: 0, or -1 for a name (or a
 * bad address). */
int hostport_numeric(const struct hostport *hp, struct sockaddr_storage *ss,
    socklen_t *len);
/* Resolves (numeric first, then the resolver) to a TCP address. May block
 * on the resolver: not for an event loop's thread. */
int hostport_resolve(const struct hostport *hp, struct sockaddr_storage *ss,
    socklen_t *len, char *err, size_t errlen);
/* The one "host:port" writer: "[v6]:port" when host holds a ':'. Returns
 * what snprintf returns; out is always terminated. */
int hostport_format(const char *host, unsigned port, char *out, size_t size);

#endif
