/* What a job is asked to run: the start-scenario request's arguments (and
 * the same from --run, --loop, --stabilization...). Their limits are
 * defined here and nowhere else: reliabd checks only the request's shape
 * and forwards it; the worker checks its meaning with run_args_decode().
 *
 * No libcurl or libevent here (libscenario_spec.a), so reliabd may link
 * it. */
#ifndef RELIABD_SCENARIO_RUNARGS_H
#define RELIABD_SCENARIO_RUNARGS_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "spec.h"

/* Names in one request ("all" is one name). */
#define RUN_NAMES_MAX 256
/* A name's length, its NUL included: a scenario's name. */
#define RUN_NAME_MAX SPEC_NAME_MAX
#define RUN_LOOP_MAX 1000000
/* A phase override: 1 ms up to a day, as in a scenario file. */
#define RUN_PHASE_MAX_MS SPEC_PHASE_MAX_MS
/* The clients sampled in a run: one a [loadgen] section. */
#define RUN_CLIENTS_MAX CONFIG_MAX_CLIENTS
/* A client's name (its NUL included) and metrics "host:port". */
#define RUN_CLIENT_NAME_MAX CONFIG_NAME_MAX
#define RUN_CLIENT_ADDR_MAX SCRAPE_URL_MAX

/* One client under test: its name and where its /metrics is now. */
struct run_client {
	char name[RUN_CLIENT_NAME_MAX];
	char addr[RUN_CLIENT_ADDR_MAX];
};

struct run_args {
	char names[RUN_NAMES_MAX][RUN_NAME_MAX]; /* or one "all" */
	size_t nnames;
	unsigned loop;     /* 1..RUN_LOOP_MAX */
	int forever;
	/* 0: as the scenario file says */
	uint64_t stabilization_ms, testing_ms, recovery_ms;
	/* The per-client verdicts are informative: the run's status says
	 * only whether it completed. */
	int compare;
	/* The clients' live metrics addresses, as reliabd knows them when
	 * it forwards the request (a port-0 client's real port); none when
	 * run by hand. */
	struct run_client clients[RUN_CLIENTS_MAX];
	size_t nclients;
};

/* Empty: no names, loop 1. */
void run_args_init(struct run_args *a);
/* "a,b,c" or "all" (--run, --playlist). 0, or -1. */
int run_args_parse_names(struct run_args *a, const char *list);
/* A phase override ("250ms", "30s"): 0 and *ms, or -1. */
int run_args_parse_duration(const char *text, uint64_t *ms);
/* "NAME=HOST:PORT" (--client) appended to list[*n] (RUN_CLIENTS_MAX
 * entries), a name once only: 0, or -1 with a message. */
int run_client_add(struct run_client *list, size_t *n, const char *text,
    char *msg, size_t msglen);
/* {"NAME": "HOST:PORT", ...} (null or absent: none) appended to list[*n]
 * (RUN_CLIENTS_MAX entries, *n 0 before): 0, or -1 with a message. */
int run_clients_decode(struct run_client *list, size_t *n, const json_t *v,
    char *msg, size_t msglen);
/* The start-scenario request's args (an object): names, loop, forever,
 * stabilization, testing, recovery, compare, clients (reliabd's:
 * {"NAME": "HOST:PORT"}), and wait (reliabctl's, ignored). 0,
 * or -1 with a message naming the argument. */
int run_args_decode(struct run_args *a, const json_t *args, char *msg,
    size_t msglen);

#endif
