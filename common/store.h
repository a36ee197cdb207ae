/*
 * The store interface.  The milter, the portal and sealpost-admin see only
 * these functions; store.c dispatches to a backend (store_lmdb.c today) so
 * that a PostgreSQL backend can be added without touching the daemons.
 *
 * What is stored for a message: its metadata in clear (id, envelope sender,
 * every envelope recipient including Bcc, dates, size, chunk count,
 * attachment count, flags), the wrapped data key, the secretstream header,
 * the header block encrypted as one blob (for listings), and the
 * encrypted original as numbered chunks.  Each recipient address and the
 * sender index the message.
 *
 * Every function returns STORE_OK, STORE_NOTFOUND where said, or a
 * negative status; none spans a network wait, so callers may use it from
 * any thread.
 */
#ifndef SEALPOST_STORE_H
#define SEALPOST_STORE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "config.h"
#include "envelope.h"
#include "msgid.h"

enum store_status {
	STORE_OK = 0,
	STORE_NOTFOUND = 1,
	STORE_ERROR = -1,	/* I/O, corruption, anything else */
	STORE_FULL = -2,	/* the map cannot grow further */
};

enum store_role {
	STORE_ROLE_RECIPIENT = 1,
	STORE_ROLE_SENDER = 2,
};

#define STORE_MSG_REVOKED	0x0001

struct store_message {
	uint8_t		 id[MSGID_LEN];
	uint32_t	 version;	/* ENVELOPE_VERSION it was sealed with */
	uint32_t	 flags;		/* STORE_MSG_* */
	int64_t		 received;	/* unix seconds */
	int64_t		 expires;	/* unix seconds */
	uint64_t	 size;		/* bytes of the original */
	uint32_t	 nchunks;
	uint32_t	 attachments;
	char		*sender;	/* envelope sender, "" for <> */
	char		**recipients;	/* every envelope recipient */
	size_t		 nrecipients;
	uint8_t		 wrapped_key[ENVELOPE_WRAPPED_LEN];
	uint8_t		 stream_header[ENVELOPE_HEADER_LEN];
	uint8_t		*headers_ct;	/* envelope_seal_blob of the header block */
	size_t		 headers_ctlen;
};

/* Frees what a store_get_message filled in; safe on a zeroed struct. */
void	store_message_clear(struct store_message *);

struct store_stats {
	uint64_t	messages;
	uint64_t	map_size;	/* bytes mapped now */
	uint64_t	map_max;	/* store_map_size */
	uint64_t	map_used;	/* bytes in use */
	int		stale_readers;	/* cleared at this call */
};

struct store;

#define STORE_OPEN_CREATE	0x01	/* create the store if missing */

/* Open the backend named by cfg->store_backend; -1 with err on failure. */
int	store_open(const struct config *cfg, int flags, struct store **out,
	    char *err, size_t errlen) __attribute__((warn_unused_result));
void	store_close(struct store *);

/*
 * The caller hands chunk index (0 .. nchunks-1) through ct and len; the
 * bytes stay valid until the next call.  Returns 0 or -1.  When the
 * backend must rerun its transaction (the map grew), it starts again
 * from index 0, so a source must be able to rewind.
 */
typedef int (*store_chunk_fn)(void *arg, uint32_t index, const uint8_t **ct,
    size_t *len);

/*
 * Write the message, its chunks (m->nchunks of them, from next) and its
 * index entries in one durable transaction: when this returns STORE_OK
 * the message survives a crash; otherwise nothing of it is stored.
 */
int	store_put_message(struct store *, const struct store_message *m,
	    store_chunk_fn next, void *arg) __attribute__((warn_unused_result));

/* Fill *out (caller clears with store_message_clear); or STORE_NOTFOUND. */
int	store_get_message(struct store *, const uint8_t id[MSGID_LEN],
	    struct store_message *out) __attribute__((warn_unused_result));

/* Chunk index of message id into a malloc'd *ct (caller frees). */
int	store_get_chunk(struct store *, const uint8_t id[MSGID_LEN],
	    uint32_t index, uint8_t **ct, size_t *len)
	    __attribute__((warn_unused_result));

/* Set or clear flags (e.g. STORE_MSG_REVOKED); STORE_NOTFOUND if absent. */
int	store_set_flags(struct store *, const uint8_t id[MSGID_LEN],
	    uint32_t set, uint32_t clear) __attribute__((warn_unused_result));

/* Remove the message, its chunks and index entries; STORE_NOTFOUND. */
int	store_delete_message(struct store *, const uint8_t id[MSGID_LEN])
	    __attribute__((warn_unused_result));

/*
 * Call fn for each message, newest first: every message when address is
 * NULL, else those where address (any case) has the given role.  Skips
 * the first offset matches; stops after limit calls (0: no limit) or
 * when fn returns non-zero.  m is borrowed for the call only; fn must not
 * call back into the store.
 */
typedef int (*store_list_fn)(void *arg, const struct store_message *m);
int	store_list_messages(struct store *, const char *address,
	    enum store_role role, size_t offset, size_t limit, store_list_fn fn,
	    void *arg) __attribute__((warn_unused_result));

/* Counts and map usage; clears stale reader slots. */
int	store_stat(struct store *, struct store_stats *out)
	    __attribute__((warn_unused_result));

/* Human-readable text for a status. */
const char *store_strerror(int status);

#endif
