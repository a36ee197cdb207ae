/*
 * Reading a stored message back: record, unwrapped data key, chunks
 * decrypted one at a time in index order.  See message_read.h.
 */
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <gmime/gmime.h>
#include <sodium.h>

#include "envelope.h"
#include "log.h"
#include "masterkey.h"
#include "message_read.h"
#include "store.h"

_Static_assert(MESSAGE_READ_CHUNK_MAX == ENVELOPE_CHUNK_SIZE, "chunk size");

struct message_reader {
	struct store		*st;
	struct store_message	 meta;
	struct envelope_key	*dk;
	struct envelope_reader	*er;
	/*
	 * ENVELOPE_CHUNK_SIZE for message_reader_next, malloc'd on its
	 * first call: plaintext, wiped after each chunk and on free, but
	 * not guarded, since every caller copies it into ordinary memory
	 * anyway.  A sodium_malloc here cost each read an mmap, two
	 * mprotect and an munmap, that is TLB flushes on every core.
	 */
	uint8_t			*pt;
	size_t			 ptlen;
	uint32_t		 next;	/* index of the next chunk */
	uint64_t		 total;	/* plaintext bytes handed out */
	int			 done;
	int			 failed;
};

static int
status_from_store(int st)
{
	switch (st) {
	case STORE_OK:
		return MESSAGE_READ_OK;
	case STORE_NOTFOUND:
		return MESSAGE_READ_NOTFOUND;
	default:
		return MESSAGE_READ_ERROR;
	}
}

/* The record's data key, or NULL with *status set. */
static struct envelope_key *
message_unwrap(const struct masterkey *mk, const struct store_message *meta,
    int *status)
{
	struct envelope_key	*dk = NULL;
	char			 idstr[MSGID_STRLEN + 1];

	if (meta->version == ENVELOPE_VERSION &&
	    (dk = envelope_unwrap_key(mk, meta->id, meta->wrapped_key)) != NULL)
		return dk;
	msgid_encode(meta->id, idstr);
	log_warnx("read: id=%s reason=%s", idstr,
	    meta->version != ENVELOPE_VERSION ? "version" : "unwrap");
	*status = MESSAGE_READ_CORRUPT;
	return NULL;
}

struct message_reader *
message_reader_open(struct store *st, const struct masterkey *mk,
    const uint8_t id[MSGID_LEN], struct store_message *meta_out, int *status)
{
	struct message_reader	*r;
	int			 s;

	if (meta_out != NULL)
		memset(meta_out, 0, sizeof(*meta_out));
	if (sodium_init() < 0 || (r = calloc(1, sizeof(*r))) == NULL) {
		*status = MESSAGE_READ_ERROR;
		return NULL;
	}
	r->st = st;
	if ((s = store_get_message(st, id, &r->meta)) != STORE_OK) {
		*status = status_from_store(s);
		goto err;
	}
	/* The record must describe this id and at least the final chunk. */
	if (memcmp(r->meta.id, id, MSGID_LEN) != 0 || r->meta.nchunks == 0) {
		*status = MESSAGE_READ_CORRUPT;
		goto err;
	}
	if ((r->dk = message_unwrap(mk, &r->meta, status)) == NULL)
		goto err;
	if ((r->er = envelope_reader_new(r->dk, r->meta.id,
	    r->meta.stream_header)) == NULL) {
		*status = MESSAGE_READ_ERROR;
		goto err;
	}
	if (meta_out != NULL) {
		/* The record is the caller's; the reader keeps the rest. */
		*meta_out = r->meta;
		r->meta.sender = NULL;
		r->meta.recipients = NULL;
		r->meta.nrecipients = 0;
		r->meta.headers_ct = NULL;
		r->meta.headers_ctlen = 0;
	}
	*status = MESSAGE_READ_OK;
	return r;
 err:
	message_reader_free(r);
	return NULL;
}

uint64_t
message_reader_size(const struct message_reader *r)
{
	return r->meta.size;
}

/* Logs the id, the chunk and why: never content.  Wipes out (a chunk
 * buffer, or NULL). */
static int
message_reader_fail(struct message_reader *r, uint8_t *out, const char *why)
{
	char	idstr[MSGID_STRLEN + 1];

	msgid_encode(r->meta.id, idstr);
	log_warnx("read: id=%s chunk=%u/%u reason=%s", idstr, r->next,
	    r->meta.nchunks, why);
	r->failed = 1;
	if (out != NULL)
		sodium_memzero(out, ENVELOPE_CHUNK_SIZE);
	return -1;
}

/* The next chunk into out (ENVELOPE_CHUNK_SIZE bytes): as
 * message_reader_next_into. */
static int
message_reader_step(struct message_reader *r, uint8_t *out, size_t *len)
{
	uint8_t	*ct = NULL;
	size_t	 ctlen, n;
	int	 rc;

	*len = 0;
	if (r->failed) {
		sodium_memzero(out, ENVELOPE_CHUNK_SIZE);
		return -1;
	}
	if (r->done)
		return 0;
	/* Every chunk of the record read, none final: truncated. */
	if (r->next >= r->meta.nchunks)
		return message_reader_fail(r, out, "no-final-chunk");
	if ((rc = store_get_chunk(r->st, r->meta.id, r->next, &ct,
	    &ctlen)) != STORE_OK)
		return message_reader_fail(r, out, rc == STORE_NOTFOUND ?
		    "missing-chunk" : "store");
	rc = envelope_reader_chunk(r->er, ct, ctlen, out, &n);
	free(ct);
	if (rc == -1)
		return message_reader_fail(r, out, "authentication");
	/*
	 * An authentic chunk is handed out only if the stream can still
	 * end where the record says: the final chunk at the last index,
	 * a middle chunk before it, the total equal to the size.
	 */
	if ((rc == 1) != (r->next == r->meta.nchunks - 1))
		return message_reader_fail(r, out, rc == 1 ?
		    "early-final-chunk" : "no-final-chunk");
	if (n > r->meta.size - r->total ||
	    (rc == 1 && r->total + n != r->meta.size))
		return message_reader_fail(r, out, "size");
	r->next++;
	r->total += n;
	if (rc == 1) {
		r->done = 1;
		if (n == 0)
			return 0;
	}
	*len = n;
	return 1;
}

int
message_reader_next_into(struct message_reader *r, uint8_t *out,
    size_t outlen, size_t *len)
{
	*len = 0;
	if (outlen < ENVELOPE_CHUNK_SIZE) {
		sodium_memzero(out, outlen);
		return message_reader_fail(r, NULL, "buffer");
	}
	return message_reader_step(r, out, len);
}

int
message_reader_next(struct message_reader *r, const uint8_t **plain,
    size_t *len)
{
	int	rc;

	*plain = NULL;
	*len = 0;
	if (r->failed)
		return -1;
	/* The previous chunk is no longer the caller's. */
	if (r->pt != NULL)
		sodium_memzero(r->pt, r->ptlen);
	r->ptlen = 0;
	if (r->done)
		return 0;
	if (r->pt == NULL && (r->pt = malloc(ENVELOPE_CHUNK_SIZE)) == NULL)
		return message_reader_fail(r, NULL, "memory");
	if ((rc = message_reader_step(r, r->pt, &r->ptlen)) != 1)
		return rc;
	*plain = r->pt;
	*len = r->ptlen;
	return 1;
}

void
message_reader_free(struct message_reader *r)
{
	if (r == NULL)
		return;
	message_read_free(r->pt, r->pt != NULL ? ENVELOPE_CHUNK_SIZE : 0);
	envelope_reader_free(r->er);
	envelope_key_free(r->dk);
	store_message_clear(&r->meta);
	sodium_memzero(r, sizeof(*r));
	free(r);
}

int
message_read_all(struct store *st, const struct masterkey *mk,
    const uint8_t id[MSGID_LEN], size_t max, struct store_message *meta_out,
    uint8_t **out, size_t *outlen)
{
	struct message_reader	*r;
	const uint8_t		*p;
	uint8_t			*buf = NULL;
	size_t			 len = 0, n, cap = 0;
	int			 status, rc;

	*out = NULL;
	*outlen = 0;
	if ((r = message_reader_open(st, mk, id, meta_out, &status)) == NULL)
		return status;
	if (r->meta.size > max || r->meta.size > SIZE_MAX - 1) {
		status = MESSAGE_READ_TOOBIG;
		goto err;
	}
	/* The reader checks every chunk against the size: no realloc. */
	cap = (size_t)r->meta.size;
	if ((buf = malloc(cap > 0 ? cap : 1)) == NULL) {
		status = MESSAGE_READ_ERROR;
		goto err;
	}
	/* Straight into buf while a whole chunk fits, the tail by copy. */
	for (;;) {
		if (cap - len >= ENVELOPE_CHUNK_SIZE)
			rc = message_reader_next_into(r, buf + len, cap - len,
			    &n);
		else if ((rc = message_reader_next(r, &p, &n)) == 1)
			memcpy(buf + len, p, n);
		if (rc != 1)
			break;
		len += n;
	}
	if (rc == -1) {
		status = MESSAGE_READ_CORRUPT;
		goto err;
	}
	message_reader_free(r);
	*out = buf;
	*outlen = len;
	return MESSAGE_READ_OK;
 err:
	message_read_free(buf, cap);
	message_reader_free(r);
	if (meta_out != NULL)
		store_message_clear(meta_out);
	return status;
}

int
message_read_headers(struct store *st, const struct masterkey *mk,
    const struct store_message *meta, char **block, size_t *len)
{
	struct envelope_key	*dk;
	char			*b = NULL;
	size_t			 n = 0;
	int			 status;

	*block = NULL;
	*len = 0;
	if (meta->headers_ct == NULL ||
	    meta->headers_ctlen < ENVELOPE_BLOB_OVERHEAD)
		return MESSAGE_READ_CORRUPT;
	if (sodium_init() < 0)
		return MESSAGE_READ_ERROR;
	if ((dk = message_unwrap(mk, meta, &status)) == NULL)
		return status;
	n = meta->headers_ctlen - ENVELOPE_BLOB_OVERHEAD;
	if ((b = malloc(n + 1)) == NULL) {
		status = MESSAGE_READ_ERROR;
		goto err;
	}
	if (envelope_open_blob(dk, meta->id, meta->headers_ct,
	    meta->headers_ctlen, (uint8_t *)b) == -1) {
		status = MESSAGE_READ_CORRUPT;
		goto err;
	}
	b[n] = '\0';
	envelope_key_free(dk);
	*block = b;
	*len = n;
	return MESSAGE_READ_OK;
 err:
	envelope_key_free(dk);
	message_read_free(b, b != NULL ? n + 1 : 0);
	return status;
}

void
message_read_free(void *p, size_t len)
{
	if (p == NULL)
		return;
	sodium_memzero(p, len);
	free(p);
}

char *
message_display_clean(const char *s)
{
	gchar		*valid;
	const gchar	*p;
	char		*out, *o;
	gunichar	 c;
	int		 space = 1;	/* drop leading spaces */

	if (s == NULL)
		s = "";
	valid = g_utf8_make_valid(s, -1);
	if ((out = malloc(strlen(valid) + 1)) == NULL) {
		g_free(valid);
		return NULL;
	}
	o = out;
	for (p = valid; *p != '\0'; p = g_utf8_next_char(p)) {
		c = g_utf8_get_char(p);
		if (c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0) ||
		    c == ' ') {
			if (!space)
				*o++ = ' ';
			space = 1;
			continue;
		}
		space = 0;
		memcpy(o, p, (size_t)(g_utf8_next_char(p) - p));
		o += g_utf8_next_char(p) - p;
	}
	if (o > out && o[-1] == ' ')
		o--;
	*o = '\0';
	g_free(valid);
	return out;
}

/* From for display: the address list decoded, else the raw text. */
static char *
summary_from(GMimeMessage *msg)
{
	InternetAddressList	*list;
	const char		*raw;
	char			*s = NULL, *out;

	list = g_mime_message_get_from(msg);
	if (list != NULL && internet_address_list_length(list) > 0)
		s = internet_address_list_to_string(list, NULL, FALSE);
	if ((s == NULL || *s == '\0') &&
	    (raw = g_mime_object_get_header((GMimeObject *)msg, "From")) !=
	    NULL) {
		g_free(s);
		s = g_mime_utils_header_decode_text(NULL, raw);
	}
	out = message_display_clean(s);
	g_free(s);
	return out;
}

static char *
summary_header(GMimeMessage *msg, const char *name)
{
	const char	*raw;
	char		*s = NULL, *out;

	if ((raw = g_mime_object_get_header((GMimeObject *)msg, name)) != NULL)
		s = g_mime_utils_header_decode_text(NULL, raw);
	out = message_display_clean(s);
	g_free(s);
	return out;
}

int
message_summary_from_headers(const char *block, size_t len,
    struct message_summary *out)
{
	GMimeStream	*stream = NULL;
	GMimeParser	*parser = NULL;
	GMimeMessage	*msg = NULL;
	int		 rc = -1;

	memset(out, 0, sizeof(*out));
	if (len > SSIZE_MAX - 2)
		return -1;
	/* The empty line ends the headers even if the block lacks it. */
	stream = g_mime_stream_mem_new();
	if (g_mime_stream_write(stream, block, len) != (ssize_t)len ||
	    g_mime_stream_write(stream, "\r\n", 2) != 2)
		goto done;
	g_mime_stream_reset(stream);
	parser = g_mime_parser_new_with_stream(stream);
	if ((msg = g_mime_parser_construct_message(parser, NULL)) == NULL)
		goto done;
	out->from = summary_from(msg);
	/* g_mime_message_get_subject is already decoded. */
	out->subject = message_display_clean(g_mime_message_get_subject(msg));
	out->date = summary_header(msg, "Date");
	if (out->from == NULL || out->subject == NULL || out->date == NULL)
		goto done;
	rc = 0;
 done:
	if (msg != NULL)
		g_object_unref(msg);
	if (parser != NULL)
		g_object_unref(parser);
	/* The stream holds a copy of the headers: wipe it. */
	if (stream != NULL) {
		GByteArray *ba = g_mime_stream_mem_get_byte_array(
		    (GMimeStreamMem *)stream);

		if (ba != NULL && ba->len > 0)
			sodium_memzero(ba->data, ba->len);
		g_object_unref(stream);
	}
	if (rc == -1)
		message_summary_clear(out);
	return rc;
}

void
message_summary_clear(struct message_summary *s)
{
	if (s == NULL)
		return;
	free(s->from);
	free(s->subject);
	free(s->date);
	memset(s, 0, sizeof(*s));
}
