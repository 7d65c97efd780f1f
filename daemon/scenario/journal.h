/* The run journal: $state_dir/journal.jsonl, one JSON object a line, one
 * line per finished run. The one definition of its name and rotation,
 * for the writer here and the reader in reliabd (daemon/journal.c). */
#ifndef RELIABD_SCENARIO_JOURNAL_H
#define RELIABD_SCENARIO_JOURNAL_H

#include <jansson.h>

#define JOURNAL_FILE "journal.jsonl"
/* Past this size the file becomes journal.jsonl.1 (replacing it). */
#define JOURNAL_ROTATE_BYTES (16 * 1024 * 1024)
#define JOURNAL_ROTATED_SUFFIX ".1"

/* Appends `record` (not stolen) on a line of its own, in one write on
 * an O_APPEND fd, and syncs it: the record holds the run's verdict.
 * 0 or -1. */
int journal_append(const char *dir, json_t *record);

/* Called with the directory after a rotation, once the record that
 * caused it is written: the scenario worker deletes the run series of
 * runs in neither file there (series_prune.h). NULL: nothing. */
typedef void (*journal_rotated_fn)(const char *dir);
void journal_on_rotate(journal_rotated_fn fn);

#endif
