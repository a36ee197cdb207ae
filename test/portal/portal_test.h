/*
 * Helpers for the portal's in-process tests: the server runs on
 * 127.0.0.1:0 with its event loop in a thread; the test talks raw TCP
 * (or TLS) to it from the main thread.
 */
#ifndef SEALPOST_PORTAL_TEST_H
#define SEALPOST_PORTAL_TEST_H

#include <pthread.h>
#include <stddef.h>

#include <openssl/ssl.h>

#include "http_server.h"

struct pt_server {
	struct event_base	*base;
	struct http_router	*router;
	struct http_server	*srv;
	struct workpool		*pool;		/* optional, freed by pt_stop */
	struct workpool		*hash_pool;	/* the same */
	pthread_t		 thread;
	int			 running;
	int			 port;
};

/* base (thread-aware) and an empty router: add routes, then pt_start. */
void	pt_init(struct pt_server *s);
/* opt NULL: defaults.  cert/key NULL: plain HTTP. */
void	pt_start(struct pt_server *s, const struct http_server_options *opt,
	    const char *cert, const char *key);
void	pt_stop(struct pt_server *s);

struct pt_conn {
	int		 fd;
	SSL_CTX		*ctx;
	SSL		*ssl;
	char		*buf;		/* received, not yet consumed */
	size_t		 len;
	size_t		 cap;
};

struct pt_response {
	int	 status;
	char	*head;			/* status line and headers */
	char	*body;
	size_t	 body_len;
};

int	pt_connect(struct pt_conn *c, int port, int tls);
int	pt_send(struct pt_conn *c, const void *data, size_t len);
int	pt_send_str(struct pt_conn *c, const char *s);
void	pt_close(struct pt_conn *c);

/* One response within timeout_ms: 0, or -1 on EOF, error or timeout. */
int	pt_read_response(struct pt_conn *c, struct pt_response *r,
	    int timeout_ms);
void	pt_response_free(struct pt_response *r);
/* The value of header name (first one, any case) copied into buf. */
const char *pt_header(const struct pt_response *r, const char *name,
	    char *buf, size_t len);
/* 1 if the server closed the connection within timeout_ms, reading and
 * discarding anything before the close. */
int	pt_wait_closed(struct pt_conn *c, int timeout_ms);
/* 1 if the server closed the connection within timeout_ms, everything
 * it sent before the close kept in c->buf (c->len bytes); else 0. */
int	pt_read_to_close(struct pt_conn *c, int timeout_ms);
/* 1 if nothing arrives within ms (connection still open, silent). */
int	pt_silent(struct pt_conn *c, int ms);

/* Connect, send, read one response, close.  0 or -1. */
int	pt_exchange(int port, const void *req, size_t len,
	    struct pt_response *r);

/* Write a self-signed P-256 certificate and its key (mode 0600) for
 * 127.0.0.1 into dir.  0 or -1. */
int	pt_make_cert(const char *dir, char *cert, size_t certlen, char *key,
	    size_t keylen);

long long pt_now_ms(void);

/*
 * Mail saved by a test's sendmail_command script into maildir, one
 * *.eml file a message, named so that they sort in arrival order.
 */
size_t	pt_mail_count(const char *maildir);
/* Quoted-printable: =XX escapes and soft breaks, decoded in place. */
void	 pt_qp_decode(char *s);
/* Wait (20 s at most, else the test fails) for the n-th mail (1-based);
 * malloc'd, quoted-printable decoded. */
char	*pt_mail_wait(const char *maildir, size_t n);
/* The 64 hex digits of the link origin + path + "?token=" in mail;
 * the test fails when there is none. */
void	pt_mail_token(const char *mail, const char *origin, const char *path,
	    char out[65]);

#endif
