/*
 * sealpost-admin [-c file] [--json] command [--] ...
 *
 * Works on the store locally, beside the running daemons (LMDB allows
 * that); see docs/operations.md "sealpost-admin".
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gmime/gmime.h>
#include <sodium.h>

#include "admin.h"
#include "log.h"
#include "paths.h"

static const struct {
	const char	*name;
	int		(*fn)(struct admin *, int, char **);
	const char	*help;
} commands[] = {
	{ "keygen", admin_keygen, "keygen                      create the master key file" },
	{ "check", admin_check, "check                       open store and key, report problems" },
	{ "message", admin_message, "message list                list stored messages (metadata only)\n"
	    "  message show ID             one message's metadata and first opens\n"
	    "  message revoke ID           recipients can no longer open it" },
	{ "purge", admin_purge, "purge                       delete expired and revoked messages, send reminders" },
	{ "account", admin_account, "account list                list accounts\n"
	    "  account show ADDRESS        one account, its aliases and messages\n"
	    "  account invite ADDRESS      let ADDRESS register\n"
	    "  account disable ADDRESS     refuse logins, end its sessions\n"
	    "  account enable ADDRESS      allow logins again (undoes unsubscribe)\n"
	    "  account delete ADDRESS      delete the account, its sessions and aliases\n"
	    "  account reset ADDRESS       mail ADDRESS a password reset link" },
	{ "alias", admin_alias, "alias add ALIAS MASTER      confirmed alias of MASTER's account\n"
	    "  alias remove ALIAS          remove an alias\n"
	    "  alias list MASTER           aliases of MASTER's account" },
	{ "unsubscribe", admin_unsubscribe, "unsubscribe ADDRESS         no more notifications, no access to messages" },
	{ "stats", admin_stats, "stats                       counts and store usage" },
	{ "backup", admin_backup, "backup DEST                 consistent copy of the store into DEST" },
	{ "rotate-key", admin_rotate_key, "rotate-key [--resume]       add a master key, re-wrap every data key" },
};

#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static void
usage(void)
{
	size_t i;

	fprintf(stderr, "usage: sealpost-admin [-c file] [--json] command "
	    "[--] ...\ncommands (--json for scripts where it applies):\n");
	for (i = 0; i < NCOMMANDS; i++)
		fprintf(stderr, "  %s\n", commands[i].help);
	exit(ADMIN_USAGE);
}

void
json_print_string(FILE *fp, const char *s)
{
	const unsigned char *p;

	fputc('"', fp);
	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		switch (*p) {
		case '"':
			fputs("\\\"", fp);
			break;
		case '\\':
			fputs("\\\\", fp);
			break;
		case '\n':
			fputs("\\n", fp);
			break;
		case '\r':
			fputs("\\r", fp);
			break;
		case '\t':
			fputs("\\t", fp);
			break;
		default:
			if (*p < 0x20)
				fprintf(fp, "\\u%04x", *p);
			else
				fputc(*p, fp);
		}
	}
	fputc('"', fp);
}

int
main(int argc, char *argv[])
{
	struct admin	 a;
	const char	*conffile = SEALPOST_CONF_FILE;
	char		 err[512];
	char		**args;
	int		 i, nargs = 0, rc, dashdash = 0;
	size_t		 c;

	memset(&a, 0, sizeof(a));
	if ((args = calloc((size_t)argc + 1, sizeof(*args))) == NULL)
		return ADMIN_SYSERR;
	/*
	 * Options may appear anywhere: scripts write them at the end.  After
	 * "--" everything is an argument (ids may start with '-'), except
	 * --json, which no id or address can be.
	 */
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			a.json = 1;
		else if (dashdash)
			args[nargs++] = argv[i];
		else if (strcmp(argv[i], "--") == 0)
			dashdash = 1;
		else if (strcmp(argv[i], "-c") == 0) {
			if (++i == argc)
				usage();
			conffile = argv[i];
		} else if (strcmp(argv[i], "-V") == 0) {
			printf("sealpost %s\n", SEALPOST_VERSION);
			free(args);
			return ADMIN_OK;
		} else if (strcmp(argv[i], "-h") == 0 ||
		    strcmp(argv[i], "--help") == 0)
			usage();
		else
			args[nargs++] = argv[i];
	}
	if (nargs == 0)
		usage();
	for (c = 0; c < NCOMMANDS; c++)
		if (strcmp(args[0], commands[c].name) == 0)
			break;
	if (c == NCOMMANDS) {
		fprintf(stderr, "sealpost-admin: unknown command \"%s\"\n", args[0]);
		free(args);
		return ADMIN_USAGE;
	}
	if (config_load(&a.cfg, conffile, err, sizeof(err)) == -1) {
		fprintf(stderr, "sealpost-admin: %s\n", err);
		config_free(&a.cfg);
		free(args);
		return ADMIN_USAGE;
	}
	log_init("sealpost-admin", 1, a.cfg.syslog_facility, a.cfg.log_level);
	/* A sendmail that exits early must not kill us (mailer.h). */
	signal(SIGPIPE, SIG_IGN);
	if (sodium_init() == -1) {
		fprintf(stderr, "sealpost-admin: libsodium failed to initialise\n");
		rc = ADMIN_SYSERR;
	} else {
		g_mime_init();
		rc = commands[c].fn(&a, nargs, args);
	}
	config_free(&a.cfg);
	free(args);
	return rc;
}
