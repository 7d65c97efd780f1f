/* What the world sees of the runs: the scenario metrics (DESIGN.md's
 * table), the events on reliabd's channel (phase, fault, run, done), and
 * the journal (journal.h). The run state machine and fault application
 * tell it; it never changes them. */
#ifndef RELIABD_SCENARIO_PUBLISH_H
#define RELIABD_SCENARIO_PUBLISH_H

#include <jansson.h>
#include <stddef.h>

#include "faults.h"
#include "playlist.h"
#include "runner.h"
#include "verdict.h"

struct metrics_registry;
struct metric_family;
struct series_writer;

struct publisher {
	struct metrics_registry *reg;   /* NULL: no metrics (--cleanup) */
	struct metric_family *f_phase, *f_pdur, *f_pstart, *f_runs;
	struct metric_family *f_active, *f_config, *f_tto, *f_ttr;
	const char *state_dir;          /* the journal's */
	json_t *last_run;               /* the last record */
	const char *notice;             /* faults.notice; NULL: none */
	/* The current run's time series (series.h); NULL: none. */
	struct series_writer *series;
	/* The series directory's bytes as last counted, plus the series
	 * written since: it is listed again only past its cap. */
	unsigned long long series_bytes;
	int series_counted;
	const char *const *servers;     /* the lab's, for the series */
	size_t nservers;
};

/* Declares the metrics in `reg` (may be NULL). 0, or -1 with err. */
int publisher_init(struct publisher *p, struct metrics_registry *reg,
    const char *state_dir, char *err, size_t errlen);
void publisher_free(struct publisher *p);

/* Every known scenario shows in the metrics from the start. */
void publish_catalogue(struct publisher *p, const struct catalogue *cat);
void publish_phase(struct publisher *p, const struct run *r);
/* Something the lab's user must know (an unreadable ledger set aside):
 * kept, logged, and sent as an idle phase event, so reliabd's status
 * shows it; every later phase event carries it too. `notice` must
 * outlive the publisher. */
void publish_notice(struct publisher *p, const char *notice);
void publish_fault(struct publisher *p, const struct fault_set *s,
    const struct fault_unit *u, const char *action, const char *error);
void publish_run(struct publisher *p, const struct run *r,
    enum run_status st, const char *reason, const char *batch, double wall);
void publish_done(struct publisher *p, const struct playlist *pl,
    int aborted);
/* The lab's server names (must outlive the publisher), named in each
 * run's series. */
void publish_servers(struct publisher *p, const char *const *servers,
    size_t n);
/* Client number `client`'s scrapes during run `r` (NULL: none), to the
 * run's series. */
void publish_samples(struct publisher *p, const struct run *r,
    size_t client, const struct lg_sample *s, size_t n);

#endif
