/* Fuzzes what reliabd-scenario reads from outside: scenario files, the
 * loadgen's /metrics text (and the verdict fed from it), the ledger, the
 * proxy's /version reply, start-scenario's arguments. The first byte
 * picks the parser. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "ledger.h"
#include "log.h"
#include "promtext.h"
#include "runargs.h"
#include "spec.h"
#include "verdict.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
on_series(const struct prom_series *s, void *arg)
{
	size_t *n = arg;
	(*n) += s->nlabels + 1;
}

/* The large structs (up to 150 KB) live here, not on the heap: a fresh
 * mmap and its page faults on every input made this target 10 times
 * slower than the parsers it runs. ASan still guards their edges. */
static struct {
	struct scenario_spec spec;
	struct lg_sample sample;
	struct verdict verdict;
	struct ledger ledger;
	struct run_args args;
} big;

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int init;
	const char *text;
	char err[512];

	if (!init) {
		log_init("fuzz_scenario", LOG_LVL_ERROR);
		init = 1;
	}
	if (size < 1)
		return 0;
	text = (const char *)data + 1;
	size--;
	switch (data[0] % 5) {
	case 0: {
		static const char *const servers[] = {"memcache1",
		    "memcache2", "memcache3"};
		struct spec_names names = {servers, 3, servers, 1};
		struct scenario_spec *s = &big.spec;
		memset(s, 0xa5, sizeof *s);	/* as malloc might leave it */
		if (spec_parse(text, size, "fuzz.json", &names, s, err,
		    sizeof err) == 0 && s->nfaults == 0)
			abort(); /* a valid scenario has faults */
		break;
	}
	case 1: {
		struct lg_sample *a = &big.sample;
		struct scenario_spec *sp = &big.spec;
		struct verdict *v = &big.verdict;
		size_t n = 0;
		memset(a, 0xa5, sizeof *a);
		memset(sp, 0, sizeof *sp);
		memset(v, 0xa5, sizeof *v);
		prom_parse(text, size, on_series, &n);
		a->mono_ms = 1000;
		a->wall = 1;
		if (sample_from_text(text, size, a) == 0) {
			sp->nfaults = 1;
			sp->faults[0].nservers = 1;
			strcpy(sp->faults[0].servers[0], "memcache1");
			sp->expect.breaker_opens_within_ms = 1000;
			sp->expect.recovers_within_ms = 1000;
			sp->expect.baseline_error_rate_max = 0.1;
			sp->expect.testing_error_rate_min = -1;
			sp->expect.other_error_rate_max = 0.5;
			sp->expect.recover_error_rate = -1;
			sp->expect.throughput_min_ratio = 0.5;
			sp->expect.p99_max_ms = 100;
			sp->expect.others_p99_max_ratio = 2;
			sp->expect.recover_throughput_ratio = 0.9;
			verdict_init(v, sp);
			verdict_phase_start(v, PHASE_STABILIZATION, 0, 1);
			verdict_add_sample(v, a);
			verdict_phase_start(v, PHASE_TESTING, 900, 2);
			verdict_fault_applied(v, 900);
			verdict_add_sample(v, a);
			verdict_phase_start(v, PHASE_RECOVERY, 950, 3);
			verdict_fault_removed(v, 950);
			verdict_add_sample(v, a);
			verdict_phase_end(v, 2000, 4);
			verdict_finish(v, err, sizeof err);
		}
		break;
	}
	case 2: {
		struct ledger *l = &big.ledger;
		memset(l, 0, sizeof *l);
		strcpy(l->path, "fuzz-ledger.json");
		if (ledger_parse(l, text, size, err, sizeof err) == 0) {
			if (l->n > LEDGER_MAX)
				abort();
			/* An entry's api goes into URLs: a host:port or "". */
			for (size_t i = 0; i < l->n; i++) {
				struct hostport hp;

				if (l->e[i].api[0] && hostport_parse(l->e[i].api,
				    &hp, err, sizeof err) != 0)
					abort();
				if (strpbrk(l->e[i].api, "/?#@% "))
					abort();
			}
		}
		break;
	}
	case 3: {
		struct run_args *a = &big.args;
		json_t *j = json_loadb(text, size, 0, NULL);

		if (a && j && run_args_decode(a, j, err, sizeof err) == 0 &&
		    (a->nnames < 1 || a->nnames > RUN_NAMES_MAX ||
		    a->loop < 1 || a->loop > RUN_LOOP_MAX ||
		    a->testing_ms > RUN_PHASE_MAX_MS ||
		    a->nclients > RUN_CLIENTS_MAX))
			abort();
		/* Each client given to the worker is named and an address
		 * a sampler takes. */
		for (size_t i = 0; j && a->nclients <= RUN_CLIENTS_MAX &&
		    i < a->nclients; i++) {
			struct hostport hp;

			if (!a->clients[i].name[0] || hostport_parse(
			    a->clients[i].addr, &hp, err, sizeof err) != 0)
				abort();
		}
		json_decref(j);
		break;
	}
	default: {
		char name[64];
		const char *b = text;
		size_t n = size;
		/* Edit distance and the duration parser on raw names. */
		if (n > 63)
			n = 63;
		memcpy(name, b, n);
		name[n] = '\0';
		(void)edit_distance(name, "latency-1s");
		break;
	}
	}
	return 0;
}
