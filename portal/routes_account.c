/*
 * The account page and aliases (SPEC "Aliases"): GET /account,
 * POST /account/aliases (add, remove), POST /account/aliases/promote,
 * GET and POST /alias/confirm.
 *
 * Only professional users manage aliases, and only with
 * alias_management = yes; the POST routes refuse everyone else, whatever
 * the page showed.  An added alias is pending until the link mailed to
 * it is confirmed (GET shows a Confirm button, POST uses the token, so
 * that mail scanners that fetch links confirm nothing).  When the alias
 * is itself a registered account, its password is asked at add time
 * (checked on the worker pool, throttled like logins), the token says
 * "merge", and confirming removes that account and its sessions: its
 * messages then show in the master's inbox (auth_addresses.c).
 *
 * Token data: "merge" when the alias's account password was checked,
 * "" otherwise.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "app.h"
#include "auth.h"
#include "http.h"
#include "http_form.h"
#include "http_router.h"
#include "log.h"
#include "mail_link.h"
#include "page.h"
#include "password.h"
#include "store.h"
#include "throttle.h"
#include "workpool.h"

#define ACCOUNT_MAX_BODY	(16 * 1024)
#define ALIAS_TOKEN_MERGE	"merge"
#define ALIAS_CONFIRM_PATH	"/alias/confirm"

#define WRONG_PASSWORD_TEXT	"The password of that address's account is " \
	"not correct. After several failed attempts, trying is paused for a " \
	"few minutes."

static time_t
now_of(const struct portal *p)
{
	return p->now != NULL ? p->now() : time(NULL);
}

/* Who may manage aliases: decided here, for the page and every POST. */
static int
alias_managed(const struct portal *p, const struct auth_user *user)
{
	return p->cfg->alias_management && user->professional;
}

/*
 * The page.
 */
struct alias_rows {
	struct store_alias	*v;
	size_t			 n;
	int			 oom;
};

static int
alias_rows_add(void *arg, const struct store_alias *a)
{
	struct alias_rows	*r = arg;
	struct store_alias	*v;

	if ((v = reallocarray(r->v, r->n + 1, sizeof(*v))) == NULL)
		goto oom;
	r->v = v;
	memset(&v[r->n], 0, sizeof(v[r->n]));
	if ((v[r->n].alias = strdup(a->alias)) == NULL ||
	    (v[r->n].master = strdup(a->master)) == NULL) {
		store_alias_clear(&v[r->n]);
		goto oom;
	}
	v[r->n].status = a->status;
	v[r->n].created = a->created;
	r->n++;
	return 0;
 oom:
	r->oom = 1;
	return 1;
}

static void
alias_rows_clear(struct alias_rows *r)
{
	size_t	i;

	for (i = 0; i < r->n; i++)
		store_alias_clear(&r->v[i]);
	free(r->v);
	memset(r, 0, sizeof(*r));
}

static void
render_alias_form(struct http_response *resp, const struct auth_user *user,
    const char *action, const char *alias, const char *label,
    const char *class)
{
	page_printf(resp, "<form method=\"post\" action=\"%s\" "
	    "class=\"inline\">", action);
	page_csrf_field(resp, user);
	if (strcmp(action, "/account/aliases") == 0)
		page_printf(resp, "<input type=\"hidden\" name=\"action\" "
		    "value=\"remove\">");
	page_printf(resp, "<input type=\"hidden\" name=\"alias\" value=\"");
	page_text(resp, alias);
	page_printf(resp, "\"><button type=\"submit\"%s%s%s>%s</button>"
	    "</form>", class != NULL ? " class=\"" : "",
	    class != NULL ? class : "", class != NULL ? "\"" : "", label);
}

static void
render_alias_table(struct http_response *resp, const struct auth_user *user,
    const struct alias_rows *rows)
{
	size_t	i;

	page_printf(resp, "<h2>Your other addresses</h2>\n<p>Secure "
	    "messages sent to a confirmed address arrive in this account's "
	    "inbox. A new address stays pending until the link sent to it "
	    "is used.</p>\n");
	if (rows->n == 0) {
		page_printf(resp, "<p>No other addresses yet.</p>\n");
		return;
	}
	page_printf(resp, "<table class=\"aliases\">\n<thead><tr>"
	    "<th scope=\"col\">Address</th><th scope=\"col\">Status</th>"
	    "<th scope=\"col\">Actions</th></tr></thead>\n<tbody>\n");
	for (i = 0; i < rows->n; i++) {
		page_printf(resp, "<tr><td>");
		page_text(resp, rows->v[i].alias);
		page_printf(resp, "</td><td>%s</td><td>",
		    rows->v[i].status == STORE_ALIAS_CONFIRMED ? "confirmed" :
		    "pending");
		if (rows->v[i].status == STORE_ALIAS_CONFIRMED)
			render_alias_form(resp, user,
			    "/account/aliases/promote", rows->v[i].alias,
			    "Promote to master", "secondary");
		render_alias_form(resp, user, "/account/aliases",
		    rows->v[i].alias, "Remove", "secondary");
		page_printf(resp, "</td></tr>\n");
	}
	page_printf(resp, "</tbody>\n</table>\n");
}

static void
render_add_form(struct http_response *resp, const struct auth_user *user,
    const char *value, int error)
{
	page_printf(resp, "<h2>Add an address</h2>\n"
	    "<form method=\"post\" action=\"/account/aliases\">\n");
	page_csrf_field(resp, user);
	page_printf(resp, "<input type=\"hidden\" name=\"action\" "
	    "value=\"add\">\n<label for=\"alias\">Email address</label>\n"
	    "<input id=\"alias\" name=\"alias\" type=\"email\" required "
	    "maxlength=\"%d\"%s value=\"", AUTH_ADDRESS_MAX,
	    error ? " aria-describedby=\"form-error\"" : "");
	page_text(resp, value != NULL ? value : "");
	page_printf(resp, "\">\n<label for=\"alias-password\">Password of "
	    "that address (only if it has its own account here)</label>\n"
	    "<p id=\"alias-password-help\" class=\"muted\">Leave it empty "
	    "for an address without an account. If it has one, its messages "
	    "move to this account once the address is confirmed, and that "
	    "account is closed.</p>\n"
	    "<input id=\"alias-password\" name=\"password\" type=\"password\" "
	    "autocomplete=\"off\" aria-describedby=\"alias-password-help\">\n"
	    "<button type=\"submit\">Add the address</button>\n</form>\n");
}

/*
 * The account page, with a notice or an error (either may be NULL) and
 * the value to put back in the add form.  0, or -1 on a store error.
 */
static int
render_account(struct portal *p, struct http_response *resp, int status,
    const struct auth_user *user, const char *notice, const char *error,
    const char *value)
{
	struct alias_rows	rows;
	size_t			i;
	int			st, managed = alias_managed(p, user);

	memset(&rows, 0, sizeof(rows));
	if (managed) {
		st = store_list_aliases(p->store, user->address,
		    alias_rows_add, &rows);
		if (rows.oom || (st != STORE_OK && st != STORE_NOTFOUND)) {
			log_warnx("account: cannot list the aliases of %s: %s",
			    user->address, rows.oom ? "out of memory" :
			    store_strerror(st));
			alias_rows_clear(&rows);
			return -1;
		}
	}
	resp->status = status;
	page_begin(resp, "Your account", user);
	page_printf(resp, "<h1>Your account</h1>\n");
	if (notice != NULL) {
		page_printf(resp, "<p class=\"notice\" role=\"status\">");
		page_text(resp, notice);
		page_printf(resp, "</p>\n");
	}
	if (error != NULL) {
		page_printf(resp, "<p class=\"error\" role=\"alert\" "
		    "id=\"form-error\">");
		page_text(resp, error);
		page_printf(resp, "</p>\n");
	}
	page_printf(resp, "<dl class=\"account\">\n<dt>Login address</dt>"
	    "<dd id=\"login-address\">");
	page_text(resp, user->address);
	page_printf(resp, "</dd>\n<dt>Role</dt><dd id=\"role\">%s</dd>\n"
	    "</dl>\n", user->professional ? "Professional user (this "
	    "organisation): you can write new secure messages" : "Guest: you "
	    "can read and answer the secure messages you receive");
	if (managed) {
		render_alias_table(resp, user, &rows);
		render_add_form(resp, user, value, error != NULL);
	} else if (user->naddresses > 1) {
		/* Set by an administrator: shown, not managed here. */
		page_printf(resp, "<h2>Your other addresses</h2>\n<ul>\n");
		for (i = 1; i < user->naddresses; i++) {
			page_printf(resp, "<li>");
			page_text(resp, user->addresses[i]);
			page_printf(resp, "</li>\n");
		}
		page_printf(resp, "</ul>\n");
	}
	page_printf(resp, "<h2>Elsewhere</h2>\n<ul>\n"
	    "<li><a href=\"/inbox\">Back to the inbox</a></li>\n"
	    "<li><a href=\"/unsubscribe\">Unsubscribe</a>: stop receiving "
	    "secure messages and lose access to those received so far</li>\n"
	    "</ul>\n");
	page_end(resp);
	alias_rows_clear(&rows);
	return 0;
}

static int
answer_account(struct portal *p, struct http_response *resp, int status,
    const struct auth_user *user, const char *notice, const char *error,
    const char *value)
{
	if (render_account(p, resp, status, user, notice, error, value) == -1)
		return HTTP_HANDLER_ERROR;
	return HTTP_HANDLER_DONE;
}

static void
render_not_managed(struct http_response *resp, const struct auth_user *user)
{
	page_message(resp, 403, user, "Not available",
	    "Adding addresses to an account is for users of this "
	    "organisation, when the administrator allows it.");
}

static void
render_csrf_refused(struct http_response *resp, const struct auth_user *user)
{
	page_message(resp, 403, user, "This form has expired",
	    "The form was sent from another site, or it has expired. Go "
	    "back, reload the page and try again.");
}

static void
render_bad_form(struct http_response *resp)
{
	page_message(resp, 400, NULL, "Bad request",
	    "The form could not be read. Go back, reload the page and try "
	    "again.");
}

static void
render_busy(struct http_response *resp, const struct auth_user *user)
{
	page_message(resp, 503, user, "Busy",
	    "The server is busy; nothing was changed. Please try again in a "
	    "moment.");
	if (http_response_set_header(resp, "Retry-After", "5") == -1)
		log_warnx("cannot set Retry-After");
}

/*
 * GET /account.
 */
static int
handle_account(struct http_request *req, struct http_response *resp,
    void *arg)
{
	struct portal		*p = arg;
	struct auth_user	 user;
	int			 st, rc;

	if ((st = auth_session(p, req, &user)) != AUTH_OK) {
		rc = auth_refuse(p, req, resp, st);
		auth_user_clear(&user);
		return rc;
	}
	rc = answer_account(p, resp, 200, &user, NULL, NULL, NULL);
	auth_user_clear(&user);
	return rc;
}

/*
 * POST /account/aliases, action=add: checks on the loop, then the
 * password (Argon2id) and the mail on the worker pool.
 */
enum alias_result {
	ALIAS_SENT = 0,
	ALIAS_WRONG_PASSWORD,
	ALIAS_TAKEN,
	ALIAS_MAIL_FAILED,
	ALIAS_ERROR,
};

struct alias_job {
	struct portal		*p;
	struct http_request	*req;
	struct http_response	*resp;
	struct auth_user	 user;		/* owned */
	char			 alias[AUTH_ADDRESS_MAX + 1];
	char			*password;	/* sodium_malloc, when merge */
	char			 hash[crypto_pwhash_STRBYTES];
	int			 merge;		/* alias is an account */
	int			 result;	/* enum alias_result */
};

static void
alias_job_free(struct alias_job *j)
{
	if (j == NULL)
		return;
	if (j->password != NULL)
		sodium_free(j->password);
	auth_user_clear(&j->user);
	sodium_memzero(j, sizeof(*j));
	free(j);
}

static void
alias_work(void *arg)
{
	struct alias_job	*j = arg;
	struct portal		*p = j->p;
	struct store_alias	 al;
	struct mail_link	 l;
	int			 st;

	j->result = ALIAS_ERROR;
	if (j->merge) {
		st = crypto_pwhash_str_verify(j->hash, j->password,
		    strlen(j->password));
		sodium_free(j->password);
		j->password = NULL;
		if (st != 0) {
			j->result = ALIAS_WRONG_PASSWORD;
			return;
		}
	}
	/* Someone else may have taken it since the loop looked. */
	memset(&al, 0, sizeof(al));
	if ((st = store_get_alias(p->store, j->alias, &al)) == STORE_OK &&
	    strcmp(al.master, j->user.address) != 0) {
		store_alias_clear(&al);
		j->result = ALIAS_TAKEN;
		return;
	}
	store_alias_clear(&al);
	if (st != STORE_OK && st != STORE_NOTFOUND)
		goto store_err;
	memset(&al, 0, sizeof(al));
	al.alias = j->alias;
	al.master = j->user.address;
	al.status = STORE_ALIAS_PENDING;
	al.created = now_of(p);
	if ((st = store_put_alias(p->store, &al)) != STORE_OK)
		goto store_err;
	log_info("%s alias added address=%s alias=%s status=pending%s",
	    j->req->id, j->user.address, j->alias, j->merge ? " merge" : "");
	memset(&l, 0, sizeof(l));
	l.token_kind = STORE_TOKEN_ALIAS;
	l.address = j->alias;
	l.data = j->merge ? ALIAS_TOKEN_MERGE : "";
	l.account = j->user.address;
	l.path = ALIAS_CONFIRM_PATH;
	l.template = "alias.txt";
	l.subject = "Confirm this address for the secure message portal";
	l.what = "alias confirmation";
	l.lifetime = p->cfg->verify_link_lifetime;
	j->result = mail_link_send(p, j->req->id, &l) == 0 ? ALIAS_SENT :
	    ALIAS_MAIL_FAILED;
	return;
 store_err:
	log_warnx("%s cannot add an alias: %s", j->req->id,
	    store_strerror(st));
}

static void
alias_done(void *arg, int cancelled)
{
	struct alias_job	*j = arg;
	struct portal		*p = j->p;
	struct http_request	*req = j->req;
	char			 text[512], life[64];
	int			 rc = 0;

	if (cancelled || j->result == ALIAS_ERROR) {
		alias_job_free(j);
		http_request_fail(req);
		return;
	}
	switch (j->result) {
	case ALIAS_SENT:
		if (j->merge)
			throttle_clear(p->throttle, THROTTLE_LOGIN_ADDRESS,
			    j->alias);
		auth_format_duration(p->cfg->verify_link_lifetime, life,
		    sizeof(life));
		snprintf(text, sizeof(text), "A confirmation link was sent to "
		    "%s. The address stays pending until the link is used; it "
		    "works once and expires in %s.", j->alias, life);
		rc = render_account(p, j->resp, 200, &j->user, text, NULL,
		    NULL);
		break;
	case ALIAS_WRONG_PASSWORD:
		(void)throttle_record(p->throttle, THROTTLE_LOGIN_ADDRESS,
		    j->alias, now_of(p));
		(void)throttle_record(p->throttle, THROTTLE_LOGIN_IP,
		    req->peer, now_of(p));
		log_info("%s alias refused address=%s alias=%s: wrong password",
		    req->id, j->user.address, j->alias);
		rc = render_account(p, j->resp, 400, &j->user, NULL,
		    WRONG_PASSWORD_TEXT, j->alias);
		break;
	case ALIAS_TAKEN:
		rc = render_account(p, j->resp, 400, &j->user, NULL,
		    "That address is already an address of another account.",
		    j->alias);
		break;
	default:
		snprintf(text, sizeof(text), "%s was added, but the "
		    "confirmation link could not be sent. Add it again in a "
		    "moment to send a new link.", j->alias);
		rc = render_account(p, j->resp, 500, &j->user, NULL, text,
		    NULL);
		break;
	}
	alias_job_free(j);
	if (rc == -1)
		http_request_fail(req);
	else
		http_request_done(req);
}

/* 1 if master has aliases (pending or confirmed), 0, -1 on error. */
static int
has_aliases(struct portal *p, const char *master)
{
	struct alias_rows	rows;
	int			st, n;

	memset(&rows, 0, sizeof(rows));
	st = store_list_aliases(p->store, master, alias_rows_add, &rows);
	n = rows.n > 0;
	if (rows.oom || (st != STORE_OK && st != STORE_NOTFOUND))
		n = -1;
	alias_rows_clear(&rows);
	return n;
}

static int
alias_add(struct http_request *req, struct http_response *resp,
    struct portal *p, struct auth_user *user, const char *addr,
    const char *pw)
{
	struct alias_job	*j = NULL;
	struct store_alias	 al;
	struct store_account	 a;
	const char		*why;
	char			 text[768];
	time_t			 now = now_of(p);
	size_t			 pwlen = pw != NULL ? strlen(pw) : 0;
	int			 st, merge = 0, rc = HTTP_HANDLER_DONE, others;

	memset(&al, 0, sizeof(al));
	memset(&a, 0, sizeof(a));
	if (strcmp(addr, user->address) == 0)
		return answer_account(p, resp, 400, user, NULL,
		    "That is your login address already.", addr);
	st = store_get_alias(p->store, addr, &al);
	if (st == STORE_OK) {
		/* One's own pending alias: the link is sent again. */
		why = strcmp(al.master, user->address) != 0 ? "That address "
		    "is already an address of another account." :
		    al.status == STORE_ALIAS_CONFIRMED ? "That address is "
		    "already one of your addresses." : NULL;
		store_alias_clear(&al);
		if (why != NULL)
			return answer_account(p, resp, 400, user, NULL, why,
			    addr);
	} else if (st != STORE_NOTFOUND)
		goto store_err;

	st = store_get_account(p->store, addr, &a);
	if (st == STORE_OK) {
		merge = 1;
		if ((others = has_aliases(p, addr)) == -1)
			goto store_err;
		if (others) {
			snprintf(text, sizeof(text), "%s has addresses of its "
			    "own. Log in as %s and remove them first.", addr,
			    addr);
			rc = answer_account(p, resp, 400, user, NULL, text,
			    addr);
			goto done;
		}
		if (pwlen == 0) {
			rc = answer_account(p, resp, 400, user, NULL, "That "
			    "address has its own account here. Enter its "
			    "password to add it: its messages then move to "
			    "this account.", addr);
			goto done;
		}
		if (pwlen > PASSWORD_MAX_BYTES || a.password_hash[0] == '\0' ||
		    strlen(a.password_hash) >= crypto_pwhash_STRBYTES ||
		    (a.flags & (STORE_ACCOUNT_DISABLED |
		    STORE_ACCOUNT_UNSUBSCRIBED)) != 0 ||
		    throttle_blocked(p->throttle, THROTTLE_LOGIN_ADDRESS, addr,
		    now) || throttle_blocked(p->throttle, THROTTLE_LOGIN_IP,
		    req->peer, now)) {
			log_info("%s alias refused address=%s alias=%s: "
			    "account not usable or throttled", req->id,
			    user->address, addr);
			rc = answer_account(p, resp, 400, user, NULL,
			    WRONG_PASSWORD_TEXT, addr);
			goto done;
		}
	} else if (st != STORE_NOTFOUND)
		goto store_err;

	if ((j = calloc(1, sizeof(*j))) == NULL)
		goto oom;
	if (merge) {
		if ((j->password = sodium_malloc(pwlen + 1)) == NULL)
			goto oom;
		memcpy(j->password, pw, pwlen + 1);
		memcpy(j->hash, a.password_hash, strlen(a.password_hash) + 1);
	}
	j->p = p;
	j->req = req;
	j->resp = resp;
	j->merge = merge;
	snprintf(j->alias, sizeof(j->alias), "%s", addr);
	/* The job owns the user from here, unless it cannot start. */
	j->user = *user;
	memset(user, 0, sizeof(*user));
	if (workpool_submit(p->pool, alias_work, alias_done, j) == -1) {
		*user = j->user;
		memset(&j->user, 0, sizeof(j->user));
		log_warnx("%s worker pool full", req->id);
		render_busy(resp, user);
		goto done;
	}
	j = NULL;
	rc = HTTP_HANDLER_ASYNC;
	goto done;
 oom:
	rc = HTTP_HANDLER_ERROR;
	goto done;
 store_err:
	log_warnx("%s alias add: store: %s", req->id, store_strerror(st));
	rc = HTTP_HANDLER_ERROR;
 done:
	alias_job_free(j);
	store_account_clear(&a);
	return rc;
}

/* action=remove: only one's own alias. */
static int
alias_remove(struct http_request *req, struct http_response *resp,
    struct portal *p, struct auth_user *user, const char *addr)
{
	struct store_alias	al;
	char			text[512];
	int			st, mine;

	memset(&al, 0, sizeof(al));
	if ((st = store_get_alias(p->store, addr, &al)) != STORE_OK &&
	    st != STORE_NOTFOUND)
		goto store_err;
	mine = st == STORE_OK && strcmp(al.master, user->address) == 0;
	store_alias_clear(&al);
	if (!mine)
		return answer_account(p, resp, 400, user, NULL, "That address "
		    "is not one of your other addresses.", NULL);
	if ((st = store_delete_alias(p->store, addr)) != STORE_OK &&
	    st != STORE_NOTFOUND)
		goto store_err;
	/* A pending link for it stops working. */
	if ((st = store_delete_tokens(p->store, addr, STORE_TOKEN_ALIAS)) !=
	    STORE_OK && st != STORE_NOTFOUND)
		log_warnx("%s cannot delete alias links: %s", req->id,
		    store_strerror(st));
	log_info("%s alias removed address=%s alias=%s", req->id,
	    user->address, addr);
	snprintf(text, sizeof(text), "%s was removed. Secure messages sent "
	    "to it no longer reach this account.", addr);
	return answer_account(p, resp, 200, user, text, NULL, NULL);
 store_err:
	log_warnx("%s alias remove: store: %s", req->id, store_strerror(st));
	return HTTP_HANDLER_ERROR;
}

/*
 * What both alias POSTs check first: the form, a session, csrf and
 * Origin, the right to manage aliases, and a well-formed alias.  Returns
 * 1 when the caller goes on with *form, user and addr filled; otherwise
 * the response is set and *rc is the handler's result.
 */
static int
alias_post_begin(struct http_request *req, struct http_response *resp,
    struct portal *p, struct http_form **form, struct auth_user *user,
    char addr[AUTH_ADDRESS_MAX + 1], int *rc)
{
	int	st;

	*rc = HTTP_HANDLER_DONE;
	*form = NULL;
	memset(user, 0, sizeof(*user));
	if (http_request_form(req, form) == -1) {
		render_bad_form(resp);
		return 0;
	}
	if ((st = auth_session(p, req, user)) != AUTH_OK) {
		*rc = auth_refuse(p, req, resp, st);
		return 0;
	}
	if (auth_check_csrf(p, req, user, *form) == -1) {
		render_csrf_refused(resp, user);
		return 0;
	}
	if (!alias_managed(p, user)) {
		log_info("%s alias refused: %s may not manage aliases",
		    req->id, user->address);
		render_not_managed(resp, user);
		return 0;
	}
	if (auth_address_normalize(http_form_get(*form, "alias"),
	    addr) == -1) {
		*rc = answer_account(p, resp, 400, user, NULL, "Enter a valid "
		    "email address, like name@example.com.",
		    http_form_get(*form, "alias"));
		return 0;
	}
	return 1;
}

static int
handle_aliases(struct http_request *req, struct http_response *resp,
    void *arg)
{
	struct portal		*p = arg;
	struct http_form	*form;
	struct auth_user	 user;
	char			 addr[AUTH_ADDRESS_MAX + 1];
	const char		*action;
	int			 rc;

	if (alias_post_begin(req, resp, p, &form, &user, addr, &rc)) {
		action = http_form_get(form, "action");
		if (action != NULL && strcmp(action, "add") == 0)
			rc = alias_add(req, resp, p, &user, addr,
			    http_form_get(form, "password"));
		else if (action != NULL && strcmp(action, "remove") == 0)
			rc = alias_remove(req, resp, p, &user, addr);
		else
			render_bad_form(resp);
	}
	auth_user_clear(&user);
	http_form_free(form);
	return rc;
}

/*
 * POST /account/aliases/promote: the confirmed alias becomes the login
 * address; every session of the account ends.
 */
static int
handle_promote(struct http_request *req, struct http_response *resp,
    void *arg)
{
	struct portal		*p = arg;
	struct http_form	*form;
	struct auth_user	 user;
	struct store_alias	 al;
	char			 addr[AUTH_ADDRESS_MAX + 1], text[768];
	int			 rc, st, ok, i;
	static const int	 kinds[] = { STORE_TOKEN_VERIFY,
				    STORE_TOKEN_RESET };

	memset(&al, 0, sizeof(al));
	if (!alias_post_begin(req, resp, p, &form, &user, addr, &rc))
		goto done;
	if ((st = store_get_alias(p->store, addr, &al)) != STORE_OK &&
	    st != STORE_NOTFOUND)
		goto store_err;
	ok = st == STORE_OK && strcmp(al.master, user.address) == 0 &&
	    al.status == STORE_ALIAS_CONFIRMED;
	if (!ok) {
		rc = answer_account(p, resp, 400, &user, NULL, "Only a "
		    "confirmed address of yours can become the login address.",
		    NULL);
		goto done;
	}
	if ((st = store_promote_alias(p->store, addr)) != STORE_OK)
		goto store_err;
	/* Links sent to the old login address would make it an account
	 * again. */
	for (i = 0; i < 2; i++)
		if ((st = store_delete_tokens(p->store, user.address,
		    kinds[i])) != STORE_OK && st != STORE_NOTFOUND)
			log_warnx("%s cannot delete old links: %s", req->id,
			    store_strerror(st));
	log_info("%s alias promoted address=%s new=%s", req->id,
	    user.address, addr);
	if (auth_session_end(p, req, resp) == -1 ||
	    auth_cookie_set(p, resp, AUTH_COOKIE_EMAIL, NULL, 0) == -1) {
		rc = HTTP_HANDLER_ERROR;
		goto done;
	}
	snprintf(text, sizeof(text), "Your login address is now %s; %s is "
	    "one of your other addresses. Every device was logged out: log "
	    "in again with %s and your password.", addr, user.address, addr);
	resp->status = 200;
	page_begin(resp, "Login address changed", NULL);
	page_printf(resp, "<h1>Your login address changed</h1>\n"
	    "<p role=\"status\">");
	page_text(resp, text);
	page_printf(resp, "</p>\n<p><a class=\"button\" href=\"/\">Log in"
	    "</a></p>\n");
	page_end(resp);
	rc = HTTP_HANDLER_DONE;
	goto done;
 store_err:
	log_warnx("%s alias promote: store: %s", req->id, store_strerror(st));
	rc = HTTP_HANDLER_ERROR;
 done:
	store_alias_clear(&al);
	auth_user_clear(&user);
	http_form_free(form);
	return rc;
}

/*
 * GET and POST /alias/confirm: the link mailed to the alias.  No session
 * needed: the token proves the mailbox; the form is protected like the
 * other link forms (pre-session double submit and Origin).
 */
static void
render_link_gone(struct http_response *resp)
{
	page_message(resp, 400, NULL, "This link does not work",
	    "It may have expired, have been used already, or the address "
	    "may have been removed. Links work once, for a limited time. Ask "
	    "the account's owner to add the address again.");
}

static void
render_alias_off(struct http_response *resp)
{
	page_message(resp, 403, NULL, "Not available",
	    "The administrator has turned off adding addresses to "
	    "accounts.");
}

/* The pending alias of a live token: 0, 1 (the link does not work) or
 * -1 (store error).  take: use the token up. */
static int
confirm_lookup(struct portal *p, const char *hex, int take,
    struct store_token *t, struct store_alias *al)
{
	uint8_t	key[STORE_KEY_LEN];
	int	st;

	memset(t, 0, sizeof(*t));
	memset(al, 0, sizeof(*al));
	if (hex == NULL || auth_token_key(hex, key) == -1)
		return 1;
	st = take ? store_take_token(p->store, key, STORE_TOKEN_ALIAS,
	    now_of(p), t) : store_peek_token(p->store, key, STORE_TOKEN_ALIAS,
	    now_of(p), t);
	sodium_memzero(key, sizeof(key));
	if (st == STORE_NOTFOUND)
		return 1;
	if (st != STORE_OK)
		goto err;
	if ((st = store_get_alias(p->store, t->address, al)) ==
	    STORE_NOTFOUND)
		return 1;
	if (st != STORE_OK)
		goto err;
	return al->status == STORE_ALIAS_PENDING ? 0 : 1;
 err:
	log_warnx("alias confirm: store: %s", store_strerror(st));
	return -1;
}

static int
confirm_get(struct http_request *req, struct http_response *resp,
    struct portal *p)
{
	struct http_form	*q = NULL;
	struct store_token	 t;
	struct store_alias	 al;
	char			 pre[AUTH_TOKEN_HEX + 1];
	const char		*hex = NULL;
	int			 found, rc = HTTP_HANDLER_DONE;

	if (http_request_query(req, &q) == 0)
		hex = http_form_get(q, "token");
	if ((found = confirm_lookup(p, hex, 0, &t, &al)) == -1) {
		rc = HTTP_HANDLER_ERROR;
		goto done;
	}
	if (found == 1) {
		render_link_gone(resp);
		goto done;
	}
	if (auth_pre_token(p, req, resp, pre) == -1) {
		rc = HTTP_HANDLER_ERROR;
		goto done;
	}
	page_begin(resp, "Confirm this address", NULL);
	page_printf(resp, "<h1>Confirm this address</h1>\n<p>");
	page_text(resp, al.master);
	page_printf(resp, " asked to add <strong>");
	page_text(resp, al.alias);
	page_printf(resp, "</strong> to their account. Once confirmed, secure "
	    "messages sent to it are delivered to that account.</p>\n");
	if (strcmp(t.data, ALIAS_TOKEN_MERGE) == 0) {
		page_printf(resp, "<p>");
		page_text(resp, al.alias);
		page_printf(resp, " has its own account here: confirming "
		    "closes it, and its messages move to ");
		page_text(resp, al.master);
		page_printf(resp, ".</p>\n");
	}
	page_printf(resp, "<form method=\"post\" action=\""
	    ALIAS_CONFIRM_PATH "\">\n<input type=\"hidden\" name=\"csrf\" "
	    "value=\"%s\">\n<input type=\"hidden\" name=\"token\" value=\"",
	    pre);
	page_text(resp, hex);
	page_printf(resp, "\">\n<button type=\"submit\">Confirm</button>\n"
	    "</form>\n<p class=\"muted\">If you did not expect this, close "
	    "this page: nothing changes.</p>\n");
	page_end(resp);
 done:
	store_token_clear(&t);
	store_alias_clear(&al);
	http_form_free(q);
	return rc;
}

static int
confirm_post(struct http_request *req, struct http_response *resp,
    struct portal *p)
{
	struct http_form	*form = NULL;
	struct store_token	 t;
	struct store_alias	 al;
	struct store_account	 a;
	char			 text[768];
	int			 found, st, merge, had, rc = HTTP_HANDLER_DONE;

	memset(&t, 0, sizeof(t));
	memset(&al, 0, sizeof(al));
	memset(&a, 0, sizeof(a));
	if (http_request_form(req, &form) == -1) {
		render_bad_form(resp);
		return HTTP_HANDLER_DONE;
	}
	if (auth_check_pre(p, req, form) == -1) {
		render_csrf_refused(resp, NULL);
		goto done;
	}
	if (!p->cfg->alias_management) {
		render_alias_off(resp);
		goto done;
	}
	/* The link is used up here, whatever happens next. */
	if ((found = confirm_lookup(p, http_form_get(form, "token"), 1, &t,
	    &al)) == -1) {
		rc = HTTP_HANDLER_ERROR;
		goto done;
	}
	if (found == 1) {
		render_link_gone(resp);
		goto done;
	}
	merge = strcmp(t.data, ALIAS_TOKEN_MERGE) == 0;
	if ((st = store_get_account(p->store, al.alias, &a)) != STORE_OK &&
	    st != STORE_NOTFOUND)
		goto store_err;
	had = st == STORE_OK;
	if (had && !merge) {
		/* Registered after it was added: its password was never
		 * asked, so it is not merged. */
		snprintf(text, sizeof(text), "%s has its own account now. Ask "
		    "%s to add it again: its password will be asked.",
		    al.alias, al.master);
		page_message(resp, 409, NULL, "Not confirmed", text);
		goto done;
	}
	al.status = STORE_ALIAS_CONFIRMED;
	if ((st = store_put_alias(p->store, &al)) != STORE_OK)
		goto store_err;
	if (had) {
		/* Its sessions end with it; its messages stay, addressed
		 * to the alias, and show in the master's inbox. */
		if ((st = store_delete_account(p->store, al.alias)) !=
		    STORE_OK && st != STORE_NOTFOUND)
			goto store_err;
		if ((st = store_delete_tokens(p->store, al.alias,
		    STORE_TOKEN_RESET)) != STORE_OK && st != STORE_NOTFOUND)
			log_warnx("%s cannot delete old links: %s", req->id,
			    store_strerror(st));
	}
	log_info("%s alias confirmed address=%s alias=%s%s", req->id,
	    al.master, al.alias, had ? " merged" : "");
	snprintf(text, sizeof(text), "%s is now an address of the account "
	    "%s. Secure messages sent to it arrive in that account's "
	    "inbox.%s", al.alias, al.master, had ? " Its own account was closed; its messages moved there too." :
	    "");
	page_message(resp, 200, NULL, "Address confirmed", text);
	goto done;
 store_err:
	log_warnx("%s alias confirm: store: %s", req->id, store_strerror(st));
	rc = HTTP_HANDLER_ERROR;
 done:
	store_token_clear(&t);
	store_alias_clear(&al);
	store_account_clear(&a);
	http_form_free(form);
	return rc;
}

static int
handle_alias_confirm(struct http_request *req, struct http_response *resp,
    void *arg)
{
	if (req->method == HTTP_POST)
		return confirm_post(req, resp, arg);
	return confirm_get(req, resp, arg);
}

int
account_routes_add(struct http_router *r, struct portal *p)
{
	if (p->cfg == NULL || p->store == NULL || p->pool == NULL ||
	    p->throttle == NULL) {
		log_warnx("account routes: the portal is not fully set up");
		return -1;
	}
	if (http_router_add(r, HTTP_GET, "/account", 0, handle_account,
	    p) == -1 ||
	    http_router_add(r, HTTP_POST, "/account/aliases", ACCOUNT_MAX_BODY,
	    handle_aliases, p) == -1 ||
	    http_router_add(r, HTTP_POST, "/account/aliases/promote",
	    ACCOUNT_MAX_BODY, handle_promote, p) == -1 ||
	    http_router_add(r, HTTP_GET | HTTP_POST, ALIAS_CONFIRM_PATH,
	    ACCOUNT_MAX_BODY, handle_alias_confirm, p) == -1)
		return -1;
	return 0;
}
