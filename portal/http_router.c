/*
 * Path routing by segments; see http_router.h for the pattern rules.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"
#include "http_reader.h"
#include "http_router.h"

enum route_rank {
	RANK_EXACT = 0,
	RANK_STAR,
	RANK_REST,
	RANK_COUNT,
};

struct http_route {
	char		*pattern;
	unsigned	 methods;
	uint64_t	 max_body;
	http_handler_fn	 fn;
	void		*arg;
	enum route_rank	 rank;
};

struct http_router {
	struct http_route	*routes;
	size_t			 nroutes;
	struct http_route	 fallback;
	int			 has_fallback;
};

struct http_router *
http_router_new(void)
{
	return calloc(1, sizeof(struct http_router));
}

void
http_router_free(struct http_router *r)
{
	size_t	i;

	if (r == NULL)
		return;
	for (i = 0; i < r->nroutes; i++)
		free(r->routes[i].pattern);
	free(r->routes);
	free(r);
}

int
http_router_add(struct http_router *r, unsigned methods, const char *pattern,
    uint64_t max_body, http_handler_fn fn, void *arg)
{
	struct http_route	*routes, *rt;
	const char		*seg, *next;
	size_t			 len, stars = 0;
	enum route_rank		 rank = RANK_EXACT;

	if (methods == 0 || (methods & ~HTTP_METHODS_ALL) != 0 ||
	    fn == NULL || pattern[0] != '/')
		return -1;
	for (seg = pattern + 1; ; seg = next + 1) {
		next = strchr(seg, '/');
		len = next != NULL ? (size_t)(next - seg) : strlen(seg);
		if (len == 2 && strncmp(seg, "**", 2) == 0) {
			if (next != NULL)
				return -1;	/* only last */
			rank = RANK_REST;
			stars++;
		} else if (len == 1 && seg[0] == '*') {
			if (rank == RANK_EXACT)
				rank = RANK_STAR;
			stars++;
		} else if (memchr(seg, '*', len) != NULL)
			return -1;
		if (next == NULL)
			break;
	}
	if (stars > HTTP_MAX_PARAMS)
		return -1;
	if ((routes = reallocarray(r->routes, r->nroutes + 1,
	    sizeof(*routes))) == NULL)
		return -1;
	r->routes = routes;
	rt = &r->routes[r->nroutes];
	if ((rt->pattern = strdup(pattern)) == NULL)
		return -1;
	rt->methods = methods;
	rt->max_body = max_body != 0 ? max_body : HTTP_MAX_BODY;
	rt->fn = fn;
	rt->arg = arg;
	rt->rank = rank;
	r->nroutes++;
	return 0;
}

void
http_router_set_fallback(struct http_router *r, http_handler_fn fn, void *arg)
{
	r->fallback.pattern = NULL;
	r->fallback.methods = HTTP_METHODS_ALL;
	r->fallback.max_body = HTTP_MAX_BODY;
	r->fallback.fn = fn;
	r->fallback.arg = arg;
	r->fallback.rank = RANK_REST;
	r->has_fallback = fn != NULL;
}

const struct http_route *
http_router_fallback(const struct http_router *r)
{
	return r->has_fallback ? &r->fallback : NULL;
}

/* 1 if path matches pattern; captures into m. */
static int
route_match(const char *pattern, const char *path, struct http_route_match *m)
{
	const char	*ps = pattern + 1, *xs = path + 1, *pn, *xn;
	size_t		 pl, xl;

	m->nparams = 0;
	if (path[0] != '/')
		return 0;
	for (;;) {
		pn = strchr(ps, '/');
		pl = pn != NULL ? (size_t)(pn - ps) : strlen(ps);
		xn = strchr(xs, '/');
		xl = xn != NULL ? (size_t)(xn - xs) : strlen(xs);
		if (pl == 2 && strncmp(ps, "**", 2) == 0) {
			if (*xs == '\0')
				return 0;
			m->off[m->nparams] = xs - path;
			m->len[m->nparams] = strlen(xs);
			m->nparams++;
			return 1;
		}
		if (pl == 1 && ps[0] == '*') {
			if (xl == 0)
				return 0;
			m->off[m->nparams] = xs - path;
			m->len[m->nparams] = xl;
			m->nparams++;
		} else if (pl != xl || strncmp(ps, xs, pl) != 0)
			return 0;
		if (pn == NULL || xn == NULL)
			return pn == NULL && xn == NULL;
		ps = pn + 1;
		xs = xn + 1;
	}
}

int
http_router_match(const struct http_router *r, int method, const char *path,
    struct http_route_match *m)
{
	struct http_route_match	 tmp;
	size_t			 i;
	int			 rank, seen = 0;

	memset(m, 0, sizeof(*m));
	for (rank = RANK_EXACT; rank < RANK_COUNT; rank++) {
		for (i = 0; i < r->nroutes; i++) {
			if ((int)r->routes[i].rank != rank ||
			    !route_match(r->routes[i].pattern, path, &tmp))
				continue;
			seen = 1;
			if ((r->routes[i].methods & (unsigned)method) != 0) {
				*m = tmp;
				m->route = &r->routes[i];
				return HTTP_ROUTE_FOUND;
			}
			m->allow |= r->routes[i].methods;
		}
	}
	return seen ? HTTP_ROUTE_BAD_METHOD : HTTP_ROUTE_NOT_FOUND;
}

int
http_router_bind(const struct http_route_match *m, struct http_request *req)
{
	size_t	i, total = 0;
	char	*p;

	free(req->param_buf);
	req->param_buf = NULL;
	req->nparams = 0;
	for (i = 0; i < m->nparams; i++)
		total += m->len[i] + 1;
	if (total == 0)
		return 0;
	if ((req->param_buf = malloc(total)) == NULL)
		return -1;
	p = req->param_buf;
	for (i = 0; i < m->nparams; i++) {
		memcpy(p, req->path + m->off[i], m->len[i]);
		p[m->len[i]] = '\0';
		req->params[i] = p;
		p += m->len[i] + 1;
	}
	req->nparams = m->nparams;
	return 0;
}

http_handler_fn
http_route_handler(const struct http_route *route)
{
	return route->fn;
}

void *
http_route_arg(const struct http_route *route)
{
	return route->arg;
}

uint64_t
http_route_max_body(const struct http_route *route)
{
	return route->max_body;
}

const char *
http_route_pattern(const struct http_route *route)
{
	return route->pattern != NULL ? route->pattern : "-";
}

void
http_methods_format(unsigned methods, char *buf, size_t len)
{
	snprintf(buf, len, "%s%s%s",
	    (methods & HTTP_GET) ? "GET" : "",
	    (methods & HTTP_GET) && (methods & HTTP_POST) ? ", " : "",
	    (methods & HTTP_POST) ? "POST" : "");
}
