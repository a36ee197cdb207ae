/*
 * Accounts and sessions end to end, in process: the auth routes on
 * 127.0.0.1:0 over a real LMDB store in a temporary directory, an
 * injected clock, and sendmail_command pointing at a script that saves
 * each message into a directory, where the test reads the links.
 *
 * The test's own GET /inbox shows how a handler gets the logged-in
 * user: auth_session(), and auth_refuse() when it is not AUTH_OK.
 */
#include <sys/socket.h>
#include <sys/stat.h>

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
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
#include "page.h"
#include "password.h"
#include "portal_test.h"
#include "store.h"
#include "throttle.h"
#include "workpool.h"

#define ORIGIN		"https://portal.example"
#define T0		1800000000LL
#define GOOD_PW		"plum river staple lantern"
#define FAILED_TEXT	"The email address or the password is not correct."
#define NEUTRAL_TEXT	"If this address may use sealpost, a link has " \
	"been sent to it."

static atomic_llong	fake_now = T0;
static char		srcdir[4096];

static time_t
fake_clock(void)
{
	return (time_t)atomic_load(&fake_now);
}

static void
advance(long long s)
{
	atomic_fetch_add(&fake_now, s);
}

struct fx {
	char			 dir[64];
	char			 maildir[128];
	struct config		 cfg;
	struct store		*st;
	struct throttle		*throttle;
	struct password_list	*passwords;
	struct portal		 portal;
	struct pt_server	 srv;
};

/*
 * What every handler that needs a session does: auth_session(), then
 * auth_refuse() for anything but AUTH_OK.
 */
static int
handle_test_inbox(struct http_request *req, struct http_response *resp,
    void *arg)
{
	struct portal		*p = arg;
	struct auth_user	 user;
	int			 st;

	if ((st = auth_session(p, req, &user)) != AUTH_OK)
		return auth_refuse(p, req, resp, st);
	page_begin(resp, "Inbox", &user);
	page_printf(resp, "<p id=\"who\">");
	page_text(resp, user.address);
	page_printf(resp, "</p>\n<p id=\"csrf\">%s</p>\n", user.csrf);
	page_end(resp);
	auth_user_clear(&user);
	return HTTP_HANDLER_DONE;
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
fx_setup(void **state, int cookie_secure, unsigned max_jobs,
    unsigned hash_jobs)
{
	struct fx	*f;
	char		 conf[8192], script[256], body[512], path[4200], err[256];

	if ((f = calloc(1, sizeof(*f))) == NULL)
		return -1;
	atomic_store(&fake_now, T0);
	snprintf(f->dir, sizeof(f->dir), "/tmp/test_auth.XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	snprintf(f->maildir, sizeof(f->maildir), "%s/mail", f->dir);
	if (mkdir(f->maildir, 0700) == -1)
		return -1;
	snprintf(script, sizeof(script), "%s/sendmail", f->dir);
	snprintf(body, sizeof(body), "#!/bin/sh\n"
	    "t=\"%s/.tmp.$$\"\n"
	    "cat > \"$t\" || exit 75\n"
	    "mv \"$t\" \"%s/$(date +%%s%%N).$$.eml\"\n", f->maildir,
	    f->maildir);
	write_file(script, body, 0700);
	snprintf(conf, sizeof(conf),
	    "store_path = %s/store\n"
	    "store_map_size = 64M\n"
	    "templates_dir = %s/conf/templates\n"
	    "sendmail_command = %s -t -i\n"
	    "portal_url = " ORIGIN "/\n"
	    "noreply_address = noreply@portal.example\n"
	    "internal_domains = corp.example\n"
	    "session_idle_timeout = 10m\n"
	    "session_max_lifetime = 2h\n"
	    "reset_link_lifetime = 1h\n", f->dir, srcdir, script);
	if (config_load_string(&f->cfg, "test", conf, err, sizeof(err)) == -1 ||
	    store_open(&f->cfg, STORE_OPEN_CREATE, &f->st, err,
	    sizeof(err)) == -1) {
		fprintf(stderr, "setup: %s\n", err);
		return -1;
	}
	snprintf(path, sizeof(path), "%s/%s", f->cfg.templates_dir,
	    PASSWORD_LIST_FILE);
	if (password_list_load(path, &f->passwords, err, sizeof(err)) == -1 ||
	    (f->throttle = throttle_new(NULL)) == NULL) {
		fprintf(stderr, "setup: %s\n", err);
		return -1;
	}

	pt_init(&f->srv);
	/* One worker: jobs run in order, so a later mail proves an
	 * earlier job finished. */
	if ((f->srv.pool = workpool_new(f->srv.base, 1, max_jobs)) == NULL)
		return -1;
	f->portal.cfg = &f->cfg;
	f->portal.store = f->st;
	f->portal.pool = f->srv.pool;
	/* Argon2id apart, as main.c does, when the test asks for it. */
	if (hash_jobs > 0 && (f->portal.hash_pool = f->srv.hash_pool =
	    workpool_new(f->srv.base, 1, hash_jobs)) == NULL)
		return -1;
	f->portal.now = fake_clock;
	f->portal.throttle = f->throttle;
	f->portal.passwords = f->passwords;
	f->portal.cookie_secure = cookie_secure;
	if (auth_routes_add(f->srv.router, &f->portal) == -1 ||
	    http_router_add(f->srv.router, HTTP_GET, "/inbox", 0,
	    handle_test_inbox, &f->portal) == -1)
		return -1;
	pt_start(&f->srv, NULL, NULL, NULL);
	*state = f;
	return 0;
}

static int
setup(void **state)
{
	return fx_setup(state, 1, 64, 0);
}

static int
setup_insecure(void **state)
{
	return fx_setup(state, 0, 64, 0);
}

static int
setup_busy(void **state)
{
	return fx_setup(state, 1, 1, 0);
}

static int
setup_hash_busy(void **state)
{
	return fx_setup(state, 1, 64, 1);
}

static int
teardown(void **state)
{
	struct fx	*f = *state;
	char		 cmd[256];

	pt_stop(&f->srv);
	throttle_free(f->throttle);
	password_list_free(f->passwords);
	store_close(f->st);
	config_free(&f->cfg);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", f->dir);
	free(f);
	return 0;
}

/*
 * A small cookie jar.
 */
#define JAR_MAX	8

struct jar {
	char	name[JAR_MAX][64];
	char	value[JAR_MAX][512];
	int	n;
};

static const char *
jar_get(const struct jar *j, const char *name)
{
	int	i;

	for (i = 0; i < j->n; i++)
		if (strcmp(j->name[i], name) == 0)
			return j->value[i];
	return NULL;
}

static void
jar_del(struct jar *j, const char *name)
{
	int	i;

	for (i = 0; i < j->n; i++) {
		if (strcmp(j->name[i], name) == 0) {
			j->n--;
			memmove(j->name[i], j->name[j->n], sizeof(j->name[i]));
			memmove(j->value[i], j->value[j->n],
			    sizeof(j->value[i]));
			return;
		}
	}
}

static void
jar_set(struct jar *j, const char *name, const char *value)
{
	jar_del(j, name);
	assert_true(j->n < JAR_MAX);
	snprintf(j->name[j->n], sizeof(j->name[j->n]), "%s", name);
	snprintf(j->value[j->n], sizeof(j->value[j->n]), "%s", value);
	j->n++;
}

/* The i-th Set-Cookie value of r into buf, or NULL. */
static const char *
set_cookie(const struct pt_response *r, int i, char *buf, size_t len)
{
	const char	*p = r->head, *eol;
	size_t		 n;

	while ((p = strstr(p, "\r\n")) != NULL) {
		p += 2;
		if (strncasecmp(p, "Set-Cookie: ", 12) != 0 || i-- > 0)
			continue;
		p += 12;
		eol = strstr(p, "\r\n");
		n = eol != NULL ? (size_t)(eol - p) : strlen(p);
		if (n >= len)
			n = len - 1;
		memcpy(buf, p, n);
		buf[n] = '\0';
		return buf;
	}
	return NULL;
}

/* The Set-Cookie line for name, or NULL. */
static const char *
set_cookie_for(const struct pt_response *r, const char *name, char *buf,
    size_t len)
{
	size_t	nl = strlen(name);
	int	i;

	for (i = 0; set_cookie(r, i, buf, len) != NULL; i++)
		if (strncmp(buf, name, nl) == 0 && buf[nl] == '=')
			return buf;
	return NULL;
}

static void
jar_update(struct jar *j, const struct pt_response *r)
{
	char	 line[1024], *eq, *semi;
	int	 i;

	for (i = 0; set_cookie(r, i, line, sizeof(line)) != NULL; i++) {
		if ((eq = strchr(line, '=')) == NULL)
			continue;
		*eq = '\0';
		if ((semi = strchr(eq + 1, ';')) != NULL)
			*semi = '\0';
		if (semi != NULL && strstr(semi + 1, "Max-Age=0") != NULL)
			jar_del(j, line);
		else
			jar_set(j, line, eq + 1);
	}
}

/*
 * Requests.
 */
static int
conn_open(struct pt_conn *c, int port, const char *bind_ip)
{
	struct sockaddr_in	sin;

	if (bind_ip == NULL)
		return pt_connect(c, port, 0);
	memset(c, 0, sizeof(*c));
	if ((c->fd = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		return -1;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	if (inet_pton(AF_INET, bind_ip, &sin.sin_addr) != 1 ||
	    bind(c->fd, (struct sockaddr *)&sin, sizeof(sin)) == -1)
		goto err;
	sin.sin_port = htons(port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(c->fd, (struct sockaddr *)&sin, sizeof(sin)) == -1)
		goto err;
	return 0;
err:
	close(c->fd);
	c->fd = -1;
	return -1;
}

struct opts {
	const char	*origin;	/* NULL: ORIGIN; "" for none */
	const char	*bind_ip;	/* NULL: 127.0.0.1 */
};

static void
send_request(struct fx *f, struct pt_conn *c, const struct jar *jar,
    const char *method, const char *target, const char *body,
    const struct opts *o)
{
	char	req[16384];
	size_t	n;
	int	i;

	assert_int_equal(conn_open(c, f->srv.port, o != NULL ?
	    o->bind_ip : NULL), 0);
	n = (size_t)snprintf(req, sizeof(req), "%s %s HTTP/1.1\r\n"
	    "Host: portal.example\r\nConnection: close\r\n", method, target);
	if (jar != NULL && jar->n > 0) {
		n += (size_t)snprintf(req + n, sizeof(req) - n, "Cookie: ");
		for (i = 0; i < jar->n; i++)
			n += (size_t)snprintf(req + n, sizeof(req) - n, "%s%s=%s",
			    i > 0 ? "; " : "", jar->name[i], jar->value[i]);
		n += (size_t)snprintf(req + n, sizeof(req) - n, "\r\n");
	}
	if (body != NULL) {
		const char *origin = o != NULL && o->origin != NULL ?
		    o->origin : ORIGIN;

		if (origin[0] != '\0')
			n += (size_t)snprintf(req + n, sizeof(req) - n,
			    "Origin: %s\r\n", origin);
		n += (size_t)snprintf(req + n, sizeof(req) - n,
		    "Content-Type: application/x-www-form-urlencoded\r\n"
		    "Content-Length: %zu\r\n\r\n%s", strlen(body), body);
	} else
		n += (size_t)snprintf(req + n, sizeof(req) - n, "\r\n");
	assert_true(n < sizeof(req));
	assert_int_equal(pt_send(c, req, n), 0);
}

/* One request; the jar takes the response's cookies.  The status. */
static int
http(struct fx *f, struct jar *jar, const char *method, const char *target,
    const char *body, const struct opts *o, struct pt_response *r)
{
	struct pt_conn	c;

	send_request(f, &c, jar, method, target, body, o);
	assert_int_equal(pt_read_response(&c, r, 30000), 0);
	pt_close(&c);
	if (jar != NULL)
		jar_update(jar, r);
	return r->status;
}

static int
get(struct fx *f, struct jar *jar, const char *target)
{
	struct pt_response	r;
	int			st;

	st = http(f, jar, "GET", target, NULL, NULL, &r);
	pt_response_free(&r);
	return st;
}

/* application/x-www-form-urlencoded from name, value, ..., NULL. */
static char *
form(const char *name, ...)
{
	static const char	hex[] = "0123456789ABCDEF";
	static char		buf[8192];
	va_list			ap;
	const char		*n, *v;
	size_t			o = 0;

	va_start(ap, name);
	for (n = name; n != NULL; n = va_arg(ap, const char *)) {
		v = va_arg(ap, const char *);
		o += (size_t)snprintf(buf + o, sizeof(buf) - o, "%s%s=",
		    o > 0 ? "&" : "", n);
		for (; *v != '\0' && o + 4 < sizeof(buf); v++) {
			unsigned char c = (unsigned char)*v;

			if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			    (c >= '0' && c <= '9') || c == '.' || c == '-' ||
			    c == '_')
				buf[o++] = (char)c;
			else {
				buf[o++] = '%';
				buf[o++] = hex[c >> 4];
				buf[o++] = hex[c & 15];
			}
		}
		buf[o] = '\0';
	}
	va_end(ap);
	return buf;
}

static const char *
pre_of(struct fx *f, struct jar *jar)
{
	if (jar_get(jar, AUTH_COOKIE_PRE) == NULL)
		assert_int_equal(get(f, jar, "/register"), 200);
	assert_non_null(jar_get(jar, AUTH_COOKIE_PRE));
	return jar_get(jar, AUTH_COOKIE_PRE);
}

static int
login(struct fx *f, struct jar *jar, const char *email, const char *pw,
    const struct opts *o, struct pt_response *r)
{
	const char	*pre = pre_of(f, jar);

	return http(f, jar, "POST", "/login", form("csrf", pre, "email", email,
	    "password", pw, NULL), o, r);
}

static void
login_ok(struct fx *f, struct jar *jar, const char *email, const char *pw)
{
	struct pt_response	r;
	char			loc[128];

	assert_int_equal(login(f, jar, email, pw, NULL, &r), 303);
	assert_string_equal(pt_header(&r, "Location", loc, sizeof(loc)),
	    "/inbox");
	pt_response_free(&r);
	assert_non_null(jar_get(jar, AUTH_COOKIE));
}

/* The session's csrf token, from the test inbox page. */
static void
csrf_of(struct fx *f, struct jar *jar, char out[AUTH_TOKEN_HEX + 1])
{
	struct pt_response	 r;
	const char		*p;

	assert_int_equal(http(f, jar, "GET", "/inbox", NULL, NULL, &r), 200);
	assert_non_null(p = strstr(r.body, "<p id=\"csrf\">"));
	p += strlen("<p id=\"csrf\">");
	memcpy(out, p, AUTH_TOKEN_HEX);
	out[AUTH_TOKEN_HEX] = '\0';
	pt_response_free(&r);
}

static void
put_message(struct fx *f, const char *rcpt)
{
	struct store_message	m;
	char			*rcpts[1] = { (char *)rcpt };
	uint8_t			 hdr[16] = { 0 };

	memset(&m, 0, sizeof(m));
	randombytes_buf(m.id, MSGID_LEN);
	m.version = 1;
	m.received = atomic_load(&fake_now);
	m.expires = m.received + 90 * 86400;
	m.size = 100;
	m.sender = "alice@corp.example";
	m.recipients = rcpts;
	m.nrecipients = 1;
	m.headers_ct = hdr;
	m.headers_ctlen = sizeof(hdr);
	assert_int_equal(store_put_message(f->st, &m, NULL, NULL), STORE_OK);
}

static void
put_account(struct fx *f, const char *addr, const char *pw)
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
	assert_int_equal(store_put_account(f->st, &a), STORE_OK);
}

/*
 * Mail the script saved: files named by time, so sorted = sent order.
 */
static size_t
mail_count(struct fx *f)
{
	return pt_mail_count(f->maildir);
}

static char *
mail_wait(struct fx *f, size_t n)
{
	return pt_mail_wait(f->maildir, n);
}

static void
token_of(const char *mail, const char *path, char out[AUTH_TOKEN_HEX + 1])
{
	pt_mail_token(mail, ORIGIN, path, out);
}

static void
assert_body_has(const struct pt_response *r, const char *s)
{
	if (strstr(r->body, s) == NULL)
		fail_msg("want \"%s\" in the body:\n%s", s, r->body);
}

/*
 * Register an invited address, verify, then log in.
 */
static void
test_register_verify(void **state)
{
	struct fx		*f = *state;
	struct jar		 jar = { 0 };
	struct pt_response	 r;
	const char		*pre;
	char			 tok[AUTH_TOKEN_HEX + 1], target[128], *mail;
	size_t			 i;
	static const struct {
		const char	*label;
		const char	*pw, *pw2;
		const char	*want;
	} bad[] = {
		{ "short", "short phrase", NULL, "too short" },
		{ "weak", "aaaaaaaaaaaaaaaaaaaaaa", NULL, "too few different" },
		{ "sequence", "bcdefghijklmnopqr", NULL, "simple sequence" },
		{ "address", "my guest@outside.example pass", NULL,
		    "must not contain your email" },
		{ "local part", "the GUEST is always right", NULL,
		    "must not contain your email" },
		{ "common", "passwordpassword", NULL, "too common" },
		{ "common phrase", "correct horse battery staple", NULL,
		    "too common" },
		{ "mismatch", GOOD_PW, GOOD_PW "!", "not the same" },
		{ "empty", "", "", "twice" },
	};

	put_message(f, "guest@outside.example");

	/* The register form: label, autocomplete, csrf. */
	assert_int_equal(http(f, &jar, "GET", "/register", NULL, NULL, &r),
	    200);
	assert_body_has(&r, "<label for=\"email\">");
	assert_body_has(&r, "autocomplete=\"email\"");
	assert_body_has(&r, "name=\"viewport\"");
	pre = jar_get(&jar, AUTH_COOKIE_PRE);
	assert_non_null(pre);
	assert_body_has(&r, pre);
	pt_response_free(&r);

	assert_int_equal(http(f, &jar, "POST", "/register", form("csrf", pre,
	    "email", " Guest@Outside.example ", NULL), NULL, &r), 200);
	assert_body_has(&r, NEUTRAL_TEXT);
	pt_response_free(&r);

	mail = mail_wait(f, 1);
	assert_non_null(strstr(mail, "To: guest@outside.example"));
	assert_non_null(strstr(mail, "From: noreply@portal.example"));
	assert_non_null(strstr(mail, "Auto-Submitted: auto-generated"));
	assert_non_null(strstr(mail, "charset=utf-8"));
	assert_non_null(strstr(mail, "expires in 24 hours"));
	token_of(mail, "/verify", tok);
	free(mail);

	snprintf(target, sizeof(target), "/verify?token=%s", tok);
	assert_int_equal(http(f, &jar, "GET", target, NULL, NULL, &r), 200);
	assert_body_has(&r, "autocomplete=\"new-password\"");
	assert_body_has(&r, "<label for=\"password2\">");
	assert_body_has(&r, "guest@outside.example");
	assert_body_has(&r, tok);
	pt_response_free(&r);

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(http(f, &jar, "POST", "/verify", form("csrf",
		    pre, "token", tok, "password", bad[i].pw, "password2",
		    bad[i].pw2 != NULL ? bad[i].pw2 : bad[i].pw, NULL), NULL,
		    &r), 400);
		if (strstr(r.body, bad[i].want) == NULL)
			fail_msg("%s: want \"%s\" in:\n%s", bad[i].label,
			    bad[i].want, r.body);
		/* The form is shown again with the error next to it. */
		assert_body_has(&r, "class=\"error\"");
		assert_body_has(&r, "name=\"password2\"");
		pt_response_free(&r);
	}

	assert_int_equal(http(f, &jar, "POST", "/verify", form("csrf", pre,
	    "token", tok, "password", GOOD_PW, "password2", GOOD_PW, NULL),
	    NULL, &r), 200);
	assert_body_has(&r, "Your password is set");
	pt_response_free(&r);
	assert_string_equal(jar_get(&jar, AUTH_COOKIE_EMAIL),
	    "guest@outside.example");
	/* A first password sends no "changed" mail. */
	assert_int_equal(mail_count(f), 1);

	/* The link worked once. */
	assert_int_equal(get(f, &jar, target), 400);
	assert_int_equal(http(f, &jar, "POST", "/verify", form("csrf", pre,
	    "token", tok, "password", GOOD_PW, "password2", GOOD_PW, NULL),
	    NULL, &r), 400);
	assert_body_has(&r, "This link does not work");
	pt_response_free(&r);

	/* The login page remembers the address. */
	assert_int_equal(http(f, &jar, "GET", "/", NULL, NULL, &r), 200);
	assert_body_has(&r, "value=\"guest@outside.example\"");
	assert_body_has(&r, "autocomplete=\"current-password\"");
	pt_response_free(&r);
	login_ok(f, &jar, "guest@outside.example", GOOD_PW);
	assert_int_equal(http(f, &jar, "GET", "/inbox", NULL, NULL, &r), 200);
	assert_body_has(&r, "guest@outside.example");
	pt_response_free(&r);
	/* Logged in, / goes to the inbox. */
	assert_int_equal(http(f, &jar, "GET", "/", NULL, NULL, &r), 303);
	pt_response_free(&r);
}

/* Not invited: the same page, and nothing is sent. */
static void
test_register_not_invited(void **state)
{
	struct fx		*f = *state;
	struct jar		 jar = { 0 };
	struct pt_response	 r1, r2;
	const char		*pre = pre_of(f, &jar);
	char			*mail;

	assert_int_equal(http(f, &jar, "POST", "/register", form("csrf", pre,
	    "email", "stranger@nowhere.example", NULL), NULL, &r1), 200);
	/* An internal address is invited without any message. */
	assert_int_equal(http(f, &jar, "POST", "/register", form("csrf", pre,
	    "email", "bob@corp.example", NULL), NULL, &r2), 200);
	assert_body_has(&r1, NEUTRAL_TEXT);
	assert_int_equal(r1.body_len, r2.body_len);
	assert_memory_equal(r1.body, r2.body, r1.body_len);
	pt_response_free(&r1);
	pt_response_free(&r2);

	/* One worker runs jobs in order: once bob's mail is there, the
	 * stranger's job is done too. */
	mail = mail_wait(f, 1);
	assert_non_null(strstr(mail, "To: bob@corp.example"));
	free(mail);
	usleep(100000);
	assert_int_equal(mail_count(f), 1);

	/* A bad address is a form error, not the neutral page. */
	assert_int_equal(http(f, &jar, "POST", "/register", form("csrf", pre,
	    "email", "not an address", NULL), NULL, &r1), 400);
	assert_body_has(&r1, "valid email address");
	pt_response_free(&r1);
}

/* Replace every occurrence of a in s with b (same or shorter length). */
static void
replace(char *s, const char *a, const char *b)
{
	char	*p;
	size_t	 al = strlen(a), bl = strlen(b);

	while ((p = strstr(s, a)) != NULL) {
		memcpy(p, b, bl);
		memmove(p + bl, p + al, strlen(p + al) + 1);
	}
}

/* Wrong password and unknown address: same answer, similar time. */
static void
test_login_same_answer(void **state)
{
	struct fx		*f = *state;
	struct jar		 jar = { 0 };
	struct pt_response	 r1, r2;
	long long		 t, known_ms, unknown_ms;

	put_account(f, "known@corp.example", GOOD_PW);
	(void)pre_of(f, &jar);
	t = pt_now_ms();
	assert_int_equal(login(f, &jar, "known@corp.example", "wrong password "
	    "here", NULL, &r1), 400);
	known_ms = pt_now_ms() - t;
	t = pt_now_ms();
	assert_int_equal(login(f, &jar, "nobody@corp.example", "wrong password "
	    "here", NULL, &r2), 400);
	unknown_ms = pt_now_ms() - t;
	assert_body_has(&r1, FAILED_TEXT);
	replace(r1.body, "known@corp.example", "X");
	replace(r2.body, "nobody@corp.example", "X");
	assert_string_equal(r1.body, r2.body);
	assert_null(jar_get(&jar, AUTH_COOKIE));
	pt_response_free(&r1);
	pt_response_free(&r2);
	/* Both ran Argon2id: the unknown one is not answered at once. */
	if (unknown_ms * 3 < known_ms)
		fail_msg("unknown address %lld ms, known %lld ms", unknown_ms,
		    known_ms);
}

/* The session cookie's attributes. */
static void
test_login_cookie(void **state)
{
	struct fx		*f = *state;
	struct jar		 jar = { 0 };
	struct pt_response	 r;
	char			 line[1024];

	put_account(f, "known@corp.example", GOOD_PW);
	assert_int_equal(login(f, &jar, "Known@Corp.example", GOOD_PW, NULL,
	    &r), 303);
	assert_non_null(set_cookie_for(&r, AUTH_COOKIE, line, sizeof(line)));
	assert_non_null(strstr(line, "; Path=/"));
	assert_non_null(strstr(line, "; Secure"));
	assert_non_null(strstr(line, "; HttpOnly"));
	assert_non_null(strstr(line, "; SameSite=Strict"));
	assert_null(strcasestr(line, "Domain="));
	assert_int_equal(strlen(jar_get(&jar, AUTH_COOKIE)), AUTH_TOKEN_HEX);
	/* The remembered address, not secret, long-lived. */
	assert_non_null(set_cookie_for(&r, AUTH_COOKIE_EMAIL, line,
	    sizeof(line)));
	assert_non_null(strstr(line, "known@corp.example; "));
	assert_non_null(strstr(line, "; Secure"));
	assert_non_null(strstr(line, "Max-Age="));
	pt_response_free(&r);
	/* The session is stored only hashed: the cookie's bytes are not a
	 * key of the store. */
	{
		struct store_session	s;
		uint8_t			raw[STORE_KEY_LEN];
		size_t			len;

		assert_int_equal(sodium_hex2bin(raw, sizeof(raw),
		    jar_get(&jar, AUTH_COOKIE), AUTH_TOKEN_HEX, NULL, &len,
		    NULL), 0);
		assert_int_equal(store_get_session(f->st, raw, &s),
		    STORE_NOTFOUND);
	}
	assert_int_equal(get(f, &jar, "/inbox"), 200);
}

/* Plain HTTP on loopback: no Secure, so no "__Host-" prefix either. */
static void
test_login_cookie_insecure(void **state)
{
	struct fx		*f = *state;
	struct jar		 jar = { 0 };
	struct pt_response	 r;
	char			 line[1024];

	put_account(f, "known@corp.example", GOOD_PW);
	assert_int_equal(get(f, &jar, "/"), 200);
	assert_non_null(jar_get(&jar, "sealpost-pre"));
	assert_int_equal(http(f, &jar, "POST", "/login", form("csrf",
	    jar_get(&jar, "sealpost-pre"), "email", "known@corp.example",
	    "password", GOOD_PW, NULL), NULL, &r), 303);
	assert_non_null(set_cookie_for(&r, "sealpost", line, sizeof(line)));
	assert_null(strstr(line, "Secure"));
	assert_non_null(strstr(line, "; HttpOnly"));
	assert_non_null(strstr(line, "; SameSite=Strict"));
	pt_response_free(&r);
	assert_int_equal(get(f, &jar, "/inbox"), 200);
}

/* Idle expiry, and any request resetting it. */
static void
test_session_idle(void **state)
{
	struct fx		*f = *state;
	struct jar		 jar = { 0 };
	struct pt_response	 r;
	char			 line[1024];

	put_account(f, "known@corp.example", GOOD_PW);
	login_ok(f, &jar, "known@corp.example", GOOD_PW);
	/* 10 minutes idle allowed: requests every 9 keep it alive. */
	advance(9 * 60);
	assert_int_equal(get(f, &jar, "/inbox"), 200);
	advance(9 * 60);
	assert_int_equal(get(f, &jar, "/inbox"), 200);
	advance(10 * 60);
	assert_int_equal(http(f, &jar, "GET", "/inbox", NULL, NULL, &r), 403);
	assert_body_has(&r, "inactive for more than 10 minutes");
	assert_body_has(&r, "href=\"/\"");
	assert_body_has(&r, "Log in again");
	/* The cookie is cleared; the session is gone. */
	assert_non_null(set_cookie_for(&r, AUTH_COOKIE, line, sizeof(line)));
	assert_non_null(strstr(line, "Max-Age=0"));
	pt_response_free(&r);
	assert_int_equal(get(f, &jar, "/inbox"), 303);
}

/* The idle reason also shows on the login page. */
static void
test_session_idle_login_page(void **state)
{
	struct fx		*f = *state;
	struct jar		 jar = { 0 };
	struct pt_response	 r;

	put_account(f, "known@corp.example", GOOD_PW);
	login_ok(f, &jar, "known@corp.example", GOOD_PW);
	advance(11 * 60);
	assert_int_equal(http(f, &jar, "GET", "/", NULL, NULL, &r), 200);
	assert_body_has(&r, "inactive for more than 10 minutes");
	assert_body_has(&r, "action=\"/login\"");
	pt_response_free(&r);
	assert_null(jar_get(&jar, AUTH_COOKIE));
}

static void
test_session_max(void **state)
{
	struct fx		*f = *state;
	struct jar		 jar = { 0 };
	struct pt_response	 r;
	int			 i;

	put_account(f, "known@corp.example", GOOD_PW);
	login_ok(f, &jar, "known@corp.example", GOOD_PW);
	/* Busy for just under 2 hours... */
	for (i = 0; i < 14; i++) {
		advance(8 * 60);
		assert_int_equal(get(f, &jar, "/inbox"), 200);
	}
	advance(2 * 3600 - 14 * 8 * 60 - 1);
	assert_int_equal(get(f, &jar, "/inbox"), 200);
	/* ...then the absolute limit. */
	advance(1);
	assert_int_equal(http(f, &jar, "GET", "/inbox", NULL, NULL, &r), 403);
	assert_body_has(&r, "a session lasts at most 2 hours");
	pt_response_free(&r);
	assert_int_equal(get(f, &jar, "/inbox"), 303);
}

static void
test_session_ip(void **state)
{
	struct fx		*f = *state;
	struct jar		 jar = { 0 };
	struct pt_response	 r;
	struct opts		 other = { .bind_ip = "127.0.0.2" };

	put_account(f, "known@corp.example", GOOD_PW);
	login_ok(f, &jar, "known@corp.example", GOOD_PW);
	assert_int_equal(get(f, &jar, "/inbox"), 200);
	assert_int_equal(http(f, &jar, "GET", "/inbox", NULL, &other, &r),
	    403);
	assert_body_has(&r, "network address changed");
	pt_response_free(&r);
	/* The session ended for the first address too. */
	assert_int_equal(get(f, &jar, "/inbox"), 303);
}

/* Logout needs the session's csrf and the portal's Origin. */
static void
test_logout(void **state)
{
	struct fx		*f = *state;
	struct jar		 jar = { 0 };
	struct pt_response	 r;
	struct opts		 evil = { .origin = "https://evil.example" };
	struct opts		 none = { .origin = "" };
	char			 csrf[AUTH_TOKEN_HEX + 1], wrong[AUTH_TOKEN_HEX + 1];
	char			 old[AUTH_TOKEN_HEX + 1], line[1024];

	put_account(f, "known@corp.example", GOOD_PW);
	login_ok(f, &jar, "known@corp.example", GOOD_PW);
	csrf_of(f, &jar, csrf);
	snprintf(old, sizeof(old), "%s", jar_get(&jar, AUTH_COOKIE));

	assert_int_equal(http(f, &jar, "POST", "/logout", "", NULL, &r), 403);
	pt_response_free(&r);
	memset(wrong, 'a', AUTH_TOKEN_HEX);
	wrong[AUTH_TOKEN_HEX] = '\0';
	assert_int_equal(http(f, &jar, "POST", "/logout", form("csrf", wrong,
	    NULL), NULL, &r), 403);
	pt_response_free(&r);
	assert_int_equal(http(f, &jar, "POST", "/logout", form("csrf", csrf,
	    NULL), &evil, &r), 403);
	pt_response_free(&r);
	/* Still logged in after the refusals. */
	assert_int_equal(get(f, &jar, "/inbox"), 200);

	/* No Origin header (older browsers) with the right token is fine. */
	assert_int_equal(http(f, &jar, "POST", "/logout", form("csrf", csrf,
	    NULL), &none, &r), 303);
	assert_non_null(set_cookie_for(&r, AUTH_COOKIE, line, sizeof(line)));
	assert_non_null(strstr(line, "Max-Age=0"));
	/* Logout keeps the remembered address. */
	assert_null(set_cookie_for(&r, AUTH_COOKIE_EMAIL, line, sizeof(line)));
	pt_response_free(&r);
	assert_null(jar_get(&jar, AUTH_COOKIE));
	assert_non_null(jar_get(&jar, AUTH_COOKIE_EMAIL));

	/* The old cookie is refused. */
	jar_set(&jar, AUTH_COOKIE, old);
	assert_int_equal(get(f, &jar, "/inbox"), 303);
	assert_int_equal(http(f, &jar, "GET", "/", NULL, NULL, &r), 200);
	assert_body_has(&r, "value=\"known@corp.example\"");
	assert_body_has(&r, "Forget me");
	pt_response_free(&r);
}

/* A new session id at every login; earlier cookies are not accepted. */
static void
test_session_rotation(void **state)
{
	struct fx	*f = *state;
	struct jar	 jar = { 0 };
	char		 planted[AUTH_TOKEN_HEX + 1], first[AUTH_TOKEN_HEX + 1];

	put_account(f, "known@corp.example", GOOD_PW);
	/* A cookie planted before login (session fixation). */
	memset(planted, '7', AUTH_TOKEN_HEX);
	planted[AUTH_TOKEN_HEX] = '\0';
	jar_set(&jar, AUTH_COOKIE, planted);
	login_ok(f, &jar, "known@corp.example", GOOD_PW);
	assert_string_not_equal(jar_get(&jar, AUTH_COOKIE), planted);
	snprintf(first, sizeof(first), "%s", jar_get(&jar, AUTH_COOKIE));

	/* Logging in again, with the first session's cookie, rotates. */
	login_ok(f, &jar, "known@corp.example", GOOD_PW);
	assert_string_not_equal(jar_get(&jar, AUTH_COOKIE), first);
	assert_int_equal(get(f, &jar, "/inbox"), 200);
	jar_set(&jar, AUTH_COOKIE, first);
	assert_int_equal(get(f, &jar, "/inbox"), 303);
	jar_set(&jar, AUTH_COOKIE, planted);
	assert_int_equal(get(f, &jar, "/inbox"), 303);
}

static void
test_forget_me(void **state)
{
	struct fx		*f = *state;
	struct jar		 jar = { 0 };
	struct pt_response	 r;
	char			 csrf[AUTH_TOKEN_HEX + 1], line[1024];

	put_account(f, "known@corp.example", GOOD_PW);
	login_ok(f, &jar, "known@corp.example", GOOD_PW);
	csrf_of(f, &jar, csrf);
	assert_int_equal(http(f, &jar, "POST", "/forget-me", "csrf=bad", NULL,
	    &r), 403);
	pt_response_free(&r);
	assert_int_equal(http(f, &jar, "POST", "/forget-me", form("csrf", csrf,
	    NULL), NULL, &r), 303);
	assert_non_null(set_cookie_for(&r, AUTH_COOKIE_EMAIL, line,
	    sizeof(line)));
	assert_non_null(strstr(line, "Max-Age=0"));
	pt_response_free(&r);
	assert_null(jar_get(&jar, AUTH_COOKIE_EMAIL));
	assert_null(jar_get(&jar, AUTH_COOKIE));
	assert_int_equal(http(f, &jar, "GET", "/", NULL, NULL, &r), 200);
	assert_null(strstr(r.body, "known@corp.example"));
	assert_null(strstr(r.body, "Forget me"));
	pt_response_free(&r);

	/* From the login page, logged out: the pre-session token. */
	login_ok(f, &jar, "known@corp.example", GOOD_PW);
	csrf_of(f, &jar, csrf);
	assert_int_equal(http(f, &jar, "POST", "/logout", form("csrf", csrf,
	    NULL), NULL, &r), 303);
	pt_response_free(&r);
	assert_non_null(jar_get(&jar, AUTH_COOKIE_EMAIL));
	assert_int_equal(http(f, &jar, "POST", "/forget-me", form("csrf",
	    jar_get(&jar, AUTH_COOKIE_PRE), NULL), NULL, &r), 303);
	pt_response_free(&r);
	assert_null(jar_get(&jar, AUTH_COOKIE_EMAIL));
}

/* Forgot password: a single-use, expiring link that ends sessions. */
static void
test_forgot_reset(void **state)
{
	struct fx		*f = *state;
	struct jar		 dev1 = { 0 }, jar = { 0 };
	struct pt_response	 r1, r2;
	const char		*pre;
	char			 tok[AUTH_TOKEN_HEX + 1], tok2[AUTH_TOKEN_HEX + 1];
	char			 target[128], *mail;
	const char		*newpw = "granite meadow violin harbour";

	put_account(f, "known@corp.example", GOOD_PW);
	login_ok(f, &dev1, "known@corp.example", GOOD_PW);
	pre = pre_of(f, &jar);

	/* Same answer with and without an account; one mail. */
	assert_int_equal(http(f, &jar, "POST", "/forgot", form("csrf", pre,
	    "email", "nobody@corp.example", NULL), NULL, &r1), 200);
	assert_int_equal(http(f, &jar, "POST", "/forgot", form("csrf", pre,
	    "email", "KNOWN@corp.example", NULL), NULL, &r2), 200);
	assert_int_equal(r1.body_len, r2.body_len);
	assert_memory_equal(r1.body, r2.body, r1.body_len);
	assert_body_has(&r1, "expires in 1 hour");
	pt_response_free(&r1);
	pt_response_free(&r2);
	mail = mail_wait(f, 1);
	assert_non_null(strstr(mail, "To: known@corp.example"));
	token_of(mail, "/reset", tok);
	free(mail);
	usleep(100000);
	assert_int_equal(mail_count(f), 1);

	snprintf(target, sizeof(target), "/reset?token=%s", tok);
	assert_int_equal(http(f, &jar, "GET", target, NULL, NULL, &r1), 200);
	assert_body_has(&r1, "autocomplete=\"new-password\"");
	assert_body_has(&r1, "action=\"/reset\"");
	pt_response_free(&r1);
	/* A verify link is not a reset link. */
	snprintf(target, sizeof(target), "/verify?token=%s", tok);
	assert_int_equal(get(f, &jar, target), 400);

	assert_int_equal(http(f, &jar, "POST", "/reset", form("csrf", pre,
	    "token", tok, "password", newpw, "password2", newpw, NULL), NULL,
	    &r1), 200);
	assert_body_has(&r1, "logged out");
	pt_response_free(&r1);
	/* Not twice. */
	assert_int_equal(http(f, &jar, "POST", "/reset", form("csrf", pre,
	    "token", tok, "password", GOOD_PW, "password2", GOOD_PW, NULL),
	    NULL, &r1), 400);
	pt_response_free(&r1);

	/* "Your password was changed". */
	mail = mail_wait(f, 2);
	assert_non_null(strstr(mail, "To: known@corp.example"));
	assert_non_null(strstr(mail, "Subject: Your password was changed"));
	assert_null(strstr(mail, "token="));
	free(mail);

	/* The other device was logged out; the new password works. */
	assert_int_equal(get(f, &dev1, "/inbox"), 303);
	assert_int_equal(login(f, &jar, "known@corp.example", GOOD_PW, NULL,
	    &r1), 400);
	pt_response_free(&r1);
	login_ok(f, &jar, "known@corp.example", newpw);

	/* A link past reset_link_lifetime is refused. */
	assert_int_equal(http(f, &jar, "POST", "/forgot", form("csrf", pre,
	    "email", "known@corp.example", NULL), NULL, &r1), 200);
	pt_response_free(&r1);
	mail = mail_wait(f, 3);
	token_of(mail, "/reset", tok2);
	free(mail);
	advance(3600);
	snprintf(target, sizeof(target), "/reset?token=%s", tok2);
	assert_int_equal(http(f, &jar, "GET", target, NULL, NULL, &r1), 400);
	assert_body_has(&r1, "This link does not work");
	pt_response_free(&r1);
}

/* Throttling: N failures, then even the right password is refused with
 * the same message until the window passes. */
static void
test_throttle(void **state)
{
	struct fx		*f = *state;
	struct jar		 jar = { 0 };
	struct pt_response	 r, wrong;
	char			 addr[64];
	int			 i;

	put_account(f, "known@corp.example", GOOD_PW);
	put_account(f, "other@corp.example", GOOD_PW);
	for (i = 0; i < THROTTLE_LOGIN_ADDRESS_MAX; i++) {
		assert_int_equal(login(f, &jar, "known@corp.example",
		    "not the password", NULL, &wrong), 400);
		assert_body_has(&wrong, FAILED_TEXT);
		if (i < THROTTLE_LOGIN_ADDRESS_MAX - 1)
			pt_response_free(&wrong);
	}
	assert_int_equal(login(f, &jar, "known@corp.example", GOOD_PW, NULL,
	    &r), 400);
	assert_string_equal(r.body, wrong.body);
	assert_null(set_cookie_for(&r, AUTH_COOKIE, (char[64]){ 0 }, 64));
	pt_response_free(&r);
	pt_response_free(&wrong);
	assert_null(jar_get(&jar, AUTH_COOKIE));
	/* Another address from the same IP is not affected yet. */
	login_ok(f, &jar, "other@corp.example", GOOD_PW);

	advance(THROTTLE_LOGIN_WINDOW - 1);
	assert_int_equal(login(f, &jar, "known@corp.example", GOOD_PW, NULL,
	    &r), 400);
	pt_response_free(&r);
	advance(1);
	login_ok(f, &jar, "known@corp.example", GOOD_PW);

	/* Per IP: failures spread over many addresses. */
	for (i = 0; i < THROTTLE_LOGIN_IP_MAX; i++) {
		snprintf(addr, sizeof(addr), "x%d@nowhere.example", i);
		assert_int_equal(login(f, &jar, addr, "guess", NULL, &r), 400);
		pt_response_free(&r);
	}
	assert_int_equal(login(f, &jar, "other@corp.example", GOOD_PW, NULL,
	    &r), 400);
	assert_body_has(&r, FAILED_TEXT);
	pt_response_free(&r);
	/* From another IP it works. */
	{
		struct opts	other = { .bind_ip = "127.0.0.3" };

		assert_int_equal(login(f, &jar, "other@corp.example", GOOD_PW,
		    &other, &r), 303);
		pt_response_free(&r);
	}
	advance(THROTTLE_LOGIN_WINDOW);
	login_ok(f, &jar, "other@corp.example", GOOD_PW);
}

/* Forms without a session: double-submit cookie and Origin. */
static void
test_pre_csrf(void **state)
{
	struct fx		*f = *state;
	struct jar		 jar = { 0 }, empty = { 0 };
	struct pt_response	 r;
	struct opts		 evil = { .origin = "https://evil.example" };
	struct opts		 port = { .origin = ORIGIN ":443" };
	const char		*pre;
	char			 other[AUTH_TOKEN_HEX + 1];

	put_account(f, "known@corp.example", GOOD_PW);
	pre = pre_of(f, &jar);
	memset(other, 'b', AUTH_TOKEN_HEX);
	other[AUTH_TOKEN_HEX] = '\0';

	/* No cookie. */
	assert_int_equal(http(f, &empty, "POST", "/login", form("csrf", pre,
	    "email", "known@corp.example", "password", GOOD_PW, NULL), NULL,
	    &r), 403);
	pt_response_free(&r);
	/* Field and cookie differ. */
	assert_int_equal(http(f, &jar, "POST", "/login", form("csrf", other,
	    "email", "known@corp.example", "password", GOOD_PW, NULL), NULL,
	    &r), 403);
	pt_response_free(&r);
	/* Another site. */
	assert_int_equal(login(f, &jar, "known@corp.example", GOOD_PW, &evil,
	    &r), 403);
	pt_response_free(&r);
	assert_int_equal(http(f, &jar, "POST", "/register", form("email",
	    "known@corp.example", NULL), NULL, &r), 403);
	pt_response_free(&r);
	assert_int_equal(http(f, &jar, "POST", "/forgot", form("csrf", pre,
	    "email", "known@corp.example", NULL), &evil, &r), 403);
	pt_response_free(&r);
	assert_int_equal(mail_count(f), 0);
	/* The default port written out is the same origin. */
	assert_int_equal(login(f, &jar, "known@corp.example", GOOD_PW, &port,
	    &r), 303);
	pt_response_free(&r);
	/* A malformed body is a 400. */
	assert_int_equal(http(f, &jar, "POST", "/login", "email=%zz", NULL,
	    &r), 400);
	pt_response_free(&r);
}

/* While Argon2id runs on the worker, the loop answers other requests. */
static void
test_loop_not_blocked(void **state)
{
	struct fx		*f = *state;
	struct jar		 jar = { 0 };
	struct pt_conn		 c[3];
	struct pt_response	 r;
	const char		*pre;
	char			 body[512];
	int			 i;

	put_account(f, "known@corp.example", GOOD_PW);
	pre = pre_of(f, &jar);
	snprintf(body, sizeof(body), "%s", form("csrf", pre, "email",
	    "known@corp.example", "password", "a wrong password", NULL));
	/* Three hashes queued on the single worker. */
	for (i = 0; i < 3; i++)
		send_request(f, &c[i], &jar, "POST", "/login", body, NULL);
	usleep(10000);
	assert_int_equal(get(f, &jar, "/register"), 200);
	/* The last login is still hashing. */
	assert_true(pt_silent(&c[2], 0));
	for (i = 0; i < 3; i++) {
		assert_int_equal(pt_read_response(&c[i], &r, 30000), 0);
		assert_int_equal(r.status, 400);
		pt_response_free(&r);
		pt_close(&c[i]);
	}
}

/* A full pool answers 503. */
static void
test_busy(void **state)
{
	struct fx		*f = *state;
	struct jar		 jar = { 0 };
	struct pt_conn		 c;
	struct pt_response	 r;
	const char		*pre;
	char			 body[512];

	put_account(f, "known@corp.example", GOOD_PW);
	pre = pre_of(f, &jar);
	snprintf(body, sizeof(body), "%s", form("csrf", pre, "email",
	    "known@corp.example", "password", "a wrong password", NULL));
	send_request(f, &c, &jar, "POST", "/login", body, NULL);
	usleep(20000);
	assert_int_equal(http(f, &jar, "POST", "/login", body, NULL, &r), 503);
	assert_body_has(&r, "busy");
	pt_response_free(&r);
	assert_int_equal(pt_read_response(&c, &r, 30000), 0);
	assert_int_equal(r.status, 400);
	pt_response_free(&r);
	pt_close(&c);
}

/*
 * With Argon2id on a pool of its own (one job here), a login storm
 * fills that pool: the next login gets 503 while the pool registration
 * mail uses still takes work.
 */
static void
test_hash_pool_apart(void **state)
{
	struct fx		*f = *state;
	struct jar		 jar = { 0 };
	struct pt_conn		 c;
	struct pt_response	 r;
	const char		*pre;
	char			 body[512];
	char			*mail;

	put_account(f, "known@corp.example", GOOD_PW);
	pre = pre_of(f, &jar);
	snprintf(body, sizeof(body), "%s", form("csrf", pre, "email",
	    "known@corp.example", "password", "a wrong password", NULL));
	send_request(f, &c, &jar, "POST", "/login", body, NULL);
	usleep(20000);
	assert_int_equal(http(f, &jar, "POST", "/login", body, NULL, &r), 503);
	assert_body_has(&r, "busy");
	pt_response_free(&r);
	assert_int_equal(http(f, &jar, "POST", "/register", form("csrf", pre,
	    "email", "bob@corp.example", NULL), NULL, &r), 200);
	assert_body_has(&r, NEUTRAL_TEXT);
	pt_response_free(&r);
	mail = mail_wait(f, 1);
	assert_non_null(strstr(mail, "To: bob@corp.example"));
	free(mail);
	assert_int_equal(pt_read_response(&c, &r, 30000), 0);
	assert_int_equal(r.status, 400);
	pt_response_free(&r);
	pt_close(&c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_register_verify, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_register_not_invited,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_login_same_answer, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_login_cookie, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_login_cookie_insecure,
		    setup_insecure, teardown),
		cmocka_unit_test_setup_teardown(test_session_idle, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_session_idle_login_page,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_session_max, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_session_ip, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_logout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_session_rotation, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_forget_me, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_forgot_reset, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_throttle, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pre_csrf, setup, teardown),
		cmocka_unit_test_setup_teardown(test_loop_not_blocked, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_busy, setup_busy,
		    teardown),
		cmocka_unit_test_setup_teardown(test_hash_pool_apart,
		    setup_hash_busy, teardown),
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
