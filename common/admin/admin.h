/*
 * sealpost-admin: subcommands share this context.  Exit status 0 on
 * success, 1 on a user error (one-line message), 2 on a system error.
 */
#ifndef SEALPOST_ADMIN_H
#define SEALPOST_ADMIN_H

#include <stdio.h>

#include "config.h"

#define ADMIN_OK	0
#define ADMIN_USAGE	1
#define ADMIN_SYSERR	2

struct admin {
	struct config	 cfg;
	int		 json;
};

int	admin_keygen(struct admin *, int argc, char **argv);
int	admin_check(struct admin *, int argc, char **argv);
int	admin_message(struct admin *, int argc, char **argv);

/* JSON string with quotes, escaped per RFC 8259. */
void	json_print_string(FILE *fp, const char *s);

#endif
