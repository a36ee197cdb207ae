/*
 * Reading a stored message back: the decrypting side of envelope.h over
 * the store.  Used by the portal (reading, raw download, listings) and by
 * tools.
 *
 * message_reader streams the original one chunk at a time in constant
 * memory: the data key and stream state in guarded memory, one plaintext
 * chunk in ordinary memory wiped after use (every caller copies the
 * plaintext into ordinary memory anyway: a response body, a GMime
 * parse), or none when the caller decrypts into its own buffer with
 * message_reader_next_into.  It hands out a chunk
 * only once that chunk has authenticated and the stream is still
 * consistent with its record; after any failure it hands out nothing
 * more.  Whether the caller may read the message (recipient, revoked,
 * expired) is the caller's decision, on the metadata returned here.
 *
 * The GMime functions (message_summary_from_headers) need g_mime_init()
 * done by the caller (main, tests).
 */
#ifndef SEALPOST_MESSAGE_READ_H
#define SEALPOST_MESSAGE_READ_H

#include <stddef.h>
#include <stdint.h>

#include "msgid.h"

struct masterkey;
struct store;
struct store_message;

enum message_read_status {
	MESSAGE_READ_OK = 0,
	MESSAGE_READ_NOTFOUND = 1,	/* no such message */
	MESSAGE_READ_ERROR = -1,	/* store I/O, out of memory */
	MESSAGE_READ_CORRUPT = -2,	/* unwrap or authentication failed,
					   record inconsistent with its data */
	MESSAGE_READ_TOOBIG = -3,	/* larger than the caller's cap */
};

struct message_reader;

/*
 * Load the record of id, unwrap its data key under mk and prepare the
 * decryption.  Returns NULL with *status set (never MESSAGE_READ_OK) on
 * failure.  When meta_out is not NULL it receives the record on success
 * (caller clears it with store_message_clear) and is left zeroed on
 * failure.  The reader borrows st and must be freed before st is closed.
 */
struct message_reader	*message_reader_open(struct store *st,
			    const struct masterkey *mk,
			    const uint8_t id[MSGID_LEN],
			    struct store_message *meta_out, int *status)
			    __attribute__((warn_unused_result));

/*
 * The next plaintext chunk: returns 1 with *plain and *len (at most
 * ENVELOPE_CHUNK_SIZE bytes, borrowed until the next call or the free),
 * 0 at a verified end (the final chunk was seen at the record's last
 * index and the total matches the record's size), -1 on any failure:
 * a tampered, swapped, missing or extra chunk, a stream without its
 * final chunk, a store error.  Once it returned -1 it always does.
 */
int	message_reader_next(struct message_reader *, const uint8_t **plain,
	    size_t *len) __attribute__((warn_unused_result));

/* The most plaintext one chunk holds (ENVELOPE_CHUNK_SIZE). */
#define MESSAGE_READ_CHUNK_MAX	65536

/*
 * As message_reader_next, but decrypts straight into out, which must
 * hold MESSAGE_READ_CHUNK_MAX bytes (outlen says so; less is -1): space
 * reserved in a response buffer, say, which spares a copy.  1 with the
 * first *len bytes of out filled (the caller's from then on, to wipe as
 * it sees fit), 0 at the verified end (out untouched), -1 on any
 * failure as for message_reader_next, with out wiped.  The two may be
 * mixed on one reader.
 */
int	message_reader_next_into(struct message_reader *, uint8_t *out,
	    size_t outlen, size_t *len) __attribute__((warn_unused_result));

/* Size of the original according to its record. */
uint64_t message_reader_size(const struct message_reader *);

/* Wipes the plaintext chunk and the key; NULL is a no-op. */
void	message_reader_free(struct message_reader *);

/*
 * The whole original in memory (for parsing with GMime): *out gets a
 * malloc'd buffer of *outlen bytes, freed with message_read_free, and is
 * NULL on failure.  MESSAGE_READ_TOOBIG, before any decryption, when
 * the record's size exceeds max.  meta_out as for message_reader_open.
 */
int	message_read_all(struct store *st, const struct masterkey *mk,
	    const uint8_t id[MSGID_LEN], size_t max,
	    struct store_message *meta_out, uint8_t **out, size_t *outlen)
	    __attribute__((warn_unused_result));

/*
 * Open the sealed header block of a record (as given by store_get_message
 * or store_list_messages; no store access).  *block gets a malloc'd,
 * NUL-terminated copy of *len bytes (the header lines, CRLF, and the
 * empty line), freed with message_read_free; NULL on failure.
 */
int	message_read_headers(struct store *st, const struct masterkey *mk,
	    const struct store_message *meta, char **block, size_t *len)
	    __attribute__((warn_unused_result));

/* Wipe len bytes of p, then free it; NULL is a no-op. */
void	message_read_free(void *p, size_t len);

/*
 * What a listing shows, decoded to UTF-8 without control characters;
 * never NULL after a successful message_summary_from_headers ("" when
 * the header is absent).  Strings are malloc'd; message_summary_clear
 * frees them.
 */
struct message_summary {
	char	*from;		/* display form of From */
	char	*subject;
	char	*date;		/* the Date header as written */
};

/*
 * A display copy of a decoded header value: valid UTF-8, control
 * characters (C0, DEL, C1) as spaces, runs of spaces collapsed, trimmed;
 * "" for NULL.  Malloc'd (caller frees); NULL only when out of memory.
 */
char	*message_display_clean(const char *s);

/* Parse a header block (as from message_read_headers); 0 or -1. */
int	message_summary_from_headers(const char *block, size_t len,
	    struct message_summary *out) __attribute__((warn_unused_result));
/* Safe on a zeroed struct; leaves it zeroed. */
void	message_summary_clear(struct message_summary *);

#endif
