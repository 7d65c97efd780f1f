/* The real fault backend (faults.h): toxics and disabled proxies through
 * the Toxiproxy APIs (toxiproxy.h), node restarts asked of reliabd on the
 * channel.
 *
 * A lab's servers may sit behind several APIs (`[server] api`, hosts of
 * their own): each fault goes to its server's API, and its ledger entry
 * says which (api_of), so an undo reaches the API the fault went to
 * whatever the config says by then. Proxies the config declares for an
 * API reliabd's own proxy does not serve (mode = external, or a server's
 * own API) are created here when missing (GET /proxies, POST /populate):
 * at start, at each run, and when a fault finds its proxy missing (404),
 * then the fault is tried once more. */
#ifndef RELIABD_SCENARIO_BACKEND_H
#define RELIABD_SCENARIO_BACKEND_H

#include <jansson.h>
#include <stddef.h>

#include "faults.h"
#include "ledger.h"
#include "spec.h"
#include "toxiproxy.h"

/* The configured APIs and those only a ledger names. */
#define BACKEND_APIS_MAX 32

/* A [server] as the scenario worker sees it. */
struct backend_server {
	char name[SPEC_NAME_MAX];
	char api[LEDGER_API_MAX];       /* "": the default API */
	char listen[LEDGER_API_MAX];    /* "": not created by this worker */
	char upstream[LEDGER_API_MAX];
};

/* The lab's servers (from --server and --server-api). */
struct backend_lab {
	struct backend_server servers[SPEC_MAX_SERVERS];
	size_t n;
	/* [proxy] mode = external: no reliabd-proxy serves the default API,
	 * so its proxies are created here too. */
	int external;
};

struct backend_api {
	char api[LEDGER_API_MAX];
	struct toxi toxi;
};

struct proxy_backend {
	struct backend_api apis[BACKEND_APIS_MAX];  /* [0]: the default */
	size_t napis;
	size_t nconfigured;     /* apis[0..nconfigured): the config's */
	struct backend_lab lab;
	/* Sends a request to reliabd; NULL or -1: it cannot (by hand). */
	long long (*request)(const char *cmd, json_t *args, void *arg);
	void *request_arg;
};

/* `api` is the default proxy API's host:port; `lab` (may be NULL: every
 * server on `api`, none created) is copied. 0, or -1 with err. */
int proxy_backend_init(struct proxy_backend *pb, const char *api,
    const struct backend_lab *lab,
    long long (*request)(const char *, json_t *, void *), void *arg,
    char *err, size_t errlen);
void proxy_backend_free(struct proxy_backend *pb);
/* The fault backend on `pb`. */
struct fault_backend proxy_backend_ops(struct proxy_backend *pb);
/* Which proxy answers: builtin (reliabd-proxy on every configured API
 * that answers) or not, and the default API's version. The proxies to
 * create are created first. 0, or -1 with err (the default API). */
int proxy_backend_probe(struct proxy_backend *pb, int *builtin,
    char *version, size_t vlen, char *err, size_t errlen);
/* Creates the proxies the lab declares on the APIs where this worker
 * creates them, those missing; leaves every other proxy alone. 0, or -1 when an API
 * refused or did not answer (logged). */
int proxy_backend_populate(struct proxy_backend *pb);

/* Parses "NAME" or "NAME=LISTEN,UPSTREAM" (--server) into the lab. 0, or
 * -1 with err. */
int backend_lab_add_server(struct backend_lab *lab, const char *arg,
    char *err, size_t errlen);
/* Parses "NAME=HOST:PORT" (--server-api) for a server added before or
 * after. 0, or -1 with err. */
int backend_lab_set_api(struct backend_lab *lab, const char *arg, char *err,
    size_t errlen);

#endif
