/*
 * The account page and aliases in process: the auth, message and
 * account routes on 127.0.0.1:0 over a real LMDB store, messages sealed
 * with message_create_store (what the milter does), sessions made with
 * auth_session_new, and sendmail_command a script that saves each mail,
 * where the test reads the confirmation links.
 *
 * Checks who may manage aliases (refused on the server for guests and
 * with alias_management = no, and without csrf), add, the confirmation
 * link (GET shows a button, POST uses it once), that a pending alias
 * gives no access and a confirmed one does, the merged inbox (newest
 * first, each message once, pages), a registered address's password,
 * remove and promote.
 */
#include <sys/stat.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <cmocka.h>
#include <gmime/gmime.h>
#include <sodium.h>

#include "app.h"
#include "auth.h"
#include "config.h"
#include "http_router.h"
#include "masterkey.h"
#include "message_create.h"
#include "msgid.h"
#include "password.h"
#include "portal_test.h"
#include "store.h"
#include "throttle.h"
#include "workpool.h"

#define ORIGIN		"https://portal.example"
#define T0		1800000000LL
#define PRO		"pat@corp.example"
#define PRO2		"quinn@corp.example"
#define GUEST		"gina@guest.example"
#define ALIAS		"pat@home.example"
#define GOOD_PW		"plum river staple lantern"
#define PRE		"0123456789abcdef0123456789abcdef" \
			"0123456789abcdef0123456789abcdef"

static char	srcdir[4096];
static time_t	fake_now = T0;

static time_t
fake_clock(void)
{
	return fake_now;
}

struct fx {
	char			 dir[64];
	char			 maildir[128];
	struct config		 cfg;
	struct store		*st;
	struct masterkey	*mk;
	struct throttle		*throttle;
	struct password_list	*passwords;
	struct portal		 portal;
	struct pt_server	 srv;
	size_t			 mails;		/* seen so far */
};

static int
fx_setup(void **state, const char *alias_management)
{
	struct fx	*f;
	char		 conf[8192], script[256], path[4300], err[256];
	FILE		*fp;

	if ((f = calloc(1, sizeof(*f))) == NULL)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/test_account.XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	snprintf(f->maildir, sizeof(f->maildir), "%s/mail", f->dir);
	snprintf(script, sizeof(script), "%s/sendmail", f->dir);
	if (mkdir(f->maildir, 0700) == -1 ||
	    (fp = fopen(script, "w")) == NULL)
		return -1;
	fprintf(fp, "#!/bin/sh\nt=\"%s/.tmp.$$\"\ncat > \"$t\" || exit 75\n"
	    "mv \"$t\" \"%s/$(date +%%s%%N).$$.eml\"\n", f->maildir,
	    f->maildir);
	fclose(fp);
	if (chmod(script, 0700) == -1)
		return -1;
	snprintf(conf, sizeof(conf),
	    "store_path = %s/store\n"
	    "store_map_size = 64M\n"
	    "templates_dir = %s/conf/templates\n"
	    "sendmail_command = %s -t -i\n"
	    "portal_url = " ORIGIN "/\n"
	    "noreply_address = noreply@portal.example\n"
	    "internal_domains = corp.example\n"
	    "verify_link_lifetime = 1h\n"
	    "alias_management = %s\n", f->dir, srcdir, script,
	    alias_management);
	snprintf(path, sizeof(path), "%s/master.key", f->dir);
	if (config_load_string(&f->cfg, "test", conf, err, sizeof(err)) == -1 ||
	    store_open(&f->cfg, STORE_OPEN_CREATE, &f->st, err,
	    sizeof(err)) == -1 ||
	    masterkey_create(path, err, sizeof(err)) == -1 ||
	    masterkey_load(path, &f->mk, err, sizeof(err)) == -1) {
		fprintf(stderr, "setup: %s\n", err);
		return -1;
	}
	snprintf(path, sizeof(path), "%s/%s", f->cfg.templates_dir,
	    PASSWORD_LIST_FILE);
	if (password_list_load(path, &f->passwords, err, sizeof(err)) == -1 ||
	    (f->throttle = throttle_new(NULL)) == NULL)
		return -1;
	fake_now = T0;
	pt_init(&f->srv);
	if ((f->srv.pool = workpool_new(f->srv.base, 1, 64)) == NULL)
		return -1;
	f->portal.cfg = &f->cfg;
	f->portal.store = f->st;
	f->portal.mk = f->mk;
	f->portal.pool = f->srv.pool;
	f->portal.now = fake_clock;
	f->portal.throttle = f->throttle;
	f->portal.passwords = f->passwords;
	f->portal.cookie_secure = 0;
	if (auth_routes_add(f->srv.router, &f->portal) == -1 ||
	    msg_routes_add(f->srv.router, &f->portal) == -1 ||
	    account_routes_add(f->srv.router, &f->portal) == -1)
		return -1;
	pt_start(&f->srv, NULL, NULL, NULL);
	*state = f;
	return 0;
}

static int
setup(void **state)
{
	return fx_setup(state, "yes");
}

static int
setup_off(void **state)
{
	return fx_setup(state, "no");
}

static int
teardown(void **state)
{
	struct fx	*f = *state;
	char		 cmd[256];

	pt_stop(&f->srv);
	throttle_free(f->throttle);
	password_list_free(f->passwords);
	masterkey_free(f->mk);
	store_close(f->st);
	config_free(&f->cfg);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", f->dir);
	free(f);
	return 0;
}

/* ---- accounts, sessions, messages ---- */

struct who {
	char	cookie[AUTH_TOKEN_HEX + 1];
	char	csrf[AUTH_CSRF_LEN + 1];
};

static void
account(struct fx *f, const char *address, const char *pw)
{
	struct store_account	a;
	char			hash[crypto_pwhash_STRBYTES];

	memset(&a, 0, sizeof(a));
	hash[0] = '\0';
	if (pw != NULL)
		assert_int_equal(crypto_pwhash_str(hash, pw, strlen(pw),
		    crypto_pwhash_OPSLIMIT_INTERACTIVE,
		    crypto_pwhash_MEMLIMIT_INTERACTIVE), 0);
	a.address = (char *)address;
	a.password_hash = hash;
	a.created = T0;
	assert_int_equal(store_put_account(f->st, &a), STORE_OK);
}

static void
put_alias(struct fx *f, const char *alias, const char *master, int status)
{
	struct store_alias	al = { (char *)alias, (char *)master, status,
				    T0 };

	assert_int_equal(store_put_alias(f->st, &al), STORE_OK);
}

/* STORE_ALIAS_* of alias, 0 when it is nobody's; *master copied. */
static int
alias_status(struct fx *f, const char *alias, char *master, size_t len)
{
	struct store_alias	al;
	int			st, status = 0;

	st = store_get_alias(f->st, alias, &al);
	if (st == STORE_OK) {
		status = al.status;
		if (master != NULL)
			snprintf(master, len, "%s", al.master);
		store_alias_clear(&al);
	} else
		assert_int_equal(st, STORE_NOTFOUND);
	return status;
}

/* A secure message from sender to rcpts, received at when. */
static void
put_message(struct fx *f, const char *sender, const char *rcpt1,
    const char *rcpt2, const char *subject, int64_t when,
    char idstr[MSGID_STRLEN + 1])
{
	char	 raw[1024], err[256], *rcpts[2];
	uint8_t	 id[MSGID_LEN];
	int	 n;

	n = snprintf(raw, sizeof(raw), "From: %s\r\nTo: %s\r\n"
	    "Subject: %s\r\nDate: Fri, 15 Jan 2027 08:00:00 +0000\r\n"
	    "Message-ID: <%s.%lld@test>\r\n\r\nHello.\r\n", sender, rcpt1,
	    subject, subject, (long long)when);
	rcpts[0] = (char *)rcpt1;
	rcpts[1] = (char *)rcpt2;
	assert_int_equal(message_create_store(f->st, f->mk, &f->cfg, sender,
	    rcpts, rcpt2 != NULL ? 2 : 1, (const uint8_t *)raw, (size_t)n, 0,
	    when, id, err, sizeof(err)), MESSAGE_CREATE_OK);
	msgid_encode(id, idstr);
}

/* ---- requests ---- */

/* One request with w's session cookie (w may be NULL) and, for POST,
 * an Origin (origin NULL: ORIGIN; "": none) and the pre-session
 * cookie.  Returns the status; *r is the caller's to free. */
static int
http(struct fx *f, const struct who *w, const char *method,
    const char *target, const char *body, const char *origin,
    struct pt_response *r)
{
	char	req[16384];
	int	n;

	if (origin == NULL)
		origin = ORIGIN;
	n = snprintf(req, sizeof(req), "%s %s HTTP/1.1\r\nHost: "
	    "portal.example\r\nConnection: close\r\nCookie: sealpost-pre="
	    PRE "%s%s\r\n", method, target, w != NULL ? "; sealpost=" : "",
	    w != NULL ? w->cookie : "");
	if (body != NULL)
		n += snprintf(req + n, sizeof(req) - n, "%s%s%s"
		    "Content-Type: application/x-www-form-urlencoded\r\n"
		    "Content-Length: %zu\r\n\r\n%s", origin[0] != '\0' ?
		    "Origin: " : "", origin, origin[0] != '\0' ? "\r\n" : "",
		    strlen(body), body);
	else
		n += snprintf(req + n, sizeof(req) - n, "\r\n");
	assert_true(n > 0 && (size_t)n < sizeof(req));
	assert_int_equal(pt_exchange(f->srv.port, req, (size_t)n, r), 0);
	return r->status;
}

static int
status_of(struct fx *f, const struct who *w, const char *method,
    const char *target, const char *body)
{
	struct pt_response	r;
	int			st;

	st = http(f, w, method, target, body, NULL, &r);
	pt_response_free(&r);
	return st;
}

static void
assert_has(const struct pt_response *r, const char *s)
{
	if (r->body == NULL || strstr(r->body, s) == NULL)
		fail_msg("want \"%s\" in the body:\n%s", s,
		    r->body != NULL ? r->body : "");
}

static void
assert_lacks(const struct pt_response *r, const char *s)
{
	if (r->body != NULL && strstr(r->body, s) != NULL)
		fail_msg("did not want \"%s\" in the body:\n%s", s, r->body);
}

/* A session for address, its csrf read from the account page. */
static void
login(struct fx *f, const char *address, struct who *w)
{
	struct pt_response	 r;
	const char		*p;

	assert_int_equal(auth_session_new(&f->portal, address, "127.0.0.1",
	    w->cookie), 0);
	assert_int_equal(http(f, w, "GET", "/account", NULL, NULL, &r), 200);
	assert_non_null(p = strstr(r.body, "name=\"csrf\" value=\""));
	p += strlen("name=\"csrf\" value=\"");
	memcpy(w->csrf, p, AUTH_CSRF_LEN);
	w->csrf[AUTH_CSRF_LEN] = '\0';
	pt_response_free(&r);
}

/* POST /account/aliases; the status, *r kept when r is not NULL. */
static int
alias_post(struct fx *f, const struct who *w, const char *action,
    const char *alias, const char *pw, struct pt_response *r)
{
	struct pt_response	own;
	char			body[1024];
	int			st;

	snprintf(body, sizeof(body), "csrf=%s&action=%s&alias=%s&password=%s",
	    w->csrf, action, alias, pw != NULL ? pw : "");
	st = http(f, w, "POST", "/account/aliases", body, NULL,
	    r != NULL ? r : &own);
	if (r == NULL)
		pt_response_free(&own);
	return st;
}

/* The token of the next mail, which must go to rcpt. */
static void
next_link(struct fx *f, const char *rcpt, char tok[AUTH_TOKEN_HEX + 1])
{
	char	*mail, want[300];

	mail = pt_mail_wait(f->maildir, ++f->mails);
	snprintf(want, sizeof(want), "To: %s", rcpt);
	if (strstr(mail, want) == NULL)
		fail_msg("want \"%s\" in:\n%s", want, mail);
	pt_mail_token(mail, ORIGIN, "/alias/confirm", tok);
	free(mail);
}

static int
confirm(struct fx *f, const char *tok, struct pt_response *r)
{
	char	body[256];

	snprintf(body, sizeof(body), "csrf=" PRE "&token=%s", tok);
	return http(f, NULL, "POST", "/alias/confirm", body, NULL, r);
}

/* Add ALIAS for w's account and confirm it through the link. */
static void
add_and_confirm(struct fx *f, const struct who *w, const char *alias,
    const char *pw)
{
	struct pt_response	r;
	char			tok[AUTH_TOKEN_HEX + 1];

	assert_int_equal(alias_post(f, w, "add", alias, pw, NULL), 200);
	next_link(f, alias, tok);
	assert_int_equal(confirm(f, tok, &r), 200);
	pt_response_free(&r);
}

/* ---- tests ---- */

static void
test_account_page(void **state)
{
	struct fx		*f = *state;
	struct who		 pro, guest;
	struct pt_response	 r;

	account(f, PRO, NULL);
	account(f, GUEST, NULL);
	login(f, PRO, &pro);
	login(f, GUEST, &guest);
	assert_int_equal(http(f, &pro, "GET", "/account", NULL, NULL, &r),
	    200);
	assert_has(&r, "<dd id=\"login-address\">" PRO "</dd>");
	assert_has(&r, "Professional user");
	assert_has(&r, "name=\"alias\"");
	assert_has(&r, "name=\"password\"");
	assert_has(&r, "href=\"/unsubscribe\"");
	assert_has(&r, "href=\"/inbox\"");
	assert_has(&r, "href=\"/account\"");	/* the page's navigation */
	pt_response_free(&r);

	assert_int_equal(http(f, &guest, "GET", "/account", NULL, NULL, &r),
	    200);
	assert_has(&r, "Guest");
	assert_has(&r, "href=\"/unsubscribe\"");
	assert_lacks(&r, "name=\"alias\"");
	assert_lacks(&r, "/account/aliases");
	pt_response_free(&r);

	/* No session: back to the login page. */
	assert_int_equal(status_of(f, NULL, "GET", "/account", NULL), 303);
}

/* Refused on the server: a guest, a form without csrf or from another
 * origin, and anonymous requests. */
static void
test_refusals(void **state)
{
	struct fx		*f = *state;
	struct who		 pro, guest;
	struct pt_response	 r;
	char			 body[512];

	account(f, PRO, NULL);
	account(f, GUEST, NULL);
	login(f, PRO, &pro);
	login(f, GUEST, &guest);

	assert_int_equal(alias_post(f, &guest, "add", "gina@elsewhere.example",
	    NULL, NULL), 403);
	put_alias(f, "g2@guest.example", GUEST, STORE_ALIAS_CONFIRMED);
	assert_int_equal(status_of(f, &guest, "POST", "/account/aliases/promote",
	    "csrf=x"), 403);
	snprintf(body, sizeof(body), "csrf=%s&alias=g2@guest.example",
	    guest.csrf);
	assert_int_equal(status_of(f, &guest, "POST", "/account/aliases/promote",
	    body), 403);
	assert_int_equal(alias_post(f, &guest, "remove", "g2@guest.example",
	    NULL, NULL), 403);
	assert_int_equal(alias_status(f, "g2@guest.example", NULL, 0),
	    STORE_ALIAS_CONFIRMED);

	/* No csrf, a wrong one, another origin. */
	assert_int_equal(status_of(f, &pro, "POST", "/account/aliases",
	    "action=add&alias=" ALIAS), 403);
	assert_int_equal(status_of(f, &pro, "POST", "/account/aliases",
	    "csrf=00&action=add&alias=" ALIAS), 403);
	snprintf(body, sizeof(body), "csrf=%s&action=add&alias=" ALIAS,
	    pro.csrf);
	assert_int_equal(http(f, &pro, "POST", "/account/aliases", body,
	    "https://evil.example", &r), 403);
	pt_response_free(&r);
	assert_int_equal(status_of(f, NULL, "POST", "/account/aliases", body),
	    303);
	assert_int_equal(alias_status(f, ALIAS, NULL, 0), 0);
	assert_int_equal(pt_mail_count(f->maildir), 0);

	/* Bad input. */
	assert_int_equal(alias_post(f, &pro, "add", "not-an-address", NULL,
	    NULL), 400);
	assert_int_equal(alias_post(f, &pro, "add", PRO, NULL, NULL), 400);
	assert_int_equal(alias_post(f, &pro, "frobnicate", ALIAS, NULL, NULL),
	    400);
	/* Someone else's alias: not to add, not to remove. */
	assert_int_equal(alias_post(f, &pro, "add", "g2@guest.example", NULL,
	    NULL), 400);
	assert_int_equal(alias_post(f, &pro, "remove", "g2@guest.example",
	    NULL, NULL), 400);
	assert_int_equal(alias_status(f, "g2@guest.example", NULL, 0),
	    STORE_ALIAS_CONFIRMED);
	assert_int_equal(pt_mail_count(f->maildir), 0);
}

/* alias_management = no: nobody manages aliases. */
static void
test_management_off(void **state)
{
	struct fx		*f = *state;
	struct who		 pro;
	struct pt_response	 r;
	char			 body[512];

	account(f, PRO, NULL);
	login(f, PRO, &pro);
	assert_int_equal(http(f, &pro, "GET", "/account", NULL, NULL, &r),
	    200);
	assert_lacks(&r, "name=\"alias\"");
	pt_response_free(&r);
	assert_int_equal(alias_post(f, &pro, "add", ALIAS, NULL, NULL), 403);
	put_alias(f, ALIAS, PRO, STORE_ALIAS_CONFIRMED);
	snprintf(body, sizeof(body), "csrf=%s&alias=" ALIAS, pro.csrf);
	assert_int_equal(status_of(f, &pro, "POST", "/account/aliases/promote",
	    body), 403);
	assert_int_equal(alias_status(f, ALIAS, NULL, 0),
	    STORE_ALIAS_CONFIRMED);
	assert_int_equal(pt_mail_count(f->maildir), 0);
}

/*
 * Add, pending (no access), the link (GET changes nothing, POST works
 * once), confirmed (access, inbox), someone else still 404.
 */
static void
test_add_confirm_access(void **state)
{
	struct fx		*f = *state;
	struct who		 pro, other;
	struct pt_response	 r;
	char			 id[MSGID_STRLEN + 1], target[256];
	char			 tok[AUTH_TOKEN_HEX + 1];

	account(f, PRO, NULL);
	account(f, PRO2, NULL);
	login(f, PRO, &pro);
	login(f, PRO2, &other);
	put_message(f, "boss@corp.example", ALIAS, NULL, "to-the-alias",
	    T0 - 100, id);
	snprintf(target, sizeof(target), "/m/%s", id);
	assert_int_equal(status_of(f, &pro, "GET", target, NULL), 404);

	assert_int_equal(alias_post(f, &pro, "add", "Pat@Home.Example", NULL,
	    &r), 200);
	assert_has(&r, "A confirmation link was sent to " ALIAS);
	pt_response_free(&r);
	assert_int_equal(alias_status(f, ALIAS, NULL, 0), STORE_ALIAS_PENDING);
	next_link(f, ALIAS, tok);

	/* Pending: listed as such, and no access. */
	assert_int_equal(http(f, &pro, "GET", "/account", NULL, NULL, &r),
	    200);
	assert_has(&r, ALIAS "</td><td>pending</td>");
	assert_lacks(&r, "Promote to master");
	pt_response_free(&r);
	assert_int_equal(status_of(f, &pro, "GET", target, NULL), 404);
	assert_int_equal(http(f, &pro, "GET", "/inbox", NULL, NULL, &r), 200);
	assert_lacks(&r, id);
	pt_response_free(&r);

	/* GET shows a button and changes nothing. */
	snprintf(target, sizeof(target), "/alias/confirm?token=%s", tok);
	assert_int_equal(http(f, NULL, "GET", target, NULL, NULL, &r), 200);
	assert_has(&r, "action=\"/alias/confirm\"");
	assert_has(&r, ">Confirm</button>");
	pt_response_free(&r);
	assert_int_equal(status_of(f, NULL, "GET", target, NULL), 200);
	assert_int_equal(alias_status(f, ALIAS, NULL, 0), STORE_ALIAS_PENDING);

	/* POST without the pre-session csrf: refused, link kept. */
	snprintf(target, sizeof(target), "token=%s", tok);
	assert_int_equal(status_of(f, NULL, "POST", "/alias/confirm", target),
	    403);
	assert_int_equal(confirm(f, tok, &r), 200);
	assert_has(&r, ALIAS " is now an address of the account " PRO);
	pt_response_free(&r);
	assert_int_equal(alias_status(f, ALIAS, NULL, 0),
	    STORE_ALIAS_CONFIRMED);
	/* Used: the same clear page for GET and POST. */
	assert_int_equal(confirm(f, tok, &r), 400);
	assert_has(&r, "This link does not work");
	pt_response_free(&r);
	snprintf(target, sizeof(target), "/alias/confirm?token=%s", tok);
	assert_int_equal(status_of(f, NULL, "GET", target, NULL), 400);
	assert_int_equal(status_of(f, NULL, "GET", "/alias/confirm?token=zz",
	    NULL), 400);

	/* Confirmed: access, the inbox, the account page. */
	snprintf(target, sizeof(target), "/m/%s", id);
	assert_int_equal(status_of(f, &pro, "GET", target, NULL), 200);
	assert_int_equal(status_of(f, &other, "GET", target, NULL), 404);
	assert_int_equal(http(f, &pro, "GET", "/inbox", NULL, NULL, &r), 200);
	assert_has(&r, id);
	pt_response_free(&r);
	assert_int_equal(http(f, &pro, "GET", "/account", NULL, NULL, &r),
	    200);
	assert_has(&r, ALIAS "</td><td>confirmed</td>");
	assert_has(&r, "Promote to master");
	pt_response_free(&r);
	/* Added twice: refused. */
	assert_int_equal(alias_post(f, &pro, "add", ALIAS, NULL, NULL), 400);
}

/* The merged inbox: newest first, each message once, in pages. */
static void
test_inbox_merged(void **state)
{
	struct fx		*f = *state;
	struct who		 pro;
	struct pt_response	 r;
	char			 id[MSGID_STRLEN + 1], ids[70][MSGID_STRLEN + 1];
	char			 target[64], newest[MSGID_STRLEN + 1];
	const char		*p;
	size_t			 nids = 0, i, j, page;
	int			 k;

	account(f, PRO, NULL);
	login(f, PRO, &pro);
	put_alias(f, ALIAS, PRO, STORE_ALIAS_CONFIRMED);
	put_alias(f, "pending@home.example", PRO, STORE_ALIAS_PENDING);
	/* 20 to the master, 20 to the alias, 20 to both, interleaved in
	 * time; 5 to the pending alias, which must not show. */
	for (k = 0; k < 60; k++)
		put_message(f, "boss@corp.example", k % 3 == 0 ? PRO : ALIAS,
		    k % 3 == 2 ? PRO : NULL, "m", T0 - 1000 + k, newest);
	for (k = 0; k < 5; k++)
		put_message(f, "boss@corp.example", "pending@home.example",
		    NULL, "p", T0 - 10 + k, id);
	login(f, PRO, &pro);	/* the aliases are read per request */
	for (page = 1; page <= 4; page++) {
		snprintf(target, sizeof(target), "/inbox?page=%zu", page);
		assert_int_equal(http(f, &pro, "GET", target, NULL, NULL, &r),
		    200);
		for (p = r.body; (p = strstr(p, "<a href=\"/m/")) != NULL; ) {
			p += strlen("<a href=\"/m/");
			assert_true(nids < 70);
			memcpy(ids[nids], p, MSGID_STRLEN);
			ids[nids][MSGID_STRLEN] = '\0';
			nids++;
		}
		if (page < 3)
			assert_has(&r, "rel=\"next\"");
		else
			assert_lacks(&r, "rel=\"next\"");
		pt_response_free(&r);
	}
	assert_int_equal(nids, 60);
	assert_string_equal(ids[0], newest);
	for (i = 0; i < nids; i++)
		for (j = i + 1; j < nids; j++)
			assert_string_not_equal(ids[i], ids[j]);
}

/* A registered address: its password, then the merge. */
static void
test_registered_alias(void **state)
{
	struct fx		*f = *state;
	struct who		 pro, old;
	struct pt_response	 r;
	struct store_account	 a;
	char			 id[MSGID_STRLEN + 1], target[128];
	char			 tok[AUTH_TOKEN_HEX + 1];

	account(f, PRO, NULL);
	account(f, ALIAS, GOOD_PW);
	login(f, PRO, &pro);
	login(f, ALIAS, &old);
	put_message(f, "boss@corp.example", ALIAS, NULL, "old-account",
	    T0 - 50, id);

	assert_int_equal(alias_post(f, &pro, "add", ALIAS, NULL, &r), 400);
	assert_has(&r, "has its own account here");
	pt_response_free(&r);
	assert_int_equal(alias_post(f, &pro, "add", ALIAS, "wrong+horse+"
	    "battery+staple", &r), 400);
	assert_has(&r, "is not correct");
	pt_response_free(&r);
	assert_int_equal(alias_status(f, ALIAS, NULL, 0), 0);
	assert_int_equal(pt_mail_count(f->maildir), 0);

	assert_int_equal(alias_post(f, &pro, "add", ALIAS,
	    "plum+river+staple+lantern", NULL), 200);
	assert_int_equal(alias_status(f, ALIAS, NULL, 0), STORE_ALIAS_PENDING);
	/* Still its own account until confirmed. */
	assert_int_equal(status_of(f, &old, "GET", "/account", NULL), 200);
	next_link(f, ALIAS, tok);
	snprintf(target, sizeof(target), "/alias/confirm?token=%s", tok);
	assert_int_equal(http(f, NULL, "GET", target, NULL, NULL, &r), 200);
	assert_has(&r, "has its own account here: confirming closes it");
	pt_response_free(&r);
	assert_int_equal(confirm(f, tok, &r), 200);
	assert_has(&r, "Its own account was closed");
	pt_response_free(&r);

	assert_int_equal(store_get_account(f->st, ALIAS, &a), STORE_NOTFOUND);
	assert_int_equal(status_of(f, &old, "GET", "/account", NULL), 303);
	snprintf(target, sizeof(target), "/m/%s", id);
	assert_int_equal(status_of(f, &pro, "GET", target, NULL), 200);
}

/* An address that registered after it was added, without its password
 * being asked, is not merged. */
static void
test_registered_later(void **state)
{
	struct fx		*f = *state;
	struct who		 pro;
	struct pt_response	 r;
	struct store_account	 a;
	char			 tok[AUTH_TOKEN_HEX + 1];

	account(f, PRO, NULL);
	login(f, PRO, &pro);
	assert_int_equal(alias_post(f, &pro, "add", ALIAS, NULL, NULL), 200);
	next_link(f, ALIAS, tok);
	account(f, ALIAS, NULL);
	assert_int_equal(confirm(f, tok, &r), 409);
	pt_response_free(&r);
	assert_int_equal(store_get_account(f->st, ALIAS, &a), STORE_OK);
	store_account_clear(&a);
	assert_int_equal(alias_status(f, ALIAS, NULL, 0), STORE_ALIAS_PENDING);
}

/* Remove: the alias goes, and so does its link. */
static void
test_remove(void **state)
{
	struct fx		*f = *state;
	struct who		 pro;
	struct pt_response	 r;
	char			 id[MSGID_STRLEN + 1], target[128];
	char			 tok[AUTH_TOKEN_HEX + 1];

	account(f, PRO, NULL);
	login(f, PRO, &pro);
	add_and_confirm(f, &pro, ALIAS, NULL);
	put_message(f, "boss@corp.example", ALIAS, NULL, "x", T0 - 5, id);
	snprintf(target, sizeof(target), "/m/%s", id);
	assert_int_equal(status_of(f, &pro, "GET", target, NULL), 200);
	assert_int_equal(alias_post(f, &pro, "remove", ALIAS, NULL, &r), 200);
	assert_has(&r, "was removed");
	pt_response_free(&r);
	assert_int_equal(alias_status(f, ALIAS, NULL, 0), 0);
	assert_int_equal(status_of(f, &pro, "GET", target, NULL), 404);

	assert_int_equal(alias_post(f, &pro, "add", "other@home.example",
	    NULL, NULL), 200);
	next_link(f, "other@home.example", tok);
	assert_int_equal(alias_post(f, &pro, "remove", "other@home.example",
	    NULL, NULL), 200);
	assert_int_equal(confirm(f, tok, &r), 400);
	pt_response_free(&r);
	assert_int_equal(alias_status(f, "other@home.example", NULL, 0), 0);
}

/* Promote: only a confirmed alias; sessions end; the new address is the
 * login, the old one an alias. */
static void
test_promote(void **state)
{
	struct fx		*f = *state;
	struct who		 pro;
	struct pt_response	 r;
	struct store_account	 a;
	char			 body[512], master[256];

	account(f, PRO, GOOD_PW);
	login(f, PRO, &pro);
	put_alias(f, "pending@home.example", PRO, STORE_ALIAS_PENDING);
	snprintf(body, sizeof(body), "csrf=%s&alias=pending@home.example",
	    pro.csrf);
	assert_int_equal(status_of(f, &pro, "POST", "/account/aliases/promote",
	    body), 400);
	put_alias(f, "someone@else.example", PRO2, STORE_ALIAS_CONFIRMED);
	snprintf(body, sizeof(body), "csrf=%s&alias=someone@else.example",
	    pro.csrf);
	assert_int_equal(status_of(f, &pro, "POST", "/account/aliases/promote",
	    body), 400);
	snprintf(body, sizeof(body), "alias=" ALIAS);
	assert_int_equal(status_of(f, &pro, "POST", "/account/aliases/promote",
	    body), 403);

	add_and_confirm(f, &pro, ALIAS, NULL);
	snprintf(body, sizeof(body), "csrf=%s&alias=" ALIAS, pro.csrf);
	assert_int_equal(http(f, &pro, "POST", "/account/aliases/promote", body,
	    NULL, &r), 200);
	assert_has(&r, "log in again with " ALIAS);
	pt_response_free(&r);
	assert_int_equal(status_of(f, &pro, "GET", "/account", NULL), 303);
	assert_int_equal(store_get_account(f->st, ALIAS, &a), STORE_OK);
	assert_true(a.password_hash[0] != '\0');
	store_account_clear(&a);
	assert_int_equal(store_get_account(f->st, PRO, &a), STORE_NOTFOUND);
	assert_int_equal(alias_status(f, PRO, master, sizeof(master)),
	    STORE_ALIAS_CONFIRMED);
	assert_string_equal(master, ALIAS);
	assert_int_equal(alias_status(f, "pending@home.example", master,
	    sizeof(master)), STORE_ALIAS_PENDING);
	assert_string_equal(master, ALIAS);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_account_page, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_refusals, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_management_off, setup_off,
		    teardown),
		cmocka_unit_test_setup_teardown(test_add_confirm_access, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_inbox_merged, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_registered_alias, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_registered_later, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_remove, setup, teardown),
		cmocka_unit_test_setup_teardown(test_promote, setup, teardown),
	};
	snprintf(srcdir, sizeof(srcdir), "%s", SOURCE_DIR);
	if (sodium_init() < 0)
		return 1;
	g_mime_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
