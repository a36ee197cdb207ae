/*
 * What the portal keeps in the store, against the LMDB backend in a
 * temporary directory: accounts, sessions and their address index,
 * single-use tokens, first opens, persistence, corrupt records, and the
 * cost of touching a session.
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <pthread.h>

#include <cmocka.h>
#include <lmdb.h>

#include "config.h"
#include "store.h"
#include "store_record_portal.h"

#define MiB	((uint64_t)1024 * 1024)

struct fixture {
	char		 dir[64];	/* mkdtemp */
	char		 path[96];	/* dir/store: created by store_open */
	struct config	 cfg;
	struct store	*st;
};

static int
setup(void **state)
{
	struct fixture	*f;
	char		 err[256];

	if ((f = calloc(1, sizeof(*f))) == NULL)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/test_store_portal.XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/store", f->dir);
	f->cfg.store_backend = "lmdb";
	f->cfg.store_path = f->path;
	f->cfg.store_map_size = 256 * MiB;
	if (store_open(&f->cfg, STORE_OPEN_CREATE, &f->st, err,
	    sizeof(err)) == -1) {
		fprintf(stderr, "store_open: %s\n", err);
		return -1;
	}
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture	*f = *state;
	char		 p[160];

	store_close(f->st);
	snprintf(p, sizeof(p), "%s/data.mdb", f->path);
	unlink(p);
	snprintf(p, sizeof(p), "%s/lock.mdb", f->path);
	unlink(p);
	rmdir(f->path);
	rmdir(f->dir);
	free(f);
	return 0;
}

static void
reopen(struct fixture *f)
{
	char	err[256];

	store_close(f->st);
	f->st = NULL;
	if (store_open(&f->cfg, 0, &f->st, err, sizeof(err)) == -1)
		fail_msg("reopen: %s", err);
}

/* Raw LMDB access to one table, with the store closed. */
static MDB_env *
raw_open(struct fixture *f, const char *table, MDB_dbi *dbi, MDB_txn **txn)
{
	MDB_env	*env;

	assert_int_equal(mdb_env_create(&env), 0);
	assert_int_equal(mdb_env_set_maxdbs(env, 16), 0);
	assert_int_equal(mdb_env_open(env, f->path, MDB_NOTLS | MDB_WRITEMAP,
	    0600), 0);
	assert_int_equal(mdb_txn_begin(env, NULL, 0, txn), 0);
	assert_int_equal(mdb_dbi_open(*txn, table, 0, dbi), 0);
	return env;
}

/* Entries in table (every dup counts); closes and reopens the store. */
static size_t
raw_count(struct fixture *f, const char *table)
{
	MDB_env	*env;
	MDB_txn	*txn;
	MDB_dbi	 dbi;
	MDB_stat ms;

	store_close(f->st);
	f->st = NULL;
	env = raw_open(f, table, &dbi, &txn);
	assert_int_equal(mdb_stat(txn, dbi, &ms), 0);
	mdb_txn_abort(txn);
	mdb_env_close(env);
	reopen(f);
	return ms.ms_entries;
}

static void
raw_put(struct fixture *f, const char *table, const void *k, size_t klen,
    const void *d, size_t dlen)
{
	MDB_env	*env;
	MDB_txn	*txn;
	MDB_dbi	 dbi;
	MDB_val	 key = { klen, (void *)k }, data = { dlen, (void *)d };

	store_close(f->st);
	f->st = NULL;
	env = raw_open(f, table, &dbi, &txn);
	assert_int_equal(mdb_put(txn, dbi, &key, &data, 0), 0);
	assert_int_equal(mdb_txn_commit(txn), 0);
	mdb_env_close(env);
	reopen(f);
}

static void
key_make(uint8_t *key, uint8_t tag)
{
	size_t	i;

	for (i = 0; i < STORE_KEY_LEN; i++)
		key[i] = (uint8_t)(tag * 31 + i);
}

/* ---- accounts ---- */

static void
account_put(struct store *st, const char *address, const char *hash,
    uint32_t flags, int64_t created)
{
	struct store_account	a = {
		.address = (char *)address, .password_hash = (char *)hash,
		.flags = flags, .created = created,
		.password_changed = created + 1,
	};

	assert_int_equal(store_put_account(st, &a), STORE_OK);
}

static void
test_account(void **state)
{
	struct fixture		*f = *state;
	struct store_account	 a;

	assert_int_equal(store_get_account(f->st, "alice@example.org", &a),
	    STORE_NOTFOUND);
	assert_null(a.address);
	account_put(f->st, "Alice@Example.ORG", "$argon2id$v=19$one", 0,
	    1700000000);

	/* Any case finds it; the stored address is lowercased. */
	assert_int_equal(store_get_account(f->st, "ALICE@example.org", &a),
	    STORE_OK);
	assert_string_equal(a.address, "alice@example.org");
	assert_string_equal(a.password_hash, "$argon2id$v=19$one");
	assert_int_equal(a.flags, 0);
	assert_true(a.created == 1700000000);
	assert_true(a.password_changed == 1700000001);
	store_account_clear(&a);
	assert_null(a.address);
	store_account_clear(&a);	/* twice is fine */

	/* Replace, through another spelling of the address. */
	account_put(f->st, "alice@EXAMPLE.org", "",
	    STORE_ACCOUNT_DISABLED | STORE_ACCOUNT_UNSUBSCRIBED, 5);
	assert_int_equal(store_get_account(f->st, "alice@example.org", &a),
	    STORE_OK);
	assert_string_equal(a.password_hash, "");
	assert_int_equal(a.flags,
	    STORE_ACCOUNT_DISABLED | STORE_ACCOUNT_UNSUBSCRIBED);
	assert_true(a.created == 5);
	store_account_clear(&a);

	assert_int_equal(store_delete_account(f->st, "ALICE@EXAMPLE.ORG"),
	    STORE_OK);
	assert_int_equal(store_get_account(f->st, "alice@example.org", &a),
	    STORE_NOTFOUND);
	assert_int_equal(store_delete_account(f->st, "alice@example.org"),
	    STORE_NOTFOUND);
}

static void
test_account_rejects(void **state)
{
	struct fixture		*f = *state;
	struct store_account	 a;
	char			 longest[STORE_PORTAL_MAX_ADDRESS + 1];
	char			 toolong[STORE_PORTAL_MAX_ADDRESS + 2];
	char			 hash[STORE_PORTAL_MAX_HASH + 2];
	static const struct {
		const char	*label;
		int		 address;	/* 0 NULL, 1 "", 2 too long */
	} bad[] = {
		{ "null address", 0 },
		{ "empty address", 1 },
		{ "address too long", 2 },
	};
	size_t			 i;

	memset(longest, 'a', sizeof(longest) - 1);
	longest[sizeof(longest) - 1] = '\0';
	memset(toolong, 'a', sizeof(toolong) - 1);
	toolong[sizeof(toolong) - 1] = '\0';
	memset(hash, 'h', sizeof(hash) - 1);
	hash[sizeof(hash) - 1] = '\0';

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&a, 0, sizeof(a));
		a.address = bad[i].address == 0 ? NULL :
		    bad[i].address == 1 ? "" : toolong;
		a.password_hash = "";
		if (store_put_account(f->st, &a) != STORE_ERROR)
			fail_msg("%s: put accepted", bad[i].label);
	}
	/* Lookups of what cannot be stored: not found, not an error. */
	assert_int_equal(store_get_account(f->st, "", &a), STORE_NOTFOUND);
	assert_int_equal(store_get_account(f->st, toolong, &a),
	    STORE_NOTFOUND);
	assert_int_equal(store_delete_account(f->st, toolong),
	    STORE_NOTFOUND);
	assert_int_equal(store_get_account(f->st, NULL, &a), STORE_ERROR);

	/* The longest address is fine; so is a NULL hash (stored as ""). */
	memset(&a, 0, sizeof(a));
	a.address = longest;
	assert_int_equal(store_put_account(f->st, &a), STORE_OK);
	assert_int_equal(store_get_account(f->st, longest, &a), STORE_OK);
	assert_string_equal(a.password_hash, "");
	store_account_clear(&a);
	a.address = "bob@example.com";
	a.password_hash = hash;
	assert_int_equal(store_put_account(f->st, &a), STORE_ERROR);
	hash[STORE_PORTAL_MAX_HASH] = '\0';
	assert_int_equal(store_put_account(f->st, &a), STORE_OK);
}

struct alist {
	struct store	*st;
	char		 seen[8][64];
	size_t		 n;
	size_t		 stop_after;	/* 0: never */
};

static int
alist_cb(void *arg, const struct store_account *a)
{
	struct alist		*l = arg;
	struct store_account	 again;

	assert_true(l->n < 8);
	snprintf(l->seen[l->n], sizeof(l->seen[0]), "%s", a->address);
	l->n++;
	/* The callback may use the store: it runs outside the transaction. */
	assert_int_equal(store_get_account(l->st, a->address, &again),
	    STORE_OK);
	assert_string_equal(again.password_hash, a->password_hash);
	store_account_clear(&again);
	return l->stop_after != 0 && l->n >= l->stop_after;
}

static void
test_account_list(void **state)
{
	struct fixture	*f = *state;
	struct alist	 l = { .st = f->st };

	assert_int_equal(store_list_accounts(f->st, alist_cb, &l), STORE_OK);
	assert_int_equal(l.n, 0);
	account_put(f->st, "carol@example.net", "c", 0, 3);
	account_put(f->st, "Alice@example.org", "a", 0, 1);
	account_put(f->st, "bob@example.com", "b", 0, 2);
	assert_int_equal(store_list_accounts(f->st, alist_cb, &l), STORE_OK);
	assert_int_equal(l.n, 3);
	assert_string_equal(l.seen[0], "alice@example.org");
	assert_string_equal(l.seen[1], "bob@example.com");
	assert_string_equal(l.seen[2], "carol@example.net");

	memset(&l, 0, sizeof(l));
	l.st = f->st;
	l.stop_after = 2;
	assert_int_equal(store_list_accounts(f->st, alist_cb, &l), STORE_OK);
	assert_int_equal(l.n, 2);
	assert_int_equal(store_list_accounts(f->st, NULL, NULL), STORE_ERROR);
}

/* ---- sessions ---- */

static void
session_put(struct store *st, uint8_t tag, const char *address,
    int64_t created, int64_t last_seen)
{
	struct store_session	s;

	memset(&s, 0, sizeof(s));
	key_make(s.key, tag);
	s.address = (char *)address;
	s.created = created;
	s.last_seen = last_seen;
	snprintf(s.ip, sizeof(s.ip), "2001:db8::%u", tag);
	memset(s.csrf, tag, sizeof(s.csrf));
	assert_int_equal(store_put_session(st, &s), STORE_OK);
}

static int
session_exists(struct store *st, uint8_t tag)
{
	struct store_session	s;
	uint8_t			key[STORE_KEY_LEN];
	int			status;

	key_make(key, tag);
	status = store_get_session(st, key, &s);
	store_session_clear(&s);
	if (status != STORE_OK && status != STORE_NOTFOUND)
		fail_msg("get session %u: %s", tag, store_strerror(status));
	return status == STORE_OK;
}

static void
test_session(void **state)
{
	struct fixture		*f = *state;
	struct store_session	 s;
	uint8_t			 key[STORE_KEY_LEN], csrf[32];

	key_make(key, 1);
	assert_int_equal(store_get_session(f->st, key, &s), STORE_NOTFOUND);
	assert_null(s.address);
	session_put(f->st, 1, "Alice@Example.org", 1000, 1010);

	assert_int_equal(store_get_session(f->st, key, &s), STORE_OK);
	assert_memory_equal(s.key, key, STORE_KEY_LEN);
	assert_string_equal(s.address, "alice@example.org");
	assert_true(s.created == 1000 && s.last_seen == 1010);
	assert_string_equal(s.ip, "2001:db8::1");
	memset(csrf, 1, sizeof(csrf));
	assert_memory_equal(s.csrf, csrf, sizeof(csrf));
	store_session_clear(&s);
	assert_null(s.address);

	/* Touch moves last_seen forward only. */
	assert_int_equal(store_touch_session(f->st, key, 2000), STORE_OK);
	assert_int_equal(store_get_session(f->st, key, &s), STORE_OK);
	assert_true(s.last_seen == 2000 && s.created == 1000);
	assert_string_equal(s.ip, "2001:db8::1");
	assert_memory_equal(s.csrf, csrf, sizeof(csrf));
	store_session_clear(&s);
	assert_int_equal(store_touch_session(f->st, key, 1500), STORE_OK);
	assert_int_equal(store_get_session(f->st, key, &s), STORE_OK);
	assert_true(s.last_seen == 2000);
	store_session_clear(&s);

	assert_int_equal(store_delete_session(f->st, key), STORE_OK);
	assert_int_equal(store_get_session(f->st, key, &s), STORE_NOTFOUND);
	assert_int_equal(store_delete_session(f->st, key), STORE_NOTFOUND);
	assert_int_equal(store_touch_session(f->st, key, 3000),
	    STORE_NOTFOUND);
	assert_int_equal(raw_count(f, "session_index"), 0);
}

static void
test_session_rejects(void **state)
{
	struct fixture		*f = *state;
	struct store_session	 s;

	memset(&s, 0, sizeof(s));
	key_make(s.key, 9);
	s.address = NULL;
	assert_int_equal(store_put_session(f->st, &s), STORE_ERROR);
	s.address = "";
	assert_int_equal(store_put_session(f->st, &s), STORE_ERROR);
	s.address = "alice@example.org";
	memset(s.ip, '1', sizeof(s.ip));	/* not terminated */
	assert_int_equal(store_put_session(f->st, &s), STORE_ERROR);
	s.ip[sizeof(s.ip) - 1] = '\0';		/* the longest ip */
	assert_int_equal(store_put_session(f->st, &s), STORE_OK);
	assert_true(session_exists(f->st, 9));
}

static void
test_delete_sessions(void **state)
{
	struct fixture	*f = *state;

	session_put(f->st, 1, "alice@example.org", 1, 1);
	session_put(f->st, 2, "ALICE@example.org", 1, 1);
	session_put(f->st, 3, "bob@example.com", 1, 1);
	assert_int_equal(raw_count(f, "session_index"), 3);

	assert_int_equal(store_delete_sessions(f->st, "Alice@Example.Org"),
	    STORE_OK);
	assert_false(session_exists(f->st, 1));
	assert_false(session_exists(f->st, 2));
	assert_true(session_exists(f->st, 3));
	assert_int_equal(raw_count(f, "session_index"), 1);
	/* Nothing left to end: still fine. */
	assert_int_equal(store_delete_sessions(f->st, "alice@example.org"),
	    STORE_OK);
	assert_int_equal(store_delete_sessions(f->st, ""), STORE_OK);
	assert_true(session_exists(f->st, 3));
}

/* A key put again for another address moves its index entry. */
static void
test_session_readdress(void **state)
{
	struct fixture	*f = *state;

	session_put(f->st, 1, "alice@example.org", 1, 1);
	session_put(f->st, 1, "bob@example.com", 1, 1);
	assert_int_equal(raw_count(f, "session_index"), 1);
	assert_int_equal(store_delete_sessions(f->st, "alice@example.org"),
	    STORE_OK);
	assert_true(session_exists(f->st, 1));
	assert_int_equal(store_delete_sessions(f->st, "bob@example.com"),
	    STORE_OK);
	assert_false(session_exists(f->st, 1));
	assert_int_equal(raw_count(f, "session_index"), 0);
}

static void
test_delete_account_sessions(void **state)
{
	struct fixture		*f = *state;
	struct store_account	 a;

	account_put(f->st, "alice@example.org", "a", 0, 1);
	account_put(f->st, "bob@example.com", "b", 0, 1);
	session_put(f->st, 1, "alice@example.org", 1, 1);
	session_put(f->st, 2, "alice@example.org", 1, 1);
	session_put(f->st, 3, "bob@example.com", 1, 1);

	assert_int_equal(store_delete_account(f->st, "ALICE@example.org"),
	    STORE_OK);
	assert_false(session_exists(f->st, 1));
	assert_false(session_exists(f->st, 2));
	assert_true(session_exists(f->st, 3));
	assert_int_equal(store_get_account(f->st, "bob@example.com", &a),
	    STORE_OK);
	store_account_clear(&a);
	assert_int_equal(raw_count(f, "session_index"), 1);

	/* No account: nothing is touched, not even sessions. */
	session_put(f->st, 4, "carol@example.net", 1, 1);
	assert_int_equal(store_delete_account(f->st, "carol@example.net"),
	    STORE_NOTFOUND);
	assert_true(session_exists(f->st, 4));
}

static void
test_purge_sessions(void **state)
{
	struct fixture	*f = *state;
	static const struct {
		const char	*label;
		uint8_t		 tag;
		int64_t		 created, last_seen;
		int		 stays;
	} cases[] = {
		{ "fresh", 1, 100, 1000, 1 },
		{ "idle", 2, 100, 499, 0 },
		{ "idle at the limit", 3, 100, 500, 1 },
		{ "too old", 4, 49, 1000, 0 },
		{ "old at the limit", 5, 50, 1000, 1 },
		{ "idle and old", 6, 10, 10, 0 },
	};
	size_t		 i, removed = 99, want = 0;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		session_put(f->st, cases[i].tag, "alice@example.org",
		    cases[i].created, cases[i].last_seen);
		want += !cases[i].stays;
	}
	assert_int_equal(store_purge_sessions(f->st, 500, 50, &removed),
	    STORE_OK);
	assert_int_equal(removed, want);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (session_exists(f->st, cases[i].tag) != cases[i].stays)
			fail_msg("%s: wrong outcome", cases[i].label);
	assert_int_equal(raw_count(f, "session_index"),
	    sizeof(cases) / sizeof(cases[0]) - want);

	assert_int_equal(store_purge_sessions(f->st, 500, 50, &removed),
	    STORE_OK);
	assert_int_equal(removed, 0);
	assert_int_equal(store_purge_sessions(f->st, INT64_MAX, 0, NULL),
	    STORE_OK);
	assert_int_equal(raw_count(f, "sessions"), 0);
	assert_int_equal(raw_count(f, "session_index"), 0);
}

/* ---- tokens ---- */

static void
token_put(struct store *st, uint8_t tag, int kind, const char *address,
    const char *data, int64_t expires)
{
	struct store_token	t;

	memset(&t, 0, sizeof(t));
	key_make(t.key, tag);
	t.kind = kind;
	t.address = (char *)address;
	t.data = (char *)data;
	t.expires = expires;
	assert_int_equal(store_put_token(st, &t), STORE_OK);
}

static int
token_peek(struct store *st, uint8_t tag, int kind, int64_t now)
{
	struct store_token	t;
	uint8_t			key[STORE_KEY_LEN];
	int			status;

	key_make(key, tag);
	status = store_peek_token(st, key, kind, now, &t);
	if (status != STORE_OK)
		assert_null(t.address);
	store_token_clear(&t);
	return status;
}

static void
test_token(void **state)
{
	struct fixture		*f = *state;
	struct store_token	 t;
	uint8_t			 key[STORE_KEY_LEN];

	key_make(key, 1);
	token_put(f->st, 1, STORE_TOKEN_ALIAS, "Alice@Example.org",
	    "alias@example.net", 2000);

	/* Peek leaves it. */
	assert_int_equal(store_peek_token(f->st, key, STORE_TOKEN_ALIAS, 1000,
	    &t), STORE_OK);
	assert_memory_equal(t.key, key, STORE_KEY_LEN);
	assert_int_equal(t.kind, STORE_TOKEN_ALIAS);
	assert_string_equal(t.address, "alice@example.org");
	assert_string_equal(t.data, "alias@example.net");
	assert_true(t.expires == 2000);
	store_token_clear(&t);
	assert_int_equal(token_peek(f->st, 1, STORE_TOKEN_ALIAS, 1000),
	    STORE_OK);

	/* Take works once. */
	assert_int_equal(store_take_token(f->st, key, STORE_TOKEN_ALIAS, 1999,
	    &t), STORE_OK);
	assert_string_equal(t.address, "alice@example.org");
	assert_string_equal(t.data, "alias@example.net");
	store_token_clear(&t);
	assert_int_equal(store_take_token(f->st, key, STORE_TOKEN_ALIAS, 1999,
	    &t), STORE_NOTFOUND);
	assert_null(t.address);
	assert_int_equal(token_peek(f->st, 1, STORE_TOKEN_ALIAS, 1000),
	    STORE_NOTFOUND);

	/* No data: "". */
	token_put(f->st, 2, STORE_TOKEN_UNSUBSCRIBE, "bob@example.com", NULL,
	    2000);
	key_make(key, 2);
	assert_int_equal(store_take_token(f->st, key, STORE_TOKEN_UNSUBSCRIBE,
	    0, &t), STORE_OK);
	assert_string_equal(t.data, "");
	store_token_clear(&t);
}

static void
test_token_kind(void **state)
{
	struct fixture		*f = *state;
	struct store_token	 t;
	uint8_t			 key[STORE_KEY_LEN];

	key_make(key, 1);
	token_put(f->st, 1, STORE_TOKEN_RESET, "alice@example.org", "", 2000);
	assert_int_equal(store_take_token(f->st, key, STORE_TOKEN_VERIFY, 1000,
	    &t), STORE_NOTFOUND);
	assert_null(t.address);
	assert_int_equal(token_peek(f->st, 1, STORE_TOKEN_VERIFY, 1000),
	    STORE_NOTFOUND);
	/* Wrong kind and expired: still not deleted by that kind. */
	assert_int_equal(store_take_token(f->st, key, STORE_TOKEN_VERIFY, 5000,
	    &t), STORE_NOTFOUND);
	assert_int_equal(store_take_token(f->st, key, STORE_TOKEN_RESET, 1000,
	    &t), STORE_OK);
	assert_int_equal(t.kind, STORE_TOKEN_RESET);
	store_token_clear(&t);
}

static void
test_token_expired(void **state)
{
	struct fixture		*f = *state;
	struct store_token	 t;
	uint8_t			 key[STORE_KEY_LEN];

	/* Valid while now < expires. */
	token_put(f->st, 1, STORE_TOKEN_VERIFY, "alice@example.org", "", 1000);
	assert_int_equal(token_peek(f->st, 1, STORE_TOKEN_VERIFY, 999),
	    STORE_OK);
	assert_int_equal(token_peek(f->st, 1, STORE_TOKEN_VERIFY, 1000),
	    STORE_NOTFOUND);
	/* Gone: even an earlier now no longer finds it. */
	assert_int_equal(token_peek(f->st, 1, STORE_TOKEN_VERIFY, 0),
	    STORE_NOTFOUND);

	token_put(f->st, 2, STORE_TOKEN_VERIFY, "alice@example.org", "", 1000);
	key_make(key, 2);
	assert_int_equal(store_take_token(f->st, key, STORE_TOKEN_VERIFY, 1001,
	    &t), STORE_NOTFOUND);
	assert_null(t.address);
	assert_int_equal(store_take_token(f->st, key, STORE_TOKEN_VERIFY, 0,
	    &t), STORE_NOTFOUND);
	assert_int_equal(raw_count(f, "tokens"), 0);
}

static void
test_delete_tokens(void **state)
{
	struct fixture	*f = *state;

	token_put(f->st, 1, STORE_TOKEN_RESET, "alice@example.org", "", 9000);
	token_put(f->st, 2, STORE_TOKEN_RESET, "Alice@example.org", "", 9000);
	token_put(f->st, 3, STORE_TOKEN_VERIFY, "alice@example.org", "", 9000);
	token_put(f->st, 4, STORE_TOKEN_RESET, "bob@example.com", "", 9000);

	assert_int_equal(store_delete_tokens(f->st, "ALICE@example.org",
	    STORE_TOKEN_RESET), STORE_OK);
	assert_int_equal(token_peek(f->st, 1, STORE_TOKEN_RESET, 0),
	    STORE_NOTFOUND);
	assert_int_equal(token_peek(f->st, 2, STORE_TOKEN_RESET, 0),
	    STORE_NOTFOUND);
	assert_int_equal(token_peek(f->st, 3, STORE_TOKEN_VERIFY, 0),
	    STORE_OK);
	assert_int_equal(token_peek(f->st, 4, STORE_TOKEN_RESET, 0),
	    STORE_OK);
	assert_int_equal(store_delete_tokens(f->st, "nobody@example.org",
	    STORE_TOKEN_RESET), STORE_OK);
}

static void
test_token_rejects(void **state)
{
	struct fixture		*f = *state;
	struct store_token	 t;
	uint8_t			 key[STORE_KEY_LEN];
	char			 data[STORE_PORTAL_MAX_DATA + 2];
	static const int	 kinds[] = { 0, -1, 5, 1000 };
	size_t			 i;

	key_make(key, 1);
	memset(&t, 0, sizeof(t));
	memcpy(t.key, key, STORE_KEY_LEN);
	t.address = "alice@example.org";
	t.data = "";
	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		t.kind = kinds[i];
		if (store_put_token(f->st, &t) != STORE_ERROR)
			fail_msg("kind %d: put accepted", kinds[i]);
		if (store_peek_token(f->st, key, kinds[i], 0, &t) !=
		    STORE_ERROR)
			fail_msg("kind %d: peek accepted", kinds[i]);
		if (store_delete_tokens(f->st, "alice@example.org",
		    kinds[i]) != STORE_ERROR)
			fail_msg("kind %d: delete accepted", kinds[i]);
		memcpy(t.key, key, STORE_KEY_LEN);
		t.address = "alice@example.org";
		t.data = "";
	}
	t.kind = STORE_TOKEN_VERIFY;
	memset(data, 'd', sizeof(data) - 1);
	data[sizeof(data) - 1] = '\0';
	t.data = data;
	assert_int_equal(store_put_token(f->st, &t), STORE_ERROR);
	data[STORE_PORTAL_MAX_DATA] = '\0';
	assert_int_equal(store_put_token(f->st, &t), STORE_OK);
	t.address = "";
	assert_int_equal(store_put_token(f->st, &t), STORE_ERROR);
}

/* ---- first opens ---- */

static void
msg_make(struct store_message *m, uint8_t tag, char **rcpts)
{
	memset(m, 0, sizeof(*m));
	memset(m->id, tag, MSGID_LEN);
	m->version = 1;
	m->received = 100;
	m->sender = "alice@example.org";
	rcpts[0] = "bob@example.com";
	m->recipients = rcpts;
	m->nrecipients = 1;
}

static void
test_open(void **state)
{
	struct fixture		*f = *state;
	struct store_message	 m;
	char			*rcpts[1];
	uint8_t			 id[MSGID_LEN], other[MSGID_LEN];
	int64_t			 when = 42;

	memset(id, 7, sizeof(id));
	memset(other, 8, sizeof(other));
	assert_int_equal(store_get_open(f->st, id, "bob@example.com", &when),
	    STORE_NOTFOUND);
	assert_true(when == 0);
	assert_int_equal(store_record_open(f->st, id, "Bob@Example.com", 100),
	    STORE_OK);
	assert_int_equal(store_record_open(f->st, id, "bob@example.com", 200),
	    STORE_OK);
	assert_int_equal(store_get_open(f->st, id, "BOB@example.com", &when),
	    STORE_OK);
	assert_true(when == 100);
	assert_int_equal(store_get_open(f->st, id, "carol@example.net",
	    &when), STORE_NOTFOUND);
	assert_int_equal(store_get_open(f->st, other, "bob@example.com",
	    &when), STORE_NOTFOUND);
	assert_int_equal(store_get_open(f->st, id, "", &when),
	    STORE_NOTFOUND);
	assert_int_equal(store_record_open(f->st, id, "", 1), STORE_ERROR);
	/* Negative and large times survive the be64 form. */
	assert_int_equal(store_record_open(f->st, other, "bob@example.com",
	    -5), STORE_OK);
	assert_int_equal(store_get_open(f->st, other, "bob@example.com",
	    &when), STORE_OK);
	assert_true(when == -5);

	/* Deleting a message deletes its opens, and only its. */
	msg_make(&m, 7, rcpts);
	assert_int_equal(store_put_message(f->st, &m, NULL, NULL), STORE_OK);
	assert_int_equal(store_record_open(f->st, id, "carol@example.net",
	    300), STORE_OK);
	assert_int_equal(store_delete_message(f->st, id), STORE_OK);
	assert_int_equal(store_get_open(f->st, id, "bob@example.com", &when),
	    STORE_NOTFOUND);
	assert_int_equal(store_get_open(f->st, id, "carol@example.net",
	    &when), STORE_NOTFOUND);
	assert_int_equal(store_get_open(f->st, other, "bob@example.com",
	    &when), STORE_OK);
}

/* ---- across a restart ---- */

static void
test_persistence(void **state)
{
	struct fixture		*f = *state;
	struct store_account	 a;
	struct store_session	 s;
	struct store_token	 t;
	struct store_stats	 stats;
	uint8_t			 key[STORE_KEY_LEN], id[MSGID_LEN];
	int64_t			 when;

	account_put(f->st, "alice@example.org", "hash", 0, 1);
	session_put(f->st, 1, "alice@example.org", 10, 20);
	key_make(key, 1);
	assert_int_equal(store_touch_session(f->st, key, 30), STORE_OK);
	token_put(f->st, 2, STORE_TOKEN_VERIFY, "alice@example.org", "x", 99);
	memset(id, 3, sizeof(id));
	assert_int_equal(store_record_open(f->st, id, "alice@example.org",
	    77), STORE_OK);
	assert_int_equal(store_stat(f->st, &stats), STORE_OK);
	assert_true(stats.accounts == 1 && stats.sessions == 1 &&
	    stats.tokens == 1 && stats.messages == 0);

	reopen(f);
	assert_int_equal(store_get_account(f->st, "alice@example.org", &a),
	    STORE_OK);
	assert_string_equal(a.password_hash, "hash");
	store_account_clear(&a);
	assert_int_equal(store_get_session(f->st, key, &s), STORE_OK);
	assert_true(s.last_seen == 30);		/* the unsynced touch too */
	store_session_clear(&s);
	key_make(key, 2);
	assert_int_equal(store_peek_token(f->st, key, STORE_TOKEN_VERIFY, 0,
	    &t), STORE_OK);
	assert_string_equal(t.data, "x");
	store_token_clear(&t);
	assert_int_equal(store_get_open(f->st, id, "alice@example.org",
	    &when), STORE_OK);
	assert_true(when == 77);
	assert_int_equal(store_stat(f->st, &stats), STORE_OK);
	assert_true(stats.accounts == 1 && stats.sessions == 1 &&
	    stats.tokens == 1);
}

/* ---- damaged records ---- */

static void
test_corrupt(void **state)
{
	struct fixture		*f = *state;
	struct store_account	 a;
	struct store_session	 s;
	struct store_token	 t;
	struct alist		 l = { .st = f->st };
	uint8_t			 key[STORE_KEY_LEN];
	size_t			 removed;

	account_put(f->st, "alice@example.org", "a", 0, 1);
	account_put(f->st, "bob@example.com", "b", 0, 1);
	session_put(f->st, 1, "alice@example.org", 1000, 1000);
	session_put(f->st, 2, "alice@example.org", 1000, 1000);
	raw_put(f, "accounts", "alice@example.org", 17, "garbage", 7);
	key_make(key, 1);
	raw_put(f, "sessions", key, STORE_KEY_LEN, "garbage", 7);
	key_make(key, 3);
	raw_put(f, "tokens", key, STORE_KEY_LEN, "garbage", 7);

	assert_int_equal(store_get_account(f->st, "alice@example.org", &a),
	    STORE_ERROR);
	assert_null(a.address);
	l.st = f->st;
	assert_int_equal(store_list_accounts(f->st, alist_cb, &l), STORE_OK);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.seen[0], "bob@example.com");

	key_make(key, 1);
	assert_int_equal(store_get_session(f->st, key, &s), STORE_ERROR);
	assert_null(s.address);
	assert_int_equal(store_touch_session(f->st, key, 5000), STORE_ERROR);
	/* Purge clears a damaged session and its index entry. */
	assert_int_equal(store_purge_sessions(f->st, 0, 0, &removed),
	    STORE_OK);
	assert_int_equal(removed, 1);
	assert_false(session_exists(f->st, 1));
	assert_true(session_exists(f->st, 2));
	assert_int_equal(raw_count(f, "session_index"), 1);

	key_make(key, 3);
	assert_int_equal(store_take_token(f->st, key, STORE_TOKEN_VERIFY, 0,
	    &t), STORE_ERROR);
	assert_null(t.address);
	assert_int_equal(store_delete_tokens(f->st, "alice@example.org",
	    STORE_TOKEN_VERIFY), STORE_OK);
}

/* ---- the cost of a touch ---- */

static double
now_seconds(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void
test_touch_fast(void **state)
{
	struct fixture		*f = *state;
	struct store_session	 s;
	uint8_t			 key[STORE_KEY_LEN];
	double			 t0, touch, put;
	int			 i;

	session_put(f->st, 1, "alice@example.org", 1000, 1000);
	key_make(key, 1);
	t0 = now_seconds();
	for (i = 1; i <= 2000; i++)
		assert_int_equal(store_touch_session(f->st, key, 1000 + i),
		    STORE_OK);
	touch = now_seconds() - t0;
	t0 = now_seconds();
	for (i = 0; i < 20; i++)
		session_put(f->st, 2, "alice@example.org", 1000, 1000 + i);
	put = now_seconds() - t0;
	printf("# 2000 touches: %.1f ms (%.1f us each); "
	    "20 synced puts: %.1f ms (%.2f ms each)\n", touch * 1e3,
	    touch * 1e6 / 2000, put * 1e3, put * 1e3 / 20);
	assert_int_equal(store_get_session(f->st, key, &s), STORE_OK);
	assert_true(s.last_seen == 3000);
	store_session_clear(&s);
}

/* Touches and synced writes from several threads at once. */
struct worker {
	struct store	*st;
	uint8_t		 tag;
	int		 failures;
};

static void *
worker_main(void *arg)
{
	struct worker		*w = arg;
	struct store_session	 s;
	struct store_account	 a = { .address = "shared@example.org",
				    .password_hash = "" };
	uint8_t			 key[STORE_KEY_LEN];
	int			 i;

	memset(&s, 0, sizeof(s));
	key_make(s.key, w->tag);
	s.address = "shared@example.org";
	if (store_put_session(w->st, &s) != STORE_OK)
		w->failures++;
	key_make(key, w->tag);
	for (i = 1; i <= 300; i++) {
		if (store_touch_session(w->st, key, i) != STORE_OK)
			w->failures++;
		if (i % 30 == 0 && store_put_account(w->st, &a) != STORE_OK)
			w->failures++;
	}
	return NULL;
}

static void
test_threads(void **state)
{
	struct fixture		*f = *state;
	struct worker		 w[4];
	pthread_t		 th[4];
	struct store_session	 s;
	uint8_t			 key[STORE_KEY_LEN];
	size_t			 i;

	for (i = 0; i < 4; i++) {
		w[i].st = f->st;
		w[i].tag = (uint8_t)(i + 1);
		w[i].failures = 0;
		assert_int_equal(pthread_create(&th[i], NULL, worker_main,
		    &w[i]), 0);
	}
	for (i = 0; i < 4; i++) {
		assert_int_equal(pthread_join(th[i], NULL), 0);
		assert_int_equal(w[i].failures, 0);
		key_make(key, w[i].tag);
		assert_int_equal(store_get_session(f->st, key, &s), STORE_OK);
		assert_true(s.last_seen == 300);
		store_session_clear(&s);
	}
	assert_int_equal(store_delete_account(f->st, "shared@example.org"),
	    STORE_OK);
	assert_int_equal(raw_count(f, "sessions"), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_account, setup, teardown),
		cmocka_unit_test_setup_teardown(test_account_rejects, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_account_list, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_session, setup, teardown),
		cmocka_unit_test_setup_teardown(test_session_rejects, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_delete_sessions, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_session_readdress, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_delete_account_sessions,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_purge_sessions, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_token, setup, teardown),
		cmocka_unit_test_setup_teardown(test_token_kind, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_token_expired, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_delete_tokens, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_token_rejects, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_open, setup, teardown),
		cmocka_unit_test_setup_teardown(test_persistence, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_corrupt, setup, teardown),
		cmocka_unit_test_setup_teardown(test_touch_fast, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_threads, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
