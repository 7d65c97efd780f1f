/* Samples the loadgen's /metrics a few times a second on its own thread,
 * while a run needs it, and hands the samples to the engine through a
 * small queue and an eventfd. */
#ifndef RELIABD_SCENARIO_SAMPLER_H
#define RELIABD_SCENARIO_SAMPLER_H

#include <stddef.h>

#include "promtext.h"

#define SAMPLER_INTERVAL_MS 200
/* Between runs, a scrape this often keeps the breakers' open time known
 * (start-scenario warns about a recovery phase too short to see it). */
#define SAMPLER_IDLE_MS 5000
/* Between runs, while no scrape has worked yet. */
#define SAMPLER_RETRY_MS 250
#define SAMPLER_QUEUE 32

struct sampler;

/* `addr` is the loadgen's metrics host:port; port 0: not known yet
 * (nothing is scraped until sampler_set_addr). NULL on error. */
struct sampler *sampler_start(const char *addr, char *err, size_t errlen);
void sampler_stop(struct sampler *s);
/* The loadgen is now at `addr` (reliabd knows a port-0 client's real
 * port); 0, or -1 when it is no host:port. */
int sampler_set_addr(struct sampler *s, const char *addr);
/* The fd that becomes readable when samples are queued. */
int sampler_fd(const struct sampler *s);
/* Starts or pauses scraping. */
void sampler_set_active(struct sampler *s, int active);
/* Takes the queued samples (at most `cap`); returns the count. */
size_t sampler_drain(struct sampler *s, struct lg_sample *out, size_t cap);
/* The longest breaker open time the loadgen exports, in ms; -1 while it
 * is not known. */
double sampler_open_timeout_ms(struct sampler *s);
/* Scrapes that failed since the start (for logs). */
unsigned long sampler_failures(struct sampler *s);

#endif
