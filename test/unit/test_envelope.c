/*
 * The crypto envelope: streaming round trips at chunk boundaries, every
 * kind of tampering, key wrapping, blobs.  A data key with known bytes is
 * made by wrapping it by hand (the documented layout) and unwrapping it,
 * so the tests can also check the on-disk format with raw libsodium.
 */
#include <sys/stat.h>

#include <fcntl.h>
#include <ftw.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sodium.h>

#include "envelope.h"
#include "masterkey.h"
#include "msgid.h"

#define CHUNK		ENVELOPE_CHUNK_SIZE
#define CT_MAX		(ENVELOPE_CHUNK_SIZE + ENVELOPE_CHUNK_OVERHEAD)
#define TAG_MESSAGE	crypto_secretstream_xchacha20poly1305_TAG_MESSAGE
#define TAG_PUSH	crypto_secretstream_xchacha20poly1305_TAG_PUSH
#define TAG_REKEY	crypto_secretstream_xchacha20poly1305_TAG_REKEY
#define TAG_FINAL	crypto_secretstream_xchacha20poly1305_TAG_FINAL

/* Fixed master keys and data key, so that runs repeat. */
static uint8_t		 mkey1[MASTERKEY_LEN], mkey2[MASTERKEY_LEN];
static uint8_t		 mkey_other[MASTERKEY_LEN];
static uint8_t		 kbytes[ENVELOPE_KEY_LEN];
static const uint8_t	 rec_a[MSGID_LEN] = "record-aaaaaaaaa";
static const uint8_t	 rec_b[MSGID_LEN] = "record-bbbbbbbbb";

static char		 tmpdir[] = "/tmp/test_envelope.XXXXXX";
static struct masterkey	*mk12;		/* ids 1 and 2, current 2 */
static struct masterkey	*mk1;		/* id 1 only */
static struct masterkey	*mk_other;	/* id 1, another key */
static struct envelope_key *dk;		/* holds kbytes */
static struct envelope_key *dk_other;	/* random */

/* Stored chunks, as a store would keep them. */
struct stream {
	uint8_t		 header[ENVELOPE_HEADER_LEN];
	uint8_t		**ct;
	size_t		*len;
	uint32_t	*idx;
	size_t		 n, cap;
	int		 fail_at;	/* sink fails at this index; -1 never */
};

static void
put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static void
test_data(uint8_t *buf, size_t len, uint8_t seedbyte)
{
	uint8_t	seed[randombytes_SEEDBYTES];

	memset(seed, seedbyte, sizeof(seed));
	randombytes_buf_deterministic(buf, len, seed);
}

static void
stream_init(struct stream *s)
{
	memset(s, 0, sizeof(*s));
	s->fail_at = -1;
}

static void
stream_add(struct stream *s, uint32_t index, const uint8_t *ct, size_t len)
{
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 8;
		s->ct = realloc(s->ct, s->cap * sizeof(*s->ct));
		s->len = realloc(s->len, s->cap * sizeof(*s->len));
		s->idx = realloc(s->idx, s->cap * sizeof(*s->idx));
		assert_non_null(s->ct);
		assert_non_null(s->len);
		assert_non_null(s->idx);
	}
	s->ct[s->n] = malloc(len ? len : 1);
	assert_non_null(s->ct[s->n]);
	memcpy(s->ct[s->n], ct, len);
	s->len[s->n] = len;
	s->idx[s->n] = index;
	s->n++;
}

static void
stream_copy(struct stream *dst, const struct stream *src)
{
	size_t	i;

	stream_init(dst);
	memcpy(dst->header, src->header, sizeof(dst->header));
	for (i = 0; i < src->n; i++)
		stream_add(dst, src->idx[i], src->ct[i], src->len[i]);
}

static void
stream_clear(struct stream *s)
{
	size_t	i;

	for (i = 0; i < s->n; i++)
		free(s->ct[i]);
	free(s->ct);
	free(s->len);
	free(s->idx);
	stream_init(s);
}

static int
sink_collect(void *arg, uint32_t index, const uint8_t *ct, size_t len)
{
	struct stream	*s = arg;

	assert_true(len >= ENVELOPE_CHUNK_OVERHEAD && len <= CT_MAX);
	if (s->fail_at >= 0 && index == (uint32_t)s->fail_at)
		return -1;
	stream_add(s, index, ct, len);
	return 0;
}

/* Seal data through the writer, piece bytes per update (0: one call). */
static void
seal(const struct envelope_key *key, const uint8_t id[MSGID_LEN],
    const uint8_t *data, size_t len, size_t piece, struct stream *s)
{
	struct envelope_writer	*w;
	size_t			 off, n;

	stream_init(s);
	w = envelope_writer_new(key, id, sink_collect, s);
	assert_non_null(w);
	if (piece == 0)
		piece = len;
	for (off = 0; off < len; off += n) {
		n = len - off < piece ? len - off : piece;
		assert_int_equal(envelope_writer_update(w, data + off, n), 0);
	}
	assert_int_equal(envelope_writer_finish(w), 0);
	assert_int_equal(envelope_writer_chunks(w), s->n);
	memcpy(s->header, envelope_writer_header(w), ENVELOPE_HEADER_LEN);
	envelope_writer_free(w);
}

static int
all_zero(const uint8_t *p, size_t len)
{
	size_t	i;

	for (i = 0; i < len; i++)
		if (p[i] != 0)
			return 0;
	return 1;
}

/*
 * Feed every chunk to a reader.  1: the last chunk was final and all went
 * well; 0: the stream ended without a final chunk (truncated); -1: a chunk
 * failed, and that call left nothing in out.  The plaintext goes to
 * *pt and *ptlen when pt is not NULL.
 */
static int
open_stream(const struct envelope_key *key, const uint8_t id[MSGID_LEN],
    const struct stream *s, uint8_t **pt, size_t *ptlen)
{
	struct envelope_reader	*r;
	uint8_t			*out, *acc = NULL;
	size_t			 outlen, acclen = 0, i;
	int			 rc, result = 0, seen_final = 0;

	out = malloc(CHUNK);
	assert_non_null(out);
	r = envelope_reader_new(key, id, s->header);
	assert_non_null(r);
	for (i = 0; i < s->n; i++) {
		memset(out, 0xa5, CHUNK);
		outlen = 12345;
		rc = envelope_reader_chunk(r, s->ct[i], s->len[i], out,
		    &outlen);
		if (rc == -1) {
			assert_int_equal(outlen, 0);
			assert_true(all_zero(out, CHUNK));
			/* A failed reader stays failed. */
			memset(out, 0xa5, CHUNK);
			assert_int_equal(envelope_reader_chunk(r, s->ct[i],
			    s->len[i], out, &outlen), -1);
			assert_true(all_zero(out, CHUNK));
			result = -1;
			break;
		}
		/* Whatever follows a final chunk must fail. */
		assert_false(seen_final);
		assert_true(rc == 0 || rc == 1);
		if (rc == 1) {
			assert_true(outlen <= CHUNK);
			seen_final = 1;
		} else
			assert_int_equal(outlen, CHUNK);
		acc = realloc(acc, acclen + outlen + 1);
		assert_non_null(acc);
		memcpy(acc + acclen, out, outlen);
		acclen += outlen;
	}
	if (result != -1)
		result = seen_final;
	envelope_reader_free(r);
	free(out);
	if (pt != NULL) {
		*pt = acc;
		*ptlen = acclen;
	} else
		free(acc);
	return result;
}

/* Wrap kbytes under mkey1 by hand, following envelope.h's layout. */
static void
wrap_by_hand(const uint8_t *mkey, uint32_t kid, const uint8_t id[MSGID_LEN],
    const uint8_t *key, uint8_t out[ENVELOPE_WRAPPED_LEN])
{
	uint8_t	kek[32], ad[8 + 4 + MSGID_LEN + 4];

	assert_int_equal(crypto_kdf_derive_from_key(kek, sizeof(kek), kid,
	    "sealwrap", mkey), 0);
	memcpy(ad, "sealpost", 8);
	put_be32(ad + 8, ENVELOPE_VERSION);
	memcpy(ad + 12, id, MSGID_LEN);
	put_be32(ad + 12 + MSGID_LEN, kid);
	put_be32(out, kid);
	randombytes_buf(out + 4, 24);
	assert_int_equal(crypto_aead_xchacha20poly1305_ietf_encrypt(out + 28,
	    NULL, key, ENVELOPE_KEY_LEN, ad, sizeof(ad), NULL, out + 4, kek), 0);
}

static void
chunk_ad(uint8_t ad[32], const uint8_t id[MSGID_LEN], uint32_t version,
    uint32_t index)
{
	memcpy(ad, "sealpost", 8);
	put_be32(ad + 8, version);
	memcpy(ad + 12, id, MSGID_LEN);
	put_be32(ad + 12 + MSGID_LEN, index);
}

static void
write_keyfile(const char *name, const char *text, char *path, size_t pathlen)
{
	int	fd;

	snprintf(path, pathlen, "%s/%s", tmpdir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	assert_true(fd != -1);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	assert_int_equal(close(fd), 0);
}

static void
key_line(char *p, size_t plen, uint32_t id, const uint8_t *key)
{
	char	hex[MASTERKEY_LEN * 2 + 1];

	sodium_bin2hex(hex, sizeof(hex), key, MASTERKEY_LEN);
	snprintf(p, plen, "%u %s\n", id, hex);
}

static int
group_setup(void **state)
{
	char		 path[256], text[512], l1[100], l2[100];
	char		 err[256];
	uint8_t		 wrapped[ENVELOPE_WRAPPED_LEN];

	if (sodium_init() < 0 || mkdtemp(tmpdir) == NULL)
		return -1;
	memset(mkey1, 0x11, sizeof(mkey1));
	memset(mkey2, 0x22, sizeof(mkey2));
	memset(mkey_other, 0x33, sizeof(mkey_other));
	test_data(kbytes, sizeof(kbytes), 0x44);

	key_line(l1, sizeof(l1), 1, mkey1);
	key_line(l2, sizeof(l2), 2, mkey2);
	snprintf(text, sizeof(text), "%s%s", l1, l2);
	write_keyfile("mk12", text, path, sizeof(path));
	if (masterkey_load(path, &mk12, err, sizeof(err)) == -1)
		return -1;
	write_keyfile("mk1", l1, path, sizeof(path));
	if (masterkey_load(path, &mk1, err, sizeof(err)) == -1)
		return -1;
	key_line(l1, sizeof(l1), 1, mkey_other);
	write_keyfile("mkother", l1, path, sizeof(path));
	if (masterkey_load(path, &mk_other, err, sizeof(err)) == -1)
		return -1;

	wrap_by_hand(mkey1, 1, rec_a, kbytes, wrapped);
	if ((dk = envelope_unwrap_key(mk1, rec_a, wrapped)) == NULL)
		return -1;
	if ((dk_other = envelope_key_new()) == NULL)
		return -1;
	return 0;
}

static int
rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

static int
group_teardown(void **state)
{
	envelope_key_free(dk);
	envelope_key_free(dk_other);
	masterkey_free(mk12);
	masterkey_free(mk1);
	masterkey_free(mk_other);
	return nftw(tmpdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* Writer and reader agree at the chunk boundaries, whatever the pieces. */
static void
test_roundtrip(void **state)
{
	static const struct {
		const char	*label;
		size_t		 len;
		size_t		 piece;		/* 0: one call */
		uint32_t	 chunks;
	} cases[] = {
		{ "empty", 0, 0, 1 },
		{ "one byte", 1, 0, 1 },
		{ "one byte, pieces of 1000", 1, 1000, 1 },
		{ "chunk - 1, one call", CHUNK - 1, 0, 1 },
		{ "chunk - 1, pieces of 1000", CHUNK - 1, 1000, 1 },
		{ "chunk - 1, pieces of 1", CHUNK - 1, 1, 1 },
		{ "chunk, one call", CHUNK, 0, 1 },
		{ "chunk, pieces of 1000", CHUNK, 1000, 1 },
		{ "chunk, pieces of 1", CHUNK, 1, 1 },
		{ "chunk + 1, one call", CHUNK + 1, 0, 2 },
		{ "chunk + 1, pieces of 1000", CHUNK + 1, 1000, 2 },
		{ "chunk + 1, pieces of 1", CHUNK + 1, 1, 2 },
		{ "two chunks, pieces of a chunk", 2 * CHUNK, CHUNK, 2 },
		{ "10 MiB, one call", 10 << 20, 0, 160 },
		{ "10 MiB, pieces of 1000", 10 << 20, 1000, 160 },
		{ "10 MiB, pieces of 65537", 10 << 20, CHUNK + 1, 160 },
		{ "10 MiB + 3, pieces of 4093", (10 << 20) + 3, 4093, 161 },
	};
	struct stream	 s;
	uint8_t		*data, *pt;
	size_t		 i, j, ptlen;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		print_message("roundtrip: %s\n", cases[i].label);
		data = malloc(cases[i].len + 1);
		assert_non_null(data);
		test_data(data, cases[i].len, (uint8_t)i);
		seal(dk, rec_a, data, cases[i].len, cases[i].piece, &s);
		assert_int_equal(s.n, cases[i].chunks);
		for (j = 0; j < s.n; j++) {
			assert_int_equal(s.idx[j], j);
			/* Chunks before the last are full. */
			if (j + 1 < s.n)
				assert_int_equal(s.len[j], CT_MAX);
		}
		assert_int_equal(s.len[s.n - 1], ENVELOPE_CHUNK_OVERHEAD +
		    cases[i].len - (size_t)(s.n - 1) * CHUNK);
		assert_int_equal(open_stream(dk, rec_a, &s, &pt, &ptlen), 1);
		assert_int_equal(ptlen, cases[i].len);
		if (ptlen > 0)
			assert_memory_equal(pt, data, ptlen);
		free(pt);
		stream_clear(&s);
		free(data);
	}
}

/* The writer's output is the documented format: raw libsodium reads it. */
static void
test_format_raw_pull(void **state)
{
	crypto_secretstream_xchacha20poly1305_state st;
	struct stream		 s;
	uint8_t			*data, *out, ad[32];
	unsigned long long	 mlen;
	unsigned char		 tag;
	size_t			 len = 2 * CHUNK + 77, i;

	data = malloc(len);
	out = malloc(CHUNK);
	assert_non_null(data);
	assert_non_null(out);
	test_data(data, len, 0x55);
	seal(dk, rec_a, data, len, 3000, &s);
	assert_int_equal(s.n, 3);
	assert_int_equal(crypto_secretstream_xchacha20poly1305_init_pull(&st,
	    s.header, kbytes), 0);
	for (i = 0; i < s.n; i++) {
		chunk_ad(ad, rec_a, ENVELOPE_VERSION, (uint32_t)i);
		assert_int_equal(crypto_secretstream_xchacha20poly1305_pull(&st,
		    out, &mlen, &tag, s.ct[i], s.len[i], ad, sizeof(ad)), 0);
		assert_int_equal(tag, i + 1 < s.n ? TAG_MESSAGE : TAG_FINAL);
		assert_memory_equal(out, data + i * CHUNK, (size_t)mlen);
	}
	stream_clear(&s);
	free(data);
	free(out);
}

/* A stream built by hand: what the reader accepts and what it refuses. */
static void
test_format_raw_push(void **state)
{
	static const struct {
		const char	*label;
		unsigned char	 tags[3];
		size_t		 lens[3];
		uint32_t	 version;
		const uint8_t	*id;
		uint32_t	 index_skew;	/* added to each AD index */
		size_t		 n;
		int		 want;
	} cases[] = {
		{ "valid", { TAG_MESSAGE, TAG_FINAL }, { CHUNK, 10 },
		    ENVELOPE_VERSION, rec_a, 0, 2, 1 },
		{ "valid, final chunk full", { TAG_MESSAGE, TAG_FINAL },
		    { CHUNK, CHUNK }, ENVELOPE_VERSION, rec_a, 0, 2, 1 },
		{ "valid, empty", { TAG_FINAL }, { 0 }, ENVELOPE_VERSION,
		    rec_a, 0, 1, 1 },
		{ "TAG_PUSH", { TAG_PUSH, TAG_FINAL }, { CHUNK, 10 },
		    ENVELOPE_VERSION, rec_a, 0, 2, -1 },
		{ "TAG_REKEY", { TAG_REKEY, TAG_FINAL }, { CHUNK, 10 },
		    ENVELOPE_VERSION, rec_a, 0, 2, -1 },
		{ "TAG_PUSH last", { TAG_PUSH }, { 10 }, ENVELOPE_VERSION,
		    rec_a, 0, 1, -1 },
		{ "oversized middle chunk", { TAG_MESSAGE, TAG_FINAL },
		    { CHUNK + 1, 10 }, ENVELOPE_VERSION, rec_a, 0, 2, -1 },
		{ "oversized final chunk", { TAG_FINAL }, { CHUNK + 1 },
		    ENVELOPE_VERSION, rec_a, 0, 1, -1 },
		{ "short middle chunk", { TAG_MESSAGE, TAG_FINAL },
		    { 100, 10 }, ENVELOPE_VERSION, rec_a, 0, 2, -1 },
		{ "data after final", { TAG_FINAL, TAG_MESSAGE }, { 10, 10 },
		    ENVELOPE_VERSION, rec_a, 0, 2, -1 },
		{ "full chunk after final", { TAG_FINAL, TAG_MESSAGE },
		    { 10, CHUNK }, ENVELOPE_VERSION, rec_a, 0, 2, -1 },
		{ "final chunk first of three",
		    { TAG_FINAL, TAG_MESSAGE, TAG_FINAL }, { CHUNK, CHUNK, 5 },
		    ENVELOPE_VERSION, rec_a, 0, 3, -1 },
		{ "final after final", { TAG_FINAL, TAG_FINAL }, { 10, 10 },
		    ENVELOPE_VERSION, rec_a, 0, 2, -1 },
		{ "no final", { TAG_MESSAGE, TAG_MESSAGE }, { CHUNK, CHUNK },
		    ENVELOPE_VERSION, rec_a, 0, 2, 0 },
		{ "other version in AD", { TAG_MESSAGE, TAG_FINAL },
		    { CHUNK, 10 }, ENVELOPE_VERSION + 1, rec_a, 0, 2, -1 },
		{ "other record in AD", { TAG_MESSAGE, TAG_FINAL },
		    { CHUNK, 10 }, ENVELOPE_VERSION, rec_b, 0, 2, -1 },
		{ "index off by one in AD", { TAG_MESSAGE, TAG_FINAL },
		    { CHUNK, 10 }, ENVELOPE_VERSION, rec_a, 1, 2, -1 },
	};
	crypto_secretstream_xchacha20poly1305_state st;
	struct stream		 s;
	uint8_t			*data, *ct, *pt, ad[32];
	unsigned long long	 ctlen;
	size_t			 i, j, ptlen, off;
	int			 rc;

	data = malloc(3 * CHUNK);
	ct = malloc(CT_MAX + 1);
	assert_non_null(data);
	assert_non_null(ct);
	test_data(data, 3 * CHUNK, 0x66);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		print_message("raw stream: %s\n", cases[i].label);
		stream_init(&s);
		assert_int_equal(
		    crypto_secretstream_xchacha20poly1305_init_push(&st,
		    s.header, kbytes), 0);
		for (j = 0, off = 0; j < cases[i].n; j++) {
			chunk_ad(ad, cases[i].id, cases[i].version,
			    (uint32_t)j + cases[i].index_skew);
			assert_int_equal(
			    crypto_secretstream_xchacha20poly1305_push(&st, ct,
			    &ctlen, data + off, cases[i].lens[j], ad,
			    sizeof(ad), cases[i].tags[j]), 0);
			stream_add(&s, (uint32_t)j, ct, (size_t)ctlen);
			off += cases[i].lens[j];
		}
		rc = open_stream(dk, rec_a, &s, &pt, &ptlen);
		assert_int_equal(rc, cases[i].want);
		if (rc == 1) {
			assert_int_equal(ptlen, off);
			if (ptlen > 0)
				assert_memory_equal(pt, data, ptlen);
		}
		free(pt);
		stream_clear(&s);
	}
	free(data);
	free(ct);
}

/* A flipped bit anywhere in any chunk, or in the header, fails. */
static void
test_tamper_bits(void **state)
{
	struct stream	 s, t;
	uint8_t		*data;
	size_t		 len = 2 * CHUNK + 1000, c, k, pos[5];

	data = malloc(len);
	assert_non_null(data);
	test_data(data, len, 0x77);
	seal(dk, rec_a, data, len, 1000, &s);
	assert_int_equal(s.n, 3);
	assert_int_equal(open_stream(dk, rec_a, &s, NULL, NULL), 1);

	for (c = 0; c < s.n; c++) {
		/* the tag byte, the body, the MAC */
		pos[0] = 0;
		pos[1] = 1;
		pos[2] = s.len[c] / 2;
		pos[3] = s.len[c] - 16;
		pos[4] = s.len[c] - 1;
		for (k = 0; k < 5; k++) {
			print_message("flip bit: chunk %zu byte %zu\n", c,
			    pos[k]);
			stream_copy(&t, &s);
			t.ct[c][pos[k]] ^= 0x10;
			assert_int_equal(open_stream(dk, rec_a, &t, NULL,
			    NULL), -1);
			stream_clear(&t);
		}
	}
	for (k = 0; k < ENVELOPE_HEADER_LEN; k++) {
		stream_copy(&t, &s);
		t.header[k] ^= 0x01;
		assert_int_equal(open_stream(dk, rec_a, &t, NULL, NULL), -1);
		stream_clear(&t);
	}
	stream_clear(&s);
	free(data);
}

/* Dropped, cut, swapped, borrowed and extra chunks all fail. */
static void
test_tamper_structure(void **state)
{
	struct envelope_reader	*r;
	struct stream		 s, t, b, one;
	uint8_t			*data, *tmp, *out;
	size_t			 len = 2 * CHUNK + 1000, tlen, outlen;

	data = malloc(len);
	assert_non_null(data);
	test_data(data, len, 0x78);
	seal(dk, rec_a, data, len, 0, &s);
	assert_int_equal(s.n, 3);

	/* Truncation at a chunk boundary: the reader never says final. */
	stream_copy(&t, &s);
	t.n--;
	free(t.ct[t.n]);
	assert_int_equal(open_stream(dk, rec_a, &t, NULL, NULL), 0);
	t.n--;
	free(t.ct[t.n]);
	assert_int_equal(open_stream(dk, rec_a, &t, NULL, NULL), 0);
	t.n--;
	free(t.ct[t.n]);
	assert_int_equal(open_stream(dk, rec_a, &t, NULL, NULL), 0);
	stream_clear(&t);

	/* A middle chunk dropped. */
	stream_copy(&t, &s);
	free(t.ct[1]);
	t.ct[1] = t.ct[2];
	t.len[1] = t.len[2];
	t.n = 2;
	assert_int_equal(open_stream(dk, rec_a, &t, NULL, NULL), -1);
	stream_clear(&t);

	/* The final chunk cut short, by one byte or to the bare overhead. */
	stream_copy(&t, &s);
	t.len[2]--;
	assert_int_equal(open_stream(dk, rec_a, &t, NULL, NULL), -1);
	t.len[2] = ENVELOPE_CHUNK_OVERHEAD;
	assert_int_equal(open_stream(dk, rec_a, &t, NULL, NULL), -1);
	t.len[2] = ENVELOPE_CHUNK_OVERHEAD - 1;
	assert_int_equal(open_stream(dk, rec_a, &t, NULL, NULL), -1);
	t.len[2] = 0;
	assert_int_equal(open_stream(dk, rec_a, &t, NULL, NULL), -1);
	stream_clear(&t);

	/* Two chunks swapped: first and second, second and final. */
	stream_copy(&t, &s);
	tmp = t.ct[0]; t.ct[0] = t.ct[1]; t.ct[1] = tmp;
	assert_int_equal(open_stream(dk, rec_a, &t, NULL, NULL), -1);
	stream_clear(&t);
	stream_copy(&t, &s);
	tmp = t.ct[1]; t.ct[1] = t.ct[2]; t.ct[2] = tmp;
	tlen = t.len[1]; t.len[1] = t.len[2]; t.len[2] = tlen;
	assert_int_equal(open_stream(dk, rec_a, &t, NULL, NULL), -1);
	stream_clear(&t);

	/* The right stream read as another record: the AD binds the id. */
	assert_int_equal(open_stream(dk, rec_b, &s, NULL, NULL), -1);

	/* A chunk from another record under the same data key. */
	seal(dk, rec_b, data, len, 0, &b);
	assert_int_equal(open_stream(dk, rec_b, &b, NULL, NULL), 1);
	stream_copy(&t, &s);
	memcpy(t.ct[1], b.ct[1], b.len[1]);
	assert_int_equal(open_stream(dk, rec_a, &t, NULL, NULL), -1);
	stream_clear(&t);
	/* ... or its header */
	stream_copy(&t, &s);
	memcpy(t.header, b.header, ENVELOPE_HEADER_LEN);
	assert_int_equal(open_stream(dk, rec_a, &t, NULL, NULL), -1);
	stream_clear(&t);
	stream_clear(&b);

	/* The wrong data key. */
	assert_int_equal(open_stream(dk_other, rec_a, &s, NULL, NULL), -1);

	/* After a failure, even the right chunk is refused. */
	r = envelope_reader_new(dk, rec_a, s.header);
	assert_non_null(r);
	out = malloc(CHUNK);
	assert_non_null(out);
	s.ct[0][5] ^= 1;
	assert_int_equal(envelope_reader_chunk(r, s.ct[0], s.len[0], out,
	    &outlen), -1);
	s.ct[0][5] ^= 1;
	assert_int_equal(envelope_reader_chunk(r, s.ct[0], s.len[0], out,
	    &outlen), -1);
	assert_int_equal(outlen, 0);
	assert_true(all_zero(out, CHUNK));
	envelope_reader_free(r);
	free(out);
	assert_int_equal(open_stream(dk, rec_a, &s, NULL, NULL), 1);

	/* Data after the final chunk: the final again, or another chunk. */
	seal(dk, rec_a, data, 10, 0, &one);
	assert_int_equal(one.n, 1);
	stream_copy(&t, &one);
	stream_add(&t, 1, one.ct[0], one.len[0]);
	assert_int_equal(open_stream(dk, rec_a, &t, NULL, NULL), -1);
	stream_clear(&t);
	stream_copy(&t, &one);
	stream_add(&t, 1, s.ct[1], s.len[1]);
	assert_int_equal(open_stream(dk, rec_a, &t, NULL, NULL), -1);
	stream_clear(&t);
	stream_clear(&one);

	stream_clear(&s);
	free(data);
}

/* The sink sees chunks in index order; a full buffer waits for more. */
static void
test_writer_sink(void **state)
{
	struct envelope_writer	*w;
	struct stream		 s;
	uint8_t			*data;
	size_t			 len = 5 * CHUNK, i;

	data = malloc(len + 1);
	assert_non_null(data);
	test_data(data, len + 1, 0x79);
	stream_init(&s);
	w = envelope_writer_new(dk, rec_a, sink_collect, &s);
	assert_non_null(w);
	assert_int_equal(envelope_writer_chunks(w), 0);
	assert_int_equal(envelope_writer_update(w, data, CHUNK), 0);
	assert_int_equal(envelope_writer_chunks(w), 0);
	assert_int_equal(s.n, 0);
	assert_int_equal(envelope_writer_update(w, data + CHUNK, 0), 0);
	assert_int_equal(envelope_writer_chunks(w), 0);
	assert_int_equal(envelope_writer_update(w, data + CHUNK, 1), 0);
	assert_int_equal(envelope_writer_chunks(w), 1);
	assert_int_equal(s.n, 1);
	assert_int_equal(envelope_writer_update(w, data + CHUNK + 1,
	    len - CHUNK - 1), 0);
	assert_int_equal(envelope_writer_chunks(w), 4);
	assert_int_equal(s.n, 4);
	assert_int_equal(envelope_writer_finish(w), 0);
	assert_int_equal(envelope_writer_chunks(w), 5);
	assert_int_equal(s.n, 5);
	for (i = 0; i < s.n; i++)
		assert_int_equal(s.idx[i], i);
	memcpy(s.header, envelope_writer_header(w), ENVELOPE_HEADER_LEN);
	/* Nothing more once finished. */
	assert_int_equal(envelope_writer_update(w, data, 1), -1);
	assert_int_equal(envelope_writer_finish(w), -1);
	assert_int_equal(envelope_writer_chunks(w), 5);
	envelope_writer_free(w);
	assert_int_equal(open_stream(dk, rec_a, &s, NULL, NULL), 1);
	stream_clear(&s);

	/* Two writers on one key have different headers. */
	stream_init(&s);
	w = envelope_writer_new(dk, rec_a, sink_collect, &s);
	assert_non_null(w);
	memcpy(s.header, envelope_writer_header(w), ENVELOPE_HEADER_LEN);
	envelope_writer_free(w);
	w = envelope_writer_new(dk, rec_a, sink_collect, &s);
	assert_non_null(w);
	assert_memory_not_equal(s.header, envelope_writer_header(w),
	    ENVELOPE_HEADER_LEN);
	envelope_writer_free(w);
	stream_clear(&s);

	/* A sink error is returned, and the writer stays failed. */
	stream_init(&s);
	s.fail_at = 1;
	w = envelope_writer_new(dk, rec_a, sink_collect, &s);
	assert_non_null(w);
	assert_int_equal(envelope_writer_update(w, data, 2 * CHUNK), 0);
	assert_int_equal(envelope_writer_update(w, data, 1), -1);
	assert_int_equal(envelope_writer_chunks(w), 1);
	assert_int_equal(envelope_writer_update(w, data, 1), -1);
	assert_int_equal(envelope_writer_finish(w), -1);
	envelope_writer_free(w);
	stream_clear(&s);

	/* A sink error on the final chunk. */
	stream_init(&s);
	s.fail_at = 0;
	w = envelope_writer_new(dk, rec_a, sink_collect, &s);
	assert_non_null(w);
	assert_int_equal(envelope_writer_update(w, data, 10), 0);
	assert_int_equal(envelope_writer_finish(w), -1);
	assert_int_equal(envelope_writer_chunks(w), 0);
	envelope_writer_free(w);
	stream_clear(&s);

	free(data);
}

/* Wrapping: the documented layout, rotation, every kind of mismatch. */
static void
test_wrap(void **state)
{
	struct envelope_key	*k;
	struct stream		 s;
	uint8_t			 w[ENVELOPE_WRAPPED_LEN];
	uint8_t			 w2[ENVELOPE_WRAPPED_LEN];
	uint8_t			 t[ENVELOPE_WRAPPED_LEN];
	uint8_t			 kek[32], ad[32], got[ENVELOPE_KEY_LEN];
	uint8_t			 data[100];
	size_t			 i;
	int			 bit;

	/* The newest master key wraps, in the documented layout. */
	assert_int_equal(envelope_wrap_key(mk12, rec_a, dk, w), 0);
	assert_int_equal(w[0], 0);
	assert_int_equal(w[1], 0);
	assert_int_equal(w[2], 0);
	assert_int_equal(w[3], 2);
	assert_int_equal(crypto_kdf_derive_from_key(kek, sizeof(kek), 2,
	    "sealwrap", mkey2), 0);
	chunk_ad(ad, rec_a, ENVELOPE_VERSION, 2);
	assert_int_equal(crypto_aead_xchacha20poly1305_ietf_decrypt(got, NULL,
	    NULL, w + 28, ENVELOPE_WRAPPED_LEN - 28, ad, sizeof(ad), w + 4,
	    kek), 0);
	assert_memory_equal(got, kbytes, ENVELOPE_KEY_LEN);

	/* Random nonce: wrapping twice differs. */
	assert_int_equal(envelope_wrap_key(mk12, rec_a, dk, w2), 0);
	assert_memory_not_equal(w, w2, ENVELOPE_WRAPPED_LEN);

	/* Unwrapping gives a key that opens what the original sealed. */
	test_data(data, sizeof(data), 0x7a);
	seal(dk, rec_a, data, sizeof(data), 0, &s);
	k = envelope_unwrap_key(mk12, rec_a, w);
	assert_non_null(k);
	assert_int_equal(open_stream(k, rec_a, &s, NULL, NULL), 1);
	envelope_key_free(k);

	/* After rotation, keys wrapped under id 1 still unwrap. */
	assert_int_equal(envelope_wrap_key(mk1, rec_a, dk, w2), 0);
	assert_int_equal(w2[3], 1);
	k = envelope_unwrap_key(mk12, rec_a, w2);
	assert_non_null(k);
	assert_int_equal(open_stream(k, rec_a, &s, NULL, NULL), 1);
	envelope_key_free(k);
	stream_clear(&s);

	/* Another record id. */
	assert_null(envelope_unwrap_key(mk12, rec_b, w));
	/* A master key file that lacks id 2. */
	assert_null(envelope_unwrap_key(mk1, rec_a, w));
	/* Another master key under the same id. */
	assert_null(envelope_unwrap_key(mk_other, rec_a, w2));
	/* Unknown key ids, including 0. */
	memcpy(t, w, sizeof(t));
	put_be32(t, 3);
	assert_null(envelope_unwrap_key(mk12, rec_a, t));
	put_be32(t, 0);
	assert_null(envelope_unwrap_key(mk12, rec_a, t));
	put_be32(t, UINT32_MAX);
	assert_null(envelope_unwrap_key(mk12, rec_a, t));
	/* Id 1 exists, but the key was wrapped under 2. */
	put_be32(t, 1);
	assert_null(envelope_unwrap_key(mk12, rec_a, t));
	/* Any flipped bit. */
	for (i = 0; i < ENVELOPE_WRAPPED_LEN; i++) {
		for (bit = 0; bit < 8; bit++) {
			memcpy(t, w, sizeof(t));
			t[i] ^= (uint8_t)(1 << bit);
			assert_null(envelope_unwrap_key(mk12, rec_a, t));
		}
	}
	/* Still fine untouched. */
	k = envelope_unwrap_key(mk12, rec_a, w);
	assert_non_null(k);
	envelope_key_free(k);
}

static void
test_blob(void **state)
{
	static const size_t	 lens[] = { 0, 1, 40, 1000, 70000 };
	uint8_t			*in, *ct, *out, blob_ad[13 + 4 + MSGID_LEN];
	size_t			 i, j, len;

	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		len = lens[i];
		print_message("blob: %zu bytes\n", len);
		in = malloc(len + 1);
		ct = malloc(len + ENVELOPE_BLOB_OVERHEAD);
		out = malloc(len + 1);
		assert_non_null(in);
		assert_non_null(ct);
		assert_non_null(out);
		test_data(in, len, (uint8_t)(0x80 + i));
		assert_int_equal(envelope_seal_blob(dk, rec_a, in, len, ct), 0);
		assert_int_equal(envelope_open_blob(dk, rec_a, ct,
		    len + ENVELOPE_BLOB_OVERHEAD, out), 0);
		if (len > 0)
			assert_memory_equal(out, in, len);

		/* The documented layout: nonce || AEAD, AD binds the id. */
		memcpy(blob_ad, "sealpost-blob", 13);
		put_be32(blob_ad + 13, ENVELOPE_VERSION);
		memcpy(blob_ad + 17, rec_a, MSGID_LEN);
		memset(out, 0, len + 1);
		assert_int_equal(crypto_aead_xchacha20poly1305_ietf_decrypt(out,
		    NULL, NULL, ct + 24, len + 16, blob_ad, sizeof(blob_ad), ct,
		    kbytes), 0);
		if (len > 0)
			assert_memory_equal(out, in, len);

		/* Wrong id, wrong key. */
		memset(out, 0xa5, len + 1);
		assert_int_equal(envelope_open_blob(dk, rec_b, ct,
		    len + ENVELOPE_BLOB_OVERHEAD, out), -1);
		assert_true(all_zero(out, len));
		memset(out, 0xa5, len + 1);
		assert_int_equal(envelope_open_blob(dk_other, rec_a, ct,
		    len + ENVELOPE_BLOB_OVERHEAD, out), -1);
		assert_true(all_zero(out, len));
		/* Truncated. */
		assert_int_equal(envelope_open_blob(dk, rec_a, ct,
		    len + ENVELOPE_BLOB_OVERHEAD - 1, out), -1);
		for (j = 0; j < ENVELOPE_BLOB_OVERHEAD; j++)
			assert_int_equal(envelope_open_blob(dk, rec_a, ct, j,
			    out), -1);
		/* A flipped byte anywhere (every byte of small blobs). */
		for (j = 0; j < len + ENVELOPE_BLOB_OVERHEAD;
		    j += len > 1000 ? 997 : 1) {
			ct[j] ^= 0x40;
			memset(out, 0xa5, len + 1);
			assert_int_equal(envelope_open_blob(dk, rec_a, ct,
			    len + ENVELOPE_BLOB_OVERHEAD, out), -1);
			assert_true(all_zero(out, len));
			ct[j] ^= 0x40;
		}
		free(in);
		free(ct);
		free(out);
	}
}

static void
test_blob_nonce(void **state)
{
	uint8_t	a[10 + ENVELOPE_BLOB_OVERHEAD], b[10 + ENVELOPE_BLOB_OVERHEAD];

	assert_int_equal(envelope_seal_blob(dk, rec_a, "0123456789", 10, a), 0);
	assert_int_equal(envelope_seal_blob(dk, rec_a, "0123456789", 10, b), 0);
	assert_memory_not_equal(a, b, 24);
	assert_memory_not_equal(a + 24, b + 24, 10 + 16);
}

static void
test_key_new_free(void **state)
{
	struct envelope_key	*k1, *k2;
	uint8_t			 ct[10 + ENVELOPE_BLOB_OVERHEAD], out[10];

	envelope_key_free(NULL);
	envelope_writer_free(NULL);
	envelope_reader_free(NULL);
	masterkey_free(NULL);

	/* Fresh data keys differ: one cannot open what the other sealed. */
	k1 = envelope_key_new();
	k2 = envelope_key_new();
	assert_non_null(k1);
	assert_non_null(k2);
	assert_int_equal(envelope_seal_blob(k1, rec_a, "0123456789", 10, ct),
	    0);
	assert_int_equal(envelope_open_blob(k1, rec_a, ct, sizeof(ct), out), 0);
	assert_int_equal(envelope_open_blob(k2, rec_a, ct, sizeof(ct), out),
	    -1);
	envelope_key_free(k1);
	envelope_key_free(k2);
}

/*
 * Freed keys are kept for reuse, and new ones made once none is kept:
 * more keys at once than are kept all work and are distinct, a freed
 * key is wiped and handed out again.
 */
#define MANY_KEYS	600	/* more than are kept */

static void
test_key_slots(void **state)
{
	struct envelope_key	*k[MANY_KEYS], *again;
	volatile const uint8_t	*old;
	uint8_t			 ct[10 + ENVELOPE_BLOB_OVERHEAD], out[10];
	size_t			 i, j, round;

	for (round = 0; round < 2; round++) {
		for (i = 0; i < MANY_KEYS; i++)
			assert_non_null(k[i] = envelope_key_new());
		for (i = 0; i < MANY_KEYS; i++) {
			for (j = i + 1; j < MANY_KEYS; j++)
				assert_ptr_not_equal(k[i], k[j]);
			assert_int_equal(envelope_seal_blob(k[i], rec_a,
			    "0123456789", 10, ct), 0);
			assert_int_equal(envelope_open_blob(k[i], rec_a, ct,
			    sizeof(ct), out), 0);
			assert_int_equal(envelope_open_blob(k[(i + 1) %
			    MANY_KEYS], rec_a, ct, sizeof(ct), out), -1);
		}
		for (i = 0; i < MANY_KEYS; i++)
			envelope_key_free(k[i]);
	}

	/*
	 * A key freed while few are kept stays mapped for reuse: its
	 * bytes must be zero, and it is the next one handed out.
	 */
	assert_non_null(k[0] = envelope_key_new());
	old = (volatile const uint8_t *)k[0];
	envelope_key_free(k[0]);
	for (i = 0; i < ENVELOPE_KEY_LEN; i++)
		assert_int_equal(old[i], 0);
	assert_non_null(again = envelope_key_new());
	assert_ptr_equal(again, (const void *)old);
	envelope_key_free(again);
}

#define SLOT_THREADS	4
#define SLOT_ROUNDS	3000

/* Keys and readers taken and released from several threads at once. */
static void *
slot_worker(void *arg)
{
	struct envelope_key	*key;
	struct envelope_reader	*r;
	uint8_t			 ct[8 + ENVELOPE_BLOB_OVERHEAD], out[8];
	uint8_t			 hdr[ENVELOPE_HEADER_LEN];
	long			 bad = 0;
	int			 i;

	memset(hdr, 0, sizeof(hdr));
	for (i = 0; i < SLOT_ROUNDS; i++) {
		if ((key = envelope_key_new()) == NULL ||
		    (r = envelope_reader_new(key, rec_b, hdr)) == NULL) {
			bad++;
			envelope_key_free(key);
			continue;
		}
		if (envelope_seal_blob(key, rec_b, "abcdefgh", 8, ct) != 0 ||
		    envelope_open_blob(key, rec_b, ct, sizeof(ct), out) != 0 ||
		    memcmp(out, "abcdefgh", 8) != 0)
			bad++;
		envelope_reader_free(r);
		envelope_key_free(key);
	}
	return (void *)bad;
}

static void
test_key_slots_threads(void **state)
{
	pthread_t	 t[SLOT_THREADS];
	void		*bad;
	int		 i;

	for (i = 0; i < SLOT_THREADS; i++)
		assert_int_equal(pthread_create(&t[i], NULL, slot_worker,
		    NULL), 0);
	for (i = 0; i < SLOT_THREADS; i++) {
		assert_int_equal(pthread_join(t[i], &bad), 0);
		assert_null(bad);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_format_raw_pull),
		cmocka_unit_test(test_format_raw_push),
		cmocka_unit_test(test_tamper_bits),
		cmocka_unit_test(test_tamper_structure),
		cmocka_unit_test(test_writer_sink),
		cmocka_unit_test(test_wrap),
		cmocka_unit_test(test_blob),
		cmocka_unit_test(test_blob_nonce),
		cmocka_unit_test(test_key_new_free),
		cmocka_unit_test(test_key_slots),
		cmocka_unit_test(test_key_slots_threads),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
