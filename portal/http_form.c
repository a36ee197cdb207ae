/*
 * application/x-www-form-urlencoded, decoded strictly: anything a
 * browser would not send is an error rather than a guess.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http_form.h"

struct http_form_field {
	char	*name;
	char	*value;
};

struct http_form {
	struct http_form_field	*fields;
	size_t			 nfields;
	char			*buf;		/* every decoded string */
	size_t			 buflen;
};

int
http_utf8_valid(const unsigned char *s, size_t len)
{
	size_t		i = 0, n, k;
	uint32_t	cp, min;

	while (i < len) {
		if (s[i] < 0x80) {
			i++;
			continue;
		}
		if ((s[i] & 0xe0) == 0xc0) {
			n = 1;
			cp = s[i] & 0x1f;
			min = 0x80;
		} else if ((s[i] & 0xf0) == 0xe0) {
			n = 2;
			cp = s[i] & 0x0f;
			min = 0x800;
		} else if ((s[i] & 0xf8) == 0xf0) {
			n = 3;
			cp = s[i] & 0x07;
			min = 0x10000;
		} else
			return 0;
		if (len - i <= n)
			return 0;
		for (k = 1; k <= n; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return 0;
			cp = (cp << 6) | (s[i + k] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		i += n + 1;
	}
	return 1;
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * Decode src[0..len) into dst (room for len + 1), NUL-terminate.
 * -1 on a bad escape or a forbidden byte.
 */
static int
form_decode(const char *src, size_t len, char *dst)
{
	size_t	i, o = 0;
	int	hi, lo, c;

	for (i = 0; i < len; i++) {
		c = (unsigned char)src[i];
		if (c == '+')
			c = ' ';
		else if (c == '%') {
			if (len - i < 3 || (hi = hexval(src[i + 1])) == -1 ||
			    (lo = hexval(src[i + 2])) == -1)
				return -1;
			c = hi * 16 + lo;
			i += 2;
		}
		/* TAB, CR and LF come from textareas; nothing else below
		 * space is text. */
		if ((c < 0x20 && c != '\t' && c != '\r' && c != '\n') ||
		    c == 0x7f)
			return -1;
		dst[o++] = (char)c;
	}
	dst[o] = '\0';
	if (!http_utf8_valid((const unsigned char *)dst, o))
		return -1;
	return 0;
}

int
http_form_parse(const char *data, size_t len, struct http_form **out)
{
	struct http_form	*form;
	const char		*p, *end, *seg_end, *eq;
	size_t			 nseg = 1, i;
	char			*o;

	*out = NULL;
	for (i = 0; i < len; i++)
		if (data[i] == '&')
			nseg++;
	if (nseg > HTTP_FORM_MAX_FIELDS * 4)
		return -1;
	if ((form = calloc(1, sizeof(*form))) == NULL)
		return -1;
	/* Decoding never grows: each field needs at most its segment's
	 * length plus two NULs. */
	form->buflen = len + 2 * nseg;
	if ((form->buf = malloc(form->buflen)) == NULL ||
	    (form->fields = calloc(nseg, sizeof(*form->fields))) == NULL)
		goto err;

	o = form->buf;
	p = data;
	end = data + len;
	while (p < end) {
		if ((seg_end = memchr(p, '&', end - p)) == NULL)
			seg_end = end;
		if (seg_end == p) {
			p++;
			continue;
		}
		if (form->nfields == HTTP_FORM_MAX_FIELDS)
			goto err;
		if ((eq = memchr(p, '=', seg_end - p)) == NULL)
			eq = seg_end;
		form->fields[form->nfields].name = o;
		if (form_decode(p, eq - p, o) == -1)
			goto err;
		o += strlen(o) + 1;
		form->fields[form->nfields].value = o;
		if (eq < seg_end) {
			if (form_decode(eq + 1, seg_end - eq - 1, o) == -1)
				goto err;
		} else
			*o = '\0';
		o += strlen(o) + 1;
		form->nfields++;
		p = seg_end + 1;
	}
	*out = form;
	return 0;
err:
	http_form_free(form);
	return -1;
}

void
http_form_free(struct http_form *form)
{
	if (form == NULL)
		return;
	if (form->buf != NULL) {
		explicit_bzero(form->buf, form->buflen);
		free(form->buf);
	}
	free(form->fields);
	free(form);
}

const char *
http_form_get(const struct http_form *form, const char *name)
{
	size_t	i;

	for (i = 0; i < form->nfields; i++)
		if (strcmp(form->fields[i].name, name) == 0)
			return form->fields[i].value;
	return NULL;
}

size_t
http_form_count_name(const struct http_form *form, const char *name)
{
	size_t	i, n = 0;

	for (i = 0; i < form->nfields; i++)
		if (strcmp(form->fields[i].name, name) == 0)
			n++;
	return n;
}

size_t
http_form_count(const struct http_form *form)
{
	return form->nfields;
}

const char *
http_form_name(const struct http_form *form, size_t i)
{
	return i < form->nfields ? form->fields[i].name : NULL;
}

const char *
http_form_value(const struct http_form *form, size_t i)
{
	return i < form->nfields ? form->fields[i].value : NULL;
}
