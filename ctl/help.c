/* reliabctl's own help: the options and commands (--help, `help`), and
 * one command's use (`help COMMAND`). No daemon is asked. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ac-config.h"
#include "reliabctl.h"

void
usage(FILE *f)
{
	fprintf(f,
	    "usage: reliabctl [-s SOCKET] [--json] COMMAND [ARGS] [--json]\n"
	    "  -s, --socket PATH  reliabd's control socket (default %s,\n"
	    "                     or $RELIABD_SOCKET)\n"
	    "  -j, --json         print the daemon's JSON result on one line\n"
	    "                     (before or after the command)\n"
	    "  -V, --version      print the version and exit\n"
	    "  -h, --help         this help\n"
	    "Commands may be shortened to a unique prefix;\n"
	    "`reliabctl help COMMAND` tells more of one.\n",
	    RELIABCTL_SOCKET);
	print_commands(f);
}

int
run_help(const struct ctl_request *req, int json)
{
	const char *name = json_string_value(json_object_get(req->args,
	    "command"));
	const struct ctl_cmd *c;

	(void)json; /* help is for people */
	if (name == NULL) {
		usage(stdout);
		return EXIT_OK;
	}
	/* The same lookup as the command line's: a prefix, a typo. */
	c = lookup_command(name);
	if (c == NULL)
		return EXIT_USAGE;
	printf("usage: reliabctl %s%s%s\n%s.\n\n%s\n", c->name,
	    c->usage[0] ? " " : "", c->usage, c->help, c->detail);
	return EXIT_OK;
}
