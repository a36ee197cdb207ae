/*
 * Writing in the portal, in process: the reading and writing routes on
 * 127.0.0.1:0 over a real LMDB store in a temporary directory, an
 * injected clock, a worker pool, and sendmail_command pointing at a
 * script that saves each notification into a directory.  Originals are
 * stored with message_create_store (what the milter does with what it
 * receives); sessions are made with auth_session_new and sent as the
 * cookie, and each form carries the session's CSRF token as the pages
 * show it.
 *
 * Checks roles (a guest answers only the participants of a message and
 * cannot compose), reply / reply all / forward / compose end to end
 * (the stored original of the answer, its threading headers, the quote,
 * attachments uploaded and forwarded, the notifications), the
 * conversation on the read page, CSRF, revocation, and the pure
 * helpers (multipart/form-data, addresses, threads, building).
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <dirent.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <gmime/gmime.h>
#include <sodium.h>

#include "app.h"
#include "auth.h"
#include "compose.h"
#include "config.h"
#include "http_form.h"
#include "http_multipart.h"
#include "http_router.h"
#include "masterkey.h"
#include "message_create.h"
#include "msgid.h"
#include "portal_test.h"
#include "store.h"
#include "workpool.h"

#define T0		1700000000
#define ORIGIN		"https://portal.example"
#define BOUNDARY	"----sealpostTest7MA4YWxkTrZu0gW"

#define CAROL		"carol@corp.example"	/* professional */
#define FRANK		"frank@corp.example"	/* professional */
#define ALICE		"alice@guest.example"	/* guest */
#define DAVE		"dave@guest.example"	/* guest */
#define BOB		"bob@other.example"	/* guest */

static struct {
	char			 dir[64];
	char			 maildir[96];
	struct config		 cfg;
	struct store		*st;
	struct masterkey	*mk;
	struct portal		 portal;
	struct pt_server	 srv;
} F;

static volatile time_t	fake_now = T0;

static time_t
test_clock(void)
{
	return fake_now;
}

/* ---- small helpers ---- */

static void
assert_contains(const char *hay, const char *needle)
{
	if (hay == NULL || strstr(hay, needle) == NULL)
		fail_msg("missing \"%s\" in:\n%s", needle, hay ? hay : "(null)");
}

static void
assert_lacks(const char *hay, const char *needle)
{
	if (hay != NULL && strstr(hay, needle) != NULL)
		fail_msg("unexpected \"%s\" in:\n%s", needle, hay);
}

static int
count_cb(void *arg, const struct store_message *m)
{
	(*(size_t *)arg)++;
	return 0;
}

static size_t
stored_count(void)
{
	size_t	n = 0;

	assert_int_equal(store_list_messages(F.st, NULL, STORE_ROLE_RECIPIENT,
	    0, 0, count_cb, &n), STORE_OK);
	return n;
}

/* An original as the milter stores it. */
static void
put_raw(const char *sender, const char *const *rcpts, size_t n,
    const char *raw, unsigned attachments, char idstr[MSGID_STRLEN + 1])
{
	uint8_t	id[MSGID_LEN];
	char	err[256];

	if (message_create_store(F.st, F.mk, &F.cfg, sender,
	    (char *const *)(uintptr_t)rcpts, n, (const uint8_t *)raw,
	    strlen(raw), attachments, fake_now, id, err, sizeof(err)) !=
	    MESSAGE_CREATE_OK)
		fail_msg("put_raw: %s", err);
	msgid_encode(id, idstr);
	fake_now++;		/* each message its own second: order */
}

/* ---- sessions and requests ---- */

struct who {
	const char	*address;
	char		 cookie[AUTH_TOKEN_HEX + 1];
	char		 csrf[AUTH_TOKEN_HEX + 1];
};

static void
request(const struct who *w, const char *method, const char *path,
    const char *ctype, const void *body, size_t len, struct pt_response *r)
{
	GString	*req = g_string_new(NULL);

	g_string_append_printf(req, "%s %s HTTP/1.1\r\nHost: portal.example\r\n"
	    "Connection: close\r\n", method, path);
	if (w != NULL)
		g_string_append_printf(req, "Cookie: sealpost=%s\r\n",
		    w->cookie);
	if (body != NULL)
		g_string_append_printf(req, "Origin: " ORIGIN "\r\n"
		    "Content-Type: %s\r\nContent-Length: %zu\r\n", ctype, len);
	g_string_append(req, "\r\n");
	if (body != NULL)
		g_string_append_len(req, body, (gssize)len);
	assert_int_equal(pt_exchange(F.srv.port, req->str, req->len, r), 0);
	g_string_free(req, TRUE);
}

static void
get(const struct who *w, const char *path, struct pt_response *r)
{
	request(w, "GET", path, NULL, NULL, 0, r);
}

static int
get_status(const struct who *w, const char *path)
{
	struct pt_response	r;
	int			status;

	get(w, path, &r);
	status = r.status;
	pt_response_free(&r);
	return status;
}

/* An account and a session; the CSRF token as a page shows it. */
static void
login(const char *address, struct who *w)
{
	struct store_account	a;
	struct pt_response	r;
	const char		*p;

	memset(w, 0, sizeof(*w));
	w->address = address;
	memset(&a, 0, sizeof(a));
	a.address = (char *)(uintptr_t)address;
	a.password_hash = "";
	a.created = T0;
	assert_int_equal(store_put_account(F.st, &a), STORE_OK);
	assert_int_equal(auth_session_new(&F.portal, address, "127.0.0.1",
	    w->cookie), 0);
	get(w, "/inbox", &r);
	assert_int_equal(r.status, 200);
	assert_non_null(p = strstr(r.body, "name=\"csrf\" value=\""));
	p += strlen("name=\"csrf\" value=\"");
	memcpy(w->csrf, p, AUTH_TOKEN_HEX);
	w->csrf[AUTH_TOKEN_HEX] = '\0';
	pt_response_free(&r);
}

/* application/x-www-form-urlencoded from name, value, ..., NULL. */
static GString *
urlform(const char *name, ...)
{
	static const char	hex[] = "0123456789ABCDEF";
	GString			*s = g_string_new(NULL);
	va_list			 ap;
	const char		*n, *v;

	va_start(ap, name);
	for (n = name; n != NULL; n = va_arg(ap, const char *)) {
		v = va_arg(ap, const char *);
		if (s->len > 0)
			g_string_append_c(s, '&');
		g_string_append_printf(s, "%s=", n);
		for (; *v != '\0'; v++) {
			unsigned char c = (unsigned char)*v;

			if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			    (c >= '0' && c <= '9') || c == '.' || c == '-' ||
			    c == '_')
				g_string_append_c(s, (char)c);
			else
				g_string_append_printf(s, "%%%c%c", hex[c >> 4],
				    hex[c & 15]);
		}
	}
	va_end(ap);
	return s;
}

static int
post_form(const struct who *w, const char *path, GString *body,
    struct pt_response *r)
{
	request(w, "POST", path, "application/x-www-form-urlencoded",
	    body->str, body->len, r);
	g_string_free(body, TRUE);
	return r->status;
}

/* multipart/form-data pieces. */
static void
mp_field(GString *s, const char *name, const char *value)
{
	g_string_append_printf(s, "--" BOUNDARY "\r\nContent-Disposition: "
	    "form-data; name=\"%s\"\r\n\r\n%s\r\n", name, value);
}

static void
mp_file(GString *s, const char *name, const char *filename,
    const char *ctype, const void *data, size_t len)
{
	g_string_append_printf(s, "--" BOUNDARY "\r\nContent-Disposition: "
	    "form-data; name=\"%s\"; filename=\"%s\"\r\nContent-Type: %s"
	    "\r\n\r\n", name, filename, ctype);
	g_string_append_len(s, data, (gssize)len);
	g_string_append(s, "\r\n");
}

static int
post_multipart(const struct who *w, const char *path, GString *body,
    struct pt_response *r)
{
	g_string_append(body, "--" BOUNDARY "--\r\n");
	request(w, "POST", path, "multipart/form-data; boundary=" BOUNDARY,
	    body->str, body->len, r);
	g_string_free(body, TRUE);
	return r->status;
}

/* The id a 303 to /m/ID names. */
static void
location_id(const struct pt_response *r, char id[MSGID_STRLEN + 1])
{
	char	loc[128];

	if (r->status != 303)
		fail_msg("want 303, got %d:\n%s", r->status, r->body);
	assert_non_null(pt_header(r, "Location", loc, sizeof(loc)));
	assert_int_equal(strncmp(loc, "/m/", 3), 0);
	assert_int_equal(strlen(loc + 3), MSGID_STRLEN);
	memcpy(id, loc + 3, MSGID_STRLEN + 1);
}

static void
get_meta(const char *idstr, struct store_message *m)
{
	uint8_t	id[MSGID_LEN];

	assert_int_equal(msgid_decode(idstr, id), 0);
	assert_int_equal(store_get_message(F.st, id, m), STORE_OK);
}

/* ---- the mails sendmail_command saved ---- */

static int
rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	return remove(path);
}

static void
mail_clear(void)
{
	DIR		*d;
	struct dirent	*e;
	char		 path[512];

	assert_non_null(d = opendir(F.maildir));
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.') {
			snprintf(path, sizeof(path), "%s/%s", F.maildir,
			    e->d_name);
			unlink(path);
		}
	closedir(d);
}

/* Undo quoted-printable soft breaks and =XX escapes in place. */
static void
qp_decode(char *s)
{
	char		*o = s;
	unsigned int	 x;

	while (*s != '\0') {
		if (s[0] == '=' && s[1] == '\n')
			s += 2;
		else if (s[0] == '=' && s[1] != '\0' && s[2] != '\0' &&
		    sscanf(s + 1, "%2x", &x) == 1) {
			*o++ = (char)x;
			s += 3;
		} else
			*o++ = *s++;
	}
	*o = '\0';
}

/* How many saved mails are addressed to rcpt; *last gets one of them
 * (decoded; caller frees) when last is not NULL. */
static size_t
mails_to(const char *rcpt, char **last)
{
	DIR		*d;
	struct dirent	*e;
	char		 path[512], want[300], *buf, *body;
	size_t		 n = 0;
	long		 len;
	FILE		*fp;

	if (last != NULL)
		*last = NULL;
	snprintf(want, sizeof(want), "\nTo: %s\n", rcpt);
	assert_non_null(d = opendir(F.maildir));
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", F.maildir, e->d_name);
		assert_non_null(fp = fopen(path, "r"));
		fseek(fp, 0, SEEK_END);
		len = ftell(fp);
		rewind(fp);
		assert_non_null(buf = calloc(1, (size_t)len + 2));
		buf[0] = '\n';
		assert_int_equal(fread(buf + 1, 1, (size_t)len, fp),
		    (size_t)len);
		fclose(fp);
		if (strstr(buf, want) != NULL) {
			n++;
			if (last != NULL) {
				free(*last);
				/* Only the body is quoted-printable. */
				if ((body = strstr(buf, "\n\n")) != NULL)
					qp_decode(body);
				*last = buf;
				continue;
			}
		}
		free(buf);
	}
	closedir(d);
	return n;
}

static size_t
mails_total(void)
{
	DIR		*d;
	struct dirent	*e;
	size_t		 n = 0;

	assert_non_null(d = opendir(F.maildir));
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

/* ---- fixture ---- */

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
group_setup(void **state)
{
	char	conf[4096], script[160], body[512], keypath[160], err[256];

	if (sodium_init() < 0)
		return -1;
	g_mime_init();
	memset(&F, 0, sizeof(F));
	snprintf(F.dir, sizeof(F.dir), "/tmp/test_compose.XXXXXX");
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
	    "store_map_size = 256M\n"
	    "templates_dir = %s/conf/templates\n"
	    "sendmail_command = %s -t -i\n"
	    "portal_url = " ORIGIN "/\n"
	    "noreply_address = noreply@portal.example\n"
	    "internal_domains = corp.example\n"
	    "max_message_size = 1M\n", F.dir, SOURCE_DIR, script);
	snprintf(keypath, sizeof(keypath), "%s/master.key", F.dir);
	if (config_load_string(&F.cfg, "test", conf, err, sizeof(err)) == -1 ||
	    masterkey_create(keypath, err, sizeof(err)) == -1 ||
	    masterkey_load(keypath, &F.mk, err, sizeof(err)) == -1 ||
	    store_open(&F.cfg, STORE_OPEN_CREATE, &F.st, err,
	    sizeof(err)) == -1) {
		fprintf(stderr, "setup: %s\n", err);
		return -1;
	}
	pt_init(&F.srv);
	if ((F.srv.pool = workpool_new(F.srv.base, 2, 64)) == NULL)
		return -1;
	F.portal.cfg = &F.cfg;
	F.portal.store = F.st;
	F.portal.mk = F.mk;
	F.portal.pool = F.srv.pool;
	F.portal.now = test_clock;
	F.portal.cookie_secure = 0;
	if (msg_routes_add(F.srv.router, &F.portal) == -1 ||
	    compose_routes_add(F.srv.router, &F.portal) == -1)
		return -1;
	pt_start(&F.srv, NULL, NULL, NULL);
	return 0;
}

static int
group_teardown(void **state)
{
	pt_stop(&F.srv);
	store_close(F.st);
	masterkey_free(F.mk);
	config_free(&F.cfg);
	nftw(F.dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	return 0;
}

/* "Report" from carol to rcpts, Message-ID <report-N@corp.example>. */
static void
put_report(const char *const *rcpts, size_t n, const char *tag,
    char idstr[MSGID_STRLEN + 1])
{
	char	raw[2048], to[512] = "";
	size_t	i;

	for (i = 0; i < n; i++)
		snprintf(to + strlen(to), sizeof(to) - strlen(to), "%s%s",
		    i > 0 ? ", " : "", rcpts[i]);
	snprintf(raw, sizeof(raw), "From: Carol <" CAROL ">\r\nTo: %s\r\n"
	    "Date: Tue, 14 Nov 2023 10:00:00 +0000\r\n"
	    "Subject: [secure] Report %s\r\nMessage-ID: <report-%s@corp.example>\r\n"
	    "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
	    "\r\nHello,\r\nthe quarterly numbers for %s are ready.\r\n"
	    "Regards, Carol\r\n", to, tag, tag, tag);
	put_raw(CAROL, rcpts, n, raw, 0, idstr);
}

/* ---- roles and answers ---- */

/*
 * A guest replies: the internal sender finds it in the inbox, its
 * original quotes the message answered and is threaded on it, the
 * sender is notified, and the read page shows the conversation.
 */
static void
test_guest_reply(void **state)
{
	static const char *const rcpts[] = { ALICE };
	struct who		 alice, carol;
	struct pt_response	 r;
	struct store_message	 m;
	char			 orig[MSGID_STRLEN + 1], id[MSGID_STRLEN + 1];
	char			 path[96], *mail;

	login(ALICE, &alice);
	login(CAROL, &carol);
	mail_clear();
	put_report(rcpts, 1, "q1", orig);

	/* The read page offers the three answers, prefilled. */
	snprintf(path, sizeof(path), "/m/%s", orig);
	get(&alice, path, &r);
	assert_int_equal(r.status, 200);
	assert_contains(r.body, "<summary>Reply</summary>");
	assert_contains(r.body, "<summary>Reply all</summary>");
	assert_contains(r.body, "<summary>Forward</summary>");
	assert_contains(r.body, "value=\"" CAROL "\"");
	assert_contains(r.body, "value=\"Re: [secure] Report q1\"");
	assert_contains(r.body, "enctype=\"multipart/form-data\"");
	assert_lacks(r.body, "/revoke");	/* alice did not send it */
	pt_response_free(&r);

	snprintf(path, sizeof(path), "/m/%s/reply", orig);
	post_form(&alice, path, urlform("csrf", alice.csrf, "mode", "reply",
	    "to", CAROL, "cc", "", "subject", "", "body",
	    "Thanks, Carol!\r\nSee you.", NULL), &r);
	location_id(&r, id);
	pt_response_free(&r);

	/* Stored with the guest as its sender, to carol. */
	memset(&m, 0, sizeof(m));
	get_meta(id, &m);
	assert_string_equal(m.sender, ALICE);
	assert_int_equal(m.nrecipients, 1);
	assert_string_equal(m.recipients[0], CAROL);
	store_message_clear(&m);

	get(&carol, "/inbox", &r);
	assert_contains(r.body, "Re: [secure] Report q1");
	snprintf(path, sizeof(path), "<a href=\"/m/%s\">", id);
	assert_contains(r.body, path);
	pt_response_free(&r);

	snprintf(path, sizeof(path), "/m/%s/raw", id);
	get(&carol, path, &r);
	assert_int_equal(r.status, 200);
	assert_contains(r.body, "From: " ALICE "\r\n");
	assert_contains(r.body, "To: " CAROL "\r\n");
	assert_contains(r.body, "In-Reply-To: <report-q1@corp.example>\r\n");
	assert_contains(r.body, "References: <report-q1@corp.example>\r\n");
	assert_contains(r.body, "Subject: Re: [secure] Report q1\r\n");
	assert_contains(r.body, "Thanks, Carol!\r\nSee you.\r\n");
	assert_contains(r.body, "wrote:\r\n> Hello,\r\n"
	    "> the quarterly numbers for q1 are ready.\r\n> Regards, Carol");
	pt_response_free(&r);

	/* The notice: to carol, from noreply, the tag gone, the link. */
	assert_int_equal(mails_to(CAROL, &mail), 1);
	assert_int_equal(mails_total(), 1);	/* not to the author */
	assert_contains(mail, "From: noreply@portal.example\n");
	assert_contains(mail, "Subject: Re: Report q1\n");
	assert_contains(mail, "Auto-Submitted: auto-generated\n");
	assert_contains(mail, "In-Reply-To: <report-q1@corp.example>\n");
	assert_contains(mail, "multipart/alternative");
	snprintf(path, sizeof(path), ORIGIN "/m/%s", id);
	assert_contains(mail, path);
	assert_contains(mail, ALICE);
	assert_lacks(mail, "Thanks, Carol");	/* no content */
	assert_lacks(mail, "[secure]");
	free(mail);

	/* The conversation, both ways, newest last. */
	snprintf(path, sizeof(path), "/m/%s", id);
	get(&carol, path, &r);
	assert_int_equal(r.status, 200);
	assert_contains(r.body, "Conversation");
	snprintf(path, sizeof(path), "<a href=\"/m/%s\">[secure] Report q1"
	    "</a>", orig);
	assert_contains(r.body, path);
	assert_true(strstr(r.body, path) < strstr(r.body, "(this message)"));
	pt_response_free(&r);
	snprintf(path, sizeof(path), "/m/%s", orig);
	get(&alice, path, &r);
	snprintf(path, sizeof(path), "<a href=\"/m/%s\">Re: [secure] Report "
	    "q1</a>", id);
	assert_contains(r.body, path);
	pt_response_free(&r);
}

/* Reply all: every participant, the guest's own address left out. */
static void
test_reply_all(void **state)
{
	static const char *const rcpts[] = { ALICE, DAVE, BOB };
	struct who		 alice;
	struct pt_response	 r;
	struct store_message	 m;
	char			 orig[MSGID_STRLEN + 1], id[MSGID_STRLEN + 1];
	char			 path[96];
	size_t			 i;

	login(ALICE, &alice);
	mail_clear();
	put_report(rcpts, 3, "all", orig);

	snprintf(path, sizeof(path), "/m/%s", orig);
	get(&alice, path, &r);
	assert_contains(r.body, "value=\"" DAVE ", " BOB "\"");
	pt_response_free(&r);

	snprintf(path, sizeof(path), "/m/%s/reply", orig);
	post_form(&alice, path, urlform("csrf", alice.csrf, "mode",
	    "reply-all", "to", "Carol <CAROL@corp.example>", "cc",
	    DAVE ", " BOB ", " ALICE, "subject", "Re: numbers", "body", "ok",
	    NULL), &r);
	location_id(&r, id);
	pt_response_free(&r);

	memset(&m, 0, sizeof(m));
	get_meta(id, &m);
	assert_int_equal(m.nrecipients, 4);
	assert_string_equal(m.recipients[0], CAROL);	/* lowercased */
	assert_string_equal(m.recipients[1], DAVE);
	assert_string_equal(m.recipients[2], BOB);
	assert_string_equal(m.recipients[3], ALICE);
	store_message_clear(&m);
	/* Everyone but the author is notified. */
	assert_int_equal(mails_to(CAROL, NULL), 1);
	assert_int_equal(mails_to(DAVE, NULL), 1);
	assert_int_equal(mails_to(BOB, NULL), 1);
	assert_int_equal(mails_to(ALICE, NULL), 0);
	/* And each can read it. */
	for (i = 0; i < 2; i++) {
		struct who	w;

		login(i == 0 ? DAVE : BOB, &w);
		snprintf(path, sizeof(path), "/m/%s", id);
		assert_int_equal(get_status(&w, path), 200);
	}
}

/* A guest cannot invite: forwarding to a new address is refused. */
static void
test_guest_forward_refused(void **state)
{
	static const char *const rcpts[] = { ALICE, DAVE };
	struct who		 alice;
	struct pt_response	 r;
	char			 orig[MSGID_STRLEN + 1], path[96];
	size_t			 before;

	login(ALICE, &alice);
	mail_clear();
	put_report(rcpts, 2, "fwd", orig);
	before = stored_count();

	snprintf(path, sizeof(path), "/m/%s/reply", orig);
	post_form(&alice, path, urlform("csrf", alice.csrf, "mode", "forward",
	    "to", "eve@elsewhere.example", "subject", "Fwd: x", "body", "look",
	    NULL), &r);
	assert_int_equal(r.status, 403);
	assert_contains(r.body, "eve@elsewhere.example is not one of them");
	pt_response_free(&r);
	/* Nor hidden in Cc next to a participant. */
	post_form(&alice, path, urlform("csrf", alice.csrf, "mode", "reply",
	    "to", CAROL, "cc", "eve@elsewhere.example", "body", "x", NULL), &r);
	assert_int_equal(r.status, 403);
	pt_response_free(&r);
	assert_int_equal(stored_count(), before);
	assert_int_equal(mails_total(), 0);

	/* Forwarding inside the conversation is fine. */
	post_form(&alice, path, urlform("csrf", alice.csrf, "mode", "forward",
	    "to", DAVE, "body", "for you", NULL), &r);
	assert_int_equal(r.status, 303);
	pt_response_free(&r);
	assert_int_equal(stored_count(), before + 1);
}

static void
test_guest_compose_refused(void **state)
{
	struct who		 alice;
	struct pt_response	 r;
	GString			*b;
	size_t			 before;

	login(ALICE, &alice);
	mail_clear();
	before = stored_count();
	get(&alice, "/compose", &r);
	assert_int_equal(r.status, 403);
	assert_lacks(r.body, "action=\"/compose\"");
	pt_response_free(&r);
	post_form(&alice, "/compose", urlform("csrf", alice.csrf, "to", CAROL,
	    "subject", "hi", "body", "x", NULL), &r);
	assert_int_equal(r.status, 403);
	pt_response_free(&r);
	b = g_string_new(NULL);
	mp_field(b, "csrf", alice.csrf);
	mp_field(b, "to", CAROL);
	post_multipart(&alice, "/compose", b, &r);
	assert_int_equal(r.status, 403);
	pt_response_free(&r);
	assert_int_equal(stored_count(), before);
	assert_int_equal(mails_total(), 0);
	/* No "New secure message" button for guests either. */
	get(&alice, "/inbox", &r);
	assert_lacks(r.body, "href=\"/compose\"");
	pt_response_free(&r);
}

/*
 * A professional writes to an address without an account, with a file
 * uploaded: stored, the address invited (it is a recipient now), its
 * notice tells how to register, the file is in the stored message.
 */
static void
test_pro_compose_upload(void **state)
{
	static const unsigned char file[] = "\x00\x01binary\r\n--" BOUNDARY
	    "x\r\n\xff\xfe end";
	struct who		 carol;
	struct pt_response	 r;
	struct store_message	 m;
	GString			*b;
	char			 id[MSGID_STRLEN + 1], path[96], *mail;
	size_t			 n = 0;

	login(CAROL, &carol);
	mail_clear();
	get(&carol, "/compose", &r);
	assert_int_equal(r.status, 200);
	assert_contains(r.body, "action=\"/compose\"");
	assert_contains(r.body, "enctype=\"multipart/form-data\"");
	assert_contains(r.body, "type=\"file\"");
	pt_response_free(&r);
	get(&carol, "/inbox", &r);
	assert_contains(r.body, "href=\"/compose\"");
	pt_response_free(&r);

	b = g_string_new(NULL);
	mp_field(b, "csrf", carol.csrf);
	mp_field(b, "to", "Newbie <newbie@fresh.example>");
	mp_field(b, "cc", "");
	mp_field(b, "subject", "Contract \xc3\xa9t\xc3\xa9");
	mp_field(b, "body", "Please sign.\r\n-- \r\nCarol");
	mp_file(b, "attachment", "contract draft.bin",
	    "application/octet-stream", file, sizeof(file) - 1);
	mp_file(b, "attachment", "", "application/octet-stream", "", 0);
	post_multipart(&carol, "/compose", b, &r);
	location_id(&r, id);
	pt_response_free(&r);

	memset(&m, 0, sizeof(m));
	get_meta(id, &m);
	assert_string_equal(m.sender, CAROL);
	assert_int_equal(m.nrecipients, 1);
	assert_string_equal(m.recipients[0], "newbie@fresh.example");
	assert_int_equal(m.attachments, 1);
	store_message_clear(&m);
	/* Invited: a recipient of a stored message. */
	assert_int_equal(store_list_messages(F.st, "newbie@fresh.example",
	    STORE_ROLE_RECIPIENT, 0, 0, count_cb, &n), STORE_OK);
	assert_int_equal(n, 1);

	assert_int_equal(mails_to("newbie@fresh.example", &mail), 1);
	assert_contains(mail, ORIGIN "/register");
	snprintf(path, sizeof(path), ORIGIN "/m/%s", id);
	assert_contains(mail, path);
	assert_contains(mail, "Subject: Contract =?UTF-8?B?");
	free(mail);

	/* The sender reads it back; part 2 is the upload, byte for byte. */
	snprintf(path, sizeof(path), "/m/%s", id);
	get(&carol, path, &r);
	assert_int_equal(r.status, 200);
	assert_contains(r.body, "Contract \xc3\xa9t\xc3\xa9");
	assert_contains(r.body, "contract draft.bin");
	assert_contains(r.body, "Please sign.");
	assert_contains(r.body, "Revoke this message");
	pt_response_free(&r);
	snprintf(path, sizeof(path), "/m/%s/part/2", id);
	get(&carol, path, &r);
	assert_int_equal(r.status, 200);
	assert_int_equal(r.body_len, sizeof(file) - 1);
	assert_memory_equal(r.body, file, sizeof(file) - 1);
	pt_response_free(&r);
}

/* An account that unsubscribed gets the message, not the notice. */
static void
test_unsubscribed_no_notice(void **state)
{
	struct store_account	 a;
	struct who		 carol;
	struct pt_response	 r;
	char			 id[MSGID_STRLEN + 1];

	login(CAROL, &carol);
	mail_clear();
	memset(&a, 0, sizeof(a));
	a.address = "gone@fresh.example";
	a.password_hash = "";
	a.flags = STORE_ACCOUNT_UNSUBSCRIBED;
	a.created = T0;
	assert_int_equal(store_put_account(F.st, &a), STORE_OK);
	post_form(&carol, "/compose", urlform("csrf", carol.csrf, "to",
	    "gone@fresh.example, here@fresh.example", "subject", "Hi", "body",
	    "x", NULL), &r);
	location_id(&r, id);
	pt_response_free(&r);
	assert_int_equal(mails_to("here@fresh.example", NULL), 1);
	assert_int_equal(mails_to("gone@fresh.example", NULL), 0);
}

/* Forward keeps the original's attachments, beside a new upload. */
static void
test_forward_attachments(void **state)
{
	static const char *const rcpts[] = { FRANK, ALICE };
	static const char raw[] =
	    "From: Carol <" CAROL ">\r\nTo: " FRANK ", " ALICE "\r\n"
	    "Subject: Figures\r\nMessage-ID: <figures@corp.example>\r\n"
	    "MIME-Version: 1.0\r\n"
	    "Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n"
	    "--b1\r\nContent-Type: text/plain\r\n\r\nSee attached.\r\n"
	    "--b1\r\nContent-Type: application/pdf\r\n"
	    "Content-Disposition: attachment; filename=\"figures.pdf\"\r\n"
	    "Content-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQKJcfs\r\n"
	    "--b1\r\nContent-Type: text/csv\r\n"
	    "Content-Disposition: attachment; filename=\"rows.csv\"\r\n\r\n"
	    "a,b\r\n1,2\r\n--b1--\r\n";
	struct who		 frank, alice, grace;
	struct pt_response	 r;
	struct store_message	 m;
	GString			*b;
	char			 orig[MSGID_STRLEN + 1], id[MSGID_STRLEN + 1];
	char			 path[96];

	login(FRANK, &frank);
	login(ALICE, &alice);
	mail_clear();
	put_raw(CAROL, rcpts, 2, raw, 2, orig);

	/* A professional forwards outside, adding a file. */
	b = g_string_new(NULL);
	mp_field(b, "csrf", frank.csrf);
	mp_field(b, "mode", "forward");
	mp_field(b, "to", "grace@partner.example");
	mp_field(b, "body", "FYI");
	mp_file(b, "attachment", "notes.txt", "text/plain", "my notes", 8);
	snprintf(path, sizeof(path), "/m/%s/reply", orig);
	post_multipart(&frank, path, b, &r);
	location_id(&r, id);
	pt_response_free(&r);
	memset(&m, 0, sizeof(m));
	get_meta(id, &m);
	assert_int_equal(m.attachments, 3);
	store_message_clear(&m);
	assert_int_equal(mails_to("grace@partner.example", NULL), 1);

	login("grace@partner.example", &grace);
	snprintf(path, sizeof(path), "/m/%s", id);
	get(&grace, path, &r);
	assert_int_equal(r.status, 200);
	assert_contains(r.body, "Fwd: Figures");
	assert_contains(r.body, "notes.txt");
	assert_contains(r.body, "figures.pdf");
	assert_contains(r.body, "rows.csv");
	assert_contains(r.body, "Forwarded message");
	assert_contains(r.body, "&gt; See attached.");
	pt_response_free(&r);
	snprintf(path, sizeof(path), "/m/%s/part/3", id);
	get(&grace, path, &r);
	assert_int_equal(r.status, 200);
	assert_int_equal(r.body_len, 12);
	assert_memory_equal(r.body, "%PDF-1.4\n%\xc7\xec", 12);
	pt_response_free(&r);
	snprintf(path, sizeof(path), "/m/%s/part/4", id);
	get(&grace, path, &r);
	assert_int_equal(r.status, 200);
	assert_memory_equal(r.body, "a,b\r\n1,2", 8);
	pt_response_free(&r);
	snprintf(path, sizeof(path), "/m/%s/raw", id);
	get(&grace, path, &r);
	assert_contains(r.body, "In-Reply-To: <figures@corp.example>");
	pt_response_free(&r);

	/* A guest forwards to a participant: urlencoded works too. */
	snprintf(path, sizeof(path), "/m/%s/reply", orig);
	post_form(&alice, path, urlform("csrf", alice.csrf, "mode", "forward",
	    "to", FRANK, "body", "", NULL), &r);
	location_id(&r, id);
	pt_response_free(&r);
	memset(&m, 0, sizeof(m));
	get_meta(id, &m);
	assert_int_equal(m.attachments, 2);
	store_message_clear(&m);
}

static void
test_csrf(void **state)
{
	static const char *const rcpts[] = { ALICE };
	struct who		 alice, carol;
	struct pt_response	 r;
	GString			*b;
	char			 orig[MSGID_STRLEN + 1], path[96];
	size_t			 before;

	login(ALICE, &alice);
	login(CAROL, &carol);
	mail_clear();
	put_report(rcpts, 1, "csrf", orig);
	before = stored_count();
	snprintf(path, sizeof(path), "/m/%s/reply", orig);

	post_form(&alice, path, urlform("mode", "reply", "to", CAROL, "body",
	    "x", NULL), &r);
	assert_int_equal(r.status, 403);
	assert_contains(r.body, "Nothing was sent");
	pt_response_free(&r);
	/* Another session's token is no token. */
	post_form(&alice, path, urlform("csrf", carol.csrf, "mode", "reply",
	    "to", CAROL, "body", "x", NULL), &r);
	assert_int_equal(r.status, 403);
	pt_response_free(&r);
	b = g_string_new(NULL);
	mp_field(b, "mode", "reply");
	mp_field(b, "to", CAROL);
	post_multipart(&alice, path, b, &r);
	assert_int_equal(r.status, 403);
	pt_response_free(&r);
	post_form(&carol, "/compose", urlform("to", ALICE, "body", "x", NULL),
	    &r);
	assert_int_equal(r.status, 403);
	pt_response_free(&r);
	/* A foreign Origin, even with the right token. */
	{
		static const char	req_fmt[] = "POST %s HTTP/1.1\r\n"
		    "Host: portal.example\r\nConnection: close\r\n"
		    "Cookie: sealpost=%s\r\nOrigin: https://evil.example\r\n"
		    "Content-Type: application/x-www-form-urlencoded\r\n"
		    "Content-Length: %zu\r\n\r\n%s";
		GString	*body = urlform("csrf", alice.csrf, "mode", "reply",
			    "to", CAROL, NULL);
		char	*req;
		int	 n;

		n = asprintf(&req, req_fmt, path, alice.cookie, body->len,
		    body->str);
		assert_true(n > 0);
		assert_int_equal(pt_exchange(F.srv.port, req, (size_t)n, &r),
		    0);
		assert_int_equal(r.status, 403);
		pt_response_free(&r);
		free(req);
		g_string_free(body, TRUE);
	}
	assert_int_equal(stored_count(), before);
	assert_int_equal(mails_total(), 0);
}

/* Bad input: the form again, with what was typed and why. */
static void
test_validation(void **state)
{
	static const char *const rcpts[] = { ALICE };
	struct who		 carol, alice, dave;
	struct pt_response	 r;
	GString			*many;
	char			 orig[MSGID_STRLEN + 1], path[96];
	size_t			 before, i;

	login(CAROL, &carol);
	login(ALICE, &alice);
	login(DAVE, &dave);
	mail_clear();
	put_report(rcpts, 1, "val", orig);
	before = stored_count();

	post_form(&carol, "/compose", urlform("csrf", carol.csrf, "to",
	    "not-an-address", "subject", "<b>S</b>", "body", "x", NULL), &r);
	assert_int_equal(r.status, 400);
	assert_contains(r.body, "&quot;not-an-address&quot; is not an email");
	assert_contains(r.body, "value=\"&lt;b&gt;S&lt;/b&gt;\"");
	pt_response_free(&r);
	post_form(&carol, "/compose", urlform("csrf", carol.csrf, "to", "",
	    "cc", " , ", "body", "x", NULL), &r);
	assert_int_equal(r.status, 400);
	assert_contains(r.body, "Add at least one recipient");
	pt_response_free(&r);
	/* The do-not-reply address, in any case, in To or Cc. */
	post_form(&carol, "/compose", urlform("csrf", carol.csrf, "to",
	    "a@b.example", "cc", "NoReply@Portal.example", "body", "x", NULL),
	    &r);
	assert_int_equal(r.status, 400);
	assert_contains(r.body, "do-not-reply address");
	pt_response_free(&r);
	post_form(&carol, "/compose", urlform("csrf", carol.csrf, "to",
	    "a@b.example", "subject", "two\r\nlines", NULL), &r);
	assert_int_equal(r.status, 400);
	assert_contains(r.body, "one line");
	pt_response_free(&r);
	post_form(&carol, "/compose", urlform("csrf", carol.csrf, "to",
	    "a@b.example\r\nBcc: x@y.example", NULL), &r);
	assert_int_equal(r.status, 400);
	pt_response_free(&r);
	post_form(&carol, "/compose", urlform("csrf", carol.csrf, "to",
	    "Team: a@b.example, c@d.example;", NULL), &r);
	assert_int_equal(r.status, 400);
	pt_response_free(&r);
	many = g_string_new(NULL);
	for (i = 0; i < 101; i++)
		g_string_append_printf(many, "%su%zu@many.example",
		    i > 0 ? ", " : "", i);
	post_form(&carol, "/compose", urlform("csrf", carol.csrf, "to",
	    many->str, NULL), &r);
	g_string_free(many, TRUE);
	assert_int_equal(r.status, 400);
	assert_contains(r.body, "at most 100 recipients");
	pt_response_free(&r);

	snprintf(path, sizeof(path), "/m/%s/reply", orig);
	post_form(&alice, path, urlform("csrf", alice.csrf, "mode", "bounce",
	    "to", CAROL, NULL), &r);
	assert_int_equal(r.status, 400);
	pt_response_free(&r);
	/* Not a participant of the message: the reading 404. */
	post_form(&dave, path, urlform("csrf", dave.csrf, "mode", "reply",
	    "to", CAROL, NULL), &r);
	assert_int_equal(r.status, 404);
	pt_response_free(&r);
	post_form(&alice, "/m/AAAAAAAAAAAAAAAAAAAAAA/reply", urlform("csrf",
	    alice.csrf, "mode", "reply", "to", CAROL, NULL), &r);
	assert_int_equal(r.status, 404);
	pt_response_free(&r);
	post_form(&alice, "/m/junk/reply", urlform("csrf", alice.csrf, "mode",
	    "reply", "to", CAROL, NULL), &r);
	assert_int_equal(r.status, 404);
	pt_response_free(&r);
	/* No session: to the login page. */
	post_form(NULL, "/compose", urlform("to", CAROL, NULL), &r);
	assert_int_equal(r.status, 303);
	pt_response_free(&r);
	/* A body that is neither form encoding. */
	request(&carol, "POST", "/compose", "text/plain", "to=x", 4, &r);
	assert_int_equal(r.status, 400);
	pt_response_free(&r);

	assert_int_equal(stored_count(), before);
	assert_int_equal(mails_total(), 0);
}

/* Too big for max_message_size (1M here): 413, nothing stored. */
static void
test_too_big(void **state)
{
	struct who		 carol;
	struct pt_response	 r;
	GString			*b;
	char			*big;
	size_t			 before, len = 900 * 1024;

	login(CAROL, &carol);
	before = stored_count();
	assert_non_null(big = malloc(len));
	memset(big, 'x', len);
	b = g_string_new(NULL);
	mp_field(b, "csrf", carol.csrf);
	mp_field(b, "to", "big@fresh.example");
	/* Fits in the body limit; base64 makes it larger than 1M. */
	mp_file(b, "attachment", "big.bin", "application/octet-stream", big,
	    len);
	post_multipart(&carol, "/compose", b, &r);
	assert_int_equal(r.status, 413);
	assert_contains(r.body, "Nothing was sent");
	pt_response_free(&r);
	free(big);
	assert_int_equal(stored_count(), before);
}

static void
test_revoke(void **state)
{
	static const char *const rcpts[] = { ALICE };
	static const char *const suffixes[] = { "", "/raw" };
	struct who		 alice, carol, bob;
	struct pt_response	 r;
	struct store_message	 m;
	char			 orig[MSGID_STRLEN + 1], path[96], want[128];
	size_t			 i;

	login(ALICE, &alice);
	login(CAROL, &carol);
	login(BOB, &bob);
	put_report(rcpts, 1, "revoke", orig);
	snprintf(path, sizeof(path), "/m/%s/revoke", orig);

	/* The recipient and a stranger: no such message. */
	assert_int_equal(get_status(&alice, path), 404);
	post_form(&alice, path, urlform("csrf", alice.csrf, NULL), &r);
	assert_int_equal(r.status, 404);
	pt_response_free(&r);
	post_form(&bob, path, urlform("csrf", bob.csrf, NULL), &r);
	assert_int_equal(r.status, 404);
	pt_response_free(&r);
	memset(&m, 0, sizeof(m));
	get_meta(orig, &m);
	assert_int_equal(m.flags & STORE_MSG_REVOKED, 0);
	store_message_clear(&m);

	/* /sent has the button, which asks first. */
	get(&carol, "/sent", &r);
	snprintf(want, sizeof(want), "action=\"/m/%s/revoke\"", orig);
	assert_contains(r.body, want);
	pt_response_free(&r);
	get(&carol, path, &r);
	assert_int_equal(r.status, 200);
	assert_contains(r.body, "Revoke this message?");
	assert_contains(r.body, "[secure] Report revoke");
	assert_contains(r.body, "method=\"post\"");
	assert_contains(r.body, carol.csrf);
	pt_response_free(&r);
	/* Without the token: nothing. */
	post_form(&carol, path, urlform("x", "y", NULL), &r);
	assert_int_equal(r.status, 403);
	pt_response_free(&r);
	assert_int_equal(get_status(&alice, "/inbox"), 200);

	post_form(&carol, path, urlform("csrf", carol.csrf, NULL), &r);
	assert_int_equal(r.status, 303);
	assert_non_null(pt_header(&r, "Location", want, sizeof(want)));
	assert_string_equal(want, "/sent");
	pt_response_free(&r);
	memset(&m, 0, sizeof(m));
	get_meta(orig, &m);
	assert_int_equal(m.flags & STORE_MSG_REVOKED, STORE_MSG_REVOKED);
	store_message_clear(&m);

	for (i = 0; i < 2; i++) {
		snprintf(want, sizeof(want), "/m/%s%s", orig, suffixes[i]);
		get(&alice, want, &r);
		assert_int_equal(r.status, 410);
		assert_contains(r.body, "revoked by its sender");
		assert_lacks(r.body, "quarterly");
		pt_response_free(&r);
	}
	/* Nobody answers a revoked message. */
	snprintf(want, sizeof(want), "/m/%s/reply", orig);
	post_form(&alice, want, urlform("csrf", alice.csrf, "mode", "reply",
	    "to", CAROL, NULL), &r);
	assert_int_equal(r.status, 410);
	pt_response_free(&r);
	/* Again: already revoked. */
	get(&carol, path, &r);
	assert_int_equal(r.status, 200);
	assert_contains(r.body, "Already revoked");
	pt_response_free(&r);
	get(&carol, "/sent", &r);
	snprintf(want, sizeof(want), "action=\"/m/%s/revoke\"", orig);
	assert_lacks(r.body, want);
	pt_response_free(&r);
}

/* ---- pure helpers, table-driven ---- */

static void
test_multipart_parse(void **state)
{
	static const struct {
		const char	*label;
		const char	*ctype;
		const char	*body;
		int		 rc;
		const char	*field;		/* name=value to find */
		size_t		 nfiles;
	} cases[] = {
		{ "fields", "multipart/form-data; boundary=XX",
		    "--XX\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n"
		    "one\r\ntwo\r\n--XX--\r\n", 0, "a=one\r\ntwo", 0 },
		{ "quoted boundary and preamble",
		    "Multipart/Form-Data; boundary=\"a b'c\"",
		    "junk\r\n--a b'c\r\nContent-Disposition: form-data; "
		    "name=\"x\"\r\n\r\n1\r\n--a b'c--\r\n", 0, "x=1", 0 },
		{ "file", "multipart/form-data; boundary=XX",
		    "--XX\r\nContent-Disposition: form-data; name=\"f\"; "
		    "filename=\"a.txt\"\r\nContent-Type: text/plain\r\n\r\n"
		    "data\r\n--XX--\r\n", 0, NULL, 1 },
		{ "empty file input", "multipart/form-data; boundary=XX",
		    "--XX\r\nContent-Disposition: form-data; name=\"f\"; "
		    "filename=\"\"\r\nContent-Type: application/octet-stream"
		    "\r\n\r\n\r\n--XX--\r\n", 0, NULL, 0 },
		{ "base64 field", "multipart/form-data; boundary=XX",
		    "--XX\r\nContent-Disposition: form-data; name=\"b\"\r\n"
		    "Content-Transfer-Encoding: base64\r\n\r\naGk=\r\n--XX--\r\n",
		    0, "b=hi", 0 },
		{ "no boundary", "multipart/form-data", "--XX--\r\n", -1, NULL,
		    0 },
		{ "boundary too long", "multipart/form-data; boundary="
		    "12345678901234567890123456789012345678901234567890"
		    "123456789012345678901", "", -1, NULL, 0 },
		{ "boundary with CR", "multipart/form-data; boundary=\"a\rb\"",
		    "", -1, NULL, 0 },
		{ "not a form", "multipart/mixed; boundary=XX",
		    "--XX\r\n\r\nx\r\n--XX--\r\n", -1, NULL, 0 },
		{ "no disposition", "multipart/form-data; boundary=XX",
		    "--XX\r\nContent-Type: text/plain\r\n\r\nx\r\n--XX--\r\n",
		    -1, NULL, 0 },
		{ "no name", "multipart/form-data; boundary=XX",
		    "--XX\r\nContent-Disposition: form-data\r\n\r\nx\r\n"
		    "--XX--\r\n", -1, NULL, 0 },
		{ "attachment disposition", "multipart/form-data; boundary=XX",
		    "--XX\r\nContent-Disposition: attachment; name=\"a\"\r\n\r\n"
		    "x\r\n--XX--\r\n", -1, NULL, 0 },
		{ "nested multipart", "multipart/form-data; boundary=XX",
		    "--XX\r\nContent-Disposition: form-data; name=\"a\"\r\n"
		    "Content-Type: multipart/mixed; boundary=YY\r\n\r\n"
		    "--YY\r\n\r\nx\r\n--YY--\r\n--XX--\r\n", -1, NULL, 0 },
		{ "bad UTF-8 field", "multipart/form-data; boundary=XX",
		    "--XX\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n"
		    "\xc3\x28\r\n--XX--\r\n", -1, NULL, 0 },
		{ "NUL in field", "multipart/form-data; boundary=XX",
		    "--XX\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n"
		    "a\x01" "b\r\n--XX--\r\n", -1, NULL, 0 },
		{ "empty body", "multipart/form-data; boundary=XX", "", 0, NULL,
		    0 },
	};
	struct http_multipart	*mp;
	const char		*eq, *v;
	char			 name[32];
	size_t			 i;
	int			 rc;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		rc = http_multipart_parse(cases[i].ctype, cases[i].body,
		    strlen(cases[i].body), &mp);
		if (rc != cases[i].rc)
			fail_msg("%s: rc %d", cases[i].label, rc);
		if (rc == -1) {
			assert_null(mp);
			continue;
		}
		assert_non_null(mp->form);
		assert_int_equal(mp->nfiles, cases[i].nfiles);
		if (cases[i].field != NULL) {
			eq = strchr(cases[i].field, '=');
			snprintf(name, sizeof(name), "%.*s",
			    (int)(eq - cases[i].field), cases[i].field);
			v = http_form_get(mp->form, name);
			if (v == NULL || strcmp(v, eq + 1) != 0)
				fail_msg("%s: %s is %s", cases[i].label, name,
				    v ? v : "(null)");
		}
		if (cases[i].nfiles == 1) {
			assert_string_equal(mp->files[0].field, "f");
			assert_string_equal(mp->files[0].filename, "a.txt");
			assert_string_equal(mp->files[0].content_type,
			    "text/plain");
			assert_int_equal(mp->files[0].len, 4);
			assert_memory_equal(mp->files[0].data, "data", 4);
		}
		http_multipart_free(mp);
	}
	http_multipart_free(NULL);
}

static void
test_parse_addresses(void **state)
{
	static const struct {
		const char	*in;
		int		 rc;
		const char	*want;		/* joined with ',' */
	} cases[] = {
		{ "a@b.example", 0, "a@b.example" },
		{ "A@B.Example, c@d.example", 0, "a@b.example,c@d.example" },
		{ "Name <x@y.example>, \"Q, R\" <z@y.example>", 0,
		    "x@y.example,z@y.example" },
		{ "a@b.example, A@b.example", 0, "a@b.example" },
		{ "", 0, "" },
		{ " , ", 0, "" },
		{ NULL, 0, "" },
		{ "plain", -1, NULL },
		{ "a@b.example, nope", -1, NULL },
		{ "a@b.example\r\nBcc: c@d.example", -1, NULL },
		{ "G: a@b.example;", -1, NULL },
		{ "-f@b.example", -1, NULL },
		{ "a@@b.example", -1, NULL },
		{ "x@b\xc3\xa9.example", 0, "x@xn--b-bga.example" },
	};
	char	**v, bad[64], joined[256];
	size_t	  n, i, j;
	int	  rc;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		v = NULL;
		n = 0;
		rc = compose_parse_addresses(cases[i].in, &v, &n, bad,
		    sizeof(bad));
		if (rc != cases[i].rc)
			fail_msg("%s: rc %d", cases[i].in ? cases[i].in :
			    "(null)", rc);
		if (rc == 0) {
			joined[0] = '\0';
			for (j = 0; j < n; j++)
				snprintf(joined + strlen(joined),
				    sizeof(joined) - strlen(joined), "%s%s",
				    j > 0 ? "," : "", v[j]);
			assert_string_equal(joined, cases[i].want);
		} else
			assert_true(bad[0] != '\0');
		compose_addresses_free(v, n);
	}
}

static void
test_threads(void **state)
{
	static const struct {
		const char	*label, *a, *b;
		int		 related;
	} cases[] = {
		{ "reply", "Message-ID: <1@x>\r\n",
		    "Message-ID: <2@x>\r\nIn-Reply-To: <1@x>\r\n"
		    "References: <1@x>\r\n", 1 },
		{ "same root", "Message-ID: <3@x>\r\nReferences: <1@x> <2@x>\r\n",
		    "Message-ID: <4@x>\r\nReferences: <1@x> <9@x>\r\n", 1 },
		{ "only In-Reply-To", "Message-ID: <5@x>\r\n",
		    "Message-ID: <6@x>\r\nIn-Reply-To: <5@x>\r\n", 1 },
		{ "strangers", "Message-ID: <7@x>\r\n",
		    "Message-ID: <8@x>\r\nReferences: <1@x>\r\n", 0 },
		{ "no ids", "Subject: a\r\n", "Subject: b\r\n", 0 },
	};
	static const char	folded[] = "Message-ID: <m@x>\r\n"
	    "References: <r1@x>\r\n <r2@x> <bad id@x>\r\n";
	struct thread_ids	a, b;
	size_t			i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(thread_ids_parse(cases[i].a,
		    strlen(cases[i].a), &a), 0);
		assert_int_equal(thread_ids_parse(cases[i].b,
		    strlen(cases[i].b), &b), 0);
		if (thread_ids_related(&a, &b) != cases[i].related ||
		    thread_ids_related(&b, &a) != cases[i].related)
			fail_msg("%s", cases[i].label);
		thread_ids_clear(&a);
		thread_ids_clear(&b);
	}
	assert_int_equal(thread_ids_parse(folded, strlen(folded), &a), 0);
	assert_string_equal(a.message_id, "m@x");
	assert_int_equal(a.nrefs, 2);
	assert_string_equal(a.refs[1], "r2@x");
	thread_ids_clear(&a);
}

/* message_create_build: headers, trimmed References, bad input. */
static void
test_build(void **state)
{
	const char	*to[] = { "a@b.example" };
	const char	*refs[30];
	char		 ids[30][16], err[128], *mid;
	struct message_draft d;
	uint8_t		*raw;
	size_t		 len, i;

	for (i = 0; i < 30; i++) {
		snprintf(ids[i], sizeof(ids[i]), "r%zu@x", i);
		refs[i] = ids[i];
	}
	memset(&d, 0, sizeof(d));
	d.from = CAROL;
	d.to = to;
	d.nto = 1;
	d.subject = "Hello";
	d.body = "line one\nline two\r\n";
	d.in_reply_to = "r29@x";
	d.references = refs;
	d.nreferences = 30;
	assert_int_equal(message_create_build(&F.cfg, &d, T0, &raw, &len, &mid,
	    err, sizeof(err)), MESSAGE_CREATE_OK);
	assert_non_null(memmem(raw, len, "In-Reply-To: <r29@x>\r\n", 22));
	assert_non_null(memmem(raw, len, "<r0@x>", 6));
	assert_null(memmem(raw, len, "<r10@x>", 7));	/* middle dropped */
	assert_non_null(memmem(raw, len, "<r11@x>", 7));
	assert_non_null(memmem(raw, len, "line one\r\nline two\r\n", 20));
	assert_non_null(memmem(raw, len, "charset=utf-8", 13));
	assert_null(memmem(raw, len, "\n\n", 2));	/* CRLF only */
	assert_true(strstr(mid, "@portal.example") != NULL);
	message_create_free(raw, len);
	free(mid);

	d.subject = "a\r\nBcc: x@y";
	assert_int_equal(message_create_build(&F.cfg, &d, T0, &raw, &len, &mid,
	    err, sizeof(err)), MESSAGE_CREATE_INVALID);
	assert_null(raw);
	d.subject = "ok";
	d.from = "nobody";
	assert_int_equal(message_create_build(&F.cfg, &d, T0, &raw, &len, &mid,
	    err, sizeof(err)), MESSAGE_CREATE_INVALID);
	d.from = CAROL;
	d.in_reply_to = "a b@x";
	assert_int_equal(message_create_build(&F.cfg, &d, T0, &raw, &len, &mid,
	    err, sizeof(err)), MESSAGE_CREATE_INVALID);
	d.in_reply_to = NULL;
	d.nto = 0;
	assert_int_equal(message_create_build(&F.cfg, &d, T0, &raw, &len, &mid,
	    err, sizeof(err)), MESSAGE_CREATE_INVALID);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_multipart_parse),
		cmocka_unit_test(test_parse_addresses),
		cmocka_unit_test(test_threads),
		cmocka_unit_test(test_build),
		cmocka_unit_test(test_guest_reply),
		cmocka_unit_test(test_reply_all),
		cmocka_unit_test(test_guest_forward_refused),
		cmocka_unit_test(test_guest_compose_refused),
		cmocka_unit_test(test_pro_compose_upload),
		cmocka_unit_test(test_unsubscribed_no_notice),
		cmocka_unit_test(test_forward_attachments),
		cmocka_unit_test(test_csrf),
		cmocka_unit_test(test_validation),
		cmocka_unit_test(test_too_big),
		cmocka_unit_test(test_revoke),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
