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
 * session is deleted), touches it, fills *user (clear it with
 * auth_user_clear).  Returns an enum auth_status.
 */
int	auth_session(struct portal *p, struct http_request *req,
	    struct auth_user *user) __attribute__((warn_unused_result));
void	auth_user_clear(struct auth_user *user);

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

#endif
