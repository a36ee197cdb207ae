/*
 * Where the portal listens, and whether plain HTTP is allowed there.
 */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http_listen.h"

int
http_listen_split(const char *listen, char *host, size_t hostlen,
    char *port, size_t portlen, char *err, size_t errlen)
{
	const char	*colon, *p, *h = listen;
	size_t		 hl;
	long		 n;

	if (listen[0] == '[') {
		if ((p = strchr(listen, ']')) == NULL || p[1] != ':') {
			snprintf(err, errlen, "%s: expected [ADDRESS]:PORT",
			    listen);
			return -1;
		}
		h = listen + 1;
		hl = p - h;
		colon = p + 1;
	} else {
		if ((colon = strrchr(listen, ':')) == NULL ||
		    memchr(listen, ':', colon - listen) != NULL) {
			snprintf(err, errlen, "%s: expected HOST:PORT "
			    "([ADDRESS]:PORT for IPv6)", listen);
			return -1;
		}
		hl = colon - listen;
	}
	if (hl == 1 && h[0] == '*')
		hl = 0;
	if (hl >= hostlen) {
		snprintf(err, errlen, "%s: host name too long", listen);
		return -1;
	}
	memcpy(host, h, hl);
	host[hl] = '\0';

	p = colon + 1;
	if (*p == '\0' || strlen(p) >= portlen || strspn(p, "0123456789") !=
	    strlen(p) || strlen(p) > 5 || (n = strtol(p, NULL, 10)) > 65535) {
		snprintf(err, errlen, "%s: port must be a number 0-65535",
		    listen);
		return -1;
	}
	snprintf(port, portlen, "%ld", n);
	return 0;
}

static int
addr_is_loopback(const struct sockaddr *sa)
{
	const struct sockaddr_in	*sin;
	const struct sockaddr_in6	*sin6;

	if (sa->sa_family == AF_INET) {
		sin = (const struct sockaddr_in *)sa;
		return (ntohl(sin->sin_addr.s_addr) >> 24) == 127;
	}
	if (sa->sa_family == AF_INET6) {
		sin6 = (const struct sockaddr_in6 *)sa;
		if (IN6_IS_ADDR_LOOPBACK(&sin6->sin6_addr))
			return 1;
		return IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr) &&
		    sin6->sin6_addr.s6_addr[12] == 127;
	}
	return 0;
}

static int
listen_getaddrinfo(const char *listen, struct addrinfo **res, char *err,
    size_t errlen)
{
	struct addrinfo	 hints;
	char		 host[256], port[8];
	int		 rc;

	if (http_listen_split(listen, host, sizeof(host), port, sizeof(port),
	    err, errlen) == -1)
		return -1;
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	if ((rc = getaddrinfo(host[0] != '\0' ? host : NULL, port, &hints,
	    res)) != 0) {
		snprintf(err, errlen, "%s: %s", listen, gai_strerror(rc));
		return -1;
	}
	return 0;
}

int
http_listen_is_loopback(const char *listen, char *err, size_t errlen)
{
	struct addrinfo	*res, *ai;
	char		 host[256], port[8];
	int		 loop = 1;

	if (http_listen_split(listen, host, sizeof(host), port, sizeof(port),
	    err, errlen) == -1)
		return -1;
	if (host[0] == '\0')
		return 0;	/* every address */
	if (listen_getaddrinfo(listen, &res, err, errlen) == -1)
		return -1;
	for (ai = res; ai != NULL; ai = ai->ai_next)
		if (!addr_is_loopback(ai->ai_addr))
			loop = 0;
	freeaddrinfo(res);
	return loop;
}

int
http_listen_allowed(const char *listen, int tls, int insecure_http,
    char *err, size_t errlen)
{
	int	loop;

	if ((loop = http_listen_is_loopback(listen, err, errlen)) == -1)
		return -1;
	if (tls || loop || insecure_http)
		return 0;
	snprintf(err, errlen, "portal_listen %s is not a loopback address and "
	    "no TLS is configured: set portal_tls_cert and portal_tls_key, "
	    "listen on 127.0.0.1 behind a TLS reverse proxy, or set "
	    "portal_insecure_http = yes to serve plain HTTP anyway", listen);
	return -1;
}

int
http_listen_resolve(const char *listen, struct sockaddr_storage *ss,
    socklen_t *sslen, char *err, size_t errlen)
{
	struct addrinfo	*res;

	if (listen_getaddrinfo(listen, &res, err, errlen) == -1)
		return -1;
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	*sslen = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}
