/*
 * The portal's multipart/form-data decoder (http_multipart.h) on
 * arbitrary bytes.  The first line of the input is the request's
 * Content-Type value (when it does not name multipart/form-data, a
 * fixed boundary is used and the whole input is the body), the rest the
 * body.  A decoded form holds only what an urlencoded one may (valid
 * UTF-8, no NUL or control characters but TAB, CR and LF, at most the
 * field limit); files are bounded, named in UTF-8 and typed as a
 * lowercase "type/subtype".
 */
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <gmime/gmime.h>

#include "http_form.h"
#include "http_multipart.h"

#define FIXED_TYPE	"multipart/form-data; boundary=XyZ"

static void
check_text(const char *s)
{
	const unsigned char	*p;

	for (p = (const unsigned char *)s; *p != '\0'; p++)
		if ((*p < 0x20 && *p != '\t' && *p != '\r' && *p != '\n') ||
		    *p == 0x7f)
			abort();
	if (!http_utf8_valid((const unsigned char *)s, strlen(s)))
		abort();
}

static void
check_type(const char *t)
{
	const char	*p;
	int		 slash = 0;

	if (t == NULL || *t == '\0' || *t == '/')
		abort();
	for (p = t; *p != '\0'; p++) {
		if (*p == '/')
			slash++;
		else if (isupper((unsigned char)*p) ||
		    (!isalnum((unsigned char)*p) &&
		    strchr("!#$&^_.+-", *p) == NULL))
			abort();
	}
	if (slash != 1 || p[-1] == '/')
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int		 init;
	struct http_multipart	*mp;
	const uint8_t		*nl;
	char			*ctype;
	const void		*body;
	size_t			 i, n, blen;

	if (!init) {
		g_mime_init();
		init = 1;
	}
	nl = memchr(data, '\n', size);
	if (nl != NULL && (size_t)(nl - data) < 256) {
		if ((ctype = strndup((const char *)data,
		    (size_t)(nl - data))) == NULL)
			return 0;
		body = nl + 1;
		blen = size - (size_t)(nl - data) - 1;
	} else {
		ctype = NULL;
		body = data;
		blen = size;
	}
	if (ctype == NULL || !http_multipart_is_form(ctype)) {
		free(ctype);
		if ((ctype = strdup(FIXED_TYPE)) == NULL)
			return 0;
		body = data;
		blen = size;
	}
	if (http_multipart_parse(ctype, body, blen, &mp) == -1) {
		if (mp != NULL)
			abort();
		free(ctype);
		return 0;
	}
	if (mp == NULL || mp->form == NULL ||
	    mp->nfiles > HTTP_MULTIPART_MAX_FILES)
		abort();
	n = http_form_count(mp->form);
	if (n > HTTP_FORM_MAX_FIELDS)
		abort();
	for (i = 0; i < n; i++) {
		check_text(http_form_name(mp->form, i));
		check_text(http_form_value(mp->form, i));
	}
	for (i = 0; i < mp->nfiles; i++) {
		if (mp->files[i].field == NULL ||
		    mp->files[i].filename == NULL ||
		    (mp->files[i].len > 0 && mp->files[i].data == NULL) ||
		    mp->files[i].len > blen)
			abort();
		if (!http_utf8_valid((const unsigned char *)
		    mp->files[i].filename, strlen(mp->files[i].filename)))
			abort();
		check_type(mp->files[i].content_type);
	}
	http_multipart_free(mp);
	free(ctype);
	return 0;
}
