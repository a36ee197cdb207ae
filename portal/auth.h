/*
 * Who is asking: the session behind a request's cookie, and the checks
 * every state-changing form passes.  Implemented in auth.c (sessions,
 * CSRF, Origin) beside routes_auth.c (register, verify, login, logout,
 * forget-me, forgot, reset).
 *
 * The cookie is "__Host-sealpost" (Secure; HttpOnly; SameSite=Strict;
 * Path=/; Secure dropped only for the loopback plain-HTTP case); its value
 * is 256 random bits, stored only as a hash (store_session.key).
 */
#ifndef SEALPOST_AUTH_H
#define SEALPOST_AUTH_H

#include "app.h"
#include "http.h"
#include "store.h"

struct http_form;

#define AUTH_COOKIE	"__Host-sealpost"
#define AUTH_CSRF_LEN	64	/* hex characters */

struct auth_user {
	char		*address;	/* the account's login address */
	int		 professional;	/* address is in internal_domains */
	/* Every address that is this account's: the login address first,
	 * then its confirmed aliases (pending ones never count).  What
	 * decides which messages the user may see (auth_addresses.c). */
	char		**addresses;
	size_t		 naddresses;
	uint8_t		 session_key[STORE_KEY_LEN];
	char		 csrf[AUTH_CSRF_LEN + 1];	/* for forms */
};

enum auth_status {
	AUTH_OK = 0,
	AUTH_NONE,		/* no cookie, or not a known session */
	AUTH_EXPIRED_IDLE,	/* session_idle_timeout passed */
	AUTH_EXPIRED_MAX,	/* session_max_lifetime passed */
	AUTH_IP_CHANGED,	/* session_bind_ip and another address */
	AUTH_DISABLED,		/* the account is disabled or unsubscribed */
	AUTH_ERROR,		/* the store failed */
};

/*
 * The session of req's cookie: enforces expiry and IP binding (an expired
 * session is deleted), touches it, fills *user, its addresses included
 * (clear it with auth_user_clear).  Returns an enum auth_status.
 */
int	auth_session(struct portal *p, struct http_request *req,
	    struct auth_user *user) __attribute__((warn_unused_result));
void	auth_user_clear(struct auth_user *user);

/*
 * auth_addresses.c: fill user->addresses from user->address and the
 * store's confirmed aliases of it, once per request (auth_session does).
 * 0, or -1 (store error or no memory, logged).
 */
int	auth_addresses_load(struct portal *p, struct auth_user *user)
	    __attribute__((warn_unused_result));
/* 1 if address (any case) is one of user's addresses. */
int	auth_user_has(const struct auth_user *user, const char *address);

#define AUTH_ADDRESS_MAX	254

/*
 * Trim, lowercase (ASCII) and check an address typed into a form: one
 * '@' with something on both sides, no blanks, controls or characters
 * that would need quoting.  -1 if it is not one.
 */
int	auth_address_normalize(const char *in,
	    char out[AUTH_ADDRESS_MAX + 1]) __attribute__((warn_unused_result));

/*
 * For every state-changing form: the csrf field equals the session's
 * token (constant-time) and Origin, when sent, is portal_url's origin.
 * 0 or -1.
 */
int	auth_check_csrf(struct portal *p, struct http_request *req,
	    const struct auth_user *user, struct http_form *form)
	    __attribute__((warn_unused_result));

/*
 * Answer a request that needs a session and has none: the expired page
 * that says why (status from auth_session), or a redirect to the login
 * page for AUTH_NONE.  Clears the cookie when there was one.
 */
int	auth_refuse(struct portal *p, struct http_request *req,
	    struct http_response *resp, int status);

/*
 * For routes_auth.c: cookies, tokens and sessions.
 *
 * Cookie names below are the "__Host-" ones, used whenever cookies are
 * Secure; browsers refuse a "__Host-" cookie without Secure, so for the
 * loopback plain-HTTP case (portal.cookie_secure 0) the prefix is
 * dropped ("sealpost", "sealpost-email", "sealpost-pre").
 */
#define AUTH_COOKIE_EMAIL	"__Host-sealpost-email"	/* remembered address */
#define AUTH_COOKIE_PRE		"__Host-sealpost-pre"	/* pre-session CSRF */
#define AUTH_TOKEN_BYTES	32	/* session ids, link and CSRF tokens */
#define AUTH_TOKEN_HEX		(2 * AUTH_TOKEN_BYTES)

/* The name of cookie name (one of the AUTH_COOKIE*) for this portal. */
const char *auth_cookie_name(const struct portal *p, const char *name);
/* The value of cookie name in req copied into buf, or NULL when absent
 * or longer than len - 1. */
const char *auth_cookie_get(const struct portal *p,
	    const struct http_request *req, const char *name, char *buf,
	    size_t len);
/* Set-Cookie (Path=/; Secure unless !cookie_secure; SameSite=Strict;
 * HttpOnly): value NULL deletes it; max_age < 0 makes a session cookie. */
int	auth_cookie_set(const struct portal *p, struct http_response *resp,
	    const char *name, const char *value, long max_age)
	    __attribute__((warn_unused_result));

/* A fresh token: hex for the link or cookie, its hash for the store. */
void	auth_token_new(char hex[AUTH_TOKEN_HEX + 1],
	    uint8_t key[STORE_KEY_LEN]);
/* The store key of a token given as AUTH_TOKEN_HEX lowercase hex digits;
 * -1 if it is not one. */
int	auth_token_key(const char *hex, uint8_t key[STORE_KEY_LEN])
	    __attribute__((warn_unused_result));

/* 0 when Origin is absent or is portal_url's origin, else -1. */
int	auth_check_origin(const struct portal *p,
	    const struct http_request *req)
	    __attribute__((warn_unused_result));
/* Forms shown without a session (login, register, forgot, verify,
 * reset): Origin, and the csrf field equals the AUTH_COOKIE_PRE cookie
 * (double submit).  0 or -1. */
int	auth_check_pre(const struct portal *p, const struct http_request *req,
	    const struct http_form *form) __attribute__((warn_unused_result));
/* The pre-session token for a form: the request's cookie, or a new one
 * set on resp.  0 or -1. */
int	auth_pre_token(const struct portal *p, const struct http_request *req,
	    struct http_response *resp, char out[AUTH_TOKEN_HEX + 1])
	    __attribute__((warn_unused_result));

/*
 * Create a session for address seen from ip: a new random id (returned
 * in id, for the cookie; never logged), stored hashed with a new CSRF
 * secret.  Store only: safe on a worker thread.  0 or -1.
 */
int	auth_session_new(struct portal *p, const char *address,
	    const char *ip, char id[AUTH_TOKEN_HEX + 1])
	    __attribute__((warn_unused_result));
/* Delete the session of req's cookie, if any, and clear the cookie on
 * resp.  0 or -1 (store failure). */
int	auth_session_end(struct portal *p, const struct http_request *req,
	    struct http_response *resp) __attribute__((warn_unused_result));

/* Why a session ended, a sentence for pages (status from auth_session). */
void	auth_status_text(const struct portal *p, int status, char *buf,
	    size_t len);
/* "24 hours", "15 minutes", "2 days". */
void	auth_format_duration(uint64_t seconds, char *buf, size_t len);

#endif
