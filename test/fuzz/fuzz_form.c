/*
 * The portal's form decoder on arbitrary bytes: a decoded form holds
 * only valid UTF-8 without NUL or control characters other than TAB, CR
 * and LF, and never more fields than the limit.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http_form.h"

static void
check(const char *s)
{
	const unsigned char	*p;

	for (p = (const unsigned char *)s; *p != '\0'; p++)
		if ((*p < 0x20 && *p != '\t' && *p != '\r' && *p != '\n') ||
		    *p == 0x7f)
			abort();
	if (!http_utf8_valid((const unsigned char *)s, strlen(s)))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct http_form	*form;
	size_t			 i, n;

	if (http_form_parse((const char *)data, size, &form) == -1) {
		if (form != NULL)
			abort();
		return 0;
	}
	n = http_form_count(form);
	if (n > HTTP_FORM_MAX_FIELDS)
		abort();
	for (i = 0; i < n; i++) {
		check(http_form_name(form, i));
		check(http_form_value(form, i));
		if (http_form_get(form, http_form_name(form, i)) == NULL)
			abort();
	}
	http_form_free(form);
	return 0;
}
