/*
 * The store interface against the LMDB backend, in a temporary directory:
 * round trips, listings, deletion, failure atomicity, map growth and
 * STORE_FULL, reopening, threads, group commit, and the milter's memory
 * rule.
 */
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <pthread.h>

#include <cmocka.h>
#include <lmdb.h>

#include "config.h"
#include "store.h"

#define MiB	((uint64_t)1024 * 1024)

struct fixture {
	char		 dir[64];	/* mkdtemp */
	char		 path[96];	/* dir/store: created by store_open */
	struct config	 cfg;
	struct store	*st;
};

static int
setup_size(void **state, uint64_t map_size)
{
	struct fixture	*f;
	char		 err[256];

	if ((f = calloc(1, sizeof(*f))) == NULL)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/test_store.XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/store", f->dir);
	f->cfg.store_backend = "lmdb";
	f->cfg.store_path = f->path;
	f->cfg.store_map_size = map_size;
	if (store_open(&f->cfg, STORE_OPEN_CREATE, &f->st, err,
	    sizeof(err)) == -1) {
		fprintf(stderr, "store_open: %s\n", err);
		return -1;
	}
	*state = f;
	return 0;
}

static int
setup(void **state)
{
	return setup_size(state, 256 * MiB);
}

static int
setup_tiny(void **state)
{
	return setup_size(state, 1 * MiB);
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

/* A message whose id is derived from tag, so tests can name messages. */
struct tmsg {
	struct store_message	 m;
	char			*rcpts[8];
	uint8_t			 hdr[32];
};

static void
tmsg_init(struct tmsg *t, uint32_t tag, int64_t received, const char *sender,
    const char *r0, const char *r1, const char *r2)
{
	size_t	i;

	memset(t, 0, sizeof(*t));
	memset(t->m.id, 0x5a, MSGID_LEN);
	t->m.id[12] = (uint8_t)(tag >> 24);
	t->m.id[13] = (uint8_t)(tag >> 16);
	t->m.id[14] = (uint8_t)(tag >> 8);
	t->m.id[15] = (uint8_t)tag;
	t->m.version = 1;
	t->m.received = received;
	t->m.expires = received + 90 * 86400;
	t->m.size = 1000 + tag;
	t->m.attachments = tag % 4;
	t->m.sender = (char *)sender;
	t->rcpts[0] = (char *)r0;
	t->rcpts[1] = (char *)r1;
	t->rcpts[2] = (char *)r2;
	t->m.recipients = t->rcpts;
	t->m.nrecipients = r2 ? 3 : r1 ? 2 : r0 ? 1 : 0;
	for (i = 0; i < ENVELOPE_WRAPPED_LEN; i++)
		t->m.wrapped_key[i] = (uint8_t)(tag + i);
	for (i = 0; i < ENVELOPE_HEADER_LEN; i++)
		t->m.stream_header[i] = (uint8_t)(tag * 7 + i);
	for (i = 0; i < sizeof(t->hdr); i++)
		t->hdr[i] = (uint8_t)(tag ^ i);
	t->m.headers_ct = t->hdr;
	t->m.headers_ctlen = sizeof(t->hdr);
}

static void
tmsg_id(uint8_t *id, uint32_t tag)
{
	struct tmsg	t;

	tmsg_init(&t, tag, 0, "", "x@y", NULL, NULL);
	memcpy(id, t.m.id, MSGID_LEN);
}

/* Chunk source: deterministic bytes per (id, index). */
struct gen {
	uint8_t		 id[MSGID_LEN];
	size_t		 chunklen;	/* every chunk but the last */
	size_t		 lastlen;
	uint32_t	 nchunks;
	uint8_t		*buf;
	int		 fail_at;	/* -1: never */
	int		 null_at;	/* -1: never */
	pthread_t	 owner;		/* the thread that puts the message */
	int		 foreign;	/* called from another thread */
	int		 rewinds;	/* calls for index 0 */
	int		 gate;		/* hold the store: see gate_wait */
};

static void	gate_wait(void);

static void
pattern(uint8_t *buf, size_t len, const uint8_t *id, uint32_t index)
{
	uint32_t	x;
	size_t		i;

	x = (uint32_t)id[15] * 2654435761u ^ (uint32_t)id[14] << 8 ^
	    index * 40503u;
	for (i = 0; i < len; i++) {
		x = x * 1103515245u + 12345u;
		buf[i] = (uint8_t)(x >> 16);
	}
}

static size_t
gen_len(const struct gen *g, uint32_t index)
{
	return index + 1 == g->nchunks ? g->lastlen : g->chunklen;
}

static int
gen_chunk(void *arg, uint32_t index, const uint8_t **ct, size_t *len)
{
	struct gen	*g = arg;

	if (!pthread_equal(pthread_self(), g->owner))
		g->foreign = 1;
	if (index == 0)
		g->rewinds++;
	if (g->gate && index == 0)
		gate_wait();
	if ((int)index == g->fail_at)
		return -1;
	if ((int)index == g->null_at) {
		*ct = NULL;
		*len = 10;
		return 0;
	}
	*len = gen_len(g, index);
	pattern(g->buf, *len, g->id, index);
	*ct = g->buf;
	return 0;
}

static void
gen_init(struct gen *g, const struct store_message *m, size_t chunklen,
    size_t lastlen)
{
	memset(g, 0, sizeof(*g));
	memcpy(g->id, m->id, MSGID_LEN);
	g->chunklen = chunklen;
	g->lastlen = lastlen;
	g->nchunks = m->nchunks;
	g->buf = malloc((chunklen > lastlen ? chunklen : lastlen) + 1);
	assert_non_null(g->buf);
	g->fail_at = -1;
	g->null_at = -1;
	g->owner = pthread_self();
}

static int
put_tmsg(struct store *st, struct tmsg *t, uint32_t nchunks, size_t chunklen,
    size_t lastlen)
{
	struct gen	g;
	int		rc;

	t->m.nchunks = nchunks;
	gen_init(&g, &t->m, chunklen, lastlen);
	rc = store_put_message(st, &t->m, gen_chunk, &g);
	free(g.buf);
	return rc;
}

/* Every chunk of id reads back with the generated bytes. */
static void
check_chunks(struct store *st, const uint8_t *id, uint32_t nchunks,
    size_t chunklen, size_t lastlen)
{
	struct gen	 g;
	uint8_t		*ct, *want;
	size_t		 len;
	uint32_t	 i;

	memset(&g, 0, sizeof(g));
	memcpy(g.id, id, MSGID_LEN);
	g.chunklen = chunklen;
	g.lastlen = lastlen;
	g.nchunks = nchunks;
	want = malloc((chunklen > lastlen ? chunklen : lastlen) + 1);
	assert_non_null(want);
	for (i = 0; i < nchunks; i++) {
		assert_int_equal(store_get_chunk(st, id, i, &ct, &len),
		    STORE_OK);
		assert_int_equal(len, gen_len(&g, i));
		pattern(want, len, id, i);
		if (len > 0)
			assert_memory_equal(ct, want, len);
		free(ct);
	}
	assert_int_equal(store_get_chunk(st, id, nchunks, &ct, &len),
	    STORE_NOTFOUND);
	free(want);
}

static void
assert_same_message(const struct store_message *a,
    const struct store_message *b)
{
	size_t	i;

	assert_memory_equal(a->id, b->id, MSGID_LEN);
	assert_int_equal(a->version, b->version);
	assert_int_equal(a->flags, b->flags);
	assert_true(a->received == b->received);
	assert_true(a->expires == b->expires);
	assert_true(a->size == b->size);
	assert_int_equal(a->nchunks, b->nchunks);
	assert_int_equal(a->attachments, b->attachments);
	assert_string_equal(a->sender, b->sender);
	assert_int_equal(a->nrecipients, b->nrecipients);
	for (i = 0; i < a->nrecipients; i++)
		assert_string_equal(a->recipients[i], b->recipients[i]);
	assert_memory_equal(a->wrapped_key, b->wrapped_key,
	    ENVELOPE_WRAPPED_LEN);
	assert_memory_equal(a->stream_header, b->stream_header,
	    ENVELOPE_HEADER_LEN);
	assert_int_equal(a->headers_ctlen, b->headers_ctlen);
	if (a->headers_ctlen > 0)
		assert_memory_equal(a->headers_ct, b->headers_ct,
		    a->headers_ctlen);
}

/* Listing collector: the low 32 bits of each id, in call order. */
struct seen {
	uint32_t	tags[64];
	size_t		n;
	size_t		stop_after;	/* 0: never */
};

static int
collect(void *arg, const struct store_message *m)
{
	struct seen	*s = arg;

	assert_true(s->n < 64);
	assert_non_null(m->sender);
	assert_true(m->nrecipients >= 1);
	s->tags[s->n++] = (uint32_t)m->id[12] << 24 | (uint32_t)m->id[13] << 16 |
	    (uint32_t)m->id[14] << 8 | m->id[15];
	return s->stop_after != 0 && s->n >= s->stop_after;
}

static void
expect_list(struct store *st, const char *addr, enum store_role role,
    size_t offset, size_t limit, const uint32_t *want, size_t nwant)
{
	struct seen	s;
	size_t		i;

	memset(&s, 0, sizeof(s));
	assert_int_equal(store_list_messages(st, addr, role, offset, limit,
	    collect, &s), STORE_OK);
	if (s.n != nwant)
		fail_msg("list %s role %d offset %zu limit %zu: %zu results, "
		    "want %zu", addr ? addr : "(all)", (int)role, offset, limit,
		    s.n, nwant);
	for (i = 0; i < nwant; i++)
		if (s.tags[i] != want[i])
			fail_msg("list %s: result %zu is %u, want %u",
			    addr ? addr : "(all)", i, s.tags[i], want[i]);
}

static void
test_open_errors(void **state)
{
	static const struct {
		const char	*label;
		const char	*backend;
		const char	*path;
		int		 flags;
		const char	*want_in_err;
	} cases[] = {
		{ "unknown backend", "postgres", "/tmp", STORE_OPEN_CREATE,
		    "postgres" },
		{ "no backend", NULL, "/tmp", STORE_OPEN_CREATE,
		    "store_backend" },
		{ "no path", "lmdb", NULL, STORE_OPEN_CREATE, "store_path" },
		{ "missing store without create", "lmdb",
		    "/tmp/sealpost-no-such-store", 0, "no-such-store" },
		{ "path is a file", "lmdb", "/etc/passwd", STORE_OPEN_CREATE,
		    "not a directory" },
	};
	struct config	 cfg;
	struct store	*st;
	char		 err[256];
	size_t		 i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(&cfg, 0, sizeof(cfg));
		cfg.store_backend = (char *)cases[i].backend;
		cfg.store_path = (char *)cases[i].path;
		cfg.store_map_size = 64 * MiB;
		err[0] = '\0';
		st = NULL;
		if (store_open(&cfg, cases[i].flags, &st, err,
		    sizeof(err)) != -1)
			fail_msg("%s: opened", cases[i].label);
		if (strstr(err, cases[i].want_in_err) == NULL)
			fail_msg("%s: error \"%s\" lacks \"%s\"",
			    cases[i].label, err, cases[i].want_in_err);
		assert_null(st);
	}
}

static void
test_create_mode(void **state)
{
	struct fixture	*f = *state;
	struct stat	 sb;

	assert_int_equal(stat(f->path, &sb), 0);
	assert_true(S_ISDIR(sb.st_mode));
	assert_int_equal(sb.st_mode & 0777, 0700);
	store_close(NULL);
}

static void
test_put_get(void **state)
{
	struct fixture		*f = *state;
	struct tmsg		 t, t2;
	struct store_message	 got;

	tmsg_init(&t, 1, 1700000000, "Alice@Example.ORG", "bob@example.com",
	    "carol@example.net", "dave@example.com");
	t.m.flags = 0;
	t.m.size = 9876543210ULL;
	assert_int_equal(put_tmsg(f->st, &t, 3, 100, 7), STORE_OK);
	memset(&got, 0x77, sizeof(got));
	assert_int_equal(store_get_message(f->st, t.m.id, &got), STORE_OK);
	assert_same_message(&t.m, &got);
	store_message_clear(&got);

	/* Null sender, no header block. */
	tmsg_init(&t2, 2, 1700000001, "", "bob@example.com", NULL, NULL);
	t2.m.headers_ct = NULL;
	t2.m.headers_ctlen = 0;
	assert_int_equal(put_tmsg(f->st, &t2, 1, 5, 5), STORE_OK);
	assert_int_equal(store_get_message(f->st, t2.m.id, &got), STORE_OK);
	assert_same_message(&t2.m, &got);
	store_message_clear(&got);
	store_message_clear(&got);	/* twice is harmless */
}

static void
test_put_rejects(void **state)
{
	struct fixture		*f = *state;
	struct tmsg		 t;
	struct store_message	 got;
	char			 empty[] = "";

	/* No recipient. */
	tmsg_init(&t, 3, 1700000000, "a@example.org", NULL, NULL, NULL);
	assert_int_equal(t.m.nrecipients, 0);
	assert_int_equal(put_tmsg(f->st, &t, 1, 10, 10), STORE_ERROR);
	assert_int_equal(store_get_message(f->st, t.m.id, &got),
	    STORE_NOTFOUND);

	/* An empty recipient address. */
	tmsg_init(&t, 3, 1700000000, "a@example.org", empty, NULL, NULL);
	assert_int_equal(put_tmsg(f->st, &t, 1, 10, 10), STORE_ERROR);

	/* Negative received time. */
	tmsg_init(&t, 3, -5, "a@example.org", "b@example.org", NULL, NULL);
	assert_int_equal(put_tmsg(f->st, &t, 1, 10, 10), STORE_ERROR);
	assert_int_equal(store_get_message(f->st, t.m.id, &got),
	    STORE_NOTFOUND);

	/* The same id twice: the first stays as it was. */
	tmsg_init(&t, 3, 1700000000, "a@example.org", "b@example.org", NULL,
	    NULL);
	assert_int_equal(put_tmsg(f->st, &t, 2, 10, 10), STORE_OK);
	t.m.size = 1;
	assert_int_equal(put_tmsg(f->st, &t, 1, 99, 99), STORE_ERROR);
	assert_int_equal(store_get_message(f->st, t.m.id, &got), STORE_OK);
	assert_true(got.size == 1003);
	assert_int_equal(got.nchunks, 2);
	store_message_clear(&got);
	check_chunks(f->st, t.m.id, 2, 10, 10);
}

static void
test_chunks(void **state)
{
	static const struct {
		const char	*label;
		uint32_t	 nchunks;
		size_t		 chunklen;
		size_t		 lastlen;
	} cases[] = {
		{ "no chunk", 0, 0, 0 },
		{ "one empty chunk", 1, 0, 0 },
		{ "one chunk", 1, 65553, 65553 },
		{ "many chunks", 40, 65553, 1234 },
		{ "1 MiB chunk", 2, 1024 * 1024, 17 },
	};
	struct fixture		*f = *state;
	struct tmsg		 t;
	struct store_message	 got;
	size_t			 i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		tmsg_init(&t, 100 + (uint32_t)i, 1700000000 + (int64_t)i,
		    "a@example.org", "b@example.org", NULL, NULL);
		if (put_tmsg(f->st, &t, cases[i].nchunks, cases[i].chunklen,
		    cases[i].lastlen) != STORE_OK)
			fail_msg("%s: put failed", cases[i].label);
		assert_int_equal(store_get_message(f->st, t.m.id, &got),
		    STORE_OK);
		assert_int_equal(got.nchunks, cases[i].nchunks);
		store_message_clear(&got);
	}
	/* Read back after all are written: keys of neighbours don't mix. */
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		tmsg_init(&t, 100 + (uint32_t)i, 0, "", "x@y", NULL, NULL);
		check_chunks(f->st, t.m.id, cases[i].nchunks,
		    cases[i].chunklen, cases[i].lastlen);
	}
}

static void
test_missing(void **state)
{
	struct fixture		*f = *state;
	struct store_message	 got;
	uint8_t			 id[MSGID_LEN], *ct = (uint8_t *)"x";
	size_t			 len = 5;

	tmsg_id(id, 999);
	assert_int_equal(store_get_message(f->st, id, &got), STORE_NOTFOUND);
	assert_null(got.sender);
	assert_int_equal(store_get_chunk(f->st, id, 0, &ct, &len),
	    STORE_NOTFOUND);
	assert_null(ct);
	assert_int_equal(len, 0);
	assert_int_equal(store_set_flags(f->st, id, STORE_MSG_REVOKED, 0),
	    STORE_NOTFOUND);
	assert_int_equal(store_delete_message(f->st, id), STORE_NOTFOUND);
}

static void
test_list(void **state)
{
	struct fixture	*f = *state;
	struct tmsg	 t;
	struct seen	 s;
	const uint32_t	 bob[] = { 16, 15, 13, 12, 11 };
	const uint32_t	 all[] = { 16, 15, 14, 13, 12, 11 };

	/* Put out of time order; received decides the listing order. */
	tmsg_init(&t, 13, 1000, "alice@example.org", "bob@example.com", NULL,
	    NULL);
	assert_int_equal(put_tmsg(f->st, &t, 1, 10, 10), STORE_OK);
	tmsg_init(&t, 11, 800, "ALICE@example.org", "Bob@Example.com",
	    "carol@example.net", NULL);
	assert_int_equal(put_tmsg(f->st, &t, 1, 10, 10), STORE_OK);
	tmsg_init(&t, 16, 3000, "", "bob@example.com", NULL, NULL);
	assert_int_equal(put_tmsg(f->st, &t, 1, 10, 10), STORE_OK);
	tmsg_init(&t, 14, 1500, "carol@example.net", "dave@example.com", NULL,
	    NULL);
	assert_int_equal(put_tmsg(f->st, &t, 1, 10, 10), STORE_OK);
	/* Bob twice (different case): indexed and listed once. */
	tmsg_init(&t, 12, 900, "alice@example.org", "bob@example.com",
	    "BOB@EXAMPLE.COM", "carol@example.net");
	assert_int_equal(put_tmsg(f->st, &t, 1, 10, 10), STORE_OK);
	tmsg_init(&t, 15, 2000, "dave@example.com", "bob@example.com", NULL,
	    NULL);
	assert_int_equal(put_tmsg(f->st, &t, 1, 10, 10), STORE_OK);

	expect_list(f->st, "bob@example.com", STORE_ROLE_RECIPIENT, 0, 0,
	    bob, 5);
	expect_list(f->st, "BoB@eXample.COM", STORE_ROLE_RECIPIENT, 0, 0,
	    bob, 5);
	expect_list(f->st, "bob@example.com", STORE_ROLE_RECIPIENT, 1, 2,
	    bob + 1, 2);
	expect_list(f->st, "bob@example.com", STORE_ROLE_RECIPIENT, 3, 0,
	    bob + 3, 2);
	expect_list(f->st, "bob@example.com", STORE_ROLE_RECIPIENT, 5, 0,
	    NULL, 0);
	expect_list(f->st, "bob@example.com", STORE_ROLE_RECIPIENT, 100, 3,
	    NULL, 0);
	expect_list(f->st, "bob@example.com", STORE_ROLE_SENDER, 0, 0,
	    NULL, 0);
	expect_list(f->st, "Alice@Example.Org", STORE_ROLE_SENDER, 0, 0,
	    (const uint32_t[]){ 13, 12, 11 }, 3);
	expect_list(f->st, "alice@example.org", STORE_ROLE_RECIPIENT, 0, 0,
	    NULL, 0);
	expect_list(f->st, "carol@example.net", STORE_ROLE_RECIPIENT, 0, 0,
	    (const uint32_t[]){ 12, 11 }, 2);
	expect_list(f->st, "carol@example.net", STORE_ROLE_SENDER, 0, 0,
	    (const uint32_t[]){ 14 }, 1);
	/* The null sender is not indexed. */
	expect_list(f->st, "", STORE_ROLE_SENDER, 0, 0, NULL, 0);
	expect_list(f->st, "nobody@example.com", STORE_ROLE_RECIPIENT, 0, 0,
	    NULL, 0);
	/* A prefix of an address is not that address. */
	expect_list(f->st, "bob@example.co", STORE_ROLE_RECIPIENT, 0, 0,
	    NULL, 0);

	/* Everything, newest first. */
	expect_list(f->st, NULL, 0, 0, 0, all, 6);
	expect_list(f->st, NULL, 0, 2, 3, all + 2, 3);
	expect_list(f->st, NULL, 0, 6, 0, NULL, 0);

	/* The callback stops the walk. */
	memset(&s, 0, sizeof(s));
	s.stop_after = 2;
	assert_int_equal(store_list_messages(f->st, "bob@example.com",
	    STORE_ROLE_RECIPIENT, 0, 0, collect, &s), STORE_OK);
	assert_int_equal(s.n, 2);
	memset(&s, 0, sizeof(s));
	s.stop_after = 1;
	assert_int_equal(store_list_messages(f->st, NULL, 0, 0, 0, collect,
	    &s), STORE_OK);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.tags[0], 16);

	/* Bad arguments. */
	assert_int_equal(store_list_messages(f->st, "bob@example.com", 7, 0,
	    0, collect, &s), STORE_ERROR);
	assert_int_equal(store_list_messages(f->st, NULL, 0, 0, 0, NULL,
	    NULL), STORE_ERROR);
}

static void
test_long_address(void **state)
{
	struct fixture	*f = *state;
	struct tmsg	 t;
	char		 a[1501], b[1501];

	/* Longer than an LMDB key: only the record tells them apart. */
	memset(a, 'a', 1500);
	a[1500] = '\0';
	memcpy(a + 1490, "@example.c", 10);
	memcpy(b, a, sizeof(b));
	b[1000] = 'B';
	tmsg_init(&t, 21, 100, a, a, NULL, NULL);
	assert_int_equal(put_tmsg(f->st, &t, 1, 10, 10), STORE_OK);
	tmsg_init(&t, 22, 200, b, b, NULL, NULL);
	assert_int_equal(put_tmsg(f->st, &t, 1, 10, 10), STORE_OK);

	expect_list(f->st, a, STORE_ROLE_RECIPIENT, 0, 0,
	    (const uint32_t[]){ 21 }, 1);
	b[1000] = 'b';		/* any case */
	expect_list(f->st, b, STORE_ROLE_RECIPIENT, 0, 0,
	    (const uint32_t[]){ 22 }, 1);
	expect_list(f->st, b, STORE_ROLE_SENDER, 0, 0,
	    (const uint32_t[]){ 22 }, 1);
	tmsg_id(t.m.id, 21);
	assert_int_equal(store_delete_message(f->st, t.m.id), STORE_OK);
	expect_list(f->st, a, STORE_ROLE_RECIPIENT, 0, 0, NULL, 0);
	expect_list(f->st, b, STORE_ROLE_RECIPIENT, 0, 0,
	    (const uint32_t[]){ 22 }, 1);
}

static void
test_delete(void **state)
{
	struct fixture		*f = *state;
	struct tmsg		 t;
	struct store_message	 got;
	struct store_stats	 stats;
	uint8_t			 id[MSGID_LEN], *ct;
	size_t			 len;
	uint32_t		 i;

	/* Neighbouring ids: 31's chunks sit between 30's and 32's. */
	for (i = 30; i <= 32; i++) {
		tmsg_init(&t, i, 100 + i, "alice@example.org",
		    "bob@example.com", "carol@example.net", NULL);
		assert_int_equal(put_tmsg(f->st, &t, 5, 1000, 10), STORE_OK);
	}
	tmsg_id(id, 31);
	assert_int_equal(store_delete_message(f->st, id), STORE_OK);
	assert_int_equal(store_get_message(f->st, id, &got), STORE_NOTFOUND);
	for (i = 0; i < 5; i++)
		assert_int_equal(store_get_chunk(f->st, id, i, &ct, &len),
		    STORE_NOTFOUND);
	expect_list(f->st, "bob@example.com", STORE_ROLE_RECIPIENT, 0, 0,
	    (const uint32_t[]){ 32, 30 }, 2);
	expect_list(f->st, "carol@example.net", STORE_ROLE_RECIPIENT, 0, 0,
	    (const uint32_t[]){ 32, 30 }, 2);
	expect_list(f->st, "alice@example.org", STORE_ROLE_SENDER, 0, 0,
	    (const uint32_t[]){ 32, 30 }, 2);
	expect_list(f->st, NULL, 0, 0, 0, (const uint32_t[]){ 32, 30 }, 2);
	assert_int_equal(store_delete_message(f->st, id), STORE_NOTFOUND);

	/* The neighbours are whole. */
	tmsg_id(id, 30);
	check_chunks(f->st, id, 5, 1000, 10);
	tmsg_id(id, 32);
	check_chunks(f->st, id, 5, 1000, 10);

	/* Delete the rest: the index is empty for everyone. */
	assert_int_equal(store_delete_message(f->st, id), STORE_OK);
	tmsg_id(id, 30);
	assert_int_equal(store_delete_message(f->st, id), STORE_OK);
	expect_list(f->st, "bob@example.com", STORE_ROLE_RECIPIENT, 0, 0,
	    NULL, 0);
	expect_list(f->st, "alice@example.org", STORE_ROLE_SENDER, 0, 0,
	    NULL, 0);
	assert_int_equal(store_stat(f->st, &stats), STORE_OK);
	assert_true(stats.messages == 0);
}

static void
test_set_flags(void **state)
{
	struct fixture		*f = *state;
	struct tmsg		 t;
	struct store_message	 got;

	tmsg_init(&t, 40, 1700000000, "alice@example.org", "bob@example.com",
	    NULL, NULL);
	t.m.flags = 0x0100;
	assert_int_equal(put_tmsg(f->st, &t, 2, 50, 5), STORE_OK);
	assert_int_equal(store_set_flags(f->st, t.m.id, STORE_MSG_REVOKED, 0),
	    STORE_OK);
	assert_int_equal(store_get_message(f->st, t.m.id, &got), STORE_OK);
	assert_int_equal(got.flags, 0x0100 | STORE_MSG_REVOKED);
	t.m.flags = got.flags;
	assert_same_message(&t.m, &got);	/* nothing else moved */
	store_message_clear(&got);

	assert_int_equal(store_set_flags(f->st, t.m.id, 0, 0x0100), STORE_OK);
	assert_int_equal(store_get_message(f->st, t.m.id, &got), STORE_OK);
	assert_int_equal(got.flags, STORE_MSG_REVOKED);
	store_message_clear(&got);
	check_chunks(f->st, t.m.id, 2, 50, 5);
	expect_list(f->st, "bob@example.com", STORE_ROLE_RECIPIENT, 0, 0,
	    (const uint32_t[]){ 40 }, 1);
}

static void
test_put_fails_halfway(void **state)
{
	struct fixture		*f = *state;
	struct tmsg		 t;
	struct store_message	 got;
	struct store_stats	 stats;
	struct gen		 g;
	uint8_t			*ct;
	size_t			 len;
	int			 how;

	for (how = 0; how < 2; how++) {
		tmsg_init(&t, 50, 1700000000, "alice@example.org",
		    "bob@example.com", NULL, NULL);
		t.m.nchunks = 6;
		gen_init(&g, &t.m, 65553, 100);
		if (how == 0)
			g.fail_at = 3;
		else
			g.null_at = 4;
		assert_int_equal(store_put_message(f->st, &t.m, gen_chunk, &g),
		    STORE_ERROR);
		free(g.buf);
		assert_int_equal(store_get_message(f->st, t.m.id, &got),
		    STORE_NOTFOUND);
		assert_int_equal(store_get_chunk(f->st, t.m.id, 0, &ct, &len),
		    STORE_NOTFOUND);
		expect_list(f->st, "bob@example.com", STORE_ROLE_RECIPIENT, 0,
		    0, NULL, 0);
		expect_list(f->st, "alice@example.org", STORE_ROLE_SENDER, 0,
		    0, NULL, 0);
	}
	assert_int_equal(store_stat(f->st, &stats), STORE_OK);
	assert_true(stats.messages == 0);

	/* The same id then goes in cleanly. */
	assert_int_equal(put_tmsg(f->st, &t, 6, 65553, 100), STORE_OK);
	check_chunks(f->st, t.m.id, 6, 65553, 100);
}

static void
test_map_full(void **state)
{
	struct fixture		*f = *state;
	struct tmsg		 t;
	struct store_message	 got;
	struct store_stats	 stats;
	uint32_t		 i;

	/* 2 MiB cannot fit a 1 MiB map. */
	tmsg_init(&t, 60, 1700000000, "alice@example.org", "bob@example.com",
	    NULL, NULL);
	assert_int_equal(put_tmsg(f->st, &t, 32, 65536, 65536), STORE_FULL);
	assert_int_equal(store_get_message(f->st, t.m.id, &got),
	    STORE_NOTFOUND);
	assert_int_equal(store_stat(f->st, &stats), STORE_OK);
	assert_true(stats.map_size <= 1 * MiB);
	assert_true(stats.map_max == 1 * MiB);

	/* The store still works for small messages. */
	for (i = 0; i < 5; i++) {
		tmsg_init(&t, 61 + i, 1700000000 + i, "alice@example.org",
		    "bob@example.com", NULL, NULL);
		assert_int_equal(put_tmsg(f->st, &t, 2, 5000, 100), STORE_OK);
		check_chunks(f->st, t.m.id, 2, 5000, 100);
	}
	expect_list(f->st, "bob@example.com", STORE_ROLE_RECIPIENT, 0, 0,
	    (const uint32_t[]){ 65, 64, 63, 62, 61 }, 5);
	assert_int_equal(store_stat(f->st, &stats), STORE_OK);
	assert_true(stats.messages == 5);
	assert_true(stats.map_used > 0 && stats.map_used <= stats.map_size);
}

static void
test_growth(void **state)
{
	struct fixture		*f = *state;
	struct tmsg		 t;
	struct store_stats	 stats;
	uint32_t		 i;

	assert_int_equal(store_stat(f->st, &stats), STORE_OK);
	assert_true(stats.map_size == 64 * MiB);
	assert_true(stats.map_max == 256 * MiB);

	/* 5 x 20 MiB: past the initial 64 MiB map. */
	for (i = 0; i < 5; i++) {
		tmsg_init(&t, 70 + i, 1700000000 + i, "alice@example.org",
		    "bob@example.com", NULL, NULL);
		assert_int_equal(put_tmsg(f->st, &t, 320, 65536, 65536),
		    STORE_OK);
	}
	assert_int_equal(store_stat(f->st, &stats), STORE_OK);
	assert_true(stats.messages == 5);
	assert_true(stats.map_size > 64 * MiB);
	assert_true(stats.map_size <= 256 * MiB);
	assert_true(stats.map_used >= 100 * MiB);
	for (i = 0; i < 5; i++) {
		tmsg_id(t.m.id, 70 + i);
		check_chunks(f->st, t.m.id, 320, 65536, 65536);
	}
	/* Past the cap: full, and the store carries on. */
	tmsg_init(&t, 79, 1700000100, "alice@example.org", "bob@example.com",
	    NULL, NULL);
	assert_int_equal(put_tmsg(f->st, &t, 3200, 65536, 65536), STORE_FULL);
	tmsg_init(&t, 80, 1700000101, "alice@example.org", "bob@example.com",
	    NULL, NULL);
	assert_int_equal(put_tmsg(f->st, &t, 1, 100, 100), STORE_OK);
}

static void
test_reopen(void **state)
{
	struct fixture		*f = *state;
	struct tmsg		 t;
	struct store_message	 got;
	struct store_stats	 stats;
	char			 err[256];

	tmsg_init(&t, 90, 1700000000, "alice@example.org", "bob@example.com",
	    NULL, NULL);
	assert_int_equal(put_tmsg(f->st, &t, 3, 1000, 10), STORE_OK);
	/* Grow the map so the reopened map must start at the file size. */
	tmsg_init(&t, 91, 1700000001, "alice@example.org", "bob@example.com",
	    NULL, NULL);
	assert_int_equal(put_tmsg(f->st, &t, 1100, 65536, 65536), STORE_OK);
	assert_int_equal(store_stat(f->st, &stats), STORE_OK);
	assert_true(stats.map_size == 128 * MiB);
	store_close(f->st);
	f->st = NULL;

	/* An existing store opens without STORE_OPEN_CREATE. */
	assert_int_equal(store_open(&f->cfg, 0, &f->st, err, sizeof(err)), 0);
	assert_int_equal(store_stat(f->st, &stats), STORE_OK);
	assert_true(stats.map_size == 128 * MiB);
	assert_true(stats.messages == 2);
	tmsg_init(&t, 90, 1700000000, "alice@example.org", "bob@example.com",
	    NULL, NULL);
	t.m.nchunks = 3;
	assert_int_equal(store_get_message(f->st, t.m.id, &got), STORE_OK);
	assert_same_message(&t.m, &got);
	store_message_clear(&got);
	check_chunks(f->st, t.m.id, 3, 1000, 10);
	expect_list(f->st, "bob@example.com", STORE_ROLE_RECIPIENT, 0, 0,
	    (const uint32_t[]){ 91, 90 }, 2);
}

/* Open the environment under the store directly, as a damaged disk would. */
static MDB_env *
raw_open(struct fixture *f, MDB_dbi *messages, MDB_dbi *index, MDB_txn **txn)
{
	MDB_env	*env;

	assert_int_equal(mdb_env_create(&env), 0);
	assert_int_equal(mdb_env_set_maxdbs(env, 16), 0);
	assert_int_equal(mdb_env_open(env, f->path, MDB_NOTLS, 0600), 0);
	assert_int_equal(mdb_txn_begin(env, NULL, 0, txn), 0);
	assert_int_equal(mdb_dbi_open(*txn, "messages", 0, messages), 0);
	assert_int_equal(mdb_dbi_open(*txn, "index", 0, index), 0);
	return env;
}

static size_t
raw_index_refs(struct fixture *f, const uint8_t *id)
{
	MDB_env		*env;
	MDB_txn		*txn;
	MDB_cursor	*cur;
	MDB_dbi		 messages, index;
	MDB_val		 key, data;
	size_t		 n = 0;
	int		 rc;

	env = raw_open(f, &messages, &index, &txn);
	assert_int_equal(mdb_cursor_open(txn, index, &cur), 0);
	for (rc = mdb_cursor_get(cur, &key, &data, MDB_FIRST); rc == 0;
	    rc = mdb_cursor_get(cur, &key, &data, MDB_NEXT))
		if (data.mv_size == 24 &&
		    memcmp((uint8_t *)data.mv_data + 8, id, MSGID_LEN) == 0)
			n++;
	assert_int_equal(rc, MDB_NOTFOUND);
	mdb_cursor_close(cur);
	mdb_txn_abort(txn);
	mdb_env_close(env);
	return n;
}

static void
test_corrupt_record(void **state)
{
	struct fixture		*f = *state;
	struct tmsg		 t;
	struct store_message	 got;
	MDB_env			*env;
	MDB_txn			*txn;
	MDB_dbi			 messages, index;
	MDB_val			 key, data;
	uint8_t			 id[MSGID_LEN], *ct;
	size_t			 len;
	char			 err[256];

	tmsg_init(&t, 500, 100, "alice@example.org", "bob@example.com",
	    "carol@example.net", NULL);
	assert_int_equal(put_tmsg(f->st, &t, 3, 100, 10), STORE_OK);
	tmsg_init(&t, 501, 200, "alice@example.org", "bob@example.com",
	    NULL, NULL);
	assert_int_equal(put_tmsg(f->st, &t, 1, 100, 10), STORE_OK);
	tmsg_id(id, 500);
	store_close(f->st);
	f->st = NULL;
	assert_int_equal(raw_index_refs(f, id), 3);

	/* Replace 500's record with garbage. */
	env = raw_open(f, &messages, &index, &txn);
	key.mv_size = MSGID_LEN;
	key.mv_data = id;
	data.mv_size = 7;
	data.mv_data = "garbage";
	assert_int_equal(mdb_put(txn, messages, &key, &data, 0), 0);
	assert_int_equal(mdb_txn_commit(txn), 0);
	mdb_env_close(env);
	assert_int_equal(store_open(&f->cfg, 0, &f->st, err, sizeof(err)), 0);

	assert_int_equal(store_get_message(f->st, id, &got), STORE_ERROR);
	assert_null(got.sender);
	assert_int_equal(store_set_flags(f->st, id, 1, 0), STORE_ERROR);
	/* Listings skip it; the rest of the store is unaffected. */
	expect_list(f->st, "bob@example.com", STORE_ROLE_RECIPIENT, 0, 0,
	    (const uint32_t[]){ 501 }, 1);
	expect_list(f->st, NULL, 0, 0, 0, (const uint32_t[]){ 501 }, 1);
	/* Delete finds its index entries without the record's help. */
	assert_int_equal(store_delete_message(f->st, id), STORE_OK);
	assert_int_equal(store_get_message(f->st, id, &got), STORE_NOTFOUND);
	assert_int_equal(store_get_chunk(f->st, id, 0, &ct, &len),
	    STORE_NOTFOUND);
	store_close(f->st);
	f->st = NULL;
	assert_int_equal(raw_index_refs(f, id), 0);
	tmsg_id(id, 501);
	assert_int_equal(raw_index_refs(f, id), 2);
	assert_int_equal(store_open(&f->cfg, 0, &f->st, err, sizeof(err)), 0);
	check_chunks(f->st, id, 1, 100, 10);
}

/* Another process (the portal, sealpost-admin) grows the map under us. */
static void
test_other_process_grows(void **state)
{
	struct fixture		*f = *state;
	struct tmsg		 t;
	struct store_message	 got;
	struct store_stats	 stats;
	pid_t			 pid;
	int			 status;

	tmsg_init(&t, 600, 100, "alice@example.org", "bob@example.com", NULL,
	    NULL);
	assert_int_equal(put_tmsg(f->st, &t, 1, 100, 10), STORE_OK);
	assert_int_equal(store_stat(f->st, &stats), STORE_OK);
	assert_true(stats.map_size == 64 * MiB);

	if ((pid = fork()) == 0) {
		struct store	*st;
		char		 err[256];

		/* No cmocka here: report through the exit status. */
		if (store_open(&f->cfg, 0, &st, err, sizeof(err)) == -1)
			_exit(10);
		tmsg_init(&t, 601, 200, "alice@example.org",
		    "bob@example.com", NULL, NULL);
		if (put_tmsg(st, &t, 1200, 65536, 65536) != STORE_OK)
			_exit(11);
		store_close(st);
		_exit(0);
	}
	assert_true(pid > 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);

	/* Our map is now too small for the data: adopt theirs. */
	tmsg_init(&t, 601, 200, "alice@example.org", "bob@example.com", NULL,
	    NULL);
	t.m.nchunks = 1200;
	assert_int_equal(store_get_message(f->st, t.m.id, &got), STORE_OK);
	assert_same_message(&t.m, &got);
	store_message_clear(&got);
	check_chunks(f->st, t.m.id, 1200, 65536, 65536);
	assert_int_equal(store_stat(f->st, &stats), STORE_OK);
	assert_true(stats.map_size == 128 * MiB);
	tmsg_init(&t, 602, 300, "alice@example.org", "bob@example.com", NULL,
	    NULL);
	assert_int_equal(put_tmsg(f->st, &t, 1, 100, 10), STORE_OK);
	expect_list(f->st, "bob@example.com", STORE_ROLE_RECIPIENT, 0, 0,
	    (const uint32_t[]){ 602, 601, 600 }, 3);
}

#define NTHREADS	4
#define PER_THREAD	12

struct worker {
	struct store	*st;
	int		 n;
	int		 failures;
	int		 lists;
};

static void *
writer_main(void *arg)
{
	struct worker	*w = arg;
	struct tmsg	 t;
	struct gen	 g;
	char		 sender[64];
	int		 i;

	snprintf(sender, sizeof(sender), "writer%d@example.org", w->n);
	for (i = 0; i < PER_THREAD; i++) {
		tmsg_init(&t, (uint32_t)(1000 * (w->n + 1) + i),
		    1700000000 + i, sender, "shared@example.com", NULL, NULL);
		/* 2 MiB each: 96 MiB in all, so the map grows under load. */
		t.m.nchunks = 32;
		gen_init(&g, &t.m, 65536, 65536);
		if (store_put_message(w->st, &t.m, gen_chunk, &g) != STORE_OK)
			w->failures++;
		free(g.buf);
	}
	return NULL;
}

static int
count_cb(void *arg, const struct store_message *m)
{
	(*(size_t *)arg)++;
	return 0;
}

static void *
reader_main(void *arg)
{
	struct worker	*w = arg;
	size_t		 n;
	int		 i;

	for (i = 0; i < 200; i++) {
		n = 0;
		if (store_list_messages(w->st, "shared@example.com",
		    STORE_ROLE_RECIPIENT, 0, 0, count_cb, &n) != STORE_OK)
			w->failures++;
		w->lists++;
	}
	return NULL;
}

static void
test_threads(void **state)
{
	struct fixture		*f = *state;
	struct worker		 w[NTHREADS + 1];
	pthread_t		 tid[NTHREADS + 1];
	struct store_stats	 stats;
	struct seen		 s;
	uint8_t			 id[MSGID_LEN];
	int			 i;

	for (i = 0; i <= NTHREADS; i++) {
		memset(&w[i], 0, sizeof(w[i]));
		w[i].st = f->st;
		w[i].n = i;
		assert_int_equal(pthread_create(&tid[i], NULL,
		    i < NTHREADS ? writer_main : reader_main, &w[i]), 0);
	}
	for (i = 0; i <= NTHREADS; i++) {
		assert_int_equal(pthread_join(tid[i], NULL), 0);
		assert_int_equal(w[i].failures, 0);
	}
	assert_int_equal(store_stat(f->st, &stats), STORE_OK);
	assert_true(stats.messages == NTHREADS * PER_THREAD);
	assert_true(stats.map_size > 64 * MiB);
	for (i = 0; i < NTHREADS; i++) {
		tmsg_id(id, (uint32_t)(1000 * (i + 1) + PER_THREAD - 1));
		check_chunks(f->st, id, 32, 65536, 65536);
	}
	memset(&s, 0, sizeof(s));
	assert_int_equal(store_list_messages(f->st, "writer2@example.org",
	    STORE_ROLE_SENDER, 0, 0, collect, &s), STORE_OK);
	assert_int_equal(s.n, PER_THREAD);
	assert_int_equal(s.tags[0], 3000 + PER_THREAD - 1);
}

/*
 * Group commit.  To be sure that messages share a transaction, a "gate"
 * message is put first: its chunk source holds the writer (inside its
 * transaction) until every other thread is about to put, and a while
 * more, so that they all queue behind it and the next leader takes them
 * as one batch.  A chunk source called from a thread other than its
 * owner's shows that another caller committed the message.
 */
#define GROUP_THREADS	16
#define GROUP_SETTLE_US	300000

static struct {
	pthread_mutex_t	mu;
	pthread_cond_t	cv;
	int		entered;	/* the gate holds the writer */
	int		started;	/* putters about to call the store */
	int		want;
} gate = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0, 0 };

static void
gate_reset(int want)
{
	pthread_mutex_lock(&gate.mu);
	gate.entered = 0;
	gate.started = 0;
	gate.want = want;
	pthread_mutex_unlock(&gate.mu);
}

static void
gate_wait(void)
{
	pthread_mutex_lock(&gate.mu);
	gate.entered = 1;
	pthread_cond_broadcast(&gate.cv);
	while (gate.started < gate.want)
		pthread_cond_wait(&gate.cv, &gate.mu);
	pthread_mutex_unlock(&gate.mu);
	usleep(GROUP_SETTLE_US);	/* from "about to put" to queued */
}

static void
gate_wait_entered(void)
{
	pthread_mutex_lock(&gate.mu);
	while (!gate.entered)
		pthread_cond_wait(&gate.cv, &gate.mu);
	pthread_mutex_unlock(&gate.mu);
}

struct putter {
	struct store	*st;
	struct tmsg	 t;
	struct gen	 g;
	uint32_t	 nchunks;
	size_t		 chunklen, lastlen;
	int		 fail_at;
	int		 gate;		/* this is the gate message */
	int		 count;		/* messages: tags t..t+count-1 */
	uint32_t	 tag;
	int		 status;	/* of the first message */
	int		 failures;	/* later messages not STORE_OK */
	int		 foreign;	/* first message committed by another */
	int		 rewinds;	/* of the first message */
	pthread_t	 tid;
};

static void *
putter_main(void *arg)
{
	struct putter	*p = arg;
	int		 i, rc;

	for (i = 0; i < p->count; i++) {
		tmsg_init(&p->t, p->tag + (uint32_t)i,
		    1700000000 + p->tag + i, "group@example.org",
		    "bob@example.com", NULL, NULL);
		p->t.m.nchunks = p->nchunks;
		gen_init(&p->g, &p->t.m, p->chunklen, p->lastlen);
		p->g.fail_at = i == 0 ? p->fail_at : -1;
		p->g.gate = p->gate;
		if (i == 0 && !p->gate) {
			pthread_mutex_lock(&gate.mu);
			gate.started++;
			pthread_cond_broadcast(&gate.cv);
			pthread_mutex_unlock(&gate.mu);
		}
		rc = store_put_message(p->st, &p->t.m, gen_chunk, &p->g);
		if (i == 0) {
			p->status = rc;
			p->foreign = p->g.foreign;
			p->rewinds = p->g.rewinds;
		} else if (rc != STORE_OK)
			p->failures++;
		free(p->g.buf);
	}
	return NULL;
}

static void
putter_set(struct putter *p, struct store *st, uint32_t tag, int count,
    uint32_t nchunks, size_t chunklen, size_t lastlen)
{
	memset(p, 0, sizeof(*p));
	p->st = st;
	p->tag = tag;
	p->count = count;
	p->nchunks = nchunks;
	p->chunklen = chunklen;
	p->lastlen = lastlen;
	p->fail_at = -1;
}

/*
 * Put the gate, then v[0..n-1] concurrently behind it; join all.  Returns
 * how many of v's first messages were committed by another thread.
 */
static int
run_group(struct store *st, struct putter *v, int n)
{
	struct putter	gp;
	int		i, foreign = 0;

	putter_set(&gp, st, 900, 1, 1, 100, 100);
	gp.gate = 1;
	gate_reset(n);
	assert_int_equal(pthread_create(&gp.tid, NULL, putter_main, &gp), 0);
	gate_wait_entered();
	for (i = 0; i < n; i++)
		assert_int_equal(pthread_create(&v[i].tid, NULL, putter_main,
		    &v[i]), 0);
	for (i = 0; i < n; i++) {
		assert_int_equal(pthread_join(v[i].tid, NULL), 0);
		foreign += v[i].foreign;
	}
	assert_int_equal(pthread_join(gp.tid, NULL), 0);
	assert_int_equal(gp.status, STORE_OK);
	return foreign;
}

/* Message tag reads back whole: record and chunks. */
static void
check_put(struct store *st, const struct putter *p, uint32_t tag)
{
	struct tmsg		t;
	struct store_message	got;

	tmsg_init(&t, tag, 1700000000 + (int64_t)tag, "group@example.org",
	    "bob@example.com", NULL, NULL);
	t.m.nchunks = p->nchunks;
	memset(&got, 0, sizeof(got));
	assert_int_equal(store_get_message(st, t.m.id, &got), STORE_OK);
	assert_same_message(&t.m, &got);
	store_message_clear(&got);
	check_chunks(st, t.m.id, p->nchunks, p->chunklen, p->lastlen);
}

static void
test_group_threads(void **state)
{
	struct fixture		*f = *state;
	struct putter		 v[GROUP_THREADS];
	struct store_stats	 stats;
	size_t			 n;
	int			 i, j, foreign;

	/* One message each behind the gate: they share a commit. */
	for (i = 0; i < GROUP_THREADS; i++)
		putter_set(&v[i], f->st, 1000 * (uint32_t)(i + 1), 1, 3,
		    65553, 1000 + (size_t)i);
	foreign = run_group(f->st, v, GROUP_THREADS);
	for (i = 0; i < GROUP_THREADS; i++)
		assert_int_equal(v[i].status, STORE_OK);
	/* All but the batch's leader were committed by it. */
	if (foreign < 1)
		fail_msg("no message was committed by another thread");

	/* Then 20 more each, freely. */
	for (i = 0; i < GROUP_THREADS; i++) {
		putter_set(&v[i], f->st, 1000 * (uint32_t)(i + 1) + 1, 20, 3,
		    65553, 1000 + (size_t)i);
		assert_int_equal(pthread_create(&v[i].tid, NULL, putter_main,
		    &v[i]), 0);
	}
	for (i = 0; i < GROUP_THREADS; i++) {
		assert_int_equal(pthread_join(v[i].tid, NULL), 0);
		assert_int_equal(v[i].status, STORE_OK);
		assert_int_equal(v[i].failures, 0);
	}

	assert_int_equal(store_stat(f->st, &stats), STORE_OK);
	assert_true(stats.messages == 1 + GROUP_THREADS * 21);
	for (i = 0; i < GROUP_THREADS; i++) {
		v[i].tag = 1000 * (uint32_t)(i + 1);
		for (j = 0; j <= 20; j++)
			check_put(f->st, &v[i], v[i].tag + (uint32_t)j);
	}
	n = 0;
	assert_int_equal(store_list_messages(f->st, "bob@example.com",
	    STORE_ROLE_RECIPIENT, 0, 0, count_cb, &n), STORE_OK);
	assert_int_equal(n, 1 + GROUP_THREADS * 21);	/* and the gate */
}

/* In a 1 MiB map: one 2 MiB message among small ones. */
static void
test_group_full(void **state)
{
	struct fixture		*f = *state;
	struct putter		 v[9];
	struct store_message	 got;
	struct store_stats	 stats;
	uint8_t			*ct;
	size_t			 len;
	int			 i, foreign;

	for (i = 0; i < 8; i++)
		putter_set(&v[i], f->st, 2000 + (uint32_t)i, 1, 2, 5000, 100);
	putter_set(&v[8], f->st, 2100, 1, 32, 65536, 65536);
	foreign = run_group(f->st, v, 9);
	if (foreign < 1)
		fail_msg("no message was committed by another thread");
	/* The big one was tried in the batch, then alone. */
	assert_true(v[8].rewinds >= 2);
	assert_int_equal(v[8].status, STORE_FULL);
	tmsg_id(got.id, 2100);
	assert_int_equal(store_get_chunk(f->st, got.id, 0, &ct, &len),
	    STORE_NOTFOUND);
	memset(&got, 0, sizeof(got));
	tmsg_id(got.id, 2100);
	assert_int_equal(store_get_message(f->st, got.id, &got),
	    STORE_NOTFOUND);
	for (i = 0; i < 8; i++) {
		assert_int_equal(v[i].status, STORE_OK);
		check_put(f->st, &v[i], v[i].tag);
	}
	assert_int_equal(store_stat(f->st, &stats), STORE_OK);
	assert_true(stats.messages == 1 + 8);
}

/* One chunk source fails and one id comes twice, in one batch. */
static void
test_group_chunk_fails(void **state)
{
	struct fixture		*f = *state;
	struct putter		 v[10];
	struct store_message	 got;
	struct store_stats	 stats;
	uint8_t			*ct;
	size_t			 len;
	int			 i, foreign;

	for (i = 0; i < 8; i++)
		putter_set(&v[i], f->st, 3000 + (uint32_t)i, 1, 4, 65553, 7);
	v[3].fail_at = 2;
	putter_set(&v[8], f->st, 3100, 1, 2, 10, 10);
	putter_set(&v[9], f->st, 3100, 1, 2, 10, 10);
	foreign = run_group(f->st, v, 10);
	if (foreign < 1)
		fail_msg("no message was committed by another thread");
	for (i = 0; i < 8; i++) {
		if (i == 3)
			continue;
		assert_int_equal(v[i].status, STORE_OK);
		check_put(f->st, &v[i], v[i].tag);
	}
	assert_int_equal(v[3].status, STORE_ERROR);
	memset(&got, 0, sizeof(got));
	tmsg_id(got.id, 3003);
	assert_int_equal(store_get_message(f->st, got.id, &got),
	    STORE_NOTFOUND);
	assert_int_equal(store_get_chunk(f->st, got.id, 0, &ct, &len),
	    STORE_NOTFOUND);
	/* The same id twice: the first committed wins, the other fails. */
	assert_true((v[8].status == STORE_OK && v[9].status == STORE_ERROR) ||
	    (v[8].status == STORE_ERROR && v[9].status == STORE_OK));
	check_put(f->st, &v[8], 3100);
	assert_int_equal(store_stat(f->st, &stats), STORE_OK);
	assert_true(stats.messages == 1 + 7 + 1);
}

/* Anonymous resident memory of this process, in KiB. */
static long
rss_anon_kib(void)
{
	FILE	*fp;
	char	 line[256];
	long	 kib = -1;

	if ((fp = fopen("/proc/self/status", "r")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), fp) != NULL)
		if (sscanf(line, "RssAnon: %ld kB", &kib) == 1)
			break;
	fclose(fp);
	return kib;
}

static void
test_memory(void **state)
{
	struct fixture	*f = *state;
	struct tmsg	 t;
	long		 before, after;

	/* Warm up LMDB's own lazily touched buffers. */
	tmsg_init(&t, 200, 1700000000, "alice@example.org", "bob@example.com",
	    NULL, NULL);
	assert_int_equal(put_tmsg(f->st, &t, 16, 65553, 65553), STORE_OK);

	before = rss_anon_kib();
	assert_true(before > 0);
	tmsg_init(&t, 201, 1700000001, "alice@example.org", "bob@example.com",
	    NULL, NULL);
	/* 50 MiB in 64 KiB chunks. */
	assert_int_equal(put_tmsg(f->st, &t, 800, 65553, 65553), STORE_OK);
	after = rss_anon_kib();
	if (after - before > 8 * 1024)
		fail_msg("a 50 MiB write grew anonymous RSS by %ld KiB",
		    after - before);
	check_chunks(f->st, t.m.id, 800, 65553, 65553);
}

static void
test_stat(void **state)
{
	struct fixture		*f = *state;
	struct tmsg		 t;
	struct store_stats	 stats;

	assert_int_equal(store_stat(f->st, &stats), STORE_OK);
	assert_true(stats.messages == 0);
	assert_true(stats.map_size == 64 * MiB);
	assert_true(stats.map_max == 256 * MiB);
	assert_true(stats.map_used > 0);
	assert_int_equal(stats.stale_readers, 0);
	tmsg_init(&t, 300, 1700000000, "alice@example.org", "bob@example.com",
	    NULL, NULL);
	assert_int_equal(put_tmsg(f->st, &t, 1, 10, 10), STORE_OK);
	assert_int_equal(store_stat(f->st, &stats), STORE_OK);
	assert_true(stats.messages == 1);
}

static void
test_strerror(void **state)
{
	static const struct {
		int		 status;
		const char	*want;
	} cases[] = {
		{ STORE_OK, "success" },
		{ STORE_NOTFOUND, "not found" },
		{ STORE_ERROR, "store error" },
		{ STORE_FULL, "store is full" },
		{ 42, "unknown" },
	};
	size_t	i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_non_null(strstr(store_strerror(cases[i].status),
		    cases[i].want));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_open_errors),
		cmocka_unit_test(test_strerror),
		cmocka_unit_test_setup_teardown(test_create_mode, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_put_get, setup, teardown),
		cmocka_unit_test_setup_teardown(test_put_rejects, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_chunks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_list, setup, teardown),
		cmocka_unit_test_setup_teardown(test_long_address, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_delete, setup, teardown),
		cmocka_unit_test_setup_teardown(test_set_flags, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_put_fails_halfway, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_map_full, setup_tiny,
		    teardown),
		cmocka_unit_test_setup_teardown(test_growth, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reopen, setup, teardown),
		cmocka_unit_test_setup_teardown(test_threads, setup, teardown),
		cmocka_unit_test_setup_teardown(test_group_threads, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_group_full, setup_tiny,
		    teardown),
		cmocka_unit_test_setup_teardown(test_group_chunk_fails, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_memory, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stat, setup, teardown),
		cmocka_unit_test_setup_teardown(test_corrupt_record, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_other_process_grows,
		    setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
