/*
 * The store's maintenance calls against the LMDB backend: store_set_expires
 * and store_set_wrapped_key rewrite one field of the record and nothing
 * else (chunks, index, other fields, opens stay), and store_backup makes
 * a compacted copy that opens as a store, refusing a destination that
 * exists and is not an empty directory.  Key rotation end to end (unwrap,
 * re-wrap, the body still decrypts) is here too, on the envelope API.
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <dirent.h>
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

#include "config.h"
#include "envelope.h"
#include "masterkey.h"
#include "store.h"

struct fixture {
	char		 dir[64];
	char		 path[96];
	struct config	 cfg;
	struct store	*st;
};

static int
setup(void **state)
{
	struct fixture	*f;
	char		 err[256];

	if (sodium_init() == -1 || (f = calloc(1, sizeof(*f))) == NULL)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/test_store_maint.XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/store", f->dir);
	f->cfg.store_backend = "lmdb";
	f->cfg.store_path = f->path;
	f->cfg.store_map_size = 64 * 1024 * 1024;
	if (store_open(&f->cfg, STORE_OPEN_CREATE, &f->st, err,
	    sizeof(err)) == -1) {
		fprintf(stderr, "store_open: %s\n", err);
		return -1;
	}
	*state = f;
	return 0;
}

/* rm -r of the small trees the tests make (two levels). */
static void
rm_tree(const char *dir)
{
	struct dirent	*de;
	struct stat	 sb;
	DIR		*d;
	char		 p[512];

	if ((d = opendir(dir)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir, de->d_name);
		if (lstat(p, &sb) == 0 && S_ISDIR(sb.st_mode))
			rm_tree(p);
		else
			unlink(p);
	}
	closedir(d);
	rmdir(dir);
}

static int
teardown(void **state)
{
	struct fixture	*f = *state;

	store_close(f->st);
	rm_tree(f->dir);
	free(f);
	return 0;
}

static const uint8_t	chunk_data[3][5] = { "one..", "two..", "three" };

static int
chunk_src(void *arg, uint32_t index, const uint8_t **ct, size_t *len)
{
	if (index > 2)
		return -1;
	*ct = chunk_data[index];
	*len = sizeof(chunk_data[index]);
	return 0;
}

static void
make_msg(struct store_message *m, char **rcpts, uint8_t tag)
{
	static uint8_t	hdr[16];
	size_t		i;

	memset(m, 0, sizeof(*m));
	memset(m->id, 0x11, MSGID_LEN);
	m->id[15] = tag;
	m->version = 1;
	m->flags = 0;
	m->received = 1700000000;
	m->expires = 1700000000 + 90 * 86400;
	m->size = 15;
	m->nchunks = 3;
	m->attachments = 2;
	m->sender = "s@example.com";
	rcpts[0] = "a@example.net";
	rcpts[1] = "b@example.org";
	m->recipients = rcpts;
	m->nrecipients = 2;
	for (i = 0; i < ENVELOPE_WRAPPED_LEN; i++)
		m->wrapped_key[i] = (uint8_t)(i + tag);
	for (i = 0; i < ENVELOPE_HEADER_LEN; i++)
		m->stream_header[i] = (uint8_t)(3 * i);
	memset(hdr, tag, sizeof(hdr));
	m->headers_ct = hdr;
	m->headers_ctlen = sizeof(hdr);
}

/* Everything but the fields named is as put. */
static void
assert_same_but(const struct store_message *want,
    const struct store_message *got, int expires, int wrapped)
{
	size_t	i;

	assert_memory_equal(want->id, got->id, MSGID_LEN);
	assert_int_equal(want->flags, got->flags);
	assert_true(want->received == got->received);
	if (!expires)
		assert_true(want->expires == got->expires);
	assert_true(want->size == got->size);
	assert_int_equal(want->nchunks, got->nchunks);
	assert_int_equal(want->attachments, got->attachments);
	assert_string_equal(want->sender, got->sender);
	assert_int_equal(want->nrecipients, got->nrecipients);
	for (i = 0; i < want->nrecipients; i++)
		assert_string_equal(want->recipients[i], got->recipients[i]);
	if (!wrapped)
		assert_memory_equal(want->wrapped_key, got->wrapped_key,
		    ENVELOPE_WRAPPED_LEN);
	assert_memory_equal(want->stream_header, got->stream_header,
	    ENVELOPE_HEADER_LEN);
	assert_int_equal(want->headers_ctlen, got->headers_ctlen);
	assert_memory_equal(want->headers_ct, got->headers_ct,
	    want->headers_ctlen);
}

static void
assert_chunks_intact(struct store *st, const uint8_t *id)
{
	uint8_t		*ct;
	size_t		 len;
	uint32_t	 i;

	for (i = 0; i < 3; i++) {
		assert_int_equal(store_get_chunk(st, id, i, &ct, &len),
		    STORE_OK);
		assert_int_equal(len, sizeof(chunk_data[i]));
		assert_memory_equal(ct, chunk_data[i], len);
		free(ct);
	}
}

static int
count_cb(void *arg, const struct store_message *m)
{
	(*(int *)arg)++;
	return 0;
}

static void
test_set_expires(void **state)
{
	struct fixture		*f = *state;
	struct store_message	 m, got;
	uint8_t			 missing[MSGID_LEN];
	char			*rcpts[2];
	int64_t			 when;
	int			 n = 0;

	make_msg(&m, rcpts, 1);
	assert_int_equal(store_put_message(f->st, &m, chunk_src, NULL),
	    STORE_OK);
	assert_int_equal(store_record_open(f->st, m.id, "a@example.net",
	    1700000100), STORE_OK);
	assert_int_equal(store_set_expires(f->st, m.id, 1700086400),
	    STORE_OK);
	assert_int_equal(store_get_message(f->st, m.id, &got), STORE_OK);
	assert_true(got.expires == 1700086400);
	assert_same_but(&m, &got, 1, 0);
	store_message_clear(&got);
	assert_chunks_intact(f->st, m.id);
	assert_int_equal(store_get_open(f->st, m.id, "a@example.net", &when),
	    STORE_OK);
	assert_true(when == 1700000100);
	/* Still listed for its recipients and sender. */
	assert_int_equal(store_list_messages(f->st, "b@example.org",
	    STORE_ROLE_RECIPIENT, 0, 0, count_cb, &n), STORE_OK);
	assert_int_equal(store_list_messages(f->st, "s@example.com",
	    STORE_ROLE_SENDER, 0, 0, count_cb, &n), STORE_OK);
	assert_int_equal(n, 2);

	memset(missing, 0x77, sizeof(missing));
	assert_int_equal(store_set_expires(f->st, missing, 1), STORE_NOTFOUND);
}

static void
test_set_wrapped_key(void **state)
{
	struct fixture		*f = *state;
	struct store_message	 m, got;
	uint8_t			 wrapped[ENVELOPE_WRAPPED_LEN];
	uint8_t			 missing[MSGID_LEN];
	char			*rcpts[2];

	make_msg(&m, rcpts, 2);
	assert_int_equal(store_put_message(f->st, &m, chunk_src, NULL),
	    STORE_OK);
	assert_int_equal(store_set_flags(f->st, m.id, STORE_MSG_REMINDED, 0),
	    STORE_OK);
	m.flags = STORE_MSG_REMINDED;
	memset(wrapped, 0xa5, sizeof(wrapped));
	assert_int_equal(store_set_wrapped_key(f->st, m.id, wrapped),
	    STORE_OK);
	assert_int_equal(store_get_message(f->st, m.id, &got), STORE_OK);
	assert_memory_equal(got.wrapped_key, wrapped, sizeof(wrapped));
	assert_same_but(&m, &got, 0, 1);
	store_message_clear(&got);
	assert_chunks_intact(f->st, m.id);

	memset(missing, 0x77, sizeof(missing));
	assert_int_equal(store_set_wrapped_key(f->st, missing, wrapped),
	    STORE_NOTFOUND);
	assert_int_equal(store_set_wrapped_key(f->st, m.id, NULL),
	    STORE_ERROR);
}

/* The one sealed chunk of test_rotation_rewrap. */
static uint8_t	sealed[256];
static size_t	sealed_len;
static int	sealed_n;

static int
sealed_sink(void *arg, uint32_t index, const uint8_t *ct, size_t len)
{
	if (index != 0 || len > sizeof(sealed))
		return -1;
	memcpy(sealed, ct, len);
	sealed_len = len;
	sealed_n++;
	return 0;
}

static int
sealed_src(void *arg, uint32_t index, const uint8_t **ct, size_t *len)
{
	if (index != 0)
		return -1;
	*ct = sealed;
	*len = sealed_len;
	return 0;
}

/*
 * Rotation as sealpost-admin rotate-key does it: the data key unwrapped
 * with key 1, wrapped with key 2 and written back; the chunk sealed
 * before still decrypts with what unwraps now.
 */
static void
test_rotation_rewrap(void **state)
{
	struct fixture		*f = *state;
	struct store_message	 m, got;
	struct masterkey	*mk = NULL;
	struct envelope_key	*dk, *dk2;
	struct envelope_writer	*w;
	struct envelope_reader	*r;
	uint8_t			 wrapped[ENVELOPE_WRAPPED_LEN], out[64];
	uint8_t			*ct;
	size_t			 len, outlen;
	char			 keyfile[128], err[256], *rcpts[2];
	static const char	 text[] = "the body, never re-encrypted";

	snprintf(keyfile, sizeof(keyfile), "%s/master.key", f->dir);
	assert_int_equal(masterkey_create(keyfile, err, sizeof(err)), 0);
	assert_int_equal(masterkey_load(keyfile, &mk, err, sizeof(err)), 0);
	make_msg(&m, rcpts, 3);
	assert_non_null(dk = envelope_key_new());
	assert_int_equal(envelope_wrap_key(mk, m.id, dk, m.wrapped_key), 0);

	/* One sealed chunk, stored as the message's only chunk. */
	assert_non_null(w = envelope_writer_new(dk, m.id, sealed_sink, NULL));
	memcpy(m.stream_header, envelope_writer_header(w), ENVELOPE_HEADER_LEN);
	assert_int_equal(envelope_writer_update(w, text, sizeof(text)), 0);
	assert_int_equal(envelope_writer_finish(w), 0);
	envelope_writer_free(w);
	envelope_key_free(dk);
	m.nchunks = 1;
	assert_int_equal(sealed_n, 1);
	assert_int_equal(store_put_message(f->st, &m, sealed_src, NULL),
	    STORE_OK);
	masterkey_free(mk);

	/* Rotate, then re-wrap. */
	assert_int_equal(masterkey_rotate(keyfile, err, sizeof(err)), 0);
	assert_int_equal(masterkey_load(keyfile, &mk, err, sizeof(err)), 0);
	assert_int_equal(masterkey_current_id(mk), 2);
	assert_int_equal(store_get_message(f->st, m.id, &got), STORE_OK);
	assert_non_null(dk = envelope_unwrap_key(mk, m.id, got.wrapped_key));
	assert_int_equal(envelope_wrap_key(mk, m.id, dk, wrapped), 0);
	envelope_key_free(dk);
	store_message_clear(&got);
	assert_int_equal(wrapped[3], 2);	/* key id, big endian */
	assert_int_equal(store_set_wrapped_key(f->st, m.id, wrapped),
	    STORE_OK);

	/* Read back as the portal would, with the new wrapping. */
	assert_int_equal(store_get_message(f->st, m.id, &got), STORE_OK);
	assert_int_equal(got.wrapped_key[3], 2);
	assert_non_null(dk2 = envelope_unwrap_key(mk, m.id, got.wrapped_key));
	assert_int_equal(store_get_chunk(f->st, m.id, 0, &ct, &len), STORE_OK);
	assert_non_null(r = envelope_reader_new(dk2, m.id, got.stream_header));
	assert_true(sizeof(text) <= sizeof(out));
	{
		uint8_t	*big = malloc(ENVELOPE_CHUNK_SIZE);

		assert_non_null(big);
		assert_int_equal(envelope_reader_chunk(r, ct, len, big,
		    &outlen), 1);
		assert_int_equal(outlen, sizeof(text));
		memcpy(out, big, outlen);
		free(big);
	}
	assert_memory_equal(out, text, sizeof(text));
	envelope_reader_free(r);
	envelope_key_free(dk2);
	free(ct);
	store_message_clear(&got);
	masterkey_free(mk);
}

static void
put_account(struct store *st, const char *addr)
{
	struct store_account	a;

	memset(&a, 0, sizeof(a));
	a.address = (char *)addr;
	a.password_hash = "";
	a.created = 1700000000;
	assert_int_equal(store_put_account(st, &a), STORE_OK);
}

static void
test_backup(void **state)
{
	struct fixture		*f = *state;
	struct store_message	 m, got;
	struct store_account	 acc;
	struct store_stats	 s1, s2;
	struct store		*copy;
	struct config		 c2;
	struct stat		 sb;
	char			 dest[160], file[200], err[512], *rcpts[2];
	uint8_t			 tag;
	FILE			*fp;

	for (tag = 10; tag < 14; tag++) {
		make_msg(&m, rcpts, tag);
		assert_int_equal(store_put_message(f->st, &m, chunk_src, NULL),
		    STORE_OK);
	}
	/* A hole, which the compacted copy leaves out. */
	make_msg(&m, rcpts, 13);
	assert_int_equal(store_delete_message(f->st, m.id), STORE_OK);
	put_account(f->st, "guest@example.net");

	/* A new directory, created 0700, data.mdb 0600. */
	snprintf(dest, sizeof(dest), "%s/backup1", f->dir);
	assert_int_equal(store_backup(f->st, dest, err, sizeof(err)), 0);
	assert_int_equal(stat(dest, &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0700);
	snprintf(file, sizeof(file), "%s/data.mdb", dest);
	assert_int_equal(stat(file, &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0600);

	memset(&c2, 0, sizeof(c2));
	c2.store_backend = "lmdb";
	c2.store_path = dest;
	c2.store_map_size = 64 * 1024 * 1024;
	assert_int_equal(store_open(&c2, 0, &copy, err, sizeof(err)), 0);
	assert_int_equal(store_stat(f->st, &s1), STORE_OK);
	assert_int_equal(store_stat(copy, &s2), STORE_OK);
	assert_true(s2.messages == 3 && s1.messages == 3);
	assert_true(s2.accounts == 1);
	make_msg(&m, rcpts, 11);
	assert_int_equal(store_get_message(copy, m.id, &got), STORE_OK);
	assert_same_but(&m, &got, 0, 0);
	store_message_clear(&got);
	assert_chunks_intact(copy, m.id);
	assert_int_equal(store_get_account(copy, "guest@example.net", &acc),
	    STORE_OK);
	store_account_clear(&acc);
	store_close(copy);

	/* An existing empty directory is fine. */
	snprintf(dest, sizeof(dest), "%s/backup2", f->dir);
	assert_int_equal(mkdir(dest, 0755), 0);
	assert_int_equal(store_backup(f->st, dest, err, sizeof(err)), 0);

	/* Refused: not empty (the same again), a file, no parent, "". */
	assert_int_equal(store_backup(f->st, dest, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "not empty"));
	snprintf(file, sizeof(file), "%s/afile", f->dir);
	assert_non_null(fp = fopen(file, "w"));
	fclose(fp);
	assert_int_equal(store_backup(f->st, file, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "not a directory"));
	snprintf(dest, sizeof(dest), "%s/no/such", f->dir);
	assert_int_equal(store_backup(f->st, dest, err, sizeof(err)), -1);
	assert_int_equal(store_backup(f->st, "", err, sizeof(err)), -1);
	snprintf(dest, sizeof(dest), "%s/no", f->dir);
	assert_int_equal(stat(dest, &sb), -1);	/* nothing left behind */
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_set_expires, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_set_wrapped_key, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_rotation_rewrap, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_backup, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
