#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "rewrite.h"

/* SPEC "The secure path" 3: what the notification keeps of the original. */
static const char *const kept_headers[] = {
	"From", "To", "Cc", "Date", "Message-ID", "In-Reply-To", "References",
	"Received",
};

int
rewrite_header_kept(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(kept_headers) / sizeof(kept_headers[0]); i++)
		if (strcasecmp(name, kept_headers[i]) == 0)
			return 1;
	return 0;
}

static int
plan_push(struct rewrite_plan *plan, enum rewrite_op_type type,
    const char *name, int index, const char *value)
{
	struct rewrite_op	*ops, *op;

	if ((ops = reallocarray(plan->ops, plan->nops + 1, sizeof(*ops))) == NULL)
		return -1;
	plan->ops = ops;
	op = &ops[plan->nops];
	memset(op, 0, sizeof(*op));
	op->type = type;
	op->index = index;
	if ((op->name = strdup(name)) == NULL)
		return -1;
	plan->nops++;
	/* Values carry their own leading space (SMFIP_HDR_LEADSPC). */
	if (value != NULL && asprintf(&op->value, " %s", value) == -1) {
		op->value = NULL;
		return -1;
	}
	return 0;
}

/* Occurrences of names[i]'s name among names[0..i]. */
static int
occurrence(const char *const *names, size_t i)
{
	size_t	j;
	int	k = 0;

	for (j = 0; j <= i; j++)
		if (strcasecmp(names[j], names[i]) == 0)
			k++;
	return k;
}

int
rewrite_plan_headers(struct rewrite_plan *plan, const char *const *names,
    size_t n, const char *subject, const char *reply_to,
    const char *content_type)
{
	size_t	i;
	int	have_subject = 0;

	/* Walk backwards: each name's highest occurrence is edited first. */
	for (i = n; i-- > 0;) {
		int idx = occurrence(names, i);

		if (rewrite_header_kept(names[i]))
			continue;
		if (strcasecmp(names[i], "Subject") == 0 && idx == 1) {
			have_subject = 1;
			if (plan_push(plan, REWRITE_CHANGE, "Subject", 1,
			    subject) == -1)
				return -1;
			continue;
		}
		if (plan_push(plan, REWRITE_CHANGE, names[i], idx, NULL) == -1)
			return -1;
	}
	if (!have_subject &&
	    plan_push(plan, REWRITE_ADD, "Subject", 0, subject) == -1)
		return -1;
	if (plan_push(plan, REWRITE_ADD, "Reply-To", 0, reply_to) == -1 ||
	    plan_push(plan, REWRITE_ADD, "MIME-Version", 0, "1.0") == -1 ||
	    plan_push(plan, REWRITE_ADD, "Content-Type", 0, content_type) == -1)
		return -1;
	return 0;
}

void
rewrite_plan_clear(struct rewrite_plan *plan)
{
	size_t i;

	if (plan == NULL)
		return;
	for (i = 0; i < plan->nops; i++) {
		free(plan->ops[i].name);
		free(plan->ops[i].value);
	}
	free(plan->ops);
	free(plan->body);
	for (i = 0; i < plan->delrcpts.n; i++)
		free(plan->delrcpts.v[i]);
	free(plan->delrcpts.v);
	for (i = 0; i < plan->addrcpts.n; i++)
		free(plan->addrcpts.v[i]);
	free(plan->addrcpts.v);
	memset(plan, 0, sizeof(*plan));
}

int
rewrite_strlist_add(struct strlist *l, const char *addr)
{
	char **v;

	if ((v = reallocarray(l->v, l->n + 2, sizeof(*v))) == NULL)
		return -1;
	l->v = v;
	if ((v[l->n] = strdup(addr)) == NULL)
		return -1;
	v[++l->n] = NULL;
	return 0;
}
