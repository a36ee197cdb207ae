/*
 * portal_listen ("HOST:PORT", "[v6]:PORT", "*:PORT") and the rule for
 * plain HTTP: allowed only on a loopback address (a reverse proxy in
 * front) or with portal_insecure_http = yes; TLS is allowed anywhere.
 */
#ifndef SEALPOST_HTTP_LISTEN_H
#define SEALPOST_HTTP_LISTEN_H

#include <sys/socket.h>

#include <stddef.h>

/* Split listen into host ("" for '*') and port; -1 with a message. */
int	http_listen_split(const char *listen, char *host, size_t hostlen,
	    char *port, size_t portlen, char *err, size_t errlen)
	    __attribute__((warn_unused_result));

/*
 * 1 if every address listen names is loopback (127.0.0.0/8, ::1,
 * ::ffff:127.0.0.0/104), 0 if not, -1 (message in err) if it cannot be
 * parsed or resolved.
 */
int	http_listen_is_loopback(const char *listen, char *err, size_t errlen);

/*
 * The start-up rule.  0 if the portal may serve on listen; -1 with a
 * message for the administrator otherwise.
 */
int	http_listen_allowed(const char *listen, int tls, int insecure_http,
	    char *err, size_t errlen) __attribute__((warn_unused_result));

/* The first address listen resolves to, for bind(). */
int	http_listen_resolve(const char *listen, struct sockaddr_storage *ss,
	    socklen_t *sslen, char *err, size_t errlen)
	    __attribute__((warn_unused_result));

#endif
