/*
 * sealpost-admin [-c file] [--json] command ...
 */
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
	{ "keygen", admin_keygen, "keygen                 create the master key file" },
	{ "check", admin_check, "check                  open store and key, report problems" },
	{ "message", admin_message, "message list [--json]  list stored messages (metadata only)" },
};

#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static void
usage(void)
{
	size_t i;

	fprintf(stderr, "usage: sealpost-admin [-c file] [--json] command ...\n"
	    "commands:\n");
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
	int		 i, nargs = 0, rc;
	size_t		 c;

	memset(&a, 0, sizeof(a));
	if ((args = calloc((size_t)argc + 1, sizeof(*args))) == NULL)
		return ADMIN_SYSERR;
	/* Options may appear anywhere: scripts write them at the end. */
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-c") == 0) {
			if (++i == argc)
				usage();
			conffile = argv[i];
		} else if (strcmp(argv[i], "--json") == 0)
			a.json = 1;
		else if (strcmp(argv[i], "-V") == 0) {
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
