/*
 * keygen and check.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "admin.h"
#include "masterkey.h"
#include "notify.h"
#include "retention.h"
#include "store.h"

int
admin_keygen(struct admin *a, int argc, char **argv)
{
	char err[512];

	if (argc != 1) {
		fprintf(stderr, "usage: sealpost-admin keygen\n");
		return ADMIN_USAGE;
	}
	if (masterkey_create(a->cfg.master_key_file, err, sizeof(err)) == -1) {
		fprintf(stderr, "sealpost-admin: %s\n", err);
		return ADMIN_USAGE;
	}
	printf("master key created: %s\n", a->cfg.master_key_file);
	return ADMIN_OK;
}

int
admin_check(struct admin *a, int argc, char **argv)
{
	struct masterkey	*mk = NULL;
	struct store		*store = NULL;
	struct store_stats	 st;
	char			 err[512];
	int			 problems = 0;

	if (argc != 1) {
		fprintf(stderr, "usage: sealpost-admin check\n");
		return ADMIN_USAGE;
	}
	if (masterkey_load(a->cfg.master_key_file, &mk, err, sizeof(err)) == -1) {
		printf("master key: PROBLEM: %s\n", err);
		problems++;
	} else
		printf("master key: ok (%s, current key id %" PRIu32 ")\n",
		    a->cfg.master_key_file, masterkey_current_id(mk));
	if (notify_check_templates(a->cfg.templates_dir, err, sizeof(err)) == -1) {
		printf("templates: PROBLEM: %s\n", err);
		problems++;
	} else if (retention_check_template(&a->cfg, err, sizeof(err)) == -1) {
		printf("templates: PROBLEM: %s\n", err);
		problems++;
	} else
		printf("templates: ok (%s)\n", a->cfg.templates_dir);
	if (store_open(&a->cfg, 0, &store, err, sizeof(err)) == -1) {
		printf("store: PROBLEM: %s\n", err);
		problems++;
	} else if (store_stat(store, &st) != STORE_OK) {
		printf("store: PROBLEM: cannot read statistics\n");
		problems++;
	} else {
		printf("store: ok (%s, %" PRIu64 " messages, %" PRIu64 " of %"
		    PRIu64 " MiB used, map limit %" PRIu64 " MiB, %d stale "
		    "readers cleared)\n", a->cfg.store_path, st.messages,
		    st.map_used >> 20, st.map_size >> 20, st.map_max >> 20,
		    st.stale_readers);
		if (st.map_max > 0 && st.map_used > st.map_max / 10 * 9) {
			printf("store: PROBLEM: more than 90%% of store_map_size "
			    "in use\n");
			problems++;
		}
	}
	store_close(store);
	masterkey_free(mk);
	if (problems) {
		printf("%d problem%s found\n", problems, problems > 1 ? "s" : "");
		return ADMIN_SYSERR;
	}
	printf("no problems found\n");
	return ADMIN_OK;
}
