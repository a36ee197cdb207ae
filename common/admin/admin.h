/*
 * sealpost-admin: subcommands share this context.  Exit status 0 on
 * success, 1 on a user error (one-line message), 2 on a system error.
 *
 * Each command gets argv without the global options (-c, --json, -V,
 * "--"): argv[0] is the command's name.  A positional argument may start
 * with '-' (message ids do), so commands take no options of their own
 * except rotate-key's --resume.
 */
#ifndef SEALPOST_ADMIN_H
#define SEALPOST_ADMIN_H

#include <stdint.h>
#include <stdio.h>

#include "config.h"
#include "msgid.h"
#include "store.h"

#define ADMIN_OK	0
#define ADMIN_USAGE	1
#define ADMIN_SYSERR	2

#define ADMIN_ADDRESS_MAX	254

struct admin {
	struct config	 cfg;
	int		 json;
};

int	admin_keygen(struct admin *, int argc, char **argv);
int	admin_check(struct admin *, int argc, char **argv);
int	admin_message(struct admin *, int argc, char **argv);
int	admin_purge(struct admin *, int argc, char **argv);
int	admin_account(struct admin *, int argc, char **argv);
int	admin_reset(struct admin *, const char *address);
int	admin_alias(struct admin *, int argc, char **argv);
int	admin_unsubscribe(struct admin *, int argc, char **argv);
int	admin_stats(struct admin *, int argc, char **argv);
int	admin_backup(struct admin *, int argc, char **argv);
int	admin_rotate_key(struct admin *, int argc, char **argv);

/* JSON string with quotes, escaped per RFC 8259. */
void	json_print_string(FILE *fp, const char *s);

/*
 * Helpers (util.c).  The admin_* ones that can fail print the one-line
 * message themselves and return the exit status to use.
 */
/* "usage: sealpost-admin " usage on stderr; ADMIN_USAGE. */
int	admin_usage(const char *usage);
/* Open the existing store; ADMIN_OK, or ADMIN_SYSERR with a message. */
int	admin_store_open(struct admin *, struct store **out);
/* "sealpost-admin: what: store error"; ADMIN_SYSERR. */
int	admin_store_error(const char *what, int status);
/* Parse a message id; ADMIN_OK or ADMIN_USAGE. */
int	admin_parse_id(const char *s, uint8_t id[MSGID_LEN]);
/*
 * Check and lowercase an address the way the portal does for what users
 * type (one '@', no blanks, controls or characters that need quoting,
 * not starting with '-'); ADMIN_OK or ADMIN_USAGE.
 */
int	admin_parse_address(const char *s, char out[ADMIN_ADDRESS_MAX + 1]);
/* ISO 8601 UTC ("2026-03-02T10:00:00Z"); "-" for 0. */
void	admin_format_time(int64_t t, char *buf, size_t len);
/* A JSON time value: the quoted ISO time, or null for 0. */
void	json_print_time(FILE *fp, int64_t t);

#endif
