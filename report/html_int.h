/* Shared by the parts of the report page (html.c, html_clients.c). */
#ifndef RELIABD_REPORT_HTML_INT_H
#define RELIABD_REPORT_HTML_INT_H

#include <jansson.h>
#include <stddef.h>
#include <stdio.h>

/* Clients a page shows side by side: a record holds at most 8
 * (CONFIG_MAX_CLIENTS); a damaged one with more shows the first ones. */
#define HTML_CLIENTS_MAX 8

/* o's string member `key`, or "" when it is absent or not a string. */
const char *html_str(const json_t *o, const char *key);
/* The clients a page charts side by side: the series meta's "clients"
 * (the series has their samples), else the record's (their names); at
 * most `max` into names (valid while series and record are), their
 * number returned. 0 or 1: one chart a panel. */
size_t html_clients(const json_t *series, const json_t *record,
    const char **names, size_t max);
/* What a hypothesis row says of check `c` whoever measured it: the
 * rest of its <tr> tag (data-check) and its check, phase, server and
 * expected cells. */
void html_put_check_key(FILE *f, const json_t *c);
/* A record's (or a client entry's) verdict, throughput ratio, peak
 * error rate and time to recover, as four cells. */
void html_put_outcome(FILE *f, const json_t *r);
/* Each client's verdict and figures, a row each. */
void html_put_clients(FILE *f, const json_t *record);
/* The hypothesis table: a row a check, each client's measured value and
 * result in columns of its own. */
void html_put_checks_side(FILE *f, const json_t *record);

#endif
