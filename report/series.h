/* A run's time series read back: <state_dir>/series/<run_id>.jsonl, one
 * JSON object a line (meta, sample, phase, fault, end), written live by
 * the scenario worker (daemon/scenario/series.c). The file is outside
 * input: it is bounded, every line validated and normalized, and a bad
 * line (torn, NULs, too long, malformed) skipped and counted. Used by
 * reliabd and reliabctl to render reports. */
#ifndef RELIABD_REPORT_SERIES_H
#define RELIABD_REPORT_SERIES_H

#include <jansson.h>
#include <stddef.h>

#define SERIES_DIR "series"
#define SERIES_SUFFIX ".jsonl"
/* The contract's limits (shared with the writer). */
#define SERIES_LINE_MAX (16 * 1024)
#define SERIES_SERVERS_MAX 16
#define SERIES_RUN_ID_MAX 64
#define SERIES_NAME_MAX 64
/* Clients sampled in one run (a config holds at most 8). */
#define SERIES_CLIENTS_MAX 8
#define SERIES_FILE_MAX (64 * 1024 * 1024)
#define SERIES_LINES_MAX 200000
/* What the reader keeps, so a hostile file cannot make a report take a
 * gigabyte: sample lines past this many bytes in all (twice what the
 * writer ever writes, see SERIES_WRITER_CAP) are skipped, and so are
 * faults past SERIES_FAULTS_MAX and phases past SERIES_PHASES_MAX. */
#define SERIES_KEEP_BYTES (8 * 1024 * 1024)
#define SERIES_FAULTS_MAX 10000
#define SERIES_PHASES_MAX 64

struct series;                      /* opaque, parsed and validated */

/* Whether `id` is a run id: [A-Za-z0-9._-]{1,64}, not starting with '.'
 * (so never "..", nor a path). */
int series_run_id_ok(const char *id);

/* Reads `<state_dir>/series/<run_id>.jsonl` (never through a symlink);
 * NULL with err (ENOENT reported as "no series recorded for this run").
 * Bad lines are skipped and counted. */
struct series *series_load(const char *state_dir, const char *run_id,
    char *err, size_t errlen);
/* The same from bytes (the fuzz target's entry). NULL with err when
 * there is no valid meta line, or on no memory. */
struct series *series_parse(const char *text, size_t len, char *err,
    size_t errlen);
/* Normalized (new reference, NULL on no memory):
 * {"meta":{},"samples":[...],"phases":[...],"faults":[...],
 *  "end":{}|null,"skipped":N}; each element is its line's object
 * without "type", only the contract's keys kept. The meta always has
 * "clients" (the clients sampled, in the run's order; ["default"] for a
 * file without it) and every sample a "client" among them: the samples
 * of several clients are interleaved, each client's in time order. The
 * values under the
 * five keys are the series' own, shared: read them, never change them
 * (json_deep_copy() first to change them). */
json_t *series_json(const struct series *s);
size_t series_samples(const struct series *s);
void series_free(struct series *s);

#endif
