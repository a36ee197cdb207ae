/*
 * stats: the store's counts and map usage (store_stat; also clears the
 * reader slots of dead processes).
 */
#include <inttypes.h>
#include <stdio.h>

#include "admin.h"
#include "store.h"

int
admin_stats(struct admin *a, int argc, char **argv)
{
	struct store		*store = NULL;
	struct store_stats	 s;
	int			 st, rc;

	if (argc != 1)
		return admin_usage("stats [--json]");
	if ((rc = admin_store_open(a, &store)) != ADMIN_OK)
		return rc;
	st = store_stat(store, &s);
	store_close(store);
	if (st != STORE_OK)
		return admin_store_error("stat", st);
	if (a->json) {
		printf("{\"messages\": %" PRIu64 ", \"accounts\": %" PRIu64
		    ", \"sessions\": %" PRIu64 ", \"tokens\": %" PRIu64
		    ", \"map_size\": %" PRIu64 ", \"map_max\": %" PRIu64
		    ", \"map_used\": %" PRIu64 ", \"stale_readers_cleared\": "
		    "%d}\n", s.messages, s.accounts, s.sessions, s.tokens,
		    s.map_size, s.map_max, s.map_used, s.stale_readers);
		return ADMIN_OK;
	}
	printf("messages:       %" PRIu64 "\n", s.messages);
	printf("accounts:       %" PRIu64 "\n", s.accounts);
	printf("sessions:       %" PRIu64 "\n", s.sessions);
	printf("pending links:  %" PRIu64 "\n", s.tokens);
	printf("store used:     %" PRIu64 " MiB of %" PRIu64 " MiB mapped "
	    "(%.1f%% of store_map_size %" PRIu64 " MiB)\n", s.map_used >> 20,
	    s.map_size >> 20, s.map_max > 0 ?
	    100.0 * (double)s.map_used / (double)s.map_max : 0.0,
	    s.map_max >> 20);
	printf("stale readers:  %d cleared\n", s.stale_readers);
	return ADMIN_OK;
}
