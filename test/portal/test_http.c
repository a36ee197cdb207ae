/*
 * The portal's HTTP server in-process on 127.0.0.1:0, driven over raw
 * TCP: every refusal with its exact status, the security headers,
 * keep-alive, timeouts (slow loris), the connection cap, handlers
 * that hand work to the worker pool while the loop keeps answering, and
 * streamed bodies (complete, cut short, held up by a slow client).
 */
#include <sys/socket.h>

#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <event2/buffer.h>

#include "http.h"
#include "http_form.h"
#include "http_router.h"
#include "http_server.h"
#include "placeholder.h"
#include "portal_test.h"
#include "static.h"
#include "workpool.h"

#define UPLOAD_MAX	(4 * 1024 * 1024)

/* GET or POST: "method=M len=N" and, for a form, "email=V". */
static int
handle_echo(struct http_request *req, struct http_response *resp, void *arg)
{
	struct http_form	*form;
	const char		*email;

	if (http_response_set_header(resp, "Content-Type",
	    "text/plain; charset=utf-8") == -1)
		return HTTP_HANDLER_ERROR;
	evbuffer_add_printf(resp->body, "method=%s len=%zu",
	    req->method == HTTP_GET ? "GET" : "POST",
	    evbuffer_get_length(req->body));
	if (req->method == HTTP_POST) {
		if (http_request_form(req, &form) == -1) {
			http_response_error_page(resp, 400);
			return HTTP_HANDLER_DONE;
		}
		if ((email = http_form_get(form, "email")) != NULL)
			evbuffer_add_printf(resp->body, " email=%s", email);
		http_form_free(form);
	}
	return HTTP_HANDLER_DONE;
}

static int
handle_params(struct http_request *req, struct http_response *resp,
    void *arg)
{
	size_t	i;

	evbuffer_add_printf(resp->body, "n=%zu", req->nparams);
	for (i = 0; i < req->nparams; i++)
		evbuffer_add_printf(resp->body, " %s", req->params[i]);
	return HTTP_HANDLER_DONE;
}

static int
handle_csp(struct http_request *req, struct http_response *resp, void *arg)
{
	if (http_response_set_header(resp, "Content-Security-Policy",
	    "sandbox; default-src 'none'") == -1)
		return HTTP_HANDLER_ERROR;
	/* The fixed security headers cannot be taken away. */
	if (http_response_set_header(resp, "X-Frame-Options", "ALLOW") != -1 ||
	    http_response_set_header(resp, "X-Bad", "a\r\nInjected: 1") != -1 ||
	    http_response_set_header(resp, "Content-Length", "1") != -1)
		return HTTP_HANDLER_ERROR;
	evbuffer_add_printf(resp->body, "csp");
	return HTTP_HANDLER_DONE;
}

static int
handle_fail(struct http_request *req, struct http_response *resp, void *arg)
{
	return HTTP_HANDLER_ERROR;
}

/* The slow route: sleep on a worker, answer from the done callback. */
struct slow_job {
	struct http_request	*req;
	struct http_response	*resp;
};

static void
slow_work(void *arg)
{
	struct slow_job	*j = arg;

	usleep(1000 * 1000);
	evbuffer_add_printf(j->resp->body, "slow done");
}

static void
slow_done(void *arg, int cancelled)
{
	struct slow_job	*j = arg;

	if (cancelled)
		http_request_fail(j->req);
	else
		http_request_done(j->req);
	free(j);
}

static int
handle_slow(struct http_request *req, struct http_response *resp, void *arg)
{
	struct workpool	*pool = *(struct workpool **)arg;
	struct slow_job	*j;

	if ((j = calloc(1, sizeof(*j))) == NULL)
		return HTTP_HANDLER_ERROR;
	j->req = req;
	j->resp = resp;
	if (workpool_submit(pool, slow_work, slow_done, j) == -1) {
		free(j);
		http_response_error_page(resp, 503);
		return HTTP_HANDLER_DONE;
	}
	return HTTP_HANDLER_ASYNC;
}

/*
 * Streamed bodies: /stream/KIND answers STREAM_HEAD bytes in the body
 * and the rest from a stream of STREAM_PIECE pieces; byte i of the
 * whole is stream_byte(i).  "ok" sends STREAM_OK bytes, "big"
 * STREAM_BIG, "fail" fails at its third piece, "over" overruns its
 * length at the end.  The counters are the test's view of the loop.
 */
#define STREAM_HEAD	10
#define STREAM_PIECE	(64 * 1024)
#define STREAM_OK	(1024 * 1024 + 123)
#define STREAM_BIG	((size_t)64 * 1024 * 1024)

struct stream_src {
	size_t	 off;		/* next byte */
	size_t	 size;
	int	 fail_at;	/* piece number that fails, 0: none */
	int	 overrun;
	int	 pieces;
};

static int	stream_fills, stream_frees;	/* __atomic */

static uint8_t
stream_byte(size_t i)
{
	return (uint8_t)(i + (i >> 16) * 7);
}

static int
stream_fill(void *arg, struct evbuffer *out)
{
	struct stream_src	*src = arg;
	uint8_t			 buf[STREAM_PIECE + 1];
	size_t			 i, n = src->size - src->off;

	__atomic_add_fetch(&stream_fills, 1, __ATOMIC_SEQ_CST);
	if (++src->pieces == src->fail_at)
		return -1;
	if (n > STREAM_PIECE)
		n = STREAM_PIECE;
	else if (src->overrun)
		n++;
	for (i = 0; i < n; i++)
		buf[i] = stream_byte(src->off + i);
	src->off += n;
	return evbuffer_add(out, buf, n);
}

static void
stream_free(void *arg)
{
	__atomic_add_fetch(&stream_frees, 1, __ATOMIC_SEQ_CST);
	free(arg);
}

static int
handle_stream(struct http_request *req, struct http_response *resp,
    void *arg)
{
	struct stream_src	*src;
	const char		*kind = http_request_param(req, 0);
	size_t			 i;

	if ((src = calloc(1, sizeof(*src))) == NULL)
		return HTTP_HANDLER_ERROR;
	src->size = strcmp(kind, "big") == 0 ? STREAM_BIG : STREAM_OK;
	src->fail_at = strcmp(kind, "fail") == 0 ? 3 : 0;
	src->overrun = strcmp(kind, "over") == 0;
	for (i = 0; i < STREAM_HEAD; i++)
		evbuffer_add(resp->body, &(uint8_t){ stream_byte(i) }, 1);
	src->off = STREAM_HEAD;
	if (http_response_stream(resp, src->size - STREAM_HEAD, stream_fill,
	    stream_free, src) == -1) {
		free(src);
		return HTTP_HANDLER_ERROR;
	}
	return HTTP_HANDLER_DONE;
}

static void
add_routes(struct pt_server *s)
{
	struct http_router	*r = s->router;

	assert_int_equal(http_router_add(r, HTTP_GET, "/", 0, handle_index,
	    NULL), 0);
	assert_int_equal(http_router_add(r, HTTP_GET, "/static/*", 0,
	    handle_static, NULL), 0);
	assert_int_equal(http_router_add(r, HTTP_GET | HTTP_POST, "/echo", 0,
	    handle_echo, NULL), 0);
	assert_int_equal(http_router_add(r, HTTP_POST, "/upload", UPLOAD_MAX,
	    handle_echo, NULL), 0);
	assert_int_equal(http_router_add(r, HTTP_GET, "/m/*", 0,
	    handle_params, NULL), 0);
	assert_int_equal(http_router_add(r, HTTP_GET, "/m/*/part/*", 0,
	    handle_params, NULL), 0);
	assert_int_equal(http_router_add(r, HTTP_GET, "/csp", 0, handle_csp,
	    NULL), 0);
	assert_int_equal(http_router_add(r, HTTP_GET, "/fail", 0, handle_fail,
	    NULL), 0);
	assert_int_equal(http_router_add(r, HTTP_GET, "/slow", 0, handle_slow,
	    &s->pool), 0);
	assert_int_equal(http_router_add(r, HTTP_GET, "/stream/*", 0,
	    handle_stream, NULL), 0);
}

/* A server with the test routes and a pool of 2 threads, 4 jobs. */
static struct pt_server *
server_start(const struct http_server_options *opt, unsigned threads,
    unsigned jobs)
{
	struct pt_server	*s;

	s = calloc(1, sizeof(*s));
	assert_non_null(s);
	pt_init(s);
	add_routes(s);
	s->pool = workpool_new(s->base, threads, jobs);
	assert_non_null(s->pool);
	pt_start(s, opt, NULL, NULL);
	return s;
}

static int
setup(void **state)
{
	*state = server_start(NULL, 2, 4);
	return 0;
}

static int
teardown(void **state)
{
	pt_stop(*state);
	free(*state);
	return 0;
}

static void
check_security_headers(const struct pt_response *r, int tls)
{
	char	buf[512];

	assert_non_null(pt_header(r, "Content-Security-Policy", buf,
	    sizeof(buf)));
	assert_string_equal(buf, "default-src 'none'; style-src 'self'; "
	    "img-src 'self'; form-action 'self'; frame-ancestors 'none'; "
	    "base-uri 'none'");
	assert_non_null(pt_header(r, "X-Content-Type-Options", buf,
	    sizeof(buf)));
	assert_string_equal(buf, "nosniff");
	assert_non_null(pt_header(r, "Referrer-Policy", buf, sizeof(buf)));
	assert_string_equal(buf, "no-referrer");
	assert_non_null(pt_header(r, "Cache-Control", buf, sizeof(buf)));
	assert_string_equal(buf, "no-store");
	assert_non_null(pt_header(r, "X-Frame-Options", buf, sizeof(buf)));
	assert_string_equal(buf, "DENY");
	if (tls)
		assert_non_null(pt_header(r, "Strict-Transport-Security", buf,
		    sizeof(buf)));
	else
		assert_null(pt_header(r, "Strict-Transport-Security", buf,
		    sizeof(buf)));
}

static void
test_get_security_headers(void **state)
{
	struct pt_server	*s = *state;
	struct pt_response	 r;
	const char		 req[] = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
	char			 buf[128];

	assert_int_equal(pt_exchange(s->port, req, sizeof(req) - 1, &r), 0);
	assert_int_equal(r.status, 200);
	check_security_headers(&r, 0);
	assert_non_null(pt_header(&r, "Content-Type", buf, sizeof(buf)));
	assert_string_equal(buf, "text/html; charset=utf-8");
	assert_non_null(pt_header(&r, "Content-Length", buf, sizeof(buf)));
	assert_int_equal(strtoul(buf, NULL, 10), r.body_len);
	assert_non_null(strstr(r.body, "<!DOCTYPE html>"));
	assert_non_null(strstr(r.body, "/static/style.css"));
	assert_non_null(strstr(r.body, "name=\"viewport\""));
	assert_null(pt_header(&r, "Server", buf, sizeof(buf)));
	pt_response_free(&r);
}

static void
test_static_css(void **state)
{
	struct pt_server	*s = *state;
	struct pt_response	 r;
	const char		 ok[] = "GET /static/style.css HTTP/1.1\r\n"
				    "Host: x\r\n\r\n";
	const char		 missing[] = "GET /static/nope.css HTTP/1.1\r\n"
				    "Host: x\r\n\r\n";
	char			 buf[128];

	assert_int_equal(pt_exchange(s->port, ok, sizeof(ok) - 1, &r), 0);
	assert_int_equal(r.status, 200);
	assert_non_null(pt_header(&r, "Content-Type", buf, sizeof(buf)));
	assert_string_equal(buf, "text/css; charset=utf-8");
	assert_non_null(strstr(r.body, "max-width"));
	check_security_headers(&r, 0);
	pt_response_free(&r);

	assert_int_equal(pt_exchange(s->port, missing, sizeof(missing) - 1,
	    &r), 0);
	assert_int_equal(r.status, 404);
	pt_response_free(&r);
}

static void
test_keepalive(void **state)
{
	struct pt_server	*s = *state;
	struct pt_conn		 c;
	struct pt_response	 r;
	char			 buf[64];

	assert_int_equal(pt_connect(&c, s->port, 0), 0);
	/* Two requests, one after the other, on one connection. */
	assert_int_equal(pt_send_str(&c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n"),
	    0);
	assert_int_equal(pt_read_response(&c, &r, 5000), 0);
	assert_int_equal(r.status, 200);
	assert_null(pt_header(&r, "Connection", buf, sizeof(buf)));
	pt_response_free(&r);
	assert_int_equal(pt_send_str(&c,
	    "GET /echo HTTP/1.1\r\nHost: x\r\n\r\n"), 0);
	assert_int_equal(pt_read_response(&c, &r, 5000), 0);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.body, "method=GET len=0");
	pt_response_free(&r);

	/* Two pipelined in one write, the second asking to close. */
	assert_int_equal(pt_send_str(&c,
	    "GET /m/a HTTP/1.1\r\nHost: x\r\n\r\n"
	    "GET /m/b HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"), 0);
	assert_int_equal(pt_read_response(&c, &r, 5000), 0);
	assert_string_equal(r.body, "n=1 a");
	pt_response_free(&r);
	assert_int_equal(pt_read_response(&c, &r, 5000), 0);
	assert_string_equal(r.body, "n=1 b");
	assert_non_null(pt_header(&r, "Connection", buf, sizeof(buf)));
	assert_string_equal(buf, "close");
	pt_response_free(&r);
	assert_true(pt_wait_closed(&c, 3000));
	pt_close(&c);

	/* HTTP/1.0 closes unless it asks for keep-alive. */
	assert_int_equal(pt_connect(&c, s->port, 0), 0);
	assert_int_equal(pt_send_str(&c, "GET / HTTP/1.0\r\n"
	    "Connection: keep-alive\r\n\r\n"), 0);
	assert_int_equal(pt_read_response(&c, &r, 5000), 0);
	assert_non_null(pt_header(&r, "Connection", buf, sizeof(buf)));
	assert_string_equal(buf, "keep-alive");
	pt_response_free(&r);
	assert_int_equal(pt_send_str(&c, "GET / HTTP/1.0\r\n\r\n"), 0);
	assert_int_equal(pt_read_response(&c, &r, 5000), 0);
	assert_int_equal(r.status, 200);
	pt_response_free(&r);
	assert_true(pt_wait_closed(&c, 3000));
	pt_close(&c);
}

struct refusal {
	const char	*label;
	const char	*request;
	size_t		 len;		/* 0: strlen(request) */
	int		 want;
	const char	*allow;		/* expected Allow header, or NULL */
	int		 keep;		/* no body to skip: stays open */
};

#define R(label, req, want)		{ label, req, 0, want, NULL, 0 }
#define RN(label, req, want)		{ label, req, sizeof(req) - 1, want, NULL, 0 }
#define RA(label, req, want, allow)	{ label, req, 0, want, allow, 0 }
#define RK(label, req, want, allow)	{ label, req, 0, want, allow, 1 }

static const struct refusal refusals[] = {
	RA("PUT", "PUT / HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n",
	    405, "GET, POST"),
	RA("DELETE", "DELETE /echo HTTP/1.1\r\nHost: x\r\n\r\n", 405,
	    "GET, POST"),
	RA("HEAD", "HEAD / HTTP/1.1\r\nHost: x\r\n\r\n", 405, "GET, POST"),
	RA("OPTIONS", "OPTIONS / HTTP/1.1\r\nHost: x\r\n\r\n", 405,
	    "GET, POST"),
	RA("POST to a GET route", "POST / HTTP/1.1\r\nHost: x\r\n"
	    "Content-Length: 3\r\n\r\na=b", 405, "GET"),
	RK("GET to a POST route", "GET /upload HTTP/1.1\r\nHost: x\r\n\r\n",
	    405, "POST"),
	R("TE chunked on POST", "POST /echo HTTP/1.1\r\nHost: x\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n3\r\na=b\r\n0\r\n\r\n", 411),
	R("TE and CL on POST", "POST /echo HTTP/1.1\r\nHost: x\r\n"
	    "Content-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\na=b", 411),
	R("TE identity on POST", "POST /echo HTTP/1.1\r\nHost: x\r\n"
	    "Transfer-Encoding: identity\r\nContent-Length: 3\r\n\r\na=b", 411),
	R("TE on GET", "GET / HTTP/1.1\r\nHost: x\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400),
	R("POST without CL", "POST /echo HTTP/1.1\r\nHost: x\r\n\r\n", 411),
	R("duplicate CL, same", "POST /echo HTTP/1.1\r\nHost: x\r\n"
	    "Content-Length: 3\r\nContent-Length: 3\r\n\r\na=b", 400),
	R("duplicate CL, differing", "POST /echo HTTP/1.1\r\nHost: x\r\n"
	    "Content-Length: 3\r\ncontent-length: 5\r\n\r\na=bcd", 400),
	R("CL list", "POST /echo HTTP/1.1\r\nHost: x\r\n"
	    "Content-Length: 3, 3\r\n\r\na=b", 400),
	R("CL letters", "POST /echo HTTP/1.1\r\nHost: x\r\n"
	    "Content-Length: abc\r\n\r\n", 400),
	R("CL negative", "POST /echo HTTP/1.1\r\nHost: x\r\n"
	    "Content-Length: -1\r\n\r\n", 400),
	R("CL plus", "POST /echo HTTP/1.1\r\nHost: x\r\n"
	    "Content-Length: +3\r\n\r\na=b", 400),
	R("CL hex", "POST /echo HTTP/1.1\r\nHost: x\r\n"
	    "Content-Length: 0x3\r\n\r\na=b", 400),
	R("CL empty", "POST /echo HTTP/1.1\r\nHost: x\r\n"
	    "Content-Length:\r\n\r\n", 400),
	R("body over 1 MiB", "POST /echo HTTP/1.1\r\nHost: x\r\n"
	    "Content-Length: 1048577\r\n\r\n", 413),
	R("upload over its limit", "POST /upload HTTP/1.1\r\nHost: x\r\n"
	    "Content-Length: 4194305\r\n\r\n", 413),
	R("CL absurd", "POST /echo HTTP/1.1\r\nHost: x\r\n"
	    "Content-Length: 99999999999999999999999\r\n\r\n", 413),
	R("CR in a value", "GET / HTTP/1.1\r\nHost: x\r\nX-A: a\rb\r\n\r\n",
	    400),
	R("bare LF in a value", "GET / HTTP/1.1\r\nHost: x\r\nX-A: a\nX-B: b"
	    "\r\n\r\n", 400),
	RN("NUL in a value", "GET / HTTP/1.1\r\nHost: x\r\nX-A: a\0b\r\n\r\n",
	    400),
	R("empty header name", "GET / HTTP/1.1\r\nHost: x\r\n: v\r\n\r\n",
	    400),
	R("space before colon", "GET / HTTP/1.1\r\nHost : x\r\n\r\n", 400),
	R("no colon", "GET / HTTP/1.1\r\nHost: x\r\nJunk\r\n\r\n", 400),
	R("obs-fold", "GET / HTTP/1.1\r\nHost: x\r\nX-A: a\r\n b\r\n\r\n",
	    400),
	R("no Host", "GET / HTTP/1.1\r\nX-A: a\r\n\r\n", 400),
	R("two Hosts", "GET / HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n", 400),
	R("HTTP/2.0", "GET / HTTP/2.0\r\nHost: x\r\n\r\n", 505),
	R("bad version", "GET / HTTP/1.1x\r\nHost: x\r\n\r\n", 400),
	R("no version", "GET /\r\nHost: x\r\n\r\n", 400),
	R("absolute-form", "GET http://x/ HTTP/1.1\r\nHost: x\r\n\r\n", 400),
	R("dot segment", "GET /static/../etc HTTP/1.1\r\nHost: x\r\n\r\n",
	    400),
	R("double space", "GET  / HTTP/1.1\r\nHost: x\r\n\r\n", 400),
	R("bad Expect", "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 1"
	    "\r\nExpect: 200-ok\r\n\r\nx", 417),
	R("unknown path with body", "POST /nowhere HTTP/1.1\r\nHost: x\r\n"
	    "Content-Length: 3\r\n\r\na=b", 404),
};

static void
test_refusals(void **state)
{
	struct pt_server	*s = *state;
	const struct refusal	*t;
	struct pt_conn		 c;
	struct pt_response	 r;
	char			 buf[64];
	size_t			 i;

	for (i = 0; i < sizeof(refusals) / sizeof(refusals[0]); i++) {
		t = &refusals[i];
		assert_int_equal(pt_connect(&c, s->port, 0), 0);
		assert_int_equal(pt_send(&c, t->request, t->len != 0 ? t->len :
		    strlen(t->request)), 0);
		if (pt_read_response(&c, &r, 5000) == -1)
			fail_msg("%s: no response", t->label);
		if (r.status != t->want)
			fail_msg("%s: status %d, want %d", t->label, r.status,
			    t->want);
		check_security_headers(&r, 0);
		if (t->allow != NULL) {
			if (pt_header(&r, "Allow", buf, sizeof(buf)) == NULL ||
			    strcmp(buf, t->allow) != 0)
				fail_msg("%s: Allow", t->label);
		}
		if (t->keep) {
			if (pt_header(&r, "Connection", buf, sizeof(buf)) !=
			    NULL || !pt_silent(&c, 100))
				fail_msg("%s: connection not kept", t->label);
		} else {
			if (pt_header(&r, "Connection", buf, sizeof(buf)) ==
			    NULL || strcmp(buf, "close") != 0)
				fail_msg("%s: no Connection: close", t->label);
			if (!pt_wait_closed(&c, 5000))
				fail_msg("%s: connection left open", t->label);
		}
		pt_response_free(&r);
		pt_close(&c);
	}
}

/* A head over 16 KiB: 431 (headers) or 414 (request line). */
static void
test_head_limits(void **state)
{
	struct pt_server	*s = *state;
	struct pt_response	 r;
	char			*req;
	size_t			 i, n;

	req = malloc(64 * 1024);
	assert_non_null(req);

	/* One header value of 20000 bytes. */
	n = snprintf(req, 64, "GET / HTTP/1.1\r\nHost: x\r\nX-Big: ");
	memset(req + n, 'a', 20000);
	n += 20000;
	n += snprintf(req + n, 64, "\r\n\r\n");
	assert_int_equal(pt_exchange(s->port, req, n, &r), 0);
	assert_int_equal(r.status, 431);
	check_security_headers(&r, 0);
	pt_response_free(&r);

	/* Many small headers adding up to just over 16 KiB. */
	n = snprintf(req, 64, "GET / HTTP/1.1\r\nHost: x\r\n");
	for (i = 0; n < 16 * 1024 + 100; i++)
		n += snprintf(req + n, 200, "X-%02zu: %0100d\r\n", i % 100, 0);
	n += snprintf(req + n, 64, "\r\n");
	assert_int_equal(pt_exchange(s->port, req, n, &r), 0);
	assert_int_equal(r.status, 431);
	pt_response_free(&r);

	/* More than 100 headers, small in bytes. */
	n = snprintf(req, 64, "GET / HTTP/1.1\r\nHost: x\r\n");
	for (i = 0; i < 120; i++)
		n += snprintf(req + n, 64, "X-%zu: y\r\n", i);
	n += snprintf(req + n, 64, "\r\n");
	assert_int_equal(pt_exchange(s->port, req, n, &r), 0);
	assert_int_equal(r.status, 431);
	pt_response_free(&r);

	/* Just under the limit is fine. */
	n = snprintf(req, 64, "GET / HTTP/1.1\r\nHost: x\r\nX-Big: ");
	memset(req + n, 'a', 16 * 1024 - 4 - n);
	n = 16 * 1024 - 4;
	n += snprintf(req + n, 64, "\r\n\r\n");
	assert_int_equal(n, 16 * 1024);
	assert_int_equal(pt_exchange(s->port, req, n, &r), 0);
	assert_int_equal(r.status, 200);
	pt_response_free(&r);

	/* A request line that never ends within the budget. */
	n = snprintf(req, 64, "GET /");
	memset(req + n, 'a', 17000);
	n += 17000;
	n += snprintf(req + n, 64, " HTTP/1.1\r\nHost: x\r\n\r\n");
	assert_int_equal(pt_exchange(s->port, req, n, &r), 0);
	assert_int_equal(r.status, 414);
	pt_response_free(&r);
	free(req);
}

static void
test_not_found(void **state)
{
	struct pt_server	*s = *state;
	struct pt_conn		 c;
	struct pt_response	 r;

	/* Without a body a 404 keeps the connection. */
	assert_int_equal(pt_connect(&c, s->port, 0), 0);
	assert_int_equal(pt_send_str(&c,
	    "GET /nowhere HTTP/1.1\r\nHost: x\r\n\r\n"), 0);
	assert_int_equal(pt_read_response(&c, &r, 5000), 0);
	assert_int_equal(r.status, 404);
	assert_non_null(strstr(r.body, "404 Not Found"));
	check_security_headers(&r, 0);
	pt_response_free(&r);
	assert_int_equal(pt_send_str(&c,
	    "GET /m/a/part/2 HTTP/1.1\r\nHost: x\r\n\r\n"), 0);
	assert_int_equal(pt_read_response(&c, &r, 5000), 0);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.body, "n=2 a 2");
	pt_response_free(&r);
	/* A trailing slash is another path. */
	assert_int_equal(pt_send_str(&c,
	    "GET /m/a/ HTTP/1.1\r\nHost: x\r\n\r\n"), 0);
	assert_int_equal(pt_read_response(&c, &r, 5000), 0);
	assert_int_equal(r.status, 404);
	pt_response_free(&r);
	pt_close(&c);
}

static void
test_post_form(void **state)
{
	struct pt_server	*s = *state;
	struct pt_conn		 c;
	struct pt_response	 r;
	const char		 form[] = "POST /echo HTTP/1.1\r\nHost: x\r\n"
	    "Content-Type: application/x-www-form-urlencoded\r\n"
	    "Content-Length: 27\r\n\r\nemail=a%40b.example&x=1+2";

	assert_int_equal(pt_connect(&c, s->port, 0), 0);
	/* 25 bytes of body sent, 27 announced: the server waits for 2. */
	assert_int_equal(pt_send_str(&c, form), 0);
	assert_true(pt_silent(&c, 200));
	assert_int_equal(pt_send_str(&c, "34"), 0);
	assert_int_equal(pt_read_response(&c, &r, 5000), 0);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.body, "method=POST len=27 email=a@b.example");
	pt_response_free(&r);

	/* Expect: 100-continue gets the interim answer first. */
	assert_int_equal(pt_send_str(&c, "POST /echo HTTP/1.1\r\nHost: x\r\n"
	    "Content-Type: application/x-www-form-urlencoded\r\n"
	    "Expect: 100-continue\r\nContent-Length: 7\r\n\r\n"), 0);
	assert_int_equal(pt_read_response(&c, &r, 5000), 0);
	assert_int_equal(r.status, 100);
	pt_response_free(&r);
	assert_int_equal(pt_send_str(&c, "email=z"), 0);
	assert_int_equal(pt_read_response(&c, &r, 5000), 0);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.body, "method=POST len=7 email=z");
	pt_response_free(&r);

	/* A malformed form is the handler's 400. */
	assert_int_equal(pt_send_str(&c, "POST /echo HTTP/1.1\r\nHost: x\r\n"
	    "Content-Type: application/x-www-form-urlencoded\r\n"
	    "Content-Length: 5\r\n\r\na=%zz"), 0);
	assert_int_equal(pt_read_response(&c, &r, 5000), 0);
	assert_int_equal(r.status, 400);
	pt_response_free(&r);
	pt_close(&c);
}

static void
test_upload_limit(void **state)
{
	struct pt_server	*s = *state;
	struct pt_conn		 c;
	struct pt_response	 r;
	size_t			 n = 2 * 1024 * 1024;
	char			*body, head[256], want[64];

	body = malloc(n);
	assert_non_null(body);
	memset(body, 'a', n);
	memcpy(body, "email=", 6);
	assert_int_equal(pt_connect(&c, s->port, 0), 0);
	snprintf(head, sizeof(head), "POST /upload HTTP/1.1\r\nHost: x\r\n"
	    "Content-Type: application/x-www-form-urlencoded\r\n"
	    "Content-Length: %zu\r\n\r\n", n);
	assert_int_equal(pt_send_str(&c, head), 0);
	assert_int_equal(pt_send(&c, body, n), 0);
	assert_int_equal(pt_read_response(&c, &r, 10000), 0);
	assert_int_equal(r.status, 200);
	snprintf(want, sizeof(want), "method=POST len=%zu email=aaaa", n);
	assert_memory_equal(r.body, want, strlen(want));
	pt_response_free(&r);
	pt_close(&c);
	free(body);
}

static void
test_handler_overrides(void **state)
{
	struct pt_server	*s = *state;
	struct pt_response	 r;
	const char		 csp[] = "GET /csp HTTP/1.1\r\nHost: x\r\n\r\n";
	const char		 fail[] = "GET /fail HTTP/1.1\r\nHost: x\r\n\r\n";
	char			 buf[128];

	assert_int_equal(pt_exchange(s->port, csp, sizeof(csp) - 1, &r), 0);
	assert_int_equal(r.status, 200);
	assert_non_null(pt_header(&r, "Content-Security-Policy", buf,
	    sizeof(buf)));
	assert_string_equal(buf, "sandbox; default-src 'none'");
	assert_non_null(pt_header(&r, "X-Frame-Options", buf, sizeof(buf)));
	assert_string_equal(buf, "DENY");
	assert_null(pt_header(&r, "X-Bad", buf, sizeof(buf)));
	assert_null(pt_header(&r, "Injected", buf, sizeof(buf)));
	pt_response_free(&r);

	assert_int_equal(pt_exchange(s->port, fail, sizeof(fail) - 1, &r), 0);
	assert_int_equal(r.status, 500);
	check_security_headers(&r, 0);
	pt_response_free(&r);
}

/*
 * Timeouts at 1 s: a slow-loris head, a stalled body and an idle
 * connection are all cut off.
 */
static void
test_timeouts(void **state)
{
	struct http_server_options	 opt;
	struct pt_server		*s;
	struct pt_conn			 c;
	struct pt_response		 r;
	long long			 t0;
	int				 i, got = -1;

	http_server_options_default(&opt);
	opt.read_timeout.tv_sec = 1;
	opt.write_timeout.tv_sec = 1;
	opt.idle_timeout.tv_sec = 1;
	s = server_start(&opt, 1, 1);

	/* Slow loris: a header byte every 100 ms, never finishing. */
	assert_int_equal(pt_connect(&c, s->port, 0), 0);
	t0 = pt_now_ms();
	assert_int_equal(pt_send_str(&c, "GET / HTTP/1.1\r\nHost: x\r\nX-A: "),
	    0);
	for (i = 0; i < 40; i++) {
		if (pt_send_str(&c, "a") == -1)
			break;
		if (!pt_silent(&c, 100)) {
			got = pt_read_response(&c, &r, 1000);
			break;
		}
	}
	assert_int_equal(got, 0);
	assert_int_equal(r.status, 408);
	pt_response_free(&r);
	assert_true(pt_wait_closed(&c, 3000));
	assert_in_range(pt_now_ms() - t0, 800, 2500);
	pt_close(&c);

	/* A body that stalls. */
	assert_int_equal(pt_connect(&c, s->port, 0), 0);
	t0 = pt_now_ms();
	assert_int_equal(pt_send_str(&c, "POST /echo HTTP/1.1\r\nHost: x\r\n"
	    "Content-Length: 10\r\n\r\nabcde"), 0);
	assert_int_equal(pt_read_response(&c, &r, 3000), 0);
	assert_int_equal(r.status, 408);
	pt_response_free(&r);
	assert_true(pt_wait_closed(&c, 3000));
	assert_in_range(pt_now_ms() - t0, 800, 2500);
	pt_close(&c);

	/* Idle: connected, nothing sent, closed without an answer. */
	assert_int_equal(pt_connect(&c, s->port, 0), 0);
	t0 = pt_now_ms();
	assert_int_equal(pt_read_response(&c, &r, 3000), -1);
	assert_int_equal(c.len, 0);
	assert_in_range(pt_now_ms() - t0, 800, 2500);
	pt_close(&c);

	/* Idle after a keep-alive response, too. */
	assert_int_equal(pt_connect(&c, s->port, 0), 0);
	assert_int_equal(pt_send_str(&c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n"),
	    0);
	assert_int_equal(pt_read_response(&c, &r, 3000), 0);
	assert_int_equal(r.status, 200);
	pt_response_free(&r);
	t0 = pt_now_ms();
	assert_true(pt_wait_closed(&c, 3000));
	assert_in_range(pt_now_ms() - t0, 800, 2500);
	pt_close(&c);

	pt_stop(s);
	free(s);
}

static void
test_connection_cap(void **state)
{
	struct http_server_options	 opt;
	struct pt_server		*s;
	struct pt_conn			 c[3];
	struct pt_response		 r;
	int				 i;

	http_server_options_default(&opt);
	opt.max_connections = 2;
	s = server_start(&opt, 1, 1);

	/* Two connections, each proven accepted by a keep-alive answer. */
	for (i = 0; i < 2; i++) {
		assert_int_equal(pt_connect(&c[i], s->port, 0), 0);
		assert_int_equal(pt_send_str(&c[i],
		    "GET / HTTP/1.1\r\nHost: x\r\n\r\n"), 0);
		assert_int_equal(pt_read_response(&c[i], &r, 3000), 0);
		assert_int_equal(r.status, 200);
		pt_response_free(&r);
	}
	/* The third gets 503 and is closed. */
	assert_int_equal(pt_connect(&c[2], s->port, 0), 0);
	assert_int_equal(pt_read_response(&c[2], &r, 3000), 0);
	assert_int_equal(r.status, 503);
	check_security_headers(&r, 0);
	pt_response_free(&r);
	assert_true(pt_wait_closed(&c[2], 3000));
	pt_close(&c[2]);

	/* The first two still work; once one leaves, a newcomer is served. */
	assert_int_equal(pt_send_str(&c[1], "GET / HTTP/1.1\r\nHost: x\r\n"
	    "Connection: close\r\n\r\n"), 0);
	assert_int_equal(pt_read_response(&c[1], &r, 3000), 0);
	assert_int_equal(r.status, 200);
	pt_response_free(&r);
	assert_true(pt_wait_closed(&c[1], 3000));
	pt_close(&c[1]);
	usleep(100 * 1000);
	assert_int_equal(pt_connect(&c[2], s->port, 0), 0);
	assert_int_equal(pt_send_str(&c[2], "GET / HTTP/1.1\r\nHost: x\r\n\r\n"),
	    0);
	assert_int_equal(pt_read_response(&c[2], &r, 3000), 0);
	assert_int_equal(r.status, 200);
	pt_response_free(&r);
	pt_close(&c[2]);
	pt_close(&c[0]);

	pt_stop(s);
	free(s);
}

/* A job sleeps 1 s on a worker while the loop answers someone else. */
static void
test_worker_pool(void **state)
{
	struct pt_server	*s = *state;
	struct pt_conn		 a, b;
	struct pt_response	 r;
	long long		 t0;

	assert_int_equal(pt_connect(&a, s->port, 0), 0);
	assert_int_equal(pt_connect(&b, s->port, 0), 0);
	t0 = pt_now_ms();
	assert_int_equal(pt_send_str(&a, "GET /slow HTTP/1.1\r\nHost: x\r\n\r\n"),
	    0);
	usleep(50 * 1000);
	assert_int_equal(pt_send_str(&b, "GET / HTTP/1.1\r\nHost: x\r\n\r\n"),
	    0);
	assert_int_equal(pt_read_response(&b, &r, 3000), 0);
	assert_int_equal(r.status, 200);
	pt_response_free(&r);
	assert_true(pt_now_ms() - t0 < 500);
	assert_true(pt_silent(&a, 100));	/* still working */

	assert_int_equal(pt_read_response(&a, &r, 5000), 0);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.body, "slow done");
	check_security_headers(&r, 0);
	assert_true(pt_now_ms() - t0 >= 900);
	pt_response_free(&r);

	/* The connection is kept alive after an async response. */
	assert_int_equal(pt_send_str(&a, "GET /echo HTTP/1.1\r\nHost: x\r\n\r\n"),
	    0);
	assert_int_equal(pt_read_response(&a, &r, 3000), 0);
	assert_int_equal(r.status, 200);
	pt_response_free(&r);
	pt_close(&a);
	pt_close(&b);
}

/* One thread, one job: a second slow request while the first runs: 503. */
static void
test_worker_pool_full(void **state)
{
	struct pt_server	*s;
	struct pt_conn		 a, b, c;
	struct pt_response	 r;

	s = server_start(NULL, 1, 1);
	assert_int_equal(pt_connect(&a, s->port, 0), 0);
	assert_int_equal(pt_connect(&b, s->port, 0), 0);
	assert_int_equal(pt_send_str(&a, "GET /slow HTTP/1.1\r\nHost: x\r\n\r\n"),
	    0);
	usleep(100 * 1000);
	assert_int_equal(pt_send_str(&b, "GET /slow HTTP/1.1\r\nHost: x\r\n\r\n"),
	    0);
	assert_int_equal(pt_read_response(&b, &r, 3000), 0);
	assert_int_equal(r.status, 503);
	pt_response_free(&r);
	assert_int_equal(pt_read_response(&a, &r, 5000), 0);
	assert_int_equal(r.status, 200);
	pt_response_free(&r);

	/* A client that leaves while its job runs: no crash, no leak. */
	assert_int_equal(pt_connect(&c, s->port, 0), 0);
	assert_int_equal(pt_send_str(&c, "GET /slow HTTP/1.1\r\nHost: x\r\n\r\n"),
	    0);
	usleep(100 * 1000);
	pt_close(&c);
	usleep(1300 * 1000);
	assert_int_equal(pt_send_str(&b, "GET / HTTP/1.1\r\nHost: x\r\n\r\n"),
	    0);
	assert_int_equal(pt_read_response(&b, &r, 3000), 0);
	assert_int_equal(r.status, 200);
	pt_response_free(&r);

	/* Stopping with a job in flight cancels it cleanly. */
	assert_int_equal(pt_send_str(&a, "GET /slow HTTP/1.1\r\nHost: x\r\n\r\n"),
	    0);
	usleep(100 * 1000);
	pt_close(&a);
	pt_close(&b);
	pt_stop(s);
	free(s);
}

/* Every byte of body (len bytes) is the stream's, from offset 0. */
static void
check_stream_bytes(const char *body, size_t len)
{
	size_t	i;

	for (i = 0; i < len; i++)
		if ((uint8_t)body[i] != stream_byte(i))
			fail_msg("byte %zu differs", i);
}

/* Wait up to 3 s for the loop to have freed n streams in all. */
static void
wait_stream_frees(int n)
{
	long long	deadline = pt_now_ms() + 3000;

	while (__atomic_load_n(&stream_frees, __ATOMIC_SEQ_CST) < n &&
	    pt_now_ms() < deadline)
		usleep(10 * 1000);
	assert_int_equal(__atomic_load_n(&stream_frees, __ATOMIC_SEQ_CST), n);
}

/*
 * A streamed body arrives whole with its Content-Length and keeps the
 * connection; a stream that fails or overruns closes the connection
 * after fewer bytes than announced, and never sends more; every stream
 * is freed once.
 */
static void
test_stream(void **state)
{
	struct pt_server	*s = *state;
	struct pt_conn		 c;
	struct pt_response	 r;
	static const char	*const cut[] = { "fail", "over" };
	char			 buf[64], req[64];
	const char		*head_end;
	size_t			 i, got;
	int			 frees;

	frees = __atomic_load_n(&stream_frees, __ATOMIC_SEQ_CST);
	assert_int_equal(pt_connect(&c, s->port, 0), 0);
	for (i = 0; i < 2; i++) {
		assert_int_equal(pt_send_str(&c, "GET /stream/ok HTTP/1.1\r\n"
		    "Host: x\r\n\r\n"), 0);
		assert_int_equal(pt_read_response(&c, &r, 5000), 0);
		assert_int_equal(r.status, 200);
		assert_non_null(pt_header(&r, "Content-Length", buf,
		    sizeof(buf)));
		assert_int_equal(strtoull(buf, NULL, 10), STREAM_OK);
		assert_int_equal(r.body_len, STREAM_OK);
		check_stream_bytes(r.body, r.body_len);
		check_security_headers(&r, 0);
		pt_response_free(&r);
	}
	pt_close(&c);
	wait_stream_frees(frees + 2);

	for (i = 0; i < sizeof(cut) / sizeof(cut[0]); i++) {
		assert_int_equal(pt_connect(&c, s->port, 0), 0);
		snprintf(req, sizeof(req), "GET /stream/%s HTTP/1.1\r\n"
		    "Host: x\r\n\r\n", cut[i]);
		assert_int_equal(pt_send_str(&c, req), 0);
		assert_int_equal(pt_read_to_close(&c, 5000), 1);
		assert_non_null(head_end = memmem(c.buf, c.len, "\r\n\r\n", 4));
		assert_true(strncmp(c.buf, "HTTP/1.1 200 ", 13) == 0);
		got = c.len - (size_t)(head_end + 4 - c.buf);
		/* What is still buffered when the stream fails is dropped
		 * with the connection: "fail" sends at most the head and
		 * two pieces. */
		if (strcmp(cut[i], "fail") == 0)
			assert_true(got <= STREAM_HEAD + 2 * STREAM_PIECE);
		else
			assert_true(got < STREAM_OK);
		check_stream_bytes(head_end + 4, got);
		pt_close(&c);
		wait_stream_frees(frees + 3 + (int)i);
	}
}

/*
 * Read a 200 with the STREAM_BIG body on c, checking it as it comes (a
 * buffer of the whole would cost the sanitizer build minutes of
 * reallocation).
 */
static void
read_stream_big(struct pt_conn *c)
{
	static char	 buf[256 * 1024];
	long long	 deadline = pt_now_ms() + 60000;
	const char	*end;
	size_t		 len = 0, off = 0, i;
	ssize_t		 n;

	/* The head, and whatever body came with it. */
	for (;;) {
		assert_true(len < sizeof(buf) && pt_now_ms() < deadline);
		n = recv(c->fd, buf + len, sizeof(buf) - len, 0);
		assert_true(n > 0);
		len += (size_t)n;
		if ((end = memmem(buf, len, "\r\n\r\n", 4)) != NULL)
			break;
	}
	assert_true(strncmp(buf, "HTTP/1.1 200 ", 13) == 0);
	i = (size_t)(end + 4 - buf);
	check_stream_bytes(buf + i, len - i);
	off = len - i;
	while (off < STREAM_BIG) {
		assert_true(pt_now_ms() < deadline);
		n = recv(c->fd, buf, sizeof(buf), 0);
		assert_true(n > 0);
		assert_true(off + (size_t)n <= STREAM_BIG);
		for (i = 0; i < (size_t)n; i++)
			if ((uint8_t)buf[i] != stream_byte(off + i))
				fail_msg("byte %zu differs", off + i);
		off += (size_t)n;
	}
}

/*
 * A client that does not read holds up the stream: after a pause the
 * server has produced a bounded part of a 64 MiB body (what the
 * socket buffers hold, plus HTTP_STREAM_HIWAT), not all of it.  Then
 * it all arrives.  A client that leaves mid-stream frees it.
 */
static void
test_stream_backpressure(void **state)
{
	struct pt_server	*s = *state;
	struct pt_conn		 c;
	int			 fills, frees;

	frees = __atomic_load_n(&stream_frees, __ATOMIC_SEQ_CST);
	fills = __atomic_load_n(&stream_fills, __ATOMIC_SEQ_CST);
	assert_int_equal(pt_connect(&c, s->port, 0), 0);
	assert_int_equal(pt_send_str(&c, "GET /stream/big HTTP/1.1\r\n"
	    "Host: x\r\n\r\n"), 0);
	usleep(500 * 1000);
	fills = __atomic_load_n(&stream_fills, __ATOMIC_SEQ_CST) - fills;
	/* 16 MiB: more than loopback's socket buffers (4 MiB to send,
	 * 6 MiB to receive at most), far less than 64. */
	if (fills < 1 || fills > (int)(16 * 1024 * 1024 / STREAM_PIECE))
		fail_msg("%d pieces produced for a client that reads nothing",
		    fills);
	read_stream_big(&c);
	wait_stream_frees(frees + 1);

	/* Gone mid-stream: the connection and its stream are freed. */
	assert_int_equal(pt_send_str(&c, "GET /stream/big HTTP/1.1\r\n"
	    "Host: x\r\n\r\n"), 0);
	usleep(200 * 1000);
	pt_close(&c);
	wait_stream_frees(frees + 2);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_get_security_headers,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_static_css, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_keepalive, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_refusals, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_head_limits, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_not_found, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_post_form, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_upload_limit, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_handler_overrides, setup,
		    teardown),
		cmocka_unit_test(test_timeouts),
		cmocka_unit_test(test_connection_cap),
		cmocka_unit_test_setup_teardown(test_worker_pool, setup,
		    teardown),
		cmocka_unit_test(test_worker_pool_full),
		cmocka_unit_test_setup_teardown(test_stream, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stream_backpressure,
		    setup, teardown),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
