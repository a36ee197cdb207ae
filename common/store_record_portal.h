/*
 * The stored forms of what the portal keeps: accounts, sessions and
 * single-use tokens (store.h).  Backends other than LMDB may use them too.
 *
 * Every integer big endian, nothing implicit.  Each record starts with
 * a tag byte naming its kind and a version byte, so that a record read
 * from the wrong table is refused rather than misread:
 *
 * Account ('a', version 1)
 *	u8	'a'				u8	version
 *	u32	flags
 *	i64	created				i64	password_changed
 *	u16	address length (1 .. STORE_PORTAL_MAX_ADDRESS), the bytes
 *	u16	password hash length (0 .. STORE_PORTAL_MAX_HASH), the bytes
 *
 * Session ('s', version 1)
 *	u8	's'				u8	version
 *	32	key
 *	i64	created				i64	last_seen
 *	u16	address length (1 .. STORE_PORTAL_MAX_ADDRESS), the bytes
 *	u8	ip length (0 .. sizeof(ip) - 1), the bytes
 *	u16	length (= 32), CSRF secret
 *
 * Token ('t', version 1)
 *	u8	't'				u8	version
 *	32	key
 *	u32	kind (1 .. STORE_PORTAL_TOKEN_KIND_MAX)
 *	i64	expires
 *	u16	address length (1 .. STORE_PORTAL_MAX_ADDRESS), the bytes
 *	u32	data length (0 .. STORE_PORTAL_MAX_DATA), the bytes
 *
 * Strings carry no NUL byte; addresses carry no ASCII upper case letter
 * (the store lowercases them before encoding).  The decoders accept
 * exactly these layouts with no trailing bytes, so decode then encode
 * gives back the input.
 */
#ifndef SEALPOST_STORE_RECORD_PORTAL_H
#define SEALPOST_STORE_RECORD_PORTAL_H

#include <stddef.h>
#include <stdint.h>

#include "store.h"

#define STORE_PORTAL_VERSION		1
#define STORE_PORTAL_TAG_ACCOUNT	'a'
#define STORE_PORTAL_TAG_SESSION	's'
#define STORE_PORTAL_TAG_TOKEN		't'
#define STORE_PORTAL_TAG_ALIAS		'l'

/* RFC 5321 paths are at most 256 octets; also bounds the LMDB keys. */
#define STORE_PORTAL_MAX_ADDRESS	256
#define STORE_PORTAL_MAX_HASH		255	/* crypto_pwhash_str: 127 */
#define STORE_PORTAL_MAX_DATA		4096
#define STORE_PORTAL_TOKEN_KIND_MAX	STORE_TOKEN_UNSUBSCRIBE

/*
 * Encoders: a malloc'd *out of *outlen bytes (caller frees; a session's
 * encoding holds its CSRF secret, so wipe it first).  -1 if the struct
 * breaks a rule above or on allocation failure.
 */
int	store_record_encode_account(const struct store_account *a,
	    uint8_t **out, size_t *outlen) __attribute__((warn_unused_result));
int	store_record_encode_session(const struct store_session *s,
	    uint8_t **out, size_t *outlen) __attribute__((warn_unused_result));
int	store_record_encode_token(const struct store_token *t,
	    uint8_t **out, size_t *outlen) __attribute__((warn_unused_result));

/*
 * Decoders: len bytes of buf into *out, which the caller clears with the
 * matching store_*_clear().  Any byte string is safe input: -1 on
 * anything but a well-formed record, and then *out is zeroed and owns
 * nothing.
 */
int	store_record_decode_account(const uint8_t *buf, size_t len,
	    struct store_account *out) __attribute__((warn_unused_result));
int	store_record_decode_session(const uint8_t *buf, size_t len,
	    struct store_session *out) __attribute__((warn_unused_result));
int	store_record_decode_token(const uint8_t *buf, size_t len,
	    struct store_token *out) __attribute__((warn_unused_result));

/* 1 if a (NUL-terminated) is a valid stored address: see above. */
int	store_record_address_ok(const char *a);

/* An alias record: tag, status (u8), created (i64), alias, master. */
int	store_record_encode_alias(const struct store_alias *a, uint8_t **out,
	    size_t *outlen) __attribute__((warn_unused_result));
int	store_record_decode_alias(const uint8_t *buf, size_t len,
	    struct store_alias *out) __attribute__((warn_unused_result));

#endif
