/*
 * The read page's view of a message, parsed with GMime.  See msgview.h.
 */
#include <ctype.h>
#include <errno.h>
#include <iconv.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gmime/gmime.h>

#include "message_read.h"
#include "msgview.h"

/*
 * Protective bounds for arbitrary input (nested multiparts, leaves);
 * stored mail is within the milter's max_mime_depth and max_mime_parts,
 * whose maxima these are.
 */
#define MSGVIEW_MAX_DEPTH	1000
#define MSGVIEW_MAX_PARTS	1000000
/* An extension kept when a long name is cut ('.' included). */
#define MSGVIEW_EXT_MAX		16

#define UTF8_REPLACEMENT	"\xef\xbf\xbd"

/* A parsed original: the message references raw through the stream. */
struct loaded {
	GByteArray	*ba;
	GMimeStream	*stream;
	GMimeParser	*parser;
	GMimeMessage	*msg;
};

struct leaf {
	GMimeObject	*obj;
	GMimeObject	*alt;		/* nearest multipart/alternative */
	int		 related;	/* inside a multipart/related */
};

struct leaves {
	struct leaf	*v;
	size_t		 n, cap;
};

/*
 * Parse without copying raw: the byte array borrows it, the stream
 * does not own the array, and GMime's parts are substreams of it.
 */
static int
loaded_open(struct loaded *l, const void *raw, size_t len)
{
	memset(l, 0, sizeof(*l));
	if (len > G_MAXUINT)
		return -1;
	l->ba = g_byte_array_new_take((guint8 *)(uintptr_t)raw, len);
	l->stream = g_mime_stream_mem_new_with_byte_array(l->ba);
	g_mime_stream_mem_set_owner((GMimeStreamMem *)l->stream, FALSE);
	/* Bounded: a write could never grow (realloc) the borrowed bytes. */
	g_mime_stream_set_bounds(l->stream, 0, (gint64)len);
	l->parser = g_mime_parser_new_with_stream(l->stream);
	if ((l->msg = g_mime_parser_construct_message(l->parser, NULL)) ==
	    NULL)
		return -1;
	return 0;
}

static void
loaded_close(struct loaded *l)
{
	if (l->msg != NULL)
		g_object_unref(l->msg);
	if (l->parser != NULL)
		g_object_unref(l->parser);
	if (l->stream != NULL)
		g_object_unref(l->stream);
	/* Free the array, not the caller's bytes. */
	if (l->ba != NULL)
		(void)g_byte_array_free(l->ba, FALSE);
	memset(l, 0, sizeof(*l));
}

static int
leaves_add(struct leaves *ls, GMimeObject *obj, GMimeObject *alt,
    int related)
{
	struct leaf	*nv;
	size_t		 ncap;

	if (ls->n == MSGVIEW_MAX_PARTS)
		return 0;	/* the rest is not shown */
	if (ls->n == ls->cap) {
		ncap = ls->cap == 0 ? 16 : ls->cap * 2;
		if ((nv = reallocarray(ls->v, ncap, sizeof(*nv))) == NULL)
			return -1;
		ls->v = nv;
		ls->cap = ncap;
	}
	ls->v[ls->n].obj = obj;
	ls->v[ls->n].alt = alt;
	ls->v[ls->n].related = related;
	ls->n++;
	return 0;
}

static int
is_type(GMimeObject *obj, const char *type, const char *subtype)
{
	GMimeContentType	*ct;

	if ((ct = g_mime_object_get_content_type(obj)) == NULL)
		return 0;
	return g_mime_content_type_is_type(ct, type, subtype);
}

/* Depth-first over the leaves; an attached message is one leaf. */
static int
leaves_walk(struct leaves *ls, GMimeObject *obj, GMimeObject *alt,
    int related, unsigned depth)
{
	GMimeMultipart	*mp;
	GMimeObject	*sub;
	int		 i, count;

	if (obj == NULL)
		return 0;
	if (!GMIME_IS_MULTIPART(obj))
		return leaves_add(ls, obj, alt, related);
	if (depth >= MSGVIEW_MAX_DEPTH)
		return 0;
	if (is_type(obj, "multipart", "alternative"))
		alt = obj;
	if (is_type(obj, "multipart", "related"))
		related = 1;
	mp = (GMimeMultipart *)obj;
	count = g_mime_multipart_get_count(mp);
	for (i = 0; i < count; i++) {
		if ((sub = g_mime_multipart_get_part(mp, i)) == NULL)
			continue;
		if (leaves_walk(ls, sub, alt, related, depth + 1) == -1)
			return -1;
	}
	return 0;
}

static int
leaves_collect(struct leaves *ls, GMimeMessage *msg)
{
	memset(ls, 0, sizeof(*ls));
	return leaves_walk(ls, g_mime_message_get_mime_part(msg), NULL, 0, 0);
}

static void
leaves_free(struct leaves *ls)
{
	free(ls->v);
	memset(ls, 0, sizeof(*ls));
}

/* The decoded bytes of a leaf written to stream. */
static int
leaf_write(GMimeObject *obj, GMimeStream *stream)
{
	GMimeDataWrapper	*content;
	GMimeMessage		*inner;

	if (GMIME_IS_MESSAGE_PART(obj)) {
		if ((inner = g_mime_message_part_get_message(
		    (GMimeMessagePart *)obj)) == NULL)
			return 0;
		return g_mime_object_write_to_stream((GMimeObject *)inner,
		    NULL, stream) == -1 ? -1 : 0;
	}
	if (!GMIME_IS_PART(obj))
		return 0;
	if ((content = g_mime_part_get_content((GMimePart *)obj)) == NULL)
		return 0;
	return g_mime_data_wrapper_write_to_stream(content, stream) == -1 ?
	    -1 : 0;
}

/* The decoded bytes of a leaf in a GByteArray (g_byte_array_unref). */
static GByteArray *
leaf_decode(GMimeObject *obj)
{
	GMimeStream	*stream;
	GByteArray	*ba;

	stream = g_mime_stream_mem_new();
	if (leaf_write(obj, stream) == -1) {
		g_object_unref(stream);
		return NULL;
	}
	/* Take the array: an owning stream would empty it on unref. */
	ba = g_mime_stream_mem_get_byte_array((GMimeStreamMem *)stream);
	g_mime_stream_mem_set_owner((GMimeStreamMem *)stream, FALSE);
	g_object_unref(stream);
	return ba;
}

static size_t
leaf_size(GMimeObject *obj)
{
	GMimeStream	*null;
	size_t		 n;

	null = g_mime_stream_null_new();
	n = leaf_write(obj, null) == -1 ? 0 :
	    ((GMimeStreamNull *)null)->written;
	g_object_unref(null);
	return n;
}

static int
is_token_char(int c)
{
	return isalnum(c) || (c != '\0' && strchr("!#$&^_.+-", c) != NULL);
}

static int
is_token(const char *s)
{
	if (s == NULL || *s == '\0' || strlen(s) > 127)
		return 0;
	for (; *s != '\0'; s++)
		if (!is_token_char((unsigned char)*s))
			return 0;
	return 1;
}

/* "type/subtype" in lowercase, or application/octet-stream. */
static char *
leaf_content_type(GMimeObject *obj)
{
	GMimeContentType	*ct;
	const char		*type = NULL, *sub = NULL;
	char			*s, *p;

	if ((ct = g_mime_object_get_content_type(obj)) != NULL) {
		type = g_mime_content_type_get_media_type(ct);
		sub = g_mime_content_type_get_media_subtype(ct);
	}
	if (!is_token(type) || !is_token(sub))
		return strdup("application/octet-stream");
	if (asprintf(&s, "%s/%s", type, sub) == -1)
		return NULL;
	for (p = s; *p != '\0'; p++)
		*p = (char)tolower((unsigned char)*p);
	return s;
}

static const char *
leaf_raw_filename(GMimeObject *obj)
{
	const char	*name;

	if (GMIME_IS_PART(obj))
		return g_mime_part_get_filename((GMimePart *)obj);
	if ((name = g_mime_object_get_content_disposition_parameter(obj,
	    "filename")) != NULL)
		return name;
	return g_mime_object_get_content_type_parameter(obj, "name");
}

static int
leaf_disposition_is(GMimeObject *obj, const char *what)
{
	GMimeContentDisposition	*d;
	const char		*s;

	if ((d = g_mime_object_get_content_disposition(obj)) == NULL ||
	    (s = g_mime_content_disposition_get_disposition(d)) == NULL)
		return 0;
	return g_ascii_strcasecmp(s, what) == 0;
}

/* Content-ID without <>, printable ASCII only; NULL if none. */
static char *
leaf_content_id(GMimeObject *obj, int *oom)
{
	const char	*cid;
	char		*s, *o;

	*oom = 0;
	if ((cid = g_mime_object_get_content_id(obj)) == NULL)
		return NULL;
	if ((s = malloc(strlen(cid) + 1)) == NULL) {
		*oom = 1;
		return NULL;
	}
	for (o = s; *cid != '\0'; cid++)
		if (*cid > 0x20 && *cid < 0x7f && *cid != '<' && *cid != '>')
			*o++ = *cid;
	*o = '\0';
	if (*s == '\0') {
		free(s);
		return NULL;
	}
	return s;
}

/* A body candidate: text/<subtype>, no attachment disposition, no name. */
static int
leaf_is_body(GMimeObject *obj, const char *subtype)
{
	return GMIME_IS_PART(obj) && is_type(obj, "text", subtype) &&
	    !leaf_disposition_is(obj, "attachment") &&
	    leaf_raw_filename(obj) == NULL;
}

/* The first body candidate, one inside a multipart/alternative first. */
static ssize_t
leaves_find_body(const struct leaves *ls, const char *subtype)
{
	ssize_t	first = -1;
	size_t	i;

	for (i = 0; i < ls->n; i++) {
		if (!leaf_is_body(ls->v[i].obj, subtype))
			continue;
		if (ls->v[i].alt != NULL)
			return (ssize_t)i;
		if (first == -1)
			first = (ssize_t)i;
	}
	return first;
}

static int
utf8_charset(const char *charset)
{
	const char *name;

	if (charset == NULL || *charset == '\0')
		return 1;
	name = g_mime_charset_canon_name(charset);
	return name == NULL || g_ascii_strcasecmp(name, "utf-8") == 0 ||
	    g_ascii_strcasecmp(name, "us-ascii") == 0 ||
	    g_ascii_strcasecmp(name, "ascii") == 0;
}

/* Convert with cd, one replacement character per undecodable byte. */
static void
iconv_replacing(iconv_t cd, const char *data, size_t len, GString *out)
{
	char	 buf[4096], *in = (char *)(uintptr_t)data, *o;
	size_t	 inleft = len, oleft, r;

	(void)iconv(cd, NULL, NULL, NULL, NULL);
	while (inleft > 0) {
		o = buf;
		oleft = sizeof(buf);
		r = iconv(cd, &in, &inleft, &o, &oleft);
		g_string_append_len(out, buf, o - buf);
		if (r != (size_t)-1 || errno == E2BIG)
			continue;
		/* EILSEQ, EINVAL (cut short at the end) or worse. */
		g_string_append(out, UTF8_REPLACEMENT);
		in++;
		inleft--;
	}
	o = buf;
	oleft = sizeof(buf);
	if (iconv(cd, NULL, NULL, &o, &oleft) != (size_t)-1)
		g_string_append_len(out, buf, o - buf);
}

/*
 * Text in charset as a malloc'd UTF-8 string.  Unknown, absent or ASCII
 * charsets: UTF-8 if it is, else GMime's 8-bit guess; NULs and whatever
 * is still invalid become U+FFFD.
 */
static char *
text_to_utf8(const uint8_t *data, size_t len, const char *charset)
{
	iconv_t		 cd = (iconv_t)-1;
	GString		*s;
	gchar		*guess, *valid;
	const char	*p, *end, *nul;
	char		*out;

	if (len == 0)
		return strdup("");	/* data may be NULL */
	s = g_string_sized_new(len + 1);
	if (!utf8_charset(charset))
		cd = g_mime_iconv_open("UTF-8", charset);
	if (cd != (iconv_t)-1) {
		iconv_replacing(cd, (const char *)data, len, s);
		g_mime_iconv_close(cd);
	} else {
		/* Piece by piece between NULs: the guess stops at one. */
		p = (const char *)data;
		end = p + len;
		for (;;) {
			if ((nul = memchr(p, '\0', (size_t)(end - p))) == NULL)
				nul = end;
			if (g_utf8_validate(p, nul - p, NULL))
				g_string_append_len(s, p, nul - p);
			else if ((guess = g_mime_utils_decode_8bit(NULL, p,
			    (size_t)(nul - p))) != NULL) {
				g_string_append(s, guess);
				g_free(guess);
			}
			if (nul == end)
				break;
			g_string_append(s, UTF8_REPLACEMENT);
			p = nul + 1;
		}
	}
	/* With a length, NULs are invalid too: no string cut short. */
	valid = g_utf8_make_valid(s->str, (gssize)s->len);
	g_string_free(s, TRUE);
	out = strdup(valid);
	g_free(valid);
	return out;
}

static char *
leaf_text(GMimeObject *obj)
{
	GByteArray	*ba;
	char		*s;

	/* A body that does not decode is shown empty, not an error. */
	if ((ba = leaf_decode(obj)) == NULL)
		return strdup("");
	s = text_to_utf8(ba->data, ba->len,
	    g_mime_object_get_content_type_parameter(obj, "charset"));
	g_byte_array_unref(ba);
	return s;
}

static int
is_bidi_control(gunichar c)
{
	return c == 0x200e || c == 0x200f || (c >= 0x202a && c <= 0x202e) ||
	    (c >= 0x2066 && c <= 0x2069) || c == 0x061c || c == 0xfeff;
}

static int
is_trimmed(char c)
{
	return c == '.' || c == ' ';
}

char *
msgview_sanitize_filename(const char *name, unsigned n)
{
	gchar		*valid = NULL;
	const gchar	*p, *base;
	char		*s, *o, *start, *end, *ext;
	size_t		 len, extlen, stem;
	gunichar	 c;

	if (name == NULL)
		name = "";
	valid = g_utf8_make_valid(name, -1);
	/* The last path component, whichever the separator. */
	for (base = p = valid; *p != '\0'; p++)
		if (*p == '/' || *p == '\\')
			base = p + 1;
	if ((s = malloc(strlen(base) + 1)) == NULL) {
		g_free(valid);
		return NULL;
	}
	o = s;
	for (p = base; *p != '\0'; p = g_utf8_next_char(p)) {
		c = g_utf8_get_char(p);
		if (c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0) ||
		    is_bidi_control(c))
			continue;
		if (c < 0x80 && strchr("<>:\"|?*", (int)c) != NULL) {
			*o++ = '_';
			continue;
		}
		memcpy(o, p, (size_t)(g_utf8_next_char(p) - p));
		o += g_utf8_next_char(p) - p;
	}
	*o = '\0';
	g_free(valid);

	for (start = s; is_trimmed(*start); start++)
		;
	for (end = o; end > start && is_trimmed(end[-1]); end--)
		;
	*end = '\0';
	len = (size_t)(end - start);
	memmove(s, start, len + 1);

	if (len > MSGVIEW_FILENAME_MAX) {
		/* Cut the stem, keep a short extension. */
		ext = strrchr(s, '.');
		extlen = ext != NULL ? strlen(ext) : 0;
		if (extlen < 2 || extlen > MSGVIEW_EXT_MAX)
			extlen = 0;
		stem = MSGVIEW_FILENAME_MAX - extlen;
		while (stem > 0 && ((unsigned char)s[stem] & 0xc0) == 0x80)
			stem--;
		while (stem > 0 && is_trimmed(s[stem - 1]))
			stem--;
		memmove(s + stem, s + len - extlen, extlen + 1);
		len = stem + extlen;
		if (stem == 0)
			len = 0;
	}
	if (len == 0) {
		free(s);
		if (asprintf(&s, "attachment-%u", n) == -1)
			return NULL;
	}
	return s;
}

/* Address header for display: the list decoded, else the raw text. */
static char *
view_addresses(GMimeMessage *msg, GMimeAddressType type, const char *name)
{
	InternetAddressList	*list;
	const char		*raw;
	char			*s = NULL, *out;

	list = g_mime_message_get_addresses(msg, type);
	if (list != NULL && internet_address_list_length(list) > 0)
		s = internet_address_list_to_string(list, NULL, FALSE);
	if ((s == NULL || *s == '\0') &&
	    (raw = g_mime_object_get_header((GMimeObject *)msg, name)) !=
	    NULL) {
		g_free(s);
		s = g_mime_utils_header_decode_text(NULL, raw);
	}
	out = message_display_clean(s);
	g_free(s);
	return out;
}

static char *
view_header(GMimeMessage *msg, const char *name)
{
	const char	*raw;
	char		*s = NULL, *out;

	if ((raw = g_mime_object_get_header((GMimeObject *)msg, name)) != NULL)
		s = g_mime_utils_header_decode_text(NULL, raw);
	out = message_display_clean(s);
	g_free(s);
	return out;
}

static int
view_part(struct msgview_part *vp, const struct leaf *lf, unsigned index)
{
	int	oom;

	vp->index = index;
	if ((vp->content_type = leaf_content_type(lf->obj)) == NULL)
		return -1;
	if ((vp->filename = msgview_sanitize_filename(
	    leaf_raw_filename(lf->obj), index)) == NULL)
		return -1;
	vp->content_id = leaf_content_id(lf->obj, &oom);
	if (oom)
		return -1;
	vp->size = leaf_size(lf->obj);
	return 0;
}

/*
 * Attachment flags, once the bodies are chosen: see msgview.h.
 * text_alt and html_alt: the multipart/alternative of each chosen body.
 */
static void
view_flags(struct msgview_part *vp, const struct leaf *lf, int is_body,
    GMimeObject *text_alt, GMimeObject *html_alt)
{
	int	image = is_type(lf->obj, "image", "*");

	if (GMIME_IS_MESSAGE_PART(lf->obj) ||
	    leaf_disposition_is(lf->obj, "attachment")) {
		vp->is_attachment = 1;
		return;
	}
	if (image && lf->related && vp->content_id != NULL) {
		vp->is_inline_image = 1;
		return;
	}
	if (image && leaf_disposition_is(lf->obj, "inline")) {
		vp->is_inline_image = 1;
		vp->is_attachment = 1;
		return;
	}
	if (is_body)
		return;
	/* Another rendering of a shown body, e.g. text/enriched. */
	if (lf->alt != NULL && (lf->alt == text_alt || lf->alt == html_alt) &&
	    leaf_raw_filename(lf->obj) == NULL)
		return;
	vp->is_attachment = 1;
}

int
msgview_parse(const void *raw, size_t len, struct msgview *out)
{
	struct loaded	 l;
	struct leaves	 ls;
	GMimeObject	*text_alt = NULL, *html_alt = NULL;
	ssize_t		 ti, hi;
	size_t		 i;
	int		 rc = -1;

	memset(out, 0, sizeof(*out));
	memset(&ls, 0, sizeof(ls));
	if (loaded_open(&l, raw, len) == -1)
		goto done;
	if ((out->from = view_addresses(l.msg, GMIME_ADDRESS_TYPE_FROM,
	    "From")) == NULL ||
	    (out->to = view_addresses(l.msg, GMIME_ADDRESS_TYPE_TO,
	    "To")) == NULL ||
	    (out->cc = view_addresses(l.msg, GMIME_ADDRESS_TYPE_CC,
	    "Cc")) == NULL ||
	    (out->date = view_header(l.msg, "Date")) == NULL ||
	    (out->subject = message_display_clean(
	    g_mime_message_get_subject(l.msg))) == NULL)
		goto done;

	if (leaves_collect(&ls, l.msg) == -1)
		goto done;
	ti = leaves_find_body(&ls, "plain");
	hi = leaves_find_body(&ls, "html");
	if (ti != -1) {
		text_alt = ls.v[ti].alt;
		if ((out->text_body = leaf_text(ls.v[ti].obj)) == NULL)
			goto done;
	}
	if (hi != -1) {
		html_alt = ls.v[hi].alt;
		if ((out->html_body = leaf_text(ls.v[hi].obj)) == NULL)
			goto done;
	}
	if (ls.n > 0 && (out->parts = calloc(ls.n, sizeof(*out->parts))) ==
	    NULL)
		goto done;
	for (i = 0; i < ls.n; i++) {
		out->nparts = i + 1;
		if (view_part(&out->parts[i], &ls.v[i],
		    (unsigned)(i + 1)) == -1)
			goto done;
		view_flags(&out->parts[i], &ls.v[i],
		    (ssize_t)i == ti || (ssize_t)i == hi, text_alt, html_alt);
	}
	rc = 0;
 done:
	leaves_free(&ls);
	loaded_close(&l);
	if (rc == -1)
		msgview_clear(out);
	return rc;
}

void
msgview_clear(struct msgview *v)
{
	size_t	i;

	if (v == NULL)
		return;
	free(v->from);
	free(v->to);
	free(v->cc);
	free(v->date);
	free(v->subject);
	free(v->text_body);
	free(v->html_body);
	for (i = 0; v->parts != NULL && i < v->nparts; i++) {
		free(v->parts[i].content_type);
		free(v->parts[i].filename);
		free(v->parts[i].content_id);
	}
	free(v->parts);
	memset(v, 0, sizeof(*v));
}

/* The download type: a text type gets its charset when it is a token. */
static char *
part_download_type(GMimeObject *obj)
{
	const char	*charset;
	char		*type, *s;

	if ((type = leaf_content_type(obj)) == NULL)
		return NULL;
	if (strncmp(type, "text/", 5) != 0 ||
	    (charset = g_mime_object_get_content_type_parameter(obj,
	    "charset")) == NULL || !is_token(charset))
		return type;
	if (asprintf(&s, "%s; charset=%s", type, charset) == -1)
		s = NULL;
	free(type);
	return s;
}

int
msgview_part_content(const void *raw, size_t len, unsigned n, uint8_t **data,
    size_t *dlen, char **content_type, char **filename)
{
	struct loaded	 l;
	struct leaves	 ls;
	GMimeObject	*obj;
	GByteArray	*ba = NULL;
	int		 rc = -1;

	*data = NULL;
	*dlen = 0;
	*content_type = NULL;
	*filename = NULL;
	memset(&ls, 0, sizeof(ls));
	if (loaded_open(&l, raw, len) == -1)
		goto done;
	if (leaves_collect(&ls, l.msg) == -1 || n == 0 || n > ls.n)
		goto done;
	obj = ls.v[n - 1].obj;
	if ((*content_type = part_download_type(obj)) == NULL ||
	    (*filename = msgview_sanitize_filename(leaf_raw_filename(obj),
	    n)) == NULL)
		goto done;
	if ((ba = leaf_decode(obj)) == NULL)
		goto done;
	if ((*data = malloc(ba->len > 0 ? ba->len : 1)) == NULL)
		goto done;
	if (ba->len > 0)
		memcpy(*data, ba->data, ba->len);
	*dlen = ba->len;
	rc = 0;
 done:
	if (ba != NULL)
		g_byte_array_unref(ba);
	leaves_free(&ls);
	loaded_close(&l);
	if (rc == -1) {
		free(*content_type);
		free(*filename);
		*content_type = NULL;
		*filename = NULL;
	}
	return rc;
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

int
msgview_find_cid(const struct msgview *v, const char *cid, unsigned *n)
{
	char	*want, *o;
	size_t	 i, len;
	int	 hi, lo, rc = -1;

	if (g_ascii_strncasecmp(cid, "cid:", 4) == 0)
		cid += 4;
	if (*cid == '<')
		cid++;
	if ((want = malloc(strlen(cid) + 1)) == NULL)
		return -1;
	for (o = want; *cid != '\0'; cid++) {
		if (*cid == '%' && (hi = hexval((unsigned char)cid[1])) != -1 &&
		    (lo = hexval((unsigned char)cid[2])) != -1) {
			*o++ = (char)(hi << 4 | lo);
			cid += 2;
		} else
			*o++ = *cid;
	}
	*o = '\0';
	len = strlen(want);
	if (len > 0 && want[len - 1] == '>')
		want[--len] = '\0';
	if (len == 0)
		goto done;
	/* Exact first; some mailers change the case of the reference. */
	for (i = 0; i < v->nparts; i++)
		if (v->parts[i].content_id != NULL &&
		    strcmp(v->parts[i].content_id, want) == 0) {
			*n = v->parts[i].index;
			rc = 0;
			goto done;
		}
	for (i = 0; i < v->nparts; i++)
		if (v->parts[i].content_id != NULL &&
		    g_ascii_strcasecmp(v->parts[i].content_id, want) == 0) {
			*n = v->parts[i].index;
			rc = 0;
			goto done;
		}
 done:
	free(want);
	return rc;
}
