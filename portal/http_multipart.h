/*
 * A multipart/form-data decoder (RFC 7578: a form with file uploads),
 * parsed with GMime: the body is read as the content of a MIME entity
 * whose header we synthesize from the request's boundary.
 *
 * Strict where it matters and simple otherwise: every part must be a
 * leaf with "Content-Disposition: form-data; name=..."; a part with a
 * filename parameter is a file, any other a field.  Fields go through
 * the same checks as an urlencoded form (http_form.h: valid UTF-8, no
 * NUL or control characters other than TAB, CR and LF, at most
 * HTTP_FORM_MAX_FIELDS), so that handlers read both kinds of form with
 * http_form_get.  An empty file input (empty filename, no bytes) is no
 * file.  Anything else refuses the whole body (-1: the handler answers
 * 400).
 *
 * g_mime_init() is the caller's job.  The decoded values are wiped when
 * freed.
 */
#ifndef SEALPOST_HTTP_MULTIPART_H
#define SEALPOST_HTTP_MULTIPART_H

#include <stddef.h>
#include <stdint.h>

struct http_form;
struct http_request;

#define HTTP_MULTIPART_MAX_FILES	100
#define HTTP_MULTIPART_MAX_BOUNDARY	70	/* RFC 2046 5.1.1 */

struct http_upload {
	char		*field;		/* the form field's name, UTF-8 */
	char		*filename;	/* as sent, UTF-8 (NOT sanitised) */
	char		*content_type;	/* "type/subtype" lowercase; as sent
					   when well-formed, else
					   application/octet-stream */
	uint8_t		*data;		/* decoded bytes (malloc'd, may be
					   NULL when len is 0) */
	size_t		 len;
};

/* Owned by the caller; http_multipart_free. */
struct http_multipart {
	struct http_form	*form;	/* the fields; never NULL */
	struct http_upload	*files;
	size_t			 nfiles;
};

/* 1 if the Content-Type value names multipart/form-data. */
int	http_multipart_is_form(const char *content_type);

/*
 * Decode body (len bytes, borrowed) sent with Content-Type
 * content_type.  *out is set on success, NULL on -1.
 */
int	http_multipart_parse(const char *content_type, const void *body,
	    size_t len, struct http_multipart **out)
	    __attribute__((warn_unused_result));
void	http_multipart_free(struct http_multipart *);

/*
 * The form of a POST, urlencoded (http_request_form; no files) or
 * multipart/form-data.  *out is set on success (caller frees with
 * http_multipart_free), NULL on -1: another Content-Type or a bad body.
 */
int	http_request_form_any(struct http_request *req,
	    struct http_multipart **out) __attribute__((warn_unused_result));

#endif
