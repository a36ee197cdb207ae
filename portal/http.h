/*
 * The portal's HTTP interface for handlers: a parsed request in, a
 * response out.  Handlers never see a socket, a bufferevent or TLS; the
 * server (http_server.h) reads and checks every request before a handler
 * runs, and writes the response with the security headers.
 *
 * Threading: everything here runs on the event loop's thread, except
 * that a worker-pool job (workpool.h) may read a request and fill a
 * response while the loop leaves both alone (the handler returned
 * HTTP_HANDLER_ASYNC); http_request_done() is then called back on the
 * loop's thread.
 */
#ifndef SEALPOST_HTTP_H
#define SEALPOST_HTTP_H

#include <stddef.h>
#include <stdint.h>

struct evbuffer;
struct http_form;

/* Methods are bits, so that a route can name a set of them. */
#define HTTP_GET		0x01
#define HTTP_POST		0x02
#define HTTP_METHODS_ALL	(HTTP_GET | HTTP_POST)

#define HTTP_ID_LEN		17	/* 16 hex digits and NUL */
#define HTTP_MAX_PARAMS		4	/* '*' segments in a route */
#define HTTP_PEER_LEN		46	/* INET6_ADDRSTRLEN */

/* The default Content-Security-Policy on every response. */
#define HTTP_CSP_DEFAULT	"default-src 'none'; style-src 'self'; " \
	"img-src 'self'; form-action 'self'; frame-ancestors 'none'; " \
	"base-uri 'none'"

struct http_header {
	char	*name;		/* token, as sent (compare case-insensitively) */
	char	*value;		/* surrounding whitespace removed */
};

/*
 * A request that passed every check of docs/portal-http.md.  Read-only
 * for handlers; the server owns it and frees it after the response has
 * been written.  All strings are NUL-terminated and free of control
 * characters.
 */
struct http_request {
	char		 id[HTTP_ID_LEN];	/* starts every log line */
	int		 method;		/* HTTP_GET or HTTP_POST */
	char		*method_name;		/* as sent */
	char		*target;		/* raw request-target */
	char		*path;			/* raw path, starts with '/' */
	char		*query;			/* raw, without '?'; NULL if none */
	int		 version_minor;		/* HTTP/1.0 or HTTP/1.1 */
	struct http_header *headers;
	size_t		 nheaders;
	int		 has_content_length;
	uint64_t	 content_length;
	struct evbuffer	*body;			/* exactly content_length bytes */
	int		 keepalive;		/* the client allows keep-alive */
	int		 expect_continue;	/* "Expect: 100-continue" */

	/* Filled by the router: the path segments matched by '*' (raw,
	 * still percent-encoded). */
	const char	*params[HTTP_MAX_PARAMS];
	size_t		 nparams;

	char		 peer[HTTP_PEER_LEN];	/* client address */
	int		 tls;			/* arrived over TLS */

	/* Private to the server. */
	char		*param_buf;
	size_t		 header_cap;
	void		*conn;
};

/*
 * What a handler answers.  Created by the server with status 200, an
 * empty body and Content-Type "text/html; charset=utf-8"; the handler
 * fills it.  The server owns it.
 */
struct http_response {
	int		 status;
	struct evbuffer	*body;			/* owned by the response */
	struct http_header *headers;		/* use the functions below */
	size_t		 nheaders;
	size_t		 header_cap;
	char		*csp;			/* NULL: HTTP_CSP_DEFAULT */
	/* 1: X-Frame-Options SAMEORIGIN instead of DENY, for a response
	 * the portal frames itself (the sandboxed HTML body); pair it with
	 * a CSP whose frame-ancestors is 'self'. */
	int		 frame_sameorigin;

	/* Private: the rest of a streamed body (http_response_stream). */
	uint64_t	 stream_left;
	int		(*stream_fill)(void *, struct evbuffer *);
	void		(*stream_free)(void *);
	void		*stream_arg;
};

/* What a handler returns. */
enum http_handler_result {
	HTTP_HANDLER_ERROR = -1,	/* logged by the handler; server answers 500 */
	HTTP_HANDLER_DONE = 0,		/* the response is ready */
	HTTP_HANDLER_ASYNC = 1,		/* http_request_done() will follow */
};

/* The handler borrows req and resp until it returns (or, when it returns
 * HTTP_HANDLER_ASYNC, until it calls http_request_done()). */
typedef int (*http_handler_fn)(struct http_request *req,
    struct http_response *resp, void *arg);

/*
 * Request helpers.
 */

/* First value of the header called name (any case), or NULL. */
const char	*http_request_header(const struct http_request *req,
		    const char *name);

/* The i-th '*' segment of the matched route, or NULL. */
const char	*http_request_param(const struct http_request *req, size_t i);

/*
 * Decode the body as application/x-www-form-urlencoded (the request's
 * Content-Type must say so) or the query string.  *out is set and the
 * caller frees it with http_form_free(); -1 when the input is not a
 * valid form (the handler answers 400).
 */
int		 http_request_form(struct http_request *req,
		    struct http_form **out) __attribute__((warn_unused_result));
int		 http_request_query(const struct http_request *req,
		    struct http_form **out) __attribute__((warn_unused_result));

/*
 * After a handler returned HTTP_HANDLER_ASYNC: the response is complete,
 * send it.  Only on the event loop's thread (a workpool done callback).
 * req and resp must not be used afterwards.  If the client went away
 * meanwhile, this frees everything instead.
 */
void		 http_request_done(struct http_request *req);

/* An async handler that failed: replace the response with a 500 page,
 * then as http_request_done(). */
void		 http_request_fail(struct http_request *req);

/*
 * Response helpers.  Header names and values are refused (-1) if they
 * hold CR, LF, NUL or other control characters, or if the name is one
 * the server sets itself (Content-Length, Connection, Date,
 * Transfer-Encoding and the fixed security headers).  Setting a header
 * again replaces it.  Content-Security-Policy is accepted and replaces
 * the default policy for this response only.
 */
int		 http_response_set_header(struct http_response *resp,
		    const char *name, const char *value)
		    __attribute__((warn_unused_result));
const char	*http_response_header(const struct http_response *resp,
		    const char *name);
/* Same checks, but appends even when the name is already set: for
 * headers that may repeat (Set-Cookie). */
int		 http_response_add_header(struct http_response *resp,
		    const char *name, const char *value)
		    __attribute__((warn_unused_result));

/* 303 See Other (or the given 3xx status) to location, empty body. */
int		 http_response_redirect(struct http_response *resp, int status,
		    const char *location) __attribute__((warn_unused_result));

/*
 * A body too large to hold: after what resp->body holds, `more` bytes
 * that fill(arg, out) appends while the response is written, a piece
 * per call (a decrypted chunk, say), called on the loop's thread
 * whenever less than HTTP_STREAM_LOWAT bytes wait to go out; so a
 * connection holds about HTTP_STREAM_HIWAT bytes of it at a time,
 * whatever its size.  Content-Length is the whole.  fill returns 0 once
 * it appended at least one byte, -1 on failure: the server then closes
 * the connection, so the client sees a body shorter than announced
 * (never more bytes than announced: those close it too).  Whatever the
 * handler can check before the status goes out belongs in resp->body.
 * free_arg(arg) is called once, when the stream ends or the response
 * is dropped (also by http_response_error_page and
 * http_response_free).  Replaces an earlier stream.  -1 if more is 0.
 */
#define HTTP_STREAM_LOWAT	(64 * 1024)
#define HTTP_STREAM_HIWAT	(128 * 1024)
int		 http_response_stream(struct http_response *resp,
		    uint64_t more, int (*fill)(void *arg, struct evbuffer *out),
		    void (*free_arg)(void *arg), void *arg)
		    __attribute__((warn_unused_result));
/* Drop the stream, if any (free_arg is called). */
void		 http_response_stream_end(struct http_response *resp);

/* Replace the body with the server's small HTML page for status. */
void		 http_response_error_page(struct http_response *resp,
		    int status);

/* "Not Found" for 404 and so on; "Unknown" for a status it lacks. */
const char	*http_status_reason(int status);

/* Allocation for the server and tests. */
struct http_response	*http_response_new(void);
void			 http_response_free(struct http_response *resp);
struct http_request	*http_request_new(void);
void			 http_request_free(struct http_request *req);

#endif
