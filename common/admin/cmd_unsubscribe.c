/*
 * unsubscribe ADDRESS: what the portal's Unsubscribe does once
 * confirmed.  The account is marked STORE_ACCOUNT_UNSUBSCRIBED (an
 * account record without a password is made for an address that has
 * none, so that the milter drops it from secure messages' envelopes and
 * tells the sender); its sessions end, and it loses access to every
 * message, since the portal refuses unsubscribed accounts.
 *
 * A confirmed alias is refused: the milter checks its master's account,
 * so the choice is between unsubscribing the master and removing the
 * alias, and that is the administrator's to make explicitly.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "admin.h"
#include "store.h"

int
admin_unsubscribe(struct admin *a, int argc, char **argv)
{
	struct store		*store = NULL;
	struct store_account	 acc;
	struct store_alias	 al;
	char			 addr[ADMIN_ADDRESS_MAX + 1];
	int			 st, rc, created = 0;

	memset(&acc, 0, sizeof(acc));
	if (argc != 2)
		return admin_usage("unsubscribe ADDRESS");
	if ((rc = admin_parse_address(argv[1], addr)) != ADMIN_OK)
		return rc;
	if ((rc = admin_store_open(a, &store)) != ADMIN_OK)
		return rc;
	if ((st = store_get_alias(store, addr, &al)) == STORE_OK) {
		if (al.status == STORE_ALIAS_CONFIRMED) {
			fprintf(stderr, "sealpost-admin: %s is a confirmed alias "
			    "of %s: unsubscribe %s, or remove the alias\n", addr,
			    al.master, al.master);
			store_alias_clear(&al);
			rc = ADMIN_USAGE;
			goto done;
		}
		store_alias_clear(&al);
	} else if (st != STORE_NOTFOUND) {
		rc = admin_store_error("get alias", st);
		goto done;
	}
	st = store_get_account(store, addr, &acc);
	if (st == STORE_NOTFOUND) {
		memset(&acc, 0, sizeof(acc));
		acc.address = addr;
		acc.password_hash = "";
		acc.created = (int64_t)time(NULL);
		created = 1;
	} else if (st != STORE_OK) {
		rc = admin_store_error("get account", st);
		goto done;
	} else if (acc.flags & STORE_ACCOUNT_UNSUBSCRIBED) {
		printf("%s was already unsubscribed\n", addr);
		goto done;
	}
	acc.flags |= STORE_ACCOUNT_UNSUBSCRIBED;
	st = store_put_account(store, &acc);
	if (created)
		memset(&acc, 0, sizeof(acc));	/* nothing of it is ours */
	if (st != STORE_OK) {
		rc = admin_store_error("put account", st);
		goto done;
	}
	if ((st = store_delete_sessions(store, addr)) != STORE_OK &&
	    st != STORE_NOTFOUND) {
		rc = admin_store_error("end sessions", st);
		goto done;
	}
	printf("%s unsubscribed: no more secure messages or notifications, "
	    "no access to those received%s\n", addr,
	    created ? " (account record created)" : "; its sessions have ended");
done:
	store_account_clear(&acc);
	store_close(store);
	return rc;
}
