/*
 * Rendering one message the signed-in user may read (routes_msg.c has
 * checked that): the read page, the sanitised HTML body for its
 * sandboxed iframe, one decoded part, and the original as received.
 * May run on a worker thread: it touches only the job, its response,
 * the store and the master key; never the event loop.  The stream of
 * /m/ID/raw's later chunks runs on the loop (http_response_stream).
 *
 * Everything that comes from the message is escaped (page.h) or
 * sanitised (sanitize.h).  Decrypted bytes are wiped when we are done
 * with them; the copy in the response body is not (an evbuffer), which
 * is a limitation to keep in mind.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <event2/buffer.h>

#include <sodium.h>

#include "http.h"
#include "log.h"
#include "message_read.h"
#include "msg.h"
#include "msgview.h"
#include "page.h"
#include "sanitize.h"
#include "store.h"

/*
 * The sanitiser's view of inline images: cid -> a data: URL of the part.
 * The body is shown in a sandboxed frame without allow-same-origin, so
 * the browser sends it no cookie: a link back to /m/ID/part/N would only
 * reach the login page.  The images travel inside the body instead, up
 * to MSG_INLINE_MAX bytes in all.
 */
#define MSG_INLINE_MAX	(8 * 1024 * 1024)

/* "png", "gif", "jpeg" or "webp" for an image type we inline, else NULL. */
static const char *
msg_image_subtype(const char *type)
{
	static const char *const subtypes[] = { "png", "gif", "jpeg", "webp" };
	size_t i, n;

	if (strncasecmp(type, "image/", 6) != 0)
		return NULL;
	for (i = 0; i < sizeof(subtypes) / sizeof(subtypes[0]); i++) {
		n = strlen(subtypes[i]);
		if (strncasecmp(type + 6, subtypes[i], n) == 0 &&
		    (type[6 + n] == '\0' || type[6 + n] == ';' ||
		    type[6 + n] == ' '))
			return subtypes[i];
	}
	return NULL;
}

struct msg_cid_ctx {
	const struct msgview	*view;
	const uint8_t		*raw;
	size_t			 rawlen;
	size_t			 inlined;	/* decoded bytes so far */
};

static char *
msg_cid_url(void *arg, const char *cid)
{
	struct msg_cid_ctx	*c = arg;
	uint8_t			*data = NULL;
	char			*ctype = NULL, *fname = NULL, *url = NULL;
	const char		*type;
	size_t			 dlen, b64len, off;
	unsigned		 n;

	if (msgview_find_cid(c->view, cid, &n) == -1 || n == 0 ||
	    n > c->view->nparts ||
	    !msg_inline_image(c->view->parts[n - 1].content_type))
		return NULL;
	if (msgview_part_content(c->raw, c->rawlen, n, &data, &dlen, &ctype,
	    &fname) == -1)
		return NULL;
	if ((type = msg_image_subtype(c->view->parts[n - 1].content_type)) ==
	    NULL || dlen == 0 || c->inlined + dlen > MSG_INLINE_MAX)
		goto done;
	c->inlined += dlen;
	b64len = sodium_base64_encoded_len(dlen, sodium_base64_VARIANT_ORIGINAL);
	off = strlen("data:image/;base64,") + strlen(type);
	if ((url = malloc(off + b64len)) == NULL)
		goto done;
	snprintf(url, off + 1, "data:image/%s;base64,", type);
	sodium_bin2base64(url + off, b64len, data, dlen,
	    sodium_base64_VARIANT_ORIGINAL);
done:
	free(data);
	free(ctype);
	free(fname);
	return url;
}

static void
msg_header_row(struct http_response *resp, const char *name,
    const char *value)
{
	page_printf(resp, "<tr><th scope=\"row\">%s</th><td>", name);
	page_text(resp, value);
	page_printf(resp, "</td></tr>\n");
}

/* /m/ID: headers, text body, the HTML body's iframe, attachments. */
static void
msg_show_view(struct msg_job *job, const struct msgview *v)
{
	struct http_response	*resp = job->resp;
	const char		*title;
	char			 when[64], size[32];
	size_t			 i, nlisted = 0;

	title = v->subject[0] != '\0' ? v->subject : "(no subject)";
	page_begin(resp, title, &job->user);
	page_printf(resp, "<h1>");
	page_text(resp, title);
	page_printf(resp, "</h1>\n<table class=\"headers\">\n");
	msg_header_row(resp, "From", v->from);
	msg_header_row(resp, "To", v->to);
	if (v->cc[0] != '\0')
		msg_header_row(resp, "Cc", v->cc);
	msg_header_row(resp, "Date", v->date);
	msg_header_row(resp, "Subject", v->subject);
	page_printf(resp, "</table>\n");
	msg_format_time(job->meta.expires, when, sizeof(when));
	page_printf(resp, "<p class=\"muted\">Available until %s. "
	    "<a href=\"/m/%s/raw\">Download original (.eml)</a></p>\n",
	    when, job->idstr);

	if (v->html_body != NULL) {
		/* No allow-* token: no script, no same origin, no forms, no
		 * popups, no top navigation.  Sized by attributes: the
		 * page's CSP allows no inline style. */
		page_printf(resp, "<iframe sandbox src=\"/m/%s/html\" "
		    "title=\"Message body\" width=\"100%%\" height=\"600\" "
		    "referrerpolicy=\"no-referrer\" loading=\"lazy\">"
		    "</iframe>\n", job->idstr);
		if (v->text_body != NULL) {
			page_printf(resp, "<details><summary>Plain-text "
			    "version</summary>\n<pre class=\"body\">");
			page_text(resp, v->text_body);
			page_printf(resp, "</pre>\n</details>\n");
		}
	} else if (v->text_body != NULL) {
		page_printf(resp, "<pre class=\"body\">");
		page_text(resp, v->text_body);
		page_printf(resp, "</pre>\n");
	} else
		page_printf(resp, "<p class=\"muted\">This message has no "
		    "text.</p>\n");

	for (i = 0; i < v->nparts; i++) {
		const struct msgview_part *pt = &v->parts[i];

		/* Inline images are shown by the HTML body; without one,
		 * they are offered for download too. */
		if (!pt->is_attachment && !(v->html_body == NULL &&
		    pt->is_inline_image))
			continue;
		if (nlisted++ == 0)
			page_printf(resp, "<h2>Attachments</h2>\n"
			    "<ul class=\"attachments\">\n");
		msg_format_size(pt->size, size, sizeof(size));
		page_printf(resp, "<li><a href=\"/m/%s/part/%u\">",
		    job->idstr, pt->index);
		page_text(resp, pt->filename);
		page_printf(resp, "</a> <span class=\"muted\">");
		page_text(resp, pt->content_type);
		page_printf(resp, ", %s</span></li>\n", size);
	}
	if (nlisted > 0)
		page_printf(resp, "</ul>\n");
	msg_actions_render(job, v);
	page_end(resp);
}

/* /m/ID/html: the sanitised HTML body as a document of its own. */
static int
msg_show_html(struct msg_job *job, const struct msgview *v,
    const uint8_t *raw, size_t rawlen)
{
	struct http_response	*resp = job->resp;
	struct msg_cid_ctx	 c = { v, raw, rawlen, 0 };
	char			*clean;

	if (v->html_body == NULL) {
		msg_not_found(resp, &job->user);
		return 0;
	}
	if ((clean = sanitize_html(v->html_body, strlen(v->html_body),
	    msg_cid_url, &c)) == NULL) {
		log_warnx("%s message: sanitize: out of memory", job->req->id);
		return -1;
	}
	page_printf(resp, "<!DOCTYPE html>\n<html>\n<head>\n"
	    "<meta charset=\"utf-8\">\n<title>Message body</title>\n"
	    "<style>body{font-family:system-ui,sans-serif;margin:.5rem;"
	    "overflow-wrap:anywhere}img{max-width:100%%;height:auto}"
	    "</style>\n</head>\n<body>\n");
	evbuffer_add(resp->body, clean, strlen(clean));
	page_printf(resp, "\n</body>\n</html>\n");
	free(clean);
	if (http_response_set_header(resp, "Content-Security-Policy",
	    MSG_CSP_HTML) == -1)
		return -1;
	/* Framed by /m/ID only: its CSP says frame-ancestors 'self'. */
	resp->frame_sameorigin = 1;
	return 0;
}

/* /m/ID/part/N: the decoded part, always a download unless it is an
 * image asked for inline. */
static int
msg_show_part(struct msg_job *job, const uint8_t *raw, size_t rawlen)
{
	struct http_response	*resp = job->resp;
	uint8_t			*data = NULL;
	size_t			 dlen = 0;
	char			*ctype = NULL, *fname = NULL, *disp = NULL;
	int			 inl, rc = -1;

	if (msgview_part_content(raw, rawlen, job->part, &data, &dlen, &ctype,
	    &fname) == -1) {
		msg_not_found(resp, &job->user);
		return 0;
	}
	inl = job->want_inline && msg_inline_image(ctype);
	if ((disp = msg_content_disposition(inl ? "inline" : "attachment",
	    fname)) == NULL)
		goto done;
	if (evbuffer_add(resp->body, data, dlen) == -1)
		goto done;
	if (http_response_set_header(resp, "Content-Type",
	    msg_download_type(ctype)) == -1 ||
	    http_response_set_header(resp, "Content-Disposition", disp) == -1 ||
	    http_response_set_header(resp, "Content-Security-Policy",
	    "default-src 'none'; frame-ancestors 'none'; sandbox") == -1)
		goto done;
	rc = 0;
 done:
	if (rc == -1)
		log_warnx("%s message: part: out of memory", job->req->id);
	message_read_free(data, dlen);
	free(ctype);
	free(fname);
	free(disp);
	return rc;
}

/*
 * Decrypt the reader's next chunk straight into space reserved at the
 * end of out, committed only once the chunk authenticated and fits the
 * record (the reader wipes it otherwise): no plaintext copy.  1 with a
 * chunk added, 0 at the verified end, -1 on failure.
 */
static int
msg_raw_chunk(struct message_reader *r, struct evbuffer *out)
{
	struct evbuffer_iovec	v;
	size_t			n;
	int			rc;

	if (evbuffer_reserve_space(out, MESSAGE_READ_CHUNK_MAX, &v, 1) != 1)
		return -1;
	if ((rc = message_reader_next_into(r, v.iov_base, v.iov_len,
	    &n)) != 1)
		return rc;
	v.iov_len = n;
	return evbuffer_commit_space(out, &v, 1) == 0 ? 1 : -1;
}

/* The HTTP server's stream of the chunks after the first (http.h). */
static int
msg_raw_fill(void *arg, struct evbuffer *out)
{
	return msg_raw_chunk(arg, out) == 1 ? 0 : -1;
}

static void
msg_raw_free(void *arg)
{
	message_reader_free(arg);
}

/*
 * /m/ID/raw: the original, streamed chunk by chunk so that memory does
 * not grow with its size.  The first chunk is decrypted here: a message
 * of one chunk, or one whose first chunk fails, is answered whole (500
 * and no byte of it on failure).  The others are decrypted and
 * authenticated one at a time as the client takes them (on the loop's
 * thread, a chunk per call); one that fails cuts the response short, so
 * the client never gets an unauthenticated byte nor a complete-looking
 * download.
 */
static int
msg_show_raw(struct msg_job *job)
{
	struct http_response	*resp = job->resp;
	struct message_reader	*r;
	uint64_t		 size;
	size_t			 first;
	char			 disp[64 + MSGID_STRLEN];
	int			 status, rc;

	if ((r = message_reader_open(job->p->store, job->p->mk, job->meta.id,
	    NULL, &status)) == NULL) {
		if (status == MESSAGE_READ_NOTFOUND) {
			msg_not_found(resp, &job->user);
			return 0;
		}
		log_warnx("%s message: id=%s open failed (%d)", job->req->id,
		    job->idstr, status);
		return -1;
	}
	size = message_reader_size(r);
	if ((rc = msg_raw_chunk(r, resp->body)) == -1) {
		evbuffer_drain(resp->body, evbuffer_get_length(resp->body));
		log_warnx("%s message: id=%s raw: decryption failed",
		    job->req->id, job->idstr);
		message_reader_free(r);
		return -1;
	}
	first = evbuffer_get_length(resp->body);
	if (size > first) {
		/* The response owns the reader from here. */
		if (http_response_stream(resp, size - first, msg_raw_fill,
		    msg_raw_free, r) == -1) {
			message_reader_free(r);
			return -1;
		}
	} else
		message_reader_free(r);
	snprintf(disp, sizeof(disp), "attachment; filename=\"message-%s.eml\"",
	    job->idstr);
	if (http_response_set_header(resp, "Content-Type",
	    "message/rfc822") == -1 ||
	    http_response_set_header(resp, "Content-Disposition", disp) == -1)
		return -1;
	return 0;
}

static void
msg_record_open(struct msg_job *job)
{
	int	st;

	if ((st = store_record_open(job->p->store, job->meta.id,
	    job->open_as, msg_now(job->p))) != STORE_OK)
		log_warnx("%s message: id=%s record open: %s", job->req->id,
		    job->idstr, store_strerror(st));
}

int
msg_show_run(struct msg_job *job)
{
	struct msgview	 v;
	uint8_t		*raw = NULL;
	size_t		 rawlen = 0;
	int		 st, rc = -1;

	if (job->kind == MSG_RAW)
		return msg_show_raw(job);

	memset(&v, 0, sizeof(v));
	if ((st = message_read_all(job->p->store, job->p->mk, job->meta.id,
	    SIZE_MAX, NULL, &raw, &rawlen)) != MESSAGE_READ_OK) {
		if (st == MESSAGE_READ_NOTFOUND) {
			msg_not_found(job->resp, &job->user);
			return 0;
		}
		log_warnx("%s message: id=%s read failed (%d)", job->req->id,
		    job->idstr, st);
		return -1;
	}
	switch (job->kind) {
	case MSG_PART:
		rc = msg_show_part(job, raw, rawlen);
		goto done;
	case MSG_VIEW:
	case MSG_HTML:
		break;
	default:
		goto done;
	}
	if (msgview_parse(raw, rawlen, &v) == -1) {
		log_warnx("%s message: id=%s parse failed", job->req->id,
		    job->idstr);
		goto done;
	}
	if (job->kind == MSG_VIEW) {
		msg_show_view(job, &v);
		if (v.html_body != NULL && http_response_set_header(job->resp,
		    "Content-Security-Policy", MSG_CSP_VIEW) == -1)
			goto done;
		if (job->record_open)
			msg_record_open(job);
		rc = 0;
	} else
		rc = msg_show_html(job, &v, raw, rawlen);
 done:
	msgview_clear(&v);
	message_read_free(raw, rawlen);
	return rc;
}
