/*
 * Encoding and strict decoding of the message metadata record; the
 * layout is in store_record.h.  The decoder sees bytes from disk, which
 * may be damaged: every read is checked against what is left, every
 * count and length against a limit, before anything is allocated.
 */
#include <stdlib.h>
#include <string.h>

#include "store_record.h"

struct rbuf {
	const uint8_t	*p;
	size_t		 left;
};

struct wbuf {
	uint8_t		*p;
};

static int
rbuf_bytes(struct rbuf *r, void *dst, size_t n)
{
	if (r->left < n)
		return -1;
	if (n > 0)
		memcpy(dst, r->p, n);
	r->p += n;
	r->left -= n;
	return 0;
}

static int
rbuf_u16(struct rbuf *r, uint16_t *v)
{
	uint8_t	b[2];

	if (rbuf_bytes(r, b, sizeof(b)) == -1)
		return -1;
	*v = (uint16_t)((b[0] << 8) | b[1]);
	return 0;
}

static int
rbuf_u32(struct rbuf *r, uint32_t *v)
{
	uint8_t	b[4];

	if (rbuf_bytes(r, b, sizeof(b)) == -1)
		return -1;
	*v = ((uint32_t)b[0] << 24) | ((uint32_t)b[1] << 16) |
	    ((uint32_t)b[2] << 8) | b[3];
	return 0;
}

static int
rbuf_u64(struct rbuf *r, uint64_t *v)
{
	uint32_t	hi, lo;

	if (rbuf_u32(r, &hi) == -1 || rbuf_u32(r, &lo) == -1)
		return -1;
	*v = ((uint64_t)hi << 32) | lo;
	return 0;
}

static int
rbuf_i64(struct rbuf *r, int64_t *v)
{
	uint64_t	u;

	if (rbuf_u64(r, &u) == -1)
		return -1;
	memcpy(v, &u, sizeof(*v));	/* two's complement, no UB */
	return 0;
}

/* A string of len bytes, no NUL inside, into a malloc'd C string. */
static int
rbuf_string(struct rbuf *r, size_t len, char **out)
{
	char	*s;

	if (r->left < len || memchr(r->p, '\0', len) != NULL)
		return -1;
	if ((s = malloc(len + 1)) == NULL)
		return -1;
	if (len > 0)
		memcpy(s, r->p, len);
	s[len] = '\0';
	r->p += len;
	r->left -= len;
	*out = s;
	return 0;
}

static void
wbuf_bytes(struct wbuf *w, const void *src, size_t n)
{
	if (n > 0)
		memcpy(w->p, src, n);
	w->p += n;
}

static void
wbuf_u16(struct wbuf *w, uint16_t v)
{
	uint8_t	b[2] = { (uint8_t)(v >> 8), (uint8_t)v };

	wbuf_bytes(w, b, sizeof(b));
}

static void
wbuf_u32(struct wbuf *w, uint32_t v)
{
	uint8_t	b[4] = { (uint8_t)(v >> 24), (uint8_t)(v >> 16),
		    (uint8_t)(v >> 8), (uint8_t)v };

	wbuf_bytes(w, b, sizeof(b));
}

static void
wbuf_u64(struct wbuf *w, uint64_t v)
{
	wbuf_u32(w, (uint32_t)(v >> 32));
	wbuf_u32(w, (uint32_t)v);
}

static void
wbuf_i64(struct wbuf *w, int64_t v)
{
	uint64_t	u;

	memcpy(&u, &v, sizeof(u));
	wbuf_u64(w, u);
}

/* The encoded size of m, or 0 if m cannot be encoded. */
static size_t
record_size(const struct store_message *m)
{
	size_t	i, n, len;

	if (m->sender == NULL ||
	    (len = strlen(m->sender)) > STORE_RECORD_MAX_ADDRESS)
		return 0;
	n = STORE_RECORD_FIXED_LEN + 2 + len + 4;
	if (m->nrecipients < 1 ||
	    m->nrecipients > STORE_RECORD_MAX_RECIPIENTS ||
	    m->recipients == NULL)
		return 0;
	for (i = 0; i < m->nrecipients; i++) {
		if (m->recipients[i] == NULL)
			return 0;
		len = strlen(m->recipients[i]);
		if (len < 1 || len > STORE_RECORD_MAX_ADDRESS)
			return 0;
		n += 2 + len;
	}
	if (m->headers_ctlen > STORE_RECORD_MAX_HEADERS ||
	    (m->headers_ctlen > 0 && m->headers_ct == NULL))
		return 0;
	n += 2 + ENVELOPE_WRAPPED_LEN + 2 + ENVELOPE_HEADER_LEN +
	    4 + m->headers_ctlen;
	return n;
}

int
store_record_encode(const struct store_message *m, uint8_t **out,
    size_t *outlen)
{
	struct wbuf	 w;
	uint8_t		*buf;
	size_t		 i, n, len;

	if ((n = record_size(m)) == 0)
		return -1;
	if ((buf = malloc(n)) == NULL)
		return -1;
	w.p = buf;
	wbuf_bytes(&w, (const uint8_t[]){ STORE_RECORD_VERSION }, 1);
	wbuf_bytes(&w, m->id, MSGID_LEN);
	wbuf_u32(&w, m->version);
	wbuf_u32(&w, m->flags);
	wbuf_i64(&w, m->received);
	wbuf_i64(&w, m->expires);
	wbuf_u64(&w, m->size);
	wbuf_u32(&w, m->nchunks);
	wbuf_u32(&w, m->attachments);
	len = strlen(m->sender);
	wbuf_u16(&w, (uint16_t)len);
	wbuf_bytes(&w, m->sender, len);
	wbuf_u32(&w, (uint32_t)m->nrecipients);
	for (i = 0; i < m->nrecipients; i++) {
		len = strlen(m->recipients[i]);
		wbuf_u16(&w, (uint16_t)len);
		wbuf_bytes(&w, m->recipients[i], len);
	}
	wbuf_u16(&w, ENVELOPE_WRAPPED_LEN);
	wbuf_bytes(&w, m->wrapped_key, ENVELOPE_WRAPPED_LEN);
	wbuf_u16(&w, ENVELOPE_HEADER_LEN);
	wbuf_bytes(&w, m->stream_header, ENVELOPE_HEADER_LEN);
	wbuf_u32(&w, (uint32_t)m->headers_ctlen);
	wbuf_bytes(&w, m->headers_ct, m->headers_ctlen);
	if ((size_t)(w.p - buf) != n)
		abort();	/* record_size and this function disagree */
	*out = buf;
	*outlen = n;
	return 0;
}

int
store_record_decode(const uint8_t *buf, size_t len, struct store_message *out)
{
	struct rbuf	 r = { buf, len };
	uint8_t		 version;
	uint16_t	 n16;
	uint32_t	 n32, i;

	memset(out, 0, sizeof(*out));
	if (buf == NULL)
		return -1;
	if (rbuf_bytes(&r, &version, 1) == -1 ||
	    version != STORE_RECORD_VERSION)
		goto err;
	if (rbuf_bytes(&r, out->id, MSGID_LEN) == -1 ||
	    rbuf_u32(&r, &out->version) == -1 ||
	    rbuf_u32(&r, &out->flags) == -1 ||
	    rbuf_i64(&r, &out->received) == -1 ||
	    rbuf_i64(&r, &out->expires) == -1 ||
	    rbuf_u64(&r, &out->size) == -1 ||
	    rbuf_u32(&r, &out->nchunks) == -1 ||
	    rbuf_u32(&r, &out->attachments) == -1)
		goto err;

	if (rbuf_u16(&r, &n16) == -1 || n16 > STORE_RECORD_MAX_ADDRESS ||
	    rbuf_string(&r, n16, &out->sender) == -1)
		goto err;

	/* Each recipient takes at least 3 bytes: bound n32 before calloc. */
	if (rbuf_u32(&r, &n32) == -1 || n32 < 1 ||
	    n32 > STORE_RECORD_MAX_RECIPIENTS || n32 > r.left / 3)
		goto err;
	if ((out->recipients = calloc(n32, sizeof(char *))) == NULL)
		goto err;
	out->nrecipients = n32;
	for (i = 0; i < n32; i++) {
		if (rbuf_u16(&r, &n16) == -1 || n16 < 1 ||
		    n16 > STORE_RECORD_MAX_ADDRESS ||
		    rbuf_string(&r, n16, &out->recipients[i]) == -1)
			goto err;
	}

	if (rbuf_u16(&r, &n16) == -1 || n16 != ENVELOPE_WRAPPED_LEN ||
	    rbuf_bytes(&r, out->wrapped_key, ENVELOPE_WRAPPED_LEN) == -1)
		goto err;
	if (rbuf_u16(&r, &n16) == -1 || n16 != ENVELOPE_HEADER_LEN ||
	    rbuf_bytes(&r, out->stream_header, ENVELOPE_HEADER_LEN) == -1)
		goto err;

	if (rbuf_u32(&r, &n32) == -1 || n32 > STORE_RECORD_MAX_HEADERS ||
	    n32 != r.left)
		goto err;
	if (n32 > 0) {
		if ((out->headers_ct = malloc(n32)) == NULL)
			goto err;
		out->headers_ctlen = n32;
		if (rbuf_bytes(&r, out->headers_ct, n32) == -1)
			goto err;
	}
	if (r.left != 0)
		goto err;
	return 0;

err:
	store_message_clear(out);
	return -1;
}

int
store_record_received(const uint8_t *buf, size_t len, int64_t *out)
{
	struct rbuf	r;

	if (buf == NULL || len < STORE_RECORD_FIXED_LEN ||
	    buf[0] != STORE_RECORD_VERSION)
		return -1;
	r.p = buf + STORE_RECORD_RECEIVED_OFF;
	r.left = len - STORE_RECORD_RECEIVED_OFF;
	return rbuf_i64(&r, out);
}
