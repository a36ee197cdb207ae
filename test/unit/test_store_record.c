/*
 * The message metadata record: encode/decode round trips, what the
 * encoder refuses, and a table of damaged inputs the decoder must refuse.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "store.h"
#include "store_record.h"

/* Offsets in the sample record (sender "a@b.c", one recipient "x@y.z"). */
#define OFF_SENDERLEN	STORE_RECORD_FIXED_LEN
#define OFF_SENDER	(OFF_SENDERLEN + 2)
#define OFF_NRCPT	(OFF_SENDER + 5)
#define OFF_RCPTLEN	(OFF_NRCPT + 4)
#define OFF_RCPT	(OFF_RCPTLEN + 2)
#define OFF_WRAPLEN	(OFF_RCPT + 5)
#define OFF_HDRLEN	(OFF_WRAPLEN + 2 + ENVELOPE_WRAPPED_LEN)
#define OFF_CTLEN	(OFF_HDRLEN + 2 + ENVELOPE_HEADER_LEN)
#define OFF_CT		(OFF_CTLEN + 4)
#define SAMPLE_CTLEN	10

static char	 sample_sender[] = "a@b.c";
static char	 sample_rcpt[] = "x@y.z";
static char	*sample_rcpts[] = { sample_rcpt };
static uint8_t	 sample_ct[SAMPLE_CTLEN] = "0123456789";

static void
sample_message(struct store_message *m)
{
	size_t	i;

	memset(m, 0, sizeof(*m));
	for (i = 0; i < MSGID_LEN; i++)
		m->id[i] = (uint8_t)(0xa0 + i);
	m->version = 1;
	m->flags = STORE_MSG_REVOKED;
	m->received = 1700000000;
	m->expires = 1707776000;
	m->size = 123456789;
	m->nchunks = 1884;
	m->attachments = 3;
	m->sender = sample_sender;
	m->recipients = sample_rcpts;
	m->nrecipients = 1;
	for (i = 0; i < ENVELOPE_WRAPPED_LEN; i++)
		m->wrapped_key[i] = (uint8_t)i;
	for (i = 0; i < ENVELOPE_HEADER_LEN; i++)
		m->stream_header[i] = (uint8_t)(0xff - i);
	m->headers_ct = sample_ct;
	m->headers_ctlen = SAMPLE_CTLEN;
}

static void
assert_same_message(const struct store_message *a,
    const struct store_message *b)
{
	size_t	i;

	assert_memory_equal(a->id, b->id, MSGID_LEN);
	assert_int_equal(a->version, b->version);
	assert_int_equal(a->flags, b->flags);
	assert_true(a->received == b->received);
	assert_true(a->expires == b->expires);
	assert_true(a->size == b->size);
	assert_int_equal(a->nchunks, b->nchunks);
	assert_int_equal(a->attachments, b->attachments);
	assert_string_equal(a->sender, b->sender);
	assert_int_equal(a->nrecipients, b->nrecipients);
	for (i = 0; i < a->nrecipients; i++)
		assert_string_equal(a->recipients[i], b->recipients[i]);
	assert_memory_equal(a->wrapped_key, b->wrapped_key,
	    ENVELOPE_WRAPPED_LEN);
	assert_memory_equal(a->stream_header, b->stream_header,
	    ENVELOPE_HEADER_LEN);
	assert_int_equal(a->headers_ctlen, b->headers_ctlen);
	if (a->headers_ctlen > 0)
		assert_memory_equal(a->headers_ct, b->headers_ct,
		    a->headers_ctlen);
}

/* decode(encode(m)) == m and encode(decode(x)) == x. */
static void
roundtrip(const struct store_message *m)
{
	struct store_message	 d;
	uint8_t			*buf, *buf2;
	size_t			 len, len2;

	assert_int_equal(store_record_encode(m, &buf, &len), 0);
	assert_int_equal(store_record_decode(buf, len, &d), 0);
	assert_same_message(m, &d);
	assert_int_equal(store_record_encode(&d, &buf2, &len2), 0);
	assert_int_equal(len, len2);
	assert_memory_equal(buf, buf2, len);
	store_message_clear(&d);
	free(buf);
	free(buf2);
}

static void
test_roundtrip(void **state)
{
	struct store_message	m;
	char			long_addr[STORE_RECORD_MAX_ADDRESS + 1];
	char			empty[] = "";
	char			r1[] = "Bob@Example.COM", r2[] = "carol@example.org";
	char			r3[] = "bob@example.com";
	char			*rcpts[] = { r1, r2, r3 };
	char			*one[] = { long_addr };

	sample_message(&m);
	roundtrip(&m);

	/* Null sender, no header block, several recipients. */
	sample_message(&m);
	m.sender = empty;
	m.headers_ct = NULL;
	m.headers_ctlen = 0;
	m.recipients = rcpts;
	m.nrecipients = 3;
	roundtrip(&m);

	/* Extreme integers: the format is fixed-width two's complement. */
	sample_message(&m);
	m.version = UINT32_MAX;
	m.flags = UINT32_MAX;
	m.received = INT64_MIN;
	m.expires = INT64_MAX;
	m.size = UINT64_MAX;
	m.nchunks = 0;
	m.attachments = UINT32_MAX;
	roundtrip(&m);

	/* Longest addresses accepted. */
	memset(long_addr, 'a', STORE_RECORD_MAX_ADDRESS);
	long_addr[STORE_RECORD_MAX_ADDRESS] = '\0';
	sample_message(&m);
	m.sender = long_addr;
	m.recipients = one;
	roundtrip(&m);
}

static void
test_layout(void **state)
{
	struct store_message	 m;
	uint8_t			*buf;
	size_t			 len;
	int64_t			 received;

	/* The offsets the damage table relies on. */
	sample_message(&m);
	assert_int_equal(store_record_encode(&m, &buf, &len), 0);
	assert_int_equal(len, OFF_CT + SAMPLE_CTLEN);
	assert_int_equal(buf[0], STORE_RECORD_VERSION);
	assert_memory_equal(buf + 1, m.id, MSGID_LEN);
	assert_memory_equal(buf + OFF_SENDER, "a@b.c", 5);
	assert_memory_equal(buf + OFF_RCPT, "x@y.z", 5);
	assert_memory_equal(buf + OFF_NRCPT, "\0\0\0\1", 4);
	assert_memory_equal(buf + OFF_CT, sample_ct, SAMPLE_CTLEN);
	/* received, big endian at its fixed offset. */
	assert_memory_equal(buf + STORE_RECORD_RECEIVED_OFF,
	    "\x00\x00\x00\x00\x65\x53\xf1\x00", 8);
	assert_int_equal(store_record_received(buf, len, &received), 0);
	assert_true(received == 1700000000);
	assert_int_equal(store_record_received(buf, STORE_RECORD_FIXED_LEN - 1,
	    &received), -1);
	buf[0] = 2;
	assert_int_equal(store_record_received(buf, len, &received), -1);
	free(buf);
}

static void
test_encode_rejects(void **state)
{
	static const struct {
		const char	*label;
		int		 what;
	} cases[] = {
		{ "no recipients", 0 },
		{ "recipients NULL", 1 },
		{ "NULL recipient entry", 2 },
		{ "empty recipient", 3 },
		{ "recipient too long", 4 },
		{ "sender NULL", 5 },
		{ "sender too long", 6 },
		{ "header block too big", 7 },
		{ "header block NULL with length", 8 },
		{ "too many recipients", 9 },
	};
	struct store_message	 m;
	char			 long_addr[STORE_RECORD_MAX_ADDRESS + 2];
	char			 empty[] = "";
	char			*bad[1];
	uint8_t			*buf = NULL;
	size_t			 i, len;

	memset(long_addr, 'a', sizeof(long_addr) - 1);
	long_addr[sizeof(long_addr) - 1] = '\0';
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		sample_message(&m);
		switch (cases[i].what) {
		case 0: m.nrecipients = 0; break;
		case 1: m.recipients = NULL; break;
		case 2: bad[0] = NULL; m.recipients = bad; break;
		case 3: bad[0] = empty; m.recipients = bad; break;
		case 4: bad[0] = long_addr; m.recipients = bad; break;
		case 5: m.sender = NULL; break;
		case 6: m.sender = long_addr; break;
		case 7: m.headers_ctlen = STORE_RECORD_MAX_HEADERS + 1; break;
		case 8: m.headers_ct = NULL; break;
		case 9: m.nrecipients = STORE_RECORD_MAX_RECIPIENTS + 1; break;
		}
		if (store_record_encode(&m, &buf, &len) != -1)
			fail_msg("%s: encoded", cases[i].label);
	}
}

/* A patch of the sample record that must make it undecodable. */
struct damage {
	const char	*label;
	size_t		 off;
	size_t		 n;
	uint8_t		 bytes[4];
	int		 append;	/* add this many bytes at the end */
	size_t		 cut;		/* drop this many bytes at the end */
};

static const struct damage damages[] = {
	{ "version 0", 0, 1, { 0 }, 0, 0 },
	{ "version 2", 0, 1, { 2 }, 0, 0 },
	{ "version 0xff", 0, 1, { 0xff }, 0, 0 },
	{ "sender length past end", OFF_SENDERLEN, 2, { 0xff, 0xff }, 0, 0 },
	{ "sender length over limit", OFF_SENDERLEN, 2, { 0x08, 0x01 }, 0, 0 },
	{ "sender length one too long", OFF_SENDERLEN, 2, { 0, 6 }, 0, 0 },
	{ "NUL in sender", OFF_SENDER + 1, 1, { 0 }, 0, 0 },
	{ "zero recipients", OFF_NRCPT, 4, { 0, 0, 0, 0 }, 0, 0 },
	{ "two recipients, one present", OFF_NRCPT, 4, { 0, 0, 0, 2 }, 0, 0 },
	{ "recipient count huge", OFF_NRCPT, 4, { 0xff, 0xff, 0xff, 0xff },
	    0, 0 },
	{ "recipient count over limit", OFF_NRCPT, 4, { 0, 1, 0x86, 0xa1 },
	    0, 0 },
	{ "empty recipient", OFF_RCPTLEN, 2, { 0, 0 }, 0, 0 },
	{ "recipient length past end", OFF_RCPTLEN, 2, { 0xff, 0xff }, 0, 0 },
	{ "NUL in recipient", OFF_RCPT, 1, { 0 }, 0, 0 },
	{ "wrapped key short", OFF_WRAPLEN, 2,
	    { 0, ENVELOPE_WRAPPED_LEN - 1 }, 0, 0 },
	{ "wrapped key long", OFF_WRAPLEN, 2,
	    { 0, ENVELOPE_WRAPPED_LEN + 1 }, 0, 0 },
	{ "stream header short", OFF_HDRLEN, 2,
	    { 0, ENVELOPE_HEADER_LEN - 1 }, 0, 0 },
	{ "stream header long", OFF_HDRLEN, 2,
	    { 0, ENVELOPE_HEADER_LEN + 1 }, 0, 0 },
	{ "header block past end", OFF_CTLEN, 4, { 0, 0, 0, 11 }, 0, 0 },
	{ "header block short of end", OFF_CTLEN, 4, { 0, 0, 0, 9 }, 0, 0 },
	{ "header block huge", OFF_CTLEN, 4, { 0xff, 0xff, 0xff, 0xff }, 0, 0 },
	{ "header block over limit", OFF_CTLEN, 4, { 0x01, 0, 0, 0x01 }, 0, 0 },
	{ "trailing byte", 0, 0, { 0 }, 1, 0 },
	{ "trailing bytes", 0, 0, { 0 }, 4, 0 },
	{ "last byte missing", 0, 0, { 0 }, 0, 1 },
	{ "header block missing", 0, 0, { 0 }, 0, SAMPLE_CTLEN },
};

static void
test_decode_damaged(void **state)
{
	struct store_message	 m, d;
	uint8_t			*buf, *copy;
	size_t			 i, len, clen;

	sample_message(&m);
	assert_int_equal(store_record_encode(&m, &buf, &len), 0);
	for (i = 0; i < sizeof(damages) / sizeof(damages[0]); i++) {
		const struct damage *dm = &damages[i];

		clen = len - dm->cut + (size_t)dm->append;
		assert_non_null(copy = calloc(1, clen));
		memcpy(copy, buf, len - dm->cut);
		memcpy(copy + dm->off, dm->bytes, dm->n);
		memset(&d, 0x55, sizeof(d));	/* decode must zero it */
		if (store_record_decode(copy, clen, &d) != -1)
			fail_msg("%s: decoded", dm->label);
		assert_null(d.sender);
		assert_null(d.recipients);
		assert_null(d.headers_ct);
		store_message_clear(&d);
		free(copy);
	}
	free(buf);
}

static void
test_decode_truncated(void **state)
{
	struct store_message	 m, d;
	uint8_t			*buf, *copy;
	size_t			 len, n;

	/* Every proper prefix, in its own allocation so ASan sees overruns. */
	sample_message(&m);
	assert_int_equal(store_record_encode(&m, &buf, &len), 0);
	for (n = 0; n < len; n++) {
		assert_non_null(copy = malloc(n > 0 ? n : 1));
		memcpy(copy, buf, n);
		if (store_record_decode(copy, n, &d) != -1)
			fail_msg("prefix of %zu bytes decoded", n);
		free(copy);
	}
	assert_int_equal(store_record_decode(NULL, 0, &d), -1);
	assert_int_equal(store_record_decode(buf, len, &d), 0);
	store_message_clear(&d);
	free(buf);
}

/* Any single-byte change either fails or decodes to a canonical record. */
static void
test_decode_mutations(void **state)
{
	static const uint8_t	 values[] = { 0x00, 0x01, 0x7f, 0x80, 0xff };
	struct store_message	 m, d;
	uint8_t			*buf, *copy, *re;
	size_t			 len, relen, i, v;

	sample_message(&m);
	assert_int_equal(store_record_encode(&m, &buf, &len), 0);
	assert_non_null(copy = malloc(len));
	for (i = 0; i < len; i++) {
		for (v = 0; v < sizeof(values); v++) {
			memcpy(copy, buf, len);
			copy[i] = values[v];
			if (store_record_decode(copy, len, &d) == -1)
				continue;
			assert_int_equal(store_record_encode(&d, &re, &relen),
			    0);
			assert_int_equal(relen, len);
			assert_memory_equal(re, copy, len);
			free(re);
			store_message_clear(&d);
		}
	}
	free(copy);
	free(buf);
}

/* Random bytes, with and without a valid version byte. */
static void
test_decode_garbage(void **state)
{
	struct store_message	 d;
	uint8_t			*buf;
	uint32_t		 x = 12345;
	size_t			 round, len, i;

	for (round = 0; round < 20000; round++) {
		x = x * 1103515245 + 12345;
		len = (x >> 16) % 400;
		assert_non_null(buf = malloc(len > 0 ? len : 1));
		for (i = 0; i < len; i++) {
			x = x * 1103515245 + 12345;
			buf[i] = (uint8_t)(x >> 16);
		}
		if (len > 0 && (round & 1))
			buf[0] = STORE_RECORD_VERSION;
		assert_int_equal(store_record_decode(buf, len, &d), -1);
		assert_null(d.sender);
		free(buf);
	}
}

static void
test_clear_zeroed(void **state)
{
	struct store_message	m;

	memset(&m, 0, sizeof(m));
	store_message_clear(&m);
	store_message_clear(NULL);
	assert_null(m.sender);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_layout),
		cmocka_unit_test(test_encode_rejects),
		cmocka_unit_test(test_decode_damaged),
		cmocka_unit_test(test_decode_truncated),
		cmocka_unit_test(test_decode_mutations),
		cmocka_unit_test(test_decode_garbage),
		cmocka_unit_test(test_clear_zeroed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
