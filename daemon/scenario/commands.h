/* The requests reliabd sends the scenario worker, as a command table
 * (lib/worker.h dispatches them): one handler per request. */
#ifndef RELIABD_SCENARIO_COMMANDS_H
#define RELIABD_SCENARIO_COMMANDS_H

#include "worker.h"

struct proto_msg;

/* Ends with { NULL, NULL }; each handler's arg is the struct engine *. */
extern const struct worker_cmd scenario_cmds[];

/* reliabd's reply to our node-restart request: logged. */
void scenario_on_reply(const struct proto_msg *msg, void *arg);

#endif
