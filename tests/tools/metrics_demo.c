/* Serves a registry with one metric of each type, awkward label values
 * and the process metrics, for promtool to judge. Prints the bound port
 * on stdout; exits on SIGTERM or SIGINT.
 *
 * usage: metrics_demo [HOST:PORT]   (default 127.0.0.1:0) */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#include "httpd.h"
#include "log.h"
#include "metrics.h"

int
main(int argc, char **argv)
{
	const char *addr = argc > 1 ? argv[1] : "127.0.0.1:0";
	static const char *const awkward[] = {
		"plain", "with \"quotes\"", "back\\slash", "new\nline",
		"gr\xc3\xbc\xc3\x9f\x65 \xe2\x9c\x93", "",
	};
	struct metrics_registry *reg;
	struct metric_family *c, *g, *h;
	struct metrics_server *srv;
	double bounds[16];
	size_t nb;
	sigset_t set;
	char err[256];
	int sig;

	log_init(argv[0], LOG_LVL_INFO);
	/* Blocked before MHD starts its thread, so only sigwait sees them. */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);

	reg = metrics_registry_new();
	if (reg == NULL)
		return 1;
	c = metrics_counter(reg, "demo_events_total",
	    "Events seen, by \"kind\" (a \\ backslash and a\nnewline).",
	    "kind,shard");
	g = metrics_gauge(reg, "demo_temperature_celsius",
	    "A gauge with odd values.", "sensor");
	nb = metrics_exponential_bounds(0.001, 4, 10, bounds, 16);
	h = metrics_histogram(reg, "demo_request_duration_seconds",
	    "Request latency.", "path", bounds, nb);
	if (c == NULL || g == NULL || h == NULL ||
	    metrics_gauge(reg, "demo_unused", "Declared, never set.",
	    NULL) == NULL || metrics_register_process(reg) < 0)
		return 1;
	for (size_t i = 0; i < sizeof(awkward) / sizeof(awkward[0]); i++) {
		metric_add(metric_get(c, awkward[i], "0"), (double)i + 1);
		metric_add(metric_get(c, awkward[i], "1"), 0.5);
		metric_set(metric_get(g, awkward[i]), -1.5 * (double)i);
		for (int k = 0; k < 20; k++)
			metric_observe(metric_get(h, awkward[i]),
			    0.0007 * k * k * (double)(i + 1));
	}
	metric_set(metric_get(g, "hot"), 1e300);
	metric_set(metric_get(g, "inf"), 1.0 / 0.0);
	metric_inc(metric_get(c, "hidden", "x"));
	metric_hide(c, "hidden", "x");

	srv = metrics_server_start(addr, reg, err, sizeof(err));
	if (srv == NULL) {
		fprintf(stderr, "metrics_demo: %s\n", err);
		metrics_registry_free(reg);
		return 1;
	}
	printf("%u\n", metrics_server_port(srv));
	fflush(stdout);
	while (sigwait(&set, &sig) != 0)
		;
	metrics_server_stop(srv);
	metrics_registry_free(reg);
	return 0;
}
