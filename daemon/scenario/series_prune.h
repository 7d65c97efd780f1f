/* The run series directory kept bounded together with the journal: when
 * the journal rotates, the series of runs in neither journal file go;
 * and the directory never holds more than SERIES_DIR_CAP bytes (the
 * oldest go first). */
#ifndef RELIABD_SCENARIO_SERIES_PRUNE_H
#define RELIABD_SCENARIO_SERIES_PRUNE_H

#define SERIES_DIR_CAP (512ULL * 1024 * 1024)
/* More files than this are not looked at in one pass. */
#define SERIES_DIR_SCAN_MAX 100000

/* Deletes the series files whose runs are in neither journal file
 * (journal.h); journal_append calls it after a rotation. Returns how
 * many went, or -1 when a journal could not be read (nothing deleted). */
int series_prune_unjournaled(const char *state_dir);
/* Deletes the oldest series files (by modification time) until the rest
 * hold at most `cap` bytes; never `keep` (a run id, or NULL). Returns
 * how many went, or -1; `left` (may be NULL) gets the bytes that stay. */
int series_prune_cap(const char *state_dir, unsigned long long cap,
    const char *keep, unsigned long long *left);

#endif
