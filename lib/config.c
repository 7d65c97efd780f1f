/* reliabd.conf: inih reads the lines, this file gives them meaning.
 *
 * Lines reach inih through our own reader, which numbers them (the
 * library's handler gets no line number), strips leading whitespace (so
 * an indented key is a key, never inih's "continuation" of the previous
 * value), refuses overlong lines (inih would cut them and read the rest
 * as a new line) and NUL bytes, and sees each [section] header itself:
 * a section with no keys still counts, and duplicates are caught.
 *
 * One job, though long: reading the file into struct config. The key
 * table, the typed values and the section rules are one reader; apart,
 * each key's spec would sit away from the check that uses it. Each
 * worker's options from it are config_argv.c's. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <ini.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "addr.h"
#include "duration.h"
#include "log.h"
#include "util.h"

/* sun_path holds 108 bytes with the NUL. */
#define SOCKPATH_MAX 107
#define NODE_MEMORY_MAX 65536

enum vtype {
	V_STR,      /* any string, may be empty */
	V_PATH,     /* non-empty */
	V_SOCKPATH, /* non-empty, fits sun_path */
	V_ADDR,     /* host:port, port 0 allowed (metrics: pick a free port) */
	V_ADDR_NZ,  /* host:port, a real port */
	V_DURATION,
	V_LOGLEVEL,
	V_BOOL,
	V_MODE,
	V_MEMORY,
};

struct key_spec {
	const char *key;
	enum vtype type;
	size_t off;
	size_t size;
};

#define FIELD(st, f) offsetof(struct st, f), sizeof(((struct st *)0)->f)

static const struct key_spec daemon_keys[] = {
	{ "control_socket", V_SOCKPATH, FIELD(config, control_socket) },
	{ "state_dir", V_PATH, FIELD(config, state_dir) },
	{ "metrics", V_ADDR, FIELD(config, metrics) },
	{ "worker_dir", V_PATH, FIELD(config, libexec_dir) },
	{ "file_sd", V_STR, FIELD(config, file_sd) },
	{ "log_level", V_LOGLEVEL, FIELD(config, log_level) },
	{ "stop_grace", V_DURATION, FIELD(config, stop_grace_ms) },
	{ "restart_stable", V_DURATION, FIELD(config, restart_stable_ms) },
	{ "control_idle_timeout", V_DURATION, FIELD(config, control_idle_ms) },
	{ NULL, V_STR, 0, 0 },
};
static const struct key_spec node_keys[] = {
	{ "listen", V_ADDR_NZ, FIELD(config_node, listen) },
	{ "memory", V_MEMORY, FIELD(config_node, memory) },
	{ "binary", V_PATH, FIELD(config_node, binary) },
	{ "args", V_STR, FIELD(config_node, args) },
	{ NULL, V_STR, 0, 0 },
};
static const struct key_spec server_keys[] = {
	{ "address", V_ADDR_NZ, FIELD(config_server, address) },
	{ "upstream", V_ADDR_NZ, FIELD(config_server, upstream) },
	{ "api", V_ADDR_NZ, FIELD(config_server, api) },
	{ NULL, V_STR, 0, 0 },
};
static const struct key_spec proxy_keys[] = {
	{ "mode", V_MODE, FIELD(config, proxy_mode) },
	{ "api", V_ADDR, FIELD(config, proxy_api) },
	{ "metrics", V_ADDR, FIELD(config, proxy_metrics) },
	{ NULL, V_STR, 0, 0 },
};
static const struct key_spec loadgen_keys[] = {
	{ "enabled", V_BOOL, FIELD(config, loadgen_enabled) },
	{ "metrics", V_ADDR, FIELD(config, loadgen_metrics) },
	{ NULL, V_STR, 0, 0 },
};
static const struct key_spec client_keys[] = {
	{ "enabled", V_BOOL, FIELD(config_client, enabled) },
	{ "metrics", V_ADDR, FIELD(config_client, metrics) },
	{ NULL, V_STR, 0, 0 },
};
/* A [loadgen NAME] with kind = external reads these from its other keys
 * (client_external): no loadgen of ours would read them. */
static const struct key_spec external_keys[] = {
	{ "kind", V_STR, 0, 0 },
	{ "command", V_STR, FIELD(config_client, command) },
	{ "url", V_STR, FIELD(config_client, url) },
	{ NULL, V_STR, 0, 0 },
};
static const struct key_spec scenario_keys[] = {
	{ "enabled", V_BOOL, FIELD(config, scenario_enabled) },
	{ "metrics", V_ADDR, FIELD(config, scenario_metrics) },
	{ "scenario_dir", V_PATH, FIELD(config, scenario_dir) },
	{ "playlist", V_STR, FIELD(config, playlist) },
	{ NULL, V_STR, 0, 0 },
};

struct parse_ctx {
	struct config *cfg;
	const char *name;
	const char *text;
	size_t len, pos;
	unsigned lineno;
	char *err;
	size_t errlen;
	bool failed;

	enum kind kind;
	char label[CONFIG_NAME_MAX + 16]; /* "[node memcache1]" */
	unsigned sect_line;
	void *base;                   /* struct the typed keys write to */
	const struct key_spec *keys;
	struct config_section *extra; /* worker section's other keys */
	uint64_t seen;                /* typed keys seen in this section */
	unsigned seen_line[16];
	unsigned sections_seen;       /* bit per singleton section kind */
	bool file_sd_set;
};

static void
cfg_fail(struct parse_ctx *ctx, unsigned line, const char *key,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* "FILE:LINE: [section] key: what"; only the first error is kept. */
static void
cfg_fail(struct parse_ctx *ctx, unsigned line, const char *key,
    const char *fmt, ...)
{
	char what[512];
	va_list ap;

	if (ctx->failed)
		return;
	ctx->failed = true;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (ctx->err == NULL || ctx->errlen == 0)
		return;
	if (ctx->kind == KIND_NONE)
		snprintf(ctx->err, ctx->errlen, "%s:%u: %s%s%s", ctx->name,
		    line, key != NULL ? key : "", key != NULL ? ": " : "",
		    what);
	else
		snprintf(ctx->err, ctx->errlen, "%s:%u: %s%s%s: %s",
		    ctx->name, line, ctx->label, key != NULL ? " " : "",
		    key != NULL ? key : "", what);
}

static bool
name_char_ok(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
}

/* Node and server names: [A-Za-z0-9_.-]{1,63}. */
static bool
config_name_ok(const char *s, size_t len)
{
	if (len == 0 || len >= CONFIG_NAME_MAX)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!name_char_ok(s[i]))
			return false;
	return true;
}

/* Worker option names: [a-z][a-z0-9_]*. */
static bool
worker_key_ok(const char *s)
{
	size_t len = strlen(s);

	if (len == 0 || len >= CONFIG_NAME_MAX || s[0] < 'a' || s[0] > 'z')
		return false;
	for (size_t i = 0; i < len; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
			return false;
	return true;
}

static bool
parse_bool(const char *v, int *out)
{
	static const char *const yes[] = { "yes", "true", "on", "1" };
	static const char *const no[] = { "no", "false", "off", "0" };

	for (size_t i = 0; i < NELEM(yes); i++) {
		if (strcmp(v, yes[i]) == 0) {
			*out = 1;
			return true;
		}
		if (strcmp(v, no[i]) == 0) {
			*out = 0;
			return true;
		}
	}
	return false;
}

const char *
proxy_mode_text(enum proxy_mode mode)
{
	switch (mode) {
	case PROXY_MODE_BUILTIN:
		return "builtin";
	case PROXY_MODE_EXTERNAL:
		return "external";
	}
	return "unknown";
}

void
config_defaults(struct config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	strlcpy_r(cfg->control_socket, RUNSTATEDIR "/reliabd/control.sock",
	    sizeof(cfg->control_socket));
	strlcpy_r(cfg->state_dir, LOCALSTATEDIR "/lib/reliabd",
	    sizeof(cfg->state_dir));
	strlcpy_r(cfg->metrics, "127.0.0.1:9093", sizeof(cfg->metrics));
	strlcpy_r(cfg->libexec_dir, SBINDIR, sizeof(cfg->libexec_dir));
	strlcpy_r(cfg->file_sd, LOCALSTATEDIR "/lib/reliabd/targets.json",
	    sizeof(cfg->file_sd));
	strlcpy_r(cfg->log_level, "info", sizeof(cfg->log_level));
	cfg->stop_grace_ms = 5000;
	cfg->restart_stable_ms = 10000;
	cfg->control_idle_ms = 30000;
	cfg->proxy_mode = PROXY_MODE_BUILTIN;
	strlcpy_r(cfg->proxy_api, "127.0.0.1:8474", sizeof(cfg->proxy_api));
	strlcpy_r(cfg->proxy_metrics, "127.0.0.1:9092",
	    sizeof(cfg->proxy_metrics));
	cfg->loadgen_enabled = 1;
	strlcpy_r(cfg->loadgen_metrics, "127.0.0.1:9090",
	    sizeof(cfg->loadgen_metrics));
	cfg->scenario_enabled = 1;
	strlcpy_r(cfg->scenario_metrics, "127.0.0.1:9091",
	    sizeof(cfg->scenario_metrics));
	strlcpy_r(cfg->scenario_dir, SYSCONFDIR "/reliabd/scenarios.d",
	    sizeof(cfg->scenario_dir));
	cfg->playlist[0] = '\0';
}

/* Checks what the section just ended lacks. */
static void
section_end(struct parse_ctx *ctx)
{
	if (ctx->kind == KIND_SERVER &&
	    ((struct config_server *)ctx->base)->address[0] == '\0')
		cfg_fail(ctx, ctx->sect_line, "address", "missing");
	else if (ctx->kind == KIND_NODE &&
	    ((struct config_node *)ctx->base)->listen[0] == '\0')
		cfg_fail(ctx, ctx->sect_line, "listen", "missing");
}

/* A [loadgen NAME] header: a client of its own. */
static void
client_begin(struct parse_ctx *ctx, const char *name, size_t nlen)
{
	struct config *cfg = ctx->cfg;
	size_t have = cfg->nclients +
	    ((ctx->sections_seen & (1u << KIND_LOADGEN)) != 0);
	struct config_client *cl;

	for (size_t i = 0; i < cfg->nclients; i++)
		if (strlen(cfg->clients[i].name) == nlen &&
		    memcmp(cfg->clients[i].name, name, nlen) == 0) {
			cfg_fail(ctx, ctx->lineno, NULL,
			    "duplicate client name");
			return;
		}
	if (have >= CONFIG_MAX_CLIENTS) {
		cfg_fail(ctx, ctx->lineno, NULL, "too many clients (at most "
		    "%d [loadgen] sections in all)", CONFIG_MAX_CLIENTS);
		return;
	}
	cl = &cfg->clients[cfg->nclients++];
	memset(cl, 0, sizeof(*cl));
	memcpy(cl->name, name, nlen);
	cl->enabled = 1;
	strlcpy_r(cl->metrics, "127.0.0.1:0", sizeof(cl->metrics));
	cl->line = ctx->lineno;
	ctx->base = cl;
	ctx->keys = client_keys;
	ctx->extra = &cl->opts;
}

/* Two metrics addresses that cannot both be bound: the same port on the
 * same host, or on a wildcard. Port 0 picks a free port: never. */
static bool
metrics_clash(const char *a, const char *b)
{
	struct hostport ha, hb;
	char e[128];

	if (hostport_parse(a, &ha, e, sizeof(e)) < 0 ||
	    hostport_parse(b, &hb, e, sizeof(e)) < 0 || ha.port == 0 ||
	    ha.port != hb.port)
		return false;
	return strcmp(ha.host, hb.host) == 0 ||
	    strcmp(ha.host, "0.0.0.0") == 0 || strcmp(ha.host, "::") == 0 ||
	    strcmp(hb.host, "0.0.0.0") == 0 || strcmp(hb.host, "::") == 0;
}

static const struct config_kv *
section_find(const struct config_section *sec, const char *key)
{
	for (size_t i = 0; i < sec->nkv; i++)
		if (strcmp(sec->kv[i].key, key) == 0)
			return &sec->kv[i];
	return NULL;
}

/* A [loadgen NAME] with kind = external: its keys are command or url
 * (one of them) and the typed ones; nothing else, since no loadgen of
 * ours reads them. A command's metrics address is its real port: reliabd
 * cannot learn a port the program picks. Other kinds take neither. */
static void
client_external(struct parse_ctx *ctx, struct config_client *cl)
{
	const struct config_kv *kind = section_find(&cl->opts, "kind");
	struct scrape_url u;
	char e[160];

	snprintf(ctx->label, sizeof(ctx->label), "[loadgen %s]", cl->name);
	if (kind == NULL || strcmp(kind->value, "external") != 0) {
		for (size_t i = 0; i < cl->opts.nkv; i++)
			if (strcmp(cl->opts.kv[i].key, "command") == 0 ||
			    strcmp(cl->opts.kv[i].key, "url") == 0) {
				cfg_fail(ctx, cl->opts.kv[i].line,
				    cl->opts.kv[i].key,
				    "only for kind = external");
				return;
			}
		return;
	}
	cl->external = 1;
	for (size_t i = 0; i < cl->opts.nkv; i++) {
		const struct config_kv *kv = &cl->opts.kv[i];
		const struct key_spec *ks = external_keys;

		while (ks->key && strcmp(ks->key, kv->key) != 0)
			ks++;
		if (ks->key == NULL) {
			cfg_fail(ctx, kv->line, kv->key, "not a key of an "
			    "external client (command or url, metrics, "
			    "enabled)");
			return;
		}
		if (strcmp(kv->key, "command") == 0) {
			strlcpy_r(cl->command, kv->value, sizeof(cl->command));
		} else if (strcmp(kv->key, "url") == 0) {
			if (scrape_url_parse(kv->value, &u, e, sizeof(e)) != 0) {
				cfg_fail(ctx, kv->line, "url", "%s", e);
				return;
			}
			if (u.hp.port == 0) {
				cfg_fail(ctx, kv->line, "url", "give the port");
				return;
			}
			scrape_url_format(&u, cl->url, sizeof(cl->url));
		}
	}
	if ((cl->command[0] != '\0') == (cl->url[0] != '\0')) {
		cfg_fail(ctx, cl->line, NULL, "an external client has a "
		    "command (reliabd runs it) or a url (reliabd only "
		    "scrapes it): one of the two");
		return;
	}
	if (cl->command[0] != '\0' &&
	    (hostport_parse(cl->metrics, &u.hp, e, sizeof(e)) != 0 ||
	    u.hp.port == 0)) {
		cfg_fail(ctx, cl->line, "metrics", "an external command's "
		    "metrics address, with its real port (reliabd cannot "
		    "learn a port the program picks)");
		return;
	}
	cl->opts.nkv = 0;
}

/* Once every section is read: with [loadgen NAME] sections and no
 * [loadgen], there is no client "default"; no two clients share a
 * metrics port; the client the scenario worker samples has a fixed one
 * (its argv is written before any loadgen reports a chosen port). */
static void
clients_end(struct parse_ctx *ctx)
{
	struct config *cfg = ctx->cfg;
	struct config_client_ref refs[CONFIG_MAX_CLIENTS];
	size_t n;

	if (cfg->nclients > 0 &&
	    !(ctx->sections_seen & (1u << KIND_LOADGEN)))
		cfg->loadgen_enabled = 0;
	snprintf(ctx->label, sizeof(ctx->label), "[loadgen]");
	for (size_t i = 0; i < cfg->loadgen.nkv && !ctx->failed; i++) {
		const struct config_kv *kv = &cfg->loadgen.kv[i];

		if (strcmp(kv->key, "command") == 0 ||
		    strcmp(kv->key, "url") == 0)
			cfg_fail(ctx, kv->line, kv->key,
			    "only for kind = external");
		else if (strcmp(kv->key, "kind") == 0 &&
		    strcmp(kv->value, "external") == 0)
			cfg_fail(ctx, kv->line, kv->key, "an external client "
			    "is a [loadgen NAME] section of its own");
	}
	for (size_t i = 0; i < cfg->nclients && !ctx->failed; i++)
		client_external(ctx, &cfg->clients[i]);
	if (ctx->failed)
		return;
	n = config_clients(cfg, refs);
	ctx->kind = KIND_LOADGEN;
	for (size_t i = 0; i < cfg->nclients; i++) {
		const struct config_client *cl = &cfg->clients[i];

		if (!cl->enabled)
			continue;
		snprintf(ctx->label, sizeof(ctx->label), "[loadgen %s]",
		    cl->name);
		for (size_t j = 0; j < n; j++) {
			if (refs[j].name == cl->name)
				break;
			if (metrics_clash(cl->metrics, refs[j].metrics)) {
				cfg_fail(ctx, cl->line, "metrics", "%s: the "
				    "client \"%s\" listens there too",
				    cl->metrics, refs[j].name);
				return;
			}
		}
	}
	if (n > 0 && cfg->scenario_enabled &&
	    strcmp(refs[0].name, CONFIG_DEFAULT_CLIENT) != 0) {
		const struct config_client *cl = NULL;
		struct hostport hp;
		char e[128];

		for (size_t i = 0; i < cfg->nclients && cl == NULL; i++)
			if (cfg->clients[i].enabled)
				cl = &cfg->clients[i];
		if (cl != NULL &&
		    hostport_parse(cl->metrics, &hp, e, sizeof(e)) == 0 &&
		    hp.port == 0) {
			snprintf(ctx->label, sizeof(ctx->label),
			    "[loadgen %s]", cl->name);
			cfg_fail(ctx, cl->line, "metrics", "the scenario "
			    "worker samples this client (there is no "
			    "[loadgen]): give it a port of its own, not 0");
		}
	}
}

size_t
config_clients(const struct config *cfg, struct config_client_ref *out)
{
	size_t n = 0;

	if (cfg->loadgen_enabled)
		out[n++] = (struct config_client_ref){
			.name = CONFIG_DEFAULT_CLIENT,
			.metrics = cfg->loadgen_metrics,
			.opts = &cfg->loadgen,
			.command = "",
		};
	for (size_t i = 0; i < cfg->nclients && n < CONFIG_MAX_CLIENTS; i++)
		if (cfg->clients[i].enabled)
			out[n++] = (struct config_client_ref){
				.name = cfg->clients[i].name,
				.metrics = cfg->clients[i].url[0] ?
				    cfg->clients[i].url :
				    cfg->clients[i].metrics,
				.opts = &cfg->clients[i].opts,
				.external = cfg->clients[i].external,
				.command = cfg->clients[i].command,
			};
	return n;
}

const char *
config_sampled_metrics(const struct config *cfg)
{
	if (!cfg->loadgen_enabled)
		for (size_t i = 0; i < cfg->nclients; i++)
			if (cfg->clients[i].enabled)
				return cfg->clients[i].url[0] ?
				    cfg->clients[i].url :
				    cfg->clients[i].metrics;
	return cfg->loadgen_metrics;
}

/* A "[...]" line (leading whitespace gone, no newline). */
static void
section_begin(struct parse_ctx *ctx, const char *line, size_t len)
{
	struct config *cfg = ctx->cfg;
	const char *close = memchr(line, ']', len);
	const char *p, *end, *word, *name = NULL;
	size_t wlen, nlen = 0;
	enum kind kind;

	section_end(ctx);
	if (ctx->failed)
		return;
	ctx->kind = KIND_NONE;
	ctx->seen = 0;
	ctx->sect_line = ctx->lineno;
	if (close == NULL) {
		cfg_fail(ctx, ctx->lineno, NULL, "section header without ']'");
		return;
	}
	for (p = close + 1; p < line + len; p++) {
		if (*p == ';' || *p == '#')
			break;
		if (*p != ' ' && *p != '\t') {
			cfg_fail(ctx, ctx->lineno, NULL,
			    "text after a section header");
			return;
		}
	}
	p = line + 1;
	end = close;
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	while (end > p && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	word = p;
	while (p < end && *p != ' ' && *p != '\t')
		p++;
	wlen = (size_t)(p - word);
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	if (p < end) {
		name = p;
		nlen = (size_t)(end - p);
	}
#define IS(w) (wlen == strlen(w) && memcmp(word, w, wlen) == 0)
	if (IS("daemon"))
		kind = KIND_DAEMON;
	else if (IS("node"))
		kind = KIND_NODE;
	else if (IS("server"))
		kind = KIND_SERVER;
	else if (IS("proxy"))
		kind = KIND_PROXY;
	else if (IS("loadgen"))
		kind = KIND_LOADGEN;
	else if (IS("scenario"))
		kind = KIND_SCENARIO;
	else {
		cfg_fail(ctx, ctx->lineno, NULL, "[%.*s]: unknown section "
		    "(expected daemon, node NAME, server NAME, proxy, "
		    "loadgen or scenario)",
		    (int)(close - line - 1 > 80 ? 80 : close - line - 1),
		    line + 1);
		return;
	}
#undef IS
	if (kind == KIND_NODE || kind == KIND_SERVER ||
	    (kind == KIND_LOADGEN && name != NULL)) {
		if (name == NULL) {
			cfg_fail(ctx, ctx->lineno, NULL,
			    "[%s]: needs a name: [%s NAME]",
			    kind_text(kind), kind_text(kind));
			return;
		}
		if (!config_name_ok(name, nlen)) {
			cfg_fail(ctx, ctx->lineno, NULL,
			    "[%s %.*s]: a name is 1 to %d of A-Z a-z 0-9 _ . -",
			    kind_text(kind), (int)(nlen > 80 ? 80 : nlen),
			    name, CONFIG_NAME_MAX - 1);
			return;
		}
		snprintf(ctx->label, sizeof(ctx->label), "[%s %.*s]",
		    kind_text(kind), (int)nlen, name);
	} else {
		if (name != NULL) {
			cfg_fail(ctx, ctx->lineno, NULL,
			    "[%s]: takes no name", kind_text(kind));
			return;
		}
		snprintf(ctx->label, sizeof(ctx->label), "[%s]",
		    kind_text(kind));
	}
	ctx->kind = kind;
	ctx->extra = NULL;
	switch (kind) {
	case KIND_NODE: {
		struct config_node *n;

		for (size_t i = 0; i < cfg->nnodes; i++)
			if (strlen(cfg->nodes[i].name) == nlen &&
			    memcmp(cfg->nodes[i].name, name, nlen) == 0) {
				cfg_fail(ctx, ctx->lineno, NULL,
				    "duplicate node name");
				return;
			}
		if (cfg->nnodes == CONFIG_MAX_NODES) {
			cfg_fail(ctx, ctx->lineno, NULL,
			    "too many [node] sections (at most %d)",
			    CONFIG_MAX_NODES);
			return;
		}
		n = &cfg->nodes[cfg->nnodes++];
		memset(n, 0, sizeof(*n));
		memcpy(n->name, name, nlen);
		n->memory = 64;
		strlcpy_r(n->binary, "memcached", sizeof(n->binary));
		ctx->base = n;
		ctx->keys = node_keys;
		return;
	}
	case KIND_SERVER: {
		struct config_server *s;

		for (size_t i = 0; i < cfg->nservers; i++)
			if (strlen(cfg->servers[i].name) == nlen &&
			    memcmp(cfg->servers[i].name, name, nlen) == 0) {
				cfg_fail(ctx, ctx->lineno, NULL,
				    "duplicate server name");
				return;
			}
		if (cfg->nservers == CONFIG_MAX_SERVERS) {
			cfg_fail(ctx, ctx->lineno, NULL,
			    "too many [server] sections (at most %d)",
			    CONFIG_MAX_SERVERS);
			return;
		}
		s = &cfg->servers[cfg->nservers++];
		memset(s, 0, sizeof(*s));
		memcpy(s->name, name, nlen);
		ctx->base = s;
		ctx->keys = server_keys;
		return;
	}
	case KIND_LOADGEN:
		/* [loadgen default] is [loadgen]. */
		if (name != NULL && (nlen != strlen(CONFIG_DEFAULT_CLIENT) ||
		    memcmp(name, CONFIG_DEFAULT_CLIENT, nlen) != 0)) {
			client_begin(ctx, name, nlen);
			return;
		}
		break;
	default:
		break;
	}
	if (ctx->sections_seen & (1u << kind)) {
		cfg_fail(ctx, ctx->lineno, NULL, "section given twice");
		return;
	}
	if (kind == KIND_LOADGEN && cfg->nclients >= CONFIG_MAX_CLIENTS) {
		cfg_fail(ctx, ctx->lineno, NULL, "too many clients (at most "
		    "%d [loadgen] sections in all)", CONFIG_MAX_CLIENTS);
		return;
	}
	ctx->sections_seen |= 1u << kind;
	ctx->base = cfg;
	switch (kind) {
	case KIND_DAEMON:
		ctx->keys = daemon_keys;
		break;
	case KIND_PROXY:
		ctx->keys = proxy_keys;
		ctx->extra = &cfg->proxy;
		break;
	case KIND_LOADGEN:
		ctx->keys = loadgen_keys;
		ctx->extra = &cfg->loadgen;
		break;
	case KIND_SCENARIO:
		ctx->keys = scenario_keys;
		ctx->extra = &cfg->scenario;
		break;
	default:
		break;
	}
}

/* Stores one typed value; false (with the error set) when it is bad. */
static bool
set_typed(struct parse_ctx *ctx, const struct key_spec *ks, const char *v)
{
	char *dst = (char *)ctx->base + ks->off;
	size_t vlen = strlen(v);
	char msg[300];

	switch (ks->type) {
	case V_STR:
	case V_PATH:
	case V_SOCKPATH:
		if (ks->type != V_STR && vlen == 0) {
			cfg_fail(ctx, ctx->lineno, ks->key, "empty");
			return false;
		}
		if (ks->type == V_SOCKPATH && vlen > SOCKPATH_MAX) {
			cfg_fail(ctx, ctx->lineno, ks->key, "too long for a "
			    "Unix socket path (at most %d bytes)",
			    SOCKPATH_MAX);
			return false;
		}
		if (vlen >= ks->size) {
			cfg_fail(ctx, ctx->lineno, ks->key,
			    "value too long (at most %zu bytes)",
			    ks->size - 1);
			return false;
		}
		memcpy(dst, v, vlen + 1);
		return true;
	case V_ADDR:
	case V_ADDR_NZ: {
		struct hostport hp;

		if (hostport_parse(v, &hp, msg, sizeof(msg)) < 0) {
			cfg_fail(ctx, ctx->lineno, ks->key,
			    "bad host:port %s", msg);
			return false;
		}
		if (ks->type == V_ADDR_NZ && hp.port == 0) {
			cfg_fail(ctx, ctx->lineno, ks->key,
			    "port 0 is not allowed here");
			return false;
		}
		if (vlen >= ks->size) {
			cfg_fail(ctx, ctx->lineno, ks->key,
			    "value too long (at most %zu bytes)",
			    ks->size - 1);
			return false;
		}
		memcpy(dst, v, vlen + 1);
		return true;
	}
	case V_DURATION: {
		uint64_t ms;

		if (duration_parse(v, &ms) < 0) {
			cfg_fail(ctx, ctx->lineno, ks->key, "bad duration "
			    "\"%.64s\" (e.g. 250ms, 5s, 2m)", v);
			return false;
		}
		memcpy(dst, &ms, sizeof(ms));
		return true;
	}
	case V_LOGLEVEL: {
		enum log_level lvl;

		if (log_level_parse(v, &lvl) < 0) {
			cfg_fail(ctx, ctx->lineno, ks->key, "bad log level "
			    "\"%.64s\" (error, warn, info or debug)", v);
			return false;
		}
		strlcpy_r(dst, log_level_text(lvl), ks->size);
		return true;
	}
	case V_BOOL: {
		int b;

		if (!parse_bool(v, &b)) {
			cfg_fail(ctx, ctx->lineno, ks->key,
			    "expected yes or no, not \"%.64s\"", v);
			return false;
		}
		memcpy(dst, &b, sizeof(b));
		return true;
	}
	case V_MODE: {
		enum proxy_mode m;

		if (strcmp(v, "builtin") == 0)
			m = PROXY_MODE_BUILTIN;
		else if (strcmp(v, "external") == 0)
			m = PROXY_MODE_EXTERNAL;
		else {
			cfg_fail(ctx, ctx->lineno, ks->key, "expected builtin "
			    "or external, not \"%.64s\"", v);
			return false;
		}
		memcpy(dst, &m, sizeof(m));
		return true;
	}
	case V_MEMORY: {
		uint64_t mb;
		unsigned u;

		if (parse_u64(v, 1, NODE_MEMORY_MAX, &mb) < 0) {
			cfg_fail(ctx, ctx->lineno, ks->key, "expected MiB, "
			    "1..%d, not \"%.64s\"", NODE_MEMORY_MAX, v);
			return false;
		}
		u = (unsigned)mb;
		memcpy(dst, &u, sizeof(u));
		return true;
	}
	}
	return false;
}

static int
handler(void *user, const char *section, const char *key, const char *value)
{
	struct parse_ctx *ctx = user;
	struct config_section *sec;

	if (ctx->failed)
		return 0;
	if (ctx->kind == KIND_NONE) {
		cfg_fail(ctx, ctx->lineno, key, "outside any section");
		return 0;
	}
	if (*key == '\0') {
		cfg_fail(ctx, ctx->lineno, NULL, "missing key name");
		return 0;
	}
	if (strlen(key) >= CONFIG_NAME_MAX) {
		cfg_fail(ctx, ctx->lineno, NULL, "key name too long");
		return 0;
	}
	for (const char *p = value; *p != '\0'; p++) {
		if ((unsigned char)*p < 0x20 && *p != '\t') {
			cfg_fail(ctx, ctx->lineno, key,
			    "control character in value");
			return 0;
		}
	}
	for (size_t i = 0; ctx->keys[i].key != NULL; i++) {
		if (strcmp(ctx->keys[i].key, key) != 0)
			continue;
		if (ctx->seen & (1ull << i)) {
			cfg_fail(ctx, ctx->lineno, key,
			    "given twice (first on line %u)",
			    ctx->seen_line[i]);
			return 0;
		}
		ctx->seen |= 1ull << i;
		ctx->seen_line[i] = ctx->lineno;
		if (!set_typed(ctx, &ctx->keys[i], value))
			return 0;
		if (ctx->kind == KIND_DAEMON && strcmp(key, "file_sd") == 0)
			ctx->file_sd_set = value[0] != '\0';
		/* Under 1 s a reliabctl on a busy host would be cut off;
		 * past an hour a dead client holds its slot for long. */
		if (ctx->kind == KIND_DAEMON &&
		    strcmp(key, "control_idle_timeout") == 0 &&
		    (ctx->cfg->control_idle_ms < 1000 ||
		    ctx->cfg->control_idle_ms > 3600 * 1000)) {
			cfg_fail(ctx, ctx->lineno, key,
			    "must be between 1s and 1h");
			return 0;
		}
		return 1;
	}
	sec = ctx->extra;
	if (sec == NULL) {
		cfg_fail(ctx, ctx->lineno, key, "unknown key");
		return 0;
	}
	if (!worker_key_ok(key)) {
		cfg_fail(ctx, ctx->lineno, key,
		    "a worker option name is [a-z][a-z0-9_]*");
		return 0;
	}
	for (size_t i = 0; i < sec->nkv; i++) {
		if (strcmp(sec->kv[i].key, key) == 0) {
			cfg_fail(ctx, ctx->lineno, key,
			    "given twice (first on line %u)", sec->kv[i].line);
			return 0;
		}
	}
	if (sec->nkv == CONFIG_MAX_KV) {
		cfg_fail(ctx, ctx->lineno, key, "too many keys (at most %d)",
		    CONFIG_MAX_KV);
		return 0;
	}
	if (strlen(value) >= CONFIG_VALUE_MAX) {
		cfg_fail(ctx, ctx->lineno, key,
		    "value too long (at most %d bytes)", CONFIG_VALUE_MAX - 1);
		return 0;
	}
	strlcpy_r(sec->kv[sec->nkv].key, key, CONFIG_NAME_MAX);
	strlcpy_r(sec->kv[sec->nkv].value, value, CONFIG_VALUE_MAX);
	sec->kv[sec->nkv].line = ctx->lineno;
	sec->nkv++;
	(void)section;
	return 1;
}

/* inih's line source: one line per call, like fgets. */
static char *
reader(char *str, int num, void *stream)
{
	struct parse_ctx *ctx = stream;
	const char *line, *nl, *end;
	size_t linelen;

	if (ctx->failed || ctx->pos >= ctx->len || num < 3)
		return NULL;
	line = ctx->text + ctx->pos;
	nl = memchr(line, '\n', ctx->len - ctx->pos);
	end = nl != NULL ? nl : ctx->text + ctx->len;
	ctx->pos = (size_t)(end - ctx->text) + (nl != NULL ? 1 : 0);
	ctx->lineno++;
	if (ctx->lineno == 1 && end - line >= 3 &&
	    memcmp(line, "\xef\xbb\xbf", 3) == 0)
		line += 3;
	while (line < end && (*line == ' ' || *line == '\t'))
		line++;
	if (end > line && end[-1] == '\r')
		end--;
	linelen = (size_t)(end - line);
	if (memchr(line, '\0', linelen) != NULL) {
		cfg_fail(ctx, ctx->lineno, NULL, "NUL byte in line");
		return NULL;
	}
	/* Room for the newline and the NUL. */
	if (linelen + 2 > (size_t)num) {
		cfg_fail(ctx, ctx->lineno, NULL,
		    "line too long (at most %d characters)", num - 2);
		return NULL;
	}
	if (linelen > 0 && line[0] == '[') {
		section_begin(ctx, line, linelen);
		if (ctx->failed)
			return NULL;
	}
	memcpy(str, line, linelen);
	str[linelen] = '\n';
	str[linelen + 1] = '\0';
	return str;
}

int
config_load_string(const char *text, size_t len, const char *name,
    struct config *cfg, char *err, size_t errlen)
{
	struct parse_ctx ctx = {
		.cfg = cfg,
		.name = name != NULL ? name : "(config)",
		.text = text,
		.len = len,
		.err = err,
		.errlen = errlen,
		.kind = KIND_NONE,
	};
	int rc;

	if (err != NULL && errlen > 0)
		err[0] = '\0';
	config_defaults(cfg);
	strlcpy_r(cfg->path, ctx.name, sizeof(cfg->path));
	if (text == NULL && len > 0) {
		snprintf(err, errlen, "%s: no text", ctx.name);
		return -1;
	}
	if (len > CONFIG_FILE_MAX) {
		snprintf(err, errlen, "%s: larger than %d bytes", ctx.name,
		    CONFIG_FILE_MAX);
		return -1;
	}
	rc = ini_parse_stream(reader, &ctx, handler, &ctx);
	if (!ctx.failed && rc == 0)
		section_end(&ctx);
	if (!ctx.failed && rc == 0)
		clients_end(&ctx);
	if (!ctx.failed && rc > 0)
		cfg_fail(&ctx, (unsigned)rc, NULL, "expected key = value");
	if (!ctx.failed && rc < 0) {
		snprintf(err, errlen, "%s: cannot parse (out of memory?)",
		    ctx.name);
		return -1;
	}
	if (ctx.failed)
		return -1;
	if (!ctx.file_sd_set &&
	    snprintf(cfg->file_sd, sizeof(cfg->file_sd), "%s/targets.json",
	    cfg->state_dir) >= (int)sizeof(cfg->file_sd)) {
		snprintf(err, errlen, "%s: state_dir too long", ctx.name);
		return -1;
	}
	return 0;
}

int
config_load(const char *path, struct config *cfg, char *err, size_t errlen)
{
	struct stat st;
	size_t len = 0;
	char *text;
	int fd, rc;

	fd = open_regular(path, O_RDONLY, 0);
	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", path, file_strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	if (st.st_size > CONFIG_FILE_MAX) {
		snprintf(err, errlen, "%s: larger than %d bytes", path,
		    CONFIG_FILE_MAX);
		close(fd);
		return -1;
	}
	/* One byte more than allowed, to see a file that grew meanwhile. */
	text = malloc(CONFIG_FILE_MAX + 1);
	if (text == NULL) {
		snprintf(err, errlen, "%s: out of memory", path);
		close(fd);
		return -1;
	}
	while (len < CONFIG_FILE_MAX + 1) {
		ssize_t n = read(fd, text + len, CONFIG_FILE_MAX + 1 - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			free(text);
			close(fd);
			return -1;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	rc = config_load_string(text, len, path, cfg, err, errlen);
	free(text);
	return rc;
}

const struct config_node *
config_node_find(const struct config *cfg, const char *name)
{
	for (size_t i = 0; i < cfg->nnodes; i++)
		if (strcmp(cfg->nodes[i].name, name) == 0)
			return &cfg->nodes[i];
	return NULL;
}

const struct config_server *
config_server_find(const struct config *cfg, const char *name)
{
	for (size_t i = 0; i < cfg->nservers; i++)
		if (strcmp(cfg->servers[i].name, name) == 0)
			return &cfg->servers[i];
	return NULL;
}
