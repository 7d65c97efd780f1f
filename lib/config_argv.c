/* Each worker's options from the config, so that a worker run by reliabd
 * and one run by hand with -c FILE take exactly the same options. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "log.h"
#include "util.h"

const char *
kind_text(enum kind kind)
{
	switch (kind) {
	case KIND_NONE:
		return "none";
	case KIND_DAEMON:
		return "daemon";
	case KIND_NODE:
		return "node";
	case KIND_SERVER:
		return "server";
	case KIND_PROXY:
		return "proxy";
	case KIND_LOADGEN:
		return "loadgen";
	case KIND_SCENARIO:
		return "scenario";
	}
	return "unknown";
}

struct argv_buf {
	char **v;
	size_t n, cap;
	int failed;
};

static void
argv_push(struct argv_buf *a, char *s)
{
	if (a->failed || s == NULL) {
		a->failed = 1;
		free(s);
		return;
	}
	if (a->n + 2 > a->cap) {
		size_t ncap = a->cap == 0 ? 16 : a->cap * 2;
		char **nv = realloc(a->v, ncap * sizeof(*nv));

		if (nv == NULL) {
			a->failed = 1;
			free(s);
			return;
		}
		a->v = nv;
		a->cap = ncap;
	}
	a->v[a->n++] = s;
	a->v[a->n] = NULL;
}

static void
argv_pushf(struct argv_buf *a, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
argv_pushf(struct argv_buf *a, const char *fmt, ...)
{
	char *s = NULL;
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	argv_push(a, s);
}

/* "--key-with-dashes=value" for each of a worker section's own keys. */
static void
argv_push_section(struct argv_buf *a, const struct config_section *sec)
{
	for (size_t i = 0; i < sec->nkv; i++) {
		char key[CONFIG_NAME_MAX];

		strlcpy_r(key, sec->kv[i].key, sizeof(key));
		for (char *p = key; *p != '\0'; p++)
			if (*p == '_')
				*p = '-';
		argv_pushf(a, "--%s=%s", key, sec->kv[i].value);
	}
}

static char **
argv_finish(struct argv_buf *a)
{
	if (!a->failed && a->v == NULL) {
		a->v = calloc(1, sizeof(*a->v));
		if (a->v == NULL)
			a->failed = 1;
	}
	if (a->failed) {
		config_argv_free(a->v);
		log_error("out of memory");
		return NULL;
	}
	return a->v;
}

/* A client's: its metrics, every server, then its own section. */
static void
argv_push_client(struct argv_buf *a, const struct config *cfg,
    const char *metrics, const struct config_section *opts)
{
	argv_pushf(a, "--metrics=%s", metrics);
	for (size_t i = 0; i < cfg->nservers; i++)
		argv_pushf(a, "--server=%s=%s", cfg->servers[i].name,
		    cfg->servers[i].address);
	argv_push_section(a, opts);
}

char **
config_client_argv(const struct config *cfg,
    const struct config_client_ref *cl)
{
	struct argv_buf a = { 0 };

	argv_push_client(&a, cfg, cl->metrics, cl->opts);
	return argv_finish(&a);
}

/* Whether `s` names a Toxiproxy API other than [proxy] api. */
static int
server_own_api(const struct config *cfg, const struct config_server *s)
{
	return s->api[0] != '\0' && strcmp(s->api, cfg->proxy_api) != 0;
}

char **
config_worker_argv(const struct config *cfg, enum kind kind)
{
	struct argv_buf a = { 0 };

	switch (kind) {
	case KIND_LOADGEN:
		argv_push_client(&a, cfg, cfg->loadgen_metrics, &cfg->loadgen);
		break;
	case KIND_PROXY:
		argv_pushf(&a, "--api=%s", cfg->proxy_api);
		argv_pushf(&a, "--metrics=%s", cfg->proxy_metrics);
		/* A server with an API of its own is not on this proxy. */
		for (size_t i = 0; i < cfg->nservers; i++)
			if (cfg->servers[i].upstream[0] != '\0' &&
			    !server_own_api(cfg, &cfg->servers[i]))
				argv_pushf(&a, "--proxy=%s=%s,%s",
				    cfg->servers[i].name,
				    cfg->servers[i].address,
				    cfg->servers[i].upstream);
		argv_push_section(&a, &cfg->proxy);
		break;
	case KIND_SCENARIO:
		argv_pushf(&a, "--metrics=%s", cfg->scenario_metrics);
		argv_pushf(&a, "--proxy-api=%s", cfg->proxy_api);
		argv_pushf(&a, "--state-dir=%s", cfg->state_dir);
		argv_pushf(&a, "--scenario-dir=%s", cfg->scenario_dir);
		argv_pushf(&a, "--loadgen-metrics=%s",
		    config_sampled_metrics(cfg));
		/* Every client is sampled and judged (issue 14); a port-0
		 * one's real port comes with each start-scenario. The one
		 * client "default" is --loadgen-metrics alone, as before. */
		{
			struct config_client_ref cl[CONFIG_MAX_CLIENTS];
			size_t n = config_clients(cfg, cl);

			for (size_t i = 0; (n > 1 || (n == 1 &&
			    strcmp(cl[0].name, CONFIG_DEFAULT_CLIENT) != 0)) &&
			    i < n; i++)
				argv_pushf(&a, "--client=%s=%s", cl[i].name,
				    cl[i].metrics);
		}
		argv_pushf(&a, "--control-socket=%s", cfg->control_socket);
		/* The worker creates the proxies no reliabd-proxy of ours
		 * serves: it gets their addresses, and each server's API. */
		if (cfg->proxy_mode == PROXY_MODE_EXTERNAL)
			argv_pushf(&a, "--proxy-mode=%s",
			    proxy_mode_text(cfg->proxy_mode));
		for (size_t i = 0; i < cfg->nservers; i++) {
			const struct config_server *s = &cfg->servers[i];

			if (s->upstream[0] != '\0' &&
			    (cfg->proxy_mode == PROXY_MODE_EXTERNAL ||
			    server_own_api(cfg, s)))
				argv_pushf(&a, "--server=%s=%s,%s", s->name,
				    s->address, s->upstream);
			else
				argv_pushf(&a, "--server=%s", s->name);
			if (server_own_api(cfg, s))
				argv_pushf(&a, "--server-api=%s=%s", s->name,
				    s->api);
		}
		for (size_t i = 0; i < cfg->nnodes; i++)
			argv_pushf(&a, "--node=%s", cfg->nodes[i].name);
		argv_push_section(&a, &cfg->scenario);
		break;
	default:
		log_error("unknown worker kind %d", (int)kind);
		return NULL;
	}
	return argv_finish(&a);
}

void
config_argv_free(char **argv)
{
	if (argv == NULL)
		return;
	for (char **p = argv; *p != NULL; p++)
		free(*p);
	free(argv);
}

int
config_merge_argv(int argc, char **argv, enum kind kind,
    char ***out, char *err, size_t errlen)
{
	struct argv_buf a = { 0 };
	const char *path = NULL;
	char **opts = NULL;
	struct config *cfg;
	int i, config_at = -1, config_n = 0;

	if (err != NULL && errlen > 0)
		err[0] = '\0';
	*out = NULL;
	if (argc < 1 || argv == NULL || argv[0] == NULL) {
		snprintf(err, errlen, "empty command line");
		return -1;
	}
	/* Find -c FILE, -cFILE, --config FILE or --config=FILE; options end
	 * at "--". */
	for (i = 1; i < argc && argv[i] != NULL; i++) {
		const char *s = argv[i], *p = NULL;
		int n = 1;

		if (strcmp(s, "--") == 0)
			break;
		if (strcmp(s, "-c") == 0 || strcmp(s, "--config") == 0) {
			if (i + 1 >= argc || argv[i + 1] == NULL) {
				snprintf(err, errlen, "%s needs a FILE", s);
				return -1;
			}
			p = argv[i + 1];
			n = 2;
		} else if (strncmp(s, "--config=", 9) == 0) {
			p = s + 9;
		} else if (strncmp(s, "-c", 2) == 0 && s[2] != '\0' &&
		    s[1] != '-') {
			p = s + 2;
		}
		if (p == NULL)
			continue;
		if (path != NULL) {
			snprintf(err, errlen, "-c given more than once");
			return -1;
		}
		if (*p == '\0') {
			snprintf(err, errlen, "-c needs a FILE");
			return -1;
		}
		path = p;
		config_at = i;
		config_n = n;
		i += n - 1;
	}
	if (path != NULL) {
		cfg = malloc(sizeof(*cfg));
		if (cfg == NULL) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		if (config_load(path, cfg, err, errlen) < 0) {
			free(cfg);
			return -1;
		}
		opts = config_worker_argv(cfg, kind);
		free(cfg);
		if (opts == NULL) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
	}
	argv_push(&a, strdup(argv[0]));
	for (char **p = opts; p != NULL && *p != NULL; p++)
		argv_push(&a, strdup(*p));
	config_argv_free(opts);
	for (i = 1; i < argc && argv[i] != NULL; i++) {
		if (i == config_at) {
			i += config_n - 1;
			continue;
		}
		argv_push(&a, strdup(argv[i]));
	}
	if (argv_finish(&a) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	*out = a.v;
	return (int)a.n;
}
