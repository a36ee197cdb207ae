/* template_render and template_read. */
#include <sys/stat.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "template.h"

static const struct template_var vars[] = {
	{ "sender",	"Alice <alice@example.com>" },
	{ "subject",	"<script>alert('x')</script> & \"q\"" },
	{ "empty",	"" },
	{ "null",	NULL },
	{ "bad_utf",	"a\xff" "b\xc3" },
	{ "utf_text",	"Gr\xc3\xbc\xc3\x9f" "e \xe2\x82\xac" },
};
#define NVARS	(sizeof(vars) / sizeof(vars[0]))

struct render_case {
	const char		*label;
	const char		*text;
	enum template_escape	 esc;
	const char		*want;
};

static const struct render_case render_cases[] = {
	{ "no placeholder", "plain text\n", TEMPLATE_ESCAPE_NONE,
	    "plain text\n" },
	{ "empty template", "", TEMPLATE_ESCAPE_NONE, "" },
	{ "text mode keeps specials", "From {{sender}}",
	    TEMPLATE_ESCAPE_NONE, "From Alice <alice@example.com>" },
	{ "html escapes value", "From {{sender}}", TEMPLATE_ESCAPE_HTML,
	    "From Alice &lt;alice@example.com&gt;" },
	{ "html escapes & < > \" '", "{{subject}}", TEMPLATE_ESCAPE_HTML,
	    "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; "
	    "&quot;q&quot;" },
	{ "html leaves template text alone", "<b>&amp;</b>{{empty}}",
	    TEMPLATE_ESCAPE_HTML, "<b>&amp;</b>" },
	{ "spaces inside braces", "[{{ sender }}][{{  empty}}]",
	    TEMPLATE_ESCAPE_NONE, "[Alice <alice@example.com>][]" },
	{ "repeated and adjacent", "{{empty}}{{sender}}{{sender}}",
	    TEMPLATE_ESCAPE_NONE,
	    "Alice <alice@example.com>Alice <alice@example.com>" },
	{ "NULL value is empty", "a{{null}}b", TEMPLATE_ESCAPE_HTML, "ab" },
	{ "single braces are text", "{ x } {sender} }}", TEMPLATE_ESCAPE_NONE,
	    "{ x } {sender} }}" },
	{ "utf8 text", "{{utf_text}}", TEMPLATE_ESCAPE_NONE,
	    "Gr\xc3\xbc\xc3\x9f" "e \xe2\x82\xac" },
	{ "utf8 html", "{{utf_text}}", TEMPLATE_ESCAPE_HTML,
	    "Gr\xc3\xbc\xc3\x9f" "e \xe2\x82\xac" },
	{ "invalid utf8 passes in text", "{{bad_utf}}", TEMPLATE_ESCAPE_NONE,
	    "a\xff" "b\xc3" },
	{ "invalid utf8 replaced in html", "{{bad_utf}}",
	    TEMPLATE_ESCAPE_HTML,
	    "a\xef\xbf\xbd" "b\xef\xbf\xbd" },
	{ "value is not re-expanded", "{{subject}}", TEMPLATE_ESCAPE_NONE,
	    "<script>alert('x')</script> & \"q\"" },
};

static void
test_render_table(void **state)
{
	char	 err[256];
	char	*out;
	size_t	 i;

	for (i = 0; i < sizeof(render_cases) / sizeof(render_cases[0]); i++) {
		const struct render_case *c = &render_cases[i];

		err[0] = '\0';
		out = template_render(c->text, vars, NVARS, c->esc, err,
		    sizeof(err));
		if (out == NULL)
			fail_msg("%s: NULL (%s)", c->label, err);
		if (strcmp(out, c->want) != 0)
			fail_msg("%s: got \"%s\", want \"%s\"", c->label, out,
			    c->want);
		free(out);
	}
}

/* A value that looks like a placeholder is data, not a template. */
static void
test_render_value_with_braces(void **state)
{
	const struct template_var v[] = { { "a", "{{b}}" } };
	char	 err[128];
	char	*out;

	out = template_render("x{{a}}y", v, 1, TEMPLATE_ESCAPE_NONE, err,
	    sizeof(err));
	assert_non_null(out);
	assert_string_equal(out, "x{{b}}y");
	free(out);
}

struct error_case {
	const char	*label;
	const char	*text;
	const char	*want;	/* substring of err */
};

static const struct error_case error_cases[] = {
	{ "unknown", "Hello {{recipient}}", "unknown placeholder {{recipient}}" },
	{ "unknown with spaces", "{{ nosuch }}", "unknown placeholder {{nosuch}}" },
	{ "unknown on line 3", "a\nb\n{{typo}}", "line 3:" },
	{ "unterminated at end", "Hello {{sender", "unterminated placeholder" },
	{ "unterminated shows it", "Hello {{sender", "{{sender" },
	{ "unterminated one brace", "{{sender}", "unterminated placeholder" },
	{ "unterminated across lines", "{{sender\n}}", "unterminated" },
	{ "upper case name", "{{Sender}}", "invalid placeholder \"{{Sender}}\"" },
	{ "digit in name", "{{sender2}}", "invalid placeholder" },
	{ "dash in name", "{{first-name}}", "invalid placeholder" },
	{ "space inside name", "{{sen der}}", "invalid placeholder" },
	{ "empty", "{{}}", "empty placeholder" },
	{ "only spaces", "{{  }}", "empty placeholder" },
	{ "triple brace", "{{{sender}}}", "invalid placeholder" },
	{ "error after good one", "{{sender}} {{nope}}",
	    "unknown placeholder {{nope}}" },
};

static void
test_render_errors(void **state)
{
	enum template_escape	 esc;
	char			 err[256];
	char			*out;
	size_t			 i;

	for (i = 0; i < sizeof(error_cases) / sizeof(error_cases[0]); i++) {
		const struct error_case *c = &error_cases[i];

		for (esc = TEMPLATE_ESCAPE_NONE; esc <= TEMPLATE_ESCAPE_HTML;
		    esc++) {
			err[0] = '\0';
			out = template_render(c->text, vars, NVARS, esc, err,
			    sizeof(err));
			if (out != NULL)
				fail_msg("%s: rendered \"%s\"", c->label, out);
			if (strstr(err, c->want) == NULL)
				fail_msg("%s: err \"%s\" lacks \"%s\"",
				    c->label, err, c->want);
		}
	}
}

/* A short err buffer is truncated, never overrun; NULL err is allowed. */
static void
test_render_error_buffers(void **state)
{
	char	err[8];

	memset(err, 'x', sizeof(err));
	assert_null(template_render("{{nope}}", vars, NVARS,
	    TEMPLATE_ESCAPE_NONE, err, sizeof(err)));
	assert_int_equal(strlen(err), sizeof(err) - 1);
	assert_null(template_render("{{nope}}", vars, NVARS,
	    TEMPLATE_ESCAPE_NONE, NULL, 0));
}

static char tmpdir[64];

static void
write_file(const char *name, const char *data, size_t len)
{
	char	 path[256];
	FILE	*fp;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	fp = fopen(path, "w");
	assert_non_null(fp);
	assert_int_equal(fwrite(data, 1, len, fp), len);
	assert_int_equal(fclose(fp), 0);
}

static int
setup_dir(void **state)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_template.XXXXXX");
	if (mkdtemp(tmpdir) == NULL)
		return -1;
	return 0;
}

static int
teardown_dir(void **state)
{
	const char *names[] = { "ok.txt", "max.txt", "big.txt", "nul.txt" };
	char	 path[256];
	size_t	 i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", tmpdir, names[i]);
		unlink(path);
	}
	snprintf(path, sizeof(path), "%s/sub", tmpdir);
	rmdir(path);
	return rmdir(tmpdir);
}

static void
test_read_ok(void **state)
{
	char	 err[256];
	char	*text;

	write_file("ok.txt", "Hi {{sender}}\n", 14);
	text = template_read(tmpdir, "ok.txt", err, sizeof(err));
	assert_non_null(text);
	assert_string_equal(text, "Hi {{sender}}\n");
	free(text);
}

static void
test_read_size_cap(void **state)
{
	const size_t	 cap = 256 * 1024;
	char		 err[256];
	char		*big, *text;

	big = malloc(cap + 1);
	assert_non_null(big);
	memset(big, 'a', cap + 1);
	write_file("max.txt", big, cap);
	write_file("big.txt", big, cap + 1);
	free(big);

	text = template_read(tmpdir, "max.txt", err, sizeof(err));
	assert_non_null(text);
	assert_int_equal(strlen(text), cap);
	free(text);

	err[0] = '\0';
	assert_null(template_read(tmpdir, "big.txt", err, sizeof(err)));
	assert_non_null(strstr(err, "larger than"));
}

static void
test_read_refused(void **state)
{
	static const struct {
		const char	*label;
		const char	*name;
		const char	*want;
	} cases[] = {
		{ "slash", "sub/ok.txt", "invalid template name" },
		{ "parent", "../ok.txt", "invalid template name" },
		{ "absolute", "/etc/passwd", "invalid template name" },
		{ "dot dot", "..", "invalid template name" },
		{ "dot", ".", "invalid template name" },
		{ "empty", "", "invalid template name" },
		{ "missing", "nosuch.txt", "No such file" },
		{ "directory", "sub", "not a regular file" },
		{ "nul byte", "nul.txt", "NUL byte" },
	};
	char	 err[512], path[256];
	size_t	 i;

	snprintf(path, sizeof(path), "%s/sub", tmpdir);
	assert_int_equal(mkdir(path, 0700), 0);
	write_file("nul.txt", "a\0b", 3);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		err[0] = '\0';
		if (template_read(tmpdir, cases[i].name, err,
		    sizeof(err)) != NULL)
			fail_msg("%s: read", cases[i].label);
		if (strstr(err, cases[i].want) == NULL)
			fail_msg("%s: err \"%s\" lacks \"%s\"",
			    cases[i].label, err, cases[i].want);
	}
	/* The missing-file message names the file. */
	assert_null(template_read(tmpdir, "nosuch.txt", err, sizeof(err)));
	assert_non_null(strstr(err, "nosuch.txt"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_render_table),
		cmocka_unit_test(test_render_value_with_braces),
		cmocka_unit_test(test_render_errors),
		cmocka_unit_test(test_render_error_buffers),
		cmocka_unit_test(test_read_ok),
		cmocka_unit_test(test_read_size_cap),
		cmocka_unit_test(test_read_refused),
	};

	return cmocka_run_group_tests(tests, setup_dir, teardown_dir);
}
