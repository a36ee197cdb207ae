/*
 * Build a message with GMime, then seal and store it the way the milter
 * stores what it receives (message_create.h).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <gmime/gmime.h>
#include <sodium.h>

#include "config.h"
#include "envelope.h"
#include "masterkey.h"
#include "message_create.h"
#include "store.h"

/* The sealed chunks, in memory until the store commits them. */
struct sealed {
	uint8_t		**ct;
	size_t		 *len;
	uint32_t	  n;
	uint32_t	  cap;
};

void
message_create_free(void *p, size_t len)
{
	if (p == NULL)
		return;
	sodium_memzero(p, len);
	free(p);
}

void
message_created_clear(struct message_created *c)
{
	size_t	i;

	if (c == NULL)
		return;
	free(c->message_id);
	free(c->date);
	for (i = 0; i < c->nrecipients; i++)
		free(c->recipients[i]);
	free(c->recipients);
	memset(c, 0, sizeof(*c));
}

int
message_address_ok(const char *a)
{
	const char	*at, *p;
	size_t		 len;

	if (a == NULL)
		return 0;
	len = strlen(a);
	if (len < 3 || len > MESSAGE_CREATE_MAX_ADDRESS || a[0] == '-' ||
	    a[0] == '.' || a[len - 1] == '.')
		return 0;
	if ((at = strchr(a, '@')) == NULL || at == a || at[1] == '\0' ||
	    strchr(at + 1, '@') != NULL || at[-1] == '.' || at[1] == '.')
		return 0;
	for (p = a; *p != '\0'; p++)
		if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f ||
		    strchr("<>()[],;:\"\\", *p) != NULL)
			return 0;
	return 1;
}

int
message_msgid_ok(const char *id)
{
	const char	*p;
	size_t		 len;

	if (id == NULL || (len = strlen(id)) == 0 ||
	    len > MESSAGE_CREATE_MAX_MSGID)
		return 0;
	for (p = id; *p != '\0'; p++)
		if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f ||
		    *p == '<' || *p == '>')
			return 0;
	return 1;
}

/* A subject is one line of UTF-8 without control characters. */
static int
subject_ok(const char *s)
{
	const unsigned char	*p;

	if (s == NULL)
		return 1;
	if (strlen(s) > MESSAGE_CREATE_MAX_SUBJECT ||
	    !g_utf8_validate(s, -1, NULL))
		return 0;
	for (p = (const unsigned char *)s; *p != '\0'; p++)
		if (*p < 0x20 || *p == 0x7f)
			return 0;
	return 1;
}

/* "type/subtype" of token characters, lowercased into out; 0 or -1. */
static int
content_type_clean(const char *in, char *out, size_t outlen)
{
	const char	*p;
	size_t		 i = 0, slash = 0;

	if (in == NULL)
		return -1;
	for (p = in; *p != '\0'; p++) {
		if (*p == '/') {
			if (slash++ > 0 || i == 0)
				return -1;
		} else if (!isalnum((unsigned char)*p) &&
		    strchr("!#$&^_.+-", *p) == NULL)
			return -1;
		if (i + 1 >= outlen)
			return -1;
		out[i++] = (char)tolower((unsigned char)*p);
	}
	out[i] = '\0';
	if (slash != 1 || out[i - 1] == '/')
		return -1;
	return 0;
}

/* A stream over bytes we only borrow: no copy, never written. */
static GMimeStream *
borrowed_stream(const uint8_t *data, size_t len, GByteArray **ba)
{
	GMimeStream	*s;

	*ba = NULL;
	if (len == 0)
		return g_mime_stream_mem_new();
	*ba = g_byte_array_new_take((guint8 *)(uintptr_t)data, len);
	s = g_mime_stream_mem_new_with_byte_array(*ba);
	g_mime_stream_mem_set_owner(GMIME_STREAM_MEM(s), FALSE);
	g_mime_stream_set_bounds(s, 0, (gint64)len);
	return s;
}

/* Free the array, not the borrowed bytes. */
static void
borrowed_release(GByteArray *ba)
{
	if (ba != NULL)
		(void)g_byte_array_free(ba, FALSE);
}

/* A display file name: valid UTF-8, control characters as '_'. */
static char *
filename_clean(const char *name)
{
	char	*s, *p;

	if (name == NULL || *name == '\0')
		return NULL;
	s = g_utf8_make_valid(name, -1);
	for (p = s; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '_';
	return s;
}

/* A forwarded message stays a message (RFC 2046 5.2.1: no base64). */
static GMimeObject *
attachment_message(GMimeStream *stream, const char *filename)
{
	GMimeParser		*parser;
	GMimeMessage		*inner;
	GMimeMessagePart	*mp;

	parser = g_mime_parser_new_with_stream(stream);
	inner = g_mime_parser_construct_message(parser, NULL);
	g_object_unref(parser);
	if (inner == NULL)
		return NULL;
	mp = g_mime_message_part_new_with_message("rfc822", inner);
	g_object_unref(inner);
	g_mime_object_set_disposition(GMIME_OBJECT(mp), "attachment");
	if (filename != NULL)
		g_mime_object_set_content_disposition_parameter(
		    GMIME_OBJECT(mp), "filename", filename);
	return GMIME_OBJECT(mp);
}

static GMimeObject *
attachment_part(const struct message_attachment *a, GByteArray **ba)
{
	GMimeStream		*stream;
	GMimeDataWrapper	*content;
	GMimePart		*part;
	GMimeObject		*obj;
	char			 type[128], *slash, *filename;

	if (content_type_clean(a->content_type, type, sizeof(type)) == -1 ||
	    strncmp(type, "multipart/", 10) == 0 ||
	    (strncmp(type, "message/", 8) == 0 &&
	    strcmp(type, "message/rfc822") != 0))
		snprintf(type, sizeof(type), "application/octet-stream");
	filename = filename_clean(a->filename);
	stream = borrowed_stream(a->data, a->len, ba);
	if (strcmp(type, "message/rfc822") == 0) {
		if ((obj = attachment_message(stream, filename)) != NULL) {
			g_object_unref(stream);
			g_free(filename);
			return obj;
		}
		snprintf(type, sizeof(type), "application/octet-stream");
		g_mime_stream_reset(stream);
	}
	slash = strchr(type, '/');
	*slash = '\0';
	part = g_mime_part_new_with_type(type, slash + 1);
	content = g_mime_data_wrapper_new_with_stream(stream,
	    GMIME_CONTENT_ENCODING_DEFAULT);
	g_mime_part_set_content(part, content);
	g_object_unref(content);
	g_object_unref(stream);
	g_mime_part_set_content_encoding(part, GMIME_CONTENT_ENCODING_BASE64);
	g_mime_object_set_disposition(GMIME_OBJECT(part), "attachment");
	if (filename != NULL)
		g_mime_part_set_filename(part, filename);
	g_free(filename);
	return GMIME_OBJECT(part);
}

/* text/plain; charset=utf-8, quoted-printable, one newline form. */
static GMimeObject *
text_part(const char *body, GByteArray **copy)
{
	GMimeTextPart		*part;
	GMimeStream		*stream;
	GMimeDataWrapper	*content;
	const char		*s;

	/* CRLF and lone CR become LF: the output filter makes CRLF. */
	*copy = g_byte_array_sized_new(strlen(body) + 1);
	for (s = body; *s != '\0'; s++) {
		if (s[0] == '\r' && s[1] == '\n')
			continue;
		g_byte_array_append(*copy, (const guint8 *)(*s == '\r' ?
		    "\n" : s), 1);
	}
	part = g_mime_text_part_new_with_subtype("plain");
	stream = g_mime_stream_mem_new_with_byte_array(*copy);
	g_mime_stream_mem_set_owner(GMIME_STREAM_MEM(stream), FALSE);
	content = g_mime_data_wrapper_new_with_stream(stream,
	    GMIME_CONTENT_ENCODING_DEFAULT);
	g_mime_part_set_content(GMIME_PART(part), content);
	/* Not g_mime_text_part_set_text(): it would pick a smaller
	 * charset and convert; the body stays UTF-8 as written. */
	g_mime_text_part_set_charset(part, "utf-8");
	g_mime_part_set_content_encoding(GMIME_PART(part),
	    GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE);
	g_object_unref(content);
	g_object_unref(stream);
	return GMIME_OBJECT(part);
}

static int
draft_check(const struct message_draft *d, char *err, size_t errlen)
{
	size_t	i;

	if (!message_address_ok(d->from)) {
		snprintf(err, errlen, "bad sender address");
		return -1;
	}
	if (d->nto + d->ncc == 0 ||
	    d->nto + d->ncc > MESSAGE_CREATE_MAX_RCPTS) {
		snprintf(err, errlen, "want 1 to %d recipients",
		    MESSAGE_CREATE_MAX_RCPTS);
		return -1;
	}
	for (i = 0; i < d->nto + d->ncc; i++)
		if (!message_address_ok(i < d->nto ? d->to[i] :
		    d->cc[i - d->nto])) {
			snprintf(err, errlen, "bad recipient address");
			return -1;
		}
	if (!subject_ok(d->subject)) {
		snprintf(err, errlen, "subject is not one line of UTF-8");
		return -1;
	}
	if (d->body != NULL && !g_utf8_validate(d->body, -1, NULL)) {
		snprintf(err, errlen, "body is not UTF-8");
		return -1;
	}
	if (d->in_reply_to != NULL && !message_msgid_ok(d->in_reply_to)) {
		snprintf(err, errlen, "bad In-Reply-To");
		return -1;
	}
	for (i = 0; i < d->nreferences; i++)
		if (!message_msgid_ok(d->references[i])) {
			snprintf(err, errlen, "bad References");
			return -1;
		}
	return 0;
}

/* "<first> <last-19> ... <last>": RFC 5322 3.6.4 trimming. */
static char *
references_value(const struct message_draft *d)
{
	GString	*s;
	size_t	 i, keep_from;

	if (d->nreferences == 0)
		return NULL;
	keep_from = d->nreferences > MESSAGE_CREATE_MAX_REFS ?
	    d->nreferences - (MESSAGE_CREATE_MAX_REFS - 1) : 1;
	s = g_string_new(NULL);
	g_string_append_printf(s, "<%s>", d->references[0]);
	for (i = keep_from; i < d->nreferences; i++)
		g_string_append_printf(s, " <%s>", d->references[i]);
	return g_string_free(s, FALSE);
}

/* The domain of noreply_address names our Message-IDs. */
static const char *
msgid_domain(const struct config *cfg)
{
	const char	*at;

	if (cfg->noreply_address != NULL &&
	    (at = strrchr(cfg->noreply_address, '@')) != NULL &&
	    message_msgid_ok(at + 1))
		return at + 1;
	return "localhost";
}

int
message_create_build(const struct config *cfg, const struct message_draft *d,
    int64_t now, uint8_t **raw, size_t *rawlen, char **message_id,
    char *err, size_t errlen)
{
	GMimeMessage		*msg = NULL;
	GMimeMultipart		*mixed = NULL;
	GMimeObject		*part;
	GMimeStream		*mem = NULL;
	GMimeFormatOptions	*fo = NULL;
	GDateTime		*date = NULL;
	GByteArray		*bytes, *bodycopy = NULL, **borrowed = NULL;
	char			*mid = NULL, *refs = NULL, *irt = NULL;
	size_t			 i;
	int			 rc = MESSAGE_CREATE_ERROR;

	*raw = NULL;
	*rawlen = 0;
	*message_id = NULL;
	if (draft_check(d, err, errlen) == -1)
		return MESSAGE_CREATE_INVALID;
	if (d->nattachments > 0 && (borrowed = calloc(d->nattachments,
	    sizeof(*borrowed))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return MESSAGE_CREATE_ERROR;
	}

	msg = g_mime_message_new(TRUE);
	g_mime_message_add_mailbox(msg, GMIME_ADDRESS_TYPE_FROM, NULL,
	    d->from);
	for (i = 0; i < d->nto; i++)
		g_mime_message_add_mailbox(msg, GMIME_ADDRESS_TYPE_TO, NULL,
		    d->to[i]);
	for (i = 0; i < d->ncc; i++)
		g_mime_message_add_mailbox(msg, GMIME_ADDRESS_TYPE_CC, NULL,
		    d->cc[i]);
	if (d->subject != NULL && d->subject[0] != '\0')
		g_mime_message_set_subject(msg, d->subject, "utf-8");
	if ((date = g_date_time_new_from_unix_utc(now)) == NULL) {
		snprintf(err, errlen, "bad date");
		goto done;
	}
	g_mime_message_set_date(msg, date);
	mid = g_mime_utils_generate_message_id(msgid_domain(cfg));
	g_mime_message_set_message_id(msg, mid);
	if (d->in_reply_to != NULL) {
		irt = g_strdup_printf("<%s>", d->in_reply_to);
		g_mime_object_set_header(GMIME_OBJECT(msg), "In-Reply-To", irt,
		    NULL);
	}
	if ((refs = references_value(d)) != NULL)
		g_mime_object_set_header(GMIME_OBJECT(msg), "References", refs,
		    NULL);
	g_mime_object_set_header(GMIME_OBJECT(msg), "MIME-Version", "1.0",
	    NULL);

	part = text_part(d->body != NULL ? d->body : "", &bodycopy);
	if (d->nattachments == 0)
		g_mime_message_set_mime_part(msg, part);
	else {
		mixed = g_mime_multipart_new_with_subtype("mixed");
		g_mime_multipart_add(mixed, part);
		g_object_unref(part);
		for (i = 0; i < d->nattachments; i++) {
			part = attachment_part(&d->attachments[i],
			    &borrowed[i]);
			g_mime_multipart_add(mixed, part);
			g_object_unref(part);
		}
		part = GMIME_OBJECT(mixed);
		mixed = NULL;
		g_mime_message_set_mime_part(msg, part);
	}
	g_object_unref(part);

	/* CRLF, as a message arrives over SMTP and as the milter stores it. */
	fo = g_mime_format_options_new();
	g_mime_format_options_set_newline_format(fo, GMIME_NEWLINE_FORMAT_DOS);
	mem = g_mime_stream_mem_new();
	if (g_mime_object_write_to_stream(GMIME_OBJECT(msg), fo, mem) == -1) {
		snprintf(err, errlen, "cannot write the message");
		goto done;
	}
	bytes = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(mem));
	if (bytes->len > cfg->max_message_size) {
		snprintf(err, errlen, "message exceeds max_message_size");
		rc = MESSAGE_CREATE_TOOBIG;
		goto done;
	}
	if ((*raw = malloc(bytes->len > 0 ? bytes->len : 1)) == NULL ||
	    (*message_id = strdup(mid)) == NULL) {
		free(*raw);
		*raw = NULL;
		snprintf(err, errlen, "out of memory");
		goto done;
	}
	memcpy(*raw, bytes->data, bytes->len);
	*rawlen = bytes->len;
	rc = MESSAGE_CREATE_OK;
 done:
	if (mem != NULL) {
		bytes = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(mem));
		if (bytes != NULL && bytes->len > 0)
			sodium_memzero(bytes->data, bytes->len);
		g_object_unref(mem);
	}
	if (fo != NULL)
		g_mime_format_options_free(fo);
	if (msg != NULL)
		g_object_unref(msg);
	if (bodycopy != NULL) {
		if (bodycopy->len > 0)
			sodium_memzero(bodycopy->data, bodycopy->len);
		g_byte_array_unref(bodycopy);
	}
	for (i = 0; borrowed != NULL && i < d->nattachments; i++)
		borrowed_release(borrowed[i]);
	free(borrowed);
	if (date != NULL)
		g_date_time_unref(date);
	g_free(mid);
	g_free(refs);
	g_free(irt);
	return rc;
}

static void
sealed_clear(struct sealed *c)
{
	uint32_t	i;

	for (i = 0; i < c->n; i++)
		free(c->ct[i]);
	free(c->ct);
	free(c->len);
	memset(c, 0, sizeof(*c));
}

static int
sealed_sink(void *arg, uint32_t index, const uint8_t *ct, size_t len)
{
	struct sealed	*c = arg;
	uint8_t		**nct;
	size_t		 *nlen;
	uint32_t	  ncap;

	if (index != c->n)
		return -1;
	if (c->n == c->cap) {
		ncap = c->cap == 0 ? 8 : c->cap * 2;
		if ((nct = reallocarray(c->ct, ncap, sizeof(*nct))) == NULL)
			return -1;
		c->ct = nct;
		if ((nlen = reallocarray(c->len, ncap, sizeof(*nlen))) == NULL)
			return -1;
		c->len = nlen;
		c->cap = ncap;
	}
	if ((c->ct[c->n] = malloc(len > 0 ? len : 1)) == NULL)
		return -1;
	memcpy(c->ct[c->n], ct, len);
	c->len[c->n] = len;
	c->n++;
	return 0;
}

/* store_chunk_fn: any index, any order, so the backend may rewind. */
static int
sealed_next(void *arg, uint32_t index, const uint8_t **ct, size_t *len)
{
	struct sealed	*c = arg;

	if (index >= c->n)
		return -1;
	*ct = c->ct[index];
	*len = c->len[index];
	return 0;
}

int
message_create_store(struct store *st, const struct masterkey *mk,
    const struct config *cfg, const char *sender, char *const *rcpts,
    size_t nrcpts, const uint8_t *raw, size_t rawlen, unsigned attachments,
    int64_t now, uint8_t id[MSGID_LEN], char *err, size_t errlen)
{
	struct envelope_key	*dk = NULL;
	struct envelope_writer	*w = NULL;
	struct store_message	 sm;
	struct sealed		 c;
	const uint8_t		*end;
	size_t			 hdrlen, off, n;
	int			 s, rc = MESSAGE_CREATE_ERROR;

	memset(&c, 0, sizeof(c));
	memset(&sm, 0, sizeof(sm));
	if (nrcpts == 0 || sender == NULL) {
		snprintf(err, errlen, "no sender or no recipient");
		return MESSAGE_CREATE_INVALID;
	}
	if (rawlen > cfg->max_message_size) {
		snprintf(err, errlen, "message exceeds max_message_size");
		return MESSAGE_CREATE_TOOBIG;
	}
	/* The header block, as build_header_block in the milter keeps it:
	 * the header lines and the empty line. */
	if (rawlen >= 2 && raw[0] == '\r' && raw[1] == '\n')
		hdrlen = 2;
	else if ((end = memmem(raw, rawlen, "\r\n\r\n", 4)) != NULL)
		hdrlen = (size_t)(end - raw) + 4;
	else {
		snprintf(err, errlen, "message without an empty line");
		return MESSAGE_CREATE_INVALID;
	}
	if (hdrlen > cfg->max_header_size) {
		snprintf(err, errlen, "header exceeds max_header_size");
		return MESSAGE_CREATE_TOOBIG;
	}
	msgid_generate(id);
	if ((dk = envelope_key_new()) == NULL ||
	    (w = envelope_writer_new(dk, id, sealed_sink, &c)) == NULL) {
		snprintf(err, errlen, "encryption");
		goto done;
	}
	for (off = 0; off < rawlen; off += n) {
		n = rawlen - off < ENVELOPE_CHUNK_SIZE ? rawlen - off :
		    ENVELOPE_CHUNK_SIZE;
		if (envelope_writer_update(w, raw + off, n) == -1) {
			snprintf(err, errlen, "encryption");
			goto done;
		}
	}
	if (envelope_writer_finish(w) == -1) {
		snprintf(err, errlen, "encryption");
		goto done;
	}

	memcpy(sm.id, id, MSGID_LEN);
	sm.version = ENVELOPE_VERSION;
	sm.received = now;
	sm.expires = now + (int64_t)cfg->message_retention;
	sm.size = rawlen;
	sm.nchunks = envelope_writer_chunks(w);
	sm.attachments = attachments;
	sm.sender = (char *)(uintptr_t)sender;
	sm.recipients = (char **)(uintptr_t)rcpts;
	sm.nrecipients = nrcpts;
	memcpy(sm.stream_header, envelope_writer_header(w),
	    ENVELOPE_HEADER_LEN);
	if (envelope_wrap_key(mk, id, dk, sm.wrapped_key) == -1) {
		snprintf(err, errlen, "key wrap");
		goto done;
	}
	sm.headers_ctlen = hdrlen + ENVELOPE_BLOB_OVERHEAD;
	if ((sm.headers_ct = malloc(sm.headers_ctlen)) == NULL ||
	    envelope_seal_blob(dk, id, raw, hdrlen, sm.headers_ct) == -1) {
		snprintf(err, errlen, "header encryption");
		goto done;
	}
	if ((s = store_put_message(st, &sm, sealed_next, &c)) != STORE_OK) {
		snprintf(err, errlen, "store: %s", store_strerror(s));
		rc = s == STORE_FULL ? MESSAGE_CREATE_FULL :
		    MESSAGE_CREATE_ERROR;
		goto done;
	}
	rc = MESSAGE_CREATE_OK;
 done:
	free(sm.headers_ct);
	envelope_writer_free(w);
	envelope_key_free(dk);
	sealed_clear(&c);
	return rc;
}

/* To + Cc, lowercased, each once: the envelope recipients. */
static int
rcpts_collect(const struct message_draft *d, char ***out, size_t *nout)
{
	char		**v;
	const char	 *a;
	size_t		  i, j, n = 0;

	*out = NULL;
	*nout = 0;
	if ((v = calloc(d->nto + d->ncc + 1, sizeof(*v))) == NULL)
		return -1;
	for (i = 0; i < d->nto + d->ncc; i++) {
		a = i < d->nto ? d->to[i] : d->cc[i - d->nto];
		for (j = 0; j < n; j++)
			if (strcasecmp(v[j], a) == 0)
				break;
		if (j < n)
			continue;
		if ((v[n] = strdup(a)) == NULL) {
			while (n > 0)
				free(v[--n]);
			free(v);
			return -1;
		}
		for (j = 0; v[n][j] != '\0'; j++)
			v[n][j] = (char)tolower((unsigned char)v[n][j]);
		n++;
	}
	*out = v;
	*nout = n;
	return 0;
}

int
message_create(struct store *st, const struct masterkey *mk,
    const struct config *cfg, const struct message_draft *d, int64_t now,
    struct message_created *out, char *err, size_t errlen)
{
	GDateTime	*date;
	uint8_t		*raw = NULL;
	size_t		 rawlen = 0;
	char		*mid = NULL, *when;
	int		 rc;

	memset(out, 0, sizeof(*out));
	if ((rc = message_create_build(cfg, d, now, &raw, &rawlen, &mid, err,
	    errlen)) != MESSAGE_CREATE_OK)
		return rc;
	rc = MESSAGE_CREATE_ERROR;
	/* The Date header as message_create_build wrote it. */
	if ((date = g_date_time_new_from_unix_utc(now)) != NULL) {
		when = g_mime_utils_header_format_date(date);
		out->date = strdup(when);
		g_free(when);
		g_date_time_unref(date);
	}
	if (out->date == NULL ||
	    rcpts_collect(d, &out->recipients, &out->nrecipients) == -1) {
		snprintf(err, errlen, "out of memory");
		goto done;
	}
	if ((rc = message_create_store(st, mk, cfg, d->from, out->recipients,
	    out->nrecipients, raw, rawlen, (unsigned)d->nattachments, now,
	    out->id, err, errlen)) != MESSAGE_CREATE_OK)
		goto done;
	msgid_encode(out->id, out->idstr);
	out->size = rawlen;
	out->attachments = (unsigned)d->nattachments;
	out->message_id = mid;
	mid = NULL;
 done:
	message_create_free(raw, rawlen);
	free(mid);
	if (rc != MESSAGE_CREATE_OK)
		message_created_clear(out);
	return rc;
}
