/*
 * Encoding and strict decoding of account, session and token records;
 * the layouts are in store_record_portal.h.  The decoders see bytes from
 * disk, which may be damaged: every read is checked against what is
 * left, every length against a limit, before anything is allocated.
 */
#include <stdlib.h>
#include <string.h>

#include "store_record_portal.h"

#define ACCOUNT_FIXED_LEN	(1 + 1 + 4 + 8 + 8)
#define SESSION_FIXED_LEN	(1 + 1 + STORE_KEY_LEN + 8 + 8)
#define TOKEN_FIXED_LEN		(1 + 1 + STORE_KEY_LEN + 4 + 8)
#define SESSION_CSRF_LEN	sizeof(((struct store_session *)0)->csrf)
#define SESSION_IP_MAX		(sizeof(((struct store_session *)0)->ip) - 1)

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
rbuf_u8(struct rbuf *r, uint8_t *v)
{
	return rbuf_bytes(r, v, 1);
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
rbuf_i64(struct rbuf *r, int64_t *v)
{
	uint32_t	hi, lo;
	uint64_t	u;

	if (rbuf_u32(r, &hi) == -1 || rbuf_u32(r, &lo) == -1)
		return -1;
	u = ((uint64_t)hi << 32) | lo;
	memcpy(v, &u, sizeof(*v));	/* two's complement, no UB */
	return 0;
}

/* Tag and version, both fixed per kind. */
static int
rbuf_head(struct rbuf *r, uint8_t tag)
{
	uint8_t	t, v;

	if (rbuf_u8(r, &t) == -1 || t != tag ||
	    rbuf_u8(r, &v) == -1 || v != STORE_PORTAL_VERSION)
		return -1;
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

/* u16 length, then a stored address. */
static int
rbuf_address(struct rbuf *r, char **out)
{
	uint16_t	n;

	if (rbuf_u16(r, &n) == -1 || n < 1 || n > STORE_PORTAL_MAX_ADDRESS ||
	    rbuf_string(r, n, out) == -1)
		return -1;
	return store_record_address_ok(*out) ? 0 : -1;
}

static void
wbuf_bytes(struct wbuf *w, const void *src, size_t n)
{
	if (n > 0)
		memcpy(w->p, src, n);
	w->p += n;
}

static void
wbuf_u8(struct wbuf *w, uint8_t v)
{
	wbuf_bytes(w, &v, 1);
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
wbuf_i64(struct wbuf *w, int64_t v)
{
	uint64_t	u;

	memcpy(&u, &v, sizeof(u));
	wbuf_u32(w, (uint32_t)(u >> 32));
	wbuf_u32(w, (uint32_t)u);
}

static void
wbuf_head(struct wbuf *w, uint8_t tag)
{
	wbuf_u8(w, tag);
	wbuf_u8(w, STORE_PORTAL_VERSION);
}

static void
wbuf_address(struct wbuf *w, const char *a)
{
	size_t	len = strlen(a);

	wbuf_u16(w, (uint16_t)len);
	wbuf_bytes(w, a, len);
}

int
store_record_address_ok(const char *a)
{
	size_t	i;

	if (a == NULL)
		return 0;
	for (i = 0; a[i] != '\0'; i++) {
		if (i >= STORE_PORTAL_MAX_ADDRESS)
			return 0;
		if (a[i] >= 'A' && a[i] <= 'Z')
			return 0;
	}
	return i > 0;
}

/* Allocate n bytes for an encoding; NULL on failure. */
static uint8_t *
record_alloc(size_t n, struct wbuf *w)
{
	uint8_t	*buf;

	if ((buf = malloc(n)) == NULL)
		return NULL;
	w->p = buf;
	return buf;
}

static void
record_done(const struct wbuf *w, uint8_t *buf, size_t n, uint8_t **out,
    size_t *outlen)
{
	if ((size_t)(w->p - buf) != n)
		abort();	/* the size and the writer disagree */
	*out = buf;
	*outlen = n;
}

int
store_record_encode_account(const struct store_account *a, uint8_t **out,
    size_t *outlen)
{
	struct wbuf	 w;
	uint8_t		*buf;
	size_t		 n, hlen;

	if (!store_record_address_ok(a->address) || a->password_hash == NULL ||
	    (hlen = strlen(a->password_hash)) > STORE_PORTAL_MAX_HASH)
		return -1;
	n = ACCOUNT_FIXED_LEN + 2 + strlen(a->address) + 2 + hlen;
	if ((buf = record_alloc(n, &w)) == NULL)
		return -1;
	wbuf_head(&w, STORE_PORTAL_TAG_ACCOUNT);
	wbuf_u32(&w, a->flags);
	wbuf_i64(&w, a->created);
	wbuf_i64(&w, a->password_changed);
	wbuf_address(&w, a->address);
	wbuf_u16(&w, (uint16_t)hlen);
	wbuf_bytes(&w, a->password_hash, hlen);
	record_done(&w, buf, n, out, outlen);
	return 0;
}

int
store_record_decode_account(const uint8_t *buf, size_t len,
    struct store_account *out)
{
	struct rbuf	r = { buf, len };
	uint16_t	n16;

	memset(out, 0, sizeof(*out));
	if (buf == NULL)
		return -1;
	if (rbuf_head(&r, STORE_PORTAL_TAG_ACCOUNT) == -1 ||
	    rbuf_u32(&r, &out->flags) == -1 ||
	    rbuf_i64(&r, &out->created) == -1 ||
	    rbuf_i64(&r, &out->password_changed) == -1 ||
	    rbuf_address(&r, &out->address) == -1)
		goto err;
	if (rbuf_u16(&r, &n16) == -1 || n16 > STORE_PORTAL_MAX_HASH ||
	    rbuf_string(&r, n16, &out->password_hash) == -1)
		goto err;
	if (r.left != 0)
		goto err;
	return 0;

err:
	store_account_clear(out);
	return -1;
}

int
store_record_encode_session(const struct store_session *s, uint8_t **out,
    size_t *outlen)
{
	struct wbuf	 w;
	uint8_t		*buf;
	size_t		 n, iplen;

	if (!store_record_address_ok(s->address) ||
	    (iplen = strnlen(s->ip, sizeof(s->ip))) > SESSION_IP_MAX)
		return -1;
	n = SESSION_FIXED_LEN + 2 + strlen(s->address) + 1 + iplen + 2 +
	    SESSION_CSRF_LEN;
	if ((buf = record_alloc(n, &w)) == NULL)
		return -1;
	wbuf_head(&w, STORE_PORTAL_TAG_SESSION);
	wbuf_bytes(&w, s->key, STORE_KEY_LEN);
	wbuf_i64(&w, s->created);
	wbuf_i64(&w, s->last_seen);
	wbuf_address(&w, s->address);
	wbuf_u8(&w, (uint8_t)iplen);
	wbuf_bytes(&w, s->ip, iplen);
	wbuf_u16(&w, (uint16_t)SESSION_CSRF_LEN);
	wbuf_bytes(&w, s->csrf, SESSION_CSRF_LEN);
	record_done(&w, buf, n, out, outlen);
	return 0;
}

int
store_record_decode_session(const uint8_t *buf, size_t len,
    struct store_session *out)
{
	struct rbuf	r = { buf, len };
	uint16_t	n16;
	uint8_t		n8;

	memset(out, 0, sizeof(*out));
	if (buf == NULL)
		return -1;
	if (rbuf_head(&r, STORE_PORTAL_TAG_SESSION) == -1 ||
	    rbuf_bytes(&r, out->key, STORE_KEY_LEN) == -1 ||
	    rbuf_i64(&r, &out->created) == -1 ||
	    rbuf_i64(&r, &out->last_seen) == -1 ||
	    rbuf_address(&r, &out->address) == -1)
		goto err;
	/* ip stays NUL-terminated: memset above, at most SESSION_IP_MAX. */
	if (rbuf_u8(&r, &n8) == -1 || n8 > SESSION_IP_MAX ||
	    r.left < n8 || memchr(r.p, '\0', n8) != NULL ||
	    rbuf_bytes(&r, out->ip, n8) == -1)
		goto err;
	if (rbuf_u16(&r, &n16) == -1 || n16 != SESSION_CSRF_LEN ||
	    rbuf_bytes(&r, out->csrf, SESSION_CSRF_LEN) == -1)
		goto err;
	if (r.left != 0)
		goto err;
	return 0;

err:
	store_session_clear(out);
	return -1;
}

int
store_record_encode_token(const struct store_token *t, uint8_t **out,
    size_t *outlen)
{
	struct wbuf	 w;
	uint8_t		*buf;
	size_t		 n, dlen;

	if (!store_record_address_ok(t->address) || t->data == NULL ||
	    (dlen = strlen(t->data)) > STORE_PORTAL_MAX_DATA ||
	    t->kind < 1 || t->kind > STORE_PORTAL_TOKEN_KIND_MAX)
		return -1;
	n = TOKEN_FIXED_LEN + 2 + strlen(t->address) + 4 + dlen;
	if ((buf = record_alloc(n, &w)) == NULL)
		return -1;
	wbuf_head(&w, STORE_PORTAL_TAG_TOKEN);
	wbuf_bytes(&w, t->key, STORE_KEY_LEN);
	wbuf_u32(&w, (uint32_t)t->kind);
	wbuf_i64(&w, t->expires);
	wbuf_address(&w, t->address);
	wbuf_u32(&w, (uint32_t)dlen);
	wbuf_bytes(&w, t->data, dlen);
	record_done(&w, buf, n, out, outlen);
	return 0;
}

int
store_record_decode_token(const uint8_t *buf, size_t len,
    struct store_token *out)
{
	struct rbuf	r = { buf, len };
	uint32_t	n32;

	memset(out, 0, sizeof(*out));
	if (buf == NULL)
		return -1;
	if (rbuf_head(&r, STORE_PORTAL_TAG_TOKEN) == -1 ||
	    rbuf_bytes(&r, out->key, STORE_KEY_LEN) == -1 ||
	    rbuf_u32(&r, &n32) == -1 || n32 < 1 ||
	    n32 > STORE_PORTAL_TOKEN_KIND_MAX)
		goto err;
	out->kind = (int)n32;
	if (rbuf_i64(&r, &out->expires) == -1 ||
	    rbuf_address(&r, &out->address) == -1)
		goto err;
	if (rbuf_u32(&r, &n32) == -1 || n32 > STORE_PORTAL_MAX_DATA ||
	    rbuf_string(&r, n32, &out->data) == -1)
		goto err;
	if (r.left != 0)
		goto err;
	return 0;

err:
	store_token_clear(out);
	return -1;
}

int
store_record_encode_alias(const struct store_alias *a, uint8_t **out,
    size_t *outlen)
{
	struct wbuf	 w;
	uint8_t		*buf;
	size_t		 n;

	if (!store_record_address_ok(a->alias) ||
	    !store_record_address_ok(a->master) ||
	    (a->status != STORE_ALIAS_PENDING &&
	    a->status != STORE_ALIAS_CONFIRMED))
		return -1;
	n = 2 + 1 + 8 + 2 + strlen(a->alias) + 2 + strlen(a->master);
	if ((buf = record_alloc(n, &w)) == NULL)
		return -1;
	wbuf_head(&w, STORE_PORTAL_TAG_ALIAS);
	wbuf_u8(&w, (uint8_t)a->status);
	wbuf_i64(&w, a->created);
	wbuf_address(&w, a->alias);
	wbuf_address(&w, a->master);
	record_done(&w, buf, n, out, outlen);
	return 0;
}

int
store_record_decode_alias(const uint8_t *buf, size_t len,
    struct store_alias *out)
{
	struct rbuf	r = { buf, len };
	uint8_t		status;

	memset(out, 0, sizeof(*out));
	if (buf == NULL)
		return -1;
	if (rbuf_head(&r, STORE_PORTAL_TAG_ALIAS) == -1 ||
	    rbuf_u8(&r, &status) == -1 ||
	    (status != STORE_ALIAS_PENDING &&
	    status != STORE_ALIAS_CONFIRMED) ||
	    rbuf_i64(&r, &out->created) == -1 ||
	    rbuf_address(&r, &out->alias) == -1 ||
	    rbuf_address(&r, &out->master) == -1 || r.left != 0) {
		store_alias_clear(out);
		return -1;
	}
	out->status = status;
	return 0;
}
