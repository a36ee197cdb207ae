/*
 * message list, message show ID, message revoke ID: metadata only, never
 * a subject or any content (nothing here holds the master key).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "admin.h"
#include "msgid.h"
#include "retention.h"
#include "store.h"

#define MESSAGE_USAGE	"message list | show ID | revoke ID [--json]"

struct list_state {
	struct admin	*a;
	size_t		 n;
};

/* The key id a data key is wrapped under (envelope.h: first 4 bytes). */
static uint32_t
wrapped_key_id(const struct store_message *m)
{
	const uint8_t	*p = m->wrapped_key;

	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static void
print_flags_json(const struct store_message *m)
{
	int	n = 0;

	printf("[");
	if (m->flags & STORE_MSG_REVOKED)
		printf("%s\"revoked\"", n++ ? ", " : "");
	if (m->flags & STORE_MSG_REMINDED)
		printf("%s\"reminded\"", n++ ? ", " : "");
	printf("]");
}

static int
print_message(void *arg, const struct store_message *m)
{
	struct list_state	*ls = arg;
	char			 id[MSGID_STRLEN + 1], rcv[32], exp[32];
	size_t			 i;

	msgid_encode(m->id, id);
	admin_format_time(m->received, rcv, sizeof(rcv));
	admin_format_time(m->expires, exp, sizeof(exp));
	if (ls->a->json) {
		printf("%s\n  {\"id\": \"%s\", \"sender\": ", ls->n ? "," : "", id);
		json_print_string(stdout, m->sender);
		printf(", \"recipients\": [");
		for (i = 0; i < m->nrecipients; i++) {
			printf("%s", i ? ", " : "");
			json_print_string(stdout, m->recipients[i]);
		}
		printf("], \"received\": \"%s\", \"expires\": \"%s\", "
		    "\"size\": %" PRIu64 ", \"attachments\": %u, \"flags\": ",
		    rcv, exp, m->size, m->attachments);
		print_flags_json(m);
		printf("}");
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

static int
message_list(struct admin *a, struct store *store)
{
	struct list_state	ls = { a, 0 };
	int			st;

	if (a->json)
		printf("[");
	else
		printf("%-22s  %-20s  %10s  %2s  %s\n", "ID", "RECEIVED", "SIZE",
		    "AT", "SENDER -> RECIPIENTS");
	st = store_list_messages(store, NULL, STORE_ROLE_RECIPIENT, 0, 0,
	    print_message, &ls);
	if (a->json)
		printf("%s]\n", ls.n ? "\n" : "");
	if (st < 0)
		return admin_store_error("list messages", st);
	return ADMIN_OK;
}

static int
message_show(struct admin *a, struct store *store, const uint8_t *id)
{
	struct store_message	 m;
	char			 idstr[MSGID_STRLEN + 1], t[32];
	int64_t			*opened = NULL;
	size_t			 i;
	int			 st, rc = ADMIN_OK;

	msgid_encode(id, idstr);
	if ((st = store_get_message(store, id, &m)) == STORE_NOTFOUND) {
		fprintf(stderr, "sealpost-admin: no message %s\n", idstr);
		return ADMIN_USAGE;
	}
	if (st != STORE_OK)
		return admin_store_error("get message", st);
	if (m.nrecipients > 0 &&
	    (opened = calloc(m.nrecipients, sizeof(*opened))) == NULL) {
		fprintf(stderr, "sealpost-admin: out of memory\n");
		rc = ADMIN_SYSERR;
		goto done;
	}
	for (i = 0; i < m.nrecipients; i++) {
		st = store_get_open(store, id, m.recipients[i], &opened[i]);
		if (st == STORE_NOTFOUND)
			opened[i] = 0;
		else if (st != STORE_OK) {
			rc = admin_store_error("get open", st);
			goto done;
		}
	}
	if (a->json) {
		printf("{\"id\": \"%s\", \"sender\": ", idstr);
		json_print_string(stdout, m.sender);
		printf(", \"recipients\": [");
		for (i = 0; i < m.nrecipients; i++) {
			printf("%s", i ? ", " : "");
			json_print_string(stdout, m.recipients[i]);
		}
		printf("], \"opened\": {");
		for (i = 0; i < m.nrecipients; i++) {
			printf("%s", i ? ", " : "");
			json_print_string(stdout, m.recipients[i]);
			printf(": ");
			json_print_time(stdout, opened[i]);
		}
		printf("}, \"received\": ");
		json_print_time(stdout, m.received);
		printf(", \"expires\": ");
		json_print_time(stdout, m.expires);
		printf(", \"size\": %" PRIu64 ", \"attachments\": %u, "
		    "\"chunks\": %u, \"key_id\": %" PRIu32 ", \"flags\": ",
		    m.size, m.attachments, m.nchunks, wrapped_key_id(&m));
		print_flags_json(&m);
		printf("}\n");
		goto done;
	}
	printf("id:           %s\n", idstr);
	printf("sender:       <%s>\n", m.sender);
	admin_format_time(m.received, t, sizeof(t));
	printf("received:     %s\n", t);
	admin_format_time(m.expires, t, sizeof(t));
	printf("expires:      %s\n", t);
	printf("size:         %" PRIu64 " bytes in %u chunk%s\n", m.size,
	    m.nchunks, m.nchunks == 1 ? "" : "s");
	printf("attachments:  %u\n", m.attachments);
	printf("master key:   %" PRIu32 "\n", wrapped_key_id(&m));
	printf("flags:        %s%s%s\n",
	    (m.flags & (STORE_MSG_REVOKED | STORE_MSG_REMINDED)) ? "" : "none",
	    (m.flags & STORE_MSG_REVOKED) ? "revoked" : "",
	    (m.flags & STORE_MSG_REMINDED) ? ((m.flags & STORE_MSG_REVOKED) ?
	    ", reminded" : "reminded") : "");
	printf("recipients:\n");
	for (i = 0; i < m.nrecipients; i++) {
		admin_format_time(opened[i], t, sizeof(t));
		printf("  <%s>  %s%s\n", m.recipients[i],
		    opened[i] ? "first opened " : "not opened",
		    opened[i] ? t : "");
	}
done:
	free(opened);
	store_message_clear(&m);
	return rc;
}

static int
message_revoke(struct admin *a, struct store *store, const uint8_t *id)
{
	struct store_message	 m;
	char			 idstr[MSGID_STRLEN + 1], t[32];
	int64_t			 until;
	int			 st;

	msgid_encode(id, idstr);
	if ((st = store_get_message(store, id, &m)) == STORE_NOTFOUND) {
		fprintf(stderr, "sealpost-admin: no message %s\n", idstr);
		return ADMIN_USAGE;
	}
	if (st != STORE_OK)
		return admin_store_error("get message", st);
	if (m.flags & STORE_MSG_REVOKED) {
		admin_format_time(m.expires, t, sizeof(t));
		printf("%s was already revoked (deleted after %s)\n", idstr, t);
		store_message_clear(&m);
		return ADMIN_OK;
	}
	st = store_set_flags(store, id, STORE_MSG_REVOKED, 0);
	if (st == STORE_NOTFOUND) {
		fprintf(stderr, "sealpost-admin: no message %s\n", idstr);
		store_message_clear(&m);
		return ADMIN_USAGE;
	}
	if (st != STORE_OK) {
		store_message_clear(&m);
		return admin_store_error("revoke", st);
	}
	/* The day of grace of retention.h starts now; should this fail, the
	 * next retention run sets it. */
	until = (int64_t)time(NULL) + RETENTION_REVOKED_GRACE;
	if (m.expires > until &&
	    (st = store_set_expires(store, id, until)) != STORE_OK &&
	    st != STORE_NOTFOUND)
		fprintf(stderr, "sealpost-admin: warning: expiry not moved: "
		    "%s\n", store_strerror(st));
	else if (m.expires < until)
		until = m.expires;
	admin_format_time(until, t, sizeof(t));
	printf("%s revoked: its recipients can no longer open it; deleted "
	    "after %s\n", idstr, t);
	store_message_clear(&m);
	return ADMIN_OK;
}

int
admin_message(struct admin *a, int argc, char **argv)
{
	struct store	*store = NULL;
	uint8_t		 id[MSGID_LEN];
	int		 rc;

	if (argc == 2 && strcmp(argv[1], "list") == 0) {
		if ((rc = admin_store_open(a, &store)) != ADMIN_OK)
			return rc;
		rc = message_list(a, store);
	} else if (argc == 3 && (strcmp(argv[1], "show") == 0 ||
	    strcmp(argv[1], "revoke") == 0)) {
		if ((rc = admin_parse_id(argv[2], id)) != ADMIN_OK)
			return rc;
		if ((rc = admin_store_open(a, &store)) != ADMIN_OK)
			return rc;
		if (strcmp(argv[1], "show") == 0)
			rc = message_show(a, store, id);
		else
			rc = message_revoke(a, store, id);
	} else
		return admin_usage(MESSAGE_USAGE);
	store_close(store);
	return rc;
}
