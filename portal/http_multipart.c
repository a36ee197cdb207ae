/*
 * multipart/form-data with GMime (http_multipart.h).
 */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <event2/buffer.h>
#include <gmime/gmime.h>
#include <sodium.h>

#include "http.h"
#include "http_form.h"
#include "http_multipart.h"

/* RFC 2046 5.1.1 bchars: the boundary goes back into a header we write. */
static int
boundary_ok(const char *b)
{
	size_t	len = strlen(b), i;

	if (len == 0 || len > HTTP_MULTIPART_MAX_BOUNDARY || b[len - 1] == ' ')
		return 0;
	for (i = 0; i < len; i++)
		if (!isalnum((unsigned char)b[i]) &&
		    strchr("'()+_,-./:=? ", b[i]) == NULL)
			return 0;
	return 1;
}

int
http_multipart_is_form(const char *ct)
{
	static const char	want[] = "multipart/form-data";
	size_t			n = sizeof(want) - 1;

	return ct != NULL && strncasecmp(ct, want, n) == 0 &&
	    (ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ' || ct[n] == '\t');
}

/* The boundary parameter of a multipart/form-data type, or NULL. */
static char *
boundary_of(const char *ct)
{
	GMimeContentType	*type;
	const char		*b;
	char			*out = NULL;

	if (!http_multipart_is_form(ct) ||
	    (type = g_mime_content_type_parse(NULL, ct)) == NULL)
		return NULL;
	if (g_mime_content_type_is_type(type, "multipart", "form-data") &&
	    (b = g_mime_content_type_get_parameter(type, "boundary")) != NULL &&
	    boundary_ok(b))
		out = strdup(b);
	g_object_unref(type);
	return out;
}

static void
upload_clear(struct http_upload *u)
{
	free(u->field);
	free(u->filename);
	free(u->content_type);
	if (u->data != NULL) {
		sodium_memzero(u->data, u->len);
		free(u->data);
	}
	memset(u, 0, sizeof(*u));
}

void
http_multipart_free(struct http_multipart *mp)
{
	size_t	i;

	if (mp == NULL)
		return;
	http_form_free(mp->form);
	for (i = 0; i < mp->nfiles; i++)
		upload_clear(&mp->files[i]);
	free(mp->files);
	free(mp);
}

/* The decoded content of a leaf (transfer encoding undone). */
static GByteArray *
part_decode(GMimePart *part)
{
	GMimeDataWrapper	*content;
	GMimeStream		*mem;
	GByteArray		*ba;

	ba = g_byte_array_new();
	if ((content = g_mime_part_get_content(part)) == NULL)
		return ba;
	mem = g_mime_stream_mem_new_with_byte_array(ba);
	g_mime_stream_mem_set_owner(GMIME_STREAM_MEM(mem), FALSE);
	if (g_mime_data_wrapper_write_to_stream(content, mem) == -1) {
		g_object_unref(mem);
		if (ba->len > 0)
			sodium_memzero(ba->data, ba->len);
		g_byte_array_unref(ba);
		return NULL;
	}
	g_object_unref(mem);
	return ba;
}

/* name=value& percent-encoded, for http_form_parse. */
static void
form_append(GString *s, const char *name, const guint8 *v, size_t vlen)
{
	static const char	hex[] = "0123456789ABCDEF";
	const guint8		*p;
	size_t			 i, nlen = strlen(name);
	int			 pass;

	if (s->len > 0)
		g_string_append_c(s, '&');
	for (pass = 0; pass < 2; pass++) {
		p = pass == 0 ? (const guint8 *)name : v;
		for (i = 0; i < (pass == 0 ? nlen : vlen); i++) {
			if (isalnum(p[i]) || p[i] == '-' || p[i] == '_' ||
			    p[i] == '.' || p[i] == '~')
				g_string_append_c(s, (char)p[i]);
			else {
				g_string_append_c(s, '%');
				g_string_append_c(s, hex[p[i] >> 4]);
				g_string_append_c(s, hex[p[i] & 15]);
			}
		}
		if (pass == 0)
			g_string_append_c(s, '=');
	}
}

/* The part's declared type when well-formed, else octet-stream. */
static char *
upload_type(GMimeObject *obj)
{
	GMimeContentType	*ct;
	const char		*t, *s, *p;
	char			*out, *q;

	ct = g_mime_object_get_content_type(obj);
	/* GMime says text/plain for a part without the header. */
	if (g_mime_object_get_header(obj, "Content-Type") == NULL ||
	    ct == NULL || (t = g_mime_content_type_get_media_type(ct)) == NULL ||
	    (s = g_mime_content_type_get_media_subtype(ct)) == NULL ||
	    *t == '\0' || *s == '\0' || strlen(t) + strlen(s) > 126)
		return strdup("application/octet-stream");
	for (p = t; *p != '\0'; p++)
		if (!isalnum((unsigned char)*p) && strchr("!#$&^_.+-", *p) == NULL)
			return strdup("application/octet-stream");
	for (p = s; *p != '\0'; p++)
		if (!isalnum((unsigned char)*p) && strchr("!#$&^_.+-", *p) == NULL)
			return strdup("application/octet-stream");
	if (asprintf(&out, "%s/%s", t, s) == -1)
		return NULL;
	for (q = out; *q != '\0'; q++)
		*q = (char)tolower((unsigned char)*q);
	return out;
}

/* One file part into mp->files; 0, 1 (an empty file input) or -1. */
static int
upload_add(struct http_multipart *mp, GMimeObject *obj, const char *name,
    const char *filename, GByteArray *ba)
{
	struct http_upload	*u;

	if (filename[0] == '\0' && ba->len == 0)
		return 1;
	if (mp->nfiles == HTTP_MULTIPART_MAX_FILES ||
	    !g_utf8_validate(filename, -1, NULL))
		return -1;
	u = &mp->files[mp->nfiles];
	memset(u, 0, sizeof(*u));
	if ((u->field = strdup(name)) == NULL ||
	    (u->filename = strdup(filename)) == NULL ||
	    (u->content_type = upload_type(obj)) == NULL)
		goto err;
	if (ba->len > 0) {
		if ((u->data = malloc(ba->len)) == NULL)
			goto err;
		memcpy(u->data, ba->data, ba->len);
		u->len = ba->len;
	}
	mp->nfiles++;
	return 0;
 err:
	upload_clear(u);
	return -1;
}

/* Walk the parts of the parsed body: fields into enc, files into mp. */
static int
parts_collect(GMimeMultipart *multi, struct http_multipart *mp, GString *enc)
{
	GMimeObject		*obj;
	GMimeContentDisposition	*disp;
	GByteArray		*ba;
	const char		*name, *filename, *d;
	int			 i, n, rc;

	n = g_mime_multipart_get_count(multi);
	if (n < 0 || n > HTTP_FORM_MAX_FIELDS + HTTP_MULTIPART_MAX_FILES)
		return -1;
	for (i = 0; i < n; i++) {
		obj = g_mime_multipart_get_part(multi, i);
		if (!GMIME_IS_PART(obj) ||
		    (disp = g_mime_object_get_content_disposition(obj)) ==
		    NULL ||
		    (d = g_mime_content_disposition_get_disposition(disp)) ==
		    NULL || strcasecmp(d, "form-data") != 0 ||
		    (name = g_mime_content_disposition_get_parameter(disp,
		    "name")) == NULL || *name == '\0' ||
		    !g_utf8_validate(name, -1, NULL))
			return -1;
		filename = g_mime_content_disposition_get_parameter(disp,
		    "filename");
		if ((ba = part_decode(GMIME_PART(obj))) == NULL)
			return -1;
		if (filename != NULL)
			rc = upload_add(mp, obj, name, filename, ba);
		else {
			form_append(enc, name, ba->data, ba->len);
			rc = 0;
		}
		if (ba->len > 0)
			sodium_memzero(ba->data, ba->len);
		g_byte_array_unref(ba);
		if (rc == -1)
			return -1;
	}
	return 0;
}

int
http_multipart_parse(const char *content_type, const void *body, size_t len,
    struct http_multipart **out)
{
	struct http_multipart	*mp = NULL;
	GMimeStream		*cat = NULL, *head = NULL, *rest = NULL;
	GMimeParser		*parser = NULL;
	GMimeObject		*obj = NULL;
	GByteArray		*ba = NULL;
	GString			*enc = NULL;
	char			*boundary, *hdr = NULL;
	int			 rc = -1;

	*out = NULL;
	if ((boundary = boundary_of(content_type)) == NULL ||
	    len > G_MAXUINT)
		goto done;
	if ((mp = calloc(1, sizeof(*mp))) == NULL ||
	    (mp->files = calloc(HTTP_MULTIPART_MAX_FILES,
	    sizeof(*mp->files))) == NULL)
		goto done;
	if (asprintf(&hdr, "Content-Type: multipart/form-data; "
	    "boundary=\"%s\"\r\n\r\n", boundary) == -1) {
		hdr = NULL;
		goto done;
	}

	/* The synthesized header, then the body without a copy. */
	head = g_mime_stream_mem_new_with_buffer(hdr, strlen(hdr));
	if (len > 0) {
		ba = g_byte_array_new_take((guint8 *)(uintptr_t)body, len);
		rest = g_mime_stream_mem_new_with_byte_array(ba);
		g_mime_stream_mem_set_owner(GMIME_STREAM_MEM(rest), FALSE);
		g_mime_stream_set_bounds(rest, 0, (gint64)len);
	} else
		rest = g_mime_stream_mem_new();
	cat = g_mime_stream_cat_new();
	g_mime_stream_cat_add_source(GMIME_STREAM_CAT(cat), head);
	g_mime_stream_cat_add_source(GMIME_STREAM_CAT(cat), rest);
	parser = g_mime_parser_new_with_stream(cat);
	if ((obj = g_mime_parser_construct_part(parser, NULL)) == NULL ||
	    !GMIME_IS_MULTIPART(obj))
		goto done;
	enc = g_string_new(NULL);
	if (parts_collect(GMIME_MULTIPART(obj), mp, enc) == -1 ||
	    http_form_parse(enc->str, enc->len, &mp->form) == -1)
		goto done;
	*out = mp;
	mp = NULL;
	rc = 0;
 done:
	if (enc != NULL) {
		sodium_memzero(enc->str, enc->allocated_len);
		g_string_free(enc, TRUE);
	}
	if (obj != NULL)
		g_object_unref(obj);
	if (parser != NULL)
		g_object_unref(parser);
	if (cat != NULL)
		g_object_unref(cat);
	if (head != NULL)
		g_object_unref(head);
	if (rest != NULL)
		g_object_unref(rest);
	/* Free the array, not the caller's bytes. */
	if (ba != NULL)
		(void)g_byte_array_free(ba, FALSE);
	http_multipart_free(mp);
	free(hdr);
	free(boundary);
	return rc;
}

int
http_request_form_any(struct http_request *req, struct http_multipart **out)
{
	struct http_multipart	*mp;
	const char		*ct, *data = "";
	size_t			 len;

	*out = NULL;
	ct = http_request_header(req, "Content-Type");
	if (!http_multipart_is_form(ct)) {
		if ((mp = calloc(1, sizeof(*mp))) == NULL)
			return -1;
		if (http_request_form(req, &mp->form) == -1) {
			http_multipart_free(mp);
			return -1;
		}
		*out = mp;
		return 0;
	}
	len = evbuffer_get_length(req->body);
	if (len > 0 && (data = (const char *)evbuffer_pullup(req->body,
	    -1)) == NULL)
		return -1;
	return http_multipart_parse(ct, data, len, out);
}
