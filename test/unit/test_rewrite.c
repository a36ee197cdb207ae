/*
 * The rewrite plan: for a list of header names, the exact header edits in
 * order, and the result of applying them the way an MTA does
 * (smfi_chgheader index = n-th header of that name, any case; NULL value
 * deletes; smfi_addheader appends).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cmocka.h>

#include "rewrite.h"

#define SUBJ	"Notice: budget"
#define REPLY	"noreply@example.com"
#define CTYPE	"multipart/alternative; boundary=\"=-b1\""

#define ADDS	"add Reply-To: " REPLY, "add MIME-Version: 1.0", \
		"add Content-Type: " CTYPE

struct plan_case {
	const char	*label;
	const char	*names[12];	/* NULL-terminated */
	const char	*want[16];	/* ops as op_string() shows them */
};

/*
 * "del NAME#I" deletes, "chg NAME#I:VALUE" changes, "add NAME:VALUE" adds;
 * VALUE as planned, so the leading space shows.
 */
static const struct plan_case plan_cases[] = {
	{ "mixed",
	    { "X-A", "Subject", "X-A", "Received", "Content-Type", NULL },
	    { "del Content-Type#1", "del X-A#2", "chg Subject#1: " SUBJ,
	      "del X-A#1", ADDS, NULL } },
	{ "no headers", { NULL },
	    { "add Subject: " SUBJ, ADDS, NULL } },
	{ "only kept, no Subject",
	    { "Received", "Received", "From", "To", "Cc", "Date", "Message-ID",
	      "In-Reply-To", "References", NULL },
	    { "add Subject: " SUBJ, ADDS, NULL } },
	{ "second Subject deleted",
	    { "Subject", "From", "Subject", NULL },
	    { "del Subject#2", "chg Subject#1: " SUBJ, ADDS, NULL } },
	{ "three Subjects",
	    { "Subject", "Subject", "To", "Subject", NULL },
	    { "del Subject#3", "del Subject#2", "chg Subject#1: " SUBJ, ADDS,
	      NULL } },
	{ "names in any case",
	    { "x-a", "SUBJECT", "X-A", "x-A", "subject", NULL },
	    { "del subject#2", "del x-A#3", "del X-A#2", "chg Subject#1: " SUBJ,
	      "del x-a#1", ADDS, NULL } },
	{ "kept names in any case",
	    { "from", "TO", "cc", "DATE", "message-id", "in-reply-to",
	      "REFERENCES", "received", "Subject", NULL },
	    { "chg Subject#1: " SUBJ, ADDS, NULL } },
	{ "original notification headers replaced",
	    { "Reply-To", "MIME-Version", "Content-Type",
	      "Content-Transfer-Encoding", "Sensitivity", "Thread-Topic",
	      "X-Sealpost-Secure", NULL },
	    { "del X-Sealpost-Secure#1", "del Thread-Topic#1",
	      "del Sensitivity#1", "del Content-Transfer-Encoding#1",
	      "del Content-Type#1", "del MIME-Version#1", "del Reply-To#1",
	      "add Subject: " SUBJ, ADDS, NULL } },
	{ "interleaved names",
	    { "X-B", "X-A", "X-B", "From", "X-A", "X-B", NULL },
	    { "del X-B#3", "del X-A#2", "del X-B#2", "del X-A#1", "del X-B#1",
	      "add Subject: " SUBJ, ADDS, NULL } },
};

static char *
op_string(const struct rewrite_op *op)
{
	char	*s;
	int	 rc;

	if (op->type == REWRITE_ADD)
		rc = asprintf(&s, "add %s:%s", op->name,
		    op->value ? op->value : "(null)");
	else if (op->value == NULL)
		rc = asprintf(&s, "del %s#%d", op->name, op->index);
	else
		rc = asprintf(&s, "chg %s#%d:%s", op->name, op->index,
		    op->value);
	assert_true(rc > 0);
	return s;
}

struct hdr {
	const char	*name;
	const char	*value;
};

/* Apply plan to hdrs[0..*n-1] as an MTA would; hdrs holds room for adds. */
static void
apply(const char *label, const struct rewrite_plan *plan, struct hdr *hdrs,
    size_t *n)
{
	size_t	i, j;

	for (i = 0; i < plan->nops; i++) {
		const struct rewrite_op	*op = &plan->ops[i];
		int			 seen = 0;

		if (op->type == REWRITE_ADD) {
			hdrs[*n].name = op->name;
			hdrs[*n].value = op->value;
			(*n)++;
			continue;
		}
		for (j = 0; j < *n; j++)
			if (strcasecmp(hdrs[j].name, op->name) == 0 &&
			    ++seen == op->index)
				break;
		if (j == *n)
			fail_msg("%s: op %zu: no %s#%d", label, i, op->name,
			    op->index);
		if (op->value != NULL) {
			hdrs[j].value = op->value;
			continue;
		}
		memmove(&hdrs[j], &hdrs[j + 1], (*n - j - 1) * sizeof(*hdrs));
		(*n)--;
	}
}

static const char *const orig_values[] = { "v0", "v1", "v2", "v3", "v4",
    "v5", "v6", "v7", "v8", "v9", "v10", "v11" };

static void
test_plans(void **state)
{
	size_t	i, j;

	(void)state;
	for (i = 0; i < sizeof(plan_cases) / sizeof(plan_cases[0]); i++) {
		const struct plan_case	*c = &plan_cases[i];
		struct rewrite_plan	 plan;
		struct hdr		 hdrs[32], want[32];
		size_t			 n, nh = 0, nw = 0;
		int			 subject_seen = 0;

		for (n = 0; c->names[n] != NULL; n++)
			;
		memset(&plan, 0, sizeof(plan));
		assert_int_equal(rewrite_plan_headers(&plan, c->names, n, SUBJ,
		    REPLY, CTYPE), 0);

		/* The exact ops, in order. */
		for (j = 0; j < plan.nops && c->want[j] != NULL; j++) {
			char *s = op_string(&plan.ops[j]);

			if (strcmp(s, c->want[j]) != 0)
				fail_msg("%s: op %zu is \"%s\", want \"%s\"",
				    c->label, j, s, c->want[j]);
			free(s);
		}
		if (j != plan.nops || c->want[j] != NULL)
			fail_msg("%s: %zu ops, want more or fewer", c->label,
			    plan.nops);
		assert_null(plan.body);
		assert_int_equal(plan.bodylen, 0);

		/* Applied in order, every index is valid and the result is
		 * the kept headers, Subject in the first one's place, and
		 * the additions. */
		for (j = 0; j < n; j++) {
			hdrs[nh].name = c->names[j];
			hdrs[nh++].value = orig_values[j];
			if (strcasecmp(c->names[j], "Subject") == 0 &&
			    !subject_seen) {
				subject_seen = 1;
				want[nw].name = c->names[j];
				want[nw++].value = " " SUBJ;
			} else if (rewrite_header_kept(c->names[j])) {
				want[nw].name = c->names[j];
				want[nw++].value = orig_values[j];
			}
		}
		if (!subject_seen) {
			want[nw].name = "Subject";
			want[nw++].value = " " SUBJ;
		}
		want[nw].name = "Reply-To";
		want[nw++].value = " " REPLY;
		want[nw].name = "MIME-Version";
		want[nw++].value = " 1.0";
		want[nw].name = "Content-Type";
		want[nw++].value = " " CTYPE;

		apply(c->label, &plan, hdrs, &nh);
		if (nh != nw)
			fail_msg("%s: %zu headers after the plan, want %zu",
			    c->label, nh, nw);
		for (j = 0; j < nw; j++)
			if (strcasecmp(hdrs[j].name, want[j].name) != 0 ||
			    strcmp(hdrs[j].value, want[j].value) != 0)
				fail_msg("%s: header %zu is %s:%s, want %s:%s",
				    c->label, j, hdrs[j].name, hdrs[j].value,
				    want[j].name, want[j].value);
		rewrite_plan_clear(&plan);
		assert_null(plan.ops);
		assert_int_equal(plan.nops, 0);
	}
}

static void
test_kept(void **state)
{
	static const struct {
		const char	*name;
		int		 want;
	} cases[] = {
		{ "From", 1 }, { "from", 1 }, { "To", 1 }, { "TO", 1 },
		{ "Cc", 1 }, { "CC", 1 }, { "Date", 1 }, { "Message-ID", 1 },
		{ "message-id", 1 }, { "In-Reply-To", 1 }, { "References", 1 },
		{ "Received", 1 }, { "RECEIVED", 1 },
		{ "Subject", 0 }, { "Bcc", 0 }, { "Reply-To", 0 },
		{ "Sender", 0 }, { "MIME-Version", 0 }, { "Content-Type", 0 },
		{ "Content-Transfer-Encoding", 0 }, { "Sensitivity", 0 },
		{ "Thread-Topic", 0 }, { "Thread-Index", 0 },
		{ "X-Sealpost-Secure", 0 }, { "DKIM-Signature", 0 },
		{ "X-Mailer", 0 }, { "Fromage", 0 }, { "Fro", 0 },
		{ "X-Received", 0 }, { "Dates", 0 }, { "To ", 0 }, { "", 0 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (rewrite_header_kept(cases[i].name) != cases[i].want)
			fail_msg("\"%s\": want %d", cases[i].name,
			    cases[i].want);
}

/* The plan copies what it is given: callers may free their strings. */
static void
test_plan_owns(void **state)
{
	struct rewrite_plan	 plan;
	char			*name, *subj, *reply, *ct;
	const char		*names[1];

	(void)state;
	name = strdup("X-Gone");
	subj = strdup("s");
	reply = strdup("r@x");
	ct = strdup("text/plain");
	assert_true(name && subj && reply && ct);
	names[0] = name;
	memset(&plan, 0, sizeof(plan));
	assert_int_equal(rewrite_plan_headers(&plan, names, 1, subj, reply,
	    ct), 0);
	memset(name, 'z', strlen(name));
	memset(subj, 'z', strlen(subj));
	free(name);
	free(subj);
	free(reply);
	free(ct);
	assert_int_equal(plan.nops, 5);
	assert_string_equal(plan.ops[0].name, "X-Gone");
	assert_string_equal(plan.ops[1].name, "Subject");
	assert_string_equal(plan.ops[1].value, " s");
	assert_string_equal(plan.ops[2].value, " r@x");
	assert_string_equal(plan.ops[4].value, " text/plain");
	rewrite_plan_clear(&plan);

	/* Clearing twice, a zeroed plan, and NULL. */
	rewrite_plan_clear(&plan);
	rewrite_plan_clear(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plans),
		cmocka_unit_test(test_kept),
		cmocka_unit_test(test_plan_owns),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
