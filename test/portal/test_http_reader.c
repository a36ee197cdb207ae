/*
 * The strict request reader without sockets: each case is fed whole and
 * then one byte at a time, and both must give the same verdict.
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
#include "http_reader.h"

struct reader_case {
	const char	*label;
	const char	*input;
	size_t		 len;		/* 0: strlen */
	int		 want;		/* 0: a complete request */
	const char	*reason;	/* for refusals */
};

#define OK(l, in)		{ l, in, 0, 0, NULL }
#define NO(l, in, st, why)	{ l, in, 0, st, why }
#define NON(l, in, st, why)	{ l, in, sizeof(in) - 1, st, why }

static const struct reader_case cases[] = {
	OK("simple GET", "GET / HTTP/1.1\r\nHost: a\r\n\r\n"),
	OK("HTTP/1.0 without Host", "GET /x?y=1 HTTP/1.0\r\n\r\n"),
	OK("POST with body", "POST /f HTTP/1.1\r\nHost: a\r\n"
	    "Content-Length: 3\r\n\r\nabc"),
	OK("POST empty body", "POST /f HTTP/1.1\r\nHost: a\r\n"
	    "Content-Length: 0\r\n\r\n"),
	OK("leading empty lines", "\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n"),
	OK("OWS around value", "GET / HTTP/1.1\r\nHost: \t a \t\r\n\r\n"),
	OK("empty value", "GET / HTTP/1.1\r\nHost: a\r\nX-E:\r\n\r\n"),
	OK("obs-text value", "GET / HTTP/1.1\r\nHost: a\r\nX-U: \xc3\xa9\r\n\r\n"),
	OK("CL leading zeros", "POST / HTTP/1.1\r\nHost: a\r\n"
	    "Content-Length: 003\r\n\r\nabc"),
	OK("Expect 100-continue", "POST / HTTP/1.1\r\nHost: a\r\n"
	    "Expect: 100-Continue\r\nContent-Length: 1\r\n\r\nx"),
	NO("PUT", "PUT / HTTP/1.1\r\nHost: a\r\n\r\n", 405, "bad-method"),
	NO("lowercase get", "get / HTTP/1.1\r\nHost: a\r\n\r\n", 405,
	    "bad-method"),
	NO("method with slash", "G/T / HTTP/1.1\r\nHost: a\r\n\r\n", 400,
	    "bad-method"),
	NO("method too long", "GETGETGETGETGETGETGETGET / HTTP/1.1\r\n"
	    "Host: a\r\n\r\n", 400, "bad-method"),
	NO("TE GET", "GET / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked"
	    "\r\n\r\n", 400, "transfer-encoding"),
	NO("TE POST", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: "
	    "chunked\r\n\r\n", 411, "transfer-encoding"),
	NO("TE PUT", "PUT / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: x"
	    "\r\n\r\n", 400, "transfer-encoding"),
	NO("POST no CL", "POST / HTTP/1.1\r\nHost: a\r\n\r\n", 411,
	    "no-content-length"),
	NO("CL twice", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\n"
	    "Content-Length: 1\r\n\r\nx", 400, "duplicate-content-length"),
	NO("CL space inside", "POST / HTTP/1.1\r\nHost: a\r\n"
	    "Content-Length: 1 1\r\n\r\n", 400, "bad-content-length"),
	NO("CL huge", "POST / HTTP/1.1\r\nHost: a\r\n"
	    "Content-Length: 18446744073709551617\r\n\r\n", 413,
	    "body-too-large"),
	NO("CR in value", "GET / HTTP/1.1\r\nHost: a\rb\r\n\r\n", 400,
	    "bad-character"),
	NO("LF in value", "GET / HTTP/1.1\r\nHost: a\nb\r\n\r\n", 400,
	    "bad-character"),
	NON("NUL in value", "GET / HTTP/1.1\r\nHost: a\0b\r\n\r\n", 400,
	    "bad-character"),
	NON("NUL in target", "GET /\0 HTTP/1.1\r\nHost: a\r\n\r\n", 400,
	    "bad-character"),
	NO("control in value", "GET / HTTP/1.1\r\nHost: a\x01" "b\r\n\r\n",
	    400, "bad-header-value"),
	NO("DEL in value", "GET / HTTP/1.1\r\nHost: a\x7f" "b\r\n\r\n", 400,
	    "bad-header-value"),
	NO("empty name", "GET / HTTP/1.1\r\nHost: a\r\n: b\r\n\r\n", 400,
	    "empty-header-name"),
	NO("name with space", "GET / HTTP/1.1\r\nHost: a\r\nX A: b\r\n\r\n",
	    400, "bad-header-name"),
	NO("obs-fold", "GET / HTTP/1.1\r\nHost: a\r\n\tb\r\n\r\n", 400,
	    "obs-fold"),
	NO("no colon", "GET / HTTP/1.1\r\nHost\r\n\r\n", 400, "bad-header"),
	NO("no Host", "GET / HTTP/1.1\r\n\r\n", 400, "bad-host"),
	NO("Host twice", "GET / HTTP/1.1\r\nHost: a\r\nhost: a\r\n\r\n", 400,
	    "bad-host"),
	NO("HTTP/0.9 style", "GET /\r\n\r\n", 400, "bad-request-line"),
	NO("HTTP/3.0", "GET / HTTP/3.0\r\nHost: a\r\n\r\n", 505,
	    "bad-version"),
	NO("http lowercase", "GET / http/1.1\r\nHost: a\r\n\r\n", 400,
	    "bad-version"),
	NO("trailing space", "GET / HTTP/1.1 \r\nHost: a\r\n\r\n", 400,
	    "bad-version"),
	NO("asterisk form", "GET * HTTP/1.1\r\nHost: a\r\n\r\n", 400,
	    "bad-target"),
	NO("fragment", "GET /a#b HTTP/1.1\r\nHost: a\r\n\r\n", 400,
	    "bad-target"),
	NO("non-ASCII target", "GET /\xc3\xa9 HTTP/1.1\r\nHost: a\r\n\r\n",
	    400, "bad-target"),
	NO("dot-dot", "GET /a/.. HTTP/1.1\r\nHost: a\r\n\r\n", 400,
	    "bad-path"),
	NO("dot", "GET /./a HTTP/1.1\r\nHost: a\r\n\r\n", 400, "bad-path"),
	NO("Expect other", "GET / HTTP/1.1\r\nHost: a\r\nExpect: x\r\n\r\n",
	    417, "bad-expect"),
};

/* Feed in steps of step bytes (0: all at once); the final verdict. */
static int
run(const struct reader_case *c, size_t step, struct http_request **out)
{
	struct http_reader	*r;
	struct evbuffer		*in;
	size_t			 len = c->len != 0 ? c->len : strlen(c->input);
	size_t			 off = 0, n;
	int			 rc = HTTP_READ_MORE, status = -1;

	*out = NULL;
	r = http_reader_new(HTTP_MAX_HEAD);
	in = evbuffer_new();
	assert_non_null(r);
	assert_non_null(in);
	while (off < len) {
		n = step == 0 || len - off < step ? len - off : step;
		evbuffer_add(in, c->input + off, n);
		off += n;
		rc = http_reader_read(r, in);
		if (rc == HTTP_READ_HEAD) {
			assert_int_equal(http_reader_set_body_limit(r, 100), 0);
			rc = http_reader_read(r, in);
		}
		if (rc == HTTP_READ_DONE || rc == HTTP_READ_ERROR)
			break;
	}
	if (rc == HTTP_READ_DONE) {
		*out = http_reader_take(r);
		status = 0;
	} else if (rc == HTTP_READ_ERROR) {
		status = http_reader_status(r);
		if (c->reason != NULL &&
		    strcmp(http_reader_reason(r), c->reason) != 0)
			fail_msg("%s: reason %s, want %s", c->label,
			    http_reader_reason(r), c->reason);
	}
	http_reader_free(r);
	evbuffer_free(in);
	return status;
}

static void
test_cases(void **state)
{
	struct http_request	*req;
	size_t			 i, steps[] = { 0, 1, 7 }, k;
	int			 got;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		for (k = 0; k < sizeof(steps) / sizeof(steps[0]); k++) {
			got = run(&cases[i], steps[k], &req);
			if (got != cases[i].want)
				fail_msg("%s (step %zu): got %d, want %d",
				    cases[i].label, steps[k], got,
				    cases[i].want);
			http_request_free(req);
		}
	}
}

static void
test_parsed_fields(void **state)
{
	static const struct reader_case c = OK("fields",
	    "POST /m/abc?x=1&y=%20 HTTP/1.1\r\nHost: a\r\n"
	    "Cookie: s=1\r\nConnection: Keep-Alive, close\r\n"
	    "Content-Length: 5\r\nX-Trim:  v v  \r\n\r\nhello");
	struct http_request	*req;

	assert_int_equal(run(&c, 0, &req), 0);
	assert_non_null(req);
	assert_int_equal(req->method, HTTP_POST);
	assert_string_equal(req->method_name, "POST");
	assert_string_equal(req->target, "/m/abc?x=1&y=%20");
	assert_string_equal(req->path, "/m/abc");
	assert_string_equal(req->query, "x=1&y=%20");
	assert_int_equal(req->version_minor, 1);
	assert_int_equal(req->content_length, 5);
	assert_int_equal(evbuffer_get_length(req->body), 5);
	assert_string_equal(http_request_header(req, "cookie"), "s=1");
	assert_string_equal(http_request_header(req, "X-TRIM"), "v v");
	assert_null(http_request_header(req, "Authorization"));
	assert_int_equal(req->keepalive, 0);	/* close wins */
	http_request_free(req);
}

/* Limits: the head budget, header count and body limit. */
static void
test_limits(void **state)
{
	struct http_reader	*r;
	struct evbuffer		*in;
	char			 line[64];
	int			 i, rc;

	/* A head that never ends: refused once past the budget. */
	r = http_reader_new(1024);
	in = evbuffer_new();
	evbuffer_add_printf(in, "GET / HTTP/1.1\r\nHost: a\r\n");
	assert_int_equal(http_reader_read(r, in), HTTP_READ_MORE);
	for (i = 0; i < 100; i++) {
		evbuffer_add_printf(in, "X-%d: %040d\r\n", i, 0);
		if ((rc = http_reader_read(r, in)) != HTTP_READ_MORE)
			break;
	}
	assert_int_equal(rc, HTTP_READ_ERROR);
	assert_int_equal(http_reader_status(r), 431);
	assert_true(i * 49 < 1100);
	http_reader_free(r);
	evbuffer_free(in);

	/* A partial line longer than the budget, without its CRLF. */
	r = http_reader_new(1024);
	in = evbuffer_new();
	evbuffer_add_printf(in, "GET /");
	for (i = 0; i < 30; i++)
		evbuffer_add_printf(in, "%040d", 0);
	assert_int_equal(http_reader_read(r, in), HTTP_READ_ERROR);
	assert_int_equal(http_reader_status(r), 414);
	http_reader_free(r);
	evbuffer_free(in);

	/* 101 headers. */
	r = http_reader_new(HTTP_MAX_HEAD);
	in = evbuffer_new();
	evbuffer_add_printf(in, "GET / HTTP/1.1\r\n");
	for (i = 0; i < 101; i++) {
		snprintf(line, sizeof(line), "Host%d: a\r\n", i);
		evbuffer_add(in, line, strlen(line));
	}
	evbuffer_add_printf(in, "\r\n");
	assert_int_equal(http_reader_read(r, in), HTTP_READ_ERROR);
	assert_int_equal(http_reader_status(r), 431);
	http_reader_free(r);
	evbuffer_free(in);

	/* Body over the route's limit. */
	r = http_reader_new(HTTP_MAX_HEAD);
	in = evbuffer_new();
	evbuffer_add_printf(in, "POST / HTTP/1.1\r\nHost: a\r\n"
	    "Content-Length: 11\r\n\r\n");
	assert_int_equal(http_reader_read(r, in), HTTP_READ_HEAD);
	assert_int_equal(http_reader_set_body_limit(r, 10), -1);
	assert_int_equal(http_reader_status(r), 413);
	assert_int_equal(http_reader_read(r, in), HTTP_READ_ERROR);
	http_reader_free(r);
	evbuffer_free(in);
}

/* Two pipelined requests: the reader stops exactly at the first's end. */
static void
test_pipelined(void **state)
{
	struct http_reader	*r;
	struct evbuffer		*in;
	struct http_request	*req;

	r = http_reader_new(HTTP_MAX_HEAD);
	in = evbuffer_new();
	assert_int_equal(http_reader_started(r), 0);
	evbuffer_add_printf(in, "POST /a HTTP/1.1\r\nHost: a\r\n"
	    "Content-Length: 2\r\n\r\nxyGET /b HTTP/1.1\r\nHost: a\r\n\r\n");
	assert_int_equal(http_reader_read(r, in), HTTP_READ_HEAD);
	assert_int_equal(http_reader_started(r), 1);
	assert_int_equal(http_reader_set_body_limit(r, 10), 0);
	assert_int_equal(http_reader_read(r, in), HTTP_READ_DONE);
	req = http_reader_take(r);
	assert_string_equal(req->path, "/a");
	assert_int_equal(evbuffer_get_length(req->body), 2);
	http_request_free(req);
	assert_int_equal(http_reader_started(r), 0);
	assert_null(http_reader_take(r));

	assert_int_equal(http_reader_read(r, in), HTTP_READ_HEAD);
	assert_int_equal(http_reader_set_body_limit(r, 0), 0);
	assert_int_equal(http_reader_read(r, in), HTTP_READ_DONE);
	req = http_reader_take(r);
	assert_string_equal(req->path, "/b");
	assert_int_equal(req->keepalive, 1);
	http_request_free(req);
	assert_int_equal(evbuffer_get_length(in), 0);
	assert_int_equal(http_reader_read(r, in), HTTP_READ_MORE);
	http_reader_free(r);
	evbuffer_free(in);
	http_reader_free(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cases),
		cmocka_unit_test(test_parsed_fields),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_pipelined),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
