/*
 * libmilter callbacks (mlfi_<stage>).  Nothing here exits or blocks on
 * anything but the store: a failure answers the MTA with a temporary
 * failure and a clear text, so a secure message is never lost and never
 * delivered in clear.
 */
#include <stdlib.h>
#include <string.h>

#include "callbacks.h"
#include "log.h"

/*
 * The replacement body goes out in small packets: some MTA-side
 * implementations (miltertest among them) read each reply into a 1 KiB
 * buffer.  A notification is a few KiB, so this costs a handful of packets.
 */
#define REPLACEBODY_PIECE	1000

/* Per SMTP connection. */
struct conn {
	struct msg	*msg;
	int		 leadspc;	/* MTA keeps the space after "Name:" */
	int		 nr_hdr;	/* MTA wants no reply to headers */
	int		 nr_mail;	/* MTA wants no reply to MAIL FROM */
	int		 mail_failed;	/* MAIL FROM failed; refuse at RCPT */
	int		 hdr_failed;	/* a header could not be kept */
};

static const struct milter_env *cb_env;

void
callbacks_init(const struct milter_env *env)
{
	cb_env = env;
}

static struct conn *
conn_get(SMFICTX *ctx)
{
	struct conn *c = smfi_getpriv(ctx);

	if (c == NULL && (c = calloc(1, sizeof(*c))) != NULL) {
		/* Before negotiation told us otherwise, assume the defaults. */
		if (smfi_setpriv(ctx, c) != MI_SUCCESS) {
			free(c);
			return NULL;
		}
	}
	return c;
}

static void
conn_reset(struct conn *c)
{
	msg_free(c->msg);
	c->msg = NULL;
	c->hdr_failed = 0;
}

static sfsistat
verdict(SMFICTX *ctx, struct conn *c, enum msg_verdict v,
    const struct msg_reply *r)
{
	switch (v) {
	case MSG_CONTINUE:
		return SMFIS_CONTINUE;
	case MSG_ACCEPT:
		conn_reset(c);
		return SMFIS_ACCEPT;
	case MSG_DISCARD:
		conn_reset(c);
		return SMFIS_DISCARD;
	case MSG_REFUSE_RCPT:
		/* Only this recipient: the message goes on for the others. */
		smfi_setreply(ctx, (char *)r->rcode, (char *)r->xcode,
		    (char *)r->text);
		return SMFIS_REJECT;
	case MSG_REJECT:
		smfi_setreply(ctx, (char *)r->rcode, (char *)r->xcode,
		    (char *)r->text);
		conn_reset(c);
		return SMFIS_REJECT;
	case MSG_TEMPFAIL:
	default:
		smfi_setreply(ctx, (char *)r->rcode, (char *)r->xcode,
		    (char *)r->text);
		conn_reset(c);
		return SMFIS_TEMPFAIL;
	}
}

static sfsistat
tempfail_conn(SMFICTX *ctx, const char *why)
{
	log_warnx("NOQUEUE: action=tempfail reason=\"%s\"", why);
	smfi_setreply(ctx, "451", "4.3.0", "sealpost: temporary failure, try "
	    "again later");
	return SMFIS_TEMPFAIL;
}

static sfsistat
mlfi_negotiate(SMFICTX *ctx, unsigned long f0, unsigned long f1,
    unsigned long f2, unsigned long f3, unsigned long *pf0,
    unsigned long *pf1, unsigned long *pf2, unsigned long *pf3)
{
	const unsigned long need = SMFIF_ADDHDRS | SMFIF_CHGHDRS |
	    SMFIF_CHGBODY | SMFIF_ADDRCPT | SMFIF_DELRCPT;
	/* Skip every step we do not use; no replies where we never refuse. */
	const unsigned long want = SMFIP_NOCONNECT | SMFIP_NOHELO |
	    SMFIP_NODATA | SMFIP_NOUNKNOWN | SMFIP_NR_MAIL | SMFIP_NR_HDR |
	    SMFIP_HDR_LEADSPC;
	struct conn *c;

	if ((f0 & need) != need) {
		log_warnx("MTA does not offer header and body changes; "
		    "refusing to run without them");
		return SMFIS_REJECT;
	}
	if ((c = conn_get(ctx)) == NULL)
		return SMFIS_TEMPFAIL;
	*pf0 = need;
	*pf1 = f1 & want;
	*pf2 = 0;
	*pf3 = 0;
	/*
	 * Ask only for the macros we read (the MTA's defaults send a dozen
	 * per message): less for it to format and for libmilter to parse.
	 */
	if ((f0 & SMFIF_SETSYMLIST) != 0 &&
	    smfi_setsymlist(ctx, SMFIM_ENVFROM, "i {auth_authen}") ==
	    MI_SUCCESS &&
	    smfi_setsymlist(ctx, SMFIM_ENVRCPT, "i") == MI_SUCCESS &&
	    smfi_setsymlist(ctx, SMFIM_EOH, "i") == MI_SUCCESS &&
	    smfi_setsymlist(ctx, SMFIM_EOM, "i") == MI_SUCCESS)
		*pf0 |= SMFIF_SETSYMLIST;
	c->leadspc = (*pf1 & SMFIP_HDR_LEADSPC) != 0;
	c->nr_hdr = (*pf1 & SMFIP_NR_HDR) != 0;
	c->nr_mail = (*pf1 & SMFIP_NR_MAIL) != 0;
	return SMFIS_CONTINUE;
}

static sfsistat
mlfi_envfrom(SMFICTX *ctx, char **argv)
{
	struct conn		*c;
	struct msg_reply	 r;
	const char		*auth;

	enum msg_verdict	 v;

	if ((c = conn_get(ctx)) == NULL)
		return tempfail_conn(ctx, "out of memory");
	conn_reset(c);
	c->mail_failed = 0;
	if ((c->msg = msg_new(cb_env)) == NULL) {
		if (!c->nr_mail)
			return tempfail_conn(ctx, "out of memory");
		c->mail_failed = 1;
		return SMFIS_NOREPLY;
	}
	msg_set_queue_id(c->msg, smfi_getsymval(ctx, "i"));
	auth = smfi_getsymval(ctx, "{auth_authen}");
	v = msg_set_sender(c->msg, argv[0], auth != NULL && *auth != '\0', &r);
	if (c->nr_mail) {
		/* Nothing can be answered here: a failure waits for RCPT. */
		if (v != MSG_CONTINUE) {
			conn_reset(c);
			c->mail_failed = 1;
		}
		return SMFIS_NOREPLY;
	}
	return verdict(ctx, c, v, &r);
}

static sfsistat
mlfi_envrcpt(SMFICTX *ctx, char **argv)
{
	struct conn		*c = smfi_getpriv(ctx);
	struct msg_reply	 r;

	if (c == NULL || c->msg == NULL || c->mail_failed)
		return tempfail_conn(ctx, "recipient without sender");
	return verdict(ctx, c, msg_add_recipient(c->msg, argv[0], &r), &r);
}

static sfsistat
mlfi_header(SMFICTX *ctx, char *name, char *value)
{
	struct conn		*c = smfi_getpriv(ctx);
	struct msg_reply	 r;
	char			*v = NULL;
	enum msg_verdict	 mv;

	if (c == NULL || c->msg == NULL) {
		if (c != NULL)
			c->hdr_failed = 1;
		return c != NULL && c->nr_hdr ? SMFIS_NOREPLY : SMFIS_CONTINUE;
	}
	/* Without LEADSPC the MTA ate the customary space; put it back. */
	if (!c->leadspc && asprintf(&v, " %s", value) == -1) {
		v = NULL;
		c->hdr_failed = 1;
	} else {
		mv = msg_add_header(c->msg, name, v ? v : value, &r);
		if (mv != MSG_CONTINUE)
			c->hdr_failed = 1;
	}
	free(v);
	return c->nr_hdr ? SMFIS_NOREPLY : SMFIS_CONTINUE;
}

static sfsistat
mlfi_eoh(SMFICTX *ctx)
{
	struct conn		*c = smfi_getpriv(ctx);
	struct msg_reply	 r;

	if (c == NULL || c->msg == NULL)
		return tempfail_conn(ctx, "no message");
	msg_set_queue_id(c->msg, smfi_getsymval(ctx, "i"));
	if (c->hdr_failed) {
		log_warnx("%s: action=tempfail reason=\"header\"",
		    msg_queue_id(c->msg));
		conn_reset(c);
		return tempfail_conn(ctx, "header");
	}
	return verdict(ctx, c, msg_end_headers(c->msg, &r), &r);
}

static sfsistat
mlfi_body(SMFICTX *ctx, unsigned char *data, size_t len)
{
	struct conn		*c = smfi_getpriv(ctx);
	struct msg_reply	 r;

	if (c == NULL || c->msg == NULL)
		return tempfail_conn(ctx, "no message");
	return verdict(ctx, c, msg_body(c->msg, data, len, &r), &r);
}

/* Envelope, then header edits (highest index first), then the body. */
static int
apply_plan(SMFICTX *ctx, struct conn *c, const struct rewrite_plan *plan)
{
	size_t i;

	for (i = 0; i < plan->delrcpts.n; i++)
		if (smfi_delrcpt(ctx, plan->delrcpts.v[i]) != MI_SUCCESS)
			return -1;
	for (i = 0; i < plan->addrcpts.n; i++)
		if (smfi_addrcpt(ctx, plan->addrcpts.v[i]) != MI_SUCCESS)
			return -1;
	for (i = 0; i < plan->nops; i++) {
		const struct rewrite_op *op = &plan->ops[i];
		char *value = op->value;

		if (value != NULL && !c->leadspc && *value == ' ')
			value++;
		if (op->type == REWRITE_CHANGE) {
			if (smfi_chgheader(ctx, op->name, op->index,
			    value) != MI_SUCCESS)
				return -1;
		} else if (smfi_addheader(ctx, op->name, value) != MI_SUCCESS)
			return -1;
	}
	for (i = 0; plan->body != NULL && i < plan->bodylen;
	    i += REPLACEBODY_PIECE) {
		size_t n = plan->bodylen - i;

		if (n > REPLACEBODY_PIECE)
			n = REPLACEBODY_PIECE;
		if (smfi_replacebody(ctx, (unsigned char *)plan->body + i,
		    (int)n) != MI_SUCCESS)
			return -1;
	}
	return 0;
}

static sfsistat
mlfi_eom(SMFICTX *ctx)
{
	struct conn		*c = smfi_getpriv(ctx);
	struct rewrite_plan	 plan;
	struct msg_reply	 r;
	enum msg_verdict	 v;
	sfsistat		 rc;

	if (c == NULL || c->msg == NULL)
		return tempfail_conn(ctx, "no message");
	msg_set_queue_id(c->msg, smfi_getsymval(ctx, "i"));
	v = msg_end(c->msg, &plan, &r);
	if (v != MSG_CONTINUE) {
		rewrite_plan_clear(&plan);
		return verdict(ctx, c, v, &r);
	}
	if (apply_plan(ctx, c, &plan) == -1) {
		log_warnx("%s: action=tempfail reason=\"MTA refused the "
		    "rewrite\"", msg_queue_id(c->msg));
		msg_rollback(c->msg);
		smfi_setreply(ctx, "451", "4.3.0", "sealpost: message could "
		    "not be rewritten, try again later");
		rc = SMFIS_TEMPFAIL;
	} else
		rc = SMFIS_CONTINUE;
	rewrite_plan_clear(&plan);
	conn_reset(c);
	return rc;
}

static sfsistat
mlfi_abort(SMFICTX *ctx)
{
	struct conn *c = smfi_getpriv(ctx);

	if (c != NULL)
		conn_reset(c);
	return SMFIS_CONTINUE;
}

static sfsistat
mlfi_close(SMFICTX *ctx)
{
	struct conn *c = smfi_getpriv(ctx);

	if (c != NULL) {
		conn_reset(c);
		free(c);
		smfi_setpriv(ctx, NULL);
	}
	return SMFIS_CONTINUE;
}

struct smfiDesc callbacks_desc = {
	.xxfi_name = "sealpost",
	.xxfi_version = SMFI_VERSION,
	.xxfi_flags = SMFIF_ADDHDRS | SMFIF_CHGHDRS | SMFIF_CHGBODY |
	    SMFIF_ADDRCPT | SMFIF_DELRCPT,
	.xxfi_connect = NULL,
	.xxfi_helo = NULL,
	.xxfi_envfrom = mlfi_envfrom,
	.xxfi_envrcpt = mlfi_envrcpt,
	.xxfi_header = mlfi_header,
	.xxfi_eoh = mlfi_eoh,
	.xxfi_body = mlfi_body,
	.xxfi_eom = mlfi_eom,
	.xxfi_abort = mlfi_abort,
	.xxfi_close = mlfi_close,
	.xxfi_unknown = NULL,
	.xxfi_data = NULL,
	.xxfi_negotiate = mlfi_negotiate,
};
