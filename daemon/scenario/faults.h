/* Fault application: a run's faults become units (one per fault, server
 * and stream), applied and removed through a backend, each written to the
 * write-ahead ledger (ledger.h) before the proxy changes and struck once
 * it is removed; cleanup removes whatever the ledger still lists.
 *
 * The backend is injected: backend.c drives the Toxiproxy API and asks
 * reliabd for node restarts; the unit tests count calls. */
#ifndef RELIABD_SCENARIO_FAULTS_H
#define RELIABD_SCENARIO_FAULTS_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "ledger.h"
#include "spec.h"
#include "toxiproxy.h"

/* What goes to the proxy for one fault on one server and stream. */
struct fault_unit {
	size_t fault;             /* index in the scenario's faults */
	enum fault_type type;     /* the scenario's fault type */
	int is_node;              /* node_restart: asked of reliabd */
	struct ledger_entry le;   /* kind, server, toxic name, toxic type */
	char stream[16];
	double toxicity;
	json_t *attrs;
	uint64_t down_ms;
	int active;
	int ledger_new;           /* its entry was added by this batch */
	unsigned napplied;
	double applied_wall, removed_wall;
};

/* One run's units. */
struct fault_set {
	const char *run_id;       /* the run's, for logs and events */
	const char *scenario;
	struct fault_unit *units;
	size_t n;
	int loss_approximated;    /* loss became latency (a real Toxiproxy) */
	char apply_error[512];    /* the first failure, for the verdict */
};

struct fault_backend {
	/* A proxy fault on: a toxic added, or the proxy disabled. */
	enum toxi_result (*apply)(void *arg, const struct fault_unit *u,
	    char *err, size_t errlen);
	/* A ledger entry undone: the toxic removed, or the proxy enabled.
	 * A proxy that does not answer at all holds no toxics
	 * (TOXI_UNREACHABLE counts as removed). */
	enum toxi_result (*undo)(void *arg, const struct ledger_entry *le,
	    char *err, size_t errlen);
	/* Asks reliabd to restart a managed node. 0 or -1. */
	int (*node_restart)(void *arg, const char *node, uint64_t down_ms,
	    char *err, size_t errlen);
	void *arg;
	/* Every toxic on every proxy API removed and every proxy enabled
	 * (Toxiproxy's POST /reset): what a lost ledger leaves. NULL: none
	 * (the unit tests' fake). Last, so older initializers stay valid. */
	enum toxi_result (*reset)(void *arg, char *err, size_t errlen);
	/* The proxy API that holds `server`'s proxy, into api (LEDGER_API_MAX),
	 * written in its ledger entry before the fault goes there; "" for
	 * the default API. NULL: one API (the unit tests' fake). */
	void (*api_of)(void *arg, const char *server, char *api,
	    size_t apilen);
};

/* Told of every unit applied or removed ("apply", "remove"), with the
 * error when it failed; u->active is the state now. */
struct fault_observer {
	void (*changed)(void *arg, const struct fault_set *s,
	    const struct fault_unit *u, const char *action,
	    const char *error);
	void *arg;
	/* Told when the notice (faults.notice) changes. */
	void (*noticed)(void *arg, const char *notice);
};

#define FAULTS_NOTICE_MAX 1024

struct faults {
	struct ledger ledger;
	struct fault_backend be;
	struct fault_observer obs;
	/* The ledger was unreadable and set aside: the proxy is reset
	 * wholesale (be.reset) before anything else; pending until done. */
	int reset_pending;
	/* What happened to an unreadable ledger, for status and the log;
	 * "" when nothing did. Kept in $state_dir/ledger.notice until the
	 * next job starts: reliabd's `reliabd-scenario --cleanup` is often
	 * the process that finds the ledger unreadable, and the serving
	 * worker after it must still say so (and reset, if it could not). */
	char notice[FAULTS_NOTICE_MAX];
	char notice_path[1100];
};

/* Reads the ledger of `state_dir`; an unreadable one is set aside
 * (ledger_recover) and a reset of the proxy is pending. 0, or -1 with
 * err. */
int faults_open(struct faults *f, const char *state_dir,
    const struct fault_backend *be, const struct fault_observer *obs,
    char *err, size_t errlen);
/* The notice is over (a job starts): forgotten, its file removed. */
void faults_clear_notice(struct faults *f);
/* Faults the ledger lists (not yet known removed), plus one while a
 * reset is pending. */
size_t faults_pending(const struct faults *f);
/* Resets the proxy if pending, then removes every fault the ledger
 * lists. 0 when none is left. */
int faults_cleanup(struct faults *f);

/* The units of `spec` (the set names `run_id`; both must outlive it):
 * `testing_ms` bounds a node's down time; `builtin`
 * says whether the proxy is reliabd-proxy (how loss is expressed). 0, or
 * -1 on no memory (the set is freed). */
int fault_set_build(struct fault_set *s, const struct scenario_spec *spec,
    const char *run_id, uint64_t testing_ms, int builtin);
void fault_set_free(struct fault_set *s);

/* Applies every unit not active: one ledger write for the batch first.
 * 0, or -1 when one could not be applied (s->apply_error says which). */
int faults_apply(struct faults *f, struct fault_set *s, double wall);
/* Removes every active unit; one ledger write for the batch after. */
void faults_remove(struct faults *f, struct fault_set *s, double wall);

#endif
