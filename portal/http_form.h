/*
 * A strict application/x-www-form-urlencoded decoder (the body of a
 * POSTed form, or a query string).  Fields are split at '&', name from
 * value at the first '='; '+' is a space and %XX a byte.  Refused as a
 * whole (-1): a bad %-escape, a decoded NUL, a control character other
 * than TAB, CR and LF, invalid UTF-8, more than HTTP_FORM_MAX_FIELDS
 * fields.  Empty segments ("a=1&&b=2") are skipped; a segment without
 * '=' is a field with an empty value.
 *
 * The decoded text is wiped when the form is freed (passwords pass
 * through here); a handler that keeps a secret copies it into
 * sodium_malloc memory.
 */
#ifndef SEALPOST_HTTP_FORM_H
#define SEALPOST_HTTP_FORM_H

#include <stddef.h>

#define HTTP_FORM_MAX_FIELDS	256

struct http_form;

/* *out is set on success; the caller frees it with http_form_free(). */
int		 http_form_parse(const char *data, size_t len,
		    struct http_form **out) __attribute__((warn_unused_result));
void		 http_form_free(struct http_form *form);

/* The first value of the field called name (exact match), or NULL.
 * Borrowed until http_form_free(). */
const char	*http_form_get(const struct http_form *form, const char *name);

/* How many fields have this name (to refuse duplicates where it matters). */
size_t		 http_form_count_name(const struct http_form *form,
		    const char *name);

/* Every field in order. */
size_t		 http_form_count(const struct http_form *form);
const char	*http_form_name(const struct http_form *form, size_t i);
const char	*http_form_value(const struct http_form *form, size_t i);

/* 1 if s[0..len) is valid UTF-8 (no overlong forms, no surrogates). */
int		 http_utf8_valid(const unsigned char *s, size_t len);

#endif
