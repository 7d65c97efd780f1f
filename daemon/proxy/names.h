/* Host names in an API request, resolved on a resolver thread (api.c)
 * before the request runs, so that neither a proxy's loop thread, which
 * carries its proxied bytes, nor the API's thread, which runs one request
 * at a time, waits on a resolver: they resolve numeric addresses
 * themselves and look names up here. */
#ifndef RELIABD_PROXY_NAMES_H
#define RELIABD_PROXY_NAMES_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#include "addr.h"

struct names;

/* HTTP thread: resolves every non-numeric "listen" and "upstream" of a
 * request body (an object, or an array of objects for /populate); a name
 * that does not resolve is remembered with its error. Never NULL unless
 * memory ran out; a body that is not JSON gives an empty table (the loop
 * rejects it). May block on the resolver. */
struct names *names_collect(const char *body, size_t len);
/* The same with another resolver (the fuzz target's never blocks). */
typedef int names_resolver(const struct hostport *hp,
    struct sockaddr_storage *ss, socklen_t *len, char *err, size_t errlen);
struct names *names_collect_with(const char *body, size_t len,
    names_resolver *resolve);
void names_free(struct names *n);
/* Whether names_collect would ask the resolver anything for this body
 * (a name, not only numeric addresses). Never blocks. */
bool names_needed(const char *body, size_t len);

/* A proxy's loop or the API's thread: `hp` as a TCP address, never
 * blocking. Numeric addresses
 * are converted here; a name must be in `n`. With n == NULL (start-up,
 * before the loop runs) a name goes to the resolver. 0, or -1 with a
 * message in err. */
int names_resolve(const struct names *n, const struct hostport *hp,
    struct sockaddr_storage *ss, socklen_t *len, char *err, size_t errlen);

#endif
