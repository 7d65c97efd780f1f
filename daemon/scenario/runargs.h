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

#include "spec.h"

/* Names in one request ("all" is one name). */
#define RUN_NAMES_MAX 256
/* A name's length, its NUL included: a scenario's name. */
#define RUN_NAME_MAX SPEC_NAME_MAX
#define RUN_LOOP_MAX 1000000
/* A phase override: 1 ms up to a day, as in a scenario file. */
#define RUN_PHASE_MAX_MS SPEC_PHASE_MAX_MS

struct run_args {
	char names[RUN_NAMES_MAX][RUN_NAME_MAX]; /* or one "all" */
	size_t nnames;
	unsigned loop;     /* 1..RUN_LOOP_MAX */
	int forever;
	/* 0: as the scenario file says */
	uint64_t stabilization_ms, testing_ms, recovery_ms;
};

/* Empty: no names, loop 1. */
void run_args_init(struct run_args *a);
/* "a,b,c" or "all" (--run, --playlist). 0, or -1. */
int run_args_parse_names(struct run_args *a, const char *list);
/* A phase override ("250ms", "30s"): 0 and *ms, or -1. */
int run_args_parse_duration(const char *text, uint64_t *ms);
/* The start-scenario request's args (an object): names, loop, forever,
 * stabilization, testing, recovery, and wait (reliabctl's, ignored). 0,
 * or -1 with a message naming the argument. */
int run_args_decode(struct run_args *a, const json_t *args, char *msg,
    size_t msglen);

#endif
