/*
 * Sessions, cookies, CSRF and Origin checks (auth.h).
 *
 * A session id is 256 random bits, sent only in the cookie and stored
 * only as its BLAKE2b hash (crypto_generichash, 32 bytes), so a copy of
 * the store does not yield usable cookies.  Each session has its own
 * random CSRF secret, shown in forms as hex.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sodium.h>

#include "auth.h"
#include "http_form.h"
#include "log.h"
#include "page.h"

#define AUTH_COOKIE_MAX		4096
#define AUTH_TOUCH_MAX		60	/* seconds between store touches */

static time_t
auth_now(const struct portal *p)
{
	return p->now != NULL ? p->now() : time(NULL);
}

int
auth_address_normalize(const char *in, char out[AUTH_ADDRESS_MAX + 1])
{
	const char	*s, *e, *at = NULL;
	size_t		 n, i;
	unsigned char	 c;

	if (in == NULL)
		return -1;
	for (s = in; *s == ' ' || *s == '\t'; s++)
		;
	for (e = s + strlen(s); e > s && (e[-1] == ' ' || e[-1] == '\t' ||
	    e[-1] == '\r' || e[-1] == '\n'); e--)
		;
	n = e - s;
	if (n < 3 || n > AUTH_ADDRESS_MAX || s[0] == '-')
		return -1;
	for (i = 0; i < n; i++) {
		c = (unsigned char)s[i];
		if (c <= 0x20 || c == 0x7f || strchr("<>()[],;:\"\\", c) != NULL)
			return -1;
		if (c == '@') {
			if (at != NULL)
				return -1;
			at = s + i;
		}
		out[i] = (char)((c >= 'A' && c <= 'Z') ? c + 32 : c);
	}
	out[n] = '\0';
	if (at == NULL || at == s || at == e - 1)
		return -1;
	return 0;
}

const char *
auth_cookie_name(const struct portal *p, const char *name)
{
	static const char	prefix[] = "__Host-";

	if (!p->cookie_secure &&
	    strncmp(name, prefix, sizeof(prefix) - 1) == 0)
		return name + sizeof(prefix) - 1;
	return name;
}

/* Find name in one Cookie header value ("a=1; b=2"). */
static const char *
cookie_find(const char *hdr, const char *name, size_t *vlen)
{
	const char	*p = hdr, *eq, *end;
	size_t		 nlen = strlen(name);

	while (*p != '\0') {
		while (*p == ' ' || *p == '\t' || *p == ';')
			p++;
		if ((end = strchr(p, ';')) == NULL)
			end = p + strlen(p);
		eq = memchr(p, '=', end - p);
		if (eq != NULL && (size_t)(eq - p) == nlen &&
		    memcmp(p, name, nlen) == 0) {
			*vlen = end - (eq + 1);
			/* Trailing blanks before the ';' are not the value. */
			while (*vlen > 0 && (eq[*vlen] == ' ' ||
			    eq[*vlen] == '\t'))
				(*vlen)--;
			return eq + 1;
		}
		p = end;
	}
	return NULL;
}

const char *
auth_cookie_get(const struct portal *p, const struct http_request *req,
    const char *name, char *buf, size_t len)
{
	const char	*cname = auth_cookie_name(p, name), *v;
	size_t		 i, vlen;

	for (i = 0; i < req->nheaders; i++) {
		if (strcasecmp(req->headers[i].name, "Cookie") != 0)
			continue;
		if ((v = cookie_find(req->headers[i].value, cname,
		    &vlen)) == NULL)
			continue;
		if (vlen >= 2 && v[0] == '"' && v[vlen - 1] == '"') {
			v++;
			vlen -= 2;
		}
		if (vlen >= len)
			return NULL;
		memcpy(buf, v, vlen);
		buf[vlen] = '\0';
		return buf;
	}
	return NULL;
}

int
auth_cookie_set(const struct portal *p, struct http_response *resp,
    const char *name, const char *value, long max_age)
{
	char	 buf[AUTH_COOKIE_MAX], age[32] = "";
	int	 n;

	if (value == NULL) {
		value = "";
		max_age = 0;
	}
	if (max_age >= 0)
		snprintf(age, sizeof(age), "; Max-Age=%ld", max_age);
	n = snprintf(buf, sizeof(buf), "%s=%s; Path=/%s%s; HttpOnly; "
	    "SameSite=Strict", auth_cookie_name(p, name), value, age,
	    p->cookie_secure ? "; Secure" : "");
	if (n < 0 || (size_t)n >= sizeof(buf))
		return -1;
	return http_response_add_header(resp, "Set-Cookie", buf);
}

void
auth_token_new(char hex[AUTH_TOKEN_HEX + 1], uint8_t key[STORE_KEY_LEN])
{
	uint8_t	raw[AUTH_TOKEN_BYTES];

	randombytes_buf(raw, sizeof(raw));
	sodium_bin2hex(hex, AUTH_TOKEN_HEX + 1, raw, sizeof(raw));
	crypto_generichash(key, STORE_KEY_LEN, raw, sizeof(raw), NULL, 0);
	sodium_memzero(raw, sizeof(raw));
}

int
auth_token_key(const char *hex, uint8_t key[STORE_KEY_LEN])
{
	uint8_t	raw[AUTH_TOKEN_BYTES];
	size_t	i, rawlen;

	if (hex == NULL || strlen(hex) != AUTH_TOKEN_HEX)
		return -1;
	for (i = 0; i < AUTH_TOKEN_HEX; i++)
		if (!((hex[i] >= '0' && hex[i] <= '9') ||
		    (hex[i] >= 'a' && hex[i] <= 'f')))
			return -1;
	if (sodium_hex2bin(raw, sizeof(raw), hex, AUTH_TOKEN_HEX, NULL,
	    &rawlen, NULL) != 0 || rawlen != sizeof(raw))
		return -1;
	crypto_generichash(key, STORE_KEY_LEN, raw, sizeof(raw), NULL, 0);
	sodium_memzero(raw, sizeof(raw));
	return 0;
}

/*
 * "scheme://host[:port]" of a URL (allow_path: portal_url) or of an
 * Origin header (nothing after the authority), lowercased, the default
 * port dropped.  -1 if it is not one.
 */
static int
origin_of(const char *url, int allow_path, char *out, size_t len)
{
	const char	*host, *end, *defport;
	size_t		 slen, hlen, dlen, i;

	if (strncasecmp(url, "https://", 8) == 0) {
		slen = 8;
		defport = ":443";
	} else if (strncasecmp(url, "http://", 7) == 0) {
		slen = 7;
		defport = ":80";
	} else
		return -1;
	host = url + slen;
	end = host + strcspn(host, "/?#");
	if (!allow_path && *end != '\0')
		return -1;
	hlen = end - host;
	if (hlen == 0 || memchr(host, '@', hlen) != NULL)
		return -1;
	dlen = strlen(defport);
	if (hlen > dlen && strncmp(end - dlen, defport, dlen) == 0)
		hlen -= dlen;
	if (slen + hlen + 1 > len)
		return -1;
	for (i = 0; i < slen + hlen; i++)
		out[i] = (char)tolower((unsigned char)url[i]);
	out[i] = '\0';
	return 0;
}

int
auth_check_origin(const struct portal *p, const struct http_request *req)
{
	const char	*origin;
	char		 want[512], got[512];

	if ((origin = http_request_header(req, "Origin")) == NULL)
		return 0;
	/*
	 * With Referrer-Policy: no-referrer, browsers send "Origin: null"
	 * even for our own forms.  Fetch metadata then says where the form
	 * came from; the CSRF token is checked in any case.
	 */
	if (strcmp(origin, "null") == 0) {
		const char *site = http_request_header(req, "Sec-Fetch-Site");

		if (site == NULL || strcmp(site, "same-origin") == 0)
			return 0;
		log_info("%s refused: Origin null from %s", req->id, site);
		return -1;
	}
	if (origin_of(p->cfg->portal_url, 1, want, sizeof(want)) == -1 ||
	    origin_of(origin, 0, got, sizeof(got)) == -1 ||
	    strcmp(want, got) != 0) {
		log_info("%s refused: Origin is not the portal's", req->id);
		return -1;
	}
	return 0;
}

/* The form's single csrf field equals want (constant time). */
static int
csrf_match(const struct http_form *form, const char *want)
{
	const char	*got;

	if (form == NULL || http_form_count_name(form, "csrf") != 1 ||
	    (got = http_form_get(form, "csrf")) == NULL ||
	    strlen(got) != AUTH_TOKEN_HEX || strlen(want) != AUTH_TOKEN_HEX)
		return -1;
	return sodium_memcmp(got, want, AUTH_TOKEN_HEX) == 0 ? 0 : -1;
}

int
auth_check_csrf(struct portal *p, struct http_request *req,
    const struct auth_user *user, struct http_form *form)
{
	if (auth_check_origin(p, req) == -1)
		return -1;
	if (user == NULL || csrf_match(form, user->csrf) == -1) {
		log_info("%s refused: csrf token missing or wrong", req->id);
		return -1;
	}
	return 0;
}

int
auth_check_pre(const struct portal *p, const struct http_request *req,
    const struct http_form *form)
{
	char	cookie[AUTH_TOKEN_HEX + 1];
	uint8_t	key[STORE_KEY_LEN];

	if (auth_check_origin(p, req) == -1)
		return -1;
	if (auth_cookie_get(p, req, AUTH_COOKIE_PRE, cookie,
	    sizeof(cookie)) == NULL || auth_token_key(cookie, key) == -1 ||
	    csrf_match(form, cookie) == -1) {
		log_info("%s refused: pre-session csrf token missing or wrong",
		    req->id);
		return -1;
	}
	return 0;
}

int
auth_pre_token(const struct portal *p, const struct http_request *req,
    struct http_response *resp, char out[AUTH_TOKEN_HEX + 1])
{
	uint8_t	key[STORE_KEY_LEN];

	if (auth_cookie_get(p, req, AUTH_COOKIE_PRE, out,
	    AUTH_TOKEN_HEX + 1) != NULL && auth_token_key(out, key) == 0)
		return 0;
	auth_token_new(out, key);
	/* A browser-session cookie: it only protects forms. */
	return auth_cookie_set(p, resp, AUTH_COOKIE_PRE, out, -1);
}

/* The store key of req's session cookie; -1 without a well-formed one. */
static int
session_cookie_key(const struct portal *p, const struct http_request *req,
    uint8_t key[STORE_KEY_LEN], int *present)
{
	char	id[AUTH_TOKEN_HEX + 1];
	char	big[AUTH_COOKIE_MAX];
	int	rc;

	*present = auth_cookie_get(p, req, AUTH_COOKIE, big,
	    sizeof(big)) != NULL;
	if (!*present || strlen(big) != AUTH_TOKEN_HEX)
		return -1;
	memcpy(id, big, sizeof(id));
	rc = auth_token_key(id, key);
	sodium_memzero(id, sizeof(id));
	sodium_memzero(big, sizeof(big));
	return rc;
}

int
auth_session_new(struct portal *p, const char *address, const char *ip,
    char id[AUTH_TOKEN_HEX + 1])
{
	struct store_session	s;
	time_t			now = auth_now(p);
	int			rc;

	memset(&s, 0, sizeof(s));
	auth_token_new(id, s.key);
	randombytes_buf(s.csrf, sizeof(s.csrf));
	s.address = (char *)address;
	s.created = now;
	s.last_seen = now;
	snprintf(s.ip, sizeof(s.ip), "%s", ip);
	rc = store_put_session(p->store, &s);
	sodium_memzero(&s, sizeof(s));
	if (rc != STORE_OK) {
		log_warnx("cannot store a session: %s", store_strerror(rc));
		sodium_memzero(id, AUTH_TOKEN_HEX + 1);
		return -1;
	}
	return 0;
}

int
auth_session_end(struct portal *p, const struct http_request *req,
    struct http_response *resp)
{
	uint8_t	key[STORE_KEY_LEN];
	int	present, rc = 0, st;

	if (session_cookie_key(p, req, key, &present) == 0) {
		st = store_delete_session(p->store, key);
		if (st != STORE_OK && st != STORE_NOTFOUND) {
			log_warnx("%s cannot delete a session: %s", req->id,
			    store_strerror(st));
			rc = -1;
		}
	}
	if (present && auth_cookie_set(p, resp, AUTH_COOKIE, NULL, 0) == -1)
		rc = -1;
	return rc;
}

int
auth_session(struct portal *p, struct http_request *req,
    struct auth_user *user)
{
	struct store_session	s;
	struct store_account	a;
	uint8_t			key[STORE_KEY_LEN];
	time_t			now = auth_now(p);
	int64_t			idle_end, max_end, touch_after;
	int			present, st, status;

	memset(user, 0, sizeof(*user));
	if (session_cookie_key(p, req, key, &present) == -1)
		return AUTH_NONE;
	if ((st = store_get_session(p->store, key, &s)) == STORE_NOTFOUND)
		return AUTH_NONE;
	if (st != STORE_OK) {
		log_warnx("%s cannot read a session: %s", req->id,
		    store_strerror(st));
		return AUTH_ERROR;
	}

	/* Whichever limit passed first is the reason given. */
	idle_end = s.last_seen + (int64_t)p->cfg->session_idle_timeout;
	max_end = s.created + (int64_t)p->cfg->session_max_lifetime;
	status = AUTH_OK;
	if (now >= idle_end && (now < max_end || idle_end <= max_end))
		status = AUTH_EXPIRED_IDLE;
	else if (now >= max_end)
		status = AUTH_EXPIRED_MAX;
	else if (p->cfg->session_bind_ip && strcmp(s.ip, req->peer) != 0)
		status = AUTH_IP_CHANGED;
	else {
		st = store_get_account(p->store, s.address, &a);
		if (st == STORE_OK && (a.flags & (STORE_ACCOUNT_DISABLED |
		    STORE_ACCOUNT_UNSUBSCRIBED)) == 0)
			status = AUTH_OK;
		else if (st == STORE_OK || st == STORE_NOTFOUND)
			status = AUTH_DISABLED;
		else {
			log_warnx("%s cannot read an account: %s", req->id,
			    store_strerror(st));
			store_session_clear(&s);
			return AUTH_ERROR;
		}
		store_account_clear(&a);
	}
	if (status != AUTH_OK) {
		log_info("%s session of %s ended: %s", req->id, s.address,
		    status == AUTH_EXPIRED_IDLE ? "idle" :
		    status == AUTH_EXPIRED_MAX ? "max-lifetime" :
		    status == AUTH_IP_CHANGED ? "ip-changed" : "disabled");
		if ((st = store_delete_session(p->store, key)) != STORE_OK &&
		    st != STORE_NOTFOUND)
			log_warnx("%s cannot delete a session: %s", req->id,
			    store_strerror(st));
		store_session_clear(&s);
		return status;
	}

	/* Any request resets the idle clock, but the store is written at
	 * most once per min(60 s, idle / 10). */
	touch_after = (int64_t)p->cfg->session_idle_timeout / 10;
	if (touch_after > AUTH_TOUCH_MAX)
		touch_after = AUTH_TOUCH_MAX;
	if (now - s.last_seen >= touch_after &&
	    (st = store_touch_session(p->store, key, now)) != STORE_OK)
		log_warnx("%s cannot touch a session: %s", req->id,
		    store_strerror(st));

	if ((user->address = strdup(s.address)) == NULL) {
		store_session_clear(&s);
		return AUTH_ERROR;
	}
	user->professional = config_is_internal(p->cfg, s.address);
	if (auth_addresses_load(p, user) == -1) {
		store_session_clear(&s);
		auth_user_clear(user);
		return AUTH_ERROR;
	}
	memcpy(user->session_key, key, sizeof(user->session_key));
	sodium_bin2hex(user->csrf, sizeof(user->csrf), s.csrf,
	    sizeof(s.csrf));
	store_session_clear(&s);
	return AUTH_OK;
}

void
auth_user_clear(struct auth_user *user)
{
	if (user == NULL)
		return;
	size_t	i;

	free(user->address);
	for (i = 0; i < user->naddresses; i++)
		free(user->addresses[i]);
	free(user->addresses);
	sodium_memzero(user, sizeof(*user));
}

void
auth_format_duration(uint64_t s, char *buf, size_t len)
{
	if (s >= 2 * 86400 && s % 86400 == 0)
		snprintf(buf, len, "%llu days", (unsigned long long)(s / 86400));
	else if (s >= 3600 && s % 3600 == 0)
		snprintf(buf, len, "%llu hour%s", (unsigned long long)(s / 3600),
		    s == 3600 ? "" : "s");
	else if (s >= 60 && s % 60 == 0)
		snprintf(buf, len, "%llu minute%s", (unsigned long long)(s / 60),
		    s == 60 ? "" : "s");
	else
		snprintf(buf, len, "%llu second%s", (unsigned long long)s,
		    s == 1 ? "" : "s");
}

void
auth_status_text(const struct portal *p, int status, char *buf, size_t len)
{
	char	d[64];

	switch (status) {
	case AUTH_EXPIRED_IDLE:
		auth_format_duration(p->cfg->session_idle_timeout, d,
		    sizeof(d));
		snprintf(buf, len, "You were logged out because you were "
		    "inactive for more than %s.", d);
		break;
	case AUTH_EXPIRED_MAX:
		auth_format_duration(p->cfg->session_max_lifetime, d,
		    sizeof(d));
		snprintf(buf, len, "You were logged out because a session "
		    "lasts at most %s.", d);
		break;
	case AUTH_IP_CHANGED:
		snprintf(buf, len, "You were logged out because your network "
		    "address changed since you logged in (for example, you "
		    "moved to another network). This protects your session "
		    "if someone copied it.");
		break;
	case AUTH_DISABLED:
		snprintf(buf, len, "You were logged out because this account "
		    "can no longer be used.");
		break;
	default:
		snprintf(buf, len, "You are not logged in.");
		break;
	}
}

int
auth_refuse(struct portal *p, struct http_request *req,
    struct http_response *resp, int status)
{
	char	text[512];
	int	present;
	uint8_t	key[STORE_KEY_LEN];

	(void)session_cookie_key(p, req, key, &present);
	sodium_memzero(key, sizeof(key));
	if (present && auth_cookie_set(p, resp, AUTH_COOKIE, NULL, 0) == -1)
		return HTTP_HANDLER_ERROR;
	switch (status) {
	case AUTH_NONE:
	case AUTH_OK:
		if (http_response_redirect(resp, 303, "/") == -1)
			return HTTP_HANDLER_ERROR;
		return HTTP_HANDLER_DONE;
	case AUTH_ERROR:
		return HTTP_HANDLER_ERROR;
	default:
		break;
	}
	auth_status_text(p, status, text, sizeof(text));
	resp->status = 403;
	page_begin(resp, "Session ended", NULL);
	page_printf(resp, "<h1>Your session has ended</h1>\n"
	    "<p class=\"notice\" role=\"status\">");
	page_text(resp, text);
	page_printf(resp, "</p>\n<p><a class=\"button\" href=\"/\">"
	    "Log in again</a></p>\n");
	page_end(resp);
	return HTTP_HANDLER_DONE;
}
