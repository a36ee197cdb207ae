/*
 * message list: metadata only, never content.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "admin.h"
#include "msgid.h"
#include "store.h"

struct list_state {
	struct admin	*a;
	size_t		 n;
};

static void
format_time(int64_t t, char *buf, size_t len)
{
	time_t		tt = (time_t)t;
	struct tm	tm;

	gmtime_r(&tt, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static int
print_message(void *arg, const struct store_message *m)
{
	struct list_state	*ls = arg;
	char			 id[MSGID_STRLEN + 1], rcv[32], exp[32];
	size_t			 i;

	msgid_encode(m->id, id);
	format_time(m->received, rcv, sizeof(rcv));
	format_time(m->expires, exp, sizeof(exp));
	if (ls->a->json) {
		printf("%s\n  {\"id\": \"%s\", \"sender\": ", ls->n ? "," : "", id);
		json_print_string(stdout, m->sender);
		printf(", \"recipients\": [");
		for (i = 0; i < m->nrecipients; i++) {
			printf("%s", i ? ", " : "");
			json_print_string(stdout, m->recipients[i]);
		}
		printf("], \"received\": \"%s\", \"expires\": \"%s\", "
		    "\"size\": %" PRIu64 ", \"attachments\": %u, "
		    "\"flags\": [%s]}", rcv, exp, m->size, m->attachments,
		    (m->flags & STORE_MSG_REVOKED) ? "\"revoked\"" : "");
	} else {
		printf("%s  %s  %10" PRIu64 "  %2u  <%s> ->", id, rcv, m->size,
		    m->attachments, m->sender);
		for (i = 0; i < m->nrecipients; i++)
			printf(" <%s>", m->recipients[i]);
		printf("%s\n", (m->flags & STORE_MSG_REVOKED) ? " (revoked)" : "");
	}
	ls->n++;
	return 0;
}

int
admin_message(struct admin *a, int argc, char **argv)
{
	struct store		*store = NULL;
	struct list_state	 ls = { a, 0 };
	char			 err[512];
	int			 st;

	if (argc < 2 || strcmp(argv[1], "list") != 0 || argc > 2) {
		fprintf(stderr, "usage: sealpost-admin message list [--json]\n");
		return ADMIN_USAGE;
	}
	if (store_open(&a->cfg, 0, &store, err, sizeof(err)) == -1) {
		fprintf(stderr, "sealpost-admin: store: %s\n", err);
		return ADMIN_SYSERR;
	}
	if (a->json)
		printf("[");
	else
		printf("%-22s  %-20s  %10s  %2s  %s\n", "ID", "RECEIVED", "SIZE",
		    "AT", "SENDER -> RECIPIENTS");
	st = store_list_messages(store, NULL, STORE_ROLE_RECIPIENT, 0, 0,
	    print_message, &ls);
	if (a->json)
		printf("%s]\n", ls.n ? "\n" : "");
	store_close(store);
	if (st < 0) {
		fprintf(stderr, "sealpost-admin: store: %s\n", store_strerror(st));
		return ADMIN_SYSERR;
	}
	return ADMIN_OK;
}
