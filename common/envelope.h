/*
 * The crypto envelope of a stored message.
 *
 * Each message has its own random data key.  The original is encrypted
 * with crypto_secretstream_xchacha20poly1305 in ENVELOPE_CHUNK_SIZE
 * plaintext chunks; the last chunk carries TAG_FINAL, so truncation,
 * reordering and tampering all fail to decrypt.  Every chunk binds the
 * record id, the format version and its own index as associated data.
 * The data key is wrapped (XChaCha20-Poly1305 AEAD) with a key derived
 * from the master key (crypto_kdf, context "sealwrap", subkey = master key
 * id), binding record id and version as associated data.  Key rotation
 * re-wraps data keys; bodies are never re-encrypted.
 *
 * Small blobs (the header block shown in listings) use one-shot AEAD under
 * the same data key with a random nonce.
 *
 * Data keys, writer and reader states are kept in sodium_malloc'd memory
 * and wiped on free; a few freed blocks of each kind are kept (guarded,
 * locked) for reuse, so that opening a message costs no mmap or
 * mprotect once warm.  Thread-safe.
 */
#ifndef SEALPOST_ENVELOPE_H
#define SEALPOST_ENVELOPE_H

#include <stddef.h>
#include <stdint.h>

#include <sodium.h>

#include "msgid.h"

#define ENVELOPE_VERSION	1
#define ENVELOPE_CHUNK_SIZE	65536
#define ENVELOPE_KEY_LEN	crypto_secretstream_xchacha20poly1305_KEYBYTES
#define ENVELOPE_HEADER_LEN	crypto_secretstream_xchacha20poly1305_HEADERBYTES
#define ENVELOPE_CHUNK_OVERHEAD	crypto_secretstream_xchacha20poly1305_ABYTES
/* key id (4, big endian) + nonce (24) + data key (32) + tag (16) */
#define ENVELOPE_WRAPPED_LEN	(4 + 24 + ENVELOPE_KEY_LEN + 16)
/* nonce (24) + tag (16) */
#define ENVELOPE_BLOB_OVERHEAD	(24 + 16)

struct masterkey;
struct envelope_key;	/* a data key in guarded memory */

/* New random data key, or NULL. Free with envelope_key_free(). */
struct envelope_key	*envelope_key_new(void);
void			 envelope_key_free(struct envelope_key *);

/* Wrap dk for record id under mk: out gets ENVELOPE_WRAPPED_LEN bytes. */
int	envelope_wrap_key(const struct masterkey *mk, const uint8_t id[MSGID_LEN],
	    const struct envelope_key *dk, uint8_t *out)
	    __attribute__((warn_unused_result));
/* Unwrap; NULL if the key id is unknown, or id/version/bytes don't match. */
struct envelope_key *envelope_unwrap_key(const struct masterkey *mk,
	    const uint8_t id[MSGID_LEN], const uint8_t *wrapped)
	    __attribute__((warn_unused_result));

/*
 * Streaming encryption.  The writer buffers input and hands each sealed
 * chunk (at most ENVELOPE_CHUNK_SIZE + ENVELOPE_CHUNK_OVERHEAD bytes) to
 * sink, in order; a sink error (-1) is returned by update/finish.  finish
 * seals the last chunk with TAG_FINAL; a message of 0 bytes is one sealed
 * empty chunk.  The stream header (ENVELOPE_HEADER_LEN bytes) must be
 * stored with the record.  The writer borrows dk until it is freed.
 */
typedef int (*envelope_sink_fn)(void *arg, uint32_t index, const uint8_t *ct,
    size_t len);

struct envelope_writer;
struct envelope_writer	*envelope_writer_new(const struct envelope_key *dk,
			    const uint8_t id[MSGID_LEN], envelope_sink_fn sink,
			    void *arg);
const uint8_t		*envelope_writer_header(const struct envelope_writer *);
int			 envelope_writer_update(struct envelope_writer *,
			    const void *data, size_t len)
			    __attribute__((warn_unused_result));
int			 envelope_writer_finish(struct envelope_writer *)
			    __attribute__((warn_unused_result));
/* Number of chunks emitted so far. */
uint32_t		 envelope_writer_chunks(const struct envelope_writer *);
void			 envelope_writer_free(struct envelope_writer *);

/*
 * Streaming decryption, one stored chunk at a time, in index order.  out
 * must hold ENVELOPE_CHUNK_SIZE bytes.  Returns 1 for the final chunk, 0
 * for a middle chunk, -1 on any failure (tampered, reordered, wrong key,
 * data after the final chunk); on -1 nothing is written to out that the
 * caller may use.  A stream that ends before its final chunk is truncated:
 * callers must check that they saw 1.
 */
struct envelope_reader;
struct envelope_reader	*envelope_reader_new(const struct envelope_key *dk,
			    const uint8_t id[MSGID_LEN], const uint8_t *header);
int			 envelope_reader_chunk(struct envelope_reader *,
			    const uint8_t *ct, size_t ctlen, uint8_t *out,
			    size_t *outlen) __attribute__((warn_unused_result));
void			 envelope_reader_free(struct envelope_reader *);

/* One-shot blobs: out holds len + ENVELOPE_BLOB_OVERHEAD bytes. */
int	envelope_seal_blob(const struct envelope_key *dk,
	    const uint8_t id[MSGID_LEN], const void *in, size_t len, uint8_t *out)
	    __attribute__((warn_unused_result));
/* out holds ctlen - ENVELOPE_BLOB_OVERHEAD bytes; -1 on failure. */
int	envelope_open_blob(const struct envelope_key *dk,
	    const uint8_t id[MSGID_LEN], const uint8_t *ct, size_t ctlen,
	    uint8_t *out) __attribute__((warn_unused_result));

#endif
