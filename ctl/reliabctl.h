/* reliabctl: the command line for reliabd. */
#ifndef RELIABCTL_H
#define RELIABCTL_H

#include <jansson.h>
#include <stddef.h>
#include <stdio.h>

#include "frame.h"

/* The socket when neither -s nor $RELIABD_SOCKET names one (RUNSTATEDIR
 * from ac-config.h). */
#define RELIABCTL_SOCKET RUNSTATEDIR "/reliabd/control.sock"

/* Exit codes, documented in reliabctl(8). */
enum ctl_exit {
	EXIT_OK = 0,
	EXIT_REFUSED = 1,     /* the daemon said no */
	EXIT_NOT_CLIENT = 1,  /* check-client: no memcache client there */
	EXIT_USAGE = 2,
	EXIT_UNREACHABLE = 3, /* no daemon on the socket */
	EXIT_RUN_FAILED = 4,  /* --wait: a run's verdict was "failed" */
	EXIT_RUN_ABORTED = 5, /* --wait: a run was aborted */
	EXIT_INTERRUPTED = 130, /* --wait: Ctrl-C; the run goes on */
};

enum ctl_output {
	OUTPUT_TEXT,
	OUTPUT_JSON,
};

struct ctl_cmd;
struct ctl_client;

/* What the parser makes of the command line. */
struct ctl_request {
	const struct ctl_cmd *cmd;
	json_t *args;   /* the request's "args" */
	int wait;       /* start-scenario --wait */
	int json;       /* -j/--json given after the command word */
};

typedef void (*ctl_print_fn)(const json_t *result);

struct ctl_cmd {
	const char *name;    /* as typed */
	const char *proto;   /* the protocol command */
	const char *usage;   /* its arguments, for messages */
	const char *help;
	const char *detail;  /* `help COMMAND`: what it prints, more */
	/* Turns argv (after the command word) into args; 0 or -1 with a
	 * message printed. */
	int (*parse)(const struct ctl_cmd *cmd, int argc, char **argv,
	    struct ctl_request *req);
	ctl_print_fn print;  /* text output */
	/* A command reliabctl answers itself, with no daemon (help,
	 * check-client); returns the exit status. */
	int (*local)(const struct ctl_request *req, int json);
	/* A command that drives the daemon itself over the connection
	 * (report: asks for the HTTP address, then fetches the page);
	 * returns the exit status. */
	int (*drive)(struct ctl_client *cl, const struct ctl_request *req,
	    int json);
	/* Matched by its whole name only, so that the prefixes typed
	 * before it came ("hel" for hello) keep their meaning. */
	int exact;
};

extern const struct ctl_cmd ctl_cmds[];
extern const size_t ctl_ncmds;

/* parser.c: finds the command by unique prefix and parses its words. */
int parse_command(int argc, char **argv, struct ctl_request *req);
void print_commands(FILE *f);
/* The command by name or unique prefix, or NULL with the reason (and
 * the close names) printed. */
const struct ctl_cmd *lookup_command(const char *word);

/* reliabctl.c: a JSON result as --json prints it, on one line. */
void print_json(const json_t *v);

/* help.c: reliabctl's own usage, and `help [COMMAND]`. */
void usage(FILE *f);
int run_help(const struct ctl_request *req, int json);

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
void print_load(const json_t *r);
void print_event(const json_t *ev);

/* fmt.c: figures for people; each writes "-" for NaN (not known). */
char *fmt_duration_s(double s, char *buf, size_t len);
/* Local wall time of a unix time: "%Y-%m-%d %H:%M:%S". */
void fmt_time(double t, char *buf, size_t len);
/* Local time of day with tenths, truncated: "14:02:30.4". */
char *fmt_clock(double t, char *buf, size_t len);
/* Three significant digits (whole from 100 up), no trailing zeros,
 * then unit ("ms", "s", "" ...). */
char *fmt_num(double v, const char *unit, char *buf, size_t len);
/* A ratio as a percentage, as fmt_num rounds: "0.12%", "31.2%". */
char *fmt_pct(double ratio, char *buf, size_t len);
/* A member: a string or dflt; a number or NaN. */
const char *jstr(const json_t *o, const char *key, const char *dflt);
double jnum(const json_t *o, const char *key);

/* report.c: a run record as a report for people (show, --wait). Every
 * field may be missing (older journals): it shows as "-". */
void report_print(FILE *f, const json_t *run);
/* The figures `runs` shows of a record: the first breaker to open (s),
 * NaN when none is known. */
double report_first_open(const json_t *run);
/* fmt.c, for the reports: an object's keys, sorted (at most
 * REPORT_KEYS_MAX). */
#define REPORT_KEYS_MAX 64
size_t report_sorted_keys(const json_t *o, const char **keys);
/* "timeout 12, connection 3" from a phase's errors by kind. */
void report_kinds_text(const json_t *errors, char *buf, size_t len);
/* "<=" or ">=" for an expect key; a check result for people. */
const char *report_check_way(const char *name);
const char *report_result_text(const char *r);
/* report_clients.c: a record of several clients ("clients", two or
 * more) side by side: figures, hypothesis, verdicts. 0 when printed,
 * -1 when the record has no such clients (the one-client report). */
int report_clients(FILE *f, const json_t *run);

/* page.c: `report RUN [-o FILE]`, the run's HTML page as reliabd
 * serves it. */
int parse_report(const struct ctl_cmd *cmd, int argc, char **argv,
    struct ctl_request *req);
int report_page_fetch(struct ctl_client *cl, const struct ctl_request *req,
    int json);

/* fetch.c: one bounded HTTP GET (libcurl, loaded when first needed). */
struct fetch_body {
	char *data;     /* NUL-terminated; NULL when nothing came */
	size_t len, cap, max;
	int too_big;    /* the body was over max: the transfer stopped */
	int no_memory;
};
/* GETs url (http:// only, no proxy) into b, whose data the caller frees
 * with fetch_body_free: at most max bytes within timeout_s seconds.
 * The HTTP status, or -1 with "reliabctl: WHO: ..." printed. */
long fetch_get(const char *who, const char *url, size_t max, long timeout_s,
    struct fetch_body *b);
void fetch_body_free(struct fetch_body *b);

/* scrape_print.c: check-client's result from scrape_check.c's reading
 * (NULL when memory ran out), and that result for people. */
struct scrape_check;
json_t *scrape_result(const char *url, const struct scrape_check *c);
void scrape_print(FILE *f, const json_t *r);

/* check_client.c: `check-client URL`, with no daemon. */
int parse_check_client(const struct ctl_cmd *cmd, int argc, char **argv,
    struct ctl_request *req);
int run_check_client(const struct ctl_request *req, int json);

/* history.c: `runs --scenario`, a scenario's history. */
void print_history(const json_t *r);

/* wait.c: start-scenario --wait. */
int wait_for_runs(struct ctl_client *cl, const char *socket_path,
    const char *job, int json);
/* SIGINT during --wait: the run goes on in reliabd; say so and how to
 * stop it. */
void wait_interrupted(int sig);

#endif
