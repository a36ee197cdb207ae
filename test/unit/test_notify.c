/*
 * notify_build with the shipped templates, parsed back with GMime;
 * notify_check_templates; templates loaded once (notify_build_from);
 * notify_format_size.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <gmime/gmime.h>

#include "notify.h"

#define TEMPLATES	SOURCE_DIR "/conf/templates"

/* The subject is Résumé – 日本語, to see UTF-8 survive. */
#define UTF8_SUBJECT	"R\xc3\xa9sum\xc3\xa9 \xe2\x80\x93 " \
			"\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e"

static const struct notify_info base_info = {
	.sender = "Alice Example <alice@example.com>",
	.subject = "Quarterly figures",
	.date = "Tue, 2 Jan 2024 10:30:00 +0100",
	.size = 1572864,
	.attachments = 3,
	.link = "https://portal.example.com/m/q3Zx_9-abcdefghijklmn",
	.portal_url = "https://portal.example.com",
};

struct parsed {
	GMimeMessage	*msg;
	char		*text;	/* decoded text/plain, UTF-8 */
	char		*html;	/* decoded text/html, UTF-8 */
};

static void
parsed_clear(struct parsed *p)
{
	if (p->msg != NULL)
		g_object_unref(p->msg);
	g_free(p->text);
	g_free(p->html);
	memset(p, 0, sizeof(*p));
}

/* The body must stand as the body of a message under these two headers. */
static void
check_part(GMimeObject *obj, const char *subtype, char **text)
{
	GMimeContentType	*ct;
	const char		*charset;

	ct = g_mime_object_get_content_type(obj);
	assert_non_null(ct);
	assert_true(g_mime_content_type_is_type(ct, "text", subtype));
	charset = g_mime_object_get_content_type_parameter(obj, "charset");
	assert_non_null(charset);
	assert_string_equal(charset, "utf-8");
	assert_true(GMIME_IS_TEXT_PART(obj));
	assert_int_equal(g_mime_part_get_content_encoding(GMIME_PART(obj)),
	    GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE);
	*text = g_mime_text_part_get_text(GMIME_TEXT_PART(obj));
	assert_non_null(*text);
	assert_true(g_utf8_validate(*text, -1, NULL));
}

static void
parse_back(const struct notify_body *b, struct parsed *p)
{
	GMimeStream	*stream;
	GMimeParser	*parser;
	GMimeObject	*root;
	char		*raw;

	memset(p, 0, sizeof(*p));
	raw = g_strdup_printf("MIME-Version: 1.0\r\nContent-Type: %s\r\n\r\n%s",
	    b->content_type, b->body);
	stream = g_mime_stream_mem_new_with_buffer(raw, strlen(raw));
	parser = g_mime_parser_new_with_stream(stream);
	p->msg = g_mime_parser_construct_message(parser, NULL);
	g_object_unref(parser);
	g_object_unref(stream);
	g_free(raw);
	assert_non_null(p->msg);

	root = g_mime_message_get_mime_part(p->msg);
	assert_non_null(root);
	assert_true(GMIME_IS_MULTIPART(root));
	assert_true(g_mime_content_type_is_type(
	    g_mime_object_get_content_type(root), "multipart", "alternative"));
	assert_int_equal(g_mime_multipart_get_count(GMIME_MULTIPART(root)), 2);
	check_part(g_mime_multipart_get_part(GMIME_MULTIPART(root), 0),
	    "plain", &p->text);
	check_part(g_mime_multipart_get_part(GMIME_MULTIPART(root), 1),
	    "html", &p->html);
}

static void
assert_contains(const char *hay, const char *needle)
{
	if (strstr(hay, needle) == NULL)
		fail_msg("\"%s\" not found", needle);
}

static void
assert_lacks(const char *hay, const char *needle)
{
	if (strstr(hay, needle) != NULL)
		fail_msg("\"%s\" found", needle);
}

/* CRLF throughout, 7-bit, short lines: safe for any SMTP hop. */
static void
check_wire_form(const struct notify_body *b)
{
	size_t	i, col = 0;

	assert_int_equal(b->bodylen, strlen(b->body));
	assert_true(b->bodylen > 2);
	for (i = 0; i < b->bodylen; i++) {
		unsigned char c = b->body[i];

		if (c >= 0x80)
			fail_msg("8-bit byte at %zu", i);
		if (c == '\n') {
			if (i == 0 || b->body[i - 1] != '\r')
				fail_msg("bare LF at %zu", i);
			col = 0;
			continue;
		}
		if (c == '\r' && b->body[i + 1] != '\n')
			fail_msg("bare CR at %zu", i);
		if (c != '\r' && ++col > 78)
			fail_msg("line longer than 78 at %zu", i);
	}
	assert_memory_equal(b->body + b->bodylen - 2, "\r\n", 2);
}

static void
test_build_parse_back(void **state)
{
	struct notify_body	 b;
	struct parsed		 p;
	const char		*boundary;
	char			 err[512], delim[128];

	err[0] = '\0';
	if (notify_build(TEMPLATES, &base_info, &b, err, sizeof(err)) != 0)
		fail_msg("notify_build: %s", err);
	assert_non_null(b.content_type);
	assert_non_null(b.body);

	/* The Content-Type carries the boundary the body uses. */
	assert_int_equal(strncmp(b.content_type,
	    "multipart/alternative; boundary=\"", 33), 0);
	boundary = b.content_type + 33;
	snprintf(delim, sizeof(delim), "--%.*s--", (int)strcspn(boundary, "\""),
	    boundary);
	assert_contains(b.body, delim);
	/* Only the body: no top-level headers. */
	assert_lacks(b.body, "MIME-Version");
	assert_lacks(b.body, "multipart/alternative");
	assert_contains(b.body, "Content-Transfer-Encoding: quoted-printable");
	check_wire_form(&b);

	parse_back(&b, &p);
	assert_contains(p.text, "You have received a secure message");
	assert_contains(p.text, base_info.sender);
	assert_contains(p.text, base_info.subject);
	assert_contains(p.text, base_info.date);
	assert_contains(p.text, base_info.link);
	assert_contains(p.text, "1.5 MB");
	assert_contains(p.text, "Attachments:  3");
	assert_contains(p.text, "https://portal.example.com/register");
	assert_contains(p.text, "do not reach anyone");
	/* The footer: how to stop these. */
	assert_contains(p.text, "To stop receiving secure messages and these "
	    "notices, unsubscribe:");
	assert_contains(p.text, "https://portal.example.com/unsubscribe");

	assert_contains(p.html, "You have received a secure message");
	assert_contains(p.html, "Alice Example &lt;alice@example.com&gt;");
	assert_contains(p.html, base_info.subject);
	assert_contains(p.html, "href=\"https://portal.example.com/m/"
	    "q3Zx_9-abcdefghijklmn\"");
	assert_contains(p.html, "href=\"https://portal.example.com/register\"");
	assert_contains(p.html, "href=\"https://portal.example.com/"
	    "unsubscribe\"");
	assert_contains(p.html, "To stop receiving secure messages and these "
	    "notices");
	assert_contains(p.html, "1.5 MB");
	/* No script, no external resources. */
	assert_lacks(p.html, "<script");
	assert_lacks(p.html, "<img");
	assert_lacks(p.html, "src=");
	assert_lacks(p.html, "<link");

	parsed_clear(&p);
	notify_body_clear(&b);
	assert_null(b.body);
	assert_null(b.content_type);
	notify_body_clear(&b);
	notify_body_clear(NULL);
}

static void
test_build_html_escaped(void **state)
{
	struct notify_info	 info = base_info;
	struct notify_body	 b;
	struct parsed		 p;
	char			 err[512];

	info.subject = "<script>alert(1)</script>";
	info.sender = "Tom & \"Jerry\" <o'brien@example.com>";
	if (notify_build(TEMPLATES, &info, &b, err, sizeof(err)) != 0)
		fail_msg("notify_build: %s", err);
	parse_back(&b, &p);

	assert_contains(p.html, "&lt;script&gt;alert(1)&lt;/script&gt;");
	assert_lacks(p.html, "<script");
	assert_contains(p.html,
	    "Tom &amp; &quot;Jerry&quot; &lt;o&#39;brien@example.com&gt;");
	assert_lacks(p.html, "\"Jerry\"");

	/* The text part is not HTML: the same strings appear as they are. */
	assert_contains(p.text, "<script>alert(1)</script>");
	assert_contains(p.text, "Tom & \"Jerry\" <o'brien@example.com>");

	parsed_clear(&p);
	notify_body_clear(&b);
}

static void
test_build_utf8(void **state)
{
	struct notify_info	 info = base_info;
	struct notify_body	 b;
	struct parsed		 p;
	char			 err[512];

	info.subject = UTF8_SUBJECT;
	info.sender = "J\xc3\xbcrgen M\xc3\xbcller <jm@example.de>";
	if (notify_build(TEMPLATES, &info, &b, err, sizeof(err)) != 0)
		fail_msg("notify_build: %s", err);
	check_wire_form(&b);
	parse_back(&b, &p);
	assert_contains(p.text, UTF8_SUBJECT);
	assert_contains(p.html, UTF8_SUBJECT);
	assert_contains(p.text, "J\xc3\xbcrgen M\xc3\xbcller");
	parsed_clear(&p);
	notify_body_clear(&b);
}

/* Values cannot add lines, nor bring invalid UTF-8 into a utf-8 part. */
static void
test_build_values_cleaned(void **state)
{
	struct notify_info	 info = base_info;
	struct notify_body	 b;
	struct parsed		 p;
	char			 err[512];

	info.subject = "Hi\r\nClick: https://evil.example/\x01";
	info.sender = "bad \xff utf8";
	info.date = NULL;
	if (notify_build(TEMPLATES, &info, &b, err, sizeof(err)) != 0)
		fail_msg("notify_build: %s", err);
	check_wire_form(&b);
	parse_back(&b, &p);
	assert_contains(p.text, "Hi  Click: https://evil.example/ ");
	assert_lacks(p.text, "\nClick");
	assert_contains(p.text, "bad \xef\xbf\xbd utf8");
	assert_contains(p.html, "bad \xef\xbf\xbd utf8");
	parsed_clear(&p);
	notify_body_clear(&b);
}

static void
test_build_long_values(void **state)
{
	struct notify_info	 info = base_info;
	struct notify_body	 b;
	struct parsed		 p;
	char			 err[512], subject[1001];

	memset(subject, 'x', sizeof(subject) - 1);
	subject[sizeof(subject) - 1] = '\0';
	info.subject = subject;
	info.portal_url = "https://portal.example.com/";	/* no "//" */
	if (notify_build(TEMPLATES, &info, &b, err, sizeof(err)) != 0)
		fail_msg("notify_build: %s", err);
	check_wire_form(&b);
	parse_back(&b, &p);
	assert_contains(p.text, subject);
	assert_contains(p.html, subject);
	assert_contains(p.text, "https://portal.example.com/register");
	assert_lacks(p.text, "//register");
	assert_contains(p.text, "https://portal.example.com/unsubscribe");
	assert_lacks(p.text, "//unsubscribe");
	assert_contains(p.html, "href=\"https://portal.example.com/"
	    "unsubscribe\"");
	parsed_clear(&p);
	notify_body_clear(&b);
}

static char tmpdir[64];

static void
write_template(const char *name, const char *data)
{
	char	 path[256];
	FILE	*fp;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	fp = fopen(path, "w");
	assert_non_null(fp);
	assert_int_equal(fputs(data, fp) >= 0, 1);
	assert_int_equal(fclose(fp), 0);
}

static int
setup_dir(void **state)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_notify.XXXXXX");
	return mkdtemp(tmpdir) == NULL ? -1 : 0;
}

static int
teardown_dir(void **state)
{
	char	path[256];

	snprintf(path, sizeof(path), "%s/notification.txt", tmpdir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/notification.html", tmpdir);
	unlink(path);
	return rmdir(tmpdir);
}

static void
test_check_templates(void **state)
{
	struct notify_body	 b;
	char			 err[512];

	err[0] = '\0';
	if (notify_check_templates(TEMPLATES, err, sizeof(err)) != 0)
		fail_msg("shipped templates: %s", err);

	/* Every variable, with spaces, CRLF line ends: fine. */
	write_template("notification.txt", "{{sender}} {{ subject }} {{date}}"
	    " {{size}} {{attachments}} {{link}} {{portal_url}}"
	    " {{register_link}} {{unsubscribe_link}}\r\n");
	write_template("notification.html", "<p>{{subject}}</p>\n");
	assert_int_equal(notify_check_templates(tmpdir, err, sizeof(err)), 0);
	assert_int_equal(notify_build(tmpdir, &base_info, &b, err,
	    sizeof(err)), 0);
	check_wire_form(&b);
	notify_body_clear(&b);

	/* An unknown placeholder in either file is named with the file. */
	write_template("notification.html", "<p>{{recipient}}</p>\n");
	assert_int_equal(notify_check_templates(tmpdir, err, sizeof(err)), -1);
	assert_contains(err, "notification.html");
	assert_contains(err, "{{recipient}}");
	memset(&b, 0xa5, sizeof(b));
	assert_int_equal(notify_build(tmpdir, &base_info, &b, err,
	    sizeof(err)), -1);
	assert_null(b.body);
	assert_null(b.content_type);
	notify_body_clear(&b);

	write_template("notification.html", "<p>ok</p>\n");
	write_template("notification.txt", "Dear {{name}},\n");
	assert_int_equal(notify_check_templates(tmpdir, err, sizeof(err)), -1);
	assert_contains(err, "notification.txt");
	assert_contains(err, "unknown placeholder {{name}}");

	write_template("notification.txt", "Subject: {{subject\n");
	assert_int_equal(notify_check_templates(tmpdir, err, sizeof(err)), -1);
	assert_contains(err, "unterminated");

	/* Latin-1 saved by mistake: the parts say utf-8, so refuse it. */
	write_template("notification.txt", "Caf\xe9 {{sender}}\n");
	assert_int_equal(notify_check_templates(tmpdir, err, sizeof(err)), -1);
	assert_contains(err, "not valid UTF-8");

	assert_int_equal(notify_check_templates("/nonexistent/templates", err,
	    sizeof(err)), -1);
	assert_contains(err, "notification.txt");
}

/* Loaded once, built from memory: the files are not read again. */
static void
test_templates_loaded(void **state)
{
	struct notify_templates	*t = NULL;
	struct notify_body	 b;
	struct parsed		 p;
	char			 err[512], path[256];
	int			 i;

	notify_templates_free(NULL);

	write_template("notification.txt", "Loaded {{subject}} {{link}}\n");
	write_template("notification.html", "<p>Loaded {{subject}}</p>\n");
	err[0] = '\0';
	if (notify_templates_load(tmpdir, &t, err, sizeof(err)) != 0)
		fail_msg("notify_templates_load: %s", err);
	assert_non_null(t);

	/* Changed, then gone: what was loaded is used all the same. */
	write_template("notification.txt", "Changed {{subject}}\n");
	for (i = 0; i < 2; i++) {
		if (notify_build_from(t, &base_info, &b, err,
		    sizeof(err)) != 0)
			fail_msg("notify_build_from: %s", err);
		check_wire_form(&b);
		parse_back(&b, &p);
		assert_contains(p.text, "Loaded Quarterly figures");
		assert_contains(p.text, base_info.link);
		assert_lacks(p.text, "Changed");
		assert_contains(p.html, "<p>Loaded Quarterly figures</p>");
		parsed_clear(&p);
		notify_body_clear(&b);
		snprintf(path, sizeof(path), "%s/notification.txt", tmpdir);
		unlink(path);
		snprintf(path, sizeof(path), "%s/notification.html", tmpdir);
		unlink(path);
	}
	/* notify_build reads the files, which are gone now. */
	memset(&b, 0xa5, sizeof(b));
	assert_int_equal(notify_build(tmpdir, &base_info, &b, err,
	    sizeof(err)), -1);
	assert_null(b.body);
	assert_contains(err, "notification.txt");
	notify_templates_free(t);

	/* A bad template is refused at load, naming the file. */
	write_template("notification.txt", "{{subject}}\n");
	write_template("notification.html", "<p>{{recipient}}</p>\n");
	t = (struct notify_templates *)&b;	/* must be reset */
	assert_int_equal(notify_templates_load(tmpdir, &t, err, sizeof(err)),
	    -1);
	assert_null(t);
	assert_contains(err, "notification.html");
	assert_contains(err, "{{recipient}}");
	write_template("notification.html", "Caf\xe9\n");
	assert_int_equal(notify_templates_load(tmpdir, &t, err, sizeof(err)),
	    -1);
	assert_null(t);
	assert_contains(err, "not valid UTF-8");
	assert_int_equal(notify_templates_load("/nonexistent/templates", &t,
	    err, sizeof(err)), -1);
	assert_null(t);
	assert_contains(err, "notification.txt");
}

static void
test_format_size(void **state)
{
	static const struct {
		uint64_t	 size;
		const char	*want;
	} cases[] = {
		{ 0, "0 bytes" },
		{ 1, "1 byte" },
		{ 512, "512 bytes" },
		{ 1023, "1023 bytes" },
		{ 1024, "1 KB" },
		{ 1075, "1 KB" },		/* 1.049 */
		{ 1076, "1.1 KB" },		/* 1.051 */
		{ 1536, "1.5 KB" },
		{ 10188, "9.9 KB" },		/* 9.949 */
		{ 10189, "10 KB" },		/* 9.950 rounds up */
		{ 10240, "10 KB" },
		{ 12 * 1024 + 511, "12 KB" },
		{ 12 * 1024 + 512, "13 KB" },
		{ 1048575, "1 MB" },		/* not "1024 KB" */
		{ 1048576, "1 MB" },
		{ 1572864, "1.5 MB" },
		{ 12582912, "12 MB" },
		{ 1073741824ULL * 3 / 2, "1.5 GB" },
		{ 1099511627776ULL * 2, "2 TB" },
		{ 1125899906842624ULL * 5, "5 PB" },
		{ UINT64_MAX, "16384 PB" },
	};
	char	buf[32];
	size_t	i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		notify_format_size(cases[i].size, buf, sizeof(buf));
		if (strcmp(buf, cases[i].want) != 0)
			fail_msg("%llu: got \"%s\", want \"%s\"",
			    (unsigned long long)cases[i].size, buf,
			    cases[i].want);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_build_parse_back),
		cmocka_unit_test(test_build_html_escaped),
		cmocka_unit_test(test_build_utf8),
		cmocka_unit_test(test_build_values_cleaned),
		cmocka_unit_test(test_build_long_values),
		cmocka_unit_test(test_check_templates),
		cmocka_unit_test(test_templates_loaded),
		cmocka_unit_test(test_format_size),
	};
	int	rc;

	g_mime_init();
	rc = cmocka_run_group_tests(tests, setup_dir, teardown_dir);
	g_mime_shutdown();
	return rc;
}
