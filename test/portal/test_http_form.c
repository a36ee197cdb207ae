/*
 * The strict form decoder: what browsers send decodes; anything else is
 * refused as a whole.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <event2/buffer.h>

#include "http.h"
#include "http_form.h"

static const struct {
	const char	*label;
	const char	*input;
	int		 want;		/* 0 or -1 */
	const char	*fields;	/* "name=value;" decoded, joined */
} cases[] = {
	{ "empty", "", 0, "" },
	{ "one", "email=a%40b.example", 0, "email=a@b.example;" },
	{ "two", "a=1&b=2", 0, "a=1;b=2;" },
	{ "plus is space", "s=hello+world", 0, "s=hello world;" },
	{ "escaped plus", "s=1%2B1", 0, "s=1+1;" },
	{ "no value", "flag&x=", 0, "flag=;x=;" },
	{ "empty segments", "&a=1&&b=2&", 0, "a=1;b=2;" },
	{ "equals in value", "t=a=b", 0, "t=a=b;" },
	{ "escaped name", "c%73rf=z", 0, "csrf=z;" },
	{ "utf-8", "n=%C3%A9t%C3%A9", 0, "n=\xc3\xa9t\xc3\xa9;" },
	{ "textarea newlines", "b=l1%0D%0Al2%09x", 0, "b=l1\r\nl2\tx;" },
	{ "raw utf-8", "n=\xc3\xa9", 0, "n=\xc3\xa9;" },
	{ "duplicate names", "to=a&to=b", 0, "to=a;to=b;" },
	{ "bad escape", "a=%zz", -1, NULL },
	{ "short escape", "a=%4", -1, NULL },
	{ "escape at end", "a=%", -1, NULL },
	{ "NUL", "a=%00", -1, NULL },
	{ "control", "a=%01", -1, NULL },
	{ "DEL", "a=%7F", -1, NULL },
	{ "raw control", "a=\x01", -1, NULL },
	{ "bad utf-8", "a=%C3", -1, NULL },
	{ "overlong", "a=%C0%AF", -1, NULL },
	{ "surrogate", "a=%ED%A0%80", -1, NULL },
	{ "too big code point", "a=%F4%90%80%80", -1, NULL },
	{ "bad name", "%FF=1", -1, NULL },
};

static void
test_cases(void **state)
{
	struct http_form	*f;
	char			 joined[256];
	size_t			 i, k;
	int			 rc;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		rc = http_form_parse(cases[i].input, strlen(cases[i].input),
		    &f);
		if (rc != cases[i].want)
			fail_msg("%s: got %d", cases[i].label, rc);
		if (rc == -1) {
			assert_null(f);
			continue;
		}
		joined[0] = '\0';
		for (k = 0; k < http_form_count(f); k++) {
			strcat(joined, http_form_name(f, k));
			strcat(joined, "=");
			strcat(joined, http_form_value(f, k));
			strcat(joined, ";");
		}
		assert_null(http_form_name(f, k));
		if (strcmp(joined, cases[i].fields) != 0)
			fail_msg("%s: fields \"%s\"", cases[i].label, joined);
		http_form_free(f);
	}
	http_form_free(NULL);
}

static void
test_lookup(void **state)
{
	struct http_form	*f;
	const char		 in[] = "to=a&cc=&to=b&subject=Hi+there";

	assert_int_equal(http_form_parse(in, sizeof(in) - 1, &f), 0);
	assert_string_equal(http_form_get(f, "to"), "a");
	assert_string_equal(http_form_get(f, "cc"), "");
	assert_string_equal(http_form_get(f, "subject"), "Hi there");
	assert_null(http_form_get(f, "body"));
	assert_null(http_form_get(f, "TO"));
	assert_int_equal(http_form_count_name(f, "to"), 2);
	assert_int_equal(http_form_count_name(f, "x"), 0);
	http_form_free(f);
}

static void
test_too_many_fields(void **state)
{
	struct http_form	*f;
	char			*in;
	size_t			 i, n = 0;

	in = malloc(HTTP_FORM_MAX_FIELDS * 8 + 16);
	assert_non_null(in);
	for (i = 0; i < HTTP_FORM_MAX_FIELDS; i++)
		n += sprintf(in + n, "a=%zu&", i % 10);
	assert_int_equal(http_form_parse(in, n, &f), 0);
	assert_int_equal(http_form_count(f), HTTP_FORM_MAX_FIELDS);
	http_form_free(f);
	n += sprintf(in + n, "b=1");
	assert_int_equal(http_form_parse(in, n, &f), -1);
	free(in);
}

/* The request helpers: body by Content-Type, query string. */
static void
test_request_form(void **state)
{
	struct http_request	*req;
	struct http_form	*f;
	static struct http_header hdr[1];
	char			 name[] = "Content-Type";
	char			 *types[] = {
		"application/x-www-form-urlencoded",
		"Application/X-WWW-Form-Urlencoded; charset=UTF-8",
		"application/x-www-form-urlencoded;charset=\"utf-8\"",
	};
	size_t			 i;

	req = http_request_new();
	assert_non_null(req);
	evbuffer_add_printf(req->body, "password=s3cret&x=1");
	req->query = strdup("token=abc%2Fdef");
	assert_int_equal(http_request_form(req, &f), -1);	/* no type */
	hdr[0].name = name;
	req->headers = hdr;
	req->nheaders = 1;
	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		hdr[0].value = types[i];
		assert_int_equal(http_request_form(req, &f), 0);
		assert_string_equal(http_form_get(f, "password"), "s3cret");
		http_form_free(f);
	}
	hdr[0].value = "multipart/form-data; boundary=x";
	assert_int_equal(http_request_form(req, &f), -1);
	hdr[0].value = "application/x-www-form-urlencoded; charset=latin1";
	assert_int_equal(http_request_form(req, &f), -1);
	hdr[0].value = "application/x-www-form-urlencodedx";
	assert_int_equal(http_request_form(req, &f), -1);

	assert_int_equal(http_request_query(req, &f), 0);
	assert_string_equal(http_form_get(f, "token"), "abc/def");
	http_form_free(f);
	free(req->query);
	req->query = NULL;
	assert_int_equal(http_request_query(req, &f), 0);
	assert_int_equal(http_form_count(f), 0);
	http_form_free(f);

	/* The headers are not the request's own: detach before freeing. */
	req->headers = NULL;
	req->nheaders = 0;
	http_request_free(req);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cases),
		cmocka_unit_test(test_lookup),
		cmocka_unit_test(test_too_many_fields),
		cmocka_unit_test(test_request_form),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
