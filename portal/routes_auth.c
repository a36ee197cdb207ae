/*
 * Accounts and sessions: register, verify, log in, log out, forget me,
 * forgot password, reset (SPEC "Portal routes").
 *
 * Passwords are hashed with Argon2id, libsodium's crypto_pwhash_str at
 * OPSLIMIT_INTERACTIVE and MEMLIMIT_INTERACTIVE (2 passes over 64 MiB,
 * about a tenth of a second per hash here): libsodium's level for
 * interactive logins on a server that answers many users, and what the
 * worker pool (2 threads) is sized for.  Hashing, verifying and sending
 * mail run on the worker pool: the handler answers HTTP_HANDLER_ASYNC
 * and the job's done callback, on the loop, fills the response.
 *
 * No account enumeration: login answers the same for a wrong password,
 * an unknown address and a throttled one (an unknown address is checked
 * against a dummy hash, so it takes as long); register and forgot
 * answer the same neutral page at once for every address and decide on
 * the worker whether a link is sent.  Tokens and links are never logged.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "app.h"
#include "auth.h"
#include "http.h"
#include "http_form.h"
#include "http_router.h"
#include "link.h"
#include "log.h"
#include "mail_link.h"
#include "mailer.h"
#include "page.h"
#include "page_form.h"
#include "password.h"
#include "store.h"
#include "throttle.h"
#include "workpool.h"

#define AUTH_FORM_MAX_BODY	(16 * 1024)
#define EMAIL_COOKIE_AGE	(365L * 86400)
#define PWHASH_OPS		crypto_pwhash_OPSLIMIT_INTERACTIVE
#define PWHASH_MEM		crypto_pwhash_MEMLIMIT_INTERACTIVE

#define LOGIN_FAILED_TEXT	"The email address or the password is not " \
	"correct. After several failed attempts, logging in is paused for " \
	"a few minutes."

enum link_kind {
	LINK_VERIFY = 0,
	LINK_RESET,
};

static int	verify_allowed(struct portal *, const char *);
static int	reset_allowed(struct portal *, const char *);
static uint64_t	verify_lifetime(const struct config *);
static uint64_t	reset_lifetime(const struct config *);

static const struct link_spec link_info[] = {
	[LINK_VERIFY] = { STORE_TOKEN_VERIFY, "/verify", "verify.txt",
	    "Choose your password for the secure message portal",
	    "verification", "not invited", verify_lifetime, verify_allowed,
	    0 },
	[LINK_RESET] = { STORE_TOKEN_RESET, "/reset", "reset.txt",
	    "Reset your password for the secure message portal",
	    "reset", "no account", reset_lifetime, reset_allowed, 0 },
};

/* Checked against for unknown addresses, so that they take as long. */
static char		dummy_hash[crypto_pwhash_STRBYTES];
static int		dummy_ok;
static pthread_once_t	dummy_once = PTHREAD_ONCE_INIT;

/* Where Argon2id runs (app.h). */
static struct workpool *
hash_pool(const struct portal *p)
{
	return p->hash_pool != NULL ? p->hash_pool : p->pool;
}

static time_t
now_of(const struct portal *p)
{
	return p->now != NULL ? p->now() : time(NULL);
}

/* The remembered address: percent-encoded in a cookie. */
static void
email_cookie_encode(const char *addr, char *out, size_t len)
{
	static const char	hex[] = "0123456789ABCDEF";
	size_t			o = 0;
	unsigned char		c;

	for (; *addr != '\0' && o + 4 < len; addr++) {
		c = (unsigned char)*addr;
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || strchr("@._+-", c) != NULL)
			out[o++] = (char)c;
		else {
			out[o++] = '%';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 15];
		}
	}
	out[o] = '\0';
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* The remembered address of req into out, or -1. */
static int
email_cookie_get(const struct portal *p, const struct http_request *req,
    char out[AUTH_ADDRESS_MAX + 1])
{
	char	raw[3 * AUTH_ADDRESS_MAX + 1], dec[AUTH_ADDRESS_MAX + 1];
	size_t	i, o = 0;
	int	h, l;

	if (auth_cookie_get(p, req, AUTH_COOKIE_EMAIL, raw, sizeof(raw)) ==
	    NULL)
		return -1;
	for (i = 0; raw[i] != '\0'; i++) {
		if (o == AUTH_ADDRESS_MAX)
			return -1;
		if (raw[i] == '%') {
			if ((h = hexval(raw[i + 1])) == -1 ||
			    (l = hexval(raw[i + 2])) == -1)
				return -1;
			dec[o++] = (char)(h * 16 + l);
			i += 2;
		} else
			dec[o++] = raw[i];
	}
	dec[o] = '\0';
	if (!http_utf8_valid((const unsigned char *)dec, o))
		return -1;
	return auth_address_normalize(dec, out);
}

static int
email_cookie_set(const struct portal *p, struct http_response *resp,
    const char *addr)
{
	char	enc[3 * AUTH_ADDRESS_MAX + 1];

	email_cookie_encode(addr, enc, sizeof(enc));
	return auth_cookie_set(p, resp, AUTH_COOKIE_EMAIL, enc,
	    EMAIL_COOKIE_AGE);
}

/*
 * Pages.
 */

static void
render_login(struct portal *p, struct http_response *resp, int status,
    const char *pre, const char *email, int remembered, const char *error,
    const char *notice)
{
	resp->status = status;
	page_begin(resp, "Log in", NULL);
	page_printf(resp, "<h1>Log in</h1>\n");
	if (notice != NULL) {
		page_printf(resp, "<p class=\"notice\" role=\"status\">");
		page_text(resp, notice);
		page_printf(resp, "</p>\n");
	}
	page_form_error(resp, error);
	page_printf(resp, "<form method=\"post\" action=\"/login\">\n");
	page_hidden(resp, "csrf", pre);
	page_printf(resp, "<label for=\"email\">Email address</label>\n"
	    "<input id=\"email\" name=\"email\" type=\"email\" "
	    "autocomplete=\"email\" required maxlength=\"%d\"%s%s value=\"",
	    AUTH_ADDRESS_MAX, email == NULL ? " autofocus" : "",
	    error != NULL ? " aria-describedby=\"form-error\"" : "");
	page_text(resp, email != NULL ? email : "");
	page_printf(resp, "\">\n<label for=\"password\">Password</label>\n"
	    "<input id=\"password\" name=\"password\" type=\"password\" "
	    "autocomplete=\"current-password\" required%s>\n"
	    "<button type=\"submit\">Log in</button>\n</form>\n"
	    "<p><a href=\"/forgot\">Forgot your password?</a></p>\n"
	    "<p>First time here? <a href=\"/register\">Register</a> with the "
	    "address your secure message was sent to.</p>\n",
	    email != NULL ? " autofocus" : "");
	if (remembered) {
		page_printf(resp, "<form method=\"post\" action=\"/forget-me\">\n");
		page_hidden(resp, "csrf", pre);
		page_printf(resp, "<p class=\"muted\">Not you, or a shared "
		    "device? Forget me logs this device out and forgets the "
		    "address.</p>\n<button type=\"submit\" class=\"secondary\">"
		    "Forget me</button>\n</form>\n");
	}
	page_end(resp);
}

static void
render_email_form(struct http_response *resp, int status, int kind,
    const char *pre, const char *email, const char *error)
{
	const char	*title, *intro, *action;

	if (kind == LINK_VERIFY) {
		title = "Register";
		action = "/register";
		intro = "Enter the email address your secure message was sent "
		    "to. We will email you a link to choose your password.";
	} else {
		title = "Forgot your password?";
		action = "/forgot";
		intro = "Enter your email address. We will email you a link "
		    "to choose a new password.";
	}
	resp->status = status;
	page_begin(resp, title, NULL);
	page_printf(resp, "<h1>");
	page_text(resp, title);
	page_printf(resp, "</h1>\n<p>");
	page_text(resp, intro);
	page_printf(resp, "</p>\n");
	page_form_error(resp, error);
	page_printf(resp, "<form method=\"post\" action=\"%s\">\n", action);
	page_hidden(resp, "csrf", pre);
	page_printf(resp, "<label for=\"email\">Email address</label>\n"
	    "<input id=\"email\" name=\"email\" type=\"email\" "
	    "autocomplete=\"email\" required autofocus maxlength=\"%d\"%s "
	    "value=\"", AUTH_ADDRESS_MAX,
	    error != NULL ? " aria-describedby=\"form-error\"" : "");
	page_text(resp, email != NULL ? email : "");
	page_printf(resp, "\">\n<button type=\"submit\">Send the link</button>\n"
	    "</form>\n<p><a href=\"/\">Back to log in</a></p>\n");
	page_end(resp);
}

static void
render_password_form(struct portal *p, struct http_response *resp,
    int status, int kind, const char *token, const char *address,
    const char *pre, const char *error)
{
	const char	*title;
	size_t		 min = p->cfg->password_min_length;

	title = kind == LINK_VERIFY ? "Choose your password" :
	    "Choose a new password";
	resp->status = status;
	page_begin(resp, title, NULL);
	page_printf(resp, "<h1>%s</h1>\n", title);
	page_form_error(resp, error);
	page_printf(resp, "<form method=\"post\" action=\"%s\">\n",
	    link_info[kind].path);
	page_hidden(resp, "csrf", pre);
	page_hidden(resp, "token", token);
	/* Read-only, so that password managers file the password under
	 * the right address. */
	page_printf(resp, "<label for=\"email\">Email address</label>\n"
	    "<input id=\"email\" type=\"email\" autocomplete=\"email\" "
	    "readonly value=\"");
	page_text(resp, address);
	page_printf(resp, "\">\n"
	    "<label for=\"password\">New password</label>\n"
	    "<p id=\"password-help\" class=\"muted\">At least %zu characters. "
	    "A few unrelated words are easy to remember and hard to guess. "
	    "Your email address and common passwords are not accepted.</p>\n"
	    "<input id=\"password\" name=\"password\" type=\"password\" "
	    "autocomplete=\"new-password\" required autofocus minlength=\"%zu\" "
	    "aria-describedby=\"password-help%s\">\n"
	    "<label for=\"password2\">New password again</label>\n"
	    "<input id=\"password2\" name=\"password2\" type=\"password\" "
	    "autocomplete=\"new-password\" required minlength=\"%zu\">\n"
	    "<button type=\"submit\">Set the password</button>\n</form>\n",
	    min, min, error != NULL ? " form-error" : "", min);
	page_end(resp);
}

static void
render_link_invalid(struct http_response *resp, int kind)
{
	resp->status = 400;
	page_begin(resp, "This link does not work", NULL);
	page_printf(resp, "<h1>This link does not work</h1>\n"
	    "<p>It may have expired or have been used already. Links work "
	    "once, for a limited time.</p>\n<p><a href=\"%s\">Ask for a new "
	    "link</a></p>\n", kind == LINK_VERIFY ? "/register" : "/forgot");
	page_end(resp);
}

/*
 * GET /: the login form, or the inbox for a session.
 */
static int
handle_index(struct http_request *req, struct http_response *resp, void *arg)
{
	struct portal		*p = arg;
	struct auth_user	 user;
	char			 pre[AUTH_TOKEN_HEX + 1], notice[512];
	char			 email[AUTH_ADDRESS_MAX + 1];
	int			 st, remembered;

	st = auth_session(p, req, &user);
	if (st == AUTH_OK) {
		auth_user_clear(&user);
		if (http_response_redirect(resp, 303, "/inbox") == -1)
			return HTTP_HANDLER_ERROR;
		return HTTP_HANDLER_DONE;
	}
	if (st == AUTH_ERROR)
		return HTTP_HANDLER_ERROR;
	if (st != AUTH_NONE)
		auth_status_text(p, st, notice, sizeof(notice));
	/* An unknown or ended session's cookie goes. */
	if (auth_session_end(p, req, resp) == -1 ||
	    auth_pre_token(p, req, resp, pre) == -1)
		return HTTP_HANDLER_ERROR;
	remembered = email_cookie_get(p, req, email) == 0;
	render_login(p, resp, 200, pre, remembered ? email : NULL, remembered,
	    NULL, st != AUTH_NONE ? notice : NULL);
	return HTTP_HANDLER_DONE;
}

/*
 * POST /login.
 */
struct login_job {
	struct portal		*p;
	struct http_request	*req;
	struct http_response	*resp;
	char			*password;	/* sodium_malloc */
	char			 hash[crypto_pwhash_STRBYTES];
	char			 address[AUTH_ADDRESS_MAX + 1];
	char			 ip[HTTP_PEER_LEN];
	char			 pre[AUTH_TOKEN_HEX + 1];
	char			 id[AUTH_TOKEN_HEX + 1];	/* new session */
	uint8_t			 old_key[STORE_KEY_LEN];
	int			 has_old;
	int			 real;		/* hash is the account's */
	int			 ok;		/* verified, session stored */
	int			 failed;	/* the store failed */
};

static void
login_job_free(struct login_job *j)
{
	if (j == NULL)
		return;
	if (j->password != NULL)
		sodium_free(j->password);
	sodium_memzero(j, sizeof(*j));
	free(j);
}

/* A hash made with weaker parameters than today's is replaced. */
static void
login_rehash(struct login_job *j)
{
	struct store_account	 a;
	char			 hash[crypto_pwhash_STRBYTES];

	if (crypto_pwhash_str_needs_rehash(j->hash, PWHASH_OPS,
	    PWHASH_MEM) == 0)
		return;
	if (crypto_pwhash_str(hash, j->password, strlen(j->password),
	    PWHASH_OPS, PWHASH_MEM) != 0)
		return;
	if (store_get_account(j->p->store, j->address, &a) == STORE_OK &&
	    strcmp(a.password_hash, j->hash) == 0) {
		free(a.password_hash);
		a.password_hash = hash;
		if (store_put_account(j->p->store, &a) != STORE_OK)
			log_warnx("%s cannot store a rehashed password",
			    j->req->id);
		a.password_hash = NULL;
	}
	store_account_clear(&a);
}

static void
login_work(void *arg)
{
	struct login_job	*j = arg;
	int			 st;

	j->ok = crypto_pwhash_str_verify(j->hash, j->password,
	    strlen(j->password)) == 0 && j->real;
	if (j->ok) {
		login_rehash(j);
		/* Rotate: the session of any cookie sent with the login
		 * ends, and a new id is issued. */
		if (j->has_old && (st = store_delete_session(j->p->store,
		    j->old_key)) != STORE_OK && st != STORE_NOTFOUND)
			log_warnx("%s cannot delete the previous session",
			    j->req->id);
		if (auth_session_new(j->p, j->address, j->ip, j->id) == -1)
			j->failed = 1;
	}
	sodium_free(j->password);
	j->password = NULL;
}

static void
login_done(void *arg, int cancelled)
{
	struct login_job	*j = arg;
	struct portal		*p = j->p;
	struct http_request	*req = j->req;
	struct http_response	*resp = j->resp;

	if (cancelled || j->failed) {
		login_job_free(j);
		http_request_fail(req);
		return;
	}
	if (j->ok) {
		throttle_clear(p->throttle, THROTTLE_LOGIN_ADDRESS, j->address);
		log_info("%s login address=%s", req->id, j->address);
		if (auth_cookie_set(p, resp, AUTH_COOKIE, j->id, -1) == -1 ||
		    email_cookie_set(p, resp, j->address) == -1 ||
		    http_response_redirect(resp, 303, "/inbox") == -1) {
			login_job_free(j);
			http_request_fail(req);
			return;
		}
	} else {
		(void)throttle_record(p->throttle, THROTTLE_LOGIN_ADDRESS,
		    j->address, now_of(p));
		(void)throttle_record(p->throttle, THROTTLE_LOGIN_IP, j->ip,
		    now_of(p));
		log_info("%s login failed address=%s", req->id,
		    j->real ? j->address : "(no account)");
		render_login(p, resp, 400, j->pre, j->address, 0,
		    LOGIN_FAILED_TEXT, NULL);
	}
	login_job_free(j);
	http_request_done(req);
}

static int
handle_login(struct http_request *req, struct http_response *resp, void *arg)
{
	struct portal		*p = arg;
	struct http_form	*form = NULL;
	struct login_job	*j = NULL;
	struct store_account	 a;
	const char		*email, *pw;
	char			 addr[AUTH_ADDRESS_MAX + 1], pre[AUTH_TOKEN_HEX + 1];
	char			 big[4096];
	time_t			 now = now_of(p);
	size_t			 pwlen;
	int			 st, rc = HTTP_HANDLER_DONE;

	memset(&a, 0, sizeof(a));
	if (http_request_form(req, &form) == -1) {
		page_bad_form(resp);
		return HTTP_HANDLER_DONE;
	}
	if (auth_check_pre(p, req, form) == -1) {
		page_csrf_refused(resp);
		goto done;
	}
	(void)auth_cookie_get(p, req, AUTH_COOKIE_PRE, pre, sizeof(pre));
	email = http_form_get(form, "email");
	pw = http_form_get(form, "password");
	pwlen = pw != NULL ? strlen(pw) : 0;
	if (auth_address_normalize(email, addr) == -1 || pwlen == 0 ||
	    pwlen > PASSWORD_MAX_BYTES) {
		render_login(p, resp, 400, pre, email, 0, LOGIN_FAILED_TEXT,
		    NULL);
		goto done;
	}
	/* While throttled, even the right password gets the same answer;
	 * failures are not counted then, so the block ends with the
	 * window. */
	if (throttle_blocked(p->throttle, THROTTLE_LOGIN_ADDRESS, addr, now) ||
	    throttle_blocked(p->throttle, THROTTLE_LOGIN_IP, req->peer, now)) {
		log_info("%s login throttled", req->id);
		render_login(p, resp, 400, pre, addr, 0, LOGIN_FAILED_TEXT,
		    NULL);
		goto done;
	}

	if ((j = calloc(1, sizeof(*j))) == NULL ||
	    (j->password = sodium_malloc(pwlen + 1)) == NULL) {
		rc = HTTP_HANDLER_ERROR;
		goto done;
	}
	memcpy(j->password, pw, pwlen + 1);
	j->p = p;
	j->req = req;
	j->resp = resp;
	memcpy(j->address, addr, sizeof(addr));
	snprintf(j->ip, sizeof(j->ip), "%s", req->peer);
	memcpy(j->pre, pre, sizeof(pre));
	if (auth_cookie_get(p, req, AUTH_COOKIE, big, sizeof(big)) != NULL &&
	    auth_token_key(big, j->old_key) == 0)
		j->has_old = 1;
	sodium_memzero(big, sizeof(big));

	st = store_get_account(p->store, addr, &a);
	if (st != STORE_OK && st != STORE_NOTFOUND) {
		log_warnx("%s cannot read an account: %s", req->id,
		    store_strerror(st));
		rc = HTTP_HANDLER_ERROR;
		goto done;
	}
	if (st == STORE_OK && a.password_hash[0] != '\0' &&
	    strlen(a.password_hash) < sizeof(j->hash) &&
	    (a.flags & (STORE_ACCOUNT_DISABLED |
	    STORE_ACCOUNT_UNSUBSCRIBED)) == 0) {
		memcpy(j->hash, a.password_hash, strlen(a.password_hash) + 1);
		j->real = 1;
	} else
		memcpy(j->hash, dummy_hash, sizeof(j->hash));

	if (workpool_submit(hash_pool(p), login_work, login_done, j) == -1) {
		log_warnx("%s worker pool full", req->id);
		page_busy(resp);
		goto done;
	}
	j = NULL;
	rc = HTTP_HANDLER_ASYNC;
done:
	login_job_free(j);
	store_account_clear(&a);
	http_form_free(form);
	return rc;
}

/*
 * POST /logout and POST /forget-me.
 */
static int
handle_logout(struct http_request *req, struct http_response *resp,
    void *arg)
{
	struct portal		*p = arg;
	struct http_form	*form = NULL;
	struct auth_user	 user;
	int			 st, rc = HTTP_HANDLER_DONE;

	if (http_request_form(req, &form) == -1) {
		page_bad_form(resp);
		return HTTP_HANDLER_DONE;
	}
	st = auth_session(p, req, &user);
	if (st == AUTH_ERROR) {
		rc = HTTP_HANDLER_ERROR;
		goto done;
	}
	if (st == AUTH_OK && auth_check_csrf(p, req, &user, form) == -1) {
		page_csrf_refused(resp);
		goto done;
	}
	if (st == AUTH_OK)
		log_info("%s logout address=%s", req->id, user.address);
	/* Without a session there is nothing to protect: just clear. */
	if (auth_session_end(p, req, resp) == -1 ||
	    http_response_redirect(resp, 303, "/") == -1)
		rc = HTTP_HANDLER_ERROR;
done:
	auth_user_clear(&user);
	http_form_free(form);
	return rc;
}

static int
handle_forget_me(struct http_request *req, struct http_response *resp,
    void *arg)
{
	struct portal		*p = arg;
	struct http_form	*form = NULL;
	struct auth_user	 user;
	int			 st, rc = HTTP_HANDLER_DONE, refused;

	if (http_request_form(req, &form) == -1) {
		page_bad_form(resp);
		return HTTP_HANDLER_DONE;
	}
	/* From a session's page (its csrf), or from the login page (the
	 * pre-session token). */
	st = auth_session(p, req, &user);
	if (st == AUTH_ERROR) {
		rc = HTTP_HANDLER_ERROR;
		goto done;
	}
	refused = st == AUTH_OK ? auth_check_csrf(p, req, &user, form) :
	    auth_check_pre(p, req, form);
	if (refused == -1) {
		page_csrf_refused(resp);
		goto done;
	}
	if (st == AUTH_OK)
		log_info("%s forget-me address=%s", req->id, user.address);
	if (auth_session_end(p, req, resp) == -1 ||
	    auth_cookie_set(p, resp, AUTH_COOKIE_EMAIL, NULL, 0) == -1 ||
	    http_response_redirect(resp, 303, "/") == -1)
		rc = HTTP_HANDLER_ERROR;
done:
	auth_user_clear(&user);
	http_form_free(form);
	return rc;
}

/*
 * GET and POST /register and /forgot: the link mails.  The job runs
 * detached from the request, which has had its neutral answer already.
 */
/* An account (invited by an administrator, or registered) may register
 * again. */
static int
verify_allowed(struct portal *p, const char *address)
{
	return link_allowed(p, address, STORE_ACCOUNT_DISABLED |
	    STORE_ACCOUNT_UNSUBSCRIBED);
}

static int
reset_allowed(struct portal *p, const char *address)
{
	struct store_account	a;
	int			st, ok;

	st = store_get_account(p->store, address, &a);
	if (st == STORE_NOTFOUND)
		return 0;
	if (st != STORE_OK)
		return -1;
	ok = (a.flags & (STORE_ACCOUNT_DISABLED |
	    STORE_ACCOUNT_UNSUBSCRIBED)) == 0;
	store_account_clear(&a);
	return ok;
}

static uint64_t
verify_lifetime(const struct config *cfg)
{
	return cfg->verify_link_lifetime;
}

static uint64_t
reset_lifetime(const struct config *cfg)
{
	return cfg->reset_link_lifetime;
}

static int
handle_email_form(struct http_request *req, struct http_response *resp,
    struct portal *p, int kind)
{
	char	pre[AUTH_TOKEN_HEX + 1], email[AUTH_ADDRESS_MAX + 1];

	if (auth_pre_token(p, req, resp, pre) == -1)
		return HTTP_HANDLER_ERROR;
	render_email_form(resp, 200, kind, pre,
	    kind == LINK_RESET && email_cookie_get(p, req, email) == 0 ?
	    email : NULL, NULL);
	return HTTP_HANDLER_DONE;
}

static int
handle_email_post(struct http_request *req, struct http_response *resp,
    struct portal *p, int kind)
{
	struct http_form	*form = NULL;
	const char		*email;
	char			 addr[AUTH_ADDRESS_MAX + 1], pre[AUTH_TOKEN_HEX + 1];
	char			 life[64], text[512];
	int			 rc = HTTP_HANDLER_DONE;

	if (http_request_form(req, &form) == -1) {
		page_bad_form(resp);
		return HTTP_HANDLER_DONE;
	}
	if (auth_check_pre(p, req, form) == -1) {
		page_csrf_refused(resp);
		goto done;
	}
	(void)auth_cookie_get(p, req, AUTH_COOKIE_PRE, pre, sizeof(pre));
	email = http_form_get(form, "email");
	if (auth_address_normalize(email, addr) == -1) {
		render_email_form(resp, 400, kind, pre, email,
		    "Enter a valid email address, like name@example.com.");
		goto done;
	}
	if (link_request(p, req, &link_info[kind], addr) == -1) {
		page_busy(resp);
		goto done;
	}
	config_format_duration(link_info[kind].lifetime(p->cfg), life,
	    sizeof(life));
	snprintf(text, sizeof(text), "If this address may use sealpost, a "
	    "link has been sent to it. %s The link works once and expires in "
	    "%s. If nothing arrives within a few minutes, check your spam "
	    "folder.", kind == LINK_VERIFY ? "Open it to choose your "
	    "password." : "Open it to choose a new password.", life);
	page_message(resp, 200, NULL, "Check your email", text);
done:
	http_form_free(form);
	return rc;
}

static int
handle_register(struct http_request *req, struct http_response *resp,
    void *arg)
{
	if (req->method == HTTP_POST)
		return handle_email_post(req, resp, arg, LINK_VERIFY);
	return handle_email_form(req, resp, arg, LINK_VERIFY);
}

static int
handle_forgot(struct http_request *req, struct http_response *resp,
    void *arg)
{
	if (req->method == HTTP_POST)
		return handle_email_post(req, resp, arg, LINK_RESET);
	return handle_email_form(req, resp, arg, LINK_RESET);
}

/*
 * GET and POST /verify and /reset: set a password through a link.
 */
enum password_result {
	PW_SET = 0,
	PW_LINK_GONE,
	PW_ERROR,
};

struct password_job {
	struct portal		*p;
	struct http_request	*req;
	struct http_response	*resp;
	int			 kind;		/* enum link_kind */
	uint8_t			 key[STORE_KEY_LEN];
	char			*password;	/* sodium_malloc */
	char			 address[AUTH_ADDRESS_MAX + 1];
	int			 result;	/* enum password_result */
	int			 others_ended;	/* sessions were ended */
};

static void
password_job_free(struct password_job *j)
{
	if (j == NULL)
		return;
	if (j->password != NULL)
		sodium_free(j->password);
	sodium_memzero(j, sizeof(*j));
	free(j);
}

static void
password_changed_mail(struct password_job *j)
{
	char	*body, err[256];

	if ((body = link_mail_render(j->p->cfg, "password-changed.txt", j->address,
	    NULL, NULL, 0, err, sizeof(err))) == NULL) {
		log_warnx("%s password-changed mail not sent: %s", j->req->id,
		    err);
		return;
	}
	if (mailer_send(j->p->cfg, j->address, "Your password was changed",
	    body, err, sizeof(err)) == -1)
		log_warnx("%s password-changed mail to %s not sent: %s",
		    j->req->id, j->address, err);
	free(body);
}

static void
password_work(void *arg)
{
	struct password_job	*j = arg;
	struct portal		*p = j->p;
	struct store_token	 t;
	struct store_account	 a;
	char			 hash[crypto_pwhash_STRBYTES];
	time_t			 now = now_of(p);
	int			 st, had_password;

	memset(&t, 0, sizeof(t));
	memset(&a, 0, sizeof(a));
	j->result = PW_ERROR;
	if (crypto_pwhash_str(hash, j->password, strlen(j->password),
	    PWHASH_OPS, PWHASH_MEM) != 0) {
		log_warnx("%s cannot hash a password (no memory?)", j->req->id);
		goto done;
	}
	sodium_free(j->password);
	j->password = NULL;

	/* The link is used up here, whatever happens next. */
	st = store_take_token(p->store, j->key, link_info[j->kind].token_kind,
	    now, &t);
	if (st == STORE_NOTFOUND) {
		j->result = PW_LINK_GONE;
		goto done;
	}
	if (st != STORE_OK)
		goto store_err;
	snprintf(j->address, sizeof(j->address), "%s", t.address);

	st = store_get_account(p->store, t.address, &a);
	if (st == STORE_NOTFOUND) {
		memset(&a, 0, sizeof(a));
		if ((a.address = strdup(t.address)) == NULL)
			goto done;
		a.created = now;
	} else if (st != STORE_OK)
		goto store_err;
	if (a.flags & STORE_ACCOUNT_DISABLED) {
		j->result = PW_LINK_GONE;
		goto done;
	}
	had_password = a.password_hash != NULL && a.password_hash[0] != '\0';
	free(a.password_hash);
	a.password_hash = hash;
	a.password_changed = now;
	st = store_put_account(p->store, &a);
	a.password_hash = NULL;
	if (st != STORE_OK)
		goto store_err;
	if ((st = store_delete_tokens(p->store, t.address,
	    link_info[j->kind].token_kind)) != STORE_OK &&
	    st != STORE_NOTFOUND)
		log_warnx("%s cannot delete old links: %s", j->req->id,
		    store_strerror(st));
	log_info("%s password %s address=%s", j->req->id,
	    had_password ? "changed" : "set", t.address);
	j->result = PW_SET;
	/* A new password ends every session and is told by mail. */
	if (j->kind == LINK_RESET || had_password) {
		if ((st = store_delete_sessions(p->store, t.address)) !=
		    STORE_OK && st != STORE_NOTFOUND)
			log_warnx("%s cannot end sessions: %s", j->req->id,
			    store_strerror(st));
		j->others_ended = 1;
		password_changed_mail(j);
	}
	goto done;
store_err:
	log_warnx("%s cannot set a password: %s", j->req->id,
	    store_strerror(st));
done:
	sodium_memzero(hash, sizeof(hash));
	store_token_clear(&t);
	store_account_clear(&a);
}

static void
password_done(void *arg, int cancelled)
{
	struct password_job	*j = arg;
	struct portal		*p = j->p;
	struct http_request	*req = j->req;
	struct http_response	*resp = j->resp;

	if (cancelled || j->result == PW_ERROR) {
		password_job_free(j);
		http_request_fail(req);
		return;
	}
	if (j->result == PW_LINK_GONE)
		render_link_invalid(resp, j->kind);
	else {
		if (email_cookie_set(p, resp, j->address) == -1) {
			password_job_free(j);
			http_request_fail(req);
			return;
		}
		resp->status = 200;
		page_begin(resp, "Password set", NULL);
		page_printf(resp, "<h1>Your password is set</h1>\n<p>");
		if (j->others_ended)
			page_printf(resp, "Every device that was logged in "
			    "has been logged out, and a message was sent to "
			    "your address. ");
		page_printf(resp, "You can now log in.</p>\n<p><a "
		    "class=\"button\" href=\"/\">Log in</a></p>\n");
		page_end(resp);
	}
	password_job_free(j);
	http_request_done(req);
}

static int
handle_link_get(struct http_request *req, struct http_response *resp,
    struct portal *p, int kind)
{
	struct http_form	*q = NULL;
	struct store_token	 t;
	uint8_t			 key[STORE_KEY_LEN];
	char			 pre[AUTH_TOKEN_HEX + 1];
	const char		*hex;
	int			 rc = HTTP_HANDLER_DONE, found;

	memset(&t, 0, sizeof(t));
	if (http_request_query(req, &q) == -1 ||
	    (hex = http_form_get(q, "token")) == NULL) {
		render_link_invalid(resp, kind);
		goto done;
	}
	if ((found = link_lookup(p, &link_info[kind], hex, key, &t)) == -1) {
		rc = HTTP_HANDLER_ERROR;
		goto done;
	}
	if (found == 1) {
		render_link_invalid(resp, kind);
		goto done;
	}
	if (auth_pre_token(p, req, resp, pre) == -1) {
		rc = HTTP_HANDLER_ERROR;
		goto done;
	}
	render_password_form(p, resp, 200, kind, hex, t.address, pre, NULL);
done:
	store_token_clear(&t);
	http_form_free(q);
	return rc;
}

static int
handle_link_post(struct http_request *req, struct http_response *resp,
    struct portal *p, int kind)
{
	struct http_form	*form = NULL;
	struct password_job	*j = NULL;
	struct store_token	 t;
	uint8_t			 key[STORE_KEY_LEN];
	char			 pre[AUTH_TOKEN_HEX + 1], why[256];
	const char		*hex, *pw, *pw2;
	int			 rc = HTTP_HANDLER_DONE, found, verdict;

	memset(&t, 0, sizeof(t));
	if (http_request_form(req, &form) == -1) {
		page_bad_form(resp);
		return HTTP_HANDLER_DONE;
	}
	if (auth_check_pre(p, req, form) == -1) {
		page_csrf_refused(resp);
		goto done;
	}
	(void)auth_cookie_get(p, req, AUTH_COOKIE_PRE, pre, sizeof(pre));
	if ((hex = http_form_get(form, "token")) == NULL) {
		render_link_invalid(resp, kind);
		goto done;
	}
	if ((found = link_lookup(p, &link_info[kind], hex, key, &t)) == -1) {
		rc = HTTP_HANDLER_ERROR;
		goto done;
	}
	if (found == 1) {
		render_link_invalid(resp, kind);
		goto done;
	}
	pw = http_form_get(form, "password");
	pw2 = http_form_get(form, "password2");
	if (pw == NULL || pw2 == NULL || pw[0] == '\0') {
		render_password_form(p, resp, 400, kind, hex, t.address, pre,
		    "Enter the new password twice.");
		goto done;
	}
	if (strcmp(pw, pw2) != 0) {
		render_password_form(p, resp, 400, kind, hex, t.address, pre,
		    "The two passwords are not the same.");
		goto done;
	}
	verdict = password_check(pw, t.address, p->cfg->password_min_length,
	    p->passwords);
	if (verdict != PASSWORD_OK) {
		password_verdict_text(verdict, p->cfg->password_min_length,
		    why, sizeof(why));
		render_password_form(p, resp, 400, kind, hex, t.address, pre,
		    why);
		goto done;
	}

	if ((j = calloc(1, sizeof(*j))) == NULL ||
	    (j->password = sodium_malloc(strlen(pw) + 1)) == NULL) {
		rc = HTTP_HANDLER_ERROR;
		goto done;
	}
	memcpy(j->password, pw, strlen(pw) + 1);
	j->p = p;
	j->req = req;
	j->resp = resp;
	j->kind = kind;
	memcpy(j->key, key, sizeof(key));
	snprintf(j->address, sizeof(j->address), "%s", t.address);
	if (workpool_submit(hash_pool(p), password_work, password_done, j) == -1) {
		log_warnx("%s worker pool full", req->id);
		page_busy(resp);
		goto done;
	}
	j = NULL;
	rc = HTTP_HANDLER_ASYNC;
done:
	password_job_free(j);
	store_token_clear(&t);
	http_form_free(form);
	return rc;
}

static int
handle_verify(struct http_request *req, struct http_response *resp,
    void *arg)
{
	if (req->method == HTTP_POST)
		return handle_link_post(req, resp, arg, LINK_VERIFY);
	return handle_link_get(req, resp, arg, LINK_VERIFY);
}

static int
handle_reset(struct http_request *req, struct http_response *resp,
    void *arg)
{
	if (req->method == HTTP_POST)
		return handle_link_post(req, resp, arg, LINK_RESET);
	return handle_link_get(req, resp, arg, LINK_RESET);
}

static void
dummy_init(void)
{
	uint8_t	pw[32];

	randombytes_buf(pw, sizeof(pw));
	dummy_ok = crypto_pwhash_str(dummy_hash, (const char *)pw, sizeof(pw),
	    PWHASH_OPS, PWHASH_MEM) == 0;
	sodium_memzero(pw, sizeof(pw));
}

int
auth_routes_add(struct http_router *r, struct portal *p)
{
	static const struct {
		unsigned	 methods;
		const char	*pattern;
		http_handler_fn	 fn;
	} routes[] = {
		{ HTTP_GET, "/", handle_index },
		{ HTTP_POST, "/login", handle_login },
		{ HTTP_POST, "/logout", handle_logout },
		{ HTTP_POST, "/forget-me", handle_forget_me },
		{ HTTP_GET | HTTP_POST, "/register", handle_register },
		{ HTTP_GET | HTTP_POST, "/verify", handle_verify },
		{ HTTP_GET | HTTP_POST, "/forgot", handle_forgot },
		{ HTTP_GET | HTTP_POST, "/reset", handle_reset },
	};
	size_t	i;

	if (p->cfg == NULL || p->store == NULL || p->pool == NULL ||
	    p->throttle == NULL || p->passwords == NULL) {
		log_warnx("auth routes: the portal is not fully set up");
		return -1;
	}
	if (sodium_init() == -1)
		return -1;
	pthread_once(&dummy_once, dummy_init);
	if (!dummy_ok) {
		log_warnx("auth routes: cannot compute the dummy hash");
		return -1;
	}
	for (i = 0; i < sizeof(routes) / sizeof(routes[0]); i++)
		if (http_router_add(r, routes[i].methods, routes[i].pattern,
		    AUTH_FORM_MAX_BODY, routes[i].fn, p) == -1)
			return -1;
	return 0;
}
