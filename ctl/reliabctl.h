/* reliabctl: the command line for reliabd. */
#ifndef RELIABCTL_H
#define RELIABCTL_H

#include <jansson.h>
#include <stddef.h>

#include "frame.h"

/* Exit codes, documented in reliabctl(8). */
enum ctl_exit {
	EXIT_OK = 0,
	EXIT_REFUSED = 1,     /* the daemon said no */
	EXIT_USAGE = 2,
	EXIT_UNREACHABLE = 3, /* no daemon on the socket */
	EXIT_RUN_FAILED = 4,  /* --wait: a run's verdict was "failed" */
	EXIT_RUN_ABORTED = 5, /* --wait: a run was aborted */
};

enum ctl_output {
	OUTPUT_TEXT,
	OUTPUT_JSON,
};

struct ctl_cmd;

/* What the parser makes of the command line. */
struct ctl_request {
	const struct ctl_cmd *cmd;
	json_t *args;   /* the request's "args" */
	int wait;       /* start-scenario --wait */
};

typedef void (*ctl_print_fn)(const json_t *result);

struct ctl_cmd {
	const char *name;    /* as typed */
	const char *proto;   /* the protocol command */
	const char *usage;   /* its arguments, for messages */
	const char *help;
	/* Turns argv (after the command word) into args; 0 or -1 with a
	 * message printed. */
	int (*parse)(const struct ctl_cmd *cmd, int argc, char **argv,
	    struct ctl_request *req);
	ctl_print_fn print;  /* text output */
};

extern const struct ctl_cmd ctl_cmds[];
extern const size_t ctl_ncmds;

/* parser.c: finds the command by unique prefix and parses its words. */
int parse_command(int argc, char **argv, struct ctl_request *req);
void print_commands(FILE *f);

/* client.c: one connection to the daemon. */
struct ctl_client {
	int fd;
	struct frame frame;
	long long next_id;
};
int client_connect(struct ctl_client *cl, const char *path);
void client_close(struct ctl_client *cl);
/* Sends a request and reads up to its reply (events before it are
 * skipped). Returns the reply (new reference) or NULL. timeout_ms < 0
 * waits forever. */
json_t *client_call(struct ctl_client *cl, const char *cmd, json_t *args,
    int timeout_ms);
/* The next message (reply or event), or NULL on EOF/timeout/error. */
json_t *client_read(struct ctl_client *cl, int timeout_ms);

/* output.c: text printers. */
void print_status(const json_t *r);
void print_hello(const json_t *r);
void print_list(const json_t *r);
/* The "bad" files of a list or reload reply, with their reasons. */
void print_bad_files(const json_t *r);
void print_reload(const json_t *r);
void print_runs(const json_t *r);
void print_show(const json_t *r);
void print_generic(const json_t *r);
void print_event(const json_t *ev);
char *fmt_duration_s(double s, char *buf, size_t len);

/* wait.c: start-scenario --wait. */
int wait_for_runs(struct ctl_client *cl, const char *socket_path,
    const char *job, int json);

#endif
