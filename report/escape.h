/* Text from a record or a series, written into a page: as HTML text or
 * attribute, or as JSON data inside a <script> element (where "</script"
 * must never appear). */
#ifndef RELIABD_REPORT_ESCAPE_H
#define RELIABD_REPORT_ESCAPE_H

#include <jansson.h>
#include <stdio.h>

/* & < > " ' as entities; control characters as spaces. */
void esc_html(FILE *f, const char *s);
/* The value as JSON, ASCII only, with < > & as \u escapes: safe inside
 * <script type="application/json">. -1 on no memory. */
int esc_json(FILE *f, const json_t *v);
/* A number for people: "-" when v is not a number. */
void esc_number(FILE *f, const json_t *v);

#endif
