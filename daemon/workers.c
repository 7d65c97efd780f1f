/* The children a config asks for: memcached nodes and the workers. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "addr.h"
#include "log.h"
#include "reliabd.h"
#include "util.h"

#define NODE_ARGV_MAX 64

/* An executable's full path: as given when it has a slash, else from
 * PATH. 0 or -1. */
static int
find_program(const char *name, char *out, size_t len)
{
	const char *path = getenv("PATH");
	char dir[CONFIG_VALUE_MAX];

	if (strchr(name, '/')) {
		strlcpy_r(out, name, len);
		return access(out, X_OK);
	}
	if (path == NULL)
		path = "/usr/local/bin:/usr/bin:/bin";
	while (*path) {
		size_t n = strcspn(path, ":");

		if (n > 0 && n < sizeof(dir)) {
			memcpy(dir, path, n);
			dir[n] = '\0';
			if ((size_t)snprintf(out, len, "%s/%s", dir, name) < len &&
			    access(out, X_OK) == 0)
				return 0;
		}
		path += n;
		if (*path == ':')
			path++;
	}
	return -1;
}

static char **
node_argv(const struct config_node *n, char *err, size_t errlen)
{
	struct hostport hp;
	char path[CONFIG_VALUE_MAX], port[16], mem[16], args[CONFIG_VALUE_MAX];
	const char *v[NODE_ARGV_MAX];
	size_t k = 0;
	char **argv, *save = NULL, *tok;

	if (find_program(n->binary, path, sizeof(path)) < 0) {
		snprintf(err, errlen,
		    "node %s: memcached binary \"%s\" not found (install the "
		    "Debian package memcached)",
		    n->name, n->binary);
		return NULL;
	}
	if (hostport_parse(n->listen, &hp, err, errlen) < 0)
		return NULL;
	snprintf(port, sizeof(port), "%u", hp.port);
	snprintf(mem, sizeof(mem), "%u", n->memory);
	v[k++] = path;
	v[k++] = "-l";
	v[k++] = hp.host;
	v[k++] = "-p";
	v[k++] = port;
	v[k++] = "-U";
	v[k++] = "0";
	v[k++] = "-m";
	v[k++] = mem;
	/* memcached refuses root without -u; switching users would clear
	 * the parent-death signal, so a root reliabd keeps it root. */
	if (geteuid() == 0) {
		v[k++] = "-u";
		v[k++] = "root";
	}
	strlcpy_r(args, n->args, sizeof(args));
	for (tok = strtok_r(args, " \t", &save); tok && k < NODE_ARGV_MAX - 1;
	     tok = strtok_r(NULL, " \t", &save))
		v[k++] = tok;
	argv = calloc(k + 1, sizeof(*argv));
	if (argv == NULL)
		goto nomem;
	for (size_t i = 0; i < k; i++)
		if ((argv[i] = strdup(v[i])) == NULL) {
			config_argv_free(argv);
			goto nomem;
		}
	return argv;
nomem:
	snprintf(err, errlen, "out of memory");
	return NULL;
}

/* argv[0] (the worker's path) followed by its options from the config
 * (client cl's for a loadgen). */
static char **
worker_argv(const struct config *cfg, enum kind kind,
    const struct config_client_ref *cl, const char *extra, char *err,
    size_t errlen)
{
	char **opts, **argv;
	char path[CONFIG_VALUE_MAX * 2];
	size_t n = 0, k = 0;

	/* reliabd-proxy, reliabd-loadgen, reliabd-scenario */
	snprintf(path, sizeof(path), "%s/reliabd-%s", cfg->libexec_dir,
	    kind_text(kind));
	if (access(path, X_OK) < 0) {
		snprintf(err, errlen, "%s: %s (check worker_dir in [daemon])",
		    path, strerror(errno));
		return NULL;
	}
	opts = cl != NULL ? config_client_argv(cfg, cl)
			  : config_worker_argv(cfg, kind);
	if (opts == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	while (opts[n])
		n++;
	argv = calloc(n + 3, sizeof(*argv));
	if (argv == NULL || (argv[k++] = strdup(path)) == NULL)
		goto nomem;
	if (extra && (argv[k++] = strdup(extra)) == NULL)
		goto nomem;
	for (size_t i = 0; i < n; i++) {
		argv[k++] = opts[i];
		opts[i] = NULL;
	}
	config_argv_free(opts);
	return argv;
nomem:
	config_argv_free(opts);
	config_argv_free(argv);
	snprintf(err, errlen, "out of memory");
	return NULL;
}

/* An external client's command, its {name}, {metrics} and {servers}
 * (NAME=ADDRESS,... from the [server] sections) filled in, run by
 * /bin/sh as `exec COMMAND`: a shell so that any program in any language
 * is one line of the config, exec so that our SIGTERM reaches it. */
static char **
external_argv(const struct config *cfg, const struct config_client_ref *cl,
    char *err, size_t errlen)
{
	char servers[CONFIG_MAX_SERVERS * (CONFIG_NAME_MAX * 2 + 2)] = "";
	char line[CONFIG_VALUE_MAX * 4];
	const char *p = cl->command;
	size_t off = 0, n = 0;
	char **argv;

	for (size_t i = 0; i < cfg->nservers; i++)
		n += (size_t)snprintf(servers + n, sizeof(servers) - n,
		    "%s%s=%s", i ? "," : "", cfg->servers[i].name,
		    cfg->servers[i].address);
	off = (size_t)snprintf(line, sizeof(line), "exec ");
	while (*p && off < sizeof(line)) {
		static const char *const keys[] = { "{name}", "{metrics}",
			"{servers}" };
		const char *vals[] = { cl->name, cl->metrics, servers };
		size_t k;

		for (k = 0; k < NELEM(keys); k++)
			if (strncmp(p, keys[k], strlen(keys[k])) == 0)
				break;
		if (k < NELEM(keys)) {
			off += (size_t)snprintf(line + off, sizeof(line) - off,
			    "%s", vals[k]);
			p += strlen(keys[k]);
		} else {
			line[off++] = *p++;
		}
	}
	if (off >= sizeof(line)) {
		snprintf(err, errlen, "client %s: the command is too long once "
		    "filled in", cl->name);
		return NULL;
	}
	line[off] = '\0';
	argv = calloc(4, sizeof(*argv));
	if (argv == NULL || (argv[0] = strdup("/bin/sh")) == NULL ||
	    (argv[1] = strdup("-c")) == NULL ||
	    (argv[2] = strdup(line)) == NULL) {
		config_argv_free(argv);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	return argv;
}

/* A scraped client runs nothing; its argv only tells a reload whether
 * it changed. */
static char **
scraped_argv(const struct config_client_ref *cl, char *err, size_t errlen)
{
	char **argv = calloc(3, sizeof(*argv));

	if (argv == NULL || (argv[0] = strdup("(scraped)")) == NULL ||
	    (argv[1] = strdup(cl->metrics)) == NULL) {
		config_argv_free(argv);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	return argv;
}

static struct child *
add_child(struct reliabd *d, struct child_list *out, const char *name,
    enum kind kind, char **argv, const char *metrics, char *err,
    size_t errlen)
{
	struct child *c;

	if (argv == NULL)
		return NULL;
	c = child_new(d, name, kind, argv, metrics);
	if (c == NULL) {
		config_argv_free(argv);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	TAILQ_INSERT_TAIL(out, c, entry);
	return c;
}

/* One loadgen per client: "loadgen" for the client "default" (as before
 * there were several), "loadgen:NAME" for the others (':' is in no
 * config name, so it cannot clash with a node). */
static int
add_clients(struct reliabd *d, const struct config *cfg,
    struct child_list *out, char *err, size_t errlen)
{
	struct config_client_ref cl[CONFIG_MAX_CLIENTS];
	size_t n = config_clients(cfg, cl);

	for (size_t i = 0; i < n; i++) {
		char name[CONFIG_NAME_MAX + 16];
		struct child *c;

		if (strcmp(cl[i].name, CONFIG_DEFAULT_CLIENT) == 0)
			strlcpy_r(name, kind_text(KIND_LOADGEN), sizeof(name));
		else
			snprintf(name, sizeof(name), "%s:%s",
			    kind_text(KIND_LOADGEN), cl[i].name);
		c = add_child(d, out, name, KIND_LOADGEN,
		    !cl[i].external ?
		    worker_argv(cfg, KIND_LOADGEN, &cl[i], NULL, err, errlen) :
		    cl[i].command[0] ? external_argv(cfg, &cl[i], err, errlen) :
		    scraped_argv(&cl[i], err, errlen),
		    cl[i].metrics, err, errlen);
		if (c == NULL)
			return -1;
		strlcpy_r(c->client, cl[i].name, sizeof(c->client));
		c->external = cl[i].external;
		c->scraped = cl[i].external && !cl[i].command[0];
	}
	return 0;
}

int
workers_build(struct reliabd *d, const struct config *cfg,
    struct child_list *out, char *err, size_t errlen)
{
	TAILQ_INIT(out);
	for (size_t i = 0; i < cfg->nnodes; i++)
		if (add_child(d, out, cfg->nodes[i].name, KIND_NODE,
			node_argv(&cfg->nodes[i], err, errlen), NULL, err,
			errlen) == NULL)
			goto fail;
	if (cfg->proxy_mode == PROXY_MODE_BUILTIN &&
	    add_child(d, out, "proxy", KIND_PROXY,
		worker_argv(cfg, KIND_PROXY, NULL, NULL, err, errlen),
		cfg->proxy_metrics, err, errlen) == NULL)
		goto fail;
	if (add_clients(d, cfg, out, err, errlen) < 0)
		goto fail;
	if (cfg->scenario_enabled &&
	    add_child(d, out, "scenario", KIND_SCENARIO,
		worker_argv(cfg, KIND_SCENARIO, NULL, NULL, err, errlen),
		cfg->scenario_metrics, err, errlen) == NULL)
		goto fail;
	return 0;
fail:
	while (!TAILQ_EMPTY(out)) {
		struct child *c = TAILQ_FIRST(out);

		TAILQ_REMOVE(out, c, entry);
		child_free(c);
	}
	return -1;
}

void
workers_cleanup_faults(const struct config *cfg)
{
	char err[512], **argv;
	int chan, out, status;
	pid_t pid;

	if (!cfg->scenario_enabled)
		return;
	argv = worker_argv(cfg, KIND_SCENARIO, NULL, "--cleanup", err,
	    sizeof(err));
	if (argv == NULL) {
		log_warn("cannot clean up faults: %s", err);
		return;
	}
	/* Before the event loop runs: blocking here is fine and wanted,
	 * since nothing may start before the faults are gone. */
	pid = spawn_child(argv, 0, &chan, &out);
	config_argv_free(argv);
	if (pid < 0)
		return;
	{
		uint64_t deadline = now_mono_ms() + 10000;
		struct pollfd pfd = { .fd = out, .events = POLLIN };
		char buf[1024];
		ssize_t n;

		/* Its output to our log until EOF (it exited) or 10 s. */
		while (now_mono_ms() < deadline &&
		    poll(&pfd, 1, (int)(deadline - now_mono_ms())) > 0) {
			n = read(out, buf, sizeof(buf) - 1);
			if (n <= 0)
				break;
			buf[n] = '\0';
			for (char *save = NULL, *l = strtok_r(buf, "\n", &save);
			     l; l = strtok_r(NULL, "\n", &save))
				log_raw(LOG_LVL_INFO, "scenario-cleanup", l);
		}
		close(out);
		while (now_mono_ms() < deadline) {
			if (waitpid(pid, &status, WNOHANG) == pid) {
				if (!WIFEXITED(status) ||
				    WEXITSTATUS(status) != 0)
					log_warn("fault cleanup exited with "
						 "status %#x",
					    status);
				return;
			}
			struct timespec ts = { 0, 50 * 1000 * 1000 };
			nanosleep(&ts, NULL);
		}
	}
	log_warn("fault cleanup still running after 10 s; killing it");
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
}
