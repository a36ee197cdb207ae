/*
 * The message metadata decoder on arbitrary bytes.  Whatever decodes must
 * encode back to exactly the input (the format has one spelling for each
 * record) and decode again to the same fields.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "store.h"
#include "store_record.h"

static void
check(int cond)
{
	if (!cond)
		abort();
}

static void
same_message(const struct store_message *a, const struct store_message *b)
{
	size_t	i;

	check(memcmp(a->id, b->id, MSGID_LEN) == 0);
	check(a->version == b->version && a->flags == b->flags);
	check(a->received == b->received && a->expires == b->expires);
	check(a->size == b->size && a->nchunks == b->nchunks);
	check(a->attachments == b->attachments);
	check(strcmp(a->sender, b->sender) == 0);
	check(a->nrecipients == b->nrecipients && a->nrecipients >= 1);
	for (i = 0; i < a->nrecipients; i++)
		check(strcmp(a->recipients[i], b->recipients[i]) == 0);
	check(memcmp(a->wrapped_key, b->wrapped_key,
	    ENVELOPE_WRAPPED_LEN) == 0);
	check(memcmp(a->stream_header, b->stream_header,
	    ENVELOPE_HEADER_LEN) == 0);
	check(a->headers_ctlen == b->headers_ctlen);
	check(a->headers_ctlen == 0 ||
	    memcmp(a->headers_ct, b->headers_ct, a->headers_ctlen) == 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct store_message	 m, m2;
	uint8_t			*buf;
	size_t			 len;
	int64_t			 received;

	if (store_record_decode(data, size, &m) == -1) {
		check(m.sender == NULL && m.recipients == NULL &&
		    m.headers_ct == NULL);
		return 0;
	}
	check(store_record_received(data, size, &received) == 0);
	check(received == m.received);
	check(store_record_encode(&m, &buf, &len) == 0);
	check(len == size && memcmp(buf, data, size) == 0);
	check(store_record_decode(buf, len, &m2) == 0);
	same_message(&m, &m2);
	store_message_clear(&m2);
	store_message_clear(&m);
	free(buf);
	return 0;
}
