/*
 * The account, session and token decoders on arbitrary bytes.  Whatever
 * decodes must encode back to exactly the input (each format has one
 * spelling per record) and decode again to the same fields; whatever
 * does not must leave the struct owning nothing.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "store.h"
#include "store_record_portal.h"

static void
check(int cond)
{
	if (!cond)
		abort();
}

static void
same_bytes(const uint8_t *buf, size_t len, const uint8_t *data, size_t size)
{
	check(len == size && memcmp(buf, data, size) == 0);
}

static void
fuzz_account(const uint8_t *data, size_t size)
{
	struct store_account	 a, a2;
	uint8_t			*buf;
	size_t			 len;

	if (store_record_decode_account(data, size, &a) == -1) {
		check(a.address == NULL && a.password_hash == NULL);
		return;
	}
	check(store_record_address_ok(a.address));
	check(store_record_encode_account(&a, &buf, &len) == 0);
	same_bytes(buf, len, data, size);
	check(store_record_decode_account(buf, len, &a2) == 0);
	check(strcmp(a.address, a2.address) == 0);
	check(strcmp(a.password_hash, a2.password_hash) == 0);
	check(a.flags == a2.flags && a.created == a2.created &&
	    a.password_changed == a2.password_changed);
	store_account_clear(&a2);
	store_account_clear(&a);
	free(buf);
}

static void
fuzz_session(const uint8_t *data, size_t size)
{
	struct store_session	 s, s2;
	uint8_t			*buf;
	size_t			 len;

	if (store_record_decode_session(data, size, &s) == -1) {
		check(s.address == NULL);
		return;
	}
	check(store_record_address_ok(s.address));
	check(strnlen(s.ip, sizeof(s.ip)) < sizeof(s.ip));
	check(store_record_encode_session(&s, &buf, &len) == 0);
	same_bytes(buf, len, data, size);
	check(store_record_decode_session(buf, len, &s2) == 0);
	check(memcmp(s.key, s2.key, STORE_KEY_LEN) == 0);
	check(strcmp(s.address, s2.address) == 0);
	check(s.created == s2.created && s.last_seen == s2.last_seen);
	check(strcmp(s.ip, s2.ip) == 0);
	check(memcmp(s.csrf, s2.csrf, sizeof(s.csrf)) == 0);
	store_session_clear(&s2);
	store_session_clear(&s);
	free(buf);
}

static void
fuzz_token(const uint8_t *data, size_t size)
{
	struct store_token	 t, t2;
	uint8_t			*buf;
	size_t			 len;

	if (store_record_decode_token(data, size, &t) == -1) {
		check(t.address == NULL && t.data == NULL);
		return;
	}
	check(store_record_address_ok(t.address));
	check(t.kind >= 1 && t.kind <= STORE_PORTAL_TOKEN_KIND_MAX);
	check(store_record_encode_token(&t, &buf, &len) == 0);
	same_bytes(buf, len, data, size);
	check(store_record_decode_token(buf, len, &t2) == 0);
	check(memcmp(t.key, t2.key, STORE_KEY_LEN) == 0);
	check(t.kind == t2.kind && t.expires == t2.expires);
	check(strcmp(t.address, t2.address) == 0);
	check(strcmp(t.data, t2.data) == 0);
	store_token_clear(&t2);
	store_token_clear(&t);
	free(buf);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_account(data, size);
	fuzz_session(data, size);
	fuzz_token(data, size);
	return 0;
}
