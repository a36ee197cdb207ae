/*
 * /inbox and /sent: the messages of every address of the account (its
 * login address and confirmed aliases), newest first, each once,
 * MSG_PAGE_SIZE a page (?page=N).  The live ids of each address are
 * gathered first (id and date only), merged and de-duplicated; only the
 * rows of the page asked for are then read and decrypted.  Subject, sender and date come from
 * the sealed header block (decrypted per row, never the body); sent
 * messages list each recipient's first open.  Expired messages are left
 * out, as if they were gone already; revoked ones are marked.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "app.h"
#include "auth.h"
#include "http.h"
#include "http_form.h"
#include "log.h"
#include "message_read.h"
#include "msg.h"
#include "page.h"
#include "store.h"

#define MSG_OPEN_NEVER		(-1)
#define MSG_OPEN_UNKNOWN	(-2)

struct msg_row {
	uint8_t			 id[MSGID_LEN];
	uint32_t		 flags;
	int64_t			 received;
	int64_t			 expires;
	uint64_t		 size;
	uint32_t		 attachments;
	char			*sender;	/* envelope sender */
	char			**rcpts;	/* /sent only */
	int64_t			*opened;	/* per rcpt, or MSG_OPEN_* */
	size_t			 nrcpts;
	struct message_summary	 sum;
	int			 readable;	/* sum is filled */
};

struct msg_key {
	uint8_t		 id[MSGID_LEN];
	int64_t		 received;
};

struct msg_list {
	struct portal	*p;
	int		 role;		/* enum store_role */
	int64_t		 now;
	struct msg_key	*keys;		/* live messages of every address */
	size_t		 nkeys;
	size_t		 keycap;
	struct msg_row	 rows[MSG_PAGE_SIZE];
	size_t		 nrows;
	int		 more;		/* a next page exists */
	int		 oom;
};

static void
msg_row_clear(struct msg_row *row)
{
	size_t	i;

	free(row->sender);
	for (i = 0; i < row->nrcpts; i++)
		free(row->rcpts[i]);
	free(row->rcpts);
	free(row->opened);
	message_summary_clear(&row->sum);
	memset(row, 0, sizeof(*row));
}

/* The sealed header block of m, decoded for display. */
static void
msg_row_summary(struct msg_list *l, struct msg_row *row,
    const struct store_message *m)
{
	char	*block = NULL;
	size_t	 len = 0;

	if (message_read_headers(l->p->store, l->p->mk, m, &block,
	    &len) != MESSAGE_READ_OK)
		return;			/* logged by message_read */
	if (message_summary_from_headers(block, len, &row->sum) == 0)
		row->readable = 1;
	else
		message_summary_clear(&row->sum);
	message_read_free(block, len);
}

/*
 * store_list_messages callback: the id and date of each live message.
 * Runs inside the store's read transaction: no store calls here.
 */
static int
msg_key_cb(void *arg, const struct store_message *m)
{
	struct msg_list	*l = arg;
	struct msg_key	*k;
	size_t		 cap;

	if (m->expires < l->now)
		return 0;
	if (l->nkeys == l->keycap) {
		cap = l->keycap == 0 ? 64 : l->keycap * 2;
		if ((k = reallocarray(l->keys, cap, sizeof(*k))) == NULL) {
			l->oom = 1;
			return 1;
		}
		l->keys = k;
		l->keycap = cap;
	}
	k = &l->keys[l->nkeys++];
	memcpy(k->id, m->id, MSGID_LEN);
	k->received = m->received;
	return 0;
}

/* Newest first, then by id, so that duplicates are neighbours and the
 * order of pages is stable. */
static int
msg_key_cmp(const void *a, const void *b)
{
	const struct msg_key	*x = a, *y = b;

	if (x->received != y->received)
		return x->received > y->received ? -1 : 1;
	return memcmp(x->id, y->id, MSGID_LEN);
}

/* Sort l->keys and drop duplicates (a message to two of the account's
 * addresses, or to oneself). */
static void
msg_keys_merge(struct msg_list *l)
{
	size_t	i, n = 0;

	if (l->nkeys == 0)
		return;
	qsort(l->keys, l->nkeys, sizeof(*l->keys), msg_key_cmp);
	for (i = 0; i < l->nkeys; i++)
		if (n == 0 || memcmp(l->keys[i].id, l->keys[n - 1].id,
		    MSGID_LEN) != 0)
			l->keys[n++] = l->keys[i];
	l->nkeys = n;
}

/* One row of the page from its record.  0, or -1 on no memory. */
static int
msg_row_fill(struct msg_list *l, struct msg_row *row,
    const struct store_message *m)
{
	size_t	i;

	memcpy(row->id, m->id, MSGID_LEN);
	row->flags = m->flags;
	row->received = m->received;
	row->expires = m->expires;
	row->size = m->size;
	row->attachments = m->attachments;
	if ((row->sender = strdup(m->sender != NULL ? m->sender : "")) == NULL)
		return -1;
	if (l->role == STORE_ROLE_SENDER && m->nrecipients > 0) {
		if ((row->rcpts = calloc(m->nrecipients,
		    sizeof(*row->rcpts))) == NULL ||
		    (row->opened = calloc(m->nrecipients,
		    sizeof(*row->opened))) == NULL)
			return -1;
		for (i = 0; i < m->nrecipients; i++) {
			if ((row->rcpts[i] = strdup(m->recipients[i])) == NULL)
				return -1;
			row->nrcpts++;
			row->opened[i] = MSG_OPEN_NEVER;
		}
	}
	/* A recipient no longer sees anything of a revoked message. */
	if (!(l->role == STORE_ROLE_RECIPIENT && (m->flags & STORE_MSG_REVOKED)))
		msg_row_summary(l, row, m);
	return 0;
}

/*
 * Gather, merge, then read the page's rows.  A message gone since it
 * was listed (purged meanwhile) is skipped.  0, or -1 (logged).
 */
static int
msg_list_load(struct msg_list *l, const struct auth_user *user,
    unsigned page, const char *reqid)
{
	struct store_message	 m;
	size_t			 i, skip;
	int			 st;

	for (i = 0; i < user->naddresses; i++) {
		st = store_list_messages(l->p->store, user->addresses[i],
		    l->role, 0, 0, msg_key_cb, l);
		if (st != STORE_OK || l->oom) {
			log_warnx("%s list: %s", reqid, l->oom ?
			    "out of memory" : store_strerror(st));
			return -1;
		}
	}
	msg_keys_merge(l);
	skip = (size_t)(page - 1) * MSG_PAGE_SIZE;
	for (i = skip; i < l->nkeys && l->nrows < MSG_PAGE_SIZE; i++) {
		memset(&m, 0, sizeof(m));
		st = store_get_message(l->p->store, l->keys[i].id, &m);
		if (st == STORE_NOTFOUND)
			continue;
		if (st != STORE_OK) {
			log_warnx("%s list: %s", reqid, store_strerror(st));
			return -1;
		}
		st = msg_row_fill(l, &l->rows[l->nrows++], &m);
		store_message_clear(&m);
		if (st == -1) {
			log_warnx("%s list: out of memory", reqid);
			return -1;
		}
	}
	l->more = i < l->nkeys;
	return 0;
}

/* After the listing: each recipient's first open (/sent). */
static void
msg_list_opens(struct msg_list *l, const char *reqid)
{
	struct msg_row	*row;
	size_t		 r, i;
	int64_t		 when;
	int		 st;

	for (r = 0; r < l->nrows; r++) {
		row = &l->rows[r];
		for (i = 0; i < row->nrcpts; i++) {
			st = store_get_open(l->p->store, row->id, row->rcpts[i],
			    &when);
			if (st == STORE_OK)
				row->opened[i] = when;
			else if (st != STORE_NOTFOUND) {
				row->opened[i] = MSG_OPEN_UNKNOWN;
				log_warnx("%s sent: store: %s", reqid,
				    store_strerror(st));
			}
		}
	}
}

/* ?page=N, 1 when absent or not a plain number in range. */
static unsigned
msg_list_page(const struct http_request *req)
{
	struct http_form	*form;
	unsigned		 page = 1;

	if (req->query == NULL || http_request_query(req, &form) == -1)
		return 1;
	if (msg_parse_index(http_form_get(form, "page"), MSG_MAX_PAGE,
	    &page) == -1)
		page = 1;
	http_form_free(form);
	return page;
}

static void
msg_cell_subject(struct http_response *resp, const struct msg_row *row,
    const char *idstr, int link)
{
	const char	*subject;

	subject = row->readable && row->sum.subject[0] != '\0' ?
	    row->sum.subject : row->readable ? "(no subject)" : "(unreadable)";
	page_printf(resp, "<td>");
	if (link)
		page_printf(resp, "<a href=\"/m/%s\">", idstr);
	page_text(resp, subject);
	if (link)
		page_printf(resp, "</a>");
	if (row->flags & STORE_MSG_REVOKED)
		page_printf(resp, " <strong>(revoked)</strong>");
	page_printf(resp, "</td>");
}

static void
msg_cell_date(struct http_response *resp, const struct msg_row *row)
{
	char	when[64];

	page_printf(resp, "<td>");
	if (row->readable && row->sum.date[0] != '\0')
		page_text(resp, row->sum.date);
	else {
		msg_format_time(row->received, when, sizeof(when));
		page_text(resp, when);
	}
	page_printf(resp, "</td>");
}

static void
msg_cell_rest(struct http_response *resp, const struct msg_row *row)
{
	char	size[32], when[64];

	msg_format_size(row->size, size, sizeof(size));
	msg_format_time(row->expires, when, sizeof(when));
	page_printf(resp, "<td>%s</td><td>%u</td><td>%s</td>", size,
	    row->attachments, when);
}

static void
msg_render_inbox_row(struct http_response *resp, const struct msg_row *row,
    const char *idstr)
{
	int	revoked = (row->flags & STORE_MSG_REVOKED) != 0;

	page_printf(resp, "<tr><td>");
	page_text(resp, row->readable && row->sum.from[0] != '\0' ?
	    row->sum.from : row->sender);
	page_printf(resp, "</td>");
	if (revoked)
		page_printf(resp, "<td class=\"muted\">This message was "
		    "revoked by its sender</td>");
	else
		msg_cell_subject(resp, row, idstr, 1);
	msg_cell_date(resp, row);
	msg_cell_rest(resp, row);
	page_printf(resp, "</tr>\n");
}

static void
msg_render_sent_row(struct http_response *resp, const struct msg_row *row,
    const char *idstr)
{
	char	when[64];
	size_t	i;

	page_printf(resp, "<tr><td><ul class=\"recipients\">");
	for (i = 0; i < row->nrcpts; i++) {
		page_printf(resp, "<li>");
		page_text(resp, row->rcpts[i]);
		if (row->opened[i] >= 0) {
			msg_format_time(row->opened[i], when, sizeof(when));
			page_printf(resp, " <span class=\"muted\">opened "
			    "%s</span>", when);
		} else if (row->opened[i] == MSG_OPEN_NEVER)
			page_printf(resp, " <span class=\"muted\">not "
			    "opened</span>");
		else
			page_printf(resp, " <span class=\"muted\">open "
			    "status unknown</span>");
		page_printf(resp, "</li>");
	}
	page_printf(resp, "</ul></td>");
	msg_cell_subject(resp, row, idstr,
	    (row->flags & STORE_MSG_REVOKED) == 0);
	msg_cell_date(resp, row);
	msg_cell_rest(resp, row);
	/* GET: the confirmation page, whose form POSTs the revocation. */
	if (row->flags & STORE_MSG_REVOKED)
		page_printf(resp, "<td></td></tr>\n");
	else
		page_printf(resp, "<td><form method=\"get\" "
		    "action=\"/m/%s/revoke\" class=\"inline\"><button "
		    "type=\"submit\" class=\"secondary\">Revoke</button>"
		    "</form></td></tr>\n", idstr);
}

static void
msg_render_list(struct http_response *resp, const struct msg_list *l,
    const struct auth_user *user, unsigned page)
{
	const char	*title, *path;
	char		 idstr[MSGID_STRLEN + 1];
	size_t		 i;

	if (l->role == STORE_ROLE_RECIPIENT) {
		title = "Inbox";
		path = "/inbox";
	} else {
		title = "Sent";
		path = "/sent";
	}
	page_begin(resp, title, user);
	page_printf(resp, "<h1>%s</h1>\n", title);
	if (user->professional)
		page_printf(resp, "<p><a class=\"button\" href=\"/compose\">"
		    "New secure message</a></p>\n");
	if (l->nrows == 0)
		page_printf(resp, "<p>%s</p>\n", page > 1 ?
		    "No more messages." : "No messages.");
	else {
		page_printf(resp, "<table class=\"messages\">\n<thead><tr>"
		    "<th scope=\"col\">%s</th><th scope=\"col\">Subject</th>"
		    "<th scope=\"col\">Date</th><th scope=\"col\">Size</th>"
		    "<th scope=\"col\">Attachments</th>"
		    "<th scope=\"col\">Expires</th>%s</tr></thead>\n"
		    "<tbody>\n",
		    l->role == STORE_ROLE_RECIPIENT ? "From" : "To",
		    l->role == STORE_ROLE_RECIPIENT ? "" :
		    "<th scope=\"col\">Revoke</th>");
		for (i = 0; i < l->nrows; i++) {
			msgid_encode(l->rows[i].id, idstr);
			if (l->role == STORE_ROLE_RECIPIENT)
				msg_render_inbox_row(resp, &l->rows[i], idstr);
			else
				msg_render_sent_row(resp, &l->rows[i], idstr);
		}
		page_printf(resp, "</tbody>\n</table>\n");
	}
	if (page > 1 || l->more) {
		page_printf(resp, "<nav class=\"pages\" aria-label=\"Pages\">");
		if (page > 1)
			page_printf(resp, "<a rel=\"prev\" href=\"%s?page=%u\">"
			    "Previous page</a> ", path, page - 1);
		page_printf(resp, "<span>Page %u</span>", page);
		if (l->more)
			page_printf(resp, " <a rel=\"next\" href=\"%s?page=%u\">"
			    "Next page</a>", path, page + 1);
		page_printf(resp, "</nav>\n");
	}
	page_end(resp);
}

static int
msg_list_handle(struct http_request *req, struct http_response *resp,
    struct portal *p, int role)
{
	struct auth_user	 user;
	struct msg_list		*l;
	unsigned		 page;
	size_t			 i;
	int			 st, rc = HTTP_HANDLER_ERROR;

	memset(&user, 0, sizeof(user));
	if ((st = auth_session(p, req, &user)) != AUTH_OK) {
		rc = auth_refuse(p, req, resp, st);
		auth_user_clear(&user);
		return rc;
	}
	if ((l = calloc(1, sizeof(*l))) == NULL)
		goto done;
	page = msg_list_page(req);
	l->p = p;
	l->role = role;
	l->now = msg_now(p);
	if (msg_list_load(l, &user, page, req->id) == -1)
		goto done;
	if (role == STORE_ROLE_SENDER)
		msg_list_opens(l, req->id);
	msg_render_list(resp, l, &user, page);
	rc = HTTP_HANDLER_DONE;
 done:
	if (l != NULL) {
		for (i = 0; i < l->nrows; i++)
			msg_row_clear(&l->rows[i]);
		free(l->keys);
		free(l);
	}
	auth_user_clear(&user);
	return rc;
}

int
handle_inbox(struct http_request *req, struct http_response *resp,
    void *arg)
{
	return msg_list_handle(req, resp, arg, STORE_ROLE_RECIPIENT);
}

int
handle_sent(struct http_request *req, struct http_response *resp,
    void *arg)
{
	return msg_list_handle(req, resp, arg, STORE_ROLE_SENDER);
}
