/* The playlist: a job's scenarios resolved from the catalogue (names or
 * "all", checked against the configured servers and nodes), walked in
 * order, `loop` times or forever, with the job's counts. */
#ifndef RELIABD_SCENARIO_PLAYLIST_H
#define RELIABD_SCENARIO_PLAYLIST_H

#include <stddef.h>

#include "proto.h"
#include "runargs.h"
#include "spec.h"

/* What the lab has: scenarios naming anything else are refused. */
struct playlist_lab {
	const char *const *servers;  /* none: any server */
	size_t nservers;
	const char *const *nodes;
	size_t nnodes;
	int have_channel;            /* node restarts need reliabd */
};

struct playlist {
	struct run_args args;
	struct scenario_spec *specs;
	size_t n, idx;
	unsigned iteration;       /* 0-based pass over the list */
	unsigned seq;             /* runs started */
	char batch[48];           /* the job's id */
	unsigned runs, bad;       /* finished, not successful */
	int failed;
};

/* Resolves `a` against `cat` into `pl` (emptied first). 0, or -1 with
 * an error code and message; `pl` is then empty. */
int playlist_resolve(struct playlist *pl, const struct run_args *a,
    const struct catalogue *cat, const struct playlist_lab *lab,
    enum proto_err *code, char *msg, size_t msglen);
void playlist_free(struct playlist *pl);
/* The scenario to run now. */
const struct scenario_spec *playlist_current(const struct playlist *pl);
/* Moves to the next run: 1 if there is one, 0 when the job is done. */
int playlist_advance(struct playlist *pl);
/* Counts a finished run. */
void playlist_count(struct playlist *pl, int success);

#endif
