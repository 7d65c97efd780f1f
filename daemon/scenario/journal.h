/* The run journal: $state_dir/journal.jsonl, one JSON object a line, one
 * line per finished run, appended with O_APPEND in one write so readers
 * (reliabd's `runs` and `show`) never see half a record. */
#ifndef RELIABD_SCENARIO_JOURNAL_H
#define RELIABD_SCENARIO_JOURNAL_H

#include <jansson.h>

#define JOURNAL_FILE "journal.jsonl"
/* Past this size the file becomes journal.jsonl.1 (replacing it). */
#define JOURNAL_ROTATE_BYTES (16 * 1024 * 1024)

/* Appends `record` (not stolen). 0 or -1. */
int journal_append(const char *dir, json_t *record);

#endif
