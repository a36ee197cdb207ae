/*
 * noreply.c: the address match, RFC 3834's "do not answer" rules and the
 * one-notice-a-day limiter.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "config.h"
#include "noreply.h"

static struct config cfg;

static int
setup(void **state)
{
	char err[256];

	(void)state;
	if (config_load_string(&cfg, "test.conf",
	    "noreply_address = noreply@example.com\n"
	    "portal_url = https://portal.example.com\n", err,
	    sizeof(err)) == -1)
		fail_msg("%s", err);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	config_free(&cfg);
	return 0;
}

static void
test_address(void **state)
{
	static const struct {
		const char	*addr;
		int		 want;
	} cases[] = {
		{ "noreply@example.com", 1 }, { "<noreply@example.com>", 1 },
		{ "NoReply@EXAMPLE.com", 1 }, { "xnoreply@example.com", 0 },
		{ "noreply@example.com.evil", 0 }, { "noreply", 0 }, { "", 0 },
		{ "<>", 0 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (noreply_is_address(&cfg, cases[i].addr) != cases[i].want)
			fail_msg("%s: want %d", cases[i].addr, cases[i].want);
}

static void
test_answer_allowed(void **state)
{
	static const struct {
		const char	*label;
		const char	*sender;
		const char	*name;		/* one header, or NULL */
		const char	*value;
		int		 want;
	} cases[] = {
		{ "person", "<bob@partner.test>", NULL, NULL, 1 },
		{ "person, brackets absent", "bob@partner.test", NULL, NULL, 1 },
		{ "null sender", "<>", NULL, NULL, 0 },
		{ "empty sender", "", NULL, NULL, 0 },
		{ "no domain", "bob", NULL, NULL, 0 },
		{ "ourselves", "<noreply@example.com>", NULL, NULL, 0 },
		{ "mailer-daemon", "<MAILER-DAEMON@x.test>", NULL, NULL, 0 },
		{ "owner-", "<owner-team@x.test>", NULL, NULL, 0 },
		{ "-request", "<team-request@x.test>", NULL, NULL, 0 },
		{ "auto-submitted auto-replied", "<bob@x.test>",
		    "Auto-Submitted", " auto-replied", 0 },
		{ "auto-submitted with comment", "<bob@x.test>",
		    "auto-submitted", " auto-generated (vacation)", 0 },
		{ "auto-submitted no", "<bob@x.test>", "Auto-Submitted", " no", 1 },
		{ "auto-submitted No (comment)", "<bob@x.test>",
		    "Auto-Submitted", " No (person)", 1 },
		{ "precedence bulk", "<bob@x.test>", "Precedence", " bulk", 0 },
		{ "precedence list", "<bob@x.test>", "PRECEDENCE", " List", 0 },
		{ "precedence junk", "<bob@x.test>", "Precedence", " junk", 0 },
		{ "precedence first-class", "<bob@x.test>", "Precedence",
		    " first-class", 1 },
		{ "list-id", "<bob@x.test>", "List-Id", " <a.x.test>", 0 },
		{ "list-unsubscribe", "<bob@x.test>", "List-Unsubscribe",
		    " <mailto:u@x.test>", 0 },
		{ "exchange suppress", "<bob@x.test>",
		    "X-Auto-Response-Suppress", " All", 0 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *names[1] = { cases[i].name };
		const char *values[1] = { cases[i].value };
		int got = noreply_answer_allowed(&cfg, cases[i].sender, names,
		    values, cases[i].name ? 1 : 0);

		if (got != cases[i].want)
			fail_msg("%s: got %d, want %d", cases[i].label, got,
			    cases[i].want);
	}
}

static void
test_limiter(void **state)
{
	struct noreply_limiter	*l;
	time_t			 t0 = 1700000000;

	(void)state;
	assert_non_null(l = noreply_limiter_new(2));
	assert_int_equal(noreply_limiter_allow(l, "bob@x.test", t0), 1);
	assert_int_equal(noreply_limiter_allow(l, "BOB@x.test", t0 + 10), 0);
	assert_int_equal(noreply_limiter_allow(l, "bob@x.test",
	    t0 + 86399), 0);
	/* A day later the sender may get one again. */
	assert_int_equal(noreply_limiter_allow(l, "bob@x.test",
	    t0 + 86400), 1);
	assert_int_equal(noreply_limiter_allow(l, "carol@x.test", t0 + 86400),
	    1);
	/* Full: the oldest sender is forgotten, the newest remembered. */
	assert_int_equal(noreply_limiter_allow(l, "dave@x.test", t0 + 86401), 1);
	assert_int_equal(noreply_limiter_allow(l, "dave@x.test", t0 + 86402), 0);
	noreply_limiter_free(l);
	noreply_limiter_free(NULL);
}

static void
test_reject_text(void **state)
{
	char buf[256];

	(void)state;
	noreply_reject_text(&cfg, buf, sizeof(buf));
	assert_non_null(strstr(buf, "https://portal.example.com"));
	assert_non_null(strstr(buf, "Reply"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_address),
		cmocka_unit_test(test_answer_allowed),
		cmocka_unit_test(test_limiter),
		cmocka_unit_test(test_reject_text),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
