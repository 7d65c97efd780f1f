/* The run record: one finished run as the journal's JSON object
 * (scenario, phases, faults, figures, verdict), what `reliabctl runs` and
 * `show` read and the "run" event carries. */
#ifndef RELIABD_SCENARIO_RECORD_H
#define RELIABD_SCENARIO_RECORD_H

#include <jansson.h>

#include "runner.h"
#include "verdict.h"

/* A new object, or NULL on no memory. */
json_t *run_record(const struct run *r, const char *batch,
    enum run_status st, const char *reason, double ended_wall);

#endif
