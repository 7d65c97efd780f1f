/* libFuzzer target: reliabd-loadgen's options, which come from the
 * command line and from reliabd.conf. Input: arguments, one a line. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/loadgen/options.h"
#include "log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int init;
	static struct lg_options o;
	char *text, *argv[66], err[512];
	int argc = 0;

	if (!init) {
		log_init("fuzz_loadgen_options", LOG_LVL_ERROR);
		init = 1;
	}
	if (size > 8192)
		return 0;
	text = malloc(size + 1);
	if (text == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	argv[argc++] = "reliabd-loadgen";
	for (char *p = text, *nl; p && argc < 65; p = nl) {
		nl = strchr(p, '\n');
		if (nl)
			*nl++ = '\0';
		argv[argc++] = p;
	}
	argv[argc] = NULL;
	lg_options_defaults(&o);
	if (lg_options_parse(&o, argc, argv, err, sizeof(err)) == 0)
		(void)lg_options_validate(&o, err, sizeof(err));
	else if (memchr(err, '\n', strnlen(err, sizeof(err))) != NULL)
		abort(); /* errors are one line */
	free(text);
	return 0;
}
