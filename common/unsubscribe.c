/*
 * unsubscribe_address: the flag, the sessions, the links.  Each step is
 * its own store transaction; the flag comes first, so that once it is
 * set nothing else lets the account in (auth refuses it), and a failure
 * afterwards leaves at worst a session or link that no longer works.
 */
#include <stdio.h>
#include <string.h>

#include "store.h"
#include "unsubscribe.h"

static int
fail(struct unsubscribe_result *res, const char *what, int st)
{
	res->failed = what;
	res->store_status = st;
	return UNSUBSCRIBE_ERROR;
}

int
unsubscribe_address(struct store *st, const char *address, int64_t now,
    struct unsubscribe_result *res)
{
	struct store_account	 acc;
	struct store_alias	 al;
	int			 s, kind, rc = UNSUBSCRIBE_DONE;

	memset(res, 0, sizeof(*res));
	memset(&acc, 0, sizeof(acc));
	if ((s = store_get_alias(st, address, &al)) == STORE_OK) {
		if (al.status == STORE_ALIAS_CONFIRMED) {
			snprintf(res->master, sizeof(res->master), "%s",
			    al.master);
			store_alias_clear(&al);
			return UNSUBSCRIBE_ALIAS;
		}
		store_alias_clear(&al);
	} else if (s != STORE_NOTFOUND)
		return fail(res, "get alias", s);

	s = store_get_account(st, address, &acc);
	if (s == STORE_NOTFOUND) {
		acc.address = (char *)address;
		acc.password_hash = "";
		acc.created = now;
		res->created = 1;
	} else if (s != STORE_OK)
		return fail(res, "get account", s);
	if (acc.flags & STORE_ACCOUNT_UNSUBSCRIBED)
		rc = UNSUBSCRIBE_ALREADY;
	else {
		acc.flags |= STORE_ACCOUNT_UNSUBSCRIBED;
		s = store_put_account(st, &acc);
	}
	if (res->created)
		memset(&acc, 0, sizeof(acc));	/* nothing of it is ours */
	store_account_clear(&acc);
	if (rc == UNSUBSCRIBE_DONE && s != STORE_OK)
		return fail(res, "put account", s);

	if ((s = store_delete_sessions(st, address)) != STORE_OK &&
	    s != STORE_NOTFOUND)
		return fail(res, "end sessions", s);
	for (kind = STORE_TOKEN_VERIFY; kind <= STORE_TOKEN_UNSUBSCRIBE; kind++)
		if ((s = store_delete_tokens(st, address, kind)) != STORE_OK &&
		    s != STORE_NOTFOUND)
			return fail(res, "delete links", s);
	return rc;
}
