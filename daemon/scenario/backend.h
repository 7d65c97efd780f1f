/* The real fault backend (faults.h): toxics and disabled proxies through
 * the Toxiproxy API (toxiproxy.h), node restarts asked of reliabd on the
 * channel. */
#ifndef RELIABD_SCENARIO_BACKEND_H
#define RELIABD_SCENARIO_BACKEND_H

#include <jansson.h>
#include <stddef.h>

#include "faults.h"
#include "toxiproxy.h"

struct proxy_backend {
	struct toxi toxi;
	/* Sends a request to reliabd; NULL or -1: it cannot (by hand). */
	long long (*request)(const char *cmd, json_t *args, void *arg);
	void *request_arg;
};

/* `api` is the proxy API's host:port. 0, or -1 with err. */
int proxy_backend_init(struct proxy_backend *pb, const char *api,
    long long (*request)(const char *, json_t *, void *), void *arg,
    char *err, size_t errlen);
void proxy_backend_free(struct proxy_backend *pb);
/* The fault backend on `pb`. */
struct fault_backend proxy_backend_ops(struct proxy_backend *pb);
/* Which proxy answers: builtin (reliabd-proxy) or not, and its version.
 * 0, or -1 with err. */
int proxy_backend_probe(struct proxy_backend *pb, int *builtin,
    char *version, size_t vlen, char *err, size_t errlen);

#endif
