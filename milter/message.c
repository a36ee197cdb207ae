/*
 * The life of one message in the milter (see message.h).
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <gmime/gmime.h>

#include "envelope.h"
#include "log.h"
#include "mailer.h"
#include "message.h"
#include "mime_scan.h"
#include "msgid.h"
#include "noreply.h"
#include "notify.h"
#include "secure.h"
#include "spool.h"

#define GENERIC_SUBJECT	"You have received a secure message"

struct header {
	char	*name;
	char	*value;
};

struct msg {
	const struct milter_env	*env;
	char			 qid[64];
	char			*sender;
	int			 authenticated;
	char			**rcpts;	/* without <> */
	char			**rcpts_raw;	/* as the MTA gave them */
	size_t			 nrcpts;
	struct strlist		 final;		/* recipients stored (resolved) */
	struct strlist		 unsubscribed;	/* removed: tell the sender */
	struct header		*hdrs;
	size_t			 nhdrs;
	size_t			 hdrbytes;
	int			 hdr_overflow;
	int			 secure;
	int			 external;	/* not internal, not authenticated */
	char			*noreply_rcpt;	/* as the MTA gave it (notify mode) */
	int			 passthrough;	/* plain, followed only to drop noreply */

	/* Set once a secure message's body starts. */
	uint8_t			 id[MSGID_LEN];
	struct envelope_key	*dk;
	struct envelope_writer	*writer;
	struct spool		*spool;
	struct mime_scan	*scan;
	char			*hdrblock;	/* the header block as stored */
	size_t			 hdrblocklen;
	uint64_t		 size;
	int			 stored;
};

static void
reply_set(struct msg_reply *r, const char *rcode, const char *xcode,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void
reply_set(struct msg_reply *r, const char *rcode, const char *xcode,
    const char *fmt, ...)
{
	va_list ap;

	r->rcode = rcode;
	r->xcode = xcode;
	va_start(ap, fmt);
	vsnprintf(r->text, sizeof(r->text), fmt, ap);
	va_end(ap);
}

static enum msg_verdict
tempfail(struct msg *m, struct msg_reply *r, const char *why)
{
	log_warnx("%s: action=tempfail reason=\"%s\"", m->qid, why);
	reply_set(r, "451", "4.3.0", "sealpost: secure message could not be "
	    "stored (%s), try again later", why);
	return MSG_TEMPFAIL;
}

struct msg *
msg_new(const struct milter_env *env)
{
	struct msg *m;

	if ((m = calloc(1, sizeof(*m))) == NULL)
		return NULL;
	m->env = env;
	snprintf(m->qid, sizeof(m->qid), "NOQUEUE");
	return m;
}

void
msg_free(struct msg *m)
{
	size_t i;

	if (m == NULL)
		return;
	free(m->sender);
	free(m->noreply_rcpt);
	for (i = 0; i < m->nrcpts; i++) {
		free(m->rcpts[i]);
		free(m->rcpts_raw[i]);
	}
	free(m->rcpts);
	free(m->rcpts_raw);
	for (i = 0; i < m->final.n; i++)
		free(m->final.v[i]);
	free(m->final.v);
	for (i = 0; i < m->unsubscribed.n; i++)
		free(m->unsubscribed.v[i]);
	free(m->unsubscribed.v);
	for (i = 0; i < m->nhdrs; i++) {
		free(m->hdrs[i].name);
		free(m->hdrs[i].value);
	}
	free(m->hdrs);
	envelope_writer_free(m->writer);
	envelope_key_free(m->dk);
	spool_free(m->spool);
	mime_scan_free(m->scan);
	if (m->hdrblock != NULL)
		sodium_memzero(m->hdrblock, m->hdrblocklen);
	free(m->hdrblock);
	free(m);
}

void
msg_set_queue_id(struct msg *m, const char *qid)
{
	if (qid != NULL && *qid != '\0')
		snprintf(m->qid, sizeof(m->qid), "%s", qid);
}

const char *
msg_queue_id(const struct msg *m)
{
	return m->qid;
}

int
msg_is_secure(const struct msg *m)
{
	return m->secure;
}

/* "<a@b>" -> "a@b"; the result is malloc'd. */
static char *
strip_brackets(const char *addr)
{
	size_t len = strlen(addr);

	if (len >= 2 && addr[0] == '<' && addr[len - 1] == '>')
		return strndup(addr + 1, len - 2);
	return strdup(addr);
}

enum msg_verdict
msg_set_sender(struct msg *m, const char *addr, int authenticated,
    struct msg_reply *r)
{
	free(m->sender);
	if ((m->sender = strip_brackets(addr)) == NULL)
		return tempfail(m, r, "out of memory");
	m->authenticated = authenticated;
	m->external = !authenticated &&
	    !config_is_internal(m->env->cfg, m->sender);
	return MSG_CONTINUE;
}

enum msg_verdict
msg_add_recipient(struct msg *m, const char *addr, struct msg_reply *r)
{
	char	**v;
	char	 *a;

	if (noreply_is_address(m->env->cfg, addr)) {
		if (m->env->cfg->noreply_action == NOREPLY_REJECT) {
			log_info("%s: from=<%s> to=<%s> action=reject "
			    "reason=noreply", m->qid, m->sender ? m->sender : "",
			    m->env->cfg->noreply_address);
			r->rcode = "550";
			r->xcode = "5.7.1";
			noreply_reject_text(m->env->cfg, r->text, sizeof(r->text));
			return MSG_REFUSE_RCPT;
		}
		/* Notify: accepted, later dropped from the envelope. */
		free(m->noreply_rcpt);
		if ((m->noreply_rcpt = strdup(addr)) == NULL)
			return tempfail(m, r, "out of memory");
		return MSG_CONTINUE;
	}
	if ((a = strip_brackets(addr)) == NULL)
		return tempfail(m, r, "out of memory");
	if ((v = reallocarray(m->rcpts, m->nrcpts + 1, sizeof(*v))) == NULL) {
		free(a);
		return tempfail(m, r, "out of memory");
	}
	m->rcpts = v;
	if ((v = reallocarray(m->rcpts_raw, m->nrcpts + 1,
	    sizeof(*v))) == NULL) {
		free(a);
		return tempfail(m, r, "out of memory");
	}
	m->rcpts_raw = v;
	if ((m->rcpts_raw[m->nrcpts] = strdup(addr)) == NULL) {
		free(a);
		return tempfail(m, r, "out of memory");
	}
	m->rcpts[m->nrcpts++] = a;
	return MSG_CONTINUE;
}

static int
header_makes_secure(const struct config *cfg, const char *name,
    const char *value)
{
	if (strcasecmp(name, "Subject") == 0 &&
	    secure_subject_has_tag(cfg, value))
		return 1;
	if (strcasecmp(name, "Sensitivity") == 0 &&
	    secure_sensitivity_matches(cfg, value))
		return 1;
	return secure_header_matches(cfg, name, value);
}

enum msg_verdict
msg_add_header(struct msg *m, const char *name, const char *value,
    struct msg_reply *r)
{
	struct header	*h;
	size_t		 len = strlen(name) + strlen(value) + 3;

	if (header_makes_secure(m->env->cfg, name, value))
		m->secure = 1;
	/* Past the limit only the secure decision is still made. */
	if (m->hdr_overflow || m->hdrbytes + len > m->env->cfg->max_header_size) {
		m->hdr_overflow = 1;
		return MSG_CONTINUE;
	}
	if ((h = reallocarray(m->hdrs, m->nhdrs + 1, sizeof(*h))) == NULL)
		return tempfail(m, r, "out of memory");
	m->hdrs = h;
	h = &m->hdrs[m->nhdrs];
	h->name = strdup(name);
	h->value = strdup(value);
	if (h->name == NULL || h->value == NULL) {
		free(h->name);
		free(h->value);
		return tempfail(m, r, "out of memory");
	}
	m->nhdrs++;
	m->hdrbytes += len;
	return MSG_CONTINUE;
}

/*
 * The header block as the MTA handed it: "Name:value" lines in order,
 * CRLF line ends (folded values come with bare LF from some MTAs), then
 * the empty line.
 */
static int
build_header_block(struct msg *m)
{
	size_t	 i, cap = 2, len = 0;
	char	*b;
	const char *p;

	for (i = 0; i < m->nhdrs; i++)
		cap += strlen(m->hdrs[i].name) + 1 + 2 * strlen(m->hdrs[i].value) + 2;
	if ((b = malloc(cap + 1)) == NULL)
		return -1;
	for (i = 0; i < m->nhdrs; i++) {
		len += (size_t)sprintf(b + len, "%s:", m->hdrs[i].name);
		for (p = m->hdrs[i].value; *p != '\0'; p++) {
			if (*p == '\n' && (p == m->hdrs[i].value || p[-1] != '\r'))
				b[len++] = '\r';
			b[len++] = *p;
		}
		b[len++] = '\r';
		b[len++] = '\n';
	}
	b[len++] = '\r';
	b[len++] = '\n';
	b[len] = '\0';
	m->hdrblock = b;
	m->hdrblocklen = len;
	return 0;
}

static int
spool_sink(void *arg, uint32_t index, const uint8_t *ct, size_t len)
{
	struct msg *m = arg;

	return spool_append(m->spool, index, ct, len);
}

/* Everything of the original goes through here, in order. */
static int
msg_feed(struct msg *m, const void *data, size_t len)
{
	if (envelope_writer_update(m->writer, data, len) == -1)
		return -1;
	mime_scan_update(m->scan, data, len);
	m->size += len;
	return 0;
}

/* Answer a message to noreply_address, if RFC 3834 and the limit allow. */
static void
noreply_answer(struct msg *m)
{
	const struct milter_env	*env = m->env;
	const char		**names = NULL, **values = NULL;
	const char		*mid = NULL;
	char			 err[256];
	size_t			 i;
	int			 allowed;

	if ((names = calloc(m->nhdrs + 1, sizeof(*names))) == NULL ||
	    (values = calloc(m->nhdrs + 1, sizeof(*values))) == NULL) {
		free(names);
		return;
	}
	for (i = 0; i < m->nhdrs; i++) {
		names[i] = m->hdrs[i].name;
		values[i] = m->hdrs[i].value;
		if (strcasecmp(names[i], "Message-ID") == 0)
			mid = values[i];
	}
	allowed = noreply_answer_allowed(env->cfg, m->sender, names, values,
	    m->nhdrs);
	free(names);
	free(values);
	if (!allowed) {
		log_info("%s: from=<%s> action=noreply-drop notice=no "
		    "reason=automatic", m->qid, m->sender);
		return;
	}
	if (env->limiter != NULL &&
	    !noreply_limiter_allow(env->limiter, m->sender, env->now())) {
		log_info("%s: from=<%s> action=noreply-drop notice=no "
		    "reason=daily-limit", m->qid, m->sender);
		return;
	}
	while (mid != NULL && isspace((unsigned char)*mid))
		mid++;
	if ((env->send_notice ? env->send_notice : noreply_send_notice)(env->cfg,
	    m->sender, mid, err, sizeof(err)) == -1) {
		log_warnx("%s: from=<%s> action=noreply-drop notice=failed "
		    "reason=\"%s\"", m->qid, m->sender, err);
		return;
	}
	log_info("%s: from=<%s> action=noreply-drop notice=sent", m->qid,
	    m->sender);
}

enum msg_verdict
msg_end_headers(struct msg *m, struct msg_reply *r)
{
	const struct config *cfg = m->env->cfg;

	if (m->noreply_rcpt != NULL && m->nrcpts == 0) {
		noreply_answer(m);
		return MSG_DISCARD;
	}
	if (!m->secure || m->external) {
		if (m->noreply_rcpt != NULL) {
			/* Follow it to the end only to drop noreply. */
			m->passthrough = 1;
			return MSG_CONTINUE;
		}
		log_debug("%s: from=<%s> action=pass reason=%s", m->qid,
		    m->sender ? m->sender : "",
		    m->external ? "external" : "not-secure");
		return MSG_ACCEPT;
	}
	if (m->hdr_overflow) {
		log_warnx("%s: from=<%s> action=reject reason=header-size "
		    "limit=%" PRIu64, m->qid, m->sender, cfg->max_header_size);
		reply_set(r, "552", "5.3.4", "sealpost: message header exceeds "
		    "%" PRIu64 " bytes", cfg->max_header_size);
		return MSG_REJECT;
	}
	if (m->nrcpts == 0)
		return tempfail(m, r, "no recipients");
	msgid_generate(m->id);
	if ((m->dk = envelope_key_new()) == NULL)
		return tempfail(m, r, "data key");
	if ((m->spool = spool_new(cfg->spool_dir)) == NULL) {
		log_warn("%s: spool %s", m->qid, cfg->spool_dir);
		return tempfail(m, r, "spool");
	}
	if ((m->writer = envelope_writer_new(m->dk, m->id, spool_sink, m)) == NULL)
		return tempfail(m, r, "encryption");
	if ((m->scan = mime_scan_new(cfg->max_mime_depth,
	    cfg->max_mime_parts)) == NULL)
		return tempfail(m, r, "out of memory");
	if (build_header_block(m) == -1)
		return tempfail(m, r, "out of memory");
	if (m->hdrblocklen > cfg->max_message_size) {
		reply_set(r, "552", "5.3.4", "sealpost: message size exceeds "
		    "fixed maximum message size");
		return MSG_REJECT;
	}
	if (msg_feed(m, m->hdrblock, m->hdrblocklen) == -1) {
		log_warn("%s: spool write", m->qid);
		return tempfail(m, r, "spool write");
	}
	return MSG_CONTINUE;
}

enum msg_verdict
msg_body(struct msg *m, const uint8_t *data, size_t len, struct msg_reply *r)
{
	const struct config *cfg = m->env->cfg;

	if (m->passthrough)
		return MSG_CONTINUE;
	if (m->writer == NULL)
		return tempfail(m, r, "body before end of headers");
	if (m->size + len > cfg->max_message_size) {
		log_warnx("%s: from=<%s> action=reject reason=size limit=%" PRIu64,
		    m->qid, m->sender, cfg->max_message_size);
		reply_set(r, "552", "5.3.4", "sealpost: message size exceeds "
		    "fixed maximum message size (%" PRIu64 " bytes)",
		    cfg->max_message_size);
		return MSG_REJECT;
	}
	if (msg_feed(m, data, len) == -1) {
		log_warn("%s: spool write", m->qid);
		return tempfail(m, r, "spool write");
	}
	return MSG_CONTINUE;
}

static const char *
header_value(const struct msg *m, const char *name)
{
	size_t i;

	for (i = 0; i < m->nhdrs; i++)
		if (strcasecmp(m->hdrs[i].name, name) == 0)
			return m->hdrs[i].value;
	return NULL;
}

/* The From header decoded for display, or the envelope sender. */
static char *
display_sender(const struct msg *m)
{
	InternetAddressList	*list;
	const char		*from = header_value(m, "From");
	char			*s = NULL;

	if (from != NULL &&
	    (list = internet_address_list_parse(NULL, from)) != NULL) {
		if (internet_address_list_length(list) > 0)
			s = internet_address_list_to_string(list, NULL, FALSE);
		g_object_unref(list);
	}
	if (s != NULL && *s != '\0') {
		char *c = strdup(s);

		g_free(s);
		return c;
	}
	g_free(s);
	return strdup(m->sender[0] ? m->sender : "(unknown sender)");
}

static char *
display_date(const struct msg *m, time_t received)
{
	const char	*d = header_value(m, "Date");
	char		 buf[64];
	struct tm	 tm;

	if (d != NULL) {
		while (isspace((unsigned char)*d))
			d++;
		if (*d != '\0') {
			char *c = strdup(d), *p;

			/* Unfold. */
			for (p = c; c != NULL && *p != '\0'; p++)
				if (*p == '\r' || *p == '\n' || *p == '\t')
					*p = ' ';
			return c;
		}
	}
	gmtime_r(&received, &tm);
	strftime(buf, sizeof(buf), "%a, %d %b %Y %H:%M:%S +0000", &tm);
	return strdup(buf);
}

/* The Subject the notification carries, RFC 2047 encoded if needed. */
static char *
notification_subject(const struct msg *m, const char *stripped)
{
	const struct config	*cfg = m->env->cfg;
	char			*s, *enc, *out;

	/* A Subject that was nothing but the tag says nothing: be generic. */
	if (cfg->notification_subject == NOTIFICATION_SUBJECT_GENERIC ||
	    (stripped[0] == '\0' && cfg->subject_prefix[0] == '\0'))
		return strdup(GENERIC_SUBJECT);
	if (cfg->subject_prefix[0] != '\0') {
		if (asprintf(&s, "%s %s", cfg->subject_prefix, stripped) == -1)
			return NULL;
	} else if ((s = strdup(stripped)) == NULL)
		return NULL;
	if ((enc = g_mime_utils_header_encode_text(NULL, s, "utf-8")) == NULL)
		return s;
	free(s);
	out = strdup(enc);
	g_free(enc);
	return out;
}

static int
build_plan(struct msg *m, struct rewrite_plan *plan, struct msg_reply *r)
{
	const struct config	*cfg = m->env->cfg;
	struct notify_info	 info;
	struct notify_body	 body = { NULL, NULL, 0 };
	const char		*subject = header_value(m, "Subject");
	const char		**names = NULL;
	char			*sender = NULL, *date = NULL, *stripped = NULL;
	char			*newsubj = NULL, *link = NULL, err[256];
	char			 idstr[MSGID_STRLEN + 1];
	size_t			 i, ulen;
	int			 rc = -1;

	msgid_encode(m->id, idstr);
	ulen = strlen(cfg->portal_url);
	while (ulen > 0 && cfg->portal_url[ulen - 1] == '/')
		ulen--;
	if (asprintf(&link, "%.*s/m/%s", (int)ulen, cfg->portal_url, idstr) == -1) {
		link = NULL;
		goto done;
	}
	sender = display_sender(m);
	date = display_date(m, m->env->now());
	stripped = secure_subject_strip(cfg, subject ? subject : "");
	if (sender == NULL || date == NULL || stripped == NULL)
		goto done;
	memset(&info, 0, sizeof(info));
	info.sender = sender;
	info.subject = stripped;
	info.date = date;
	info.size = m->size;
	info.attachments = mime_scan_attachments(m->scan);
	info.link = link;
	info.portal_url = cfg->portal_url;
	if ((m->env->templates != NULL ? notify_build_from(m->env->templates,
	    &info, &body, err, sizeof(err)) : notify_build(cfg->templates_dir,
	    &info, &body, err, sizeof(err))) == -1) {
		log_warnx("%s: notification: %s", m->qid, err);
		goto done;
	}
	if ((newsubj = notification_subject(m, stripped)) == NULL)
		goto done;
	if ((names = calloc(m->nhdrs + 1, sizeof(*names))) == NULL)
		goto done;
	for (i = 0; i < m->nhdrs; i++)
		names[i] = m->hdrs[i].name;
	if (rewrite_plan_headers(plan, names, m->nhdrs, newsubj,
	    cfg->noreply_address, body.content_type) == -1)
		goto done;
	plan->body = body.body;
	plan->bodylen = body.bodylen;
	body.body = NULL;
	rc = 0;
done:
	if (rc == -1) {
		rewrite_plan_clear(plan);
		tempfail(m, r, "notification");
	}
	notify_body_clear(&body);
	free(names);
	free(newsubj);
	free(stripped);
	free(date);
	free(sender);
	free(link);
	return rc;
}

static int
strlist_has(const struct strlist *l, const char *addr)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (strcasecmp(l->v[i], addr) == 0)
			return 1;
	return 0;
}

/*
 * SPEC "The secure path" 4: a confirmed alias goes to its account's
 * master address, an unsubscribed recipient leaves the envelope.  Fills
 * m->final (what is stored), m->unsubscribed, and the plan's envelope
 * edits.  -1 (reply set) when the store cannot answer.
 */
static int
resolve_recipients(struct msg *m, struct rewrite_plan *plan,
    struct msg_reply *r)
{
	struct store_alias	 al;
	struct store_account	 acc;
	const char		*target;
	size_t			 i;
	int			 st, unsub, moved;

	for (i = 0; i < m->nrcpts; i++) {
		memset(&al, 0, sizeof(al));
		memset(&acc, 0, sizeof(acc));
		if ((st = store_get_alias(m->env->store, m->rcpts[i], &al)) < 0)
			goto fail;
		moved = st == STORE_OK && al.status == STORE_ALIAS_CONFIRMED &&
		    strcasecmp(al.master, m->rcpts[i]) != 0;
		target = moved ? al.master : m->rcpts[i];
		if ((st = store_get_account(m->env->store, target, &acc)) < 0)
			goto fail;
		unsub = st == STORE_OK &&
		    (acc.flags & STORE_ACCOUNT_UNSUBSCRIBED) != 0;
		if ((unsub || moved) &&
		    rewrite_strlist_add(&plan->delrcpts, m->rcpts_raw[i]) == -1)
			goto oom;
		if (unsub) {
			if (!strlist_has(&m->unsubscribed, m->rcpts[i]) &&
			    rewrite_strlist_add(&m->unsubscribed,
			    m->rcpts[i]) == -1)
				goto oom;
		} else if (!strlist_has(&m->final, target)) {
			if (rewrite_strlist_add(&m->final, target) == -1)
				goto oom;
			if (moved && rewrite_strlist_add(&plan->addrcpts,
			    target) == -1)
				goto oom;
		}
		store_alias_clear(&al);
		store_account_clear(&acc);
	}
	return 0;
oom:
	store_alias_clear(&al);
	store_account_clear(&acc);
	tempfail(m, r, "out of memory");
	return -1;
fail:
	store_alias_clear(&al);
	store_account_clear(&acc);
	tempfail(m, r, "recipient lookup");
	return -1;
}

/* Tell the sender which recipients unsubscribed (best effort). */
static void
notify_unsubscribed(struct msg *m)
{
	struct mailer_options	 opt;
	char			*body = NULL, err[256];
	size_t			 i;

	if (m->unsubscribed.n == 0 || m->sender[0] == '\0')
		return;
	memset(&opt, 0, sizeof(opt));
	opt.null_sender = 1;
	for (i = 0; i < m->unsubscribed.n; i++) {
		if (asprintf(&body, "Your secure message (queue id %s) was not "
		    "delivered to %s: this recipient has unsubscribed from "
		    "secure messages sent through sealpost.\n\nYour message "
		    "went to its other recipients as usual.\n", m->qid,
		    m->unsubscribed.v[i]) == -1)
			return;
		if (mailer_send_opts(m->env->cfg, m->sender, "Recipient "
		    "unsubscribed from secure messages", body, &opt, err,
		    sizeof(err)) == -1)
			log_warnx("%s: to=<%s> unsubscribe notice failed: %s",
			    m->qid, m->sender, err);
		else
			log_info("%s: to=<%s> rcpt=<%s> action=unsubscribed-"
			    "notice", m->qid, m->sender, m->unsubscribed.v[i]);
		free(body);
		body = NULL;
	}
}

enum msg_verdict
msg_end(struct msg *m, struct rewrite_plan *plan, struct msg_reply *r)
{
	const struct config	*cfg = m->env->cfg;
	struct store_message	 sm;
	time_t			 now = m->env->now();
	char			 idstr[MSGID_STRLEN + 1];
	int			 st, scan;

	memset(plan, 0, sizeof(*plan));
	if (m->noreply_rcpt != NULL &&
	    rewrite_strlist_add(&plan->delrcpts, m->noreply_rcpt) == -1)
		return tempfail(m, r, "out of memory");
	if (m->passthrough) {
		noreply_answer(m);
		return MSG_CONTINUE;
	}
	if (m->writer == NULL) {
		rewrite_plan_clear(plan);
		return tempfail(m, r, "no message");
	}
	if (envelope_writer_finish(m->writer) == -1) {
		log_warn("%s: spool write", m->qid);
		return tempfail(m, r, "spool write");
	}
	scan = mime_scan_finish(m->scan);
	if (scan != MIME_SCAN_OK) {
		log_warnx("%s: from=<%s> action=reject reason=%s", m->qid,
		    m->sender, scan == MIME_SCAN_TOO_DEEP ? "mime-depth" :
		    "mime-parts");
		reply_set(r, "554", "5.6.0", "sealpost: MIME structure exceeds "
		    "limits (%s)", scan == MIME_SCAN_TOO_DEEP ?
		    "nesting too deep" : "too many parts");
		return MSG_REJECT;
	}
	if (resolve_recipients(m, plan, r) == -1) {
		rewrite_plan_clear(plan);
		return MSG_TEMPFAIL;
	}
	if (m->final.n == 0) {
		/* Every recipient unsubscribed: nothing to store or deliver. */
		log_info("%s: from=<%s> action=discard reason=all-unsubscribed",
		    m->qid, m->sender);
		notify_unsubscribed(m);
		rewrite_plan_clear(plan);
		return MSG_DISCARD;
	}
	/* Build the notification first: nothing is stored if it fails. */
	if (build_plan(m, plan, r) == -1)
		return MSG_TEMPFAIL;

	memset(&sm, 0, sizeof(sm));
	memcpy(sm.id, m->id, MSGID_LEN);
	sm.version = ENVELOPE_VERSION;
	sm.received = now;
	sm.expires = now + (int64_t)cfg->message_retention;
	sm.size = m->size;
	sm.nchunks = envelope_writer_chunks(m->writer);
	sm.attachments = mime_scan_attachments(m->scan);
	sm.sender = m->sender;
	sm.recipients = m->final.v;
	sm.nrecipients = m->final.n;
	memcpy(sm.stream_header, envelope_writer_header(m->writer),
	    ENVELOPE_HEADER_LEN);
	if (envelope_wrap_key(m->env->mk, m->id, m->dk, sm.wrapped_key) == -1) {
		rewrite_plan_clear(plan);
		return tempfail(m, r, "key wrap");
	}
	sm.headers_ctlen = m->hdrblocklen + ENVELOPE_BLOB_OVERHEAD;
	if ((sm.headers_ct = malloc(sm.headers_ctlen)) == NULL ||
	    envelope_seal_blob(m->dk, m->id, m->hdrblock, m->hdrblocklen,
	    sm.headers_ct) == -1) {
		free(sm.headers_ct);
		rewrite_plan_clear(plan);
		return tempfail(m, r, "header encryption");
	}
	st = store_put_message(m->env->store, &sm, spool_read_chunk, m->spool);
	free(sm.headers_ct);
	if (st != STORE_OK) {
		rewrite_plan_clear(plan);
		return tempfail(m, r, store_strerror(st));
	}
	m->stored = 1;
	if (m->noreply_rcpt != NULL)
		noreply_answer(m);
	notify_unsubscribed(m);
	msgid_encode(m->id, idstr);
	log_info("%s: id=%s from=<%s> nrcpt=%zu size=%" PRIu64 " chunks=%u "
	    "attachments=%u action=stored", m->qid, idstr, m->sender,
	    m->final.n, m->size, sm.nchunks, sm.attachments);
	return MSG_CONTINUE;
}

void
msg_rollback(struct msg *m)
{
	char idstr[MSGID_STRLEN + 1];

	if (!m->stored)
		return;
	msgid_encode(m->id, idstr);
	if (store_delete_message(m->env->store, m->id) < 0)
		log_warnx("%s: id=%s rollback failed", m->qid, idstr);
	else
		log_warnx("%s: id=%s action=rollback", m->qid, idstr);
	m->stored = 0;
}
