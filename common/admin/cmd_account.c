/*
 * account list | show | invite | disable | enable | delete | reset.
 *
 * An invitation is an account record with no password: the portal's
 * /register sends a verification link to any address that has an
 * account not disabled or unsubscribed (routes_auth.c link_allowed), so
 * the invited address can then choose its password.  No password hash
 * is ever printed, only whether one is set.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "admin.h"
#include "store.h"

#define ACCOUNT_USAGE	"account list | show ADDRESS | invite ADDRESS | " \
	"disable ADDRESS | enable ADDRESS | delete ADDRESS | reset ADDRESS"

static const char *
account_state(const struct store_account *acc)
{
	return acc->password_hash != NULL && acc->password_hash[0] != '\0' ?
	    "registered" : "invited";
}

/* The record's fields as JSON members, without the braces. */
static void
account_print_json(const struct store_account *acc)
{
	int	n = 0, registered;

	registered = strcmp(account_state(acc), "registered") == 0;
	printf("\"address\": ");
	json_print_string(stdout, acc->address);
	printf(", \"state\": \"%s\", \"password_set\": %s, \"created\": ",
	    account_state(acc), registered ? "true" : "false");
	json_print_time(stdout, acc->created);
	printf(", \"password_changed\": ");
	json_print_time(stdout, acc->password_changed);
	printf(", \"flags\": [");
	if (acc->flags & STORE_ACCOUNT_DISABLED)
		printf("%s\"disabled\"", n++ ? ", " : "");
	if (acc->flags & STORE_ACCOUNT_UNSUBSCRIBED)
		printf("%s\"unsubscribed\"", n++ ? ", " : "");
	printf("]");
}

static void
account_flags_text(const struct store_account *acc, char *buf, size_t len)
{
	snprintf(buf, len, "%s%s%s", account_state(acc),
	    (acc->flags & STORE_ACCOUNT_DISABLED) ? ",disabled" : "",
	    (acc->flags & STORE_ACCOUNT_UNSUBSCRIBED) ? ",unsubscribed" : "");
}

struct account_list {
	struct admin	*a;
	size_t		 n;
};

static int
account_list_one(void *arg, const struct store_account *acc)
{
	struct account_list	*l = arg;
	char			 created[32], state[64];

	if (l->a->json) {
		printf("%s\n  {", l->n ? "," : "");
		account_print_json(acc);
		printf("}");
	} else {
		admin_format_time(acc->created, created, sizeof(created));
		account_flags_text(acc, state, sizeof(state));
		printf("%-40s  %-20s  %s\n", acc->address, created, state);
	}
	l->n++;
	return 0;
}

static int
account_list(struct admin *a, struct store *store)
{
	struct account_list	l = { a, 0 };
	int			st;

	if (a->json)
		printf("[");
	else
		printf("%-40s  %-20s  %s\n", "ADDRESS", "CREATED", "STATE");
	st = store_list_accounts(store, account_list_one, &l);
	if (a->json)
		printf("%s]\n", l.n ? "\n" : "");
	if (st < 0)
		return admin_store_error("list accounts", st);
	return ADMIN_OK;
}

struct alias_vec {
	struct store_alias	*v;
	size_t			 n;
	int			 oom;
};

static int
alias_collect(void *arg, const struct store_alias *al)
{
	struct alias_vec	*av = arg;
	struct store_alias	*nv;

	if ((nv = reallocarray(av->v, av->n + 1, sizeof(*nv))) == NULL)
		goto oom;
	av->v = nv;
	memset(&av->v[av->n], 0, sizeof(av->v[av->n]));
	if ((av->v[av->n].alias = strdup(al->alias)) == NULL ||
	    (av->v[av->n].master = strdup(al->master)) == NULL) {
		store_alias_clear(&av->v[av->n]);
		goto oom;
	}
	av->v[av->n].status = al->status;
	av->v[av->n].created = al->created;
	av->n++;
	return 0;
oom:
	av->oom = 1;
	return 1;
}

static void
alias_vec_clear(struct alias_vec *av)
{
	size_t	i;

	for (i = 0; i < av->n; i++)
		store_alias_clear(&av->v[i]);
	free(av->v);
	memset(av, 0, sizeof(*av));
}

static int
count_one(void *arg, const struct store_message *m)
{
	(*(size_t *)arg)++;
	return 0;
}

static int
account_show(struct admin *a, struct store *store, const char *addr)
{
	struct store_account	 acc;
	struct alias_vec	 av;
	char			 t[32], state[64];
	size_t			 received = 0, sent = 0, i;
	int			 st, rc = ADMIN_OK;

	memset(&av, 0, sizeof(av));
	if ((st = store_get_account(store, addr, &acc)) == STORE_NOTFOUND) {
		fprintf(stderr, "sealpost-admin: no account %s\n", addr);
		return ADMIN_USAGE;
	}
	if (st != STORE_OK)
		return admin_store_error("get account", st);
	if ((st = store_list_aliases(store, addr, alias_collect, &av)) < 0 ||
	    av.oom) {
		rc = admin_store_error("list aliases", av.oom ? STORE_ERROR : st);
		goto done;
	}
	if ((st = store_list_messages(store, addr, STORE_ROLE_RECIPIENT, 0, 0,
	    count_one, &received)) < 0 ||
	    (st = store_list_messages(store, addr, STORE_ROLE_SENDER, 0, 0,
	    count_one, &sent)) < 0) {
		rc = admin_store_error("list messages", st);
		goto done;
	}
	if (a->json) {
		printf("{");
		account_print_json(&acc);
		printf(", \"messages_received\": %zu, \"messages_sent\": %zu, "
		    "\"aliases\": [", received, sent);
		for (i = 0; i < av.n; i++) {
			printf("%s{\"alias\": ", i ? ", " : "");
			json_print_string(stdout, av.v[i].alias);
			printf(", \"status\": \"%s\"}",
			    av.v[i].status == STORE_ALIAS_CONFIRMED ?
			    "confirmed" : "pending");
		}
		printf("]}\n");
		goto done;
	}
	account_flags_text(&acc, state, sizeof(state));
	printf("address:           %s\n", acc.address);
	printf("state:             %s\n", state);
	admin_format_time(acc.created, t, sizeof(t));
	printf("created:           %s\n", t);
	admin_format_time(acc.password_changed, t, sizeof(t));
	printf("password changed:  %s\n", t);
	printf("messages received: %zu\n", received);
	printf("messages sent:     %zu\n", sent);
	printf("aliases:%s\n", av.n ? "" : "           none");
	for (i = 0; i < av.n; i++)
		printf("  %s (%s)\n", av.v[i].alias,
		    av.v[i].status == STORE_ALIAS_CONFIRMED ?
		    "confirmed" : "pending");
done:
	alias_vec_clear(&av);
	store_account_clear(&acc);
	return rc;
}

/* Invite: an account record without a password, if there is none. */
static int
account_invite(struct admin *a, struct store *store, const char *addr)
{
	struct store_account	 acc;
	struct store_alias	 al;
	char			 state[64];
	int			 st;

	st = store_get_account(store, addr, &acc);
	if (st == STORE_OK) {
		account_flags_text(&acc, state, sizeof(state));
		printf("%s already has an account (%s)\n", addr, state);
		store_account_clear(&acc);
		return ADMIN_OK;
	}
	if (st != STORE_NOTFOUND)
		return admin_store_error("get account", st);
	/* A confirmed alias logs in as its master: no account of its own. */
	if ((st = store_get_alias(store, addr, &al)) == STORE_OK) {
		fprintf(stderr, "sealpost-admin: %s is an alias of %s\n", addr,
		    al.master);
		store_alias_clear(&al);
		return ADMIN_USAGE;
	}
	if (st != STORE_NOTFOUND)
		return admin_store_error("get alias", st);
	memset(&acc, 0, sizeof(acc));
	acc.address = (char *)addr;
	acc.password_hash = "";
	acc.created = (int64_t)time(NULL);
	if ((st = store_put_account(store, &acc)) != STORE_OK)
		return admin_store_error("put account", st);
	printf("%s invited: it can register at %s/register\n", addr,
	    a->cfg.portal_url);
	return ADMIN_OK;
}

static int
account_set_disabled(struct admin *a, struct store *store, const char *addr,
    int disable)
{
	struct store_account	acc;
	int			st;

	if ((st = store_get_account(store, addr, &acc)) == STORE_NOTFOUND) {
		fprintf(stderr, "sealpost-admin: no account %s\n", addr);
		return ADMIN_USAGE;
	}
	if (st != STORE_OK)
		return admin_store_error("get account", st);
	if (disable)
		acc.flags |= STORE_ACCOUNT_DISABLED;
	else	/* enable also undoes an unsubscribe */
		acc.flags &= ~(uint32_t)(STORE_ACCOUNT_DISABLED |
		    STORE_ACCOUNT_UNSUBSCRIBED);
	st = store_put_account(store, &acc);
	store_account_clear(&acc);
	if (st != STORE_OK)
		return admin_store_error("put account", st);
	if (disable && (st = store_delete_sessions(store, addr)) != STORE_OK &&
	    st != STORE_NOTFOUND)
		return admin_store_error("end sessions", st);
	printf("%s %s\n", addr, disable ? "disabled: its sessions have ended" :
	    "enabled");
	return ADMIN_OK;
}

static int
account_delete(struct admin *a, struct store *store, const char *addr)
{
	struct alias_vec	av;
	size_t			i;
	int			st, kind;

	memset(&av, 0, sizeof(av));
	if ((st = store_list_aliases(store, addr, alias_collect, &av)) < 0 ||
	    av.oom) {
		alias_vec_clear(&av);
		return admin_store_error("list aliases",
		    av.oom ? STORE_ERROR : st);
	}
	if ((st = store_delete_account(store, addr)) == STORE_NOTFOUND) {
		alias_vec_clear(&av);
		fprintf(stderr, "sealpost-admin: no account %s\n", addr);
		return ADMIN_USAGE;
	}
	if (st != STORE_OK) {
		alias_vec_clear(&av);
		return admin_store_error("delete account", st);
	}
	/* Its aliases would otherwise lead to an address nobody owns. */
	for (i = 0; i < av.n; i++)
		if ((st = store_delete_alias(store, av.v[i].alias)) !=
		    STORE_OK && st != STORE_NOTFOUND) {
			alias_vec_clear(&av);
			return admin_store_error("delete alias", st);
		}
	/* Links sent before (register, reset, alias, unsubscribe). */
	for (kind = STORE_TOKEN_VERIFY; kind <= STORE_TOKEN_UNSUBSCRIBE; kind++)
		if ((st = store_delete_tokens(store, addr, kind)) != STORE_OK &&
		    st != STORE_NOTFOUND) {
			alias_vec_clear(&av);
			return admin_store_error("delete links", st);
		}
	printf("%s deleted, with its sessions, links and %zu alias%s; its "
	    "messages stay until they expire\n", addr, av.n,
	    av.n == 1 ? "" : "es");
	alias_vec_clear(&av);
	return ADMIN_OK;
}

int
admin_account(struct admin *a, int argc, char **argv)
{
	struct store	*store = NULL;
	char		 addr[ADMIN_ADDRESS_MAX + 1];
	const char	*sub;
	int		 rc;

	if (argc == 2 && strcmp(argv[1], "list") == 0) {
		if ((rc = admin_store_open(a, &store)) != ADMIN_OK)
			return rc;
		rc = account_list(a, store);
		store_close(store);
		return rc;
	}
	if (argc != 3)
		return admin_usage(ACCOUNT_USAGE);
	sub = argv[1];
	if (strcmp(sub, "show") != 0 && strcmp(sub, "invite") != 0 &&
	    strcmp(sub, "disable") != 0 && strcmp(sub, "enable") != 0 &&
	    strcmp(sub, "delete") != 0 && strcmp(sub, "reset") != 0)
		return admin_usage(ACCOUNT_USAGE);
	if ((rc = admin_parse_address(argv[2], addr)) != ADMIN_OK)
		return rc;
	if (strcmp(sub, "reset") == 0)
		return admin_reset(a, addr);
	if ((rc = admin_store_open(a, &store)) != ADMIN_OK)
		return rc;
	if (strcmp(sub, "show") == 0)
		rc = account_show(a, store, addr);
	else if (strcmp(sub, "invite") == 0)
		rc = account_invite(a, store, addr);
	else if (strcmp(sub, "disable") == 0)
		rc = account_set_disabled(a, store, addr, 1);
	else if (strcmp(sub, "enable") == 0)
		rc = account_set_disabled(a, store, addr, 0);
	else
		rc = account_delete(a, store, addr);
	store_close(store);
	return rc;
}
