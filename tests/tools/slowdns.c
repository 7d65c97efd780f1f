/* LD_PRELOAD shim for tests: getaddrinfo() of the host named in
 * $SLOWDNS_HOST sleeps $SLOWDNS_MS milliseconds (default 3000), then
 * fails as an unknown name; every other lookup goes to the C library.
 * Stands in for a slow resolver, which a test cannot otherwise arrange. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* RTLD_NEXT */
#endif
#include <dlfcn.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef int gai_fn(const char *, const char *, const struct addrinfo *,
    struct addrinfo **);

int
getaddrinfo(const char *node, const char *service,
    const struct addrinfo *hints, struct addrinfo **res)
{
	const char *slow = getenv("SLOWDNS_HOST");
	gai_fn *real;

	if (slow != NULL && node != NULL && strcmp(node, slow) == 0 &&
	    !(hints != NULL && (hints->ai_flags & AI_NUMERICHOST))) {
		const char *ms = getenv("SLOWDNS_MS");
		long v = ms ? atol(ms) : 3000;
		struct timespec ts = { v / 1000, (v % 1000) * 1000000L };

		while (nanosleep(&ts, &ts) != 0)
			;
		return EAI_NONAME;
	}
	real = (gai_fn *)dlsym(RTLD_NEXT, "getaddrinfo");
	return real ? real(node, service, hints, res) : EAI_SYSTEM;
}
