/*
 * The portal's HTTP/1.1 server on one libevent loop: listener,
 * connections (plain or TLS through bufferevent_openssl), the strict
 * request reader, timeouts, the connection cap, routing to handlers and
 * writing responses with the security headers.  Rules and limits:
 * docs/portal-http.md.
 *
 * The program must ignore SIGPIPE (a client may close while we write).
 */
#ifndef SEALPOST_HTTP_SERVER_H
#define SEALPOST_HTTP_SERVER_H

#include <sys/time.h>

#include <stddef.h>

struct event_base;
struct http_router;
struct http_server;

struct http_server_options {
	size_t		max_head;	/* request line + headers, bytes */
	struct timeval	read_timeout;	/* whole head; body inactivity */
	struct timeval	write_timeout;	/* response inactivity */
	struct timeval	idle_timeout;	/* keep-alive wait for a request */
	unsigned	max_connections;/* beyond: 503 (plain) or closed (TLS) */
};

/* 16 KiB head, 15 s timeouts, 256 connections. */
void	http_server_options_default(struct http_server_options *opt);

/*
 * base and router are borrowed and must outlive the server.  NULL on no
 * memory.
 */
struct http_server	*http_server_new(struct event_base *base,
			    const struct http_server_options *opt,
			    struct http_router *router);

/*
 * Closes the listener and every connection.  Free the worker pool first
 * (its done callbacks finish requests held by handlers).
 */
void	http_server_free(struct http_server *srv);

/* Serve TLS with these PEM files (see http_tls.h); before listening. */
int	http_server_set_tls(struct http_server *srv, const char *cert_file,
	    const char *key_file, char *err, size_t errlen)
	    __attribute__((warn_unused_result));

/* Listen on "HOST:PORT" (port 0: any free port). */
int	http_server_listen(struct http_server *srv, const char *listen,
	    char *err, size_t errlen) __attribute__((warn_unused_result));

/* The port actually bound, or -1. */
int	http_server_port(const struct http_server *srv);

/* Open connections now (loop thread only). */
unsigned http_server_connections(const struct http_server *srv);

#endif
