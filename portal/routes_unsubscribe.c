/*
 * GET and POST /unsubscribe (SPEC "Unsubscribe"): the account stops
 * receiving notifications and loses access to every message received
 * so far (unsubscribe.h does it).  Always with a confirmation:
 *
 *   - logged in: GET shows what happens and a button; POST with the
 *     session's csrf unsubscribes and ends the session;
 *   - logged out: GET asks for the address; POST with "email" answers
 *     the same neutral page for every address and mails a single-use
 *     link (link.h: throttled, once per address per window, only to an
 *     address that can receive secure messages from us);
 *   - the link: GET ?token=T shows the address and a Confirm button
 *     (mail scanners fetch links: a GET never unsubscribes); POST with
 *     "token" takes it, once, and unsubscribes.
 *
 * Forms without a session carry the pre-session csrf (auth_check_pre),
 * as /verify and /reset do.  The store work is a few short writes, done
 * on the loop like the other account changes; only the mail goes to the
 * worker pool.
 */
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "app.h"
#include "auth.h"
#include "http.h"
#include "http_form.h"
#include "http_router.h"
#include "link.h"
#include "log.h"
#include "page.h"
#include "page_form.h"
#include "store.h"
#include "unsubscribe.h"

#define UNSUB_FORM_MAX_BODY	(16 * 1024)

static int	unsub_link_allowed(struct portal *, const char *);
static uint64_t	unsub_link_lifetime(const struct config *);

static const struct link_spec unsub_link = {
	STORE_TOKEN_UNSUBSCRIBE, "/unsubscribe", "unsubscribe.txt",
	"Confirm: unsubscribe from secure messages", "unsubscribe",
	"no secure messages for it, an alias, or already unsubscribed",
	unsub_link_lifetime, unsub_link_allowed, 1
};

static time_t
now_of(const struct portal *p)
{
	return p->now != NULL ? p->now() : time(NULL);
}

static uint64_t
unsub_link_lifetime(const struct config *cfg)
{
	return cfg->verify_link_lifetime;
}

/*
 * Only an address that could receive secure messages from us gets a
 * link: an account not yet unsubscribed, an internal address, or a
 * recipient of a stored message.  Not a confirmed alias (its master
 * decides, logged in).
 */
static int
unsub_link_allowed(struct portal *p, const char *address)
{
	struct store_account	a;
	struct store_alias	al;
	int			st, ok;

	if ((st = store_get_alias(p->store, address, &al)) == STORE_OK) {
		ok = al.status != STORE_ALIAS_CONFIRMED;
		store_alias_clear(&al);
		if (!ok)
			return 0;
	} else if (st != STORE_NOTFOUND)
		return -1;
	st = store_get_account(p->store, address, &a);
	if (st == STORE_OK) {
		ok = (a.flags & STORE_ACCOUNT_UNSUBSCRIBED) == 0;
		store_account_clear(&a);
		return ok;
	}
	if (st != STORE_NOTFOUND)
		return -1;
	return link_invited(p, address);
}

/*
 * Pages.
 */

static void
render_consequences(struct http_response *resp)
{
	page_printf(resp, "<ul>\n"
	    "<li>You will receive no more notifications of secure messages. "
	    "Whoever sends you one is told that you unsubscribed.</li>\n"
	    "<li>You lose access to every message you received so far, and "
	    "you can no longer log in.</li>\n"
	    "<li>This cannot be undone here in the portal. Only an "
	    "administrator of this service can re-enable your address.</li>\n"
	    "</ul>\n");
}

static void
render_confirm(struct http_response *resp, const struct auth_user *user)
{
	resp->status = 200;
	page_begin(resp, "Unsubscribe", user);
	page_printf(resp, "<h1>Unsubscribe from secure messages</h1>\n"
	    "<p>Unsubscribe <strong>");
	page_text(resp, user->address);
	page_printf(resp, "</strong>?</p>\n");
	render_consequences(resp);
	page_printf(resp, "<form method=\"post\" action=\"/unsubscribe\">\n");
	page_csrf_field(resp, user);
	page_printf(resp, "\n<button type=\"submit\">Unsubscribe</button>\n"
	    "<a class=\"button secondary\" href=\"/inbox\">Cancel</a>\n"
	    "</form>\n");
	page_end(resp);
}

static void
render_email_form(struct http_response *resp, int status, const char *pre,
    const char *email, const char *error)
{
	resp->status = status;
	page_begin(resp, "Unsubscribe", NULL);
	page_printf(resp, "<h1>Unsubscribe from secure messages</h1>\n"
	    "<p>Enter the email address that receives the notifications. We "
	    "will email it a link to confirm that you want to unsubscribe; "
	    "nothing changes until you confirm.</p>\n");
	page_form_error(resp, error);
	page_printf(resp, "<form method=\"post\" action=\"/unsubscribe\">\n");
	page_hidden(resp, "csrf", pre);
	page_printf(resp, "<label for=\"email\">Email address</label>\n"
	    "<input id=\"email\" name=\"email\" type=\"email\" "
	    "autocomplete=\"email\" required autofocus maxlength=\"%d\"%s "
	    "value=\"", AUTH_ADDRESS_MAX,
	    error != NULL ? " aria-describedby=\"form-error\"" : "");
	page_text(resp, email != NULL ? email : "");
	page_printf(resp, "\">\n<button type=\"submit\">Send the link</button>\n"
	    "</form>\n<p>Have a password? <a href=\"/\">Log in</a> and "
	    "unsubscribe without waiting for an email.</p>\n");
	page_end(resp);
}

static void
render_token_confirm(struct http_response *resp, const char *pre,
    const char *hex, const char *address)
{
	resp->status = 200;
	page_begin(resp, "Unsubscribe", NULL);
	page_printf(resp, "<h1>Unsubscribe from secure messages</h1>\n"
	    "<p>Unsubscribe <strong>");
	page_text(resp, address);
	page_printf(resp, "</strong>?</p>\n");
	render_consequences(resp);
	page_printf(resp, "<form method=\"post\" action=\"/unsubscribe\">\n");
	page_hidden(resp, "csrf", pre);
	page_hidden(resp, "token", hex);
	page_printf(resp, "<button type=\"submit\">Confirm: unsubscribe"
	    "</button>\n<a class=\"button secondary\" href=\"/\">Cancel</a>\n"
	    "</form>\n");
	page_end(resp);
}

static void
render_link_invalid(struct http_response *resp)
{
	resp->status = 400;
	page_begin(resp, "This link does not work", NULL);
	page_printf(resp, "<h1>This link does not work</h1>\n"
	    "<p>It may have expired or have been used already. Links work "
	    "once, for a limited time.</p>\n<p><a href=\"/unsubscribe\">Ask "
	    "for a new link</a></p>\n");
	page_end(resp);
}

static void
render_done(struct http_response *resp, const char *address)
{
	resp->status = 200;
	page_begin(resp, "Unsubscribed", NULL);
	page_printf(resp, "<h1>You are unsubscribed</h1>\n<p><strong>");
	page_text(resp, address);
	page_printf(resp, "</strong> will receive no more notifications of "
	    "secure messages, and the messages it received can no longer be "
	    "opened here, and its sessions have ended.</p>\n<p>If this was a "
	    "mistake, ask the administrator of this service to re-enable "
	    "your address.</p>\n");
	page_end(resp);
}

static void
render_alias(struct http_response *resp, const char *address)
{
	resp->status = 409;
	page_begin(resp, "This address is an alias", NULL);
	page_printf(resp, "<h1>This address is an alias</h1>\n<p><strong>");
	page_text(resp, address);
	page_printf(resp, "</strong> is an alias of another account. Log in "
	    "with that account to remove the alias, or to unsubscribe the "
	    "account.</p>\n");
	page_end(resp);
}

/*
 * Unsubscribe address and answer; how is for the log line.  With
 * end_cookie (the request's own session was that account's) the cookie
 * is cleared too; a link confirmed from another account's browser
 * leaves that account logged in.
 */
static int
unsubscribe_now(struct portal *p, struct http_request *req,
    struct http_response *resp, const char *address, const char *how,
    int end_cookie)
{
	struct unsubscribe_result	res;
	int				st;

	st = unsubscribe_address(p->store, address, (int64_t)now_of(p), &res);
	switch (st) {
	case UNSUBSCRIBE_DONE:
	case UNSUBSCRIBE_ALREADY:
		log_info("%s unsubscribe address=%s via=%s%s", req->id,
		    address, how, st == UNSUBSCRIBE_ALREADY ? " (already)" : "");
		break;
	case UNSUBSCRIBE_ALIAS:
		log_info("%s unsubscribe refused address=%s: alias", req->id,
		    address);
		render_alias(resp, address);
		return HTTP_HANDLER_DONE;
	default:
		log_warnx("%s cannot unsubscribe %s: %s: %s", req->id, address,
		    res.failed, store_strerror(res.store_status));
		return HTTP_HANDLER_ERROR;
	}
	/* Its sessions are gone; the cookie of this one goes too. */
	if (end_cookie && auth_session_end(p, req, resp) == -1)
		return HTTP_HANDLER_ERROR;
	render_done(resp, address);
	return HTTP_HANDLER_DONE;
}

/*
 * GET /unsubscribe: the link's page, the confirmation, or the form.
 */
static int
unsub_get(struct http_request *req, struct http_response *resp,
    struct portal *p)
{
	struct http_form	*q = NULL;
	struct store_token	 t;
	struct auth_user	 user;
	uint8_t			 key[STORE_KEY_LEN];
	char			 pre[AUTH_TOKEN_HEX + 1];
	const char		*hex = NULL;
	int			 rc = HTTP_HANDLER_DONE, st;

	memset(&t, 0, sizeof(t));
	memset(&user, 0, sizeof(user));
	memset(key, 0, sizeof(key));
	if (http_request_query(req, &q) == 0)
		hex = http_form_get(q, "token");
	if (hex != NULL) {
		if ((st = link_lookup(p, &unsub_link, hex, key, &t)) == -1)
			rc = HTTP_HANDLER_ERROR;
		else if (st == 1)
			render_link_invalid(resp);
		else if (auth_pre_token(p, req, resp, pre) == -1)
			rc = HTTP_HANDLER_ERROR;
		else
			render_token_confirm(resp, pre, hex, t.address);
		goto done;
	}
	st = auth_session(p, req, &user);
	if (st == AUTH_OK) {
		render_confirm(resp, &user);
		goto done;
	}
	if (st == AUTH_ERROR) {
		rc = HTTP_HANDLER_ERROR;
		goto done;
	}
	/* An ended session's cookie goes. */
	if (auth_session_end(p, req, resp) == -1 ||
	    auth_pre_token(p, req, resp, pre) == -1) {
		rc = HTTP_HANDLER_ERROR;
		goto done;
	}
	render_email_form(resp, 200, pre, NULL, NULL);
done:
	sodium_memzero(key, sizeof(key));
	store_token_clear(&t);
	auth_user_clear(&user);
	http_form_free(q);
	return rc;
}

/* POST with "token": the link's Confirm button. */
static int
unsub_post_token(struct http_request *req, struct http_response *resp,
    struct portal *p, const char *hex)
{
	struct store_token	t;
	uint8_t			key[STORE_KEY_LEN];
	int			st, rc;

	memset(&t, 0, sizeof(t));
	if (auth_token_key(hex, key) == -1) {
		render_link_invalid(resp);
		return HTTP_HANDLER_DONE;
	}
	/* Used up here: a second Confirm finds nothing. */
	st = store_take_token(p->store, key, STORE_TOKEN_UNSUBSCRIBE,
	    now_of(p), &t);
	sodium_memzero(key, sizeof(key));
	if (st == STORE_NOTFOUND) {
		render_link_invalid(resp);
		return HTTP_HANDLER_DONE;
	}
	if (st != STORE_OK) {
		log_warnx("%s cannot take a link token: %s", req->id,
		    store_strerror(st));
		return HTTP_HANDLER_ERROR;
	}
	rc = unsubscribe_now(p, req, resp, t.address, "link", 0);
	store_token_clear(&t);
	return rc;
}

/* POST with "email", without a session: the neutral answer. */
static int
unsub_post_email(struct http_request *req, struct http_response *resp,
    struct portal *p, const char *email)
{
	char	addr[AUTH_ADDRESS_MAX + 1], pre[AUTH_TOKEN_HEX + 1];
	char	life[64], text[512];

	if (auth_cookie_get(p, req, AUTH_COOKIE_PRE, pre, sizeof(pre)) ==
	    NULL)
		pre[0] = '\0';
	if (auth_address_normalize(email, addr) == -1) {
		render_email_form(resp, 400, pre, email,
		    "Enter a valid email address, like name@example.com.");
		return HTTP_HANDLER_DONE;
	}
	if (link_request(p, req, &unsub_link, addr) == -1) {
		page_busy(resp);
		return HTTP_HANDLER_DONE;
	}
	auth_format_duration(unsub_link.lifetime(p->cfg), life, sizeof(life));
	snprintf(text, sizeof(text), "If this address can receive secure "
	    "messages through sealpost, a link has been sent to it. Open it "
	    "to confirm that you want to unsubscribe: nothing changes until "
	    "then. The link works once and expires in %s. If nothing arrives "
	    "within a few minutes, check your spam folder.", life);
	page_message(resp, 200, NULL, "Check your email", text);
	return HTTP_HANDLER_DONE;
}

static int
unsub_post(struct http_request *req, struct http_response *resp,
    struct portal *p)
{
	struct http_form	*form = NULL;
	struct auth_user	 user;
	const char		*hex, *email;
	int			 rc, st;

	memset(&user, 0, sizeof(user));
	if (http_request_form(req, &form) == -1) {
		page_bad_form(resp);
		return HTTP_HANDLER_DONE;
	}
	hex = http_form_get(form, "token");
	email = http_form_get(form, "email");
	if (hex != NULL || email != NULL) {
		/* The forms shown without a session. */
		if (auth_check_pre(p, req, form) == -1) {
			page_csrf_refused(resp);
			rc = HTTP_HANDLER_DONE;
		} else if (hex != NULL)
			rc = unsub_post_token(req, resp, p, hex);
		else
			rc = unsub_post_email(req, resp, p, email);
		goto done;
	}
	if ((st = auth_session(p, req, &user)) != AUTH_OK) {
		rc = auth_refuse(p, req, resp, st);
		goto done;
	}
	if (auth_check_csrf(p, req, &user, form) == -1) {
		page_csrf_refused(resp);
		rc = HTTP_HANDLER_DONE;
		goto done;
	}
	rc = unsubscribe_now(p, req, resp, user.address, "portal", 1);
done:
	auth_user_clear(&user);
	http_form_free(form);
	return rc;
}

static int
handle_unsubscribe(struct http_request *req, struct http_response *resp,
    void *arg)
{
	if (req->method == HTTP_POST)
		return unsub_post(req, resp, arg);
	return unsub_get(req, resp, arg);
}

int
unsubscribe_routes_add(struct http_router *r, struct portal *p)
{
	if (p->cfg == NULL || p->store == NULL || p->pool == NULL ||
	    p->throttle == NULL) {
		log_warnx("unsubscribe routes: the portal is not fully set up");
		return -1;
	}
	return http_router_add(r, HTTP_GET | HTTP_POST, "/unsubscribe",
	    UNSUB_FORM_MAX_BODY, handle_unsubscribe, p);
}
