/*
 * Routes: a path pattern, a set of methods, a body limit and a handler.
 *
 * Patterns are matched against the raw path, segment by segment (the
 * spaces below are only there because a C comment cannot hold them):
 *   "/login"          exact;
 *   "/m/ *" (no space) one non-empty segment, captured as a param;
 *   "/m/ * /part/ *"  as many '*' as HTTP_MAX_PARAMS;
 *   "/static/ **"     as the last segment: the non-empty rest of the path,
 *                     slashes included, captured as a param.
 * A trailing slash is a different path.  Exact patterns win over '*'
 * patterns, which win over '**' patterns; among equals, the first added.
 * A path that matches a pattern but not the method is 405 with Allow
 * listing the methods of every route matching the path.
 */
#ifndef SEALPOST_HTTP_ROUTER_H
#define SEALPOST_HTTP_ROUTER_H

#include <stdint.h>

#include "http.h"

enum http_route_result {
	HTTP_ROUTE_FOUND = 0,
	HTTP_ROUTE_NOT_FOUND,
	HTTP_ROUTE_BAD_METHOD,
};

struct http_route;
struct http_router;

struct http_route_match {
	const struct http_route	*route;		/* when FOUND */
	unsigned		 allow;		/* when BAD_METHOD */
	/* Captured segments, as offsets into the path. */
	size_t			 off[HTTP_MAX_PARAMS];
	size_t			 len[HTTP_MAX_PARAMS];
	size_t			 nparams;
};

struct http_router	*http_router_new(void);
void			 http_router_free(struct http_router *r);

/*
 * methods: HTTP_GET, HTTP_POST or both.  max_body: the largest request
 * body accepted, 0 for HTTP_MAX_BODY (1 MiB); an upload route passes
 * max_message_size.  arg is borrowed and handed to the handler.
 * -1 on a malformed pattern.
 */
int	 http_router_add(struct http_router *r, unsigned methods,
	    const char *pattern, uint64_t max_body, http_handler_fn fn,
	    void *arg) __attribute__((warn_unused_result));

/* Called instead of the built-in 404 page for paths no route matches. */
void	 http_router_set_fallback(struct http_router *r, http_handler_fn fn,
	    void *arg);

int	 http_router_match(const struct http_router *r, int method,
	    const char *path, struct http_route_match *m);

/* Copy the captured segments into req->params (-1 on no memory). */
int	 http_router_bind(const struct http_route_match *m,
	    struct http_request *req);

/* The fallback pseudo-route, or NULL when there is none. */
const struct http_route	*http_router_fallback(const struct http_router *r);

http_handler_fn	 http_route_handler(const struct http_route *route);
void		*http_route_arg(const struct http_route *route);
uint64_t	 http_route_max_body(const struct http_route *route);
const char	*http_route_pattern(const struct http_route *route);

/* "GET, POST" for an Allow header, into buf. */
void	 http_methods_format(unsigned methods, char *buf, size_t len);

#endif
