/*
 * Unsubscribing an address (SPEC "Unsubscribe"): what sealpost-admin
 * unsubscribe and the portal's confirmed /unsubscribe both do.
 *
 * The account is marked STORE_ACCOUNT_UNSUBSCRIBED; an address without
 * an account gets a record without a password, so that the milter drops
 * it from later secure messages' envelopes and tells the sender
 * (milter/message.c resolve_recipients).  Its sessions end and its
 * pending links (register, reset, alias, unsubscribe) are deleted; the
 * portal refuses logins and sessions of an unsubscribed account, so it
 * loses access to every message received so far.  Only an administrator
 * undoes it (sealpost-admin account enable).
 *
 * A confirmed alias is refused: the milter checks its master's account,
 * so the choice is between unsubscribing the master and removing the
 * alias, and that is made explicitly, by the master or an administrator.
 */
#ifndef SEALPOST_UNSUBSCRIBE_H
#define SEALPOST_UNSUBSCRIBE_H

#include <stddef.h>
#include <stdint.h>

struct store;

enum unsubscribe_status {
	UNSUBSCRIBE_DONE = 0,		/* unsubscribed now */
	UNSUBSCRIBE_ALREADY = 1,	/* it was; sessions and links cleared */
	UNSUBSCRIBE_ALIAS = 2,		/* a confirmed alias: nothing done */
	UNSUBSCRIBE_ERROR = -1,		/* the store failed; see the result */
};

struct unsubscribe_result {
	int		 created;	/* the account record was made */
	char		 master[256];	/* UNSUBSCRIBE_ALIAS: its account */
	const char	*failed;	/* UNSUBSCRIBE_ERROR: what, for logs */
	int		 store_status;	/* UNSUBSCRIBE_ERROR: the store's */
};

/*
 * Unsubscribe address (lowercased by the store) at now.  Store only, no
 * mail: safe on any thread.  Returns an enum unsubscribe_status and
 * fills *res.
 */
int	unsubscribe_address(struct store *st, const char *address,
	    int64_t now, struct unsubscribe_result *res)
	    __attribute__((warn_unused_result));

#endif
