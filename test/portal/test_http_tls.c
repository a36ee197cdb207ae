/*
 * The portal over TLS: a self-signed certificate made here with the
 * OpenSSL API, HSTS present under TLS (and absent without, see
 * test_http.c), the same refusals, a streamed body, and the key-file
 * checks.
 */
#include <sys/stat.h>

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
#include "http_router.h"
#include "http_server.h"
#include "http_tls.h"
#include "placeholder.h"
#include "portal_test.h"

struct tls_fixture {
	char			 dir[64];
	char			 cert[128];
	char			 key[128];
	struct pt_server	 s;
};

static int
setup(void **state)
{
	struct tls_fixture	*f;

	f = calloc(1, sizeof(*f));
	assert_non_null(f);
	snprintf(f->dir, sizeof(f->dir), "/tmp/sealpost-tls-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	assert_int_equal(pt_make_cert(f->dir, f->cert, sizeof(f->cert), f->key,
	    sizeof(f->key)), 0);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct tls_fixture	*f = *state;

	if (f->s.base != NULL)
		pt_stop(&f->s);
	unlink(f->cert);
	unlink(f->key);
	rmdir(f->dir);
	free(f);
	return 0;
}

/* /stream: TLS_STREAM bytes, byte i being (uint8_t)(i * 7), all but
 * the first from a stream of 64 KiB pieces (http_response_stream). */
#define TLS_STREAM	(3 * 1024 * 1024 + 5)

static int
tls_fill(void *arg, struct evbuffer *out)
{
	size_t	*off = arg, n, i;
	uint8_t	 buf[65536];

	n = TLS_STREAM - *off < sizeof(buf) ? TLS_STREAM - *off : sizeof(buf);
	for (i = 0; i < n; i++)
		buf[i] = (uint8_t)((*off + i) * 7);
	*off += n;
	return evbuffer_add(out, buf, n);
}

static int
handle_stream(struct http_request *req, struct http_response *resp,
    void *arg)
{
	size_t	*off;

	if ((off = calloc(1, sizeof(*off))) == NULL)
		return HTTP_HANDLER_ERROR;
	evbuffer_add(resp->body, "", 1);	/* byte 0 */
	*off = 1;
	if (http_response_stream(resp, TLS_STREAM - 1, tls_fill, free,
	    off) == -1) {
		free(off);
		return HTTP_HANDLER_ERROR;
	}
	return HTTP_HANDLER_DONE;
}

static void
start(struct tls_fixture *f)
{
	pt_init(&f->s);
	assert_int_equal(http_router_add(f->s.router, HTTP_GET, "/", 0,
	    handle_index, NULL), 0);
	assert_int_equal(http_router_add(f->s.router, HTTP_GET, "/stream", 0,
	    handle_stream, NULL), 0);
	pt_start(&f->s, NULL, f->cert, f->key);
}

/* A streamed body over TLS arrives whole, twice on one connection. */
static void
test_tls_stream(void **state)
{
	struct tls_fixture	*f = *state;
	struct pt_conn		 c;
	struct pt_response	 r;
	size_t			 i, k;

	start(f);
	assert_int_equal(pt_connect(&c, f->s.port, 1), 0);
	for (k = 0; k < 2; k++) {
		assert_int_equal(pt_send_str(&c, "GET /stream HTTP/1.1\r\n"
		    "Host: x\r\n\r\n"), 0);
		assert_int_equal(pt_read_response(&c, &r, 20000), 0);
		assert_int_equal(r.status, 200);
		assert_int_equal(r.body_len, TLS_STREAM);
		for (i = 0; i < r.body_len; i++)
			if ((uint8_t)r.body[i] != (uint8_t)(i * 7))
				fail_msg("byte %zu differs", i);
		pt_response_free(&r);
	}
	pt_close(&c);
}

static void
test_tls_get_hsts(void **state)
{
	struct tls_fixture	*f = *state;
	struct pt_conn		 c;
	struct pt_response	 r;
	char			 buf[256];

	start(f);
	assert_int_equal(pt_connect(&c, f->s.port, 1), 0);
	/* Two requests on one TLS connection. */
	assert_int_equal(pt_send_str(&c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n"),
	    0);
	assert_int_equal(pt_read_response(&c, &r, 5000), 0);
	assert_int_equal(r.status, 200);
	assert_non_null(pt_header(&r, "Strict-Transport-Security", buf,
	    sizeof(buf)));
	assert_string_equal(buf, "max-age=31536000");
	assert_non_null(pt_header(&r, "Content-Security-Policy", buf,
	    sizeof(buf)));
	assert_non_null(pt_header(&r, "X-Frame-Options", buf, sizeof(buf)));
	assert_non_null(strstr(r.body, "<!DOCTYPE html>"));
	pt_response_free(&r);
	assert_int_equal(pt_send_str(&c, "GET /x HTTP/1.1\r\nHost: x\r\n\r\n"),
	    0);
	assert_int_equal(pt_read_response(&c, &r, 5000), 0);
	assert_int_equal(r.status, 404);
	assert_non_null(pt_header(&r, "Strict-Transport-Security", buf,
	    sizeof(buf)));
	pt_response_free(&r);
	pt_close(&c);

	/* A refusal over TLS: same status, HSTS, then closed. */
	assert_int_equal(pt_connect(&c, f->s.port, 1), 0);
	assert_int_equal(pt_send_str(&c, "POST / HTTP/1.1\r\nHost: x\r\n"
	    "Content-Length: 1\r\nContent-Length: 2\r\n\r\nab"), 0);
	assert_int_equal(pt_read_response(&c, &r, 5000), 0);
	assert_int_equal(r.status, 400);
	assert_non_null(pt_header(&r, "Strict-Transport-Security", buf,
	    sizeof(buf)));
	pt_response_free(&r);
	assert_true(pt_wait_closed(&c, 5000));
	pt_close(&c);
}

/* Plain bytes to a TLS port: no answer, the connection is dropped. */
static void
test_tls_plain_client(void **state)
{
	struct tls_fixture	*f = *state;
	struct pt_conn		 c;

	start(f);
	assert_int_equal(pt_connect(&c, f->s.port, 0), 0);
	assert_int_equal(pt_send_str(&c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n"),
	    0);
	assert_true(pt_wait_closed(&c, 5000));
	pt_close(&c);
}

static void
test_tls_key_checks(void **state)
{
	struct tls_fixture	*f = *state;
	char			 err[512], other[160], ocert[160], okey[160];
	SSL_CTX			*ctx;

	ctx = http_tls_ctx_new(f->cert, f->key, err, sizeof(err));
	assert_non_null(ctx);
	SSL_CTX_free(ctx);

	/* World-readable key: refused. */
	assert_int_equal(chmod(f->key, 0644), 0);
	assert_null(http_tls_ctx_new(f->cert, f->key, err, sizeof(err)));
	assert_non_null(strstr(err, "readable by others"));
	/* Group-readable (Debian's ssl-cert group) is fine. */
	assert_int_equal(chmod(f->key, 0640), 0);
	ctx = http_tls_ctx_new(f->cert, f->key, err, sizeof(err));
	assert_non_null(ctx);
	SSL_CTX_free(ctx);

	/* Missing files. */
	assert_null(http_tls_ctx_new(f->cert, "/nonexistent/key.pem", err,
	    sizeof(err)));
	assert_non_null(strstr(err, "portal_tls_key"));
	assert_null(http_tls_ctx_new("/nonexistent/cert.pem", f->key, err,
	    sizeof(err)));
	assert_non_null(strstr(err, "portal_tls_cert"));

	/* A key that does not belong to the certificate. */
	snprintf(other, sizeof(other), "%s/other", f->dir);
	assert_int_equal(mkdir(other, 0700), 0);
	assert_int_equal(pt_make_cert(other, ocert, sizeof(ocert), okey,
	    sizeof(okey)), 0);
	assert_null(http_tls_ctx_new(f->cert, okey, err, sizeof(err)));
	assert_non_null(strstr(err, "portal_tls_key"));
	unlink(ocert);
	unlink(okey);
	rmdir(other);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_tls_get_hsts, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_tls_plain_client, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_tls_stream, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_tls_key_checks, setup,
		    teardown),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
