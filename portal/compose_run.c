/*
 * One Reply, Reply all, Forward or Compose (compose.h), from the POSTed
 * form to the stored message and its notifications.  May run on a
 * worker: it touches only the job, its request and response, the store,
 * the master key and sendmail; never the event loop.
 *
 * In order: the form (urlencoded or multipart), CSRF, the mode, the
 * message answered (same 404 as reading for anyone who may not read
 * it), the addresses, the role (a guest writes only to the participants
 * of the message answered), the subject; then the original is decrypted
 * for the quote, its ids and (forward) its attachments; the new message
 * is built and stored (message_create.h); each recipient but the author
 * is notified; the answer is a redirect to the new message.
 *
 * Logged: ids, addresses, counts and sizes; never a subject or a body.
 */
#include <ctype.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <event2/buffer.h>
#include <gmime/gmime.h>
#include <sodium.h>

#include "compose.h"
#include "http_form.h"
#include "http_multipart.h"
#include "log.h"
#include "mailer.h"
#include "message_create.h"
#include "message_read.h"
#include "msg.h"
#include "msgview.h"
#include "notify.h"
#include "page.h"

#define GENERIC_SUBJECT	"You have received a secure message"

/* compose_run's steps: go on, the response is ready, or fail (500). */
#define STEP_NEXT	0
#define STEP_ANSWERED	1
#define STEP_FAILED	(-1)

/* Everything one POST holds; compose_ctx_clear frees it. */
struct compose_ctx {
	struct compose_job		*job;
	struct http_multipart		*mp;
	int				 mode;
	struct compose_fields		 f;		/* as typed */
	struct store_message		 meta;		/* the original */
	char				**to, **cc;
	size_t				 nto, ncc;
	char				*subject;
	GString				*text;
	uint8_t				*raw;		/* the original */
	size_t				 rawlen;
	struct msgview			 view;
	struct thread_ids		 ids;
	const char			**refs;		/* borrowed from ids */
	size_t				 nrefs;
	struct message_attachment	*att;
	size_t				 natt;
	uint8_t				**fwd_data;	/* forwarded parts */
	size_t				*fwd_len;
	char				**names;	/* per att, owned */
	size_t				 nfwd;
	struct message_created		 created;
};

static void
compose_ctx_clear(struct compose_ctx *c)
{
	size_t	i;

	http_multipart_free(c->mp);
	store_message_clear(&c->meta);
	compose_addresses_free(c->to, c->nto);
	compose_addresses_free(c->cc, c->ncc);
	free(c->subject);
	if (c->text != NULL) {
		sodium_memzero(c->text->str, c->text->allocated_len);
		g_string_free(c->text, TRUE);
	}
	message_read_free(c->raw, c->rawlen);
	msgview_clear(&c->view);
	thread_ids_clear(&c->ids);
	free(c->refs);
	for (i = 0; i < c->nfwd; i++)
		message_read_free(c->fwd_data[i], c->fwd_len[i]);
	free(c->fwd_data);
	free(c->fwd_len);
	for (i = 0; c->names != NULL && i < c->natt; i++)
		free(c->names[i]);
	free(c->names);
	free(c->att);
	message_created_clear(&c->created);
	memset(c, 0, sizeof(*c));
}

static const char *
orig_or_null(const struct compose_ctx *c)
{
	return c->job->has_orig ? c->job->origstr : NULL;
}

/* The form again, with what was typed and why it was refused. */
static int
answer_form(struct compose_ctx *c, int status, const char *error)
{
	compose_page_form(c->job->resp, status, &c->job->user, orig_or_null(c),
	    c->mode, &c->f, error);
	return STEP_ANSWERED;
}

static int
step_form(struct compose_ctx *c)
{
	struct compose_job	*job = c->job;
	const char		*mode;

	if (http_request_form_any(job->req, &c->mp) == -1) {
		log_info("%s compose: unreadable form", job->req->id);
		compose_page_refused(job->resp, 400, &job->user,
		    "The form could not be read",
		    "Please go back, reload the page and try again.");
		return STEP_ANSWERED;
	}
	if (auth_check_csrf(job->p, job->req, &job->user, c->mp->form) ==
	    -1) {
		compose_page_refused(job->resp, 403, &job->user,
		    "This form has expired",
		    "The form was too old or did not come from this site. "
		    "Nothing was sent. Go back, reload the page and try "
		    "again.");
		return STEP_ANSWERED;
	}
	c->f.to = http_form_get(c->mp->form, "to");
	c->f.cc = http_form_get(c->mp->form, "cc");
	c->f.subject = http_form_get(c->mp->form, "subject");
	c->f.body = http_form_get(c->mp->form, "body");
	c->mode = COMPOSE_NEW;
	if (job->has_orig) {
		mode = http_form_get(c->mp->form, "mode");
		if ((c->mode = compose_mode_parse(mode)) == -1) {
			c->mode = COMPOSE_REPLY;
			return answer_form(c, 400, "Choose Reply, Reply all or "
			    "Forward.");
		}
	}
	return STEP_NEXT;
}

/* The message answered: readable by this user, as /m/ID decides. */
static int
step_original(struct compose_ctx *c)
{
	struct compose_job	*job = c->job;
	int			 st;

	if (!job->has_orig)
		return STEP_NEXT;
	if ((st = store_get_message(job->p->store, job->orig, &c->meta)) ==
	    STORE_NOTFOUND) {
		msg_not_found(job->resp, &job->user);
		return STEP_ANSWERED;
	}
	if (st != STORE_OK) {
		log_warnx("%s compose: store: %s", job->req->id,
		    store_strerror(st));
		return STEP_FAILED;
	}
	if ((msg_user_recipient(&c->meta, &job->user) == NULL &&
	    msg_user_sender(&c->meta, &job->user) == NULL) ||
	    c->meta.expires < msg_now(job->p)) {
		msg_not_found(job->resp, &job->user);
		return STEP_ANSWERED;
	}
	if (c->meta.flags & STORE_MSG_REVOKED) {
		msg_gone(job->resp, &job->user);
		return STEP_ANSWERED;
	}
	return STEP_NEXT;
}

static int
step_addresses(struct compose_ctx *c)
{
	struct compose_job	*job = c->job;
	char			 bad[128], text[256];
	size_t			 i, j;

	if (compose_parse_addresses(c->f.to, &c->to, &c->nto, bad,
	    sizeof(bad)) == -1 ||
	    compose_parse_addresses(c->f.cc, &c->cc, &c->ncc, bad,
	    sizeof(bad)) == -1) {
		if (bad[0] == '\0')
			return STEP_FAILED;		/* no memory */
		snprintf(text, sizeof(text), "\"%s\" is not an email address "
		    "this portal can write to. Write addresses like "
		    "name@example.com, separated by commas.", bad);
		return answer_form(c, 400, text);
	}
	/* Someone in To and Cc gets the message once, as To. */
	for (i = 0; i < c->ncc; ) {
		for (j = 0; j < c->nto; j++)
			if (strcmp(c->cc[i], c->to[j]) == 0)
				break;
		if (j == c->nto) {
			i++;
			continue;
		}
		free(c->cc[i]);
		memmove(&c->cc[i], &c->cc[i + 1], (c->ncc - i - 1) *
		    sizeof(*c->cc));
		c->ncc--;
	}
	if (c->nto + c->ncc == 0)
		return answer_form(c, 400, "Add at least one recipient.");
	/* Nobody reads it, and in reject mode the milter would refuse the
	 * notification: say so now rather than bounce later. */
	for (i = 0; i < c->nto + c->ncc; i++) {
		const char *a = i < c->nto ? c->to[i] : c->cc[i - c->nto];

		if (strcasecmp(a, job->p->cfg->noreply_address) != 0)
			continue;
		snprintf(text, sizeof(text), "%s is the portal's do-not-reply "
		    "address: nobody reads it. Remove it and write to the "
		    "people themselves.", a);
		return answer_form(c, 400, text);
	}
	if (c->nto + c->ncc > MESSAGE_CREATE_MAX_RCPTS) {
		snprintf(text, sizeof(text), "A message can have at most %d "
		    "recipients.", MESSAGE_CREATE_MAX_RCPTS);
		return answer_form(c, 400, text);
	}
	/* Roles, on the server: a guest answers the people of this
	 * conversation and nobody else (a guest cannot invite). */
	if (job->user.professional)
		return STEP_NEXT;
	if (!job->has_orig) {
		log_warnx("%s compose: guest without a message", job->req->id);
		return STEP_FAILED;		/* refused before the job */
	}
	for (i = 0; i < c->nto + c->ncc; i++) {
		const char *a = i < c->nto ? c->to[i] : c->cc[i - c->nto];

		if (compose_is_participant(&c->meta, a))
			continue;
		log_info("%s compose refused: guest %s to non-participant %s "
		    "of id=%s", job->req->id, job->user.address, a,
		    job->origstr);
		snprintf(text, sizeof(text), "As a guest, you can write only "
		    "to the people in this conversation: its sender and its "
		    "recipients. %s is not one of them, so nothing was sent.",
		    a);
		compose_page_refused(job->resp, 403, &job->user,
		    "You cannot write to this address", text);
		return STEP_ANSWERED;
	}
	return STEP_NEXT;
}

static int
step_subject(struct compose_ctx *c)
{
	const unsigned char	*p;
	const char		*s = c->f.subject != NULL ? c->f.subject : "";

	for (p = (const unsigned char *)s; *p != '\0'; p++)
		if (*p < 0x20 || *p == 0x7f)
			return answer_form(c, 400, "The subject must be one "
			    "line of text.");
	if (strlen(s) > MESSAGE_CREATE_MAX_SUBJECT)
		return answer_form(c, 400, "The subject is too long.");
	if ((c->subject = strdup(s)) == NULL)
		return STEP_FAILED;
	return STEP_NEXT;
}

/* Each line of text, "> " in front. */
static void
quote_text(GString *out, const char *text)
{
	const char	*p = text, *nl;
	size_t		 len;

	while (*p != '\0') {
		nl = strchr(p, '\n');
		len = nl != NULL ? (size_t)(nl - p) : strlen(p);
		if (len > 0 && p[len - 1] == '\r')
			len--;
		g_string_append(out, len > 0 ? "> " : ">");
		g_string_append_len(out, p, (gssize)len);
		g_string_append_c(out, '\n');
		if (nl == NULL)
			break;
		p = nl + 1;
	}
}

/* What the author typed, then the original quoted. */
static void
build_text(struct compose_ctx *c)
{
	const struct msgview	*v = &c->view;
	const char		*body = c->f.body != NULL ? c->f.body : "";
	size_t			 len = strlen(body);

	c->text = g_string_sized_new(len + (c->raw != NULL ? c->rawlen : 0) +
	    256);
	while (len > 0 && isspace((unsigned char)body[len - 1]))
		len--;
	g_string_append_len(c->text, body, (gssize)len);
	if (!c->job->has_orig) {
		g_string_append_c(c->text, '\n');
		return;
	}
	if (len > 0)
		g_string_append(c->text, "\n\n");
	if (c->mode == COMPOSE_FORWARD) {
		g_string_append(c->text, "---------- Forwarded message "
		    "----------\n");
		g_string_append_printf(c->text, "From: %s\nDate: %s\n"
		    "Subject: %s\nTo: %s\n", v->from, v->date, v->subject,
		    v->to);
		if (v->cc[0] != '\0')
			g_string_append_printf(c->text, "Cc: %s\n", v->cc);
		g_string_append_c(c->text, '\n');
	} else
		g_string_append_printf(c->text, "On %s, %s wrote:\n",
		    v->date[0] != '\0' ? v->date : "an earlier date",
		    v->from[0] != '\0' ? v->from : "the sender");
	if (v->text_body != NULL)
		quote_text(c->text, v->text_body);
	else
		g_string_append(c->text, "> (The original message has no "
		    "plain-text version; open it in the portal to read "
		    "it.)\n");
}

/* The original: its text to quote, its ids, its parts (forward). */
static int
step_read_original(struct compose_ctx *c)
{
	struct compose_job	*job = c->job;
	char			*block = NULL;
	size_t			 blen = 0, i;
	int			 st;

	if (!job->has_orig)
		return STEP_NEXT;
	if ((st = message_read_all(job->p->store, job->p->mk, job->orig,
	    (size_t)job->p->cfg->max_message_size, NULL, &c->raw,
	    &c->rawlen)) != MESSAGE_READ_OK) {
		log_warnx("%s compose: id=%s read failed (%d)", job->req->id,
		    job->origstr, st);
		return STEP_FAILED;
	}
	if (msgview_parse(c->raw, c->rawlen, &c->view) == -1) {
		log_warnx("%s compose: id=%s parse failed", job->req->id,
		    job->origstr);
		return STEP_FAILED;
	}
	if (message_read_headers(job->p->store, job->p->mk, &c->meta, &block,
	    &blen) != MESSAGE_READ_OK ||
	    thread_ids_parse(block, blen, &c->ids) == -1) {
		/* No ids: the answer is not threaded, nothing worse. */
		thread_ids_clear(&c->ids);
	}
	message_read_free(block, blen);

	/* References: the original's (or its In-Reply-To), then its id. */
	if ((c->refs = calloc(c->ids.nrefs + 2, sizeof(*c->refs))) == NULL)
		return STEP_FAILED;
	for (i = 0; i < c->ids.nrefs; i++)
		c->refs[c->nrefs++] = c->ids.refs[i];
	if (c->nrefs == 0 && c->ids.in_reply_to != NULL)
		c->refs[c->nrefs++] = c->ids.in_reply_to;
	if (c->ids.message_id != NULL)
		c->refs[c->nrefs++] = c->ids.message_id;

	if (c->subject[0] == '\0') {
		free(c->subject);
		if ((c->subject = compose_subject_default(c->mode,
		    c->view.subject)) == NULL)
			return STEP_FAILED;
	}
	return STEP_NEXT;
}

/* New uploads, then (forward) the original's attachments. */
static int
step_attachments(struct compose_ctx *c)
{
	struct compose_job	*job = c->job;
	const struct msgview	*v = &c->view;
	struct message_attachment *a;
	uint64_t		 total = 0;
	size_t			 i, max, nup = c->mp->nfiles;
	uint8_t			*data;
	size_t			 dlen;
	char			*ctype, *fname, size[32], text[256];

	max = nup + (c->mode == COMPOSE_FORWARD ? v->nparts : 0);
	if (max == 0)
		return STEP_NEXT;
	if ((c->att = calloc(max, sizeof(*c->att))) == NULL ||
	    (c->names = calloc(max, sizeof(*c->names))) == NULL ||
	    (c->fwd_data = calloc(max, sizeof(*c->fwd_data))) == NULL ||
	    (c->fwd_len = calloc(max, sizeof(*c->fwd_len))) == NULL)
		return STEP_FAILED;
	for (i = 0; i < nup; i++) {
		const struct http_upload *u = &c->mp->files[i];

		a = &c->att[c->natt];
		if ((c->names[c->natt] = msgview_sanitize_filename(u->filename,
		    (unsigned)(c->natt + 1))) == NULL)
			return STEP_FAILED;
		a->filename = c->names[c->natt];
		a->content_type = u->content_type;
		a->data = u->data;
		a->len = u->len;
		total += u->len;
		c->natt++;
	}
	for (i = 0; c->mode == COMPOSE_FORWARD && i < v->nparts; i++) {
		const struct msgview_part *pt = &v->parts[i];

		if (!pt->is_attachment && !pt->is_inline_image)
			continue;
		if (msgview_part_content(c->raw, c->rawlen, pt->index, &data,
		    &dlen, &ctype, &fname) == -1) {
			log_warnx("%s compose: id=%s part %u unreadable",
			    job->req->id, job->origstr, pt->index);
			return STEP_FAILED;
		}
		free(ctype);
		c->fwd_data[c->nfwd] = data;
		c->fwd_len[c->nfwd] = dlen;
		c->nfwd++;
		a = &c->att[c->natt];
		c->names[c->natt] = fname;
		a->filename = fname;
		a->content_type = pt->content_type;
		a->data = data;
		a->len = dlen;
		total += dlen;
		c->natt++;
	}
	/* Before building: encoding only adds to this. */
	if (total > job->p->cfg->max_message_size) {
		msg_format_size(job->p->cfg->max_message_size, size,
		    sizeof(size));
		snprintf(text, sizeof(text), "The attachments are larger "
		    "than the %s a message may have. Nothing was sent.", size);
		compose_page_refused(job->resp, 413, &job->user,
		    "Message too large", text);
		return STEP_ANSWERED;
	}
	return STEP_NEXT;
}

static int
step_store(struct compose_ctx *c)
{
	struct compose_job	*job = c->job;
	struct message_draft	 d;
	char			 err[256], size[32], text[256];
	int			 rc;

	memset(&d, 0, sizeof(d));
	d.from = job->user.address;
	d.to = (const char *const *)c->to;
	d.nto = c->nto;
	d.cc = (const char *const *)c->cc;
	d.ncc = c->ncc;
	d.subject = c->subject;
	d.body = c->text->str;
	d.attachments = c->att;
	d.nattachments = c->natt;
	if (c->ids.message_id != NULL)
		d.in_reply_to = c->ids.message_id;
	d.references = c->refs;
	d.nreferences = c->nrefs;
	rc = message_create(job->p->store, job->p->mk, job->p->cfg, &d,
	    msg_now(job->p), &c->created, err, sizeof(err));
	switch (rc) {
	case MESSAGE_CREATE_OK:
		return STEP_NEXT;
	case MESSAGE_CREATE_INVALID:
		log_info("%s compose: refused: %s", job->req->id, err);
		return answer_form(c, 400, "The message could not be built "
		    "from these addresses and this subject.");
	case MESSAGE_CREATE_TOOBIG:
		msg_format_size(job->p->cfg->max_message_size, size,
		    sizeof(size));
		snprintf(text, sizeof(text), "With its attachments, the "
		    "message is larger than the %s a message may have. "
		    "Nothing was sent.", size);
		compose_page_refused(job->resp, 413, &job->user,
		    "Message too large", text);
		return STEP_ANSWERED;
	case MESSAGE_CREATE_FULL:
		log_warnx("%s compose: %s", job->req->id, err);
		compose_page_refused(job->resp, 503, &job->user,
		    "Not sent", "The message store is full. Nothing was "
		    "sent; please try again later.");
		return STEP_ANSWERED;
	default:
		log_warnx("%s compose: %s", job->req->id, err);
		return STEP_FAILED;
	}
}

/* The subject without the tags that make mail secure: a notification
 * must not look secure to the milter, nor show the tag. */
static char *
subject_untag(const struct config *cfg, const char *subject)
{
	char	*s, *hit, *p, *q;
	size_t	 i, tl;
	int	 again = 1;

	if ((s = strdup(subject)) == NULL)
		return NULL;
	while (again) {
		again = 0;
		for (i = 0; i < cfg->secure_subject_tags.n; i++) {
			tl = strlen(cfg->secure_subject_tags.v[i]);
			if (tl == 0)
				continue;
			while ((hit = strcasestr(s,
			    cfg->secure_subject_tags.v[i])) != NULL) {
				memmove(hit, hit + tl, strlen(hit + tl) + 1);
				again = 1;
			}
		}
	}
	/* Collapse the blanks the tags leave. */
	for (p = q = s; *p != '\0'; p++) {
		if (*p == ' ' && (q == s || q[-1] == ' '))
			continue;
		*q++ = *p;
	}
	while (q > s && q[-1] == ' ')
		q--;
	*q = '\0';
	return s;
}

/* The notification's Subject, as the milter writes it. */
static char *
notice_subject(const struct config *cfg, const char *untagged)
{
	char	*s;

	if (cfg->notification_subject == NOTIFICATION_SUBJECT_GENERIC ||
	    (untagged[0] == '\0' && cfg->subject_prefix[0] == '\0'))
		return strdup(GENERIC_SUBJECT);
	if (cfg->subject_prefix[0] != '\0') {
		if (asprintf(&s, "%s %s", cfg->subject_prefix, untagged) == -1)
			return NULL;
		return s;
	}
	return strdup(untagged);
}

/*
 * The notification as a message of its own: the body notify_build made
 * (multipart/alternative, the milter's templates) under From:
 * noreply_address, To: rcpt, the notice's Subject, and the new
 * message's Message-ID, In-Reply-To and References, so that mail
 * clients thread the notices as the portal threads the messages.
 */
static GMimeMessage *
notice_message(struct compose_ctx *c, const struct notify_body *nb,
    const char *subject)
{
	const struct config	*cfg = c->job->p->cfg;
	GMimeMessage		*msg;
	GMimeStream		*stream;
	GMimeParser		*parser;
	GMimeObject		*body;
	GDateTime		*date;
	GString			*refs;
	char			*hdr;
	size_t			 i;

	if (asprintf(&hdr, "Content-Type: %s\r\n\r\n", nb->content_type) == -1)
		return NULL;
	stream = g_mime_stream_mem_new();
	if (g_mime_stream_write_string(stream, hdr) == -1 ||
	    g_mime_stream_write(stream, nb->body, nb->bodylen) !=
	    (ssize_t)nb->bodylen) {
		g_object_unref(stream);
		free(hdr);
		return NULL;
	}
	free(hdr);
	g_mime_stream_reset(stream);
	parser = g_mime_parser_new_with_stream(stream);
	body = g_mime_parser_construct_part(parser, NULL);
	g_object_unref(parser);
	g_object_unref(stream);
	if (body == NULL)
		return NULL;

	msg = g_mime_message_new(TRUE);
	g_mime_message_set_mime_part(msg, body);
	g_object_unref(body);
	g_mime_message_add_mailbox(msg, GMIME_ADDRESS_TYPE_FROM, NULL,
	    cfg->noreply_address);
	g_mime_message_set_subject(msg, subject, "utf-8");
	if ((date = g_date_time_new_from_unix_utc(msg_now(c->job->p))) !=
	    NULL) {
		g_mime_message_set_date(msg, date);
		g_date_time_unref(date);
	}
	g_mime_message_set_message_id(msg, c->created.message_id);
	if (c->ids.message_id != NULL) {
		hdr = g_strdup_printf("<%s>", c->ids.message_id);
		g_mime_object_set_header(GMIME_OBJECT(msg), "In-Reply-To", hdr,
		    NULL);
		g_free(hdr);
	}
	if (c->nrefs > 0) {
		refs = g_string_new(NULL);
		/* The first and the newest, as message_create keeps them. */
		g_string_append_printf(refs, "<%s>", c->refs[0]);
		for (i = c->nrefs > MESSAGE_CREATE_MAX_REFS ?
		    c->nrefs - (MESSAGE_CREATE_MAX_REFS - 1) : 1;
		    i < c->nrefs; i++)
			g_string_append_printf(refs, " <%s>", c->refs[i]);
		g_mime_object_set_header(GMIME_OBJECT(msg), "References",
		    refs->str, NULL);
		g_string_free(refs, TRUE);
	}
	/* RFC 3834: nobody should answer a notice automatically. */
	g_mime_object_set_header(GMIME_OBJECT(msg), "Auto-Submitted",
	    "auto-generated", NULL);
	g_mime_object_set_header(GMIME_OBJECT(msg), "MIME-Version", "1.0",
	    NULL);
	return msg;
}

/* One notice to rcpt through sendmail_command; 0 or -1 (logged). */
static int
notice_send(struct compose_ctx *c, GMimeMessage *msg, const char *rcpt)
{
	struct compose_job	*job = c->job;
	InternetAddressList	*to;
	GMimeFormatOptions	*fo;
	GMimeStream		*mem;
	GByteArray		*ba;
	char			 err[256];
	int			 rc = -1;

	to = g_mime_message_get_addresses(msg, GMIME_ADDRESS_TYPE_TO);
	internet_address_list_clear(to);
	g_mime_message_add_mailbox(msg, GMIME_ADDRESS_TYPE_TO, NULL, rcpt);
	/* LF line ends, as mailer_build writes for sendmail. */
	fo = g_mime_format_options_new();
	g_mime_format_options_set_newline_format(fo, GMIME_NEWLINE_FORMAT_UNIX);
	mem = g_mime_stream_mem_new();
	if (g_mime_object_write_to_stream(GMIME_OBJECT(msg), fo, mem) == -1)
		snprintf(err, sizeof(err), "cannot write the notice");
	else {
		ba = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(mem));
		rc = mailer_send_message(job->p->cfg, rcpt,
		    (const char *)ba->data, ba->len, 0, err, sizeof(err));
	}
	if (rc == -1)
		log_warnx("%s compose: id=%s notice to %s not sent: %s",
		    job->req->id, c->created.idstr, rcpt, err);
	else
		log_info("%s compose: id=%s notice sent to %s", job->req->id,
		    c->created.idstr, rcpt);
	g_object_unref(mem);
	g_mime_format_options_free(fo);
	return rc;
}

/* An account that unsubscribed asked for no more notifications. */
static int
notice_unwanted(struct compose_ctx *c, const char *rcpt)
{
	struct store_account	a;
	int			st, unwanted = 0;

	memset(&a, 0, sizeof(a));
	if ((st = store_get_account(c->job->p->store, rcpt, &a)) == STORE_OK)
		unwanted = (a.flags & STORE_ACCOUNT_UNSUBSCRIBED) != 0;
	else if (st != STORE_NOTFOUND)
		log_warnx("%s compose: account %s: %s", c->job->req->id, rcpt,
		    store_strerror(st));
	store_account_clear(&a);
	if (unwanted)
		log_info("%s compose: id=%s no notice to %s: unsubscribed",
		    c->job->req->id, c->created.idstr, rcpt);
	return unwanted;
}

/*
 * Every recipient but the author (and accounts that unsubscribed) gets
 * the milter's notification.  The
 * message is stored already: a notice that cannot be sent is logged,
 * and the recipient still finds the message in the portal's inbox.
 */
static void
step_notify(struct compose_ctx *c)
{
	struct compose_job	*job = c->job;
	const struct config	*cfg = job->p->cfg;
	struct notify_info	 info;
	struct notify_body	 nb = { NULL, NULL, 0 };
	GMimeMessage		*msg = NULL;
	char			*untagged = NULL, *subject = NULL, *link = NULL;
	char			 err[256];
	size_t			 i, ulen;

	ulen = strlen(cfg->portal_url);
	while (ulen > 0 && cfg->portal_url[ulen - 1] == '/')
		ulen--;
	if (asprintf(&link, "%.*s/m/%s", (int)ulen, cfg->portal_url,
	    c->created.idstr) == -1) {
		link = NULL;
		goto fail;
	}
	if ((untagged = subject_untag(cfg, c->subject)) == NULL ||
	    (subject = notice_subject(cfg, untagged)) == NULL)
		goto fail;
	memset(&info, 0, sizeof(info));
	info.sender = job->user.address;
	info.subject = untagged;
	info.date = c->created.date;
	info.size = c->created.size;
	info.attachments = c->created.attachments;
	info.link = link;
	info.portal_url = cfg->portal_url;
	if (notify_build(cfg->templates_dir, &info, &nb, err,
	    sizeof(err)) == -1) {
		log_warnx("%s compose: id=%s notification: %s", job->req->id,
		    c->created.idstr, err);
		goto done;
	}
	if ((msg = notice_message(c, &nb, subject)) == NULL)
		goto fail;
	for (i = 0; i < c->created.nrecipients; i++)
		if (!auth_user_has(&job->user, c->created.recipients[i]) &&
		    !notice_unwanted(c, c->created.recipients[i]))
			(void)notice_send(c, msg, c->created.recipients[i]);
	goto done;
 fail:
	log_warnx("%s compose: id=%s no notices: out of memory", job->req->id,
	    c->created.idstr);
 done:
	if (msg != NULL)
		g_object_unref(msg);
	notify_body_clear(&nb);
	free(untagged);
	free(subject);
	free(link);
}

int
compose_run(struct compose_job *job)
{
	struct compose_ctx	 c;
	char			 loc[8 + MSGID_STRLEN];
	int			 rc;

	memset(&c, 0, sizeof(c));
	c.job = job;
	if ((rc = step_form(&c)) != STEP_NEXT ||
	    (rc = step_original(&c)) != STEP_NEXT ||
	    (rc = step_addresses(&c)) != STEP_NEXT ||
	    (rc = step_subject(&c)) != STEP_NEXT ||
	    (rc = step_read_original(&c)) != STEP_NEXT ||
	    (rc = step_attachments(&c)) != STEP_NEXT)
		goto done;
	build_text(&c);
	if ((rc = step_store(&c)) != STEP_NEXT)
		goto done;
	log_info("%s compose: id=%s from=<%s> mode=%s%s%s nrcpt=%zu "
	    "size=%" PRIu64 " attachments=%u action=stored", job->req->id,
	    c.created.idstr, job->user.address, compose_mode_name(c.mode),
	    job->has_orig ? " orig=" : "", job->has_orig ? job->origstr : "",
	    c.created.nrecipients, c.created.size, c.created.attachments);
	step_notify(&c);
	snprintf(loc, sizeof(loc), "/m/%s", c.created.idstr);
	evbuffer_drain(job->resp->body, evbuffer_get_length(job->resp->body));
	rc = http_response_redirect(job->resp, 303, loc) == -1 ? STEP_FAILED :
	    STEP_ANSWERED;
 done:
	compose_ctx_clear(&c);
	return rc == STEP_FAILED ? -1 : 0;
}
