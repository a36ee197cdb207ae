/*
 * The crypto envelope: per-message data keys, key wrapping under the master
 * key, chunked secretstream encryption of the original, one-shot blobs.
 * See envelope.h for the format.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "envelope.h"
#include "masterkey.h"
#include "msgid.h"

#define WRAP_CONTEXT	"sealwrap"	/* crypto_kdf_CONTEXTBYTES == 8 */
#define AD_PREFIX	"sealpost"
#define AD_PREFIX_LEN	8
#define BLOB_PREFIX	"sealpost-blob"
#define BLOB_PREFIX_LEN	13
#define WRAP_NONCE_LEN	crypto_aead_xchacha20poly1305_ietf_NPUBBYTES
#define BLOB_NONCE_LEN	crypto_aead_xchacha20poly1305_ietf_NPUBBYTES
/* prefix || version || record id || key id or chunk index */
#define AD_LEN		(AD_PREFIX_LEN + 4 + MSGID_LEN + 4)
#define BLOB_AD_LEN	(BLOB_PREFIX_LEN + 4 + MSGID_LEN)
#define CT_CHUNK_MAX	(ENVELOPE_CHUNK_SIZE + ENVELOPE_CHUNK_OVERHEAD)

_Static_assert(crypto_kdf_CONTEXTBYTES == sizeof(WRAP_CONTEXT) - 1,
    "kdf context length");
_Static_assert(crypto_kdf_KEYBYTES == MASTERKEY_LEN, "master key length");
_Static_assert(crypto_aead_xchacha20poly1305_ietf_KEYBYTES == ENVELOPE_KEY_LEN,
    "aead key length");
_Static_assert(ENVELOPE_WRAPPED_LEN == 4 + WRAP_NONCE_LEN + ENVELOPE_KEY_LEN +
    crypto_aead_xchacha20poly1305_ietf_ABYTES, "wrapped key layout");
_Static_assert(ENVELOPE_BLOB_OVERHEAD == BLOB_NONCE_LEN +
    crypto_aead_xchacha20poly1305_ietf_ABYTES, "blob layout");

struct envelope_key {
	uint8_t		 key[ENVELOPE_KEY_LEN];
};

struct envelope_writer {
	crypto_secretstream_xchacha20poly1305_state st;
	uint8_t		 header[ENVELOPE_HEADER_LEN];
	uint8_t		 id[MSGID_LEN];
	envelope_sink_fn sink;
	void		*arg;
	uint8_t		*pt;		/* ENVELOPE_CHUNK_SIZE, guarded */
	size_t		 ptlen;
	uint8_t		*ct;		/* CT_CHUNK_MAX */
	uint32_t	 nchunks;
	int		 finished;
	int		 failed;
};

struct envelope_reader {
	crypto_secretstream_xchacha20poly1305_state st;
	uint8_t		 id[MSGID_LEN];
	uint32_t	 index;		/* of the next chunk */
	int		 done;
	int		 failed;
};

static void
put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static uint32_t
get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

/* "sealpost" || version || record id || n (key id or chunk index). */
static void
envelope_ad(uint8_t ad[AD_LEN], const uint8_t id[MSGID_LEN], uint32_t n)
{
	memcpy(ad, AD_PREFIX, AD_PREFIX_LEN);
	put_be32(ad + AD_PREFIX_LEN, ENVELOPE_VERSION);
	memcpy(ad + AD_PREFIX_LEN + 4, id, MSGID_LEN);
	put_be32(ad + AD_PREFIX_LEN + 4 + MSGID_LEN, n);
}

static void
envelope_blob_ad(uint8_t ad[BLOB_AD_LEN], const uint8_t id[MSGID_LEN])
{
	memcpy(ad, BLOB_PREFIX, BLOB_PREFIX_LEN);
	put_be32(ad + BLOB_PREFIX_LEN, ENVELOPE_VERSION);
	memcpy(ad + BLOB_PREFIX_LEN + 4, id, MSGID_LEN);
}

/*
 * Guarded memory is dear: sodium_malloc maps, guards (mprotect) and locks
 * every block, and sodium_free undoes it all, each step a TLB shootdown
 * across the milter's threads.  A few wiped blocks of each size are kept
 * for reuse instead; they stay guarded and locked.
 */
#define GUARD_CACHE_MAX	32

struct guard_cache {
	size_t	 size;
	size_t	 n;
	void	*v[GUARD_CACHE_MAX];
};

static pthread_mutex_t	guard_lock = PTHREAD_MUTEX_INITIALIZER;
static struct guard_cache guard_key = { .size = sizeof(struct envelope_key) };
static struct guard_cache guard_writer = {
	.size = sizeof(struct envelope_writer) };
static struct guard_cache guard_chunk = { .size = ENVELOPE_CHUNK_SIZE };
/* The portal opens a reader, hence a key, per message read. */
static struct guard_cache guard_reader = {
	.size = sizeof(struct envelope_reader) };

static void *
guard_get(struct guard_cache *c)
{
	void	*p = NULL;

	pthread_mutex_lock(&guard_lock);
	if (c->n > 0)
		p = c->v[--c->n];
	pthread_mutex_unlock(&guard_lock);
	return p != NULL ? p : sodium_malloc(c->size);
}

static void
guard_put(struct guard_cache *c, void *p)
{
	if (p == NULL)
		return;
	sodium_memzero(p, c->size);
	pthread_mutex_lock(&guard_lock);
	if (c->n < GUARD_CACHE_MAX) {
		c->v[c->n++] = p;
		p = NULL;
	}
	pthread_mutex_unlock(&guard_lock);
	if (p != NULL)
		sodium_free(p);
}

/* sodium_malloc needs sodium_init; it is idempotent and thread-safe. */
static int
envelope_init(void)
{
	return sodium_init() < 0 ? -1 : 0;
}

static struct envelope_key *
envelope_key_alloc(void)
{
	if (envelope_init() == -1)
		return NULL;
	return guard_get(&guard_key);
}

struct envelope_key *
envelope_key_new(void)
{
	struct envelope_key	*dk;

	if ((dk = envelope_key_alloc()) == NULL)
		return NULL;
	crypto_secretstream_xchacha20poly1305_keygen(dk->key);
	return dk;
}

void
envelope_key_free(struct envelope_key *dk)
{
	if (dk == NULL)
		return;
	guard_put(&guard_key, dk);	/* wipes */
}

/* The key-encryption key for master key kid; -1 if kid is unknown. */
static int
envelope_kek(const struct masterkey *mk, uint32_t kid,
    uint8_t kek[ENVELOPE_KEY_LEN])
{
	const uint8_t	*mkey;

	if ((mkey = masterkey_get(mk, kid)) == NULL)
		return -1;
	return crypto_kdf_derive_from_key(kek, ENVELOPE_KEY_LEN, kid,
	    WRAP_CONTEXT, mkey);
}

int
envelope_wrap_key(const struct masterkey *mk, const uint8_t id[MSGID_LEN],
    const struct envelope_key *dk, uint8_t *out)
{
	uint8_t		 kek[ENVELOPE_KEY_LEN];
	uint8_t		 ad[AD_LEN];
	uint32_t	 kid;
	int		 rc = -1;

	kid = masterkey_current_id(mk);
	if (envelope_kek(mk, kid, kek) == -1)
		goto done;
	put_be32(out, kid);
	randombytes_buf(out + 4, WRAP_NONCE_LEN);
	envelope_ad(ad, id, kid);
	if (crypto_aead_xchacha20poly1305_ietf_encrypt(out + 4 + WRAP_NONCE_LEN,
	    NULL, dk->key, ENVELOPE_KEY_LEN, ad, sizeof(ad), NULL, out + 4,
	    kek) != 0)
		goto done;
	rc = 0;
 done:
	sodium_memzero(kek, sizeof(kek));
	if (rc == -1)
		sodium_memzero(out, ENVELOPE_WRAPPED_LEN);
	return rc;
}

struct envelope_key *
envelope_unwrap_key(const struct masterkey *mk, const uint8_t id[MSGID_LEN],
    const uint8_t *wrapped)
{
	struct envelope_key	*dk = NULL;
	uint8_t			 kek[ENVELOPE_KEY_LEN];
	uint8_t			 ad[AD_LEN];
	uint32_t		 kid;

	kid = get_be32(wrapped);
	if (envelope_kek(mk, kid, kek) == -1)
		goto err;
	if ((dk = envelope_key_alloc()) == NULL)
		goto err;
	envelope_ad(ad, id, kid);
	if (crypto_aead_xchacha20poly1305_ietf_decrypt(dk->key, NULL, NULL,
	    wrapped + 4 + WRAP_NONCE_LEN,
	    ENVELOPE_WRAPPED_LEN - 4 - WRAP_NONCE_LEN, ad, sizeof(ad),
	    wrapped + 4, kek) != 0)
		goto err;
	sodium_memzero(kek, sizeof(kek));
	return dk;
 err:
	sodium_memzero(kek, sizeof(kek));
	envelope_key_free(dk);
	return NULL;
}

struct envelope_writer *
envelope_writer_new(const struct envelope_key *dk, const uint8_t id[MSGID_LEN],
    envelope_sink_fn sink, void *arg)
{
	struct envelope_writer	*w;

	if (envelope_init() == -1)
		return NULL;
	/* The whole writer is guarded: the stream state holds key material. */
	if ((w = guard_get(&guard_writer)) == NULL)
		return NULL;
	memset(w, 0, sizeof(*w));
	if ((w->pt = guard_get(&guard_chunk)) == NULL)
		goto err;
	if ((w->ct = malloc(CT_CHUNK_MAX)) == NULL)
		goto err;
	if (crypto_secretstream_xchacha20poly1305_init_push(&w->st, w->header,
	    dk->key) != 0)
		goto err;
	memcpy(w->id, id, MSGID_LEN);
	w->sink = sink;
	w->arg = arg;
	return w;
 err:
	envelope_writer_free(w);
	return NULL;
}

const uint8_t *
envelope_writer_header(const struct envelope_writer *w)
{
	return w->header;
}

uint32_t
envelope_writer_chunks(const struct envelope_writer *w)
{
	return w->nchunks;
}

/* Seal the buffered plaintext as chunk nchunks and hand it to the sink. */
static int
envelope_writer_seal(struct envelope_writer *w, unsigned char tag)
{
	uint8_t			 ad[AD_LEN];
	unsigned long long	 ctlen;

	if (w->nchunks == UINT32_MAX)
		return -1;
	envelope_ad(ad, w->id, w->nchunks);
	if (crypto_secretstream_xchacha20poly1305_push(&w->st, w->ct, &ctlen,
	    w->pt, w->ptlen, ad, sizeof(ad), tag) != 0)
		return -1;
	sodium_memzero(w->pt, w->ptlen);
	w->ptlen = 0;
	if (w->sink(w->arg, w->nchunks, w->ct, (size_t)ctlen) == -1)
		return -1;
	w->nchunks++;
	return 0;
}

int
envelope_writer_update(struct envelope_writer *w, const void *data, size_t len)
{
	const uint8_t	*p = data;
	size_t		 n;

	if (w->finished || w->failed)
		return -1;
	while (len > 0) {
		/*
		 * A full buffer is sealed only once more data follows, so
		 * the last chunk, even a full one, is left for finish.
		 */
		if (w->ptlen == ENVELOPE_CHUNK_SIZE &&
		    envelope_writer_seal(w,
		    crypto_secretstream_xchacha20poly1305_TAG_MESSAGE) == -1) {
			w->failed = 1;
			return -1;
		}
		n = ENVELOPE_CHUNK_SIZE - w->ptlen;
		if (n > len)
			n = len;
		memcpy(w->pt + w->ptlen, p, n);
		w->ptlen += n;
		p += n;
		len -= n;
	}
	return 0;
}

int
envelope_writer_finish(struct envelope_writer *w)
{
	if (w->finished || w->failed)
		return -1;
	if (envelope_writer_seal(w,
	    crypto_secretstream_xchacha20poly1305_TAG_FINAL) == -1) {
		w->failed = 1;
		return -1;
	}
	w->finished = 1;
	return 0;
}

void
envelope_writer_free(struct envelope_writer *w)
{
	if (w == NULL)
		return;
	guard_put(&guard_chunk, w->pt);	/* wipes */
	free(w->ct);
	guard_put(&guard_writer, w);
}

struct envelope_reader *
envelope_reader_new(const struct envelope_key *dk, const uint8_t id[MSGID_LEN],
    const uint8_t *header)
{
	struct envelope_reader	*r;

	if (envelope_init() == -1)
		return NULL;
	if ((r = guard_get(&guard_reader)) == NULL)
		return NULL;
	memset(r, 0, sizeof(*r));
	if (crypto_secretstream_xchacha20poly1305_init_pull(&r->st, header,
	    dk->key) != 0) {
		envelope_reader_free(r);
		return NULL;
	}
	memcpy(r->id, id, MSGID_LEN);
	return r;
}

int
envelope_reader_chunk(struct envelope_reader *r, const uint8_t *ct,
    size_t ctlen, uint8_t *out, size_t *outlen)
{
	uint8_t			 ad[AD_LEN];
	unsigned long long	 mlen = 0;
	unsigned char		 tag;

	*outlen = 0;
	/* Nothing follows the final chunk; a failed stream stays failed. */
	if (r->done || r->failed)
		goto err;
	if (ctlen < ENVELOPE_CHUNK_OVERHEAD || ctlen > CT_CHUNK_MAX)
		goto err;
	envelope_ad(ad, r->id, r->index);
	if (crypto_secretstream_xchacha20poly1305_pull(&r->st, out, &mlen,
	    &tag, ct, ctlen, ad, sizeof(ad)) != 0)
		goto err;
	switch (tag) {
	case crypto_secretstream_xchacha20poly1305_TAG_MESSAGE:
		/* The writer only seals full chunks before the last. */
		if (mlen != ENVELOPE_CHUNK_SIZE || r->index == UINT32_MAX)
			goto err;
		r->index++;
		*outlen = (size_t)mlen;
		return 0;
	case crypto_secretstream_xchacha20poly1305_TAG_FINAL:
		r->done = 1;
		r->index++;
		*outlen = (size_t)mlen;
		return 1;
	default:
		/* PUSH and REKEY are never written. */
		goto err;
	}
 err:
	r->failed = 1;
	sodium_memzero(out, ENVELOPE_CHUNK_SIZE);
	*outlen = 0;
	return -1;
}

void
envelope_reader_free(struct envelope_reader *r)
{
	guard_put(&guard_reader, r);	/* wipes; NULL is a no-op */
}

int
envelope_seal_blob(const struct envelope_key *dk, const uint8_t id[MSGID_LEN],
    const void *in, size_t len, uint8_t *out)
{
	uint8_t	ad[BLOB_AD_LEN];

	if (len > crypto_aead_xchacha20poly1305_ietf_MESSAGEBYTES_MAX)
		return -1;
	envelope_blob_ad(ad, id);
	randombytes_buf(out, BLOB_NONCE_LEN);
	if (crypto_aead_xchacha20poly1305_ietf_encrypt(out + BLOB_NONCE_LEN,
	    NULL, in, len, ad, sizeof(ad), NULL, out, dk->key) != 0)
		return -1;
	return 0;
}

int
envelope_open_blob(const struct envelope_key *dk, const uint8_t id[MSGID_LEN],
    const uint8_t *ct, size_t ctlen, uint8_t *out)
{
	uint8_t	ad[BLOB_AD_LEN];

	if (ctlen < ENVELOPE_BLOB_OVERHEAD)
		return -1;
	envelope_blob_ad(ad, id);
	if (crypto_aead_xchacha20poly1305_ietf_decrypt(out, NULL, NULL,
	    ct + BLOB_NONCE_LEN, ctlen - BLOB_NONCE_LEN, ad, sizeof(ad), ct,
	    dk->key) != 0) {
		sodium_memzero(out, ctlen - ENVELOPE_BLOB_OVERHEAD);
		return -1;
	}
	return 0;
}
