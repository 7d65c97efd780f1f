/* The fault ledger: every fault is written here (and fsync'd) before it is
 * applied and struck once removed, so whatever a crash leaves behind can
 * be removed from the proxy at the next start. One small JSON file,
 * $state_dir/ledger.json, rewritten atomically (temp file, fsync, rename,
 * fsync of the directory). */
#ifndef RELIABD_SCENARIO_LEDGER_H
#define RELIABD_SCENARIO_LEDGER_H

#include <stddef.h>

#define LEDGER_MAX 256
#define LEDGER_FILE_MAX (1024 * 1024)

enum ledger_kind {
	LEDGER_TOXIC,   /* a toxic named `toxic` on proxy `server` */
	LEDGER_DOWN,    /* proxy `server` disabled */
};
const char *ledger_kind_text(enum ledger_kind k);

/* "host:port" of a proxy API, as written in the config (CONFIG_NAME_MAX). */
#define LEDGER_API_MAX 64

struct ledger_entry {
	enum ledger_kind kind;
	/* The proxy API the fault went to when its server has one of its
	 * own ([server] api), so cleanup reaches it whatever the config
	 * says now; "" (and a ledger older than the field): the default
	 * API, the [proxy] api of the time. */
	char api[LEDGER_API_MAX];
	char server[64];
	char toxic[96];
	char type[32];
	double applied; /* unix time */
};

struct ledger {
	char path[1024];
	struct ledger_entry e[LEDGER_MAX];
	size_t n;
};

/* Takes $dir/ledger.lock for the rest of the process's life, so two
 * workers never rewrite the same ledger (the last writer would drop the
 * other's entries). 0, or -1 with err (held by another process). */
int ledger_lock(const char *dir, char *err, size_t errlen);
/* Opens (reads) $dir/ledger.json; a missing file is an empty ledger. A
 * corrupt file is an error: it is left in place for a person to read. 0
 * or -1 with err. */
int ledger_open(struct ledger *l, const char *dir, char *err, size_t errlen);
/* ledger_open, and when the file is there but cannot be read (garbage,
 * truncated, a directory, over LEDGER_FILE_MAX) it is renamed to
 * ledger.json.corrupt.N (the next free N, kept for a person to read) and
 * the ledger starts empty: a lost ledger must not stop the lab. 0 (read),
 * 1 (moved aside; `notice` says why and where), -1 (neither; `notice` is
 * the error). */
#define LEDGER_ASIDE_MAX 1000
int ledger_recover(struct ledger *l, const char *dir, char *notice,
    size_t len);
/* Parses a ledger document (also what the fuzz target drives). */
int ledger_parse(struct ledger *l, const char *text, size_t len, char *err,
    size_t errlen);
/* Adds the entry and writes the file durably. 0 or -1. */
int ledger_add(struct ledger *l, const struct ledger_entry *e);
/* Removes the matching entry (api + server + toxic + kind) and writes. */
int ledger_strike(struct ledger *l, const struct ledger_entry *e);
/* The same in memory only, for a batch written once (each write costs
 * two fsyncs): put gives 1 if the entry is new, 0 if it was there, -1 if
 * the ledger is full; drop gives 1 if it removed the entry, else 0. */
int ledger_put(struct ledger *l, const struct ledger_entry *e);
int ledger_drop(struct ledger *l, const struct ledger_entry *e);
int ledger_write(const struct ledger *l);

#endif
