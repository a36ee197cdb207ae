/*
 * Conversations, and what the read page shows under a message: the
 * other messages of the same thread this user may see, and the Reply,
 * Reply all, Forward (and, for its sender, Revoke) forms.
 *
 * A thread is found by its ids, kept simple and bounded: among the
 * COMPOSE_THREAD_SCAN newest messages of the user's inbox and sent
 * mail, those whose header block (decrypted, never the body) names the
 * same first Reference (the thread's root), or whose Message-ID one of
 * the two messages names in In-Reply-To or References.  Runs where the
 * read page runs (the loop, or a worker): store calls only outside the
 * listing callbacks.
 */
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <gmime/gmime.h>
#include <sodium.h>

#include "compose.h"
#include "log.h"
#include "message_create.h"
#include "message_read.h"
#include "msg.h"
#include "msgview.h"
#include "page.h"

/* References read from one header (the first and the newest). */
#define THREAD_MAX_REFS	100

void
thread_ids_clear(struct thread_ids *t)
{
	size_t	i;

	if (t == NULL)
		return;
	free(t->message_id);
	free(t->in_reply_to);
	for (i = 0; i < t->nrefs; i++)
		free(t->refs[i]);
	free(t->refs);
	memset(t, 0, sizeof(*t));
}

/* The ids of one References or In-Reply-To value that we would write. */
static int
ids_from_header(GMimeMessage *msg, const char *name, size_t max,
    char ***out, size_t *nout)
{
	GMimeReferences	*refs;
	const char	*value, *id;
	char		**v;
	int		  i, len;
	size_t		  n = 0;

	*out = NULL;
	*nout = 0;
	if ((value = g_mime_object_get_header(GMIME_OBJECT(msg), name)) ==
	    NULL || (refs = g_mime_references_parse(NULL, value)) == NULL)
		return 0;
	len = g_mime_references_length(refs);
	if ((v = calloc(len > 0 ? (size_t)len : 1, sizeof(*v))) == NULL) {
		g_mime_references_free(refs);
		return -1;
	}
	for (i = 0; i < len; i++) {
		/* Keep the root and the newest max - 1. */
		if (i > 0 && (size_t)(len - i) > max - 1)
			continue;
		id = g_mime_references_get_message_id(refs, i);
		if (!message_msgid_ok(id))
			continue;
		if ((v[n] = strdup(id)) == NULL) {
			while (n > 0)
				free(v[--n]);
			free(v);
			g_mime_references_free(refs);
			return -1;
		}
		n++;
	}
	g_mime_references_free(refs);
	*out = v;
	*nout = n;
	return 0;
}

int
thread_ids_parse(const char *block, size_t len, struct thread_ids *out)
{
	GMimeStream	*stream;
	GMimeParser	*parser = NULL;
	GMimeMessage	*msg = NULL;
	GByteArray	*ba;
	const char	*mid;
	char		**irt = NULL;
	size_t		  nirt = 0, i;
	int		  rc = -1;

	memset(out, 0, sizeof(*out));
	if (len > SSIZE_MAX - 2)
		return -1;
	/* The empty line ends the headers even if the block lacks it. */
	stream = g_mime_stream_mem_new();
	if (g_mime_stream_write(stream, block, len) != (ssize_t)len ||
	    g_mime_stream_write(stream, "\r\n", 2) != 2)
		goto done;
	g_mime_stream_reset(stream);
	parser = g_mime_parser_new_with_stream(stream);
	if ((msg = g_mime_parser_construct_message(parser, NULL)) == NULL)
		goto done;
	if ((mid = g_mime_message_get_message_id(msg)) != NULL &&
	    message_msgid_ok(mid) && (out->message_id = strdup(mid)) == NULL)
		goto done;
	if (ids_from_header(msg, "In-Reply-To", 1, &irt, &nirt) == -1 ||
	    ids_from_header(msg, "References", THREAD_MAX_REFS, &out->refs,
	    &out->nrefs) == -1)
		goto done;
	if (nirt > 0) {
		out->in_reply_to = irt[0];
		irt[0] = NULL;
	}
	rc = 0;
 done:
	for (i = 0; i < nirt; i++)
		free(irt[i]);
	free(irt);
	if (msg != NULL)
		g_object_unref(msg);
	if (parser != NULL)
		g_object_unref(parser);
	ba = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(stream));
	if (ba != NULL && ba->len > 0)
		sodium_memzero(ba->data, ba->len);
	g_object_unref(stream);
	if (rc == -1)
		thread_ids_clear(out);
	return rc;
}

/* The first message of the thread as this message knows it. */
static const char *
thread_root(const struct thread_ids *t)
{
	if (t->nrefs > 0)
		return t->refs[0];
	if (t->in_reply_to != NULL)
		return t->in_reply_to;
	return t->message_id;
}

static int
thread_mentions(const struct thread_ids *t, const char *id)
{
	size_t	i;

	if (t->in_reply_to != NULL && strcmp(t->in_reply_to, id) == 0)
		return 1;
	for (i = 0; i < t->nrefs; i++)
		if (strcmp(t->refs[i], id) == 0)
			return 1;
	return 0;
}

int
thread_ids_related(const struct thread_ids *a, const struct thread_ids *b)
{
	const char	*ra = thread_root(a), *rb = thread_root(b);

	if (ra != NULL && rb != NULL && strcmp(ra, rb) == 0)
		return 1;
	if (a->message_id != NULL && thread_mentions(b, a->message_id))
		return 1;
	if (b->message_id != NULL && thread_mentions(a, b->message_id))
		return 1;
	return 0;
}

/* ---- the conversation of one message ---- */

struct thread_scan {
	struct store_message	*v;	/* copies: no recipients */
	size_t			 n, cap;
	int64_t			 now;
	int			 oom;
};

struct thread_row {
	uint8_t			 id[MSGID_LEN];
	int64_t			 received;
	int			 revoked;
	int			 current;
	struct message_summary	 sum;
};

/* store_list_messages callback: copy what reading the header needs. */
static int
thread_scan_cb(void *arg, const struct store_message *m)
{
	struct thread_scan	*s = arg;
	struct store_message	*c, *nv;
	size_t			 ncap;

	if (m->expires < s->now)
		return 0;
	if (s->n == s->cap) {
		ncap = s->cap == 0 ? 32 : s->cap * 2;
		if ((nv = reallocarray(s->v, ncap, sizeof(*nv))) == NULL)
			goto oom;
		s->v = nv;
		s->cap = ncap;
	}
	c = &s->v[s->n];
	memset(c, 0, sizeof(*c));
	memcpy(c->id, m->id, MSGID_LEN);
	c->version = m->version;
	c->flags = m->flags;
	c->received = m->received;
	c->expires = m->expires;
	memcpy(c->wrapped_key, m->wrapped_key, sizeof(c->wrapped_key));
	if (m->headers_ct != NULL && m->headers_ctlen > 0) {
		if ((c->headers_ct = malloc(m->headers_ctlen)) == NULL)
			goto oom;
		memcpy(c->headers_ct, m->headers_ct, m->headers_ctlen);
		c->headers_ctlen = m->headers_ctlen;
	}
	s->n++;
	return 0;
 oom:
	s->oom = 1;
	return 1;
}

/* Newest first, then by id, so that duplicates are neighbours. */
static int
scan_cmp(const void *a, const void *b)
{
	const struct store_message	*x = a, *y = b;

	if (x->received != y->received)
		return x->received > y->received ? -1 : 1;
	return memcmp(x->id, y->id, MSGID_LEN);
}

static int
row_cmp(const void *a, const void *b)
{
	const struct thread_row	*x = a, *y = b;

	if (x->received != y->received)
		return x->received < y->received ? -1 : 1;
	return memcmp(x->id, y->id, MSGID_LEN);
}

static void
thread_scan_clear(struct thread_scan *s)
{
	size_t	i;

	for (i = 0; i < s->n; i++)
		store_message_clear(&s->v[i]);
	free(s->v);
	memset(s, 0, sizeof(*s));
}

/* The ids of a record's sealed header block; -1 when unreadable. */
static int
record_ids(struct msg_job *job, const struct store_message *m,
    struct thread_ids *ids, struct message_summary *sum)
{
	char	*block = NULL;
	size_t	 len = 0;
	int	 rc = -1;

	if (message_read_headers(job->p->store, job->p->mk, m, &block,
	    &len) != MESSAGE_READ_OK)
		return -1;
	if (thread_ids_parse(block, len, ids) == 0 && (sum == NULL ||
	    message_summary_from_headers(block, len, sum) == 0))
		rc = 0;
	message_read_free(block, len);
	return rc;
}

/* The other messages of job's thread, with the current one, oldest
 * first; *nrows of them in *rows (caller frees).  0 or -1. */
static int
thread_find(struct msg_job *job, struct thread_row **rows, size_t *nrows)
{
	struct thread_scan	 s;
	struct thread_ids	 cur, ids;
	struct thread_row	*r = NULL, *row;
	size_t			 i, keep, n = 0;
	int			 st, rc = -1;

	*rows = NULL;
	*nrows = 0;
	memset(&s, 0, sizeof(s));
	memset(&cur, 0, sizeof(cur));
	if (record_ids(job, &job->meta, &cur, NULL) == -1)
		return 0;		/* nothing to match on */
	if (cur.message_id == NULL && thread_root(&cur) == NULL) {
		thread_ids_clear(&cur);
		return 0;
	}
	s.now = msg_now(job->p);
	/* Every address of the account, both roles. */
	for (i = 0; i < job->user.naddresses; i++) {
		if ((st = store_list_messages(job->p->store,
		    job->user.addresses[i], STORE_ROLE_RECIPIENT, 0,
		    COMPOSE_THREAD_SCAN, thread_scan_cb, &s)) != STORE_OK ||
		    s.oom || (st = store_list_messages(job->p->store,
		    job->user.addresses[i], STORE_ROLE_SENDER, 0,
		    COMPOSE_THREAD_SCAN, thread_scan_cb, &s)) != STORE_OK ||
		    s.oom) {
			log_warnx("%s thread: %s", job->req->id, s.oom ?
			    "out of memory" : store_strerror(st));
			goto done;
		}
	}
	qsort(s.v, s.n, sizeof(*s.v), scan_cmp);
	if ((r = calloc(s.n + 1, sizeof(*r))) == NULL)
		goto done;
	for (i = 0, keep = 0; i < s.n && keep < COMPOSE_THREAD_SCAN; i++) {
		/* Mail to oneself, or to two of one's addresses, is in
		 * more than one list. */
		if (i > 0 && memcmp(s.v[i].id, s.v[i - 1].id, MSGID_LEN) == 0)
			continue;
		keep++;
		if (memcmp(s.v[i].id, job->meta.id, MSGID_LEN) == 0)
			continue;
		row = &r[n];
		memset(&ids, 0, sizeof(ids));
		if (record_ids(job, &s.v[i], &ids, &row->sum) == -1) {
			message_summary_clear(&row->sum);
			continue;
		}
		if (thread_ids_related(&cur, &ids)) {
			memcpy(row->id, s.v[i].id, MSGID_LEN);
			row->received = s.v[i].received;
			row->revoked = (s.v[i].flags & STORE_MSG_REVOKED) != 0;
			n++;
		} else
			message_summary_clear(&row->sum);
		thread_ids_clear(&ids);
	}
	if (n > 0) {
		row = &r[n++];
		memcpy(row->id, job->meta.id, MSGID_LEN);
		row->received = job->meta.received;
		row->current = 1;
		qsort(r, n, sizeof(*r), row_cmp);
	}
	*rows = r;
	*nrows = n;
	r = NULL;
	rc = 0;
 done:
	free(r);
	thread_ids_clear(&cur);
	thread_scan_clear(&s);
	return rc;
}

static void
thread_render(struct msg_job *job, const struct msgview *v)
{
	struct http_response	*resp = job->resp;
	struct thread_row	*rows = NULL;
	char			 idstr[MSGID_STRLEN + 1], when[64];
	const char		*subject;
	size_t			 i, n = 0;

	if (thread_find(job, &rows, &n) == -1 || n == 0) {
		free(rows);
		return;
	}
	page_printf(resp, "<h2 id=\"conversation\">Conversation</h2>\n"
	    "<ol class=\"thread\" aria-labelledby=\"conversation\">\n");
	for (i = 0; i < n; i++) {
		msgid_encode(rows[i].id, idstr);
		msg_format_time(rows[i].received, when, sizeof(when));
		if (rows[i].current) {
			subject = v->subject[0] != '\0' ? v->subject :
			    "(no subject)";
			page_printf(resp, "<li aria-current=\"page\"><strong>");
			page_text(resp, subject);
			page_printf(resp, "</strong> <span class=\"muted\">"
			    "(this message) %s</span></li>\n", when);
			continue;
		}
		subject = rows[i].sum.subject != NULL &&
		    rows[i].sum.subject[0] != '\0' ? rows[i].sum.subject :
		    "(no subject)";
		page_printf(resp, "<li>");
		if (rows[i].revoked)
			page_printf(resp, "<span class=\"muted\">A message "
			    "revoked by its sender</span>");
		else {
			page_printf(resp, "<a href=\"/m/%s\">", idstr);
			page_text(resp, subject);
			page_printf(resp, "</a> <span class=\"muted\">from ");
			page_text(resp, rows[i].sum.from);
			page_printf(resp, ",</span>");
		}
		page_printf(resp, " <span class=\"muted\">%s</span></li>\n",
		    when);
	}
	page_printf(resp, "</ol>\n");
	for (i = 0; i < n; i++)
		message_summary_clear(&rows[i].sum);
	free(rows);
}

/* ---- the answer forms ---- */

static void
join_add(GString *s, const char *a)
{
	if (s->len > 0)
		g_string_append(s, ", ");
	g_string_append(s, a);
}

static int
in_list(char **v, size_t n, const char *a)
{
	size_t	i;

	for (i = 0; i < n; i++)
		if (strcasecmp(v[i], a) == 0)
			return 1;
	return 0;
}

/*
 * The prefilled To and Cc.  Reply: the sender (or, for the sender, the
 * To of the message).  Reply all: also everyone in To and Cc except the
 * user; for a guest only participants, so that the form as shown is
 * accepted.  Header addresses, not the envelope: Bcc stays hidden.
 */
static void
reply_defaults(struct msg_job *job, const struct msgview *v, int all,
    GString *to, GString *cc)
{
	char		**hdr = NULL, **tov = NULL, bad[96];
	size_t		  nhdr = 0, ntov = 0, i;
	int		  sender = msg_user_sender(&job->meta, &job->user) !=
			    NULL && msg_user_recipient(&job->meta, &job->user) ==
			    NULL;

	if (sender) {
		if (compose_parse_addresses(v->to, &tov, &ntov, bad,
		    sizeof(bad)) == -1) {
			compose_addresses_free(tov, ntov);
			tov = NULL;
			ntov = 0;
		}
	} else if (job->meta.sender != NULL &&
	    compose_parse_addresses(job->meta.sender, &tov, &ntov, bad,
	    sizeof(bad)) == -1) {
		compose_addresses_free(tov, ntov);
		tov = NULL;
		ntov = 0;
	}
	for (i = 0; i < ntov; i++)
		if (job->user.professional ||
		    compose_is_participant(&job->meta, tov[i]))
			join_add(to, tov[i]);
	if (!all)
		goto done;
	if (compose_parse_addresses(v->to, &hdr, &nhdr, bad,
	    sizeof(bad)) == -1 || compose_parse_addresses(v->cc, &hdr, &nhdr,
	    bad, sizeof(bad)) == -1) {
		/* What parsed before the bad one is kept. */
	}
	for (i = 0; i < nhdr; i++) {
		if (auth_user_has(&job->user, hdr[i]) ||
		    in_list(tov, ntov, hdr[i]))
			continue;
		if (!job->user.professional &&
		    !compose_is_participant(&job->meta, hdr[i]))
			continue;
		join_add(cc, hdr[i]);
	}
 done:
	compose_addresses_free(hdr, nhdr);
	compose_addresses_free(tov, ntov);
}

static void
answer_form(struct msg_job *job, const struct msgview *v, int mode,
    const char *summary)
{
	struct compose_fields	 f;
	GString			*to = g_string_new(NULL), *cc = g_string_new(NULL);
	char			*subject;
	const char		*sfx = mode == COMPOSE_REPLY ? "-reply" :
				    mode == COMPOSE_REPLY_ALL ? "-all" : "-fwd";

	if (mode != COMPOSE_FORWARD)
		reply_defaults(job, v, mode == COMPOSE_REPLY_ALL, to, cc);
	subject = compose_subject_default(mode, v->subject);
	memset(&f, 0, sizeof(f));
	f.to = to->str;
	f.cc = cc->str;
	f.subject = subject != NULL ? subject : "";
	f.body = "";
	page_printf(job->resp, "<details><summary>%s</summary>\n", summary);
	compose_form_body(job->resp, &job->user, job->idstr, mode, &f, sfx);
	page_printf(job->resp, "</details>\n");
	free(subject);
	g_string_free(to, TRUE);
	g_string_free(cc, TRUE);
}

void
msg_actions_render(struct msg_job *job, const struct msgview *v)
{
	thread_render(job, v);
	page_printf(job->resp, "<h2>Answer</h2>\n");
	answer_form(job, v, COMPOSE_REPLY, "Reply");
	answer_form(job, v, COMPOSE_REPLY_ALL, "Reply all");
	answer_form(job, v, COMPOSE_FORWARD, "Forward");
	if (msg_user_sender(&job->meta, &job->user) != NULL)
		page_printf(job->resp, "<form method=\"get\" "
		    "action=\"/m/%s/revoke\" class=\"inline\"><button "
		    "type=\"submit\" class=\"secondary\">Revoke this "
		    "message</button></form>\n", job->idstr);
}
