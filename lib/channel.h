/* A worker's link to reliabd.
 *
 * reliabd gives each worker one end of a socketpair and names its number
 * in RELIABD_CHANNEL_FD. Both ways it carries JSON lines in the control
 * protocol's shapes (proto/proto.h):
 *   worker -> reliabd  events   {"event":"ready","metrics":"127.0.0.1:9090"}
 *                      replies  {"id":3,"ok":true,"result":{...}}
 *                      requests {"id":1,"cmd":"node-restart","args":{...}}
 *   reliabd -> worker  requests {"id":3,"cmd":"start-scenario","args":{...}}
 *                      replies to the worker's requests
 * Lines are encoded by proto_encode(); lib/worker.h reads the other way
 * (proto/frame.h, proto_decode_msg). A worker run by hand has no
 * channel: sends are dropped quietly. */
#ifndef RELIABD_CHANNEL_H
#define RELIABD_CHANNEL_H

#include <jansson.h>

#define CHANNEL_ENV "RELIABD_CHANNEL_FD"

/* Takes the fd from the environment (and unsets it, so the worker's own
 * children do not inherit it); returns it, or -1 when run by hand. */
int channel_open(void);
int channel_fd(void);
/* Sends one JSON object as a line; thread-safe; blocking. Does not steal
 * the reference. 0, or -1 when there is no channel or the write failed. */
int channel_send(json_t *msg);
/* {"event":name} plus the fields of `fields` (may be NULL; stolen). */
int channel_event(const char *name, json_t *fields);
void channel_close(void);

#endif
