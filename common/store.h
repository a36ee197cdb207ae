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
#define STORE_MSG_REMINDED	0x0002	/* expiry reminder sent (retention.h) */

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
	uint64_t	accounts;
	uint64_t	sessions;
	uint64_t	tokens;
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

/*
 * Accounts, sessions, single-use tokens and first-open times: what the
 * portal keeps, through the same interface, so that several portal nodes
 * can later share them on another backend.  Addresses are compared and
 * stored lowercased.
 */
#define STORE_ACCOUNT_DISABLED		0x0001
#define STORE_ACCOUNT_UNSUBSCRIBED	0x0002

struct store_account {
	char		*address;	/* login address, lowercased */
	char		*password_hash;	/* crypto_pwhash_str output, "" if unset */
	uint32_t	 flags;		/* STORE_ACCOUNT_* */
	int64_t		 created;
	int64_t		 password_changed;
};

/* Frees what a store_get_account filled in; safe on a zeroed struct. */
void	store_account_clear(struct store_account *);

/* STORE_NOTFOUND if there is no account for address. */
int	store_get_account(struct store *, const char *address,
	    struct store_account *out) __attribute__((warn_unused_result));
/* Insert, or replace the account with the same address. */
int	store_put_account(struct store *, const struct store_account *a)
	    __attribute__((warn_unused_result));
/* Removes the account and all its sessions; STORE_NOTFOUND. */
int	store_delete_account(struct store *, const char *address)
	    __attribute__((warn_unused_result));
typedef int (*store_account_fn)(void *arg, const struct store_account *a);
int	store_list_accounts(struct store *, store_account_fn fn, void *arg)
	    __attribute__((warn_unused_result));

#define STORE_KEY_LEN	32	/* hashes of session ids and link tokens */

struct store_session {
	uint8_t		 key[STORE_KEY_LEN];	/* hash of the cookie's id */
	char		*address;		/* the account */
	int64_t		 created;
	int64_t		 last_seen;
	char		 ip[64];		/* client address at login */
	uint8_t		 csrf[32];		/* this session's CSRF secret */
};

void	store_session_clear(struct store_session *);
int	store_put_session(struct store *, const struct store_session *s)
	    __attribute__((warn_unused_result));
/* STORE_NOTFOUND if there is no such session. */
int	store_get_session(struct store *, const uint8_t key[STORE_KEY_LEN],
	    struct store_session *out) __attribute__((warn_unused_result));
/*
 * Update last_seen (durably, like every write: callers touch a session
 * at most about once a minute).  STORE_NOTFOUND if the session is gone.
 */
int	store_touch_session(struct store *, const uint8_t key[STORE_KEY_LEN],
	    int64_t last_seen) __attribute__((warn_unused_result));
int	store_delete_session(struct store *, const uint8_t key[STORE_KEY_LEN])
	    __attribute__((warn_unused_result));
/* End every session of address (password reset, disable, unsubscribe). */
int	store_delete_sessions(struct store *, const char *address)
	    __attribute__((warn_unused_result));
/* Remove sessions idle since before idle_before or created before
 * created_before; *removed gets the count. */
int	store_purge_sessions(struct store *, int64_t idle_before,
	    int64_t created_before, size_t *removed)
	    __attribute__((warn_unused_result));

enum store_token_kind {
	STORE_TOKEN_VERIFY = 1,		/* registration: set a first password */
	STORE_TOKEN_RESET = 2,		/* forgot password */
	STORE_TOKEN_ALIAS = 3,		/* confirm an alias */
	STORE_TOKEN_UNSUBSCRIBE = 4,	/* confirm unsubscribing */
};

struct store_token {
	uint8_t		 key[STORE_KEY_LEN];	/* hash of the link's token */
	int		 kind;			/* enum store_token_kind */
	char		*address;
	char		*data;			/* kind-specific, "" if none */
	int64_t		 expires;
};

void	store_token_clear(struct store_token *);
int	store_put_token(struct store *, const struct store_token *t)
	    __attribute__((warn_unused_result));
/*
 * Look at a token without using it: STORE_NOTFOUND if absent, of another
 * kind, or expired at now (an expired token is deleted).
 */
int	store_peek_token(struct store *, const uint8_t key[STORE_KEY_LEN],
	    int kind, int64_t now, struct store_token *out)
	    __attribute__((warn_unused_result));
/* Same, and delete it in the same transaction: a link works once. */
int	store_take_token(struct store *, const uint8_t key[STORE_KEY_LEN],
	    int kind, int64_t now, struct store_token *out)
	    __attribute__((warn_unused_result));
/* Delete every token of this kind for address (e.g. older reset links). */
int	store_delete_tokens(struct store *, const char *address, int kind)
	    __attribute__((warn_unused_result));

/* Record that address opened message id at when, unless it already did. */
int	store_record_open(struct store *, const uint8_t id[MSGID_LEN],
	    const char *address, int64_t when)
	    __attribute__((warn_unused_result));
/* *when gets the first open; STORE_NOTFOUND if never opened. */
int	store_get_open(struct store *, const uint8_t id[MSGID_LEN],
	    const char *address, int64_t *when)
	    __attribute__((warn_unused_result));

/*
 * Aliases (professional users, alias_management = yes): further addresses
 * of an account.  A pending alias waits for its confirmation link; a
 * confirmed one receives into the master's inbox, and the milter rewrites
 * it to the master address in secure messages' envelopes.
 */
enum store_alias_status {
	STORE_ALIAS_PENDING = 1,
	STORE_ALIAS_CONFIRMED = 2,
};

struct store_alias {
	char		*alias;		/* lowercased */
	char		*master;	/* the account's login address */
	int		 status;	/* enum store_alias_status */
	int64_t		 created;
};

void	store_alias_clear(struct store_alias *);
/* Insert, or replace the alias with the same address. */
int	store_put_alias(struct store *, const struct store_alias *a)
	    __attribute__((warn_unused_result));
/* STORE_NOTFOUND if address is nobody's alias. */
int	store_get_alias(struct store *, const char *alias,
	    struct store_alias *out) __attribute__((warn_unused_result));
int	store_delete_alias(struct store *, const char *alias)
	    __attribute__((warn_unused_result));
typedef int (*store_alias_fn)(void *arg, const struct store_alias *a);
/* Every alias of master, pending and confirmed, in address order. */
int	store_list_aliases(struct store *, const char *master,
	    store_alias_fn fn, void *arg) __attribute__((warn_unused_result));
/*
 * "Promote to master", in one transaction: the confirmed alias becomes
 * the account's login address (the account record moves to it, keeping
 * its password and flags), the old master becomes a confirmed alias, the
 * master's other aliases follow, and the account's sessions end.
 * STORE_NOTFOUND if alias is not a confirmed alias.
 */
int	store_promote_alias(struct store *, const char *alias)
	    __attribute__((warn_unused_result));

/* Counts and map usage; clears stale reader slots. */
int	store_stat(struct store *, struct store_stats *out)
	    __attribute__((warn_unused_result));

/* Human-readable text for a status. */
const char *store_strerror(int status);

/*
 * Maintenance (retention.h, sealpost-admin).  Each rewrites one message's
 * record in one transaction, leaving its chunks alone; STORE_NOTFOUND if
 * the message is gone.
 */
/* Move the expiry (retention: a revoked message's day of grace). */
int	store_set_expires(struct store *, const uint8_t id[MSGID_LEN],
	    int64_t expires) __attribute__((warn_unused_result));
/* Replace the wrapped data key (ENVELOPE_WRAPPED_LEN bytes): key
 * rotation re-wraps, bodies are never re-encrypted. */
int	store_set_wrapped_key(struct store *, const uint8_t id[MSGID_LEN],
	    const uint8_t *wrapped) __attribute__((warn_unused_result));
/*
 * A consistent copy of the whole store as of one commit, compacted, into
 * dest_dir, which must not exist (it is created 0700) or be an empty
 * directory; safe while the daemons run.  The copy is a store that
 * store_open accepts.  0, or -1 with err (nothing left behind).
 */
int	store_backup(struct store *, const char *dest_dir, char *err,
	    size_t errlen) __attribute__((warn_unused_result));

#endif
