/*
 * purge: one retention run now (retention.h), the same the portal runs
 * every hour: expired and day-old revoked messages deleted, expiry
 * reminders sent.
 */
#include <stdio.h>
#include <time.h>

#include "admin.h"
#include "retention.h"

int
admin_purge(struct admin *a, int argc, char **argv)
{
	struct retention_report	 r;
	struct store		*store = NULL;
	int			 rc;

	if (argc != 1)
		return admin_usage("purge [--json]");
	if ((rc = admin_store_open(a, &store)) != ADMIN_OK)
		return rc;
	/* mk: reminders need no key (retention.h). */
	rc = retention_run(store, &a->cfg, NULL, time(NULL), &r) == 0 ?
	    ADMIN_OK : ADMIN_SYSERR;
	store_close(store);
	if (a->json)
		printf("{\"ok\": %s, \"scanned\": %zu, \"purged_expired\": %zu, "
		    "\"purged_revoked\": %zu, \"revoked_scheduled\": %zu, "
		    "\"reminded_messages\": %zu, \"reminders_sent\": %zu, "
		    "\"reminder_failures\": %zu, \"store_errors\": %zu}\n",
		    rc == ADMIN_OK ? "true" : "false", r.scanned,
		    r.purged_expired, r.purged_revoked, r.revoked_scheduled,
		    r.reminded_messages, r.reminders_sent, r.reminder_failures,
		    r.store_errors);
	else {
		printf("%zu message%s looked at\n", r.scanned,
		    r.scanned == 1 ? "" : "s");
		printf("%zu expired message%s deleted\n", r.purged_expired,
		    r.purged_expired == 1 ? "" : "s");
		printf("%zu revoked message%s deleted, %zu more to be deleted "
		    "in a day\n", r.purged_revoked,
		    r.purged_revoked == 1 ? "" : "s", r.revoked_scheduled);
		printf("%zu reminder%s sent for %zu message%s\n",
		    r.reminders_sent, r.reminders_sent == 1 ? "" : "s",
		    r.reminded_messages, r.reminded_messages == 1 ? "" : "s");
	}
	if (rc != ADMIN_OK)
		fprintf(stderr, "sealpost-admin: purge: %zu store error%s, "
		    "%zu reminder%s not sent (see the log)\n", r.store_errors,
		    r.store_errors == 1 ? "" : "s", r.reminder_failures,
		    r.reminder_failures == 1 ? "" : "s");
	return rc;
}
