/* Escaping for the report pages (see escape.h). */
#include "escape.h"

#include <math.h>
#include <stdlib.h>

void
esc_html(FILE *f, const char *s)
{
	for (; s != NULL && *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		switch (c) {
		case '&':
			fputs("&amp;", f);
			break;
		case '<':
			fputs("&lt;", f);
			break;
		case '>':
			fputs("&gt;", f);
			break;
		case '"':
			fputs("&quot;", f);
			break;
		case '\'':
			fputs("&#39;", f);
			break;
		default:
			fputc(c < 0x20 || c == 0x7f ? ' ' : c, f);
		}
	}
}

int
esc_json(FILE *f, const json_t *v)
{
	char *s = json_dumps(v, JSON_COMPACT | JSON_ENSURE_ASCII |
	    JSON_ENCODE_ANY | JSON_REAL_PRECISION(10));

	if (s == NULL)
		return -1;
	/* Outside strings JSON has none of these, so each is in a string,
	 * where \uXXXX means the same character. */
	for (const char *p = s; *p != '\0'; p++) {
		if (*p == '<')
			fputs("\\u003c", f);
		else if (*p == '>')
			fputs("\\u003e", f);
		else if (*p == '&')
			fputs("\\u0026", f);
		else
			fputc(*p, f);
	}
	free(s);
	return 0;
}

void
esc_number(FILE *f, const json_t *v)
{
	double d;

	if (!json_is_number(v)) {
		fputs("-", f);
		return;
	}
	d = json_number_value(v);
	if (!isfinite(d))
		fputs("-", f);
	else
		fprintf(f, "%.6g", d);
}
