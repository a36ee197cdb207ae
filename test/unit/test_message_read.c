/*
 * Reading stored messages back: messages are sealed the way the milter
 * does it (envelope_writer, wrapped key, sealed header block,
 * store_put_message) into a temporary LMDB store under a fresh master
 * key, then read with message_reader (message_reader_next, _next_into
 * and the two mixed) and message_read_all.  Tampering
 * goes through a raw LMDB transaction on the closed store; the reader
 * must hand out nothing from the failure point on.
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <dirent.h>
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
#include <gmime/gmime.h>
#include <lmdb.h>
#include <sodium.h>

#include "config.h"
#include "envelope.h"
#include "masterkey.h"
#include "message_read.h"
#include "msgid.h"
#include "store.h"

#define CHUNK		ENVELOPE_CHUNK_SIZE
#define MAX_CHUNKS	64

struct fixture {
	char			 dir[64];
	char			 path[96];	/* the store */
	struct config		 cfg;
	struct store		*st;
	struct masterkey	*mk;
	struct masterkey	*mk_other;	/* another fresh key, same id */
};

/* Sealed chunks, kept in memory between the writer and the store. */
struct chunks {
	uint8_t		*ct[MAX_CHUNKS + 1];
	size_t		 len[MAX_CHUNKS + 1];
	uint32_t	 n;
};

/* How the record differs from what the writer produced. */
struct put_opts {
	int		 drop_last;	/* record and store one chunk less */
	int		 extra_chunk;	/* record and store one chunk more */
	int64_t		 size_delta;	/* added to the record's size */
};

static const struct put_opts	 plain_put;

static int
load_key(const char *dir, const char *name, struct masterkey **out)
{
	char	path[160], err[256];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (masterkey_create(path, err, sizeof(err)) == -1 ||
	    masterkey_load(path, out, err, sizeof(err)) == -1) {
		fprintf(stderr, "%s: %s\n", path, err);
		return -1;
	}
	return 0;
}

static int
store_reopen(struct fixture *f)
{
	char	err[256];

	if (store_open(&f->cfg, STORE_OPEN_CREATE, &f->st, err,
	    sizeof(err)) == -1) {
		fprintf(stderr, "store_open: %s\n", err);
		return -1;
	}
	return 0;
}

static int
setup(void **state)
{
	struct fixture	*f;

	if (sodium_init() < 0 || (f = calloc(1, sizeof(*f))) == NULL)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/test_message_read.XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/store", f->dir);
	f->cfg.store_backend = "lmdb";
	f->cfg.store_path = f->path;
	f->cfg.store_map_size = (uint64_t)256 * 1024 * 1024;
	if (load_key(f->dir, "master.key", &f->mk) == -1 ||
	    load_key(f->dir, "other.key", &f->mk_other) == -1 ||
	    store_reopen(f) == -1)
		return -1;
	*state = f;
	return 0;
}

static int
rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	return remove(path);
}

static int
teardown(void **state)
{
	struct fixture	*f = *state;

	store_close(f->st);
	masterkey_free(f->mk);
	masterkey_free(f->mk_other);
	nftw(f->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	free(f);
	return 0;
}

static int
chunks_sink(void *arg, uint32_t index, const uint8_t *ct, size_t len)
{
	struct chunks	*c = arg;

	if (index != c->n || c->n == MAX_CHUNKS ||
	    (c->ct[c->n] = malloc(len)) == NULL)
		return -1;
	memcpy(c->ct[c->n], ct, len);
	c->len[c->n] = len;
	c->n++;
	return 0;
}

static int
chunks_next(void *arg, uint32_t index, const uint8_t **ct, size_t *len)
{
	struct chunks	*c = arg;

	if (index > c->n || c->ct[index] == NULL)
		return -1;
	*ct = c->ct[index];
	*len = c->len[index];
	return 0;
}

static void
chunks_free(struct chunks *c)
{
	uint32_t	i;

	for (i = 0; i <= MAX_CHUNKS; i++)
		free(c->ct[i]);
	memset(c, 0, sizeof(*c));
}

/*
 * Seal data (the whole original, header block first) and hdr (the header
 * block) as msg_end does and store them; *nchunks gets the writer's
 * count.
 */
static void
put_message(struct fixture *f, uint8_t id[MSGID_LEN], const void *data,
    size_t len, const char *hdr, size_t hdrlen, const struct put_opts *o,
    uint32_t *nchunks)
{
	struct envelope_key	*dk;
	struct envelope_writer	*w;
	struct store_message	 sm;
	struct chunks		 c;
	char			*rcpts[2] = { "rcpt@example.org",
				    "bcc@example.net" };
	const uint8_t		*p = data;
	size_t			 off, n;

	memset(&c, 0, sizeof(c));
	msgid_generate(id);
	assert_non_null(dk = envelope_key_new());
	assert_non_null(w = envelope_writer_new(dk, id, chunks_sink, &c));
	/* The milter hands the body over in pieces of any size. */
	for (off = 0; off < len; off += n) {
		n = len - off < 7777 ? len - off : 7777;
		assert_int_equal(envelope_writer_update(w, p + off, n), 0);
	}
	assert_int_equal(envelope_writer_finish(w), 0);
	if (nchunks != NULL)
		*nchunks = envelope_writer_chunks(w);

	memset(&sm, 0, sizeof(sm));
	memcpy(sm.id, id, MSGID_LEN);
	sm.version = ENVELOPE_VERSION;
	sm.received = 1700000000;
	sm.expires = sm.received + 90 * 86400;
	sm.size = (uint64_t)((int64_t)len + o->size_delta);
	sm.nchunks = envelope_writer_chunks(w);
	sm.sender = "sender@example.com";
	sm.recipients = rcpts;
	sm.nrecipients = 2;
	memcpy(sm.stream_header, envelope_writer_header(w),
	    ENVELOPE_HEADER_LEN);
	assert_int_equal(envelope_wrap_key(f->mk, id, dk, sm.wrapped_key), 0);
	sm.headers_ctlen = hdrlen + ENVELOPE_BLOB_OVERHEAD;
	assert_non_null(sm.headers_ct = malloc(sm.headers_ctlen));
	assert_int_equal(envelope_seal_blob(dk, id, hdr, hdrlen, sm.headers_ct),
	    0);
	if (o->drop_last)
		sm.nchunks--;
	if (o->extra_chunk) {
		/* A copy of the final chunk after it. */
		assert_non_null(c.ct[c.n] = malloc(c.len[c.n - 1]));
		memcpy(c.ct[c.n], c.ct[c.n - 1], c.len[c.n - 1]);
		c.len[c.n] = c.len[c.n - 1];
		sm.nchunks++;
	}
	assert_int_equal(store_put_message(f->st, &sm, chunks_next, &c),
	    STORE_OK);
	free(sm.headers_ct);
	envelope_writer_free(w);
	envelope_key_free(dk);
	chunks_free(&c);
}

/* Deterministic bytes that differ per position and per seed. */
static uint8_t *
pattern(size_t len, uint32_t seed)
{
	uint8_t		*b;
	uint32_t	 x = seed * 2654435761u + 1;
	size_t		 i;

	assert_non_null(b = malloc(len > 0 ? len : 1));
	for (i = 0; i < len; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		b[i] = (uint8_t)x;
	}
	return b;
}

/* How read_stream takes the chunks. */
enum read_mode {
	READ_NEXT,		/* message_reader_next */
	READ_INTO,		/* message_reader_next_into */
	READ_MIXED,		/* the two in turn */
	READ_MODES
};

static const char *const read_mode_name[READ_MODES] = {
	"next", "next_into", "mixed"
};

static int
all_byte(const uint8_t *p, size_t len, uint8_t b)
{
	size_t	i;

	for (i = 0; i < len; i++)
		if (p[i] != b)
			return 0;
	return 1;
}

/*
 * The next chunk as mode says (call k of the stream): as
 * message_reader_next.  With next_into, the caller's buffer must be
 * wiped on failure and untouched at the end.
 */
static int
read_chunk(struct message_reader *r, enum read_mode mode, unsigned k,
    uint8_t *buf, const uint8_t **p, size_t *n)
{
	int	rc;

	if (mode == READ_NEXT || (mode == READ_MIXED && k % 2 == 1))
		return message_reader_next(r, p, n);
	memset(buf, 0xa5, CHUNK);
	*n = 12345;
	rc = message_reader_next_into(r, buf, CHUNK, n);
	*p = rc == 1 ? buf : NULL;
	if (rc != 1)
		assert_int_equal(*n, 0);
	if (rc == -1)
		assert_true(all_byte(buf, CHUNK, 0));
	if (rc == 0)
		assert_true(all_byte(buf, CHUNK, 0xa5));
	return rc;
}

/*
 * Read id with message_reader; *got gets everything handed out (up to
 * the failure), *nread the chunks; returns the last next() result.
 */
static int
read_stream(struct fixture *f, const uint8_t id[MSGID_LEN],
    enum read_mode mode, uint8_t **got, size_t *gotlen, unsigned *nread)
{
	struct message_reader	*r;
	struct store_message	 meta;
	const uint8_t		*p;
	uint8_t			*buf;
	size_t			 n, cap = 0;
	int			 status, rc;

	*got = NULL;
	*gotlen = 0;
	*nread = 0;
	assert_non_null(buf = malloc(CHUNK));
	r = message_reader_open(f->st, f->mk, id, &meta, &status);
	assert_non_null(r);
	assert_int_equal(status, MESSAGE_READ_OK);
	assert_memory_equal(meta.id, id, MSGID_LEN);
	assert_string_equal(meta.sender, "sender@example.com");
	assert_int_equal(meta.nrecipients, 2);
	assert_int_equal(message_reader_size(r), meta.size);
	cap = meta.size + CHUNK;
	assert_non_null(*got = malloc(cap));
	while ((rc = read_chunk(r, mode, *nread, buf, &p, &n)) == 1) {
		/* Constant memory: never more than one chunk at a time. */
		assert_true(n > 0 && n <= CHUNK);
		assert_true(*gotlen + n <= cap);
		memcpy(*got + *gotlen, p, n);
		*gotlen += n;
		(*nread)++;
	}
	assert_null(p);
	assert_int_equal(n, 0);
	/* The end, or the failure, is final, whichever way it is asked. */
	assert_int_equal(read_chunk(r, READ_NEXT, 0, buf, &p, &n), rc);
	assert_int_equal(read_chunk(r, READ_INTO, 0, buf, &p, &n), rc);
	assert_int_equal(read_chunk(r, READ_NEXT, 0, buf, &p, &n), rc);
	assert_null(p);
	message_reader_free(r);
	store_message_clear(&meta);
	free(buf);
	return rc;
}

static void
test_roundtrip_sizes(void **state)
{
	static const struct {
		const char	*label;
		size_t		 len;
		uint32_t	 chunks;
	} cases[] = {
		{ "empty", 0, 1 },
		{ "one byte", 1, 1 },
		{ "one short of a chunk", CHUNK - 1, 1 },
		{ "exactly one chunk", CHUNK, 1 },
		{ "one over a chunk", CHUNK + 1, 2 },
		{ "three chunks exactly", 3 * CHUNK, 3 },
		{ "three chunks and a bit", 3 * CHUNK + 100, 4 },
	};
	struct fixture	*f = *state;
	uint8_t		 id[MSGID_LEN], *data, *got, *all;
	size_t		 i, gotlen, alllen;
	unsigned	 nread;
	uint32_t	 nchunks;
	enum read_mode	 mode;
	struct store_message meta;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		data = pattern(cases[i].len, (uint32_t)i + 1);
		put_message(f, id, data, cases[i].len, "Subject: x\r\n\r\n",
		    14, &plain_put, &nchunks);
		if (nchunks != cases[i].chunks)
			fail_msg("%s: %u chunks", cases[i].label, nchunks);

		for (mode = 0; mode < READ_MODES; mode++) {
			if (read_stream(f, id, mode, &got, &gotlen,
			    &nread) != 0)
				fail_msg("%s (%s): stream did not end cleanly",
				    cases[i].label, read_mode_name[mode]);
			assert_int_equal(gotlen, cases[i].len);
			assert_memory_equal(got, data, cases[i].len > 0 ?
			    cases[i].len : 0);
			free(got);
		}

		memset(&meta, 0xa5, sizeof(meta));
		assert_int_equal(message_read_all(f->st, f->mk, id,
		    cases[i].len, &meta, &all, &alllen), MESSAGE_READ_OK);
		assert_non_null(all);
		assert_int_equal(alllen, cases[i].len);
		if (alllen > 0)
			assert_memory_equal(all, data, alllen);
		assert_int_equal(meta.size, cases[i].len);
		assert_int_equal(meta.nchunks, cases[i].chunks);
		message_read_free(all, alllen);
		store_message_clear(&meta);
		free(data);
	}
}

/* The header block of a raw message: through the first empty line. */
static size_t
header_block_len(const char *raw, size_t len)
{
	size_t	i;

	for (i = 0; i + 1 < len; i++) {
		if (raw[i] == '\n' && raw[i + 1] == '\n')
			return i + 2;
		if (i + 3 < len && memcmp(raw + i, "\r\n\r\n", 4) == 0)
			return i + 4;
	}
	return len;
}

static char *
slurp(const char *path, size_t *len)
{
	gchar	*buf;
	gsize	 n;

	if (!g_file_get_contents(path, &buf, &n, NULL))
		fail_msg("%s: cannot read", path);
	*len = n;
	return buf;
}

/* Every corpus message, stored and read back byte for byte. */
static void
test_corpus_roundtrip(void **state)
{
	struct fixture		*f = *state;
	struct store_message	 meta;
	struct message_summary	 sum;
	DIR			*d;
	struct dirent		*de;
	char			 path[512], *raw, *block;
	uint8_t			 id[MSGID_LEN], *all, *got;
	size_t			 len, hlen, alllen, blen, gotlen;
	unsigned		 nread, files = 0;

	assert_non_null(d = opendir(CORPUS_DIR "/mime-samples"));
	while ((de = readdir(d)) != NULL) {
		if (!g_str_has_suffix(de->d_name, ".txt"))
			continue;
		snprintf(path, sizeof(path), "%s/mime-samples/%s", CORPUS_DIR,
		    de->d_name);
		raw = slurp(path, &len);
		hlen = header_block_len(raw, len);
		put_message(f, id, raw, len, raw, hlen, &plain_put, NULL);

		assert_int_equal(read_stream(f, id, files % READ_MODES, &got,
		    &gotlen, &nread), 0);
		if (gotlen != len || memcmp(got, raw, len) != 0)
			fail_msg("%s: stream differs", de->d_name);
		free(got);

		assert_int_equal(message_read_all(f->st, f->mk, id, len, NULL,
		    &all, &alllen), MESSAGE_READ_OK);
		if (alllen != len || memcmp(all, raw, len) != 0)
			fail_msg("%s: read_all differs", de->d_name);
		message_read_free(all, alllen);

		assert_int_equal(store_get_message(f->st, id, &meta), STORE_OK);
		assert_int_equal(message_read_headers(f->st, f->mk, &meta,
		    &block, &blen), MESSAGE_READ_OK);
		assert_int_equal(blen, hlen);
		assert_memory_equal(block, raw, hlen);
		assert_int_equal(block[blen], '\0');
		assert_int_equal(message_summary_from_headers(block, blen,
		    &sum), 0);
		assert_true(g_utf8_validate(sum.from, -1, NULL));
		assert_true(g_utf8_validate(sum.subject, -1, NULL));
		assert_true(g_utf8_validate(sum.date, -1, NULL));
		if (strcmp(de->d_name, "m0001.txt") == 0) {
			assert_string_equal(sum.from,
			    "Doug Sauder <doug@example.com>");
			assert_string_equal(sum.subject,
			    "Die Hasen und die Fr\xc3\xb6sche "
			    "(Microsoft Outlook 00)");
			assert_string_equal(sum.date,
			    "Wed, 17 May 2000 19:08:29 -0400");
		}
		message_summary_clear(&sum);
		message_read_free(block, blen);
		store_message_clear(&meta);
		g_free(raw);
		files++;
	}
	closedir(d);
	assert_true(files >= 70);
}

static void
test_summary_table(void **state)
{
	static const struct {
		const char	*label;
		const char	*block;
		const char	*from, *subject, *date;
	} cases[] = {
		{ "plain",
		  "From: Alice <alice@example.com>\r\nSubject: Hello\r\n"
		  "Date: Mon, 1 Jan 2024 10:00:00 +0000\r\n\r\n",
		  "Alice <alice@example.com>", "Hello",
		  "Mon, 1 Jan 2024 10:00:00 +0000" },
		{ "encoded words",
		  "From: =?UTF-8?B?SsO8cmdlbg==?= <j@example.com>\r\n"
		  "Subject: =?iso-8859-1?Q?Gr=FC=DFe?= aus "
		  "=?UTF-8?Q?K=C3=B6ln?=\r\n"
		  "\r\n",
		  "J\xc3\xbcrgen <j@example.com>",
		  "Gr\xc3\xbc\xc3\x9f" "e aus K\xc3\xb6ln", "" },
		{ "folded subject, no empty line",
		  "Subject: a long\r\n\tsubject  line\r\n"
		  "From: b@example.com\r\n",
		  "b@example.com", "a long subject line", "" },
		{ "nothing known",
		  "X-Other: 1\r\n\r\n", "", "", "" },
		{ "raw 8-bit latin1",
		  "Subject: M\xfcller\r\n\r\n", "", "M\xc3\xbcller", "" },
		{ "raw UTF-8",
		  "Subject: \xe2\x82\xac 100\r\n\r\n", "", "\xe2\x82\xac 100",
		  "" },
		{ "control characters",
		  "Subject: =?UTF-8?Q?a=07b=0D=0Ac?=\r\n\r\n", "", "a b c",
		  "" },
		{ "LF line ends",
		  "From: x@example.com\nSubject: lf\n\n", "x@example.com",
		  "lf", "" },
		{ "group and several",
		  "From: a@example.com, \"B, Bee\" <b@example.com>\r\n\r\n",
		  "a@example.com, \"B, Bee\" <b@example.com>", "", "" },
	};
	struct message_summary	 s;
	size_t			 i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (message_summary_from_headers(cases[i].block,
		    strlen(cases[i].block), &s) != 0)
			fail_msg("%s: failed", cases[i].label);
		if (strcmp(s.from, cases[i].from) != 0 ||
		    strcmp(s.subject, cases[i].subject) != 0 ||
		    strcmp(s.date, cases[i].date) != 0)
			fail_msg("%s: got from=[%s] subject=[%s] date=[%s]",
			    cases[i].label, s.from, s.subject, s.date);
		message_summary_clear(&s);
		assert_null(s.from);
	}
	message_summary_clear(NULL);
}

/*
 * Raw LMDB access to the chunks table of the closed store: the store is
 * closed, the edit committed, the store opened again.
 */
enum raw_op { RAW_FLIP, RAW_DELETE, RAW_SWAP, RAW_COPY_FROM };

static void
chunk_key(uint8_t key[MSGID_LEN + 4], const uint8_t id[MSGID_LEN],
    uint32_t index)
{
	memcpy(key, id, MSGID_LEN);
	key[MSGID_LEN] = (uint8_t)(index >> 24);
	key[MSGID_LEN + 1] = (uint8_t)(index >> 16);
	key[MSGID_LEN + 2] = (uint8_t)(index >> 8);
	key[MSGID_LEN + 3] = (uint8_t)index;
}

static void
raw_edit(struct fixture *f, enum raw_op op, const uint8_t id[MSGID_LEN],
    uint32_t index, const uint8_t *other_id, uint32_t other)
{
	MDB_env		*env;
	MDB_txn		*txn;
	MDB_dbi		 dbi;
	MDB_val		 k1, v1, k2, v2;
	uint8_t		 key1[MSGID_LEN + 4], key2[MSGID_LEN + 4];
	uint8_t		*b1, *b2;

	store_close(f->st);
	f->st = NULL;
	assert_int_equal(mdb_env_create(&env), 0);
	assert_int_equal(mdb_env_set_maxdbs(env, 16), 0);
	assert_int_equal(mdb_env_open(env, f->path, MDB_NOTLS, 0600), 0);
	assert_int_equal(mdb_txn_begin(env, NULL, 0, &txn), 0);
	assert_int_equal(mdb_dbi_open(txn, "chunks", 0, &dbi), 0);
	chunk_key(key1, id, index);
	k1.mv_data = key1;
	k1.mv_size = sizeof(key1);
	assert_int_equal(mdb_get(txn, dbi, &k1, &v1), 0);
	assert_non_null(b1 = malloc(v1.mv_size));
	memcpy(b1, v1.mv_data, v1.mv_size);
	switch (op) {
	case RAW_FLIP:
		b1[v1.mv_size / 2] ^= 0x01;
		v1.mv_data = b1;
		assert_int_equal(mdb_put(txn, dbi, &k1, &v1, 0), 0);
		break;
	case RAW_DELETE:
		assert_int_equal(mdb_del(txn, dbi, &k1, NULL), 0);
		break;
	case RAW_SWAP:
	case RAW_COPY_FROM:
		chunk_key(key2, other_id != NULL ? other_id : id, other);
		k2.mv_data = key2;
		k2.mv_size = sizeof(key2);
		assert_int_equal(mdb_get(txn, dbi, &k2, &v2), 0);
		assert_non_null(b2 = malloc(v2.mv_size));
		memcpy(b2, v2.mv_data, v2.mv_size);
		v2.mv_data = b2;
		assert_int_equal(mdb_put(txn, dbi, &k1, &v2, 0), 0);
		if (op == RAW_SWAP) {
			v1.mv_data = b1;
			assert_int_equal(mdb_put(txn, dbi, &k2, &v1, 0), 0);
		}
		free(b2);
		break;
	}
	assert_int_equal(mdb_txn_commit(txn), 0);
	mdb_env_close(env);
	free(b1);
	assert_int_equal(store_reopen(f), 0);
}

/* A read that must fail: all of it, and read_all, with nothing past ok. */
static void
expect_failure(struct fixture *f, const uint8_t id[MSGID_LEN],
    const uint8_t *data, unsigned ok_chunks, const char *label)
{
	uint8_t		*got, *all = (uint8_t *)"x";
	size_t		 gotlen, alllen = 1;
	unsigned	 nread;
	enum read_mode	 mode;

	for (mode = 0; mode < READ_MODES; mode++) {
		if (read_stream(f, id, mode, &got, &gotlen, &nread) != -1)
			fail_msg("%s (%s): read did not fail", label,
			    read_mode_name[mode]);
		if (nread != ok_chunks)
			fail_msg("%s (%s): %u chunks handed out, want %u",
			    label, read_mode_name[mode], nread, ok_chunks);
		assert_int_equal(gotlen, (size_t)ok_chunks * CHUNK);
		if (gotlen > 0)
			assert_memory_equal(got, data, gotlen);
		free(got);
	}
	if (message_read_all(f->st, f->mk, id, SIZE_MAX, NULL, &all,
	    &alllen) != MESSAGE_READ_CORRUPT)
		fail_msg("%s: read_all did not fail", label);
	assert_null(all);
	assert_int_equal(alllen, 0);
}

#define TAMPER_LEN	(4 * CHUNK + 1000)	/* five chunks */

static void
test_tamper_flip(void **state)
{
	struct fixture	*f = *state;
	uint8_t		 id[MSGID_LEN], *data;
	uint32_t	 k, nchunks;
	char		 label[64];

	data = pattern(TAMPER_LEN, 77);
	for (k = 0; k < 5; k++) {
		put_message(f, id, data, TAMPER_LEN, "\r\n", 2, &plain_put,
		    &nchunks);
		assert_int_equal(nchunks, 5);
		raw_edit(f, RAW_FLIP, id, k, NULL, 0);
		snprintf(label, sizeof(label), "flip in chunk %u", k);
		expect_failure(f, id, data, k, label);
	}
	free(data);
}

static void
test_tamper_delete_last(void **state)
{
	struct fixture	*f = *state;
	uint8_t		 id[MSGID_LEN], *data;

	data = pattern(TAMPER_LEN, 78);
	put_message(f, id, data, TAMPER_LEN, "\r\n", 2, &plain_put, NULL);
	raw_edit(f, RAW_DELETE, id, 4, NULL, 0);
	expect_failure(f, id, data, 4, "last chunk deleted");

	put_message(f, id, data, TAMPER_LEN, "\r\n", 2, &plain_put, NULL);
	raw_edit(f, RAW_DELETE, id, 2, NULL, 0);
	expect_failure(f, id, data, 2, "middle chunk deleted");
	free(data);
}

static void
test_tamper_swap_and_foreign(void **state)
{
	struct fixture	*f = *state;
	uint8_t		 id[MSGID_LEN], id2[MSGID_LEN], *data;

	data = pattern(TAMPER_LEN, 79);
	put_message(f, id, data, TAMPER_LEN, "\r\n", 2, &plain_put, NULL);
	raw_edit(f, RAW_SWAP, id, 1, NULL, 2);
	expect_failure(f, id, data, 1, "chunks 1 and 2 swapped");

	/* The same plaintext sealed for another record. */
	put_message(f, id, data, TAMPER_LEN, "\r\n", 2, &plain_put, NULL);
	put_message(f, id2, data, TAMPER_LEN, "\r\n", 2, &plain_put, NULL);
	raw_edit(f, RAW_COPY_FROM, id, 3, id2, 3);
	expect_failure(f, id, data, 3, "chunk 3 from another message");
	free(data);
}

/* Records that disagree with their stream, every chunk authentic. */
static void
test_record_mismatch(void **state)
{
	static const struct {
		const char	*label;
		struct put_opts	 o;
		unsigned	 ok_chunks;
	} cases[] = {
		/* The last stored chunk is not final: not handed out. */
		{ "stream without its final chunk", { .drop_last = 1 }, 3 },
		/* The final chunk comes before the record's end. */
		{ "chunk after the final one", { .extra_chunk = 1 }, 4 },
		{ "size one too big", { .size_delta = 1 }, 4 },
		{ "size one too small", { .size_delta = -1 }, 4 },
		{ "size a chunk too small", { .size_delta = -CHUNK }, 3 },
	};
	struct fixture	*f = *state;
	uint8_t		 id[MSGID_LEN], *data;
	size_t		 i;

	data = pattern(TAMPER_LEN, 80);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		put_message(f, id, data, TAMPER_LEN, "\r\n", 2, &cases[i].o,
		    NULL);
		expect_failure(f, id, data, cases[i].ok_chunks, cases[i].label);
	}
	free(data);
}

static void
test_wrong_master_key(void **state)
{
	struct fixture		*f = *state;
	struct message_reader	*r;
	struct store_message	 meta, got;
	uint8_t			 id[MSGID_LEN], *data, *all = (uint8_t *)"x";
	char			*block = "x";
	size_t			 alllen = 1, blen = 1;
	int			 status = 0;

	data = pattern(1000, 81);
	put_message(f, id, data, 1000, "Subject: s\r\n\r\n", 15, &plain_put,
	    NULL);
	memset(&got, 0x5a, sizeof(got));
	r = message_reader_open(f->st, f->mk_other, id, &got, &status);
	assert_null(r);
	assert_int_equal(status, MESSAGE_READ_CORRUPT);
	assert_null(got.sender);
	assert_null(got.headers_ct);
	assert_int_equal(message_read_all(f->st, f->mk_other, id, SIZE_MAX,
	    NULL, &all, &alllen), MESSAGE_READ_CORRUPT);
	assert_null(all);
	assert_int_equal(alllen, 0);

	assert_int_equal(store_get_message(f->st, id, &meta), STORE_OK);
	assert_int_equal(message_read_headers(f->st, f->mk_other, &meta,
	    &block, &blen), MESSAGE_READ_CORRUPT);
	assert_null(block);
	assert_int_equal(blen, 0);

	/* A flipped bit in the sealed header block. */
	meta.headers_ct[meta.headers_ctlen - 1] ^= 0x80;
	block = "x";
	assert_int_equal(message_read_headers(f->st, f->mk, &meta, &block,
	    &blen), MESSAGE_READ_CORRUPT);
	assert_null(block);
	meta.headers_ct[meta.headers_ctlen - 1] ^= 0x80;
	assert_int_equal(message_read_headers(f->st, f->mk, &meta, &block,
	    &blen), MESSAGE_READ_OK);
	assert_string_equal(block, "Subject: s\r\n\r\n");
	message_read_free(block, blen);

	/* A record of an unknown envelope version. */
	meta.version = ENVELOPE_VERSION + 1;
	assert_int_equal(message_read_headers(f->st, f->mk, &meta, &block,
	    &blen), MESSAGE_READ_CORRUPT);
	store_message_clear(&meta);
	free(data);
}

static void
test_not_found_and_cap(void **state)
{
	struct fixture		*f = *state;
	struct message_reader	*r;
	struct store_message	 meta;
	uint8_t			 id[MSGID_LEN], *data, *all;
	size_t			 alllen;
	int			 status = 0;

	msgid_generate(id);
	memset(&meta, 0x5a, sizeof(meta));
	r = message_reader_open(f->st, f->mk, id, &meta, &status);
	assert_null(r);
	assert_int_equal(status, MESSAGE_READ_NOTFOUND);
	assert_null(meta.sender);
	assert_int_equal(message_read_all(f->st, f->mk, id, SIZE_MAX, NULL,
	    &all, &alllen), MESSAGE_READ_NOTFOUND);
	assert_null(all);

	data = pattern(2 * CHUNK, 82);
	put_message(f, id, data, 2 * CHUNK, "\r\n", 2, &plain_put, NULL);
	memset(&meta, 0x5a, sizeof(meta));
	assert_int_equal(message_read_all(f->st, f->mk, id, 2 * CHUNK - 1,
	    &meta, &all, &alllen), MESSAGE_READ_TOOBIG);
	assert_null(all);
	assert_null(meta.sender);
	assert_int_equal(message_read_all(f->st, f->mk, id, 2 * CHUNK, NULL,
	    &all, &alllen), MESSAGE_READ_OK);
	assert_int_equal(alllen, 2 * CHUNK);
	assert_memory_equal(all, data, alllen);
	message_read_free(all, alllen);
	message_read_free(NULL, 0);
	message_reader_free(NULL);
	free(data);
}

/* next_into refuses a buffer that cannot hold a whole chunk, even for
 * a message shorter than one, and the reader stays failed. */
static void
test_next_into_short_buffer(void **state)
{
	static const struct {
		const char	*label;
		size_t		 msglen;
		size_t		 buflen;
		int		 want;
	} cases[] = {
		{ "short message, short buffer", 10, 10, -1 },
		{ "one short of a chunk", 3 * CHUNK, CHUNK - 1, -1 },
		{ "empty buffer", 10, 0, -1 },
		{ "exactly a chunk", 3 * CHUNK, CHUNK, 1 },
		{ "more than a chunk", 10, CHUNK + 1, 1 },
	};
	struct fixture		*f = *state;
	struct message_reader	*r;
	const uint8_t		*p;
	uint8_t			 id[MSGID_LEN], *data, *buf;
	size_t			 i, n;
	int			 status;

	assert_non_null(buf = malloc(CHUNK + 1));
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		data = pattern(cases[i].msglen, 90 + (uint32_t)i);
		put_message(f, id, data, cases[i].msglen, "\r\n", 2,
		    &plain_put, NULL);
		assert_non_null(r = message_reader_open(f->st, f->mk, id, NULL,
		    &status));
		memset(buf, 0xa5, CHUNK + 1);
		if (message_reader_next_into(r, buf, cases[i].buflen, &n) !=
		    cases[i].want)
			fail_msg("%s: not %d", cases[i].label, cases[i].want);
		if (cases[i].want == -1) {
			assert_int_equal(n, 0);
			assert_true(all_byte(buf, cases[i].buflen, 0));
			assert_true(all_byte(buf + cases[i].buflen,
			    CHUNK + 1 - cases[i].buflen, 0xa5));
			assert_int_equal(message_reader_next(r, &p, &n), -1);
		} else {
			assert_int_equal(n, cases[i].msglen < CHUNK ?
			    cases[i].msglen : CHUNK);
			assert_memory_equal(buf, data, n);
		}
		message_reader_free(r);
		free(data);
	}
	free(buf);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_roundtrip_sizes, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_corpus_roundtrip, setup,
		    teardown),
		cmocka_unit_test(test_summary_table),
		cmocka_unit_test_setup_teardown(test_tamper_flip, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_tamper_delete_last, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_tamper_swap_and_foreign,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_record_mismatch, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_wrong_master_key, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_not_found_and_cap, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_next_into_short_buffer,
		    setup, teardown),
	};

	g_mime_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
