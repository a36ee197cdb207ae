/*
 * The milter core without libmilter: a real LMDB store in a temporary
 * directory, a real master key, the real templates and a fixed clock.
 * Which messages are treated, the limits and their SMTP replies, and for a
 * secure message the stored original, decrypted and compared byte for byte
 * with what the MTA handed over, and the notification plan.
 */
#include <sys/stat.h>

#include <ftw.h>
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

#include "config.h"
#include "envelope.h"
#include "masterkey.h"
#include "message.h"
#include "msgid.h"
#include "rewrite.h"
#include "store.h"

#define FIXED_NOW	((time_t)1700000000)
#define DAY		86400

static char		 tmpdir[] = "/tmp/test_message.XXXXXX";
static char		 spooldir[256], keyfile[256];
static struct masterkey	*mk;
static int		 nstores;

struct fixture {
	struct config		 cfg;
	struct store		*store;
	struct milter_env	 env;
};

struct hdr {
	const char	*name;
	const char	*value;
};

static time_t
fixed_now(void)
{
	return FIXED_NOW;
}

static void
fx_open(struct fixture *fx, const char *extra)
{
	char	*text, err[512];

	memset(fx, 0, sizeof(*fx));
	assert_true(asprintf(&text,
	    "store_path = %s/store%d\n"
	    "spool_dir = %s\n"
	    "master_key_file = %s\n"
	    "templates_dir = %s\n"
	    "internal_domains = example.com\n"
	    "portal_url = https://portal.example.com/\n"
	    "noreply_address = noreply@example.com\n"
	    "%s",
	    tmpdir, ++nstores, spooldir, keyfile,
	    SOURCE_DIR "/conf/templates", extra) > 0);
	if (config_load_string(&fx->cfg, "test.conf", text, err,
	    sizeof(err)) != 0)
		fail_msg("config: %s", err);
	free(text);
	if (store_open(&fx->cfg, STORE_OPEN_CREATE, &fx->store, err,
	    sizeof(err)) != 0)
		fail_msg("store_open: %s", err);
	fx->env.cfg = &fx->cfg;
	fx->env.store = fx->store;
	fx->env.mk = mk;
	fx->env.now = fixed_now;
}

static void
fx_close(struct fixture *fx)
{
	store_close(fx->store);
	config_free(&fx->cfg);
}

static uint64_t
stored_count(struct fixture *fx)
{
	struct store_stats st;

	memset(&st, 0, sizeof(st));
	assert_int_equal(store_stat(fx->store, &st), STORE_OK);
	return st.messages;
}

static void
reply_clear(struct msg_reply *r)
{
	memset(r, 0, sizeof(*r));
}

static void
assert_reply(const char *label, const struct msg_reply *r, const char *rcode,
    const char *xcode, const char *text)
{
	if (r->rcode == NULL || strcmp(r->rcode, rcode) != 0 ||
	    r->xcode == NULL || strcmp(r->xcode, xcode) != 0)
		fail_msg("%s: reply %s %s \"%s\", want %s %s", label,
		    r->rcode ? r->rcode : "(null)",
		    r->xcode ? r->xcode : "(null)", r->text, rcode, xcode);
	if (text != NULL && strstr(r->text, text) == NULL)
		fail_msg("%s: reply text \"%s\" lacks \"%s\"", label, r->text,
		    text);
}

/* A message with sender, recipients and headers; stops at end of headers
 * and returns that verdict. */
static enum msg_verdict
start(struct fixture *fx, struct msg **mp, const char *sender,
    const char *const *rcpts, const struct hdr *hdrs, struct msg_reply *r)
{
	struct msg	*m;
	size_t		 i;

	assert_non_null(m = msg_new(&fx->env));
	*mp = m;
	msg_set_queue_id(m, "4ABCDEF");
	assert_string_equal(msg_queue_id(m), "4ABCDEF");
	reply_clear(r);
	assert_int_equal(msg_set_sender(m, sender, 0, r), MSG_CONTINUE);
	for (i = 0; rcpts != NULL && rcpts[i] != NULL; i++)
		assert_int_equal(msg_add_recipient(m, rcpts[i], r),
		    MSG_CONTINUE);
	for (i = 0; hdrs[i].name != NULL; i++)
		assert_int_equal(msg_add_header(m, hdrs[i].name,
		    hdrs[i].value, r), MSG_CONTINUE);
	return msg_end_headers(m, r);
}

static const char *const one_rcpt[] = { "<bob@other.org>", NULL };

/* The header block as stored: "Name:value" CRLF, bare LF made CRLF. */
static char *
expected_headers(const struct hdr *hdrs, size_t *len)
{
	char		*b = NULL;
	size_t		 n = 0;
	FILE		*fp;
	const char	*p;
	size_t		 i;

	assert_non_null(fp = open_memstream(&b, &n));
	for (i = 0; hdrs[i].name != NULL; i++) {
		fprintf(fp, "%s:", hdrs[i].name);
		for (p = hdrs[i].value; *p != '\0'; p++) {
			if (*p == '\n' && (p == hdrs[i].value || p[-1] != '\r'))
				fputc('\r', fp);
			fputc(*p, fp);
		}
		fputs("\r\n", fp);
	}
	fputs("\r\n", fp);
	assert_int_equal(fclose(fp), 0);
	*len = n;
	return b;
}

/* The message id from the link in the notification body. */
static void
plan_link_id(const struct rewrite_plan *plan, const char *prefix,
    uint8_t id[MSGID_LEN])
{
	char		 idstr[MSGID_STRLEN + 1];
	const char	*p;

	assert_non_null(plan->body);
	p = memmem(plan->body, plan->bodylen, prefix, strlen(prefix));
	if (p == NULL)
		fail_msg("notification lacks \"%s\"", prefix);
	p += strlen(prefix);
	assert_true((size_t)(p - plan->body) + MSGID_STRLEN <= plan->bodylen);
	memcpy(idstr, p, MSGID_STRLEN);
	idstr[MSGID_STRLEN] = '\0';
	if (msgid_decode(idstr, id) != 0)
		fail_msg("bad id in link: \"%s\"", idstr);
}

static const struct rewrite_op *
plan_find(const struct rewrite_plan *plan, enum rewrite_op_type type,
    const char *name)
{
	size_t i;

	for (i = 0; i < plan->nops; i++)
		if (plan->ops[i].type == type &&
		    strcasecmp(plan->ops[i].name, name) == 0 &&
		    (type == REWRITE_ADD || plan->ops[i].value != NULL))
			return &plan->ops[i];
	return NULL;
}

/* Decrypt a stored message; returns the plaintext (caller frees). */
static uint8_t *
stored_plaintext(struct fixture *fx, const uint8_t id[MSGID_LEN],
    struct store_message *sm, size_t *outlen, uint8_t **hdrblob,
    size_t *hdrbloblen)
{
	struct envelope_key	*dk;
	struct envelope_reader	*rd;
	uint8_t			*out = NULL, *ct, *chunk;
	size_t			 len = 0, ctlen, n;
	uint32_t		 i;
	int			 rc = 0;

	assert_int_equal(store_get_message(fx->store, id, sm), STORE_OK);
	assert_non_null(dk = envelope_unwrap_key(mk, id, sm->wrapped_key));
	assert_non_null(rd = envelope_reader_new(dk, id, sm->stream_header));
	assert_non_null(chunk = malloc(ENVELOPE_CHUNK_SIZE));
	assert_true(sm->nchunks > 0);
	for (i = 0; i < sm->nchunks; i++) {
		assert_int_equal(store_get_chunk(fx->store, id, i, &ct, &ctlen),
		    STORE_OK);
		rc = envelope_reader_chunk(rd, ct, ctlen, chunk, &n);
		free(ct);
		if (rc == -1)
			fail_msg("chunk %u does not decrypt", i);
		if (rc == 1 && i + 1 != sm->nchunks)
			fail_msg("final chunk %u of %u", i, sm->nchunks);
		assert_non_null(out = realloc(out, len + n + 1));
		memcpy(out + len, chunk, n);
		len += n;
	}
	assert_int_equal(rc, 1);
	*hdrbloblen = sm->headers_ctlen - ENVELOPE_BLOB_OVERHEAD;
	assert_non_null(*hdrblob = malloc(*hdrbloblen + 1));
	assert_int_equal(envelope_open_blob(dk, id, sm->headers_ct,
	    sm->headers_ctlen, *hdrblob), 0);
	free(chunk);
	envelope_reader_free(rd);
	envelope_key_free(dk);
	*outlen = len;
	return out;
}

/* Feed body in pieces of the given sizes (cycled); all must continue. */
static void
feed_body(struct msg *m, const char *body, size_t len, const size_t *pieces,
    size_t npieces)
{
	struct msg_reply	r;
	size_t			off = 0, k = 0, n;

	while (off < len) {
		n = pieces[k++ % npieces];
		if (n > len - off)
			n = len - off;
		reply_clear(&r);
		if (msg_body(m, (const uint8_t *)body + off, n, &r) !=
		    MSG_CONTINUE)
			fail_msg("msg_body at %zu: %s %s %s", off,
			    r.rcode ? r.rcode : "", r.xcode ? r.xcode : "",
			    r.text);
		off += n;
	}
}

static int
rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int
group_setup(void **state)
{
	char err[512];

	(void)state;
	g_mime_init();
	if (mkdtemp(tmpdir) == NULL)
		return -1;
	snprintf(spooldir, sizeof(spooldir), "%s/spool", tmpdir);
	snprintf(keyfile, sizeof(keyfile), "%s/master.key", tmpdir);
	if (mkdir(spooldir, 0700) == -1)
		return -1;
	if (masterkey_create(keyfile, err, sizeof(err)) != 0 ||
	    masterkey_load(keyfile, &mk, err, sizeof(err)) != 0) {
		fprintf(stderr, "master key: %s\n", err);
		return -1;
	}
	return 0;
}

static int
group_teardown(void **state)
{
	(void)state;
	masterkey_free(mk);
	nftw(tmpdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	g_mime_shutdown();
	return 0;
}

/* ------------------------------------------------------------------ */

static void
test_sender(void **state)
{
	static const struct {
		const char		*sender;
		int			 auth;
		enum msg_verdict	 want;
	} cases[] = {
		{ "<bob@other.org>", 0, MSG_ACCEPT },
		{ "bob@other.org", 0, MSG_ACCEPT },
		{ "<>", 0, MSG_ACCEPT },
		{ "<alice@sub.example.com>", 0, MSG_ACCEPT },
		{ "<alice@example.com.other.org>", 0, MSG_ACCEPT },
		{ "<alice@example.com>", 0, MSG_CONTINUE },
		{ "alice@example.com", 0, MSG_CONTINUE },
		{ "<Alice@EXAMPLE.COM>", 0, MSG_CONTINUE },
		{ "<bob@other.org>", 1, MSG_CONTINUE },
		{ "<>", 1, MSG_CONTINUE },
	};
	struct fixture		fx;
	struct msg_reply	r;
	struct msg		*m;
	size_t			i;

	(void)state;
	fx_open(&fx, "");
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_non_null(m = msg_new(&fx.env));
		assert_string_equal(msg_queue_id(m), "NOQUEUE");
		reply_clear(&r);
		/* MAIL FROM never decides: recipients may hold noreply. */
		assert_int_equal(msg_set_sender(m, cases[i].sender,
		    cases[i].auth, &r), MSG_CONTINUE);
		assert_int_equal(msg_add_recipient(m, "<carol@example.net>",
		    &r), MSG_CONTINUE);
		assert_int_equal(msg_add_header(m, "Subject", " [secure] hi",
		    &r), MSG_CONTINUE);
		/* A secure message from outside passes at end of headers. */
		if (msg_end_headers(m, &r) != cases[i].want)
			fail_msg("%s auth=%d: want verdict %d",
			    cases[i].sender, cases[i].auth, cases[i].want);
		msg_free(m);
	}
	msg_free(NULL);
	fx_close(&fx);
}

struct secure_case {
	const char	*label;
	struct hdr	 hdrs[4];
	int		 secure;
};

static const struct secure_case secure_cases[] = {
	{ "plain", { { "Subject", " hello" }, { NULL, NULL } }, 0 },
	{ "no headers", { { NULL, NULL } }, 0 },
	{ "tag", { { "Subject", " [secure] hello" }, { NULL, NULL } }, 1 },
	{ "tag any case", { { "subject", " Re: [ENCRYPT] hi" }, { NULL, NULL } },
	    1 },
	{ "near miss", { { "Subject", " [secured] hello" }, { NULL, NULL } },
	    0 },
	{ "sensitivity", { { "Subject", " hello" },
	    { "Sensitivity", " Company-Confidential" }, { NULL, NULL } }, 1 },
	{ "sensitivity any case", {
	    { "SENSITIVITY", " company-confidential" }, { NULL, NULL } }, 1 },
	{ "sensitivity personal", { { "Subject", " hello" },
	    { "Sensitivity", " Personal" }, { NULL, NULL } }, 0 },
	{ "secure header", { { "Subject", " hello" },
	    { "X-Sealpost-Secure", " yes" }, { NULL, NULL } }, 1 },
	{ "secure header any case", {
	    { "x-sealpost-secure", " YES" }, { NULL, NULL } }, 1 },
	{ "secure header no", { { "Subject", " hello" },
	    { "X-Sealpost-Secure", " no" }, { NULL, NULL } }, 0 },
	{ "tag in second Subject", { { "Subject", " hello" },
	    { "Subject", " [secure]" }, { NULL, NULL } }, 1 },
};

/* Internal senders: secure or accepted at end of headers. */
static void
test_secure_decision(void **state)
{
	struct fixture		 fx;
	struct msg_reply	 r;
	struct msg		*m;
	enum msg_verdict	 v;
	size_t			 i;
	int			 auth;

	(void)state;
	fx_open(&fx, "");
	for (auth = 0; auth <= 1; auth++) {
		for (i = 0; i < sizeof(secure_cases) / sizeof(secure_cases[0]);
		    i++) {
			const struct secure_case *c = &secure_cases[i];
			size_t j;

			assert_non_null(m = msg_new(&fx.env));
			reply_clear(&r);
			/* Authenticated: an external address is treated. */
			assert_int_equal(msg_set_sender(m, auth ?
			    "<alice@other.org>" : "<alice@example.com>", auth,
			    &r), MSG_CONTINUE);
			assert_int_equal(msg_add_recipient(m, "<bob@other.org>",
			    &r), MSG_CONTINUE);
			for (j = 0; c->hdrs[j].name != NULL; j++)
				assert_int_equal(msg_add_header(m,
				    c->hdrs[j].name, c->hdrs[j].value, &r),
				    MSG_CONTINUE);
			v = msg_end_headers(m, &r);
			if (msg_is_secure(m) != c->secure ||
			    v != (c->secure ? MSG_CONTINUE : MSG_ACCEPT))
				fail_msg("%s (auth %d): secure %d verdict %d",
				    c->label, auth, msg_is_secure(m), v);
			msg_free(m);
		}
	}
	assert_int_equal(stored_count(&fx), 0);
	fx_close(&fx);
}

static const struct hdr full_hdrs[] = {
	{ "Received", " from client.example.com (client [192.0.2.1])\n"
	    "\tby mx.example.com (Postfix) with ESMTPSA id 4ABCDEF;\n"
	    "\tMon, 13 Nov 2023 10:00:00 +0000" },
	{ "From", " Alice Example <alice@example.com>" },
	{ "To", " bob@other.org" },
	{ "Subject", " [secure] Budget 2024" },
	{ "Date", " Mon, 13 Nov 2023 10:00:00 +0000" },
	{ "Message-ID", " <m1@example.com>" },
	{ "MIME-Version", " 1.0" },
	{ "Content-Type", " multipart/mixed;\r\n\tboundary=\"outer\"" },
	{ "X-Mailer", "  two leading blanks kept" },
	{ "X-Empty", "" },
	{ "Thread-Topic", " Budget 2024" },
	{ NULL, NULL },
};

/* A multipart/mixed body: a text part and a base64 attachment. */
static char *
full_body(size_t *len)
{
	char	*b = NULL;
	size_t	 n = 0, i;
	FILE	*fp;

	assert_non_null(fp = open_memstream(&b, &n));
	fputs("This is a multi-part message in MIME format.\r\n"
	    "--outer\r\n"
	    "Content-Type: text/plain; charset=utf-8\r\n"
	    "\r\n"
	    "Quarterly numbers PAYLOAD7731 attached.\r\n"
	    "--outer\r\n"
	    "Content-Type: application/octet-stream\r\n"
	    "Content-Disposition: attachment; filename=\"numbers-q3.bin\"\r\n"
	    "Content-Transfer-Encoding: base64\r\n"
	    "\r\n", fp);
	for (i = 0; i < 2500; i++)
		fprintf(fp, "%04zuQUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWZnaGlq"
		    "a2xtbm9wcXJzdHV2d3h5\r\n", i);
	fputs("--outer--\r\n", fp);
	assert_int_equal(fclose(fp), 0);
	*len = n;
	return b;
}

static void
test_secure_stored(void **state)
{
	static const char *const rcpts[] = { "<bob@other.org>",
	    "carol@other.org", NULL };
	static const size_t pieces[] = { 1, 7, 1000, 65536, 3, 70000 };
	struct fixture		 fx;
	struct msg_reply	 r;
	struct rewrite_plan	 plan, want;
	struct store_message	 sm;
	const struct rewrite_op	*op, *ctop;
	struct msg		*m;
	char			*hdrs, *body, *expect;
	const char		*names[16];
	uint8_t			 id[MSGID_LEN], *plain, *hdrblob;
	size_t			 hdrlen, bodylen, explen, plainlen, bloblen, i;

	(void)state;
	fx_open(&fx, "");
	assert_int_equal(start(&fx, &m, "<alice@example.com>", rcpts, full_hdrs,
	    &r), MSG_CONTINUE);
	assert_true(msg_is_secure(m));

	body = full_body(&bodylen);
	assert_true(bodylen > 2 * ENVELOPE_CHUNK_SIZE);
	feed_body(m, body, bodylen, pieces, sizeof(pieces) / sizeof(pieces[0]));
	reply_clear(&r);
	if (msg_end(m, &plan, &r) != MSG_CONTINUE)
		fail_msg("msg_end: %s %s %s", r.rcode ? r.rcode : "",
		    r.xcode ? r.xcode : "", r.text);

	/* The notification: a link, nothing of the body. */
	plan_link_id(&plan, "https://portal.example.com/m/", id);
	assert_null(memmem(plan.body, plan.bodylen, "PAYLOAD7731", 11));
	assert_null(memmem(plan.body, plan.bodylen, "numbers-q3", 10));
	assert_null(memmem(plan.body, plan.bodylen, "QUJDREVGR0hJ", 12));
	assert_null(memmem(plan.body, plan.bodylen, ".com//m/", 8));

	/* Header edits: exactly what the rewrite plan gives for these
	 * names, Subject without the tag, Reply-To the noreply address. */
	op = plan_find(&plan, REWRITE_CHANGE, "Subject");
	assert_non_null(op);
	assert_int_equal(op->index, 1);
	assert_string_equal(op->value, " Budget 2024");
	op = plan_find(&plan, REWRITE_ADD, "Reply-To");
	assert_non_null(op);
	assert_string_equal(op->value, " noreply@example.com");
	ctop = plan_find(&plan, REWRITE_ADD, "Content-Type");
	assert_non_null(ctop);
	assert_non_null(strstr(ctop->value, "multipart/alternative"));
	for (i = 0; full_hdrs[i].name != NULL; i++)
		names[i] = full_hdrs[i].name;
	memset(&want, 0, sizeof(want));
	assert_int_equal(rewrite_plan_headers(&want, names, i, "Budget 2024",
	    "noreply@example.com", ctop->value + 1), 0);
	assert_int_equal(plan.nops, want.nops);
	for (i = 0; i < want.nops; i++) {
		assert_int_equal(plan.ops[i].type, want.ops[i].type);
		assert_string_equal(plan.ops[i].name, want.ops[i].name);
		assert_int_equal(plan.ops[i].index, want.ops[i].index);
		if (want.ops[i].value == NULL)
			assert_null(plan.ops[i].value);
		else
			assert_string_equal(plan.ops[i].value,
			    want.ops[i].value);
	}
	rewrite_plan_clear(&want);

	/* The stored original, byte for byte. */
	hdrs = expected_headers(full_hdrs, &hdrlen);
	assert_non_null(strstr(hdrs, "Received: from client.example.com "
	    "(client [192.0.2.1])\r\n\tby mx.example.com"));
	assert_non_null(strstr(hdrs, "\r\nX-Mailer:  two leading blanks "
	    "kept\r\nX-Empty:\r\n"));
	assert_non_null(strstr(hdrs, "multipart/mixed;\r\n\tboundary="));
	assert_null(strstr(hdrs, "\r\r"));
	explen = hdrlen + bodylen;
	assert_non_null(expect = malloc(explen));
	memcpy(expect, hdrs, hdrlen);
	memcpy(expect + hdrlen, body, bodylen);

	plain = stored_plaintext(&fx, id, &sm, &plainlen, &hdrblob, &bloblen);
	assert_int_equal(plainlen, explen);
	assert_memory_equal(plain, expect, explen);
	assert_int_equal(bloblen, hdrlen);
	assert_memory_equal(hdrblob, hdrs, hdrlen);
	assert_int_equal(sm.size, explen);
	assert_int_equal(sm.nchunks,
	    (explen + ENVELOPE_CHUNK_SIZE - 1) / ENVELOPE_CHUNK_SIZE);
	assert_int_equal(sm.version, ENVELOPE_VERSION);
	assert_int_equal(sm.flags, 0);
	assert_int_equal(sm.received, FIXED_NOW);
	assert_int_equal(sm.expires, FIXED_NOW + 90 * DAY);
	assert_int_equal(sm.attachments, 1);
	assert_string_equal(sm.sender, "alice@example.com");
	assert_int_equal(sm.nrecipients, 2);
	assert_string_equal(sm.recipients[0], "bob@other.org");
	assert_string_equal(sm.recipients[1], "carol@other.org");
	assert_int_equal(stored_count(&fx), 1);
	store_message_clear(&sm);
	free(plain);
	free(hdrblob);

	/* The MTA refused the rewrite: the original goes again. */
	msg_rollback(m);
	assert_int_equal(store_get_message(fx.store, id, &sm), STORE_NOTFOUND);
	assert_int_equal(stored_count(&fx), 0);
	msg_rollback(m);
	assert_int_equal(stored_count(&fx), 0);

	rewrite_plan_clear(&plan);
	msg_free(m);
	free(expect);
	free(hdrs);
	free(body);
	fx_close(&fx);
}

/* A small secure message through to msg_end; returns the verdict. */
static enum msg_verdict
run_small(struct fixture *fx, const struct hdr *hdrs, const char *body,
    struct rewrite_plan *plan, struct msg_reply *r, struct msg **mp)
{
	static const size_t	 pieces[] = { 5 };
	enum msg_verdict	 v;

	v = start(fx, mp, "<alice@example.com>", one_rcpt, hdrs, r);
	if (v != MSG_CONTINUE)
		fail_msg("end of headers: verdict %d: %s", v, r->text);
	feed_body(*mp, body, strlen(body), pieces, 1);
	reply_clear(r);
	return msg_end(*mp, plan, r);
}

struct subject_case {
	const char	*label;
	const char	*cfg;
	struct hdr	 hdrs[3];
	const char	*want;		/* value of Subject in the plan */
	int		 added;		/* Subject added, not changed */
};

static const struct subject_case subject_cases[] = {
	{ "tag stripped", "", { { "Subject", " [secure] Budget 2024" },
	    { NULL, NULL } }, " Budget 2024", 0 },
	{ "tag at end, any case", "", { { "Subject", " Budget 2024 [SECURE]" },
	    { NULL, NULL } }, " Budget 2024", 0 },
	{ "second tag", "", { { "Subject", " [encrypt] Re: plan" },
	    { NULL, NULL } }, " Re: plan", 0 },
	{ "prefix", "subject_prefix = [via portal]\n",
	    { { "Subject", " [secure] Budget" }, { NULL, NULL } },
	    " [via portal] Budget", 0 },
	{ "generic", "notification_subject = generic\n",
	    { { "Subject", " [secure] Budget" }, { NULL, NULL } },
	    " You have received a secure message", 0 },
	{ "sensitivity keeps subject", "",
	    { { "Subject", " Budget" }, { "Sensitivity", " Company-Confidential" },
	    { NULL, NULL } }, " Budget", 0 },
	{ "secure header, no Subject", "notification_subject = generic\n",
	    { { "X-Sealpost-Secure", " yes" }, { NULL, NULL } },
	    " You have received a secure message", 1 },
};

static void
test_subject(void **state)
{
	struct fixture		 fx;
	struct msg_reply	 r;
	struct rewrite_plan	 plan;
	const struct rewrite_op	*op;
	struct msg		*m;
	uint8_t			 id[MSGID_LEN];
	size_t			 i;

	(void)state;
	for (i = 0; i < sizeof(subject_cases) / sizeof(subject_cases[0]); i++) {
		const struct subject_case *c = &subject_cases[i];

		fx_open(&fx, c->cfg);
		if (run_small(&fx, c->hdrs, "hello\r\n", &plan, &r, &m) !=
		    MSG_CONTINUE)
			fail_msg("%s: msg_end: %s", c->label, r.text);
		op = plan_find(&plan, c->added ? REWRITE_ADD : REWRITE_CHANGE,
		    "Subject");
		if (op == NULL)
			fail_msg("%s: no Subject %s", c->label,
			    c->added ? "added" : "changed");
		if (strcmp(op->value, c->want) != 0)
			fail_msg("%s: Subject \"%s\", want \"%s\"", c->label,
			    op->value, c->want);
		if (!c->added)
			assert_null(plan_find(&plan, REWRITE_ADD, "Subject"));
		plan_link_id(&plan, "https://portal.example.com/m/", id);
		assert_int_equal(stored_count(&fx), 1);
		rewrite_plan_clear(&plan);
		msg_free(m);
		fx_close(&fx);
	}
}

static const struct hdr secure_small[] = {
	{ "From", " alice@example.com" },
	{ "Subject", " [secure] numbers" },
	{ NULL, NULL },
};

static void
test_oversize(void **state)
{
	struct fixture		 fx;
	struct msg_reply	 r;
	struct msg		*m;
	char			 piece[1000];
	enum msg_verdict	 v = MSG_CONTINUE;
	int			 i;

	(void)state;
	fx_open(&fx, "max_message_size = 4K\n");
	assert_int_equal(start(&fx, &m, "<alice@example.com>", one_rcpt,
	    secure_small, &r), MSG_CONTINUE);
	memset(piece, 'a', sizeof(piece));
	for (i = 0; i < 5 && v == MSG_CONTINUE; i++) {
		reply_clear(&r);
		v = msg_body(m, (const uint8_t *)piece, sizeof(piece), &r);
	}
	/* Headers (54 bytes) and four pieces fit in 4096; the fifth not. */
	assert_int_equal(v, MSG_REJECT);
	assert_int_equal(i, 5);
	assert_reply("oversize", &r, "552", "5.3.4", "size");
	msg_free(m);
	assert_int_equal(stored_count(&fx), 0);
	fx_close(&fx);

	/* Exactly at the limit is fine. */
	fx_open(&fx, "max_message_size = 2K\n");
	{
		struct rewrite_plan	plan;
		size_t			hl;
		char			*h = expected_headers(secure_small, &hl);
		char			*body = malloc(2048 - hl + 1);

		assert_non_null(body);
		memset(body, 'b', 2048 - hl);
		body[2048 - hl] = '\0';
		v = run_small(&fx, secure_small, body, &plan, &r, &m);
		assert_int_equal(v, MSG_CONTINUE);
		rewrite_plan_clear(&plan);
		msg_free(m);
		free(body);
		free(h);
	}
	fx_close(&fx);

	/* Headers alone larger than max_message_size. */
	fx_open(&fx, "max_message_size = 1K\nmax_header_size = 64K\n");
	{
		struct hdr	 big[3];
		char		*val = malloc(2001);

		assert_non_null(val);
		memset(val, 'x', 2000);
		val[0] = ' ';
		val[2000] = '\0';
		big[0].name = "Subject";
		big[0].value = " [secure] big";
		big[1].name = "X-Long";
		big[1].value = val;
		big[2].name = NULL;
		v = start(&fx, &m, "<alice@example.com>", one_rcpt, big, &r);
		assert_int_equal(v, MSG_REJECT);
		assert_reply("headers over size", &r, "552", "5.3.4", NULL);
		msg_free(m);
		free(val);
	}
	assert_int_equal(stored_count(&fx), 0);
	fx_close(&fx);
}

static void
test_header_overflow(void **state)
{
	struct fixture		 fx;
	struct msg_reply	 r;
	struct msg		*m;
	struct hdr		 h[6];
	char			 filler[401];
	int			 tagpos;

	(void)state;
	memset(filler, 'f', 400);
	filler[0] = ' ';
	filler[400] = '\0';
	fx_open(&fx, "max_header_size = 1K\n");
	/* Tag first, last (after the limit), or not at all. */
	for (tagpos = 0; tagpos < 3; tagpos++) {
		int k = 0, j;

		if (tagpos == 0)
			h[k++] = (struct hdr){ "Subject", " [secure] hi" };
		for (j = 0; j < 3; j++)
			h[k++] = (struct hdr){ "X-Filler", filler };
		if (tagpos == 1)
			h[k++] = (struct hdr){ "Subject", " [secure] hi" };
		if (tagpos == 2)
			h[k++] = (struct hdr){ "Subject", " hi" };
		h[k].name = NULL;
		reply_clear(&r);
		if (tagpos < 2) {
			assert_int_equal(start(&fx, &m, "<alice@example.com>",
			    one_rcpt, h, &r), MSG_REJECT);
			assert_reply("header overflow", &r, "552", "5.3.4",
			    "header");
		} else
			assert_int_equal(start(&fx, &m, "<alice@example.com>",
			    one_rcpt, h, &r), MSG_ACCEPT);
		msg_free(m);
	}
	assert_int_equal(stored_count(&fx), 0);
	fx_close(&fx);
}

static const struct hdr mime_hdrs[] = {
	{ "Subject", " [secure] nested" },
	{ "MIME-Version", " 1.0" },
	{ "Content-Type", " multipart/mixed; boundary=\"b0\"" },
	{ NULL, NULL },
};

/* Multiparts nested four deep (depth of the text part: 4). */
static const char deep_body[] =
    "--b0\r\n"
    "Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n"
    "--b1\r\n"
    "Content-Type: multipart/mixed; boundary=\"b2\"\r\n\r\n"
    "--b2\r\n"
    "Content-Type: multipart/mixed; boundary=\"b3\"\r\n\r\n"
    "--b3\r\n"
    "Content-Type: text/plain\r\n\r\n"
    "deep\r\n"
    "--b3--\r\n"
    "--b2--\r\n"
    "--b1--\r\n"
    "--b0--\r\n";

/* Six parts under one multipart. */
static const char wide_body[] =
    "--b0\r\nContent-Type: text/plain\r\n\r\n1\r\n"
    "--b0\r\nContent-Type: text/plain\r\n\r\n2\r\n"
    "--b0\r\nContent-Type: text/plain\r\n\r\n3\r\n"
    "--b0\r\nContent-Type: text/plain\r\n\r\n4\r\n"
    "--b0\r\nContent-Type: text/plain\r\n\r\n5\r\n"
    "--b0\r\nContent-Type: text/plain\r\n\r\n6\r\n"
    "--b0--\r\n";

static void
test_mime_limits(void **state)
{
	static const struct {
		const char		*label;
		const char		*cfg;
		const char		*body;
		enum msg_verdict	 want;
		const char		*text;
	} cases[] = {
		{ "deep, default limit", "", deep_body, MSG_CONTINUE, NULL },
		{ "deep, limit 2", "max_mime_depth = 2\n", deep_body,
		    MSG_REJECT, "nesting too deep" },
		{ "wide, default limit", "", wide_body, MSG_CONTINUE, NULL },
		{ "wide, limit 3 parts", "max_mime_parts = 3\n", wide_body,
		    MSG_REJECT, "too many parts" },
	};
	struct fixture		 fx;
	struct msg_reply	 r;
	struct rewrite_plan	 plan;
	struct msg		*m;
	enum msg_verdict	 v;
	size_t			 i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		fx_open(&fx, cases[i].cfg);
		v = run_small(&fx, mime_hdrs, cases[i].body, &plan, &r, &m);
		if (v != cases[i].want)
			fail_msg("%s: verdict %d, want %d (%s)", cases[i].label,
			    v, cases[i].want, r.text);
		if (v == MSG_REJECT) {
			assert_reply(cases[i].label, &r, "554", "5.6.0",
			    cases[i].text);
			assert_int_equal(plan.nops, 0);
			assert_null(plan.body);
			assert_int_equal(stored_count(&fx), 0);
		} else
			assert_int_equal(stored_count(&fx), 1);
		rewrite_plan_clear(&plan);
		msg_free(m);
		fx_close(&fx);
	}
}

static void
test_store_full(void **state)
{
	struct fixture		 fx;
	struct msg_reply	 r;
	struct rewrite_plan	 plan;
	struct msg		*m;
	char			*body;
	size_t			 len = 3 * 1024 * 1024, i;
	static const size_t	 pieces[] = { 65536 };

	(void)state;
	fx_open(&fx, "store_map_size = 1M\n");
	assert_int_equal(start(&fx, &m, "<alice@example.com>", one_rcpt,
	    secure_small, &r), MSG_CONTINUE);
	assert_non_null(body = malloc(len));
	for (i = 0; i < len; i++)
		body[i] = (i % 78 == 76) ? '\r' : (i % 78 == 77) ? '\n' : 'x';
	feed_body(m, body, len, pieces, 1);
	reply_clear(&r);
	assert_int_equal(msg_end(m, &plan, &r), MSG_TEMPFAIL);
	assert_reply("store full", &r, "451", "4.3.0", NULL);
	assert_int_equal(plan.nops, 0);
	assert_null(plan.ops);
	assert_null(plan.body);
	assert_int_equal(stored_count(&fx), 0);
	/* Nothing to roll back. */
	msg_rollback(m);
	msg_free(m);

	/* The store still takes a small message afterwards. */
	assert_int_equal(run_small(&fx, secure_small, "small\r\n", &plan, &r,
	    &m), MSG_CONTINUE);
	assert_int_equal(stored_count(&fx), 1);
	rewrite_plan_clear(&plan);
	msg_free(m);
	free(body);
	fx_close(&fx);
}

/* Calls out of order get a temporary failure, never a crash. */
static void
test_misuse(void **state)
{
	struct fixture		 fx;
	struct msg_reply	 r;
	struct rewrite_plan	 plan;
	struct msg		*m;

	(void)state;
	fx_open(&fx, "");

	/* Secure but no recipients. */
	assert_int_equal(start(&fx, &m, "<alice@example.com>", NULL,
	    secure_small, &r), MSG_TEMPFAIL);
	assert_reply("no recipients", &r, "451", "4.3.0", NULL);
	msg_free(m);

	/* Body before end of headers; end without a body. */
	assert_non_null(m = msg_new(&fx.env));
	reply_clear(&r);
	assert_int_equal(msg_set_sender(m, "<alice@example.com>", 0, &r),
	    MSG_CONTINUE);
	assert_int_equal(msg_body(m, (const uint8_t *)"x", 1, &r),
	    MSG_TEMPFAIL);
	assert_reply("body first", &r, "451", "4.3.0", NULL);
	reply_clear(&r);
	assert_int_equal(msg_end(m, &plan, &r), MSG_TEMPFAIL);
	assert_reply("end first", &r, "451", "4.3.0", NULL);
	assert_int_equal(plan.nops, 0);
	msg_rollback(m);
	msg_free(m);

	/* An empty body is a message too. */
	assert_int_equal(run_small(&fx, secure_small, "", &plan, &r, &m),
	    MSG_CONTINUE);
	assert_int_equal(stored_count(&fx), 1);
	rewrite_plan_clear(&plan);
	msg_free(m);
	fx_close(&fx);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sender),
		cmocka_unit_test(test_secure_decision),
		cmocka_unit_test(test_secure_stored),
		cmocka_unit_test(test_subject),
		cmocka_unit_test(test_oversize),
		cmocka_unit_test(test_header_overflow),
		cmocka_unit_test(test_mime_limits),
		cmocka_unit_test(test_store_full),
		cmocka_unit_test(test_misuse),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
