/*
 * The portal's route table: SPEC "Portal routes".
 */
#include "app.h"
#include "http_router.h"
#include "static.h"

int
portal_routes_add(struct http_router *r, struct portal *p)
{
	if (http_router_add(r, HTTP_GET, "/static/*", 0, handle_static,
	    NULL) == -1)
		return -1;
	if (auth_routes_add(r, p) == -1 || msg_routes_add(r, p) == -1 ||
	    compose_routes_add(r, p) == -1)
		return -1;
	if (account_routes_add(r, p) == -1 ||
	    unsubscribe_routes_add(r, p) == -1)
		return -1;
	return 0;
}
