/*
 * The pieces of the accounts half that need no server: the password
 * policy and its common list, the throttle, the mailer, cookie and
 * Origin parsing, tokens.
 */
#include <sys/stat.h>

#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
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
#include "http.h"
#include "http_form.h"
#include "mailer.h"
#include "password.h"
#include "throttle.h"

/* The source tree, from this file's path (.../test/portal/this.c). */
static char	srcdir[4096];

static void
find_srcdir(void)
{
	char	*p;

	snprintf(srcdir, sizeof(srcdir), "%s", __FILE__);
	if ((p = strstr(srcdir, "/test/portal/")) == NULL)
		abort();
	*p = '\0';
}

static struct password_list *
load_list(void)
{
	struct password_list	*list;
	char			 path[4200], err[256];

	snprintf(path, sizeof(path), "%s/conf/templates/%s", srcdir,
	    PASSWORD_LIST_FILE);
	if (password_list_load(path, &list, err, sizeof(err)) == -1)
		fail_msg("%s", err);
	return list;
}

static const struct {
	const char	*label;
	const char	*pw;
	const char	*address;
	size_t		 min;
	int		 want;
} pw_cases[] = {
	{ "good phrase", "correct plum staple river", "guest@outside.example",
	    15, PASSWORD_OK },
	{ "exactly min", "7Hq!x9Lw2mZ4pR0", "a@b.example", 15, PASSWORD_OK },
	{ "one short", "7Hq!x9Lw2mZ4pR", "a@b.example", 15,
	    PASSWORD_TOO_SHORT },
	{ "empty", "", "a@b.example", 8, PASSWORD_TOO_SHORT },
	{ "characters not bytes", "\xc3\xa9\xc3\xa8\xc3\xa0\xc3\xb9\xc3\xa7"
	    "\xc3\xa2\xc3\xaa", "a@b.example", 8, PASSWORD_TOO_SHORT },
	{ "utf-8 long enough", "\xc3\xa9t\xc3\xa9 \xc3\xa0 la plage bleue",
	    "a@b.example", 15, PASSWORD_OK },
	{ "contains address", "my GUEST@Outside.example pass",
	    "guest@outside.example", 15, PASSWORD_HAS_ADDRESS },
	{ "contains local part", "the guest is always right",
	    "guest@outside.example", 15, PASSWORD_HAS_ADDRESS },
	{ "local part any case", "THE GuEsT is always right",
	    "guest@outside.example", 15, PASSWORD_HAS_ADDRESS },
	{ "short local part not checked", "a long sentence with an a",
	    "a@b.example", 15, PASSWORD_OK },
	{ "common", "passwordpassword", "a@b.example", 15, PASSWORD_COMMON },
	{ "common any case", "PassWordPassWord", "a@b.example", 15,
	    PASSWORD_COMMON },
	{ "common with space", "correct horse battery staple", "a@b.example",
	    15, PASSWORD_COMMON },
	{ "repetitive", "aaaaaaaaaaaaaaaaaaaa", "a@b.example", 15,
	    PASSWORD_REPETITIVE },
	{ "four distinct", "abcdabcdabcdabcdabcd", "x@b.example", 15,
	    PASSWORD_REPETITIVE },
	{ "sequence up", "bcdefghijklmnopqr", "x@y.example", 15,
	    PASSWORD_SEQUENCE },
	{ "sequence down", "zyxwvutsrqponmlk", "x@y.example", 15,
	    PASSWORD_SEQUENCE },
	{ "too long", NULL, "a@b.example", 15, PASSWORD_TOO_LONG },
	{ "control", "tab\there and there again", "a@b.example", 15,
	    PASSWORD_INVALID },
	{ "bad utf-8", "abcdefghij\xff klmnopqrs", "a@b.example", 15,
	    PASSWORD_INVALID },
};

static void
test_password_check(void **state)
{
	struct password_list	*list = load_list();
	char			 longpw[PASSWORD_MAX_BYTES + 2];
	char			 text[256];
	size_t			 i;
	int			 got;

	memset(longpw, 'x', sizeof(longpw) - 1);
	longpw[sizeof(longpw) - 1] = '\0';
	for (i = 0; i < sizeof(pw_cases) / sizeof(pw_cases[0]); i++) {
		got = password_check(pw_cases[i].pw != NULL ? pw_cases[i].pw :
		    longpw, pw_cases[i].address, pw_cases[i].min, list);
		if (got != pw_cases[i].want)
			fail_msg("%s: got %d, want %d", pw_cases[i].label, got,
			    pw_cases[i].want);
		password_verdict_text(got, pw_cases[i].min, text, sizeof(text));
		assert_true(strlen(text) > 10);
	}
	/* The maximum itself is accepted. */
	longpw[PASSWORD_MAX_BYTES] = '\0';
	longpw[0] = 'a';
	longpw[1] = 'b';
	longpw[2] = 'c';
	longpw[3] = 'd';
	longpw[4] = 'e';
	assert_int_equal(password_check(longpw, "q@b.example", 15, list),
	    PASSWORD_OK);
	/* Without a list, only the list rule goes. */
	assert_int_equal(password_check("passwordpassword", "a@b.example", 15,
	    NULL), PASSWORD_OK);
	password_list_free(list);
}

static void
test_password_list(void **state)
{
	struct password_list	*list = load_list();
	char			 dir[] = "/tmp/test_auth_policy.XXXXXX";
	char			 path[128], err[256];
	FILE			*fp;

	assert_true(password_list_count(list) >= 300);
	assert_true(password_list_contains(list, "123456"));
	assert_true(password_list_contains(list, "QWERTY"));
	assert_false(password_list_contains(list, "a rather unusual phrase"));
	/* Comment lines are not entries. */
	assert_false(password_list_contains(list, "# passwords attackers try "
	    "first: the most common ones from public breach"));
	password_list_free(list);
	password_list_free(NULL);

	assert_int_equal(password_list_load("/nonexistent/list", &list, err,
	    sizeof(err)), -1);
	assert_null(list);
	assert_non_null(strstr(err, "/nonexistent/list"));
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/empty.txt", dir);
	assert_non_null(fp = fopen(path, "w"));
	fputs("# only a comment\n\n", fp);
	fclose(fp);
	assert_int_equal(password_list_load(path, &list, err, sizeof(err)),
	    -1);
	assert_non_null(strstr(err, "no passwords"));
	unlink(path);
	rmdir(dir);
}

enum { REC, CLR, BLK, FREE_ };

static const struct {
	const char	*label;
	int		 op;
	int		 kind;
	const char	*key;
	time_t		 t;
	int		 want;		/* BLK: blocked or not */
} throttle_steps[] = {
	{ "fresh", BLK, THROTTLE_LOGIN_ADDRESS, "a@x", 0, 0 },
	{ "1st", REC, THROTTLE_LOGIN_ADDRESS, "a@x", 0, 0 },
	{ "2nd", REC, THROTTLE_LOGIN_ADDRESS, "a@x", 10, 0 },
	{ "after 2", BLK, THROTTLE_LOGIN_ADDRESS, "a@x", 10, 0 },
	{ "3rd", REC, THROTTLE_LOGIN_ADDRESS, "a@x", 20, 0 },
	{ "after 3", BLK, THROTTLE_LOGIN_ADDRESS, "a@x", 20, 1 },
	{ "other key", BLK, THROTTLE_LOGIN_ADDRESS, "b@x", 20, 0 },
	{ "other kind", BLK, THROTTLE_LOGIN_IP, "a@x", 20, 0 },
	{ "just inside", BLK, THROTTLE_LOGIN_ADDRESS, "a@x", 99, 1 },
	{ "oldest left", BLK, THROTTLE_LOGIN_ADDRESS, "a@x", 100, 0 },
	{ "4th", REC, THROTTLE_LOGIN_ADDRESS, "a@x", 100, 0 },
	{ "sliding", BLK, THROTTLE_LOGIN_ADDRESS, "a@x", 109, 1 },
	{ "slid on", BLK, THROTTLE_LOGIN_ADDRESS, "a@x", 110, 0 },
	{ "cleared", CLR, THROTTLE_LOGIN_ADDRESS, "a@x", 110, 0 },
	{ "after clear", BLK, THROTTLE_LOGIN_ADDRESS, "a@x", 110, 0 },
	{ "ip 1", REC, THROTTLE_LOGIN_IP, "127.0.0.1", 0, 0 },
	{ "ip 2", REC, THROTTLE_LOGIN_IP, "127.0.0.1", 0, 0 },
	{ "ip blocked", BLK, THROTTLE_LOGIN_IP, "127.0.0.1", 1, 1 },
	{ "ip window", BLK, THROTTLE_LOGIN_IP, "127.0.0.1", 50, 0 },
};

static void
test_throttle(void **state)
{
	const struct throttle_limit limits[THROTTLE_NKINDS] = {
		[THROTTLE_LOGIN_ADDRESS] = { 3, 100 },
		[THROTTLE_LOGIN_IP] = { 2, 50 },
		[THROTTLE_MAIL_ADDRESS] = { 1, 10 },
		[THROTTLE_MAIL_IP] = { 1, 10 },
		[THROTTLE_MAIL_ONCE] = { 1, 10 },
	};
	const struct throttle_limit bad[THROTTLE_NKINDS] = { { 0, 1 } };
	struct throttle	*t;
	size_t		 i;
	int		 got;

	assert_null(throttle_new(bad));
	throttle_free(NULL);
	assert_non_null(t = throttle_new(limits));
	for (i = 0; i < sizeof(throttle_steps) / sizeof(throttle_steps[0]);
	    i++) {
		switch (throttle_steps[i].op) {
		case REC:
			assert_int_equal(throttle_record(t,
			    throttle_steps[i].kind, throttle_steps[i].key,
			    throttle_steps[i].t), 0);
			break;
		case CLR:
			throttle_clear(t, throttle_steps[i].kind,
			    throttle_steps[i].key);
			break;
		case BLK:
			got = throttle_blocked(t, throttle_steps[i].kind,
			    throttle_steps[i].key, throttle_steps[i].t);
			if (got != throttle_steps[i].want)
				fail_msg("%s: blocked %d, want %d",
				    throttle_steps[i].label, got,
				    throttle_steps[i].want);
			break;
		}
	}
	throttle_free(t);

	/* Defaults: 5 per address. */
	assert_non_null(t = throttle_new(NULL));
	for (i = 0; i < THROTTLE_LOGIN_ADDRESS_MAX; i++) {
		assert_false(throttle_blocked(t, THROTTLE_LOGIN_ADDRESS, "k",
		    1000));
		assert_int_equal(throttle_record(t, THROTTLE_LOGIN_ADDRESS,
		    "k", 1000), 0);
	}
	assert_true(throttle_blocked(t, THROTTLE_LOGIN_ADDRESS, "k",
	    1000 + THROTTLE_LOGIN_WINDOW - 1));
	assert_false(throttle_blocked(t, THROTTLE_LOGIN_ADDRESS, "k",
	    1000 + THROTTLE_LOGIN_WINDOW));
	throttle_free(t);
}

/* Many keys stay bounded and the busiest stays blocked. */
static void
test_throttle_bounded(void **state)
{
	const struct throttle_limit limits[THROTTLE_NKINDS] = {
		{ 2, 1000 }, { 2, 1000 }, { 2, 1000 }, { 2, 1000 },
		{ 2, 1000 },
	};
	struct throttle	*t;
	char		 key[32];
	int		 i;

	assert_non_null(t = throttle_new(limits));
	assert_int_equal(throttle_record(t, 0, "victim", 5000), 0);
	assert_int_equal(throttle_record(t, 0, "victim", 5000), 0);
	for (i = 0; i < THROTTLE_MAX_KEYS + 10; i++) {
		snprintf(key, sizeof(key), "k%d", i);
		assert_int_equal(throttle_record(t, 0, key, i < 100 ? 1 :
		    5000), 0);
	}
	/* The quiet keys went first. */
	assert_true(throttle_blocked(t, 0, "victim", 5001));
	throttle_free(t);
}

static const struct {
	uint64_t	 s;
	const char	*want;
} durations[] = {
	{ 1, "1 second" }, { 59, "59 seconds" }, { 60, "1 minute" },
	{ 900, "15 minutes" }, { 3600, "1 hour" }, { 4 * 3600, "4 hours" },
	{ 86400, "24 hours" }, { 2 * 86400, "2 days" }, { 90, "90 seconds" },
};

static void
test_duration(void **state)
{
	char	buf[64];
	size_t	i;

	for (i = 0; i < sizeof(durations) / sizeof(durations[0]); i++) {
		auth_format_duration(durations[i].s, buf, sizeof(buf));
		assert_string_equal(buf, durations[i].want);
	}
}

/* A request with these headers (name, value pairs). */
static void
req_init(struct http_request *req, struct http_header *h, size_t n,
    const char *const *nv)
{
	size_t	i;

	memset(req, 0, sizeof(*req));
	for (i = 0; i < n; i++) {
		h[i].name = (char *)nv[2 * i];
		h[i].value = (char *)nv[2 * i + 1];
	}
	req->headers = h;
	req->nheaders = n;
	snprintf(req->id, sizeof(req->id), "test");
	snprintf(req->peer, sizeof(req->peer), "127.0.0.1");
}

static void
test_cookies(void **state)
{
	struct config		cfg;
	struct portal		p = { .cfg = &cfg, .cookie_secure = 1 };
	struct http_request	req;
	struct http_header	h[3];
	char			buf[128];
	const char *const	one[] = { "Cookie",
	    "a=1; __Host-sealpost=abc ;sealpost=plain; "
	    "__Host-sealpost-email=\"q%40x\"" };
	const char *const	two[] = { "Accept", "*/*", "cookie", "x=1",
	    "COOKIE", "__Host-sealpost-pre=p2; __Host-sealpost=s2" };

	memset(&cfg, 0, sizeof(cfg));
	req_init(&req, h, 1, one);
	assert_string_equal(auth_cookie_get(&p, &req, AUTH_COOKIE, buf,
	    sizeof(buf)), "abc");
	assert_string_equal(auth_cookie_get(&p, &req, AUTH_COOKIE_EMAIL, buf,
	    sizeof(buf)), "q%40x");
	assert_null(auth_cookie_get(&p, &req, AUTH_COOKIE_PRE, buf,
	    sizeof(buf)));
	/* Too long for the buffer: absent rather than cut. */
	assert_null(auth_cookie_get(&p, &req, AUTH_COOKIE, buf, 3));
	/* Plain HTTP on loopback: the names lose their prefix. */
	p.cookie_secure = 0;
	assert_string_equal(auth_cookie_name(&p, AUTH_COOKIE), "sealpost");
	assert_string_equal(auth_cookie_get(&p, &req, AUTH_COOKIE, buf,
	    sizeof(buf)), "plain");
	p.cookie_secure = 1;
	/* Several Cookie headers. */
	req_init(&req, h, 3, two);
	assert_string_equal(auth_cookie_get(&p, &req, AUTH_COOKIE, buf,
	    sizeof(buf)), "s2");
	assert_string_equal(auth_cookie_get(&p, &req, AUTH_COOKIE_PRE, buf,
	    sizeof(buf)), "p2");
}

static void
test_set_cookie(void **state)
{
	struct config		 cfg;
	struct portal		 p = { .cfg = &cfg, .cookie_secure = 1 };
	struct http_response	*resp;
	size_t			 i, n = 0;

	memset(&cfg, 0, sizeof(cfg));
	assert_non_null(resp = http_response_new());
	assert_int_equal(auth_cookie_set(&p, resp, AUTH_COOKIE, "v1", -1), 0);
	assert_int_equal(auth_cookie_set(&p, resp, AUTH_COOKIE_EMAIL, NULL, 5),
	    0);
	p.cookie_secure = 0;
	assert_int_equal(auth_cookie_set(&p, resp, AUTH_COOKIE_PRE, "v3", 60),
	    0);
	/* A value that would split the header is refused. */
	assert_int_equal(auth_cookie_set(&p, resp, AUTH_COOKIE, "a\r\nb", -1),
	    -1);
	for (i = 0; i < resp->nheaders; i++) {
		if (strcasecmp(resp->headers[i].name, "Set-Cookie") != 0)
			continue;
		switch (n++) {
		case 0:
			assert_string_equal(resp->headers[i].value,
			    "__Host-sealpost=v1; Path=/; Secure; HttpOnly; "
			    "SameSite=Strict");
			break;
		case 1:
			assert_string_equal(resp->headers[i].value,
			    "__Host-sealpost-email=; Path=/; Max-Age=0; "
			    "Secure; HttpOnly; SameSite=Strict");
			break;
		case 2:
			assert_string_equal(resp->headers[i].value,
			    "sealpost-pre=v3; Path=/; Max-Age=60; HttpOnly; "
			    "SameSite=Strict");
			break;
		}
	}
	assert_int_equal(n, 3);
	http_response_free(resp);
}

static const struct {
	const char	*label;
	const char	*origin;	/* NULL: no header */
	int		 want;
	const char	*fetch_site;	/* Sec-Fetch-Site, NULL: absent */
} origins[] = {
	{ "absent", NULL, 0, NULL },
	{ "same", "https://portal.example", 0, NULL },
	{ "default port", "https://portal.example:443", 0, NULL },
	{ "case", "HTTPS://Portal.Example", 0, NULL },
	{ "other scheme", "http://portal.example", -1, NULL },
	{ "other port", "https://portal.example:8443", -1, NULL },
	{ "suffix", "https://portal.example.evil", -1, NULL },
	{ "prefix", "https://evil-portal.example", -1, NULL },
	/* Referrer-Policy: no-referrer makes browsers send "null". */
	{ "null, no fetch metadata", "null", 0, NULL },
	{ "null, same-origin", "null", 0, "same-origin" },
	{ "null, cross-site", "null", -1, "cross-site" },
	{ "null, same-site", "null", -1, "same-site" },
	{ "null, none", "null", -1, "none" },
	{ "with path", "https://portal.example/", -1, NULL },
	{ "userinfo", "https://portal.example@evil.example", -1, NULL },
	{ "empty", "", -1, NULL },
};

static void
test_origin(void **state)
{
	struct config		cfg;
	struct portal		p = { .cfg = &cfg, .cookie_secure = 1 };
	struct http_request	req;
	struct http_header	h[2];
	const char		*nv[4];
	size_t			i;
	int			got;

	memset(&cfg, 0, sizeof(cfg));
	cfg.portal_url = "https://portal.example/sealpost/";
	for (i = 0; i < sizeof(origins) / sizeof(origins[0]); i++) {
		nv[0] = "Origin";
		nv[1] = origins[i].origin;
		nv[2] = "Sec-Fetch-Site";
		nv[3] = origins[i].fetch_site;
		req_init(&req, h, origins[i].origin == NULL ? 0 :
		    origins[i].fetch_site != NULL ? 2 : 1, nv);
		got = auth_check_origin(&p, &req);
		if (got != origins[i].want)
			fail_msg("%s: got %d, want %d", origins[i].label, got,
			    origins[i].want);
	}
	cfg.portal_url = "http://127.0.0.1:8080";
	nv[1] = "http://127.0.0.1:8080";
	req_init(&req, h, 1, nv);
	assert_int_equal(auth_check_origin(&p, &req), 0);
}

static void
test_pre_csrf(void **state)
{
	struct config		 cfg;
	struct portal		 p = { .cfg = &cfg, .cookie_secure = 1 };
	struct http_request	 req;
	struct http_header	 h[2];
	struct http_form	*f;
	char			 hex[AUTH_TOKEN_HEX + 1], other[AUTH_TOKEN_HEX + 1];
	char			 cookie[128], body[256];
	uint8_t			 key[STORE_KEY_LEN], key2[STORE_KEY_LEN];
	const char		*nv[4];

	memset(&cfg, 0, sizeof(cfg));
	cfg.portal_url = "https://portal.example";
	auth_token_new(hex, key);
	auth_token_new(other, key2);
	assert_int_equal(strlen(hex), AUTH_TOKEN_HEX);
	assert_string_not_equal(hex, other);
	assert_int_equal(auth_token_key(hex, key2), 0);
	assert_memory_equal(key, key2, STORE_KEY_LEN);
	assert_int_equal(auth_token_key("abc", key2), -1);
	hex[0] = 'A';
	assert_int_equal(auth_token_key(hex, key2), -1);
	hex[0] = 'a';

	snprintf(cookie, sizeof(cookie), "%s=%s", AUTH_COOKIE_PRE, hex);
	nv[0] = "Cookie";
	nv[1] = cookie;
	nv[2] = "Origin";
	nv[3] = "https://portal.example";
	req_init(&req, h, 2, nv);
	snprintf(body, sizeof(body), "email=x&csrf=%s", hex);
	assert_int_equal(http_form_parse(body, strlen(body), &f), 0);
	assert_int_equal(auth_check_pre(&p, &req, f), 0);
	http_form_free(f);
	/* Another value, none, or two. */
	snprintf(body, sizeof(body), "csrf=%s", other);
	assert_int_equal(http_form_parse(body, strlen(body), &f), 0);
	assert_int_equal(auth_check_pre(&p, &req, f), -1);
	http_form_free(f);
	assert_int_equal(http_form_parse("email=x", 7, &f), 0);
	assert_int_equal(auth_check_pre(&p, &req, f), -1);
	http_form_free(f);
	snprintf(body, sizeof(body), "csrf=%s&csrf=%s", hex, hex);
	assert_int_equal(http_form_parse(body, strlen(body), &f), 0);
	assert_int_equal(auth_check_pre(&p, &req, f), -1);
	http_form_free(f);
	/* The right value from another site. */
	nv[3] = "https://evil.example";
	req_init(&req, h, 2, nv);
	snprintf(body, sizeof(body), "csrf=%s", hex);
	assert_int_equal(http_form_parse(body, strlen(body), &f), 0);
	assert_int_equal(auth_check_pre(&p, &req, f), -1);
	/* No cookie at all. */
	req_init(&req, h, 0, nv);
	assert_int_equal(auth_check_pre(&p, &req, f), -1);
	http_form_free(f);
}

/* Mailer */

static char	tmpdir[64];

static void
write_script(const char *path, const char *body)
{
	FILE	*fp;

	assert_non_null(fp = fopen(path, "w"));
	fprintf(fp, "#!/bin/sh\n%s", body);
	fclose(fp);
	assert_int_equal(chmod(path, 0700), 0);
}

static char *
slurp(const char *path)
{
	FILE	*fp;
	char	*buf;
	long	 n;

	if ((fp = fopen(path, "r")) == NULL)
		return NULL;
	fseek(fp, 0, SEEK_END);
	n = ftell(fp);
	rewind(fp);
	buf = calloc(1, (size_t)n + 1);
	if (fread(buf, 1, (size_t)n, fp) != (size_t)n)
		abort();
	fclose(fp);
	return buf;
}

static size_t
count(const char *hay, const char *needle)
{
	size_t	n = 0;

	while ((hay = strstr(hay, needle)) != NULL) {
		n++;
		hay++;
	}
	return n;
}

static void
test_mailer_build(void **state)
{
	struct config	 cfg;
	char		 err[256], *m, *body;
	size_t		 len;

	assert_int_equal(config_load_string(&cfg, "t",
	    "noreply_address = noreply@portal.example\n", err, sizeof(err)), 0);
	m = mailer_build(&cfg, "guest@outside.example", "Choose your password",
	    "Hello\nline two caf\xc3\xa9\n", &len, err, sizeof(err));
	assert_non_null(m);
	assert_int_equal(strlen(m), len);
	assert_non_null(strstr(m, "From: noreply@portal.example\n"));
	assert_non_null(strstr(m, "To: guest@outside.example\n"));
	assert_non_null(strstr(m, "Subject: Choose your password\n"));
	assert_non_null(strstr(m, "Auto-Submitted: auto-generated\n"));
	assert_int_equal(count(m, "MIME-Version: 1.0\n"), 1);
	assert_non_null(strstr(m, "Date: "));
	assert_true(strstr(m, "Message-Id: <") != NULL ||
	    strstr(m, "Message-ID: <") != NULL);
	assert_non_null(strstr(m, "@portal.example>"));
	assert_non_null(strstr(m, "Content-Type: text/plain; charset=utf-8"));
	assert_non_null(strstr(m, "Content-Transfer-Encoding: "
	    "quoted-printable"));
	assert_null(strchr(m, '\r'));
	body = strstr(m, "\n\n");
	assert_non_null(body);
	assert_non_null(strstr(body, "caf=C3=A9"));
	free(m);

	/* A non-ASCII subject is encoded. */
	m = mailer_build(&cfg, "guest@outside.example", "Mot de passe chang\xc3"
	    "\xa9", "x\n", NULL, err, sizeof(err));
	assert_non_null(m);
	assert_non_null(strstr(m, "Subject: Mot de passe =?"));
	assert_non_null(strcasestr(m, "=?utf-8?"));
	assert_null(strstr(m, "chang\xc3\xa9"));
	free(m);

	/* Addresses that could inject headers or options are refused. */
	assert_null(mailer_build(&cfg, "a@b.example\nBcc: c@d.example", "s",
	    "b", NULL, err, sizeof(err)));
	assert_null(mailer_build(&cfg, "-oQ/tmp@b.example", "s", "b", NULL, err,
	    sizeof(err)));
	assert_null(mailer_build(&cfg, "two@at@b.example", "s", "b", NULL, err,
	    sizeof(err)));
	assert_null(mailer_build(&cfg, "a@b.example", "two\nlines", "b", NULL,
	    err, sizeof(err)));
	config_free(&cfg);
}

static void
test_mailer_send(void **state)
{
	struct config	 cfg;
	char		 conf[1024], script[128], out[128], args[128];
	char		 err[256], *got;

	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_auth_mail.XXXXXX");
	assert_non_null(mkdtemp(tmpdir));
	snprintf(script, sizeof(script), "%s/sendmail", tmpdir);
	snprintf(out, sizeof(out), "%s/out.eml", tmpdir);
	snprintf(args, sizeof(args), "%s/args", tmpdir);
	{
		char	body[512];

		snprintf(body, sizeof(body), "echo \"$@\" > %s\n"
		    "cat > %s\nexit ${SENDMAIL_EXIT:-0}\n", args, out);
		write_script(script, body);
	}

	/* With -t the recipients come from the headers. */
	snprintf(conf, sizeof(conf), "noreply_address = noreply@p.example\n"
	    "sendmail_command = %s -t -i\n", script);
	assert_int_equal(config_load_string(&cfg, "t", conf, err,
	    sizeof(err)), 0);
	assert_int_equal(mailer_send(&cfg, "guest@outside.example", "Subject",
	    "Body text\n", err, sizeof(err)), 0);
	assert_non_null(got = slurp(args));
	assert_string_equal(got, "-t -i\n");
	free(got);
	assert_non_null(got = slurp(out));
	assert_non_null(strstr(got, "To: guest@outside.example"));
	assert_non_null(strstr(got, "Body text"));
	free(got);
	config_free(&cfg);

	/* Without -t the recipient is the last argument. */
	snprintf(conf, sizeof(conf), "sendmail_command = %s -i\n", script);
	assert_int_equal(config_load_string(&cfg, "t", conf, err,
	    sizeof(err)), 0);
	assert_int_equal(mailer_send(&cfg, "guest@outside.example", "S", "B\n",
	    err, sizeof(err)), 0);
	assert_non_null(got = slurp(args));
	assert_string_equal(got, "-i guest@outside.example\n");
	free(got);

	/* A failing sendmail is an error. */
	setenv("SENDMAIL_EXIT", "75", 1);
	assert_int_equal(mailer_send(&cfg, "guest@outside.example", "S", "B\n",
	    err, sizeof(err)), -1);
	assert_non_null(strstr(err, "status 75"));
	unsetenv("SENDMAIL_EXIT");
	config_free(&cfg);

	/*
	 * A hung sendmail is killed at sendmail_timeout: one that reads
	 * everything and never exits, and one that never reads a message
	 * larger than the pipe holds.
	 */
	{
		char	body[512], *big;
		size_t	bigsz = 512 * 1024;

		snprintf(body, sizeof(body), "cat > %s\nexec sleep 30\n", out);
		write_script(script, body);
		snprintf(conf, sizeof(conf), "sendmail_command = %s -t -i\n"
		    "sendmail_timeout = 1s\n", script);
		assert_int_equal(config_load_string(&cfg, "t", conf, err,
		    sizeof(err)), 0);
		assert_int_equal(mailer_send(&cfg, "guest@outside.example",
		    "S", "B\n", err, sizeof(err)), -1);
		assert_non_null(strstr(err, "did not finish within 1s"));

		write_script(script, "exec sleep 30\n");
		assert_non_null(big = malloc(bigsz + 1));
		memset(big, 'x', bigsz);
		big[bigsz] = '\0';
		assert_int_equal(mailer_send(&cfg, "guest@outside.example",
		    "S", big, err, sizeof(err)), -1);
		assert_non_null(strstr(err, "did not finish within 1s"));
		free(big);
		config_free(&cfg);
	}

	/* No shell: a relative command or a missing program fails. */
	assert_int_equal(config_load_string(&cfg, "t",
	    "sendmail_command = sendmail -t\n", err, sizeof(err)), 0);
	assert_int_equal(mailer_send(&cfg, "guest@outside.example", "S", "B\n",
	    err, sizeof(err)), -1);
	assert_non_null(strstr(err, "absolute"));
	config_free(&cfg);
	assert_int_equal(config_load_string(&cfg, "t",
	    "sendmail_command = /nonexistent/sendmail -t; touch /tmp/x\n", err,
	    sizeof(err)), 0);
	assert_int_equal(mailer_send(&cfg, "guest@outside.example", "S", "B\n",
	    err, sizeof(err)), -1);
	assert_non_null(strstr(err, "status 127"));
	config_free(&cfg);

	unlink(script);
	unlink(out);
	unlink(args);
	rmdir(tmpdir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_password_check),
		cmocka_unit_test(test_password_list),
		cmocka_unit_test(test_throttle),
		cmocka_unit_test(test_throttle_bounded),
		cmocka_unit_test(test_duration),
		cmocka_unit_test(test_cookies),
		cmocka_unit_test(test_set_cookie),
		cmocka_unit_test(test_origin),
		cmocka_unit_test(test_pre_csrf),
		cmocka_unit_test(test_mailer_build),
		cmocka_unit_test(test_mailer_send),
	};

	signal(SIGPIPE, SIG_IGN);
	if (sodium_init() == -1)
		return 1;
	g_mime_init();
	find_srcdir();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
