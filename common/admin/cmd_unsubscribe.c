/*
 * unsubscribe ADDRESS: what the portal's Unsubscribe does once
 * confirmed (unsubscribe.h).  A confirmed alias is refused with a
 * message that names its master.
 */
#include <stdio.h>
#include <time.h>

#include "admin.h"
#include "store.h"
#include "unsubscribe.h"

int
admin_unsubscribe(struct admin *a, int argc, char **argv)
{
	struct store			*store = NULL;
	struct unsubscribe_result	 res;
	char				 addr[ADMIN_ADDRESS_MAX + 1];
	int				 rc;

	if (argc != 2)
		return admin_usage("unsubscribe ADDRESS");
	if ((rc = admin_parse_address(argv[1], addr)) != ADMIN_OK)
		return rc;
	if ((rc = admin_store_open(a, &store)) != ADMIN_OK)
		return rc;
	switch (unsubscribe_address(store, addr, (int64_t)time(NULL), &res)) {
	case UNSUBSCRIBE_ALIAS:
		fprintf(stderr, "sealpost-admin: %s is a confirmed alias of "
		    "%s: unsubscribe %s, or remove the alias\n", addr,
		    res.master, res.master);
		rc = ADMIN_USAGE;
		break;
	case UNSUBSCRIBE_ALREADY:
		printf("%s was already unsubscribed\n", addr);
		break;
	case UNSUBSCRIBE_DONE:
		printf("%s unsubscribed: no more secure messages or "
		    "notifications, no access to those received%s\n", addr,
		    res.created ? " (account record created)" :
		    "; its sessions have ended");
		break;
	default:
		rc = admin_store_error(res.failed, res.store_status);
		break;
	}
	store_close(store);
	return rc;
}
