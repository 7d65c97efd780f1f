/* A run's time series, written as the run goes: $state_dir/series/<run
 * id>.jsonl, one JSON object a line (meta, sample, phase, fault, end; the
 * format is the contract report/series.h reads). Each line goes in one
 * write() on an O_APPEND fd, so a reader (a live report) sees whole
 * lines; the file is synced when the run ends.
 *
 * Samples are the sampler's scrapes reduced to rates (counter deltas
 * since the last sample written), p50/p99 per server (histogram delta
 * over the last second) and gauges; each client's on lines of its own
 * ("client" names it). Bounded: every sample for the first 2 minutes,
 * one a second until 10 minutes, then one every 5 s, and nothing past
 * SERIES_WRITER_CAP bytes but the end line, whatever the number of
 * clients (docs/METRICS.md, "Run series"). */
#ifndef RELIABD_SCENARIO_SERIES_H
#define RELIABD_SCENARIO_SERIES_H

#include <stddef.h>

#include "promtext.h"

/* The file's bound: samples stop SERIES_WRITER_RESERVE short of it, so
 * phases, faults and the end line still fit. */
#define SERIES_WRITER_CAP (4 * 1024 * 1024)
#define SERIES_WRITER_RESERVE (64 * 1024)
/* The sample pace after 2 and after 10 minutes. */
#define SERIES_THIN1_AFTER_MS (120 * 1000)
#define SERIES_THIN1_MS 1000
#define SERIES_THIN2_AFTER_MS (600 * 1000)
#define SERIES_THIN2_MS 5000
/* p50/p99 are over the histogram's change in about this much time. */
#define SERIES_QUANTILE_WINDOW_MS 1000

struct series_meta {
	const char *state_dir;
	const char *run;          /* the journal record's id */
	const char *scenario;
	/* The clients sampled, in the run's order (at most
	 * SERIES_CLIENTS_MAX); none: one, "default". */
	const char *const *clients;
	size_t nclients;
	double start;             /* unix seconds; t counts from here */
	const char *const *servers;
	size_t nservers;
};

struct series_writer;

/* Creates the file (and the series directory) and writes the meta line.
 * NULL on error (logged): the run goes on without a series. */
struct series_writer *series_writer_open(const struct series_meta *m);
const char *series_writer_run(const struct series_writer *w);
/* A scrape of client number `client` (series_meta's order). Each
 * client's first only sets its rates' baseline. */
void series_writer_sample(struct series_writer *w, size_t client,
    const struct lg_sample *s);
/* `wall`: unix seconds. */
void series_writer_phase(struct series_writer *w, double wall,
    const char *phase);
/* action "apply" or "remove"; detail and error may be NULL. */
void series_writer_fault(struct series_writer *w, double wall,
    const char *action, const char *fault, const char *target,
    const char *detail, const char *error);
/* The end line, synced, closed and freed. */
void series_writer_end(struct series_writer *w, double wall,
    const char *status);
/* Closed and freed without an end line (the run was not finished). */
void series_writer_close(struct series_writer *w);
/* Bytes written so far, and sample lines written. */
size_t series_writer_bytes(const struct series_writer *w);
size_t series_writer_nsamples(const struct series_writer *w);

#endif
