/*
 * Unsubscribe end to end, in process: the auth, reading and unsubscribe
 * routes on 127.0.0.1:0 over a real LMDB store in a temporary directory,
 * an injected clock, a real sealed message (message_create), and
 * sendmail_command pointing at a script that saves each message into a
 * directory, where the test reads the links.
 *
 * Every branch of /unsubscribe: logged in (confirm page, csrf refused,
 * unsubscribed, session ended, no more login, no more message);
 * logged out (the form, the neutral answer for every address, a link
 * only to an address that can receive secure messages, once per window);
 * the link (GET shows a button and changes nothing, POST works once,
 * an expired link is refused); and unsubscribe_address itself.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <ftw.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
#include "password.h"
#include "portal_test.h"
#include "store.h"
#include "throttle.h"
#include "unsubscribe.h"
#include "workpool.h"

#define ORIGIN		"https://portal.example"
#define T0		1800000000LL
#define GOOD_PW		"plum river staple lantern"
#define SENDER		"alice@corp.example"
#define GUEST		"guest@outside.example"
#define OTHER		"other@outside.example"
#define PRE		"0123456789abcdef0123456789abcdef" \
			"0123456789abcdef0123456789abcdef"
#define NEUTRAL		"If this address can receive secure messages " \
	"through sealpost, a link has been sent to it."
#define LIFETIME	(24 * 3600)	/* verify_link_lifetime below */

static atomic_llong	fake_now = T0;
static char		srcdir[4096];

static struct {
	char			 dir[64];
	char			 maildir[128];
	struct config		 cfg;
	struct store		*st;
	struct masterkey	*mk;
	struct throttle		*throttle;
	struct password_list	*passwords;
	struct portal		 portal;
	struct pt_server	 srv;
} F;

static time_t
fake_clock(void)
{
	return (time_t)atomic_load(&fake_now);
}

static void
write_file(const char *path, const char *text, mode_t mode)
{
	FILE	*fp;

	if ((fp = fopen(path, "w")) == NULL)
		abort();
	fputs(text, fp);
	fclose(fp);
	if (chmod(path, mode) == -1)
		abort();
}

static int
rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	return remove(path);
}

static int
setup(void **state)
{
	char	conf[8192], script[256], body[512], path[4200], err[256];
	char	keypath[128];

	memset(&F, 0, sizeof(F));
	atomic_store(&fake_now, T0);
	snprintf(F.dir, sizeof(F.dir), "/tmp/test_unsub.XXXXXX");
	if (mkdtemp(F.dir) == NULL)
		return -1;
	snprintf(F.maildir, sizeof(F.maildir), "%s/mail", F.dir);
	if (mkdir(F.maildir, 0700) == -1)
		return -1;
	snprintf(script, sizeof(script), "%s/sendmail", F.dir);
	snprintf(body, sizeof(body), "#!/bin/sh\n"
	    "t=\"%s/.tmp.$$\"\n"
	    "cat > \"$t\" || exit 75\n"
	    "mv \"$t\" \"%s/$(date +%%s%%N).$$.eml\"\n", F.maildir,
	    F.maildir);
	write_file(script, body, 0700);
	snprintf(conf, sizeof(conf),
	    "store_path = %s/store\n"
	    "store_map_size = 64M\n"
	    "templates_dir = %s/conf/templates\n"
	    "sendmail_command = %s -t -i\n"
	    "portal_url = " ORIGIN "/\n"
	    "noreply_address = noreply@portal.example\n"
	    "internal_domains = corp.example\n"
	    "verify_link_lifetime = 24h\n", F.dir, srcdir, script);
	snprintf(keypath, sizeof(keypath), "%s/master.key", F.dir);
	if (config_load_string(&F.cfg, "test", conf, err, sizeof(err)) == -1 ||
	    masterkey_create(keypath, err, sizeof(err)) == -1 ||
	    masterkey_load(keypath, &F.mk, err, sizeof(err)) == -1 ||
	    store_open(&F.cfg, STORE_OPEN_CREATE, &F.st, err,
	    sizeof(err)) == -1) {
		fprintf(stderr, "setup: %s\n", err);
		return -1;
	}
	snprintf(path, sizeof(path), "%s/%s", F.cfg.templates_dir,
	    PASSWORD_LIST_FILE);
	if (password_list_load(path, &F.passwords, err, sizeof(err)) == -1 ||
	    (F.throttle = throttle_new(NULL)) == NULL) {
		fprintf(stderr, "setup: %s\n", err);
		return -1;
	}
	pt_init(&F.srv);
	/* One worker: jobs run in order, so a later mail proves an
	 * earlier job finished. */
	if ((F.srv.pool = workpool_new(F.srv.base, 1, 64)) == NULL)
		return -1;
	F.portal.cfg = &F.cfg;
	F.portal.store = F.st;
	F.portal.mk = F.mk;
	F.portal.pool = F.srv.pool;
	F.portal.now = fake_clock;
	F.portal.throttle = F.throttle;
	F.portal.passwords = F.passwords;
	F.portal.cookie_secure = 0;
	if (auth_routes_add(F.srv.router, &F.portal) == -1 ||
	    msg_routes_add(F.srv.router, &F.portal) == -1 ||
	    unsubscribe_routes_add(F.srv.router, &F.portal) == -1)
		return -1;
	pt_start(&F.srv, NULL, NULL, NULL);
	return 0;
}

static int
teardown(void **state)
{
	pt_stop(&F.srv);
	throttle_free(F.throttle);
	password_list_free(F.passwords);
	store_close(F.st);
	masterkey_free(F.mk);
	config_free(&F.cfg);
	nftw(F.dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	return 0;
}

/* ---- requests ---- */

/*
 * One request with the given cookies ("sealpost=…; sealpost-pre=…",
 * or NULL) and form body (NULL for none); Origin is the portal's unless
 * origin says otherwise.  The status.
 */
static int
http(const char *method, const char *target, const char *cookies,
    const char *body, const char *origin, struct pt_response *r)
{
	struct pt_conn	c;
	char		req[16384];
	size_t		n;

	n = (size_t)snprintf(req, sizeof(req), "%s %s HTTP/1.1\r\n"
	    "Host: portal.example\r\nConnection: close\r\n", method, target);
	if (cookies != NULL)
		n += (size_t)snprintf(req + n, sizeof(req) - n,
		    "Cookie: %s\r\n", cookies);
	if (body != NULL)
		n += (size_t)snprintf(req + n, sizeof(req) - n,
		    "Origin: %s\r\nContent-Type: "
		    "application/x-www-form-urlencoded\r\n"
		    "Content-Length: %zu\r\n\r\n%s",
		    origin != NULL ? origin : ORIGIN, strlen(body), body);
	else
		n += (size_t)snprintf(req + n, sizeof(req) - n, "\r\n");
	assert_true(n < sizeof(req));
	assert_int_equal(pt_connect(&c, F.srv.port, 0), 0);
	assert_int_equal(pt_send(&c, req, n), 0);
	assert_int_equal(pt_read_response(&c, r, 30000), 0);
	pt_close(&c);
	return r->status;
}

static void
assert_has(const struct pt_response *r, const char *s)
{
	if (r->body == NULL || strstr(r->body, s) == NULL)
		fail_msg("want \"%s\" in the body:\n%s", s,
		    r->body != NULL ? r->body : "(none)");
}

static void
assert_lacks(const struct pt_response *r, const char *s)
{
	if (r->body != NULL && strstr(r->body, s) != NULL)
		fail_msg("did not want \"%s\" in the body:\n%s", s, r->body);
}

/* The value of cookie name set by r (empty when it is cleared). */
static int
set_cookie(const struct pt_response *r, const char *name, char *out,
    size_t len)
{
	char		 want[64];
	const char	*p, *e;

	snprintf(want, sizeof(want), "\r\nSet-Cookie: %s=", name);
	if ((p = strstr(r->head, want)) == NULL)
		return -1;
	p += strlen(want);
	e = p + strcspn(p, ";\r");
	snprintf(out, len, "%.*s", (int)(e - p), p);
	return 0;
}

/* The value of the hidden field name in a page. */
static void
hidden_of(const struct pt_response *r, const char *name, char *out,
    size_t len)
{
	char		 want[64];
	const char	*p, *e;

	snprintf(want, sizeof(want), "name=\"%s\" value=\"", name);
	if ((p = strstr(r->body, want)) == NULL)
		fail_msg("no field %s in:\n%s", name, r->body);
	p += strlen(want);
	assert_non_null(e = strchr(p, '"'));
	snprintf(out, len, "%.*s", (int)(e - p), p);
}

static int
account_flags(const char *addr, uint32_t *flags)
{
	struct store_account	a;
	int			st;

	if ((st = store_get_account(F.st, addr, &a)) == STORE_OK) {
		*flags = a.flags;
		store_account_clear(&a);
	}
	return st;
}

static int
unsubscribed(const char *addr)
{
	uint32_t	flags = 0;

	return account_flags(addr, &flags) == STORE_OK &&
	    (flags & STORE_ACCOUNT_UNSUBSCRIBED) != 0;
}

static void
put_account(const char *addr, const char *pw)
{
	struct store_account	a;
	char			hash[crypto_pwhash_STRBYTES];

	assert_int_equal(crypto_pwhash_str(hash, pw, strlen(pw),
	    crypto_pwhash_OPSLIMIT_INTERACTIVE,
	    crypto_pwhash_MEMLIMIT_INTERACTIVE), 0);
	memset(&a, 0, sizeof(a));
	a.address = (char *)addr;
	a.password_hash = hash;
	a.created = atomic_load(&fake_now);
	a.password_changed = a.created;
	assert_int_equal(store_put_account(F.st, &a), STORE_OK);
}

/* A real secure message from SENDER to rcpt; idstr gets its id. */
static void
put_message(const char *rcpt, char idstr[MSGID_STRLEN + 1])
{
	struct message_draft	 d;
	struct message_created	 out;
	const char		*to[1] = { rcpt };
	char			 err[256];

	memset(&d, 0, sizeof(d));
	memset(&out, 0, sizeof(out));
	d.from = SENDER;
	d.to = to;
	d.nto = 1;
	d.subject = "Quarterly figures";
	d.body = "The figures are attached.\n";
	if (message_create(F.st, F.mk, &F.cfg, &d, atomic_load(&fake_now),
	    &out, err, sizeof(err)) != MESSAGE_CREATE_OK)
		fail_msg("message_create: %s", err);
	memcpy(idstr, out.idstr, MSGID_STRLEN + 1);
	message_created_clear(&out);
}

/* Log in through POST /login; cookie gets "sealpost=ID". */
static int
login(const char *addr, const char *pw, char *cookie, size_t len)
{
	struct pt_response	r;
	char			body[512], id[AUTH_TOKEN_HEX + 1];
	int			status;

	snprintf(body, sizeof(body), "csrf=" PRE "&email=%s&password=%s",
	    addr, pw);
	for (char *p = body; *p != '\0'; p++)
		if (*p == ' ')
			*p = '+';
	status = http("POST", "/login", "sealpost-pre=" PRE, body, NULL, &r);
	if (status == 303) {
		assert_int_equal(set_cookie(&r, "sealpost", id, sizeof(id)), 0);
		snprintf(cookie, len, "sealpost=%s", id);
	}
	pt_response_free(&r);
	return status;
}

/* ---- mail the script saved: files named by time ---- */

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static size_t
mail_list(char **names, size_t max)
{
	DIR		*d;
	struct dirent	*e;
	size_t		 n = 0, l;

	assert_non_null(d = opendir(F.maildir));
	while ((e = readdir(d)) != NULL && n < max) {
		l = strlen(e->d_name);
		if (e->d_name[0] != '.' && l > 4 &&
		    strcmp(e->d_name + l - 4, ".eml") == 0)
			names[n++] = strdup(e->d_name);
	}
	closedir(d);
	qsort(names, n, sizeof(*names), name_cmp);
	return n;
}

static size_t
mail_count(void)
{
	char	*names[64];
	size_t	 n, i;

	n = mail_list(names, 64);
	for (i = 0; i < n; i++)
		free(names[i]);
	return n;
}

/* Undo quoted-printable soft breaks and =XX escapes in place. */
static void
qp_decode(char *s)
{
	char		*o = s;
	unsigned int	 x;

	while (*s != '\0') {
		if (s[0] == '=' && s[1] == '\n') {
			s += 2;
		} else if (s[0] == '=' && s[1] != '\0' && s[2] != '\0' &&
		    sscanf(s + 1, "%2x", &x) == 1) {
			*o++ = (char)x;
			s += 3;
		} else
			*o++ = *s++;
	}
	*o = '\0';
}

/* Wait for the n-th mail (1-based) and return it, decoded; caller frees. */
static char *
mail_wait(size_t n)
{
	char		*names[64], path[512], *buf;
	long long	 deadline = pt_now_ms() + 20000;
	size_t		 got, i;
	FILE		*fp;
	long		 len;

	for (;;) {
		got = mail_list(names, 64);
		if (got >= n)
			break;
		for (i = 0; i < got; i++)
			free(names[i]);
		if (pt_now_ms() > deadline)
			fail_msg("mail %zu did not arrive", n);
		usleep(20000);
	}
	snprintf(path, sizeof(path), "%s/%s", F.maildir, names[n - 1]);
	for (i = 0; i < got; i++)
		free(names[i]);
	assert_non_null(fp = fopen(path, "r"));
	fseek(fp, 0, SEEK_END);
	len = ftell(fp);
	rewind(fp);
	assert_non_null(buf = calloc(1, (size_t)len + 1));
	assert_int_equal(fread(buf, 1, (size_t)len, fp), (size_t)len);
	fclose(fp);
	qp_decode(buf);
	return buf;
}

/* The token of the unsubscribe link in a mail. */
static void
token_of(const char *mail, char out[AUTH_TOKEN_HEX + 1])
{
	const char	*want = ORIGIN "/unsubscribe?token=", *p;

	if ((p = strstr(mail, want)) == NULL)
		fail_msg("no unsubscribe link in:\n%s", mail);
	p += strlen(want);
	memcpy(out, p, AUTH_TOKEN_HEX);
	out[AUTH_TOKEN_HEX] = '\0';
	assert_int_equal(strspn(out, "0123456789abcdef"), AUTH_TOKEN_HEX);
}

/* POST /unsubscribe email=addr without a session; the page. */
static void
ask_link(const char *addr, struct pt_response *r)
{
	char	body[512];

	snprintf(body, sizeof(body), "csrf=" PRE "&email=%s", addr);
	assert_int_equal(http("POST", "/unsubscribe", "sealpost-pre=" PRE,
	    body, NULL, r), 200);
}

/* ---- tests ---- */

/*
 * Logged in: the confirmation page, csrf refused, then unsubscribed:
 * the session ends, no login, no message.
 */
static void
test_logged_in(void **state)
{
	struct pt_response	 r;
	struct store_session	 s;
	char			 id[MSGID_STRLEN + 1], path[64], cookie[128];
	char			 csrf[AUTH_CSRF_LEN + 1], body[256];
	char			 sid[AUTH_TOKEN_HEX + 1], cleared[8];
	uint8_t			 key[STORE_KEY_LEN];

	put_account(GUEST, GOOD_PW);
	put_message(GUEST, id);
	snprintf(path, sizeof(path), "/m/%s", id);
	assert_int_equal(login(GUEST, GOOD_PW, cookie, sizeof(cookie)), 303);
	assert_int_equal(http("GET", path, cookie, NULL, NULL, &r), 200);
	assert_has(&r, "Quarterly figures");
	pt_response_free(&r);

	/* The confirmation says what happens, with a form and Cancel. */
	assert_int_equal(http("GET", "/unsubscribe", cookie, NULL, NULL, &r),
	    200);
	assert_has(&r, GUEST);
	assert_has(&r, "no more notifications");
	assert_has(&r, "lose access to every message you received");
	assert_has(&r, "cannot be undone here");
	assert_has(&r, "administrator");
	assert_has(&r, "<form method=\"post\" action=\"/unsubscribe\">");
	assert_has(&r, "<button type=\"submit\">Unsubscribe</button>");
	assert_has(&r, "href=\"/inbox\">Cancel</a>");
	assert_has(&r, "name=\"viewport\"");
	hidden_of(&r, "csrf", csrf, sizeof(csrf));
	assert_int_equal(strlen(csrf), AUTH_CSRF_LEN);
	pt_response_free(&r);
	assert_false(unsubscribed(GUEST));

	/* No csrf, a wrong one, or another site's Origin: 403, nothing
	 * changes. */
	assert_int_equal(http("POST", "/unsubscribe", cookie, "x=1", NULL,
	    &r), 403);
	pt_response_free(&r);
	assert_int_equal(http("POST", "/unsubscribe", cookie, "csrf=" PRE,
	    NULL, &r), 403);
	pt_response_free(&r);
	snprintf(body, sizeof(body), "csrf=%s", csrf);
	assert_int_equal(http("POST", "/unsubscribe", cookie, body,
	    "https://evil.example", &r), 403);
	pt_response_free(&r);
	assert_false(unsubscribed(GUEST));
	assert_int_equal(http("GET", path, cookie, NULL, NULL, &r), 200);
	pt_response_free(&r);

	/* Without a session, the session form goes to the login page. */
	assert_int_equal(http("POST", "/unsubscribe", NULL, body, NULL, &r),
	    303);
	pt_response_free(&r);
	assert_false(unsubscribed(GUEST));

	/* Confirmed: unsubscribed, logged out. */
	assert_int_equal(http("POST", "/unsubscribe", cookie, body, NULL, &r),
	    200);
	assert_has(&r, "You are unsubscribed");
	assert_has(&r, GUEST);
	assert_int_equal(set_cookie(&r, "sealpost", cleared, sizeof(cleared)),
	    0);
	assert_string_equal(cleared, "");
	pt_response_free(&r);
	assert_true(unsubscribed(GUEST));
	assert_int_equal(strlen(cookie), strlen("sealpost=") + AUTH_TOKEN_HEX);
	memcpy(sid, cookie + strlen("sealpost="), sizeof(sid));
	assert_int_equal(auth_token_key(sid, key), 0);
	assert_int_equal(store_get_session(F.st, key, &s), STORE_NOTFOUND);

	/* The old cookie opens nothing. */
	assert_int_equal(http("GET", path, cookie, NULL, NULL, &r), 303);
	pt_response_free(&r);
	/* The right password no longer logs in. */
	assert_int_equal(login(GUEST, GOOD_PW, cookie, sizeof(cookie)), 400);
	/* A session that survived somehow is refused, and the message
	 * with it. */
	assert_int_equal(auth_session_new(&F.portal, GUEST, "127.0.0.1", sid),
	    0);
	snprintf(cookie, sizeof(cookie), "sealpost=%s", sid);
	assert_int_equal(http("GET", path, cookie, NULL, NULL, &r), 403);
	assert_lacks(&r, "Quarterly figures");
	pt_response_free(&r);
	/* ... and ended there. */
	assert_int_equal(http("GET", "/inbox", cookie, NULL, NULL, &r), 303);
	pt_response_free(&r);
	/* Nor can it register again or reset its way back in. */
	snprintf(body, sizeof(body), "csrf=" PRE "&email=" GUEST);
	assert_int_equal(http("POST", "/forgot", "sealpost-pre=" PRE, body,
	    NULL, &r), 200);
	pt_response_free(&r);
	assert_int_equal(http("POST", "/register", "sealpost-pre=" PRE, body,
	    NULL, &r), 200);
	pt_response_free(&r);
	/* Nor ask for an unsubscribe link: nothing to send. */
	ask_link(GUEST, &r);
	pt_response_free(&r);
	/* A mail to another address proves the jobs above have run. */
	put_message(OTHER, id);
	ask_link(OTHER, &r);
	pt_response_free(&r);
	free(mail_wait(1));
	assert_int_equal(mail_count(), 1);
}

/*
 * Logged out: the form, the same neutral answer for every address, a
 * link only where secure messages can go; GET shows a button and does
 * nothing; POST works once.
 */
static void
test_link(void **state)
{
	struct pt_response	 r, r2;
	struct store_account	 a;
	char			 tok[AUTH_TOKEN_HEX + 1], target[128], pre[80];
	char			 body[256], id[MSGID_STRLEN + 1], *mail;
	char			 sid[AUTH_TOKEN_HEX + 1], cookies[256];
	struct store_session	 s;
	uint8_t			 key[STORE_KEY_LEN];

	put_message(GUEST, id);

	/* The form, with its pre-session token in cookie and field. */
	assert_int_equal(http("GET", "/unsubscribe", NULL, NULL, NULL, &r),
	    200);
	assert_has(&r, "<label for=\"email\">");
	assert_has(&r, "autocomplete=\"email\"");
	assert_int_equal(set_cookie(&r, "sealpost-pre", pre, sizeof(pre)), 0);
	assert_int_equal(strlen(pre), AUTH_TOKEN_HEX);
	hidden_of(&r, "csrf", target, sizeof(target));
	assert_string_equal(target, pre);
	pt_response_free(&r);

	/* Without the pre-session token: 403. */
	assert_int_equal(http("POST", "/unsubscribe", NULL, "email=" GUEST,
	    NULL, &r), 403);
	pt_response_free(&r);
	/* Not an address: the form again, with the error. */
	assert_int_equal(http("POST", "/unsubscribe", "sealpost-pre=" PRE,
	    "csrf=" PRE "&email=nobody", NULL, &r), 400);
	assert_has(&r, "Enter a valid email address");
	pt_response_free(&r);

	/* An address we never wrote to and the recipient: the same page. */
	ask_link("stranger@else.example", &r);
	ask_link(" Guest@Outside.example ", &r2);
	assert_has(&r, NEUTRAL);
	assert_has(&r, "24 hours");
	assert_string_equal(r.body, r2.body);
	pt_response_free(&r);
	pt_response_free(&r2);
	mail = mail_wait(1);
	assert_non_null(strstr(mail, "To: " GUEST));
	assert_non_null(strstr(mail, "Subject: Confirm: unsubscribe"));
	assert_non_null(strstr(mail, "expires in 24 hours"));
	token_of(mail, tok);
	free(mail);
	/* The stranger's job ran first and sent nothing. */
	assert_int_equal(mail_count(), 1);
	/* Asked for, not done: no account record yet. */
	assert_int_equal(store_get_account(F.st, GUEST, &a), STORE_NOTFOUND);

	/* One link per address per window: the same answer, no mail. */
	ask_link(GUEST, &r);
	assert_has(&r, NEUTRAL);
	pt_response_free(&r);
	put_message(OTHER, id);
	ask_link(OTHER, &r);
	pt_response_free(&r);
	mail = mail_wait(2);
	assert_non_null(strstr(mail, "To: " OTHER));
	free(mail);
	assert_int_equal(mail_count(), 2);

	/* The link's GET: the address and a button; nothing changes. */
	snprintf(target, sizeof(target), "/unsubscribe?token=%s", tok);
	assert_int_equal(http("GET", target, NULL, NULL, NULL, &r), 200);
	assert_has(&r, GUEST);
	assert_has(&r, "Confirm: unsubscribe</button>");
	assert_has(&r, "lose access to every message you received");
	hidden_of(&r, "token", body, sizeof(body));
	assert_string_equal(body, tok);
	pt_response_free(&r);
	assert_int_equal(http("GET", target, NULL, NULL, NULL, &r), 200);
	pt_response_free(&r);
	assert_false(unsubscribed(GUEST));

	/* The button without the pre-session token: 403, the link stays. */
	snprintf(body, sizeof(body), "token=%s", tok);
	assert_int_equal(http("POST", "/unsubscribe", NULL, body, NULL, &r),
	    403);
	pt_response_free(&r);
	snprintf(body, sizeof(body), "csrf=" PRE "&token=%s", tok);
	assert_int_equal(http("POST", "/unsubscribe", "sealpost-pre=" PRE,
	    body, "https://evil.example", &r), 403);
	pt_response_free(&r);
	assert_false(unsubscribed(GUEST));

	/* Confirmed (from a browser where another account is logged in):
	 * an account record without a password, unsubscribed; the other
	 * account stays logged in. */
	put_account("carol@corp.example", GOOD_PW);
	assert_int_equal(auth_session_new(&F.portal, "carol@corp.example",
	    "127.0.0.1", sid), 0);
	snprintf(cookies, sizeof(cookies), "sealpost=%s; sealpost-pre=" PRE,
	    sid);
	assert_int_equal(http("POST", "/unsubscribe", cookies, body, NULL,
	    &r), 200);
	assert_has(&r, "You are unsubscribed");
	assert_int_equal(set_cookie(&r, "sealpost", pre, sizeof(pre)), -1);
	pt_response_free(&r);
	assert_int_equal(auth_token_key(sid, key), 0);
	assert_int_equal(store_get_session(F.st, key, &s), STORE_OK);
	store_session_clear(&s);
	assert_int_equal(store_get_account(F.st, GUEST, &a), STORE_OK);
	assert_true(a.flags & STORE_ACCOUNT_UNSUBSCRIBED);
	assert_string_equal(a.password_hash, "");
	store_account_clear(&a);

	/* Once. */
	assert_int_equal(http("POST", "/unsubscribe", "sealpost-pre=" PRE,
	    body, NULL, &r), 400);
	assert_has(&r, "This link does not work");
	pt_response_free(&r);
	assert_int_equal(http("GET", target, NULL, NULL, NULL, &r), 400);
	pt_response_free(&r);
	/* A token that is not one. */
	assert_int_equal(http("GET", "/unsubscribe?token=zz", NULL, NULL,
	    NULL, &r), 400);
	pt_response_free(&r);

	/* The window passed: the other address may ask again. */
	atomic_fetch_add(&fake_now, THROTTLE_MAIL_WINDOW);
	ask_link(OTHER, &r);
	pt_response_free(&r);
	mail = mail_wait(3);
	assert_non_null(strstr(mail, "To: " OTHER));
	free(mail);
}

/* An expired link is refused by GET and POST. */
static void
test_expired(void **state)
{
	struct pt_response	 r;
	char			 tok[AUTH_TOKEN_HEX + 1], target[128];
	char			 body[256], *mail;

	/* An internal address may always ask. */
	ask_link("bob@corp.example", &r);
	pt_response_free(&r);
	mail = mail_wait(1);
	token_of(mail, tok);
	free(mail);
	atomic_fetch_add(&fake_now, LIFETIME + 1);
	snprintf(target, sizeof(target), "/unsubscribe?token=%s", tok);
	assert_int_equal(http("GET", target, NULL, NULL, NULL, &r), 400);
	assert_has(&r, "This link does not work");
	assert_has(&r, "href=\"/unsubscribe\"");
	pt_response_free(&r);
	snprintf(body, sizeof(body), "csrf=" PRE "&token=%s", tok);
	assert_int_equal(http("POST", "/unsubscribe", "sealpost-pre=" PRE,
	    body, NULL, &r), 400);
	pt_response_free(&r);
	assert_false(unsubscribed("bob@corp.example"));
}

/* unsubscribe_address: created, already, alias; sessions and links. */
static void
test_unsubscribe_address(void **state)
{
	struct unsubscribe_result	 res;
	struct store_alias		 al;
	struct store_token		 t, out;
	struct store_session		 s;
	char				 sid[AUTH_TOKEN_HEX + 1];
	uint8_t				 key[STORE_KEY_LEN];

	/* An address without an account gets one. */
	assert_int_equal(unsubscribe_address(F.st, "new@else.example", T0,
	    &res), UNSUBSCRIBE_DONE);
	assert_true(res.created);
	assert_true(unsubscribed("new@else.example"));
	assert_int_equal(unsubscribe_address(F.st, "new@else.example", T0,
	    &res), UNSUBSCRIBE_ALREADY);
	assert_false(res.created);

	/* An account: its sessions and pending links go. */
	put_account(GUEST, GOOD_PW);
	assert_int_equal(auth_session_new(&F.portal, GUEST, "127.0.0.1", sid),
	    0);
	memset(&t, 0, sizeof(t));
	auth_token_new(sid, t.key);
	t.kind = STORE_TOKEN_RESET;
	t.address = GUEST;
	t.data = "";
	t.expires = T0 + 3600;
	assert_int_equal(store_put_token(F.st, &t), STORE_OK);
	assert_int_equal(unsubscribe_address(F.st, GUEST, T0, &res),
	    UNSUBSCRIBE_DONE);
	assert_false(res.created);
	assert_true(unsubscribed(GUEST));
	assert_int_equal(store_peek_token(F.st, t.key, STORE_TOKEN_RESET, T0,
	    &out), STORE_NOTFOUND);
	assert_int_equal(auth_token_key(sid, key), 0);
	assert_int_equal(store_get_session(F.st, key, &s), STORE_NOTFOUND);

	/* A confirmed alias is refused and left alone. */
	put_account("carol@corp.example", GOOD_PW);
	memset(&al, 0, sizeof(al));
	al.alias = "c@outside.example";
	al.master = "carol@corp.example";
	al.status = STORE_ALIAS_CONFIRMED;
	al.created = T0;
	assert_int_equal(store_put_alias(F.st, &al), STORE_OK);
	assert_int_equal(unsubscribe_address(F.st, "c@outside.example", T0,
	    &res), UNSUBSCRIBE_ALIAS);
	assert_string_equal(res.master, "carol@corp.example");
	assert_false(unsubscribed("c@outside.example"));
	assert_false(unsubscribed("carol@corp.example"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_logged_in, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_link, setup, teardown),
		cmocka_unit_test_setup_teardown(test_expired, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unsubscribe_address, setup,
		    teardown),
	};
	char	*p;

	signal(SIGPIPE, SIG_IGN);
	if (sodium_init() == -1)
		return 1;
	g_mime_init();
	snprintf(srcdir, sizeof(srcdir), "%s", __FILE__);
	if ((p = strstr(srcdir, "/test/portal/")) == NULL)
		return 1;
	*p = '\0';
	return cmocka_run_group_tests(tests, NULL, NULL);
}
