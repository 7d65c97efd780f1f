/* libFuzzer target: reliabd.conf parsing and the worker options built
 * from whatever parses. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct config cfg;
	static int init;
	char err[512];
	char *text;

	if (!init) {
		/* Errors are the expected outcome; keep the output quiet. */
		log_init("fuzz_config", LOG_LVL_ERROR);
		init = 1;
	}
	/* An exact-size copy, so ASan sees any read past the end. */
	text = malloc(size > 0 ? size : 1);
	if (text == NULL)
		return 0;
	memcpy(text, data, size);
	if (config_load_string(text, size, "fuzz.conf", &cfg, err,
	    sizeof(err)) == 0) {
		for (int k = KIND_PROXY; k <= KIND_SCENARIO; k++) {
			char **argv = config_worker_argv(&cfg,
			    (enum kind)k);

			config_argv_free(argv);
		}
		{
			struct config_client_ref cl[CONFIG_MAX_CLIENTS];
			size_t n = config_clients(&cfg, cl);

			for (size_t i = 0; i < n; i++)
				config_argv_free(config_client_argv(&cfg,
				    &cl[i]));
		}
		for (size_t i = 0; i < cfg.nservers; i++)
			if (config_server_find(&cfg, cfg.servers[i].name) !=
			    &cfg.servers[i])
				abort();
		for (size_t i = 0; i < cfg.nnodes; i++)
			if (config_node_find(&cfg, cfg.nodes[i].name) !=
			    &cfg.nodes[i])
				abort();
	} else if (memchr(err, '\0', sizeof(err)) == NULL || err[0] == '\0') {
		/* Every failure says why. */
		abort();
	}
	free(text);
	return 0;
}
