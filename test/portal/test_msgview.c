/*
 * The read page's view model: every corpus message parses and every part
 * decodes; hand-checked expectations for a few; charset conversion,
 * download-name sanitising, Content-ID lookup and malformed input, table
 * driven.
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <gmime/gmime.h>

#include "msgview.h"

/*
 * The portal tests are not given CORPUS_DIR by CMake (the unit tests
 * are); it lies beside the checkout, as test/CMakeLists.txt says.
 */
#ifdef CORPUS_DIR
static const char	*corpus_dir = CORPUS_DIR "/mime-samples";
#else
static char		 corpus_buf[1024];
static const char	*corpus_dir = corpus_buf;

static void
corpus_init(void)
{
	const char	*suffix = "test/portal/test_msgview.c";
	size_t		 len = strlen(__FILE__), slen = strlen(suffix);

	if (len < slen || strcmp(__FILE__ + len - slen, suffix) != 0) {
		fprintf(stderr, "cannot locate the corpus from %s\n",
		    __FILE__);
		exit(1);
	}
	snprintf(corpus_buf, sizeof(corpus_buf),
	    "%.*s../shared/corpus/mime-samples", (int)(len - slen), __FILE__);
}
#endif

static char *
slurp(const char *name, size_t *len)
{
	char	 path[1200];
	gchar	*buf;
	gsize	 n;

	snprintf(path, sizeof(path), "%s/%s", corpus_dir, name);
	if (!g_file_get_contents(path, &buf, &n, NULL))
		fail_msg("%s: cannot read", path);
	*len = n;
	return buf;
}

static int
utf8_ok(const char *s)
{
	return s != NULL && g_utf8_validate(s, -1, NULL);
}

/* What msgview_sanitize_filename promises. */
static void
check_filename(const char *name)
{
	const char	*p;

	assert_true(utf8_ok(name));
	assert_true(strlen(name) > 0 && strlen(name) <= MSGVIEW_FILENAME_MAX);
	assert_true(name[0] != '.' && name[0] != ' ');
	for (p = name; *p != '\0'; p++) {
		assert_false((unsigned char)*p < 0x20 || *p == 0x7f);
		assert_null(strchr("/\\<>:\"|?*", *p));
	}
}

/*
 * Parse raw, check the invariants of the view, fetch every part and
 * compare with what the view says; returns the parse result.
 */
static int
check_view(const void *raw, size_t len, struct msgview *v)
{
	uint8_t		*data;
	size_t		 dlen, i;
	char		*type, *name;
	unsigned	 n;
	int		 rc;

	if ((rc = msgview_parse(raw, len, v)) == -1) {
		assert_null(v->parts);
		assert_null(v->from);
		return -1;
	}
	assert_true(utf8_ok(v->from) && utf8_ok(v->to) && utf8_ok(v->cc) &&
	    utf8_ok(v->date) && utf8_ok(v->subject));
	assert_true(v->text_body == NULL || utf8_ok(v->text_body));
	assert_true(v->html_body == NULL || utf8_ok(v->html_body));
	for (i = 0; i < v->nparts; i++) {
		assert_int_equal(v->parts[i].index, i + 1);
		check_filename(v->parts[i].filename);
		assert_non_null(strchr(v->parts[i].content_type, '/'));
		assert_int_equal(msgview_part_content(raw, len,
		    (unsigned)(i + 1), &data, &dlen, &type, &name), 0);
		assert_int_equal(dlen, v->parts[i].size);
		assert_string_equal(name, v->parts[i].filename);
		assert_int_equal(strncmp(type, v->parts[i].content_type,
		    strlen(v->parts[i].content_type)), 0);
		if (v->parts[i].content_id != NULL) {
			assert_int_equal(msgview_find_cid(v,
			    v->parts[i].content_id, &n), 0);
			assert_true(n <= v->parts[i].index);
		}
		free(data);
		free(type);
		free(name);
	}
	assert_int_equal(msgview_part_content(raw, len, 0, &data, &dlen,
	    &type, &name), -1);
	assert_null(data);
	assert_null(type);
	assert_null(name);
	assert_int_equal(msgview_part_content(raw, len,
	    (unsigned)v->nparts + 1, &data, &dlen, &type, &name), -1);
	assert_null(data);
	return 0;
}

static void
test_corpus_all(void **state)
{
	struct msgview	 v;
	DIR		*d;
	struct dirent	*de;
	char		*raw;
	size_t		 len;
	unsigned	 files = 0;

	(void)state;
	assert_non_null(d = opendir(corpus_dir));
	while ((de = readdir(d)) != NULL) {
		if (!g_str_has_suffix(de->d_name, ".txt"))
			continue;
		raw = slurp(de->d_name, &len);
		if (check_view(raw, len, &v) != 0)
			fail_msg("%s: parse failed", de->d_name);
		/* Every corpus message has a subject and a sender. */
		if (*v.subject == '\0' || *v.from == '\0')
			fail_msg("%s: no subject or from", de->d_name);
		msgview_clear(&v);
		g_free(raw);
		files++;
	}
	closedir(d);
	assert_true(files >= 70);
}

struct expect {
	const char	*file;
	const char	*subject;
	const char	*from;
	const char	*to;
	size_t		 nparts;
	const char	*text;		/* phrase in text_body; NULL: none */
	const char	*html;		/* phrase in html_body; NULL: none */
	const char	*attachments;	/* file names, '|'-separated */
	const char	*inline_cids;	/* inline image Content-IDs */
};

static const struct expect corpus_cases[] = {
	{ "m0001.txt",
	  "Die Hasen und die Fr\xc3\xb6sche (Microsoft Outlook 00)",
	  "Doug Sauder <doug@example.com>",
	  "J\xc3\xbcrgen Schm\xc3\xbcrgen <schmuergen@example.com>",
	  1, "Die Hasen klagten einst \xc3\xbc" "ber ihre mi\xc3\x9fliche Lage",
	  NULL, "", "" },
	{ "m0011.txt", "Test message from Microsoft Outlook 00",
	  "Doug Sauder <doug@example.com>",
	  "Heinz M\xc3\xbcller <mueller@example.com>",
	  4, "The Hare and the Tortoise", NULL,
	  "blueball.png|greenball.png|redball.png", "" },
	{ "m0014.txt", "Test message from Microsoft Outlook 00",
	  "Doug Sauder <doug@example.com>", "Joe Blow <jblow@example.com>",
	  2, "Slow but steady wins the race", "The Hare and the Tortoise",
	  "", "" },
	{ "m1005.txt",
	  "Die Hasen und die Fr\xc3\xb6sche (Netscape Messenger 4.7)",
	  "Doug Sauder <dwsauder@example.com>",
	  "Heinz M\xc3\xbcller <mueller@example.com>",
	  6, "Die Hasen und die Fr\xc3\xb6sche",
	  "cid:part1.39235FC5.E71D8178@example.com",
	  "redball.png|greenball.png",
	  "part1.39235FC5.E71D8178@example.com|"
	  "part2.39235FC5.E71D8178@example.com" },
	{ "m1015.txt", "Test message from Netscape Communicator 4.7",
	  "Doug Sauder <dwsauder@example.com>", "Joe Blow <blow@example.com>",
	  2, "The Hare and the Tortoise", NULL,
	  "HasenundFr\xc3\xb6sche.txt", "" },
	{ "m3001.txt", "Test message from PINE",
	  "Doug Sauder <doug@penguin.example.com>",
	  "Joe Blow <blow@example.com>",
	  3, "This is a test message from PINE MUA.", NULL,
	  "redball.png|blueball.png", "" },
	{ "m4007.txt", "Test multipart-digest",
	  "Test Sender <sender@email.test>",
	  "Test Recipient <recipient@email.test>",
	  1, NULL, NULL, "attachment-1", "" },
	{ "invalid-charset.txt", "Test invalid charset",
	  "Doug Sauder <doug@example.com>",
	  "J\xc3\xbcrgen Schm\xc3\xbcrgen <schmuergen@example.com>",
	  1, "Slow but steady wins the race.", NULL, "", "" },
};

/* The '|'-separated names of the parts with flag set, in order. */
static void
collect(const struct msgview *v, int inline_cids, char *out, size_t outlen)
{
	size_t	i;

	*out = '\0';
	for (i = 0; i < v->nparts; i++) {
		const struct msgview_part *p = &v->parts[i];

		if (inline_cids ? !(p->is_inline_image && p->content_id) :
		    !p->is_attachment)
			continue;
		if (*out != '\0')
			g_strlcat(out, "|", outlen);
		g_strlcat(out, inline_cids ? p->content_id : p->filename,
		    outlen);
	}
}

static void
test_corpus_expectations(void **state)
{
	struct msgview	 v;
	char		*raw, got[1024];
	size_t		 len, i;
	unsigned	 n;

	(void)state;
	for (i = 0; i < sizeof(corpus_cases) / sizeof(corpus_cases[0]); i++) {
		const struct expect *e = &corpus_cases[i];

		raw = slurp(e->file, &len);
		assert_int_equal(check_view(raw, len, &v), 0);
		if (strcmp(v.subject, e->subject) != 0 ||
		    strcmp(v.from, e->from) != 0 || strcmp(v.to, e->to) != 0)
			fail_msg("%s: subject [%s] from [%s] to [%s]", e->file,
			    v.subject, v.from, v.to);
		if (v.nparts != e->nparts)
			fail_msg("%s: %zu parts", e->file, v.nparts);
		if (e->text == NULL ? v.text_body != NULL :
		    v.text_body == NULL || strstr(v.text_body, e->text) == NULL)
			fail_msg("%s: text body [%.80s]", e->file,
			    v.text_body ? v.text_body : "(none)");
		if (e->html == NULL ? v.html_body != NULL :
		    v.html_body == NULL || strstr(v.html_body, e->html) == NULL)
			fail_msg("%s: html body", e->file);
		collect(&v, 0, got, sizeof(got));
		if (strcmp(got, e->attachments) != 0)
			fail_msg("%s: attachments [%s]", e->file, got);
		collect(&v, 1, got, sizeof(got));
		if (strcmp(got, e->inline_cids) != 0)
			fail_msg("%s: inline images [%s]", e->file, got);
		msgview_clear(&v);
		g_free(raw);
	}

	/* cid: references as they appear in the HTML of m1005. */
	raw = slurp("m1005.txt", &len);
	assert_int_equal(msgview_parse(raw, len, &v), 0);
	assert_int_equal(msgview_find_cid(&v,
	    "cid:part2.39235FC5.E71D8178@example.com", &n), 0);
	assert_int_equal(n, 4);
	assert_string_equal(v.parts[n - 1].content_type, "image/png");
	assert_int_equal(msgview_find_cid(&v,
	    "<part1.39235FC5.E71D8178@example.com>", &n), 0);
	assert_int_equal(n, 3);
	assert_int_equal(msgview_find_cid(&v,
	    "CID:part1%2E39235FC5.E71D8178%40EXAMPLE.COM", &n), 0);
	assert_int_equal(n, 3);
	assert_int_equal(msgview_find_cid(&v, "cid:nope@example.com", &n), -1);
	assert_int_equal(msgview_find_cid(&v, "cid:", &n), -1);
	assert_int_equal(msgview_find_cid(&v, "", &n), -1);
	msgview_clear(&v);
	g_free(raw);
}

/* A corpus PNG: part content is the decoded image, not the base64. */
static void
test_corpus_png(void **state)
{
	uint8_t		*data;
	size_t		 len, dlen;
	char		*raw, *type, *name;

	(void)state;
	raw = slurp("m0011.txt", &len);
	assert_int_equal(msgview_part_content(raw, len, 2, &data, &dlen,
	    &type, &name), 0);
	assert_string_equal(type, "image/png");
	assert_string_equal(name, "blueball.png");
	assert_int_equal(dlen, 1325);
	assert_memory_equal(data, "\x89PNG\r\n\x1a\n", 8);
	assert_memory_equal(data + dlen - 8, "IEND\xae\x42\x60\x82", 8);
	free(data);
	free(type);
	free(name);
	g_free(raw);
}

/* A multipart/mixed message around a body and an encoded attachment. */
static char *
build_message(const char *body_headers, const char *body,
    const char *att_headers, const char *att_body)
{
	return g_strdup_printf(
	    "From: a@example.com\r\n"
	    "To: b@example.com\r\n"
	    "Subject: built\r\n"
	    "MIME-Version: 1.0\r\n"
	    "Content-Type: multipart/mixed; boundary=\"BOUND\"\r\n"
	    "\r\n"
	    "--BOUND\r\n%s\r\n%s\r\n"
	    "--BOUND\r\n%s\r\n%s\r\n"
	    "--BOUND--\r\n", body_headers, body, att_headers, att_body);
}

static void
test_part_content_base64(void **state)
{
	struct msgview	 v;
	uint8_t		 bin[3001], *data;
	char		*b64, *wrapped, *msg, *type, *name;
	size_t		 i, j, dlen;
	GString		*g;

	(void)state;
	for (i = 0; i < sizeof(bin); i++)
		bin[i] = (uint8_t)(i * 7 + (i >> 8));
	b64 = g_base64_encode(bin, sizeof(bin));
	g = g_string_new(NULL);
	for (j = 0; j < strlen(b64); j += 76) {
		g_string_append_len(g, b64 + j, strlen(b64 + j) < 76 ?
		    (gssize)strlen(b64 + j) : 76);
		g_string_append(g, "\r\n");
	}
	wrapped = g_string_free(g, FALSE);
	msg = build_message("Content-Type: text/plain; charset=us-ascii\r\n",
	    "see attached",
	    "Content-Type: application/pdf; name=\"x.pdf\"\r\n"
	    "Content-Transfer-Encoding: base64\r\n"
	    "Content-Disposition: attachment; filename=\"../../x.pdf\"\r\n",
	    wrapped);

	assert_int_equal(check_view(msg, strlen(msg), &v), 0);
	assert_int_equal(v.nparts, 2);
	assert_string_equal(v.text_body, "see attached");
	assert_int_equal(v.parts[1].size, sizeof(bin));
	assert_int_equal(v.parts[1].is_attachment, 1);
	assert_int_equal(v.parts[0].is_attachment, 0);
	msgview_clear(&v);

	assert_int_equal(msgview_part_content(msg, strlen(msg), 2, &data,
	    &dlen, &type, &name), 0);
	assert_int_equal(dlen, sizeof(bin));
	assert_memory_equal(data, bin, sizeof(bin));
	assert_string_equal(type, "application/pdf");
	assert_string_equal(name, "x.pdf");
	free(data);
	free(type);
	free(name);

	/* A text part comes out in its own charset, labelled with it. */
	assert_int_equal(msgview_part_content(msg, strlen(msg), 1, &data,
	    &dlen, &type, &name), 0);
	assert_int_equal(dlen, 12);
	assert_memory_equal(data, "see attached", 12);
	assert_string_equal(type, "text/plain; charset=us-ascii");
	assert_string_equal(name, "attachment-1");
	free(data);
	free(type);
	free(name);
	g_free(msg);
	g_free(wrapped);
	g_free(b64);
}

static void
test_charsets(void **state)
{
	static const struct {
		const char	*label;
		const char	*headers;
		const char	*body;
		const char	*want;		/* the whole text_body */
	} cases[] = {
		{ "latin1 quoted-printable",
		  "Content-Type: text/plain; charset=iso-8859-1\r\n"
		  "Content-Transfer-Encoding: quoted-printable\r\n",
		  "M=FCller =3D 1", "M\xc3\xbcller = 1" },
		{ "windows-1252 euro",
		  "Content-Type: text/plain; charset=windows-1252\r\n"
		  "Content-Transfer-Encoding: 8bit\r\n",
		  "\x80 5", "\xe2\x82\xac 5" },
		{ "utf-8 base64",
		  "Content-Type: text/plain; charset=utf-8\r\n"
		  "Content-Transfer-Encoding: base64\r\n",
		  "4oKsIGV1cm8=", "\xe2\x82\xac euro" },
		{ "utf-8 declared, latin1 sent",
		  "Content-Type: text/plain; charset=utf-8\r\n"
		  "Content-Transfer-Encoding: 8bit\r\n",
		  "M\xfcller", "M\xc3\xbcller" },
		{ "unknown charset, ASCII",
		  "Content-Type: text/plain; charset=x-no-such-charset\r\n",
		  "just ascii", "just ascii" },
		{ "no charset, UTF-8 sent",
		  "Content-Type: text/plain\r\n"
		  "Content-Transfer-Encoding: 8bit\r\n",
		  "\xc3\xa9t\xc3\xa9", "\xc3\xa9t\xc3\xa9" },
		{ "shift_jis",
		  "Content-Type: text/plain; charset=shift_jis\r\n"
		  "Content-Transfer-Encoding: base64\r\n",
		  "k/qWe4zq", "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e" },
		{ "invalid sequence in shift_jis replaced",
		  "Content-Type: text/plain; charset=shift_jis\r\n"
		  "Content-Transfer-Encoding: base64\r\n",
		  "Yf9h", "a\xef\xbf\xbd" "a" },
		{ "shift_jis cut short",
		  "Content-Type: text/plain; charset=shift_jis\r\n"
		  "Content-Transfer-Encoding: base64\r\n",
		  "YZM=", "a\xef\xbf\xbd" },
		{ "NUL does not cut the text",
		  "Content-Type: text/plain; charset=utf-8\r\n"
		  "Content-Transfer-Encoding: base64\r\n",
		  "YQBi", "a\xef\xbf\xbd" "b" },
		{ "NUL in latin1",
		  "Content-Type: text/plain; charset=iso-8859-1\r\n"
		  "Content-Transfer-Encoding: base64\r\n",
		  "YQBi", "a\xef\xbf\xbd" "b" },
		{ "NUL in unlabelled 8-bit",
		  "Content-Type: text/plain\r\n"
		  "Content-Transfer-Encoding: base64\r\n",
		  "6QDp", "\xc3\xa9\xef\xbf\xbd\xc3\xa9" },
	};
	struct msgview	 v;
	char		*msg;
	size_t		 i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		msg = build_message(cases[i].headers, cases[i].body,
		    "Content-Type: text/plain\r\n", "second");
		assert_int_equal(check_view(msg, strlen(msg), &v), 0);
		if (v.text_body == NULL ||
		    strcmp(v.text_body, cases[i].want) != 0)
			fail_msg("%s: got [%s]", cases[i].label,
			    v.text_body ? v.text_body : "(none)");
		/* A second inline text part is offered for download. */
		assert_int_equal(v.parts[1].is_attachment, 1);
		msgview_clear(&v);
		g_free(msg);
	}
}

static void
test_sanitize_filename(void **state)
{
	static const struct {
		const char	*label;
		const char	*in;
		unsigned	 n;
		const char	*want;
	} cases[] = {
		{ "plain", "report.pdf", 1, "report.pdf" },
		{ "unix traversal", "../../etc/passwd", 2, "passwd" },
		{ "windows path", "C:\\Users\\x\\evil.exe", 1, "evil.exe" },
		{ "CR LF", "a\r\nb.pdf", 1, "ab.pdf" },
		{ "other controls", "a\x01\tb\x7f.txt", 1, "ab.txt" },
		{ "C1 control", "a\xc2\x85" "b.txt", 1, "ab.txt" },
		{ "empty", "", 3, "attachment-3" },
		{ "NULL", NULL, 4, "attachment-4" },
		{ "dots only", "...", 5, "attachment-5" },
		{ "directory", "dir/", 6, "attachment-6" },
		{ "hidden", ".htaccess", 1, "htaccess" },
		{ "dots and spaces", " .. report.pdf. ", 1, "report.pdf" },
		{ "reserved", "what?<a>:\"b\"|*.txt", 1, "what__a___b___.txt" },
		{ "RLO spoof", "invoice\xe2\x80\xaegpj.exe", 1,
		  "invoicegpj.exe" },
		{ "invalid UTF-8", "\xff.txt", 1, "\xef\xbf\xbd.txt" },
		{ "UTF-8 kept", "Fr\xc3\xb6sche.txt", 1,
		  "Fr\xc3\xb6sche.txt" },
		{ "traversal to nothing", "../..", 9, "attachment-9" },
	};
	char		*s;
	size_t		 i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_non_null(s = msgview_sanitize_filename(cases[i].in,
		    cases[i].n));
		if (strcmp(s, cases[i].want) != 0)
			fail_msg("%s: got [%s]", cases[i].label, s);
		check_filename(s);
		free(s);
	}
}

static void
test_sanitize_long(void **state)
{
	static const struct {
		const char	*label;
		const char	*unit;		/* repeated */
		unsigned	 count;
		const char	*tail;
		size_t		 want_len;
		const char	*want_end;
	} cases[] = {
		{ "ASCII, extension kept", "a", 300, ".pdf", 200, "aaa.pdf" },
		{ "2-byte chars, extension kept", "\xc3\xa9", 300, ".pdf", 200,
		  "\xc3\xa9.pdf" },
		/* 196 bytes of stem is 65 whole 3-byte characters. */
		{ "3-byte chars, extension kept", "\xe2\x82\xac", 100, ".pdf",
		  199, "\xe2\x82\xac.pdf" },
		{ "3-byte chars, no extension", "\xe2\x82\xac", 100, "", 198,
		  "\xe2\x82\xac" },
		{ "4-byte chars", "\xf0\x9f\x93\x8e", 80, ".x", 198,
		  "\xf0\x9f\x93\x8e.x" },
		{ "extension too long to keep", "b", 250,
		  ".averyveryverylongextension", 200, "bbb" },
		{ "exactly the limit", "c", 196, ".txt", 200, "c.txt" },
	};
	GString		*g;
	char		*s;
	size_t		 i;
	unsigned	 k;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		g = g_string_new(NULL);
		for (k = 0; k < cases[i].count; k++)
			g_string_append(g, cases[i].unit);
		g_string_append(g, cases[i].tail);
		assert_non_null(s = msgview_sanitize_filename(g->str, 1));
		if (strlen(s) != cases[i].want_len ||
		    !g_str_has_suffix(s, cases[i].want_end))
			fail_msg("%s: %zu bytes [%s]", cases[i].label,
			    strlen(s), s);
		check_filename(s);
		free(s);
		g_string_free(g, TRUE);
	}
}

/* Input that is barely or not at all a message: no crash, no lie. */
static void
test_malformed(void **state)
{
	static const char *const cases[] = {
		"",
		"\r\n",
		"no colon here at all",
		"Subject: only headers",
		"Subject: x\r\nContent-Type: multipart/mixed\r\n\r\n"
		"no boundary",
		"Subject: x\r\nContent-Type: multipart/mixed; boundary=b\r\n"
		"\r\n--b\r\nContent-Type: text/plain\r\n\r\nunterminated",
		"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b--\r\n",
		"Content-Type: text/plain; charset=\"\r\n\r\nbody",
		"Content-Type: /\r\n\r\nbody",
		"Content-Type: image/png\r\n"
		"Content-Transfer-Encoding: base64\r\n\r\n"
		"!!!!not base64@@@@\r\n",
		"Content-Type: text/plain\r\nContent-Transfer-Encoding: "
		"quoted-printable\r\n\r\n=ZZ=\r\n=4",
		"Content-Type: message/rfc822\r\n\r\n",
		"Content-Type: application/octet-stream; name=\"\"\r\n"
		"Content-Disposition: attachment; "
		"filename*=UTF-8''%2e%2e%2f%00x\r\n\r\ndata",
		"Subject: =?UTF-8?B?////?= =?x?Q?=FF?=\r\nFrom: <<<>>>\r\n\r\n",
		"From: \"unterminated <a@b\r\nTo: ,,,\r\nCc: @\r\n\r\n",
	};
	struct msgview	 v;
	size_t		 i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		(void)check_view(cases[i], strlen(cases[i]), &v);
		msgview_clear(&v);
	}
	msgview_clear(NULL);
}

/* Deep nesting: shown down to the walker's bound, never recursing away. */
static void
test_deep_nesting(void **state)
{
	static const struct {
		unsigned	 depth;
		size_t		 nparts;
	} cases[] = {
		{ 1, 1 },
		{ 500, 1 },
		{ 1000, 1 },	/* MSGVIEW_MAX_DEPTH nested multiparts */
		{ 1001, 0 },
		{ 3000, 0 },
	};
	struct msgview	 v;
	GString		*g;
	size_t		 c;
	unsigned	 i;

	(void)state;
	for (c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		g = g_string_new("Subject: deep\r\n");
		for (i = 0; i < cases[c].depth; i++)
			g_string_append_printf(g, "Content-Type: "
			    "multipart/mixed; boundary=b%u\r\n\r\n--b%u\r\n",
			    i, i);
		g_string_append(g, "Content-Type: text/plain\r\n\r\n"
		    "bottom\r\n");
		for (i = cases[c].depth; i-- > 0;)
			g_string_append_printf(g, "--b%u--\r\n", i);
		assert_int_equal(check_view(g->str, g->len, &v), 0);
		assert_string_equal(v.subject, "deep");
		if (v.nparts != cases[c].nparts)
			fail_msg("depth %u: %zu parts", cases[c].depth,
			    v.nparts);
		if (v.nparts == 1)
			assert_string_equal(v.text_body, "bottom");
		msgview_clear(&v);
		g_string_free(g, TRUE);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_corpus_all),
		cmocka_unit_test(test_corpus_expectations),
		cmocka_unit_test(test_corpus_png),
		cmocka_unit_test(test_part_content_base64),
		cmocka_unit_test(test_charsets),
		cmocka_unit_test(test_sanitize_filename),
		cmocka_unit_test(test_sanitize_long),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_deep_nesting),
	};

#ifndef CORPUS_DIR
	corpus_init();
#endif
	g_mime_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
