/*
 * Route patterns: exact, '*' segments, a '**' rest, precedence, 405
 * with the union of allowed methods, and malformed patterns.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "http.h"
#include "http_reader.h"
#include "http_router.h"

/* Each handler's arg is its name, so a match shows which route won. */
static int
h(struct http_request *req, struct http_response *resp, void *arg)
{
	return HTTP_HANDLER_DONE;
}

static const struct {
	unsigned	 methods;
	const char	*pattern;
	uint64_t	 max_body;
} routes[] = {
	{ HTTP_GET, "/", 0 },
	{ HTTP_GET, "/login", 0 },
	{ HTTP_POST, "/login", 0 },
	{ HTTP_GET, "/m/*", 0 },
	{ HTTP_GET, "/m/*/raw", 0 },
	{ HTTP_GET, "/m/*/part/*", 0 },
	{ HTTP_POST, "/m/*/reply", 100 * 1024 * 1024 },
	{ HTTP_GET, "/m/special", 0 },
	{ HTTP_GET, "/static/**", 0 },
	{ HTTP_GET | HTTP_POST, "/a/*/**", 0 },
};

static const struct {
	const char	*label;
	int		 method;
	const char	*path;
	int		 want;
	const char	*pattern;	/* route that must win */
	const char	*params;	/* params joined by '|' */
	unsigned	 allow;
} lookups[] = {
	{ "root", HTTP_GET, "/", HTTP_ROUTE_FOUND, "/", "", 0 },
	{ "exact GET", HTTP_GET, "/login", HTTP_ROUTE_FOUND, "/login", "", 0 },
	{ "exact POST", HTTP_POST, "/login", HTTP_ROUTE_FOUND, "/login", "",
	    0 },
	{ "one star", HTTP_GET, "/m/abc", HTTP_ROUTE_FOUND, "/m/*", "abc", 0 },
	{ "star then literal", HTTP_GET, "/m/abc/raw", HTTP_ROUTE_FOUND,
	    "/m/*/raw", "abc", 0 },
	{ "two stars", HTTP_GET, "/m/abc/part/3", HTTP_ROUTE_FOUND,
	    "/m/*/part/*", "abc|3", 0 },
	{ "exact beats star", HTTP_GET, "/m/special", HTTP_ROUTE_FOUND,
	    "/m/special", "", 0 },
	{ "rest", HTTP_GET, "/static/css/style.css", HTTP_ROUTE_FOUND,
	    "/static/**", "css/style.css", 0 },
	{ "star and rest", HTTP_POST, "/a/b/c/d", HTTP_ROUTE_FOUND, "/a/*/**",
	    "b|c/d", 0 },
	{ "rest needs something", HTTP_GET, "/static/", HTTP_ROUTE_NOT_FOUND,
	    NULL, NULL, 0 },
	{ "empty star", HTTP_GET, "/m//raw", HTTP_ROUTE_NOT_FOUND, NULL, NULL,
	    0 },
	{ "trailing slash", HTTP_GET, "/login/", HTTP_ROUTE_NOT_FOUND, NULL,
	    NULL, 0 },
	{ "too deep", HTTP_GET, "/m/a/part/3/x", HTTP_ROUTE_NOT_FOUND, NULL,
	    NULL, 0 },
	{ "prefix only", HTTP_GET, "/log", HTTP_ROUTE_NOT_FOUND, NULL, NULL,
	    0 },
	{ "longer", HTTP_GET, "/loginx", HTTP_ROUTE_NOT_FOUND, NULL, NULL, 0 },
	{ "bad method", HTTP_POST, "/m/abc", HTTP_ROUTE_BAD_METHOD, NULL, NULL,
	    HTTP_GET },
	{ "bad method on reply", HTTP_GET, "/m/abc/reply",
	    HTTP_ROUTE_BAD_METHOD, NULL, NULL, HTTP_POST },
	{ "unknown", HTTP_GET, "/nowhere", HTTP_ROUTE_NOT_FOUND, NULL, NULL, 0 },
	{ "method 0", 0, "/", HTTP_ROUTE_BAD_METHOD, NULL, NULL, HTTP_GET },
};

static struct http_router *
make_router(void)
{
	struct http_router	*r;
	size_t			 i;

	r = http_router_new();
	assert_non_null(r);
	for (i = 0; i < sizeof(routes) / sizeof(routes[0]); i++)
		assert_int_equal(http_router_add(r, routes[i].methods,
		    routes[i].pattern, routes[i].max_body, h, NULL), 0);
	return r;
}

static void
test_lookups(void **state)
{
	struct http_router	*r = make_router();
	struct http_route_match	 m;
	struct http_request	*req;
	char			 joined[256];
	size_t			 i, k;
	int			 rc;

	for (i = 0; i < sizeof(lookups) / sizeof(lookups[0]); i++) {
		rc = http_router_match(r, lookups[i].method, lookups[i].path,
		    &m);
		if (rc != lookups[i].want)
			fail_msg("%s: result %d, want %d", lookups[i].label, rc,
			    lookups[i].want);
		if (rc == HTTP_ROUTE_BAD_METHOD && m.allow != lookups[i].allow)
			fail_msg("%s: allow %u", lookups[i].label, m.allow);
		if (rc != HTTP_ROUTE_FOUND)
			continue;
		if (strcmp(http_route_pattern(m.route), lookups[i].pattern) != 0)
			fail_msg("%s: matched %s", lookups[i].label,
			    http_route_pattern(m.route));
		req = http_request_new();
		assert_non_null(req);
		req->path = strdup(lookups[i].path);
		assert_int_equal(http_router_bind(&m, req), 0);
		joined[0] = '\0';
		for (k = 0; k < req->nparams; k++) {
			if (k > 0)
				strcat(joined, "|");
			strcat(joined, http_request_param(req, k));
		}
		assert_null(http_request_param(req, req->nparams));
		if (strcmp(joined, lookups[i].params) != 0)
			fail_msg("%s: params %s", lookups[i].label, joined);
		http_request_free(req);
	}
	http_router_free(r);
}

static void
test_limits_and_fallback(void **state)
{
	struct http_router	*r = make_router();
	struct http_route_match	 m;
	char			 buf[32];

	assert_int_equal(http_router_match(r, HTTP_POST, "/m/x/reply", &m),
	    HTTP_ROUTE_FOUND);
	assert_int_equal(http_route_max_body(m.route), 100 * 1024 * 1024);
	assert_int_equal(http_router_match(r, HTTP_POST, "/login", &m),
	    HTTP_ROUTE_FOUND);
	assert_int_equal(http_route_max_body(m.route), HTTP_MAX_BODY);
	assert_ptr_equal(http_route_handler(m.route), h);

	assert_null(http_router_fallback(r));
	http_router_set_fallback(r, h, buf);
	assert_non_null(http_router_fallback(r));
	assert_ptr_equal(http_route_arg(http_router_fallback(r)), buf);

	http_methods_format(HTTP_GET | HTTP_POST, buf, sizeof(buf));
	assert_string_equal(buf, "GET, POST");
	http_methods_format(HTTP_POST, buf, sizeof(buf));
	assert_string_equal(buf, "POST");
	http_router_free(r);
	http_router_free(NULL);
}

static void
test_bad_patterns(void **state)
{
	struct http_router	*r = http_router_new();
	static const char *const bad[] = {
		"", "login", "/a/**/b", "/a*", "/*x", "/***", "/*/*/*/*/*",
	};
	size_t			 i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (http_router_add(r, HTTP_GET, bad[i], 0, h, NULL) != -1)
			fail_msg("pattern \"%s\" accepted", bad[i]);
	assert_int_equal(http_router_add(r, 0, "/", 0, h, NULL), -1);
	assert_int_equal(http_router_add(r, 0x80, "/", 0, h, NULL), -1);
	assert_int_equal(http_router_add(r, HTTP_GET, "/", 0, NULL, NULL), -1);
	assert_int_equal(http_router_add(r, HTTP_GET, "/*/*/*/*", 0, h, NULL),
	    0);
	http_router_free(r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lookups),
		cmocka_unit_test(test_limits_and_fallback),
		cmocka_unit_test(test_bad_patterns),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
