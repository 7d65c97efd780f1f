/* libFuzzer target: reliabctl's report of a run record (ctl/report.c,
 * ctl/fmt.c), fed any JSON a journal line could hold, a damaged or
 * hostile one included: every member of any type, missing, huge or NaN-
 * producing, must render without a crash or undefined behaviour. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "reliabctl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static FILE *devnull;
	json_t *run;

	if (devnull == NULL && (devnull = fopen("/dev/null", "we")) == NULL)
		abort();
	run = json_loadb((const char *)data, size, JSON_DECODE_ANY, NULL);
	if (run == NULL)
		return 0;
	report_print(devnull, run);
	(void)report_first_open(run);
	json_decref(run);
	return 0;
}
