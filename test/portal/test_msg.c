/*
 * The reading routes in-process on 127.0.0.1:0 over a real LMDB store in
 * a temporary directory: messages are sealed the way the milter does it
 * (envelope_writer, wrapped data key, sealed header block,
 * store_put_message), sessions are made with auth_session_new and sent
 * as the cookie.  Checks who may open what (the same 404 for foreign,
 * missing, malformed and expired ids), the listings and their pages,
 * the raw original byte for byte, download headers, the sandboxed HTML
 * body, first opens, revocation, and a tampered chunk.
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <gmime/gmime.h>
#include <sodium.h>

#include "app.h"
#include "auth.h"
#include "config.h"
#include "envelope.h"
#include "http_router.h"
#include "masterkey.h"
#include "msg.h"
#include "msgid.h"
#include "portal_test.h"
#include "store.h"
#include "workpool.h"

#define T0		1700000000
#define MAX_CHUNKS	64

#define ALICE		"alice@guest.example"
#define BOB		"bob@other.example"
#define CAROL		"carol@corp.example"
#define DAVE		"dave@guest.example"

static struct {
	char			 dir[64];
	char			 path[96];
	struct config		 cfg;
	struct store		*st;
	struct masterkey	*mk;
	struct portal		 portal;
	struct pt_server	 srv;
} F;

static volatile time_t	fake_now = T0 + 3600;

static time_t
test_clock(void)
{
	return fake_now;
}

/* ---- sealing messages as the milter does ---- */

struct chunks {
	uint8_t		*ct[MAX_CHUNKS];
	size_t		 len[MAX_CHUNKS];
	uint32_t	 n;
};

static int
chunks_sink(void *arg, uint32_t index, const uint8_t *ct, size_t len)
{
	struct chunks	*c = arg;

	if (index != c->n || c->n == MAX_CHUNKS ||
	    (c->ct[c->n] = malloc(len)) == NULL)
		return -1;
	memcpy(c->ct[c->n], ct, len);
	c->len[c->n] = len;
	c->n++;
	return 0;
}

static int
chunks_next(void *arg, uint32_t index, const uint8_t **ct, size_t *len)
{
	struct chunks	*c = arg;

	if (index >= c->n)
		return -1;
	*ct = c->ct[index];
	*len = c->len[index];
	return 0;
}

struct put {
	const char	*sender;
	const char	*rcpts[4];
	int64_t		 received;	/* 0: fake_now */
	int64_t		 expires;	/* 0: received + 90 days */
	uint32_t	 attachments;
	int		 corrupt_chunk;	/* 1-based: flip a byte of it */
};

/* Seal raw and store it; idstr gets the link id. */
static void
put_message(const struct put *o, const void *raw, size_t len,
    char idstr[MSGID_STRLEN + 1])
{
	struct envelope_key	*dk;
	struct envelope_writer	*w;
	struct store_message	 sm;
	struct chunks		 c;
	uint8_t			 id[MSGID_LEN];
	const char		*end;
	size_t			 off, n, hdrlen, i;

	memset(&c, 0, sizeof(c));
	msgid_generate(id);
	assert_non_null(dk = envelope_key_new());
	assert_non_null(w = envelope_writer_new(dk, id, chunks_sink, &c));
	for (off = 0; off < len; off += n) {
		n = len - off < 7777 ? len - off : 7777;
		assert_int_equal(envelope_writer_update(w,
		    (const uint8_t *)raw + off, n), 0);
	}
	assert_int_equal(envelope_writer_finish(w), 0);
	if (o->corrupt_chunk > 0) {
		assert_true((uint32_t)o->corrupt_chunk <= c.n);
		c.ct[o->corrupt_chunk - 1][10] ^= 0x55;
	}

	memset(&sm, 0, sizeof(sm));
	memcpy(sm.id, id, MSGID_LEN);
	sm.version = ENVELOPE_VERSION;
	sm.received = o->received != 0 ? o->received : fake_now;
	sm.expires = o->expires != 0 ? o->expires : sm.received + 90 * 86400;
	sm.size = len;
	sm.nchunks = envelope_writer_chunks(w);
	sm.attachments = o->attachments;
	sm.sender = (char *)o->sender;
	sm.recipients = (char **)o->rcpts;
	for (sm.nrecipients = 0; sm.nrecipients < 4 &&
	    o->rcpts[sm.nrecipients] != NULL; sm.nrecipients++)
		;
	memcpy(sm.stream_header, envelope_writer_header(w),
	    ENVELOPE_HEADER_LEN);
	assert_int_equal(envelope_wrap_key(F.mk, id, dk, sm.wrapped_key), 0);
	/* The header block: everything up to the empty line. */
	assert_non_null(end = memmem(raw, len, "\r\n\r\n", 4));
	hdrlen = (size_t)(end - (const char *)raw) + 4;
	sm.headers_ctlen = hdrlen + ENVELOPE_BLOB_OVERHEAD;
	assert_non_null(sm.headers_ct = malloc(sm.headers_ctlen));
	assert_int_equal(envelope_seal_blob(dk, id, raw, hdrlen,
	    sm.headers_ct), 0);
	assert_int_equal(store_put_message(F.st, &sm, chunks_next, &c),
	    STORE_OK);
	free(sm.headers_ct);
	envelope_writer_free(w);
	envelope_key_free(dk);
	for (i = 0; i < c.n; i++)
		free(c.ct[i]);
	msgid_encode(id, idstr);
}

/* A text/plain message of exactly len bytes (len >= the header). */
static char *
text_message(const char *from, const char *to, const char *subject,
    size_t len, size_t *outlen)
{
	char	*m;
	int	 n;
	size_t	 i;

	assert_non_null(m = malloc(len + 1024));
	n = snprintf(m, 1024, "From: %s\r\nTo: %s\r\n"
	    "Date: Tue, 14 Nov 2023 10:00:00 +0000\r\nSubject: %s\r\n"
	    "Message-ID: <%s@test>\r\nMIME-Version: 1.0\r\n"
	    "Content-Type: text/plain; charset=utf-8\r\n\r\n", from, to,
	    subject, subject);
	assert_true(n > 0 && (size_t)n < len);
	/* Lines of varying text, so that chunks differ. */
	for (i = (size_t)n; i < len; i++)
		m[i] = (i % 61 == 60) ? '\n' : (i % 61 == 59) ? '\r' :
		    (char)('a' + (i * 7 + i / 61) % 26);
	m[len] = '\0';
	*outlen = len;
	return m;
}

static void
put_text(const char *sender, const char *rcpt, const char *subject,
    int64_t received, char idstr[MSGID_STRLEN + 1])
{
	struct put	 o = { .sender = sender, .rcpts = { rcpt },
			    .received = received };
	char		*m;
	size_t		 len;

	m = text_message(sender, rcpt, subject, 600, &len);
	put_message(&o, m, len, idstr);
	free(m);
}

/* ---- sessions and requests ---- */

struct who {
	char	cookie[AUTH_TOKEN_HEX + 1];
};

static void
login(const char *address, struct who *w)
{
	struct store_account	a;

	memset(&a, 0, sizeof(a));
	a.address = (char *)address;
	a.password_hash = "";
	a.created = T0;
	assert_int_equal(store_put_account(F.st, &a), STORE_OK);
	assert_int_equal(auth_session_new(&F.portal, address, "127.0.0.1",
	    w->cookie), 0);
}

/* GET path with w's cookie (none if w is NULL). */
static void
get(const struct who *w, const char *path, struct pt_response *r)
{
	char	req[1024];
	int	n;

	n = snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n"
	    "%s%s%sConnection: close\r\n\r\n", path,
	    w != NULL ? "Cookie: sealpost=" : "", w != NULL ? w->cookie : "",
	    w != NULL ? "\r\n" : "");
	assert_true(n > 0 && (size_t)n < sizeof(req));
	assert_int_equal(pt_exchange(F.srv.port, req, (size_t)n, r), 0);
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

static size_t
count(const char *hay, const char *needle)
{
	size_t		 n = 0;
	const char	*p = hay;

	while ((p = strstr(p, needle)) != NULL) {
		n++;
		p += strlen(needle);
	}
	return n;
}

static void
assert_contains(const char *hay, const char *needle)
{
	if (strstr(hay, needle) == NULL) {
		print_error("missing \"%s\"\n", needle);
		fail();
	}
}

static void
assert_lacks(const char *hay, const char *needle)
{
	if (strcasestr(hay, needle) != NULL) {
		print_error("unexpected \"%s\"\n", needle);
		fail();
	}
}

/* ---- fixture ---- */

static int
rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	return remove(path);
}

static int
group_setup(void **state)
{
	char	err[256], keypath[160];

	if (sodium_init() < 0)
		return -1;
	g_mime_init();
	memset(&F, 0, sizeof(F));
	snprintf(F.dir, sizeof(F.dir), "/tmp/test_msg.XXXXXX");
	if (mkdtemp(F.dir) == NULL)
		return -1;
	snprintf(F.path, sizeof(F.path), "%s/store", F.dir);
	if (config_load(&F.cfg, NULL, err, sizeof(err)) == -1)
		return -1;
	free(F.cfg.store_path);
	F.cfg.store_path = strdup(F.path);
	F.cfg.store_map_size = (uint64_t)256 * 1024 * 1024;
	snprintf(keypath, sizeof(keypath), "%s/master.key", F.dir);
	if (masterkey_create(keypath, err, sizeof(err)) == -1 ||
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
	if (msg_routes_add(F.srv.router, &F.portal) == -1)
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

/* ---- pure helpers, table-driven ---- */

static void
test_disposition(void **state)
{
	static const struct {
		const char	*label, *disp, *name, *want;
	} cases[] = {
		{ "plain", "attachment", "report.pdf",
		    "attachment; filename=\"report.pdf\"; "
		    "filename*=UTF-8''report.pdf" },
		{ "hostile", "attachment", "..\\\"evil\r\n.html",
		    "attachment; filename=\"..__evil.html\"; "
		    "filename*=UTF-8''..%5C%22evil%0D%0A.html" },
		{ "utf-8", "inline", "r\xc3\xa9sum\xc3\xa9 1.png",
		    "inline; filename=\"r_sum_ 1.png\"; "
		    "filename*=UTF-8''r%C3%A9sum%C3%A9%201.png" },
		{ "specials", "attachment", "a;b%c\"d'e.txt",
		    "attachment; filename=\"a_b_c_d'e.txt\"; "
		    "filename*=UTF-8''a%3Bb%25c%22d%27e.txt" },
		{ "empty", "attachment", "",
		    "attachment; filename=\"download\"" },
		{ "null", "attachment", NULL,
		    "attachment; filename=\"download\"" },
	};
	size_t	i;
	char	*got;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		got = msg_content_disposition(cases[i].disp, cases[i].name);
		assert_non_null(got);
		if (strcmp(got, cases[i].want) != 0) {
			print_error("%s: got %s\n", cases[i].label, got);
			fail();
		}
		free(got);
	}
}

static void
test_download_type(void **state)
{
	static const struct {
		const char	*in, *want;
		int		 inl;
	} cases[] = {
		{ "image/png", "image/png", 1 },
		{ "image/JPEG", "image/jpeg", 1 },
		{ "image/svg+xml", "application/octet-stream", 0 },
		{ "text/html", "application/octet-stream", 0 },
		{ "text/html; charset=utf-8", "application/octet-stream", 0 },
		{ "application/xhtml+xml", "application/octet-stream", 0 },
		{ "application/pdf", "application/pdf", 0 },
		{ "text/plain; charset=iso-8859-1",
		    "text/plain; charset=iso-8859-1", 0 },
		{ "text/plain; charset=\"x\r\n\"", "text/plain", 0 },
		{ "text/plain; foo=bar", "text/plain", 0 },
		{ "application/javascript", "application/octet-stream", 0 },
		{ "image/pngx", "application/octet-stream", 0 },
		{ NULL, "application/octet-stream", 0 },
	};
	size_t	i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_string_equal(msg_download_type(cases[i].in),
		    cases[i].want);
		assert_int_equal(msg_inline_image(cases[i].in), cases[i].inl);
	}
}

static void
test_parse_index(void **state)
{
	static const struct {
		const char	*in;
		int		 rc;
		unsigned	 want;
	} cases[] = {
		{ "1", 0, 1 }, { "25", 0, 25 }, { "100", 0, 100 },
		{ "101", -1, 0 }, { "0", -1, 0 }, { "01", -1, 0 },
		{ "-1", -1, 0 }, { "+1", -1, 0 }, { "1x", -1, 0 },
		{ "", -1, 0 }, { NULL, -1, 0 }, { "99999999999", -1, 0 },
	};
	size_t		i;
	unsigned	got;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		got = 0;
		assert_int_equal(msg_parse_index(cases[i].in, 100, &got),
		    cases[i].rc);
		if (cases[i].rc == 0)
			assert_int_equal(got, cases[i].want);
	}
}

/* ---- listings ---- */

static void
test_inbox_pages(void **state)
{
	struct who		 alice, bob;
	struct pt_response	 r;
	char			 id[MSGID_STRLEN + 1], other[MSGID_STRLEN + 1];
	char			 subj[32], old[MSGID_STRLEN + 1];
	const char		*p29, *p5;
	int			 i;

	login("pages@guest.example", &alice);
	login("nopages@other.example", &bob);
	for (i = 0; i < 30; i++) {
		snprintf(subj, sizeof(subj), "Paged %02d", i);
		put_text(CAROL, "pages@guest.example", subj, T0 + i * 60, id);
	}
	put_text(CAROL, "nopages@other.example", "Not yours", T0 + 5000,
	    other);
	{
		/* Expired: listed nowhere. */
		struct put	 o = { .sender = CAROL,
				    .rcpts = { "pages@guest.example" },
				    .received = T0 + 9000,
				    .expires = fake_now - 1 };
		char		*m;
		size_t		 len;

		m = text_message(CAROL, "pages@guest.example", "Expired one",
		    600, &len);
		put_message(&o, m, len, old);
		free(m);
	}

	get(&alice, "/inbox", &r);
	assert_int_equal(r.status, 200);
	assert_int_equal(count(r.body, "<a href=\"/m/"), 25);
	assert_non_null(p29 = strstr(r.body, "Paged 29"));
	assert_non_null(p5 = strstr(r.body, "Paged 05"));
	assert_true(p29 < p5);			/* newest first */
	assert_null(strstr(r.body, "Paged 04"));
	assert_lacks(r.body, "Not yours");
	assert_lacks(r.body, "Expired one");
	assert_contains(r.body, "href=\"/inbox?page=2\"");
	assert_lacks(r.body, "Previous page");
	assert_contains(r.body, CAROL);
	assert_contains(r.body, "Expires");
	pt_response_free(&r);

	get(&alice, "/inbox?page=2", &r);
	assert_int_equal(r.status, 200);
	assert_int_equal(count(r.body, "<a href=\"/m/"), 5);
	assert_contains(r.body, "Paged 04");
	assert_contains(r.body, "Paged 00");
	assert_lacks(r.body, "Paged 05");
	assert_contains(r.body, "href=\"/inbox?page=1\"");
	assert_lacks(r.body, "Next page");
	pt_response_free(&r);

	/* Junk page numbers are page 1. */
	get(&alice, "/inbox?page=-3", &r);
	assert_int_equal(count(r.body, "<a href=\"/m/"), 25);
	pt_response_free(&r);

	get(&bob, "/inbox", &r);
	assert_int_equal(r.status, 200);
	assert_int_equal(count(r.body, "<a href=\"/m/"), 1);
	assert_contains(r.body, "Not yours");
	pt_response_free(&r);
}

static void
test_no_session(void **state)
{
	struct who		 nobody;
	struct pt_response	 r;
	char			 id[MSGID_STRLEN + 1], path[96], loc[64];

	put_text(CAROL, ALICE, "Need a session", 0, id);
	memset(nobody.cookie, 'a', AUTH_TOKEN_HEX);
	nobody.cookie[AUTH_TOKEN_HEX] = '\0';
	snprintf(path, sizeof(path), "/m/%s", id);
	get(NULL, "/inbox", &r);
	assert_int_equal(r.status, 303);
	assert_string_equal(pt_header(&r, "Location", loc, sizeof(loc)), "/");
	pt_response_free(&r);
	get(NULL, path, &r);
	assert_int_equal(r.status, 303);
	assert_lacks(r.body, "Need a session");
	pt_response_free(&r);
	get(&nobody, path, &r);
	assert_int_equal(r.status, 303);
	pt_response_free(&r);
	assert_int_equal(get_status(NULL, "/sent"), 303);
	snprintf(path, sizeof(path), "/m/%s/raw", id);
	assert_int_equal(get_status(NULL, path), 303);
}

/* ---- access ---- */

static const char html_msg[] =
    "From: Carol <carol@corp.example>\r\n"
    "To: alice@guest.example\r\n"
    "Date: Tue, 14 Nov 2023 10:00:00 +0000\r\n"
    "Subject: html\r\n"
    "MIME-Version: 1.0\r\n"
    "Content-Type: multipart/alternative; boundary=\"a1\"\r\n"
    "\r\n"
    "--a1\r\n"
    "Content-Type: text/plain; charset=utf-8\r\n"
    "\r\n"
    "plain <version> & text\r\n"
    "--a1\r\n"
    "Content-Type: multipart/related; boundary=\"r1\"\r\n"
    "\r\n"
    "--r1\r\n"
    "Content-Type: text/html; charset=utf-8\r\n"
    "\r\n"
    "<html><head><script>alert(1)</script><base href=\"http://evil.example/\">"
    "<meta http-equiv=\"refresh\" content=\"0;url=http://evil.example/\">"
    "</head><body onload=\"alert(2)\">"
    "<p onclick=\"x()\">Hello <b>world</b></p>"
    "<img src=\"cid:logo@x\" alt=\"logo\">"
    "<img src=\"http://evil.example/track.png\">"
    "<img src=x onerror=alert(3)>"
    "<a href=\"javascript:alert(4)\">j</a>"
    "<iframe src=\"http://evil.example/\"></iframe>"
    "<svg><script>alert(5)</script></svg>"
    "<form action=\"http://evil.example/\"><input name=p></form>"
    "</body></html>\r\n"
    "--r1\r\n"
    "Content-Type: image/png\r\n"
    "Content-ID: <logo@x>\r\n"
    "Content-Transfer-Encoding: base64\r\n"
    "\r\n"
    "iVBORw0KGgo=\r\n"
    "--r1--\r\n"
    "--a1--\r\n";


static void
test_foreign_is_missing(void **state)
{
	static const char *const suffixes[] = { "", "/raw", "/part/1",
	    "/html" };
	struct who		 alice, bob;
	struct pt_response	 mine, missing, r;
	char			 id[MSGID_STRLEN + 1], nid[MSGID_STRLEN + 1];
	char			 path[128];
	uint8_t			 raw[MSGID_LEN];
	size_t			 i, j;
	const char		*bad[] = {
		"/m/short",
		"/m/AAAAAAAAAAAAAAAAAAAAA!",		/* not base64url */
		"/m/AAAAAAAAAAAAAAAAAAAAAAA",		/* 23 */
		"/m/AAAAAAAAAAAAAAAAAAAAAB",		/* trailing bits */
		"/m/%41AAAAAAAAAAAAAAAAAAAAA",
	};

	login(ALICE, &alice);
	login(BOB, &bob);
	{
		struct put	o = { .sender = CAROL, .rcpts = { ALICE } };

		/* With an HTML body, so that every route answers alice. */
		put_message(&o, html_msg, sizeof(html_msg) - 1, id);
	}
	msgid_generate(raw);
	msgid_encode(raw, nid);		/* never stored */

	for (i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
		snprintf(path, sizeof(path), "/m/%s%s", id, suffixes[i]);
		get(&alice, path, &mine);
		assert_int_equal(mine.status, 200);
		pt_response_free(&mine);

		get(&bob, path, &r);
		snprintf(path, sizeof(path), "/m/%s%s", nid, suffixes[i]);
		get(&bob, path, &missing);
		assert_int_equal(missing.status, 404);
		assert_int_equal(r.status, 404);
		assert_int_equal(r.body_len, missing.body_len);
		assert_memory_equal(r.body, missing.body, r.body_len);
		assert_lacks(r.body, "Hello");
		pt_response_free(&r);

		/* Malformed ids: the same page too. */
		for (j = 0; j < sizeof(bad) / sizeof(bad[0]); j++) {
			snprintf(path, sizeof(path), "%s%s", bad[j],
			    suffixes[i]);
			get(&bob, path, &r);
			assert_int_equal(r.status, 404);
			assert_int_equal(r.body_len, missing.body_len);
			assert_memory_equal(r.body, missing.body, r.body_len);
			pt_response_free(&r);
		}
		pt_response_free(&missing);
	}

	/* Part numbers that are not parts, for the owner: 404 as well. */
	snprintf(path, sizeof(path), "/m/%s/part/0", id);
	assert_int_equal(get_status(&alice, path), 404);
	snprintf(path, sizeof(path), "/m/%s/part/01", id);
	assert_int_equal(get_status(&alice, path), 404);
	snprintf(path, sizeof(path), "/m/%s/part/9", id);
	assert_int_equal(get_status(&alice, path), 404);
}

static void
test_case_and_expiry(void **state)
{
	struct who		 alice;
	struct pt_response	 r, missing;
	struct put		 o = { .sender = CAROL,
				    .rcpts = { "Alice@GUEST.example" } };
	char			 id[MSGID_STRLEN + 1], path[96];
	char			*m;
	size_t			 len;

	login(ALICE, &alice);
	m = text_message(CAROL, "Alice@GUEST.example", "Mixed case", 600,
	    &len);
	put_message(&o, m, len, id);
	free(m);
	snprintf(path, sizeof(path), "/m/%s", id);
	get(&alice, path, &r);
	assert_int_equal(r.status, 200);
	assert_contains(r.body, "Mixed case");
	pt_response_free(&r);

	/* Past its expiry: as if it were gone. */
	o.expires = fake_now - 1;
	o.received = fake_now - 100;
	m = text_message(CAROL, ALICE, "Too late", 600, &len);
	put_message(&o, m, len, id);
	free(m);
	snprintf(path, sizeof(path), "/m/%s", id);
	get(&alice, path, &r);
	get(&alice, "/m/AAAAAAAAAAAAAAAAAAAAAA", &missing);
	assert_int_equal(r.status, 404);
	assert_int_equal(r.body_len, missing.body_len);
	assert_memory_equal(r.body, missing.body, r.body_len);
	pt_response_free(&r);
	pt_response_free(&missing);
	snprintf(path, sizeof(path), "/m/%s/raw", id);
	assert_int_equal(get_status(&alice, path), 404);
}

/* ---- reading ---- */

static void
test_read_page(void **state)
{
	static const char msg[] =
	    "From: Carol <carol@corp.example>\r\n"
	    "To: alice@guest.example\r\n"
	    "Cc: <script>cc</script>@corp.example\r\n"
	    "Date: Tue, 14 Nov 2023 10:00:00 +0000\r\n"
	    "Subject: Hello <b>there</b> & welcome\r\n"
	    "MIME-Version: 1.0\r\n"
	    "Content-Type: text/plain; charset=utf-8\r\n"
	    "\r\n"
	    "Body with <script>alert(1)</script> & \"quotes\"\r\n";
	struct who		 alice;
	struct pt_response	 r;
	struct put		 o = { .sender = CAROL, .rcpts = { ALICE } };
	char			 id[MSGID_STRLEN + 1], path[96], want[128];
	char			 h[256];

	login(ALICE, &alice);
	put_message(&o, msg, sizeof(msg) - 1, id);
	snprintf(path, sizeof(path), "/m/%s", id);
	get(&alice, path, &r);
	assert_int_equal(r.status, 200);
	assert_contains(r.body, "Hello &lt;b&gt;there&lt;/b&gt; &amp; welcome");
	assert_contains(r.body, "<pre class=\"body\">Body with "
	    "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;quotes&quot;");
	assert_lacks(r.body, "<script");
	assert_lacks(r.body, "<b>there");
	assert_contains(r.body, "<th scope=\"row\">From</th>");
	assert_contains(r.body, "<th scope=\"row\">Cc</th>");
	assert_contains(r.body, "carol@corp.example");
	snprintf(want, sizeof(want), "<a href=\"/m/%s/raw\">Download "
	    "original (.eml)</a>", id);
	assert_contains(r.body, want);
	assert_lacks(r.body, "<iframe");
	assert_string_equal(pt_header(&r, "X-Frame-Options", h, sizeof(h)),
	    "DENY");
	pt_response_free(&r);
	/* No HTML body: nothing at /html. */
	snprintf(path, sizeof(path), "/m/%s/html", id);
	assert_int_equal(get_status(&alice, path), 404);
}

/* Raw: byte for byte, 200 KiB in 4 chunks and 1.5 MiB, both streamed
 * from the loop (/raw never needs the worker pool). */
static void
test_raw(void **state)
{
	static const size_t	 sizes[] = { 200 * 1024, 1536 * 1024 };
	struct who		 alice;
	struct pt_response	 r;
	struct put		 o = { .sender = CAROL, .rcpts = { ALICE } };
	struct store_message	 sm;
	char			 id[MSGID_STRLEN + 1], path[96], h[256];
	char			 want[128];
	uint8_t			 bin[MSGID_LEN];
	char			*m;
	size_t			 len, i;

	login(ALICE, &alice);
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		m = text_message(CAROL, ALICE, "Big", sizes[i], &len);
		put_message(&o, m, len, id);
		assert_int_equal(msgid_decode(id, bin), 0);
		assert_int_equal(store_get_message(F.st, bin, &sm), STORE_OK);
		if (i == 0)
			assert_int_equal(sm.nchunks, 4);
		store_message_clear(&sm);

		snprintf(path, sizeof(path), "/m/%s/raw", id);
		get(&alice, path, &r);
		assert_int_equal(r.status, 200);
		assert_int_equal(r.body_len, len);
		assert_memory_equal(r.body, m, len);
		assert_string_equal(pt_header(&r, "Content-Type", h,
		    sizeof(h)), "message/rfc822");
		snprintf(want, sizeof(want),
		    "attachment; filename=\"message-%s.eml\"", id);
		assert_string_equal(pt_header(&r, "Content-Disposition", h,
		    sizeof(h)), want);
		assert_string_equal(pt_header(&r, "X-Content-Type-Options", h,
		    sizeof(h)), "nosniff");
		pt_response_free(&r);

		/* The read page of the same message (the pool for the big
		 * one). */
		snprintf(path, sizeof(path), "/m/%s", id);
		get(&alice, path, &r);
		assert_int_equal(r.status, 200);
		assert_contains(r.body, "<pre class=\"body\">");
		pt_response_free(&r);
		free(m);
	}
}

/*
 * A chunk that does not authenticate.  The first: 500, and nothing of
 * the message leaves.  A later one (/raw streams): the status and at most
 * the chunks before it leave, then the connection closes short of the
 * Content-Length, with no byte of the bad chunk or after it.  The read
 * page, which decrypts everything first: 500.
 */
static void
test_tampered(void **state)
{
	struct who		 alice;
	struct pt_response	 r;
	struct pt_conn		 c;
	struct put		 o = { .sender = CAROL, .rcpts = { ALICE } };
	char			 id[MSGID_STRLEN + 1], path[96], h[256];
	char			 req[512];
	const char		*body;
	char			*m;
	size_t			 len, got;
	int			 bad;

	login(ALICE, &alice);
	m = text_message(CAROL, ALICE, "Tampered", 200 * 1024, &len);
	for (bad = 1; bad <= 3; bad += 2) {
		o.corrupt_chunk = bad;
		put_message(&o, m, len, id);
		snprintf(path, sizeof(path), "/m/%s/raw", id);
		if (bad == 1) {
			get(&alice, path, &r);
			assert_int_equal(r.status, 500);
			assert_null(memmem(r.body, r.body_len, m + 300, 64));
			assert_null(pt_header(&r, "Content-Disposition", h,
			    sizeof(h)));
			pt_response_free(&r);
		} else {
			snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\n"
			    "Host: 127.0.0.1\r\nCookie: sealpost=%s\r\n\r\n",
			    path, alice.cookie);
			assert_int_equal(pt_connect(&c, F.srv.port, 0), 0);
			assert_int_equal(pt_send_str(&c, req), 0);
			assert_int_equal(pt_read_to_close(&c, 5000), 1);
			assert_true(strncmp(c.buf, "HTTP/1.1 200 ", 13) == 0);
			assert_non_null(body = memmem(c.buf, c.len,
			    "\r\n\r\n", 4));
			body += 4;
			/* What was still buffered when chunk 3 failed is
			 * dropped with the connection: at most two chunks. */
			got = c.len - (size_t)(body - c.buf);
			assert_true(got <= 2 * ENVELOPE_CHUNK_SIZE);
			assert_memory_equal(body, m, got);
			pt_close(&c);
		}
		snprintf(path, sizeof(path), "/m/%s", id);
		assert_int_equal(get_status(&alice, path), 500);
	}
	free(m);
}

static const char parts_msg[] =
    "From: carol@corp.example\r\n"
    "To: alice@guest.example\r\n"
    "Date: Tue, 14 Nov 2023 10:00:00 +0000\r\n"
    "Subject: parts\r\n"
    "MIME-Version: 1.0\r\n"
    "Content-Type: multipart/mixed; boundary=\"b1\"\r\n"
    "\r\n"
    "--b1\r\n"
    "Content-Type: text/plain; charset=utf-8\r\n"
    "\r\n"
    "see attached\r\n"
    "--b1\r\n"
    "Content-Type: text/html; name=\"x.html\"\r\n"
    "Content-Disposition: attachment;\r\n"
    " filename*=utf-8''..%5C%22evil%0D%0A.html\r\n"
    "Content-Transfer-Encoding: base64\r\n"
    "\r\n"
    "PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==\r\n"
    "--b1\r\n"
    "Content-Type: image/png\r\n"
    "Content-Disposition: attachment; filename=\"pic.png\"\r\n"
    "Content-Transfer-Encoding: base64\r\n"
    "\r\n"
    "iVBORw0KGgo=\r\n"
    "--b1\r\n"
    "Content-Type: image/svg+xml\r\n"
    "Content-Disposition: inline; filename=\"v.svg\"\r\n"
    "\r\n"
    "<svg xmlns=\"http://www.w3.org/2000/svg\"><script>alert(1)</script>"
    "</svg>\r\n"
    "--b1--\r\n";

static void
test_parts(void **state)
{
	struct who		 alice;
	struct pt_response	 r;
	struct put		 o = { .sender = CAROL, .rcpts = { ALICE },
				    .attachments = 3 };
	char			 id[MSGID_STRLEN + 1], path[96], h[512];
	char			 want[128];
	const char		*q;

	login(ALICE, &alice);
	put_message(&o, parts_msg, sizeof(parts_msg) - 1, id);

	/* The read page lists them. */
	snprintf(path, sizeof(path), "/m/%s", id);
	get(&alice, path, &r);
	assert_int_equal(r.status, 200);
	for (q = "234"; *q != '\0'; q++) {
		snprintf(want, sizeof(want), "<a href=\"/m/%s/part/%c\">", id,
		    *q);
		assert_contains(r.body, want);
	}
	assert_contains(r.body, "pic.png");
	assert_contains(r.body, "image/png");
	assert_lacks(r.body, "<script");
	assert_lacks(r.body, "\\\"evil");
	pt_response_free(&r);

	/* The hostile name: a download, under a safe name. */
	snprintf(path, sizeof(path), "/m/%s/part/2", id);
	get(&alice, path, &r);
	assert_int_equal(r.status, 200);
	assert_non_null(pt_header(&r, "Content-Disposition", h, sizeof(h)));
	assert_true(strncmp(h, "attachment; filename=\"", 22) == 0);
	/* One quoted string: no quote, backslash, CR or LF inside. */
	q = strchr(h + 22, '"');
	assert_non_null(q);
	assert_true(strncmp(q, "\"; filename*=UTF-8''", 20) == 0);
	assert_null(memchr(h + 22, '\\', (size_t)(q - h - 22)));
	assert_null(strchr(q + 1, '"'));
	assert_null(strstr(h, ".."));
	assert_contains(h, "evil");
	assert_string_equal(pt_header(&r, "Content-Type", h, sizeof(h)),
	    "application/octet-stream");
	assert_string_equal(pt_header(&r, "X-Content-Type-Options", h,
	    sizeof(h)), "nosniff");
	assert_int_equal(r.body_len, 25);
	assert_memory_equal(r.body, "<script>alert(1)</script>", 25);
	assert_null(strstr(r.head, "\r\n\r\n"));	/* no injected header */
	pt_response_free(&r);

	/* An image: attachment by default, inline only when asked. */
	snprintf(path, sizeof(path), "/m/%s/part/3", id);
	get(&alice, path, &r);
	assert_int_equal(r.status, 200);
	assert_string_equal(pt_header(&r, "Content-Disposition", h, sizeof(h)),
	    "attachment; filename=\"pic.png\"; filename*=UTF-8''pic.png");
	assert_string_equal(pt_header(&r, "Content-Type", h, sizeof(h)),
	    "image/png");
	assert_int_equal(r.body_len, 8);
	assert_memory_equal(r.body, "\x89PNG\r\n\x1a\n", 8);
	pt_response_free(&r);
	snprintf(path, sizeof(path), "/m/%s/part/3?inline=1", id);
	get(&alice, path, &r);
	assert_string_equal(pt_header(&r, "Content-Disposition", h, sizeof(h)),
	    "inline; filename=\"pic.png\"; filename*=UTF-8''pic.png");
	pt_response_free(&r);

	/* SVG can script: never inline, never its own type. */
	snprintf(path, sizeof(path), "/m/%s/part/4?inline=1", id);
	get(&alice, path, &r);
	assert_int_equal(r.status, 200);
	assert_non_null(pt_header(&r, "Content-Disposition", h, sizeof(h)));
	assert_true(strncmp(h, "attachment;", 11) == 0);
	assert_string_equal(pt_header(&r, "Content-Type", h, sizeof(h)),
	    "application/octet-stream");
	pt_response_free(&r);
	/* So is a text part asked for inline. */
	snprintf(path, sizeof(path), "/m/%s/part/2?inline=1", id);
	get(&alice, path, &r);
	assert_non_null(pt_header(&r, "Content-Disposition", h, sizeof(h)));
	assert_true(strncmp(h, "attachment;", 11) == 0);
	pt_response_free(&r);
}

static void
test_html(void **state)
{
	struct who		 alice;
	struct pt_response	 r;
	struct put		 o = { .sender = CAROL, .rcpts = { ALICE } };
	char			 id[MSGID_STRLEN + 1], path[96], h[512];
	char			 want[128];
	const char		*tag, *end;

	login(ALICE, &alice);
	put_message(&o, html_msg, sizeof(html_msg) - 1, id);

	/* The page: an iframe sandboxed with no allow-* at all. */
	snprintf(path, sizeof(path), "/m/%s", id);
	get(&alice, path, &r);
	assert_int_equal(r.status, 200);
	snprintf(want, sizeof(want), "<iframe sandbox src=\"/m/%s/html\"", id);
	assert_non_null(tag = strstr(r.body, want));
	assert_non_null(end = strchr(tag, '>'));
	assert_null(memmem(tag, (size_t)(end - tag), "allow", 5));
	assert_int_equal(count(r.body, "<iframe"), 1);
	assert_contains(r.body, "plain &lt;version&gt; &amp; text");
	assert_non_null(pt_header(&r, "Content-Security-Policy", h,
	    sizeof(h)));
	assert_contains(h, "frame-src 'self'");
	assert_contains(h, "frame-ancestors 'none'");
	assert_contains(h, "default-src 'none'");
	assert_string_equal(pt_header(&r, "X-Frame-Options", h, sizeof(h)),
	    "DENY");
	/* The inline image is shown by the HTML, not listed. */
	snprintf(want, sizeof(want), "/m/%s/part/3", id);
	assert_lacks(r.body, want);
	pt_response_free(&r);

	/* The HTML itself: sanitised, under the sandbox policy. */
	snprintf(path, sizeof(path), "/m/%s/html", id);
	get(&alice, path, &r);
	assert_int_equal(r.status, 200);
	assert_string_equal(pt_header(&r, "Content-Security-Policy", h,
	    sizeof(h)), MSG_CSP_HTML);
	assert_true(strncmp(h, "sandbox; ", 9) == 0);
	assert_contains(h, "frame-ancestors 'self'");
	assert_string_equal(pt_header(&r, "X-Frame-Options", h, sizeof(h)),
	    "SAMEORIGIN");
	assert_string_equal(pt_header(&r, "Content-Type", h, sizeof(h)),
	    "text/html; charset=utf-8");
	assert_contains(r.body, "Hello <b>world</b>");
	assert_lacks(r.body, "<script");
	assert_lacks(r.body, "alert");
	assert_lacks(r.body, "onload");
	assert_lacks(r.body, "onclick");
	assert_lacks(r.body, "onerror");
	assert_lacks(r.body, "javascript:");
	assert_lacks(r.body, "evil.example");
	assert_lacks(r.body, "<iframe");
	assert_lacks(r.body, "<form");
	assert_lacks(r.body, "<base");
	assert_lacks(r.body, "<meta http-equiv");
	/*
	 * The sandboxed frame gets no cookie, so inline images travel in
	 * the body itself (iVBORw0KGgo= is the part's base64).
	 */
	assert_contains(r.body, "src=\"data:image/png;base64,iVBORw0KGgo=\"");
	pt_response_free(&r);

	/* The part is still served on its own, inline, to a session. */
	snprintf(path, sizeof(path), "/m/%s/part/3?inline=1", id);
	get(&alice, path, &r);
	assert_int_equal(r.status, 200);
	assert_string_equal(pt_header(&r, "Content-Type", h, sizeof(h)),
	    "image/png");
	assert_non_null(pt_header(&r, "Content-Disposition", h, sizeof(h)));
	assert_true(strncmp(h, "inline;", 7) == 0);
	pt_response_free(&r);
}

/* ---- opens, sent, revocation ---- */

static void
test_opens_and_sent(void **state)
{
	struct who		 carol, alice, dave;
	struct pt_response	 r;
	struct put		 o = { .sender = CAROL,
				    .rcpts = { "opens@guest.example",
				    "opens2@guest.example" } };
	char			 id[MSGID_STRLEN + 1], path[96];
	char			 when[64], want[160];
	uint8_t			 bin[MSGID_LEN];
	char			*m;
	size_t			 len;
	int64_t			 t, t1;

	login(CAROL, &carol);
	login("opens@guest.example", &alice);
	login("opens2@guest.example", &dave);
	m = text_message(CAROL, "opens@guest.example", "Track me", 600, &len);
	put_message(&o, m, len, id);
	free(m);
	assert_int_equal(msgid_decode(id, bin), 0);

	get(&carol, "/sent", &r);
	assert_int_equal(r.status, 200);
	assert_contains(r.body, "Track me");
	assert_contains(r.body, "opens@guest.example <span class=\"muted\">"
	    "not opened</span>");
	assert_contains(r.body, "opens2@guest.example <span class=\"muted\">"
	    "not opened</span>");
	pt_response_free(&r);

	/* The sender reading it is not an open. */
	snprintf(path, sizeof(path), "/m/%s", id);
	assert_int_equal(get_status(&carol, path), 200);
	assert_int_equal(store_get_open(F.st, bin, CAROL, &t), STORE_NOTFOUND);
	assert_int_equal(store_get_open(F.st, bin, "opens@guest.example", &t),
	    STORE_NOTFOUND);
	/* Neither is a download of the raw original. */
	snprintf(path, sizeof(path), "/m/%s/raw", id);
	assert_int_equal(get_status(&alice, path), 200);
	assert_int_equal(store_get_open(F.st, bin, "opens@guest.example", &t),
	    STORE_NOTFOUND);

	/* The recipient's first view is; a later one changes nothing. */
	fake_now += 120;
	t1 = fake_now;
	snprintf(path, sizeof(path), "/m/%s", id);
	assert_int_equal(get_status(&alice, path), 200);
	assert_int_equal(store_get_open(F.st, bin, "opens@guest.example", &t),
	    STORE_OK);
	assert_int_equal(t, t1);
	fake_now += 60;
	assert_int_equal(get_status(&alice, path), 200);
	assert_int_equal(store_get_open(F.st, bin, "opens@guest.example", &t),
	    STORE_OK);
	assert_int_equal(t, t1);

	get(&carol, "/sent", &r);
	msg_format_time(t1, when, sizeof(when));
	snprintf(want, sizeof(want), "opens@guest.example <span "
	    "class=\"muted\">opened %s</span>", when);
	assert_contains(r.body, want);
	assert_contains(r.body, "opens2@guest.example <span class=\"muted\">"
	    "not opened</span>");
	pt_response_free(&r);

	/* /sent lists only what carol sent. */
	get(&dave, "/sent", &r);
	assert_int_equal(r.status, 200);
	assert_lacks(r.body, "Track me");
	pt_response_free(&r);
}

static void
test_revoked(void **state)
{
	static const char *const suffixes[] = { "", "/raw", "/part/1",
	    "/html" };
	struct who		 alice, bob, carol;
	struct pt_response	 r;
	char			 id[MSGID_STRLEN + 1], path[96], want[96];
	uint8_t			 bin[MSGID_LEN];
	size_t			 i;

	login(ALICE, &alice);
	login(BOB, &bob);
	login(CAROL, &carol);
	put_text(CAROL, ALICE, "Take it back", 0, id);
	assert_int_equal(msgid_decode(id, bin), 0);
	assert_int_equal(store_set_flags(F.st, bin, STORE_MSG_REVOKED, 0),
	    STORE_OK);

	for (i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
		snprintf(path, sizeof(path), "/m/%s%s", id, suffixes[i]);
		get(&alice, path, &r);
		assert_int_equal(r.status, 410);
		assert_contains(r.body, "revoked by its sender");
		assert_lacks(r.body, "Take it back");
		pt_response_free(&r);
		/* Someone else still learns nothing. */
		assert_int_equal(get_status(&bob, path), 404);
	}

	get(&alice, "/inbox", &r);
	assert_contains(r.body, "revoked by its sender");
	snprintf(want, sizeof(want), "<a href=\"/m/%s\">", id);
	assert_lacks(r.body, want);
	assert_lacks(r.body, "Take it back");
	pt_response_free(&r);

	get(&carol, "/sent", &r);
	assert_contains(r.body, "Take it back");
	assert_contains(r.body, "(revoked)");
	pt_response_free(&r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_disposition),
		cmocka_unit_test(test_download_type),
		cmocka_unit_test(test_parse_index),
		cmocka_unit_test(test_inbox_pages),
		cmocka_unit_test(test_no_session),
		cmocka_unit_test(test_foreign_is_missing),
		cmocka_unit_test(test_case_and_expiry),
		cmocka_unit_test(test_read_page),
		cmocka_unit_test(test_raw),
		cmocka_unit_test(test_tampered),
		cmocka_unit_test(test_parts),
		cmocka_unit_test(test_html),
		cmocka_unit_test(test_opens_and_sent),
		cmocka_unit_test(test_revoked),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
