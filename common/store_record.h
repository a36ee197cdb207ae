/*
 * The stored form of a message's metadata: the value of the "messages"
 * table, keyed by the 16-byte id.  Backends other than LMDB may use it too.
 *
 * Version 1, every integer big endian, nothing implicit:
 *
 *	u8	STORE_RECORD_VERSION
 *	16	id
 *	u32	envelope version		u32	flags
 *	i64	received			i64	expires
 *	u64	size
 *	u32	nchunks				u32	attachments
 *	u16	sender length, then the bytes (may be 0: the null sender)
 *	u32	recipient count (1 .. STORE_RECORD_MAX_RECIPIENTS), then each
 *		as u16 length (1 .. STORE_RECORD_MAX_ADDRESS) and the bytes
 *	u16	length (= ENVELOPE_WRAPPED_LEN), wrapped data key
 *	u16	length (= ENVELOPE_HEADER_LEN), secretstream header
 *	u32	length (<= STORE_RECORD_MAX_HEADERS), sealed header block
 *
 * Addresses carry no NUL byte.  The decoder accepts exactly this layout
 * with no trailing bytes, so decode then encode gives back the input.
 */
#ifndef SEALPOST_STORE_RECORD_H
#define SEALPOST_STORE_RECORD_H

#include <stddef.h>
#include <stdint.h>

#include "store.h"

#define STORE_RECORD_VERSION		1
#define STORE_RECORD_MAX_ADDRESS	2048
#define STORE_RECORD_MAX_RECIPIENTS	100000
#define STORE_RECORD_MAX_HEADERS	(16 * 1024 * 1024)

/* Offset and width of "received", for callers that only sort. */
#define STORE_RECORD_RECEIVED_OFF	(1 + MSGID_LEN + 4 + 4)
#define STORE_RECORD_FIXED_LEN		(1 + MSGID_LEN + 4 + 4 + 8 + 8 + 8 + 4 + 4)

/*
 * Encode m into a malloc'd *out of *outlen bytes (caller frees).
 * -1 if m breaks a rule above (no recipient, an empty or overlong
 * address, oversize header block) or on allocation failure.
 */
int	store_record_encode(const struct store_message *m, uint8_t **out,
	    size_t *outlen) __attribute__((warn_unused_result));

/*
 * Decode len bytes of buf into *out, which the caller clears with
 * store_message_clear().  Any byte string is safe input: -1 on anything
 * but a well-formed record, and then *out is zeroed and owns nothing.
 */
int	store_record_decode(const uint8_t *buf, size_t len,
	    struct store_message *out) __attribute__((warn_unused_result));

/* The received time of an encoded record without decoding it; 0 or -1. */
int	store_record_received(const uint8_t *buf, size_t len, int64_t *out)
	    __attribute__((warn_unused_result));

#endif
