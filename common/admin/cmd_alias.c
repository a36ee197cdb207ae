/*
 * alias add ALIAS MASTER | remove ALIAS | list MASTER, on a user's
 * behalf.  An alias added here is confirmed at once (the administrator
 * vouches for it, as the confirmation link would have): the milter then
 * rewrites it to MASTER in secure messages' envelopes and MASTER's inbox
 * shows what is sent to it.  alias_management only governs what users
 * may do in the portal.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "admin.h"
#include "store.h"

#define ALIAS_USAGE	"alias add ALIAS MASTER | remove ALIAS | list MASTER [--json]"

struct alias_list {
	struct admin	*a;
	size_t		 n;
};

static int
alias_list_one(void *arg, const struct store_alias *al)
{
	struct alias_list	*l = arg;
	const char		*status;
	char			 t[32];

	status = al->status == STORE_ALIAS_CONFIRMED ? "confirmed" : "pending";
	if (l->a->json) {
		printf("%s\n  {\"alias\": ", l->n ? "," : "");
		json_print_string(stdout, al->alias);
		printf(", \"master\": ");
		json_print_string(stdout, al->master);
		printf(", \"status\": \"%s\", \"created\": ", status);
		json_print_time(stdout, al->created);
		printf("}");
	} else {
		admin_format_time(al->created, t, sizeof(t));
		printf("%-40s  %-9s  %s\n", al->alias, status, t);
	}
	l->n++;
	return 0;
}

static int
alias_list(struct admin *a, struct store *store, const char *master)
{
	struct alias_list	l = { a, 0 };
	struct store_account	acc;
	int			st;

	if ((st = store_get_account(store, master, &acc)) == STORE_NOTFOUND) {
		fprintf(stderr, "sealpost-admin: no account %s\n", master);
		return ADMIN_USAGE;
	}
	if (st != STORE_OK)
		return admin_store_error("get account", st);
	store_account_clear(&acc);
	if (a->json)
		printf("[");
	else
		printf("%-40s  %-9s  %s\n", "ALIAS", "STATUS", "CREATED");
	st = store_list_aliases(store, master, alias_list_one, &l);
	if (a->json)
		printf("%s]\n", l.n ? "\n" : "");
	if (st < 0)
		return admin_store_error("list aliases", st);
	return ADMIN_OK;
}

static int
alias_add(struct admin *a, struct store *store, const char *alias,
    const char *master)
{
	struct store_account	acc;
	struct store_alias	al;
	int			st;

	memset(&al, 0, sizeof(al));
	if (strcmp(alias, master) == 0) {
		fprintf(stderr, "sealpost-admin: an address cannot be its own "
		    "alias\n");
		return ADMIN_USAGE;
	}
	/* MASTER: an account's login address, not itself an alias. */
	if ((st = store_get_account(store, master, &acc)) == STORE_NOTFOUND) {
		fprintf(stderr, "sealpost-admin: no account %s (invite it "
		    "first)\n", master);
		return ADMIN_USAGE;
	}
	if (st != STORE_OK)
		return admin_store_error("get account", st);
	store_account_clear(&acc);
	if ((st = store_get_alias(store, master, &al)) == STORE_OK) {
		fprintf(stderr, "sealpost-admin: %s is itself an alias of %s\n",
		    master, al.master);
		store_alias_clear(&al);
		return ADMIN_USAGE;
	}
	if (st != STORE_NOTFOUND)
		return admin_store_error("get alias", st);
	/*
	 * ALIAS: no account of its own (merging two accounts is the user's
	 * decision, with the alias's password, in the portal), and nobody
	 * else's alias.
	 */
	if ((st = store_get_account(store, alias, &acc)) == STORE_OK) {
		store_account_clear(&acc);
		fprintf(stderr, "sealpost-admin: %s has an account of its own "
		    "(account delete it first)\n", alias);
		return ADMIN_USAGE;
	}
	if (st != STORE_NOTFOUND)
		return admin_store_error("get account", st);
	if ((st = store_get_alias(store, alias, &al)) == STORE_OK) {
		if (strcmp(al.master, master) != 0) {
			fprintf(stderr, "sealpost-admin: %s is already an alias "
			    "of %s (alias remove it first)\n", alias, al.master);
			store_alias_clear(&al);
			return ADMIN_USAGE;
		}
		if (al.status == STORE_ALIAS_CONFIRMED) {
			printf("%s is already a confirmed alias of %s\n", alias,
			    master);
			store_alias_clear(&al);
			return ADMIN_OK;
		}
		store_alias_clear(&al);
	} else if (st != STORE_NOTFOUND)
		return admin_store_error("get alias", st);

	memset(&al, 0, sizeof(al));
	al.alias = (char *)alias;
	al.master = (char *)master;
	al.status = STORE_ALIAS_CONFIRMED;
	al.created = (int64_t)time(NULL);
	if ((st = store_put_alias(store, &al)) != STORE_OK)
		return admin_store_error("put alias", st);
	/* A confirmation link still pending for it is moot now. */
	if ((st = store_delete_tokens(store, alias, STORE_TOKEN_ALIAS)) !=
	    STORE_OK && st != STORE_NOTFOUND)
		fprintf(stderr, "sealpost-admin: warning: old alias links not "
		    "deleted: %s\n", store_strerror(st));
	printf("%s is now a confirmed alias of %s\n", alias, master);
	return ADMIN_OK;
}

static int
alias_remove(struct admin *a, struct store *store, const char *alias)
{
	int	st;

	if ((st = store_delete_alias(store, alias)) == STORE_NOTFOUND) {
		fprintf(stderr, "sealpost-admin: %s is not an alias\n", alias);
		return ADMIN_USAGE;
	}
	if (st != STORE_OK)
		return admin_store_error("delete alias", st);
	printf("alias %s removed\n", alias);
	return ADMIN_OK;
}

int
admin_alias(struct admin *a, int argc, char **argv)
{
	struct store	*store = NULL;
	char		 addr[ADMIN_ADDRESS_MAX + 1];
	char		 master[ADMIN_ADDRESS_MAX + 1];
	int		 rc;

	if (argc == 4 && strcmp(argv[1], "add") == 0) {
		if ((rc = admin_parse_address(argv[2], addr)) != ADMIN_OK ||
		    (rc = admin_parse_address(argv[3], master)) != ADMIN_OK)
			return rc;
	} else if (argc == 3 && (strcmp(argv[1], "remove") == 0 ||
	    strcmp(argv[1], "list") == 0)) {
		if ((rc = admin_parse_address(argv[2], addr)) != ADMIN_OK)
			return rc;
	} else
		return admin_usage(ALIAS_USAGE);
	if ((rc = admin_store_open(a, &store)) != ADMIN_OK)
		return rc;
	if (strcmp(argv[1], "add") == 0)
		rc = alias_add(a, store, addr, master);
	else if (strcmp(argv[1], "remove") == 0)
		rc = alias_remove(a, store, addr);
	else
		rc = alias_list(a, store, addr);
	store_close(store);
	return rc;
}
