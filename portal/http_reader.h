/*
 * The strict HTTP/1.x request reader: bytes from an evbuffer in, a
 * checked struct http_request out, or the status to refuse with.  No
 * sockets, no clock: the server feeds it and the fuzz target
 * (test/fuzz/fuzz_http_request.c) drives it directly.  The rules are in
 * docs/portal-http.md.
 *
 * Use: call http_reader_read() whenever input arrives.
 *   HTTP_READ_MORE   wait for more input;
 *   HTTP_READ_HEAD   the head passed every check: look at
 *                    http_reader_request(), then either refuse or call
 *                    http_reader_set_body_limit() and read on;
 *   HTTP_READ_DONE   the body is complete: http_reader_take() the request,
 *                    after which the reader starts on the next one;
 *   HTTP_READ_ERROR  answer http_reader_status() and close the connection.
 */
#ifndef SEALPOST_HTTP_READER_H
#define SEALPOST_HTTP_READER_H

#include <stddef.h>
#include <stdint.h>

struct evbuffer;
struct http_request;

#define HTTP_MAX_HEAD		(16 * 1024)	/* request line and headers */
#define HTTP_MAX_HEADERS	100
#define HTTP_MAX_BODY		(1024 * 1024)	/* unless a route says more */

enum http_read_result {
	HTTP_READ_MORE = 0,
	HTTP_READ_HEAD,
	HTTP_READ_DONE,
	HTTP_READ_ERROR,
};

struct http_reader;

/* max_head: bytes allowed for the request line, headers and their CRLFs. */
struct http_reader	*http_reader_new(size_t max_head);
void			 http_reader_free(struct http_reader *r);

/* Consumes what it can from in; see above. */
int			 http_reader_read(struct http_reader *r,
			    struct evbuffer *in);

/*
 * After HTTP_READ_HEAD: the most body this request may have.  -1 (and the
 * reader is in error with 413) if its Content-Length is larger.
 */
int			 http_reader_set_body_limit(struct http_reader *r,
			    uint64_t limit) __attribute__((warn_unused_result));

/* Force an error, for refusals the server decides (404, 405, 417...). */
void			 http_reader_fail(struct http_reader *r, int status,
			    const char *reason);

/* The request being read (borrowed; may be NULL before its first byte
 * and is partial after an error). */
struct http_request	*http_reader_request(struct http_reader *r);

/* After HTTP_READ_DONE: the caller owns the request. */
struct http_request	*http_reader_take(struct http_reader *r);

/* 1 once any byte of the current request has been consumed. */
int			 http_reader_started(const struct http_reader *r);

/* After HTTP_READ_ERROR: the status to answer and a short reason for
 * the log ("duplicate-content-length"). */
int			 http_reader_status(const struct http_reader *r);
const char		*http_reader_reason(const struct http_reader *r);

#endif
