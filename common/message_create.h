/*
 * Secure messages written inside sealpost (the portal's Reply, Reply
 * all, Forward and Compose): an RFC 5322 message built with GMime from
 * its parts, then sealed and stored exactly as the milter stores what it
 * receives (milter/message.c, msg_end): a new id, a new data key, the
 * message streamed through envelope_writer, the data key wrapped under
 * the master key, the header block sealed for listings, and one durable
 * store_put_message.  The stored bytes are what /m/ID/raw gives back.
 *
 * g_mime_init() is the caller's job.  Blocking (the store commits
 * durably): the portal calls it on its worker pool.
 *
 * The plaintext exists only in memory (a copy of the built message and
 * the sealed chunks): bounded by max_message_size, wiped when done.
 */
#ifndef SEALPOST_MESSAGE_CREATE_H
#define SEALPOST_MESSAGE_CREATE_H

#include <stddef.h>
#include <stdint.h>

#include "msgid.h"

struct config;
struct masterkey;
struct store;

#define MESSAGE_CREATE_MAX_RCPTS	100	/* To and Cc together */
#define MESSAGE_CREATE_MAX_ADDRESS	254	/* RFC 5321 path, without <> */
#define MESSAGE_CREATE_MAX_SUBJECT	998	/* bytes of UTF-8 */
#define MESSAGE_CREATE_MAX_REFS		20	/* References kept (first + last) */
#define MESSAGE_CREATE_MAX_MSGID	250	/* a msg-id without <> */

/* One attached file.  Everything is borrowed for the call. */
struct message_attachment {
	const char	*filename;	/* UTF-8, or NULL */
	const char	*content_type;	/* "type/subtype"; NULL or not that
					   shape: application/octet-stream */
	const uint8_t	*data;
	size_t		 len;
};

/*
 * What the author wrote.  Everything is borrowed for the call.
 * Addresses are bare addr-specs (no display name, no <>), checked with
 * message_address_ok; To and Cc together become the envelope
 * recipients, lowercased and without duplicates.
 */
struct message_draft {
	const char			*from;	/* also the envelope sender */
	const char *const		*to;
	size_t				 nto;
	const char *const		*cc;
	size_t				 ncc;
	const char			*subject;	/* UTF-8, one line; NULL: none */
	const char			*body;		/* UTF-8 text; NULL: empty */
	const struct message_attachment	*attachments;
	size_t				 nattachments;
	/* Threading: msg-ids without <>, References oldest first; the
	 * middle of a long References list is dropped (RFC 5322 3.6.4
	 * keeps the first and the most recent). */
	const char			*in_reply_to;
	const char *const		*references;
	size_t				 nreferences;
};

enum message_create_status {
	MESSAGE_CREATE_OK = 0,
	MESSAGE_CREATE_ERROR = -1,	/* no memory, crypto or store failure */
	MESSAGE_CREATE_INVALID = -2,	/* an address, the subject or an id */
	MESSAGE_CREATE_TOOBIG = -3,	/* the message exceeds max_message_size */
	MESSAGE_CREATE_FULL = -4,	/* the store is full (STORE_FULL) */
};

/* What was stored.  Strings are malloc'd; message_created_clear frees. */
struct message_created {
	uint8_t		 id[MSGID_LEN];
	char		 idstr[MSGID_STRLEN + 1];	/* for portal_url/m/ID */
	char		*message_id;	/* the Message-ID header, without <> */
	char		*date;		/* the Date header as written */
	char		**recipients;	/* the envelope recipients */
	size_t		 nrecipients;
	uint64_t	 size;		/* bytes stored */
	unsigned	 attachments;
};

/* Safe on a zeroed struct; leaves it zeroed. */
void	message_created_clear(struct message_created *);

/*
 * Build the message dated now (unix seconds), seal it and store it with
 * its envelope (sender from, recipients To + Cc), received now, expiring
 * after message_retention.  MESSAGE_CREATE_OK fills *out (the caller
 * clears it in every case); otherwise nothing is stored and err says
 * why (never with message content).
 */
int	message_create(struct store *st, const struct masterkey *mk,
	    const struct config *cfg, const struct message_draft *d,
	    int64_t now, struct message_created *out, char *err,
	    size_t errlen) __attribute__((warn_unused_result));

/*
 * The two halves, for callers that have the bytes already (tests,
 * tools).  message_create_build: *raw (CRLF line ends; caller frees with
 * message_create_free) and *message_id (without <>; caller frees).
 */
int	message_create_build(const struct config *cfg,
	    const struct message_draft *d, int64_t now, uint8_t **raw,
	    size_t *rawlen, char **message_id, char *err, size_t errlen)
	    __attribute__((warn_unused_result));

/*
 * Seal raw (an RFC 5322 message with CRLF line ends) under a new id and
 * data key and store it: what msg_end does for a received message.
 * The header block is everything up to the first empty line.  id gets
 * the new id on MESSAGE_CREATE_OK.
 */
int	message_create_store(struct store *st, const struct masterkey *mk,
	    const struct config *cfg, const char *sender,
	    char *const *rcpts, size_t nrcpts, const uint8_t *raw,
	    size_t rawlen, unsigned attachments, int64_t now,
	    uint8_t id[MSGID_LEN], char *err, size_t errlen)
	    __attribute__((warn_unused_result));

/* Wipe len bytes of p, then free it; NULL is a no-op. */
void	message_create_free(void *p, size_t len);

/*
 * 1 if a is an addr-spec sealpost writes to: 3 .. MESSAGE_CREATE_MAX_
 * ADDRESS printable ASCII characters, one '@' with text on both sides,
 * no blank, control, quote or RFC 5322 special, no leading '-' (it
 * goes on a sendmail command line) and no leading or trailing dot.
 */
int	message_address_ok(const char *a);

/* 1 if id (without <>) is a msg-id we put in a header: printable ASCII
 * without blanks, '<', '>', at most MESSAGE_CREATE_MAX_MSGID bytes. */
int	message_msgid_ok(const char *id);

#endif
