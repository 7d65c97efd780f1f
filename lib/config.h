/* reliabd.conf: one INI file (inih). The daemon's own sections are typed;
 * the workers' sections ([loadgen], [scenario], [proxy]) are kept as
 * key/value lists and handed to each worker as --key=value options, so a
 * worker run by hand takes the same options (see config_worker_argv). */
#ifndef RELIABD_CONFIG_H
#define RELIABD_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "scrape_url.h"

#define CONFIG_NAME_MAX 64
#define CONFIG_VALUE_MAX 1024
#define CONFIG_MAX_NODES 16
#define CONFIG_MAX_SERVERS 16
#define CONFIG_MAX_KV 64
/* Clients under test: [loadgen] (the client "default") and [loadgen NAME]
 * together. Each is a process with its own /metrics; eight side by side
 * already outnumber what one lab host's two cores judge fairly. */
#define CONFIG_MAX_CLIENTS 8
#define CONFIG_DEFAULT_CLIENT "default"
#define CONFIG_FILE_MAX (1024 * 1024)

struct config_kv {
	char key[CONFIG_NAME_MAX];
	char value[CONFIG_VALUE_MAX];
	unsigned line;
};

struct config_section {
	struct config_kv kv[CONFIG_MAX_KV];
	size_t nkv;
};

struct config_node {
	char name[CONFIG_NAME_MAX];
	char listen[CONFIG_NAME_MAX];    /* host:port */
	unsigned memory;                 /* MiB */
	char binary[CONFIG_VALUE_MAX];   /* memcached path */
	char args[CONFIG_VALUE_MAX];     /* extra memcached arguments */
};

struct config_server {
	char name[CONFIG_NAME_MAX];
	char address[CONFIG_NAME_MAX];   /* what the client connects to */
	char upstream[CONFIG_NAME_MAX];  /* what the proxy forwards to */
	char api[CONFIG_NAME_MAX];       /* its Toxiproxy API; "": [proxy] api */
};

/* A [loadgen NAME] section: one more client under test. */
struct config_client {
	char name[CONFIG_NAME_MAX];
	int enabled;
	char metrics[CONFIG_NAME_MAX];   /* default 127.0.0.1:0, a free port */
	unsigned line;                   /* of the section header */
	struct config_section opts;      /* its loadgen options */
	/* kind = external: any program serving memcache_* metrics, run by
	 * reliabd from `command`, or only scraped at `url`. Its opts are
	 * then empty: nothing of ours runs it. */
	int external;
	char command[CONFIG_VALUE_MAX];
	char url[SCRAPE_URL_MAX];
};

/* Any client, [loadgen] or [loadgen NAME], as workers.c and the argv
 * builders see it. */
struct config_client_ref {
	const char *name;                /* "default" for [loadgen] */
	const char *metrics;             /* HOST:PORT, or an external URL */
	const struct config_section *opts;
	int external;
	const char *command;             /* external; "" if scraped only */
};

enum proxy_mode {
	PROXY_MODE_BUILTIN,
	PROXY_MODE_EXTERNAL,
};
const char *proxy_mode_text(enum proxy_mode mode);

struct config {
	char path[CONFIG_VALUE_MAX];

	/* [daemon] */
	char control_socket[CONFIG_VALUE_MAX];
	char state_dir[CONFIG_VALUE_MAX];
	char metrics[CONFIG_NAME_MAX];
	char libexec_dir[CONFIG_VALUE_MAX];   /* where the workers live */
	char file_sd[CONFIG_VALUE_MAX];       /* Prometheus file_sd target file */
	char log_level[CONFIG_NAME_MAX];
	uint64_t stop_grace_ms;
	uint64_t restart_stable_ms; /* up this long: a death is no quick one */
	uint64_t control_idle_ms;   /* a control client silent this long is dropped */

	struct config_node nodes[CONFIG_MAX_NODES];
	size_t nnodes;
	struct config_server servers[CONFIG_MAX_SERVERS];
	size_t nservers;

	/* [proxy] */
	enum proxy_mode proxy_mode;
	char proxy_api[CONFIG_NAME_MAX];
	char proxy_metrics[CONFIG_NAME_MAX];
	struct config_section proxy;      /* every other key */

	/* [loadgen] */
	int loadgen_enabled;
	char loadgen_metrics[CONFIG_NAME_MAX];
	struct config_section loadgen;    /* every other key */
	/* [loadgen NAME]; with any of them and no plain [loadgen], there
	 * is no client "default" (loadgen_enabled is 0). */
	struct config_client clients[CONFIG_MAX_CLIENTS];
	size_t nclients;

	/* [scenario] */
	int scenario_enabled;
	char scenario_metrics[CONFIG_NAME_MAX];
	char scenario_dir[CONFIG_VALUE_MAX];
	char playlist[CONFIG_VALUE_MAX];
	struct config_section scenario;   /* every other key */
};

/* Defaults as documented in reliabd.conf(5). */
void config_defaults(struct config *cfg);

/* Reads and validates; on error returns -1 with "FILE:LINE: key: what"
 * in err and leaves *cfg unspecified. */
int config_load(const char *path, struct config *cfg, char *err,
    size_t errlen);
/* Same from a string (tests, fuzzing); `name` is used in messages. */
int config_load_string(const char *text, size_t len, const char *name,
    struct config *cfg, char *err, size_t errlen);

const struct config_node *config_node_find(const struct config *cfg,
    const char *name);
const struct config_server *config_server_find(const struct config *cfg,
    const char *name);

/* Every enabled client, "default" first when there is one; fills out[]
 * (CONFIG_MAX_CLIENTS entries) and returns how many. */
size_t config_clients(const struct config *cfg,
    struct config_client_ref *out);
/* The metrics address of the client the scenario worker samples: the
 * client "default", else the first enabled [loadgen NAME]; with neither,
 * [loadgen]'s metrics as before (the worker then finds nothing there). */
const char *config_sampled_metrics(const struct config *cfg);

/* What a config section, a child of reliabd or a worker is: one list for
 * all three (a worker is a proxy, loadgen or scenario). */
enum kind {
	KIND_NONE,
	KIND_DAEMON,
	KIND_NODE,
	KIND_SERVER,
	KIND_PROXY,
	KIND_LOADGEN,
	KIND_SCENARIO,
};
/* Spelled as in the section headers: "node", "loadgen"... */
const char *kind_text(enum kind kind);

/* The options a worker gets from the config: a NULL-terminated malloc'd
 * argv (without argv[0]) of "--key=value" strings. Free with
 * config_argv_free. NULL on no memory. */
char **config_worker_argv(const struct config *cfg, enum kind kind);
void config_argv_free(char **argv);
/* One client's options (as config_worker_argv's KIND_LOADGEN gives the
 * default one's). */
char **config_client_argv(const struct config *cfg,
    const struct config_client_ref *cl);

/* For a worker started by hand with -c FILE: builds argv[0], the config's
 * options for `kind`, then the command line's own options (which win, as
 * getopt sees them last). Returns the new argc, or -1 with err set. */
int config_merge_argv(int argc, char **argv, enum kind kind,
    char ***out, char *err, size_t errlen);

#endif
