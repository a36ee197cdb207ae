/*
 * Aliases in the store: put/get/list/delete, re-pointing, and "promote to
 * master" moving the account, ending its sessions and re-pointing the
 * other aliases, all in one transaction.
 */
#include <sys/stat.h>

#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "config.h"
#include "store.h"

struct fx {
	char		 dir[64];
	struct config	 cfg;
	struct store	*st;
};

static int
rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *f)
{
	(void)sb; (void)flag; (void)f;
	return remove(path);
}

static int
setup(void **state)
{
	struct fx	*fx;
	char		 text[256], err[256];

	fx = calloc(1, sizeof(*fx));
	assert_non_null(fx);
	strcpy(fx->dir, "/tmp/sp-alias-XXXXXX");
	assert_non_null(mkdtemp(fx->dir));
	snprintf(text, sizeof(text), "store_path = %s/store\n"
	    "store_map_size = 64M\n", fx->dir);
	if (config_load_string(&fx->cfg, "t.conf", text, err,
	    sizeof(err)) == -1)
		fail_msg("%s", err);
	if (store_open(&fx->cfg, STORE_OPEN_CREATE, &fx->st, err,
	    sizeof(err)) == -1)
		fail_msg("%s", err);
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *fx = *state;

	store_close(fx->st);
	config_free(&fx->cfg);
	nftw(fx->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	free(fx);
	return 0;
}

static void
put_alias(struct store *st, const char *alias, const char *master, int status)
{
	struct store_alias a = { (char *)alias, (char *)master, status, 100 };

	assert_int_equal(store_put_alias(st, &a), STORE_OK);
}

struct collected {
	char	names[8][64];
	int	n;
};

static int
collect(void *arg, const struct store_alias *a)
{
	struct collected *c = arg;

	if (c->n < 8)
		snprintf(c->names[c->n++], sizeof(c->names[0]), "%s%s", a->alias,
		    a->status == STORE_ALIAS_PENDING ? " (pending)" : "");
	return 0;
}

static void
test_put_get_list_delete(void **state)
{
	struct fx		*fx = *state;
	struct store_alias	 a;
	struct collected	 c = { .n = 0 };

	put_alias(fx->st, "Bob.Work@Example.COM", "bob@example.com",
	    STORE_ALIAS_PENDING);
	put_alias(fx->st, "bob@home.test", "bob@example.com",
	    STORE_ALIAS_CONFIRMED);
	assert_int_equal(store_get_alias(fx->st, "bob.work@example.com", &a),
	    STORE_OK);
	assert_string_equal(a.alias, "bob.work@example.com");
	assert_string_equal(a.master, "bob@example.com");
	assert_int_equal(a.status, STORE_ALIAS_PENDING);
	store_alias_clear(&a);
	assert_int_equal(store_list_aliases(fx->st, "BOB@example.com", collect,
	    &c), STORE_OK);
	assert_int_equal(c.n, 2);
	assert_string_equal(c.names[0], "bob.work@example.com (pending)");
	assert_string_equal(c.names[1], "bob@home.test");

	/* Confirming replaces the record; re-pointing moves the index. */
	put_alias(fx->st, "bob.work@example.com", "carol@example.com",
	    STORE_ALIAS_CONFIRMED);
	c.n = 0;
	assert_int_equal(store_list_aliases(fx->st, "bob@example.com", collect,
	    &c), STORE_OK);
	assert_int_equal(c.n, 1);
	c.n = 0;
	assert_int_equal(store_list_aliases(fx->st, "carol@example.com",
	    collect, &c), STORE_OK);
	assert_int_equal(c.n, 1);

	assert_int_equal(store_delete_alias(fx->st, "bob@home.test"), STORE_OK);
	assert_int_equal(store_get_alias(fx->st, "bob@home.test", &a),
	    STORE_NOTFOUND);
	assert_int_equal(store_delete_alias(fx->st, "bob@home.test"),
	    STORE_NOTFOUND);
	/* An alias of itself is refused. */
	a.alias = "x@example.com";
	a.master = "X@example.com";
	a.status = STORE_ALIAS_CONFIRMED;
	a.created = 1;
	assert_int_equal(store_put_alias(fx->st, &a), STORE_ERROR);
}

static void
test_promote(void **state)
{
	struct fx		*fx = *state;
	struct store_account	 acc = { "alice@example.com", "$argon2id$x",
				    0, 10, 20 };
	struct store_session	 ses;
	struct store_alias	 a;
	struct collected	 c = { .n = 0 };

	assert_int_equal(store_put_account(fx->st, &acc), STORE_OK);
	memset(&ses, 0, sizeof(ses));
	memset(ses.key, 7, sizeof(ses.key));
	ses.address = "alice@example.com";
	ses.created = ses.last_seen = 30;
	assert_int_equal(store_put_session(fx->st, &ses), STORE_OK);
	put_alias(fx->st, "alice@new.test", "alice@example.com",
	    STORE_ALIAS_CONFIRMED);
	put_alias(fx->st, "ali@example.com", "alice@example.com",
	    STORE_ALIAS_CONFIRMED);
	put_alias(fx->st, "pending@example.com", "alice@example.com",
	    STORE_ALIAS_PENDING);

	/* Only a confirmed alias can be promoted. */
	assert_int_equal(store_promote_alias(fx->st, "pending@example.com"),
	    STORE_NOTFOUND);
	assert_int_equal(store_promote_alias(fx->st, "nobody@example.com"),
	    STORE_NOTFOUND);
	assert_int_equal(store_promote_alias(fx->st, "Alice@New.test"),
	    STORE_OK);

	/* The account moved, password and dates kept. */
	memset(&acc, 0, sizeof(acc));
	assert_int_equal(store_get_account(fx->st, "alice@new.test", &acc),
	    STORE_OK);
	assert_string_equal(acc.password_hash, "$argon2id$x");
	assert_int_equal(acc.created, 10);
	store_account_clear(&acc);
	assert_int_equal(store_get_account(fx->st, "alice@example.com", &acc),
	    STORE_NOTFOUND);
	/* Its sessions ended. */
	assert_int_equal(store_get_session(fx->st, ses.key, &ses),
	    STORE_NOTFOUND);
	/* The old master is a confirmed alias; the others follow. */
	assert_int_equal(store_get_alias(fx->st, "alice@example.com", &a),
	    STORE_OK);
	assert_string_equal(a.master, "alice@new.test");
	assert_int_equal(a.status, STORE_ALIAS_CONFIRMED);
	store_alias_clear(&a);
	assert_int_equal(store_get_alias(fx->st, "alice@new.test", &a),
	    STORE_NOTFOUND);
	assert_int_equal(store_list_aliases(fx->st, "alice@new.test", collect,
	    &c), STORE_OK);
	assert_int_equal(c.n, 3);
	assert_string_equal(c.names[0], "ali@example.com");
	assert_string_equal(c.names[1], "alice@example.com");
	assert_string_equal(c.names[2], "pending@example.com (pending)");
	c.n = 0;
	assert_int_equal(store_list_aliases(fx->st, "alice@example.com",
	    collect, &c), STORE_OK);
	assert_int_equal(c.n, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_put_get_list_delete,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_promote, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
