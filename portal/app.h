/*
 * The portal application: what every handler shares.  Built once by
 * main.c (or by a test, with an injected clock) and borrowed by handlers
 * as their route argument.
 */
#ifndef SEALPOST_APP_H
#define SEALPOST_APP_H

#include <time.h>

#include "config.h"
#include "masterkey.h"
#include "store.h"

struct http_router;
struct password_list;
struct workpool;
struct throttle;

struct portal {
	const struct config	*cfg;
	struct store		*store;
	const struct masterkey	*mk;
	struct workpool		*pool;		/* sendmail, big reads, compose */
	/* Argon2id (logins, passwords) apart, with a bound of its own, so
	 * that a login storm fills this one and not the pool reads use;
	 * NULL: pool. */
	struct workpool		*hash_pool;
	time_t			(*now)(void);	/* injectable clock */
	struct throttle		*throttle;	/* login throttling (auth.c) */
	struct password_list	*passwords;	/* common passwords (password.h) */
	int			 cookie_secure;	/* 0 only for loopback plain HTTP */
};

/*
 * Register every portal route on r with p as the handlers' argument:
 * routes_auth.c (accounts and sessions), routes_msg.c (inbox and
 * reading) and routes_compose.c (writing).  0 or -1.
 */
int	portal_routes_add(struct http_router *r, struct portal *p);
int	auth_routes_add(struct http_router *r, struct portal *p);
int	msg_routes_add(struct http_router *r, struct portal *p);
/* routes_compose.c: reply, reply all, forward, compose, revoke. */
int	compose_routes_add(struct http_router *r, struct portal *p);
/* routes_account.c: the account page and aliases. */
int	account_routes_add(struct http_router *r, struct portal *p);
/* routes_unsubscribe.c: GET and POST /unsubscribe. */
int	unsubscribe_routes_add(struct http_router *r, struct portal *p);

#endif
