/*
 * secure.c: Subject tags (plain, RFC 2047, folded), tag stripping, the
 * secure header and Sensitivity.  Each table row is its own cmocka test.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <gmime/gmime.h>

#include "secure.h"

static char	*default_tags[] = { "[secure]", "[Encrypt]", NULL };
static char	*default_sens[] = { "Company-Confidential", "Private", NULL };

/* Built by hand: config.c may not be there yet. */
static void
config_fill(struct config *cfg, const char *header)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->secure_subject_tags.v = default_tags;
	cfg->secure_subject_tags.n = 2;
	cfg->secure_header = (char *)header;
	cfg->secure_sensitivity.v = default_sens;
	cfg->secure_sensitivity.n = 2;
}

struct subject_case {
	const char	*label;
	const char	*subject;
	int		 want_tag;
	const char	*want_strip;
};

static const struct subject_case subject_cases[] = {
	{ "tag at start", " [secure] Quarterly report", 1, "Quarterly report" },
	{ "tag in middle", " Quarterly [secure] report", 1, "Quarterly report" },
	{ "tag at end", " Quarterly report [secure]", 1, "Quarterly report" },
	{ "no leading space", "[secure] Quarterly report", 1, "Quarterly report" },
	{ "upper case", " [SECURE] hello", 1, "hello" },
	{ "mixed case", " [SeCuRe] hello", 1, "hello" },
	{ "second tag", " [encrypt] hello", 1, "hello" },
	{ "second tag upper", " Re: [ENCRYPT] hello", 1, "Re: hello" },
	{ "several tags", " [secure] a [Encrypt] b [SECURE]", 1, "a b" },
	{ "tag repeated adjacent", " [secure][secure]x", 1, "x" },
	{ "tag glued to words", " Re:[secure]hello", 1, "Re: hello" },
	{ "only the tag", " [secure]", 1, "" },
	{ "tag absent", " Quarterly report", 0, "Quarterly report" },
	{ "absent, spaces collapsed", "  Quarterly \t report  ", 0,
	    "Quarterly report" },
	{ "near miss: no close", " [secure hello", 0, "[secure hello" },
	{ "near miss: no open", " secure] hello", 0, "secure] hello" },
	{ "near miss: inner spaces", " [ secure ] hello", 0,
	    "[ secure ] hello" },
	{ "near miss: bare word", " secure hello", 0, "secure hello" },
	{ "near miss: parentheses", " (secure) hello", 0, "(secure) hello" },
	{ "Q UTF-8, tag inside", " =?UTF-8?Q?[secure]_Gr=C3=BC=C3=9Fe?=", 1,
	    "Gr\xc3\xbc\xc3\x9f" "e" },
	{ "Q UTF-8, encoded brackets", " =?utf-8?q?=5BSecure=5D_x?=", 1, "x" },
	{ "B UTF-8, tag inside", " =?UTF-8?B?W3NlY3VyZV0gaMOpbGxv?=", 1,
	    "h\xc3\xa9llo" },
	{ "Q ISO-8859-1", " =?ISO-8859-1?Q?caf=E9_=5BSECURE=5D?=", 1,
	    "caf\xc3\xa9" },
	{ "B ISO-8859-1", " =?iso-8859-1?b?W2VuY3J5cHRdIE38bGxlcg==?=", 1,
	    "M\xc3\xbcller" },
	{ "encoded word then plain tag",
	    " =?UTF-8?Q?Gr=C3=BC=C3=9Fe?= [secure]", 1,
	    "Gr\xc3\xbc\xc3\x9f" "e" },
	{ "encoded, no tag", " =?UTF-8?Q?Gr=C3=BC=C3=9Fe?=", 0,
	    "Gr\xc3\xbc\xc3\x9f" "e" },
	{ "tag split across Q words",
	    " =?UTF-8?Q?Hello_[sec?= =?UTF-8?Q?ure]_world?=", 1, "Hello world" },
	{ "tag split across B words", " =?UTF-8?B?W3Nl?= =?UTF-8?B?Y3VyZV0geA==?=",
	    1, "x" },
	{ "tag split across folded words",
	    " =?UTF-8?Q?[sec?=\r\n =?UTF-8?Q?ure]_x?=", 1, "x" },
	{ "unknown charset", " =?x-unknown?Q?[secure]?= hi", 1, "hi" },
	{ "malformed encoded word", " =?UTF-8?Q?[secure]", 1, "=?UTF-8?Q?" },
	{ "encoded CR LF flattened", " =?UTF-8?Q?a=0D=0AX-Evil:_1?= [secure]",
	    1, "a X-Evil: 1" },
	{ "folded CRLF tab", " Quarterly report\r\n\t[secure]", 1,
	    "Quarterly report" },
	{ "folded LF space", " [secure]\n Quarterly report", 1,
	    "Quarterly report" },
	{ "folded, tag absent", " Quarterly\r\n report", 0, "Quarterly report" },
	{ "fold inside the tag", " [sec\r\n ure] x", 0, "[sec ure] x" },
	{ "empty subject", "", 0, "" },
	{ "blank subject", " \t ", 0, "" },
};

static void
test_subject_has_tag(void **state)
{
	const struct subject_case	*c = *state;
	struct config			 cfg;

	config_fill(&cfg, "X-Sealpost-Secure: yes");
	if (secure_subject_has_tag(&cfg, c->subject) != c->want_tag)
		fail_msg("%s: has_tag != %d", c->label, c->want_tag);
}

static void
test_subject_strip(void **state)
{
	const struct subject_case	*c = *state;
	struct config			 cfg;
	char				*got;

	config_fill(&cfg, "X-Sealpost-Secure: yes");
	got = secure_subject_strip(&cfg, c->subject);
	assert_non_null(got);
	if (strcmp(got, c->want_strip) != 0) {
		print_error("got \"%s\"\n", got);
		free(got);
		fail_msg("%s: want \"%s\"", c->label, c->want_strip);
	}
	free(got);
}

static void
test_subject_null(void **state)
{
	struct config	cfg;
	char		*got;

	config_fill(&cfg, "");
	assert_int_equal(secure_subject_has_tag(&cfg, NULL), 0);
	got = secure_subject_strip(&cfg, NULL);
	assert_non_null(got);
	assert_string_equal(got, "");
	free(got);
}

static void
test_subject_no_tags(void **state)
{
	struct config	cfg;
	char		*got;
	char		*tags[] = { "", " ", NULL };

	config_fill(&cfg, "");
	cfg.secure_subject_tags.v = tags;
	cfg.secure_subject_tags.n = 2;
	assert_int_equal(secure_subject_has_tag(&cfg, " [secure] x"), 0);
	got = secure_subject_strip(&cfg, " [secure]  x ");
	assert_non_null(got);
	assert_string_equal(got, "[secure] x");
	free(got);

	cfg.secure_subject_tags.v = NULL;
	cfg.secure_subject_tags.n = 0;
	assert_int_equal(secure_subject_has_tag(&cfg, " [secure] x"), 0);
}

/*
 * A tag holding a space matches across any whitespace run, and one re-formed
 * by removing another tag is removed too.
 */
static void
test_subject_strip_spaced_tag(void **state)
{
	struct config	cfg;
	char		*got;
	char		*tags[] = { "a b", "[x]", NULL };

	config_fill(&cfg, "");
	cfg.secure_subject_tags.v = tags;
	cfg.secure_subject_tags.n = 2;
	assert_int_equal(secure_subject_has_tag(&cfg, " A \t B"), 1);
	assert_int_equal(secure_subject_has_tag(&cfg, " AB"), 0);
	got = secure_subject_strip(&cfg, " q A\r\n  B r");
	assert_non_null(got);
	assert_string_equal(got, "q r");
	free(got);
	got = secure_subject_strip(&cfg, " q a[x]b r");
	assert_non_null(got);
	assert_string_equal(got, "q r");
	free(got);
}

/* Raw 8-bit bytes that are not UTF-8 still give valid UTF-8 out. */
static void
test_subject_invalid_utf8(void **state)
{
	struct config	cfg;
	char		*got;
	const char	*subjects[] = {
		" \xf5\x95\x96\x9c [secure] x",
		" caf\xe9 [secure] x",
		" =?utf-8?b?9ZWWnA==?= [secure] x",
	};
	size_t		i;

	config_fill(&cfg, "");
	for (i = 0; i < sizeof(subjects) / sizeof(subjects[0]); i++) {
		assert_int_equal(secure_subject_has_tag(&cfg, subjects[i]), 1);
		got = secure_subject_strip(&cfg, subjects[i]);
		assert_non_null(got);
		assert_true(g_utf8_validate(got, -1, NULL));
		assert_null(strstr(got, "[secure]"));
		assert_non_null(strstr(got, " x"));
		free(got);
	}
}

struct header_case {
	const char	*label;
	const char	*config;	/* cfg->secure_header */
	const char	*name;
	const char	*value;
	int		 want;
};

static const struct header_case header_cases[] = {
	{ "exact", "X-Sealpost-Secure: yes", "X-Sealpost-Secure", " yes", 1 },
	{ "no leading space", "X-Sealpost-Secure: yes", "X-Sealpost-Secure",
	    "yes", 1 },
	{ "name lower case", "X-Sealpost-Secure: yes", "x-sealpost-secure",
	    " yes", 1 },
	{ "value upper case", "X-Sealpost-Secure: yes", "X-Sealpost-Secure",
	    " YES", 1 },
	{ "trailing whitespace", "X-Sealpost-Secure: yes", "X-Sealpost-Secure",
	    " yes \t", 1 },
	{ "folded CRLF", "X-Sealpost-Secure: yes", "X-Sealpost-Secure",
	    "\r\n\tyes", 1 },
	{ "folded LF", "X-Sealpost-Secure: yes", "X-Sealpost-Secure",
	    "\n yes\n", 1 },
	{ "config spacing", "  X-Secure :  On ", "x-secure", " on", 1 },
	{ "other value", "X-Sealpost-Secure: yes", "X-Sealpost-Secure", " no", 0 },
	{ "longer value", "X-Sealpost-Secure: yes", "X-Sealpost-Secure",
	    " yess", 0 },
	{ "split value", "X-Sealpost-Secure: yes", "X-Sealpost-Secure",
	    " y es", 0 },
	{ "empty value", "X-Sealpost-Secure: yes", "X-Sealpost-Secure", " ", 0 },
	{ "name prefix", "X-Sealpost-Secure: yes", "X-Sealpost-Secur", " yes", 0 },
	{ "other name", "X-Sealpost-Secure: yes", "X-Other", " yes", 0 },
	{ "disabled", "", "X-Sealpost-Secure", " yes", 0 },
	{ "disabled, empty header", "", "", "", 0 },
	{ "config without colon", "X-Sealpost-Secure", "X-Sealpost-Secure",
	    " yes", 0 },
	{ "config without name", ": yes", "", " yes", 0 },
};

static void
test_header_matches(void **state)
{
	const struct header_case	*c = *state;
	struct config			 cfg;

	config_fill(&cfg, c->config);
	if (secure_header_matches(&cfg, c->name, c->value) != c->want)
		fail_msg("%s: != %d", c->label, c->want);
}

static void
test_header_null(void **state)
{
	struct config	cfg;

	config_fill(&cfg, "X-Sealpost-Secure: yes");
	assert_int_equal(secure_header_matches(&cfg, NULL, "yes"), 0);
	assert_int_equal(secure_header_matches(&cfg, "X-Sealpost-Secure", NULL),
	    0);
	cfg.secure_header = NULL;
	assert_int_equal(secure_header_matches(&cfg, "X-Sealpost-Secure",
	    "yes"), 0);
}

struct sens_case {
	const char	*label;
	const char	*value;
	int		 want;
};

static const struct sens_case sens_cases[] = {
	{ "Outlook value", " Company-Confidential", 1 },
	{ "lower case", "company-confidential", 1 },
	{ "upper case, CRLF", "COMPANY-CONFIDENTIAL\r\n", 1 },
	{ "folded", "\r\n\tCompany-Confidential ", 1 },
	{ "second entry", " private", 1 },
	{ "other value", " Personal", 0 },
	{ "longer value", " Company-Confidential-x", 0 },
	{ "prefix", " Company", 0 },
	{ "empty", "", 0 },
	{ "blank", "  ", 0 },
};

static void
test_sensitivity_matches(void **state)
{
	const struct sens_case	*c = *state;
	struct config		 cfg;

	config_fill(&cfg, "");
	if (secure_sensitivity_matches(&cfg, c->value) != c->want)
		fail_msg("%s: != %d", c->label, c->want);
}

static void
test_sensitivity_empty_list(void **state)
{
	struct config	cfg;

	config_fill(&cfg, "");
	cfg.secure_sensitivity.v = NULL;
	cfg.secure_sensitivity.n = 0;
	assert_int_equal(secure_sensitivity_matches(&cfg,
	    "Company-Confidential"), 0);
	assert_int_equal(secure_sensitivity_matches(&cfg, NULL), 0);
}

static int
group_setup(void **state)
{
	g_mime_init();
	return 0;
}

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

static void
add_test(struct CMUnitTest *t, size_t *n, const char *name,
    CMUnitTestFunction fn, const void *arg)
{
	memset(&t[*n], 0, sizeof(t[*n]));
	t[*n].name = name;
	t[*n].test_func = fn;
	t[*n].initial_state = (void *)arg;
	(*n)++;
}

int
main(void)
{
	struct CMUnitTest	*tests;
	char			*names[NELEM(subject_cases) * 2];
	size_t			 i, n = 0, max;
	int			 rc;

	max = NELEM(subject_cases) * 2 + NELEM(header_cases) +
	    NELEM(sens_cases) + 8;
	if ((tests = calloc(max, sizeof(*tests))) == NULL)
		return 1;
	for (i = 0; i < NELEM(subject_cases); i++) {
		if (asprintf(&names[2 * i], "has_tag: %s",
		    subject_cases[i].label) == -1 ||
		    asprintf(&names[2 * i + 1], "strip: %s",
		    subject_cases[i].label) == -1)
			return 1;
		add_test(tests, &n, names[2 * i], test_subject_has_tag,
		    &subject_cases[i]);
		add_test(tests, &n, names[2 * i + 1], test_subject_strip,
		    &subject_cases[i]);
	}
	add_test(tests, &n, "subject NULL", test_subject_null, NULL);
	add_test(tests, &n, "subject: empty tags ignored", test_subject_no_tags,
	    NULL);
	add_test(tests, &n, "strip: tag with a space",
	    test_subject_strip_spaced_tag, NULL);
	add_test(tests, &n, "strip: invalid UTF-8", test_subject_invalid_utf8,
	    NULL);
	for (i = 0; i < NELEM(header_cases); i++)
		add_test(tests, &n, header_cases[i].label, test_header_matches,
		    &header_cases[i]);
	add_test(tests, &n, "header NULL", test_header_null, NULL);
	for (i = 0; i < NELEM(sens_cases); i++)
		add_test(tests, &n, sens_cases[i].label,
		    test_sensitivity_matches, &sens_cases[i]);
	add_test(tests, &n, "sensitivity: empty list",
	    test_sensitivity_empty_list, NULL);

	rc = _cmocka_run_group_tests("secure", tests, n, group_setup, NULL);
	for (i = 0; i < NELEM(names); i++)
		free(names[i]);
	free(tests);
	return rc;
}
