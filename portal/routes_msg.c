/*
 * The reading routes: /inbox, /sent, /m/ID and its HTML body, parts and
 * raw original.  This file decides who may see what: a session, then a
 * message id that decodes strictly, exists, has not expired and names
 * the signed-in address as a recipient or as its sender.  Every other
 * case gets the same 404 page, so that nobody learns whether an id
 * exists.  "The signed-in address" is any of the account's addresses:
 * its login address and confirmed aliases (auth_addresses.c).  Then the
 * message is decrypted and rendered (msg_show.c) on
 * the loop, or on the worker pool when it is larger than MSG_ASYNC_MIN.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/buffer.h>

#include "app.h"
#include "auth.h"
#include "http.h"
#include "http_form.h"
#include "http_router.h"
#include "log.h"
#include "msg.h"
#include "msgid.h"
#include "page.h"
#include "store.h"
#include "workpool.h"

#define MSG_MAX_PART	100000

int64_t
msg_now(const struct portal *p)
{
	return p->now != NULL ? (int64_t)p->now() : (int64_t)time(NULL);
}

void
msg_not_found(struct http_response *resp, const struct auth_user *user)
{
	evbuffer_drain(resp->body, evbuffer_get_length(resp->body));
	page_message(resp, 404, user, "Message not found",
	    "There is no such message for this account. It may have "
	    "expired, or the link may be incomplete.");
}

void
msg_gone(struct http_response *resp, const struct auth_user *user)
{
	evbuffer_drain(resp->body, evbuffer_get_length(resp->body));
	page_message(resp, 410, user, "Message revoked",
	    "This message was revoked by its sender.");
}

static void
msg_job_free(struct msg_job *job)
{
	if (job == NULL)
		return;
	auth_user_clear(&job->user);
	store_message_clear(&job->meta);
	free(job);
}

/* Only ?inline=1 asks for an image to be shown rather than saved. */
static int
msg_want_inline(const struct http_request *req)
{
	struct http_form	*form;
	const char		*v;
	int			 yes;

	if (req->query == NULL || http_request_query(req, &form) == -1)
		return 0;
	yes = (v = http_form_get(form, "inline")) != NULL &&
	    strcmp(v, "1") == 0;
	http_form_free(form);
	return yes;
}

static void
msg_work(void *arg)
{
	struct msg_job	*job = arg;

	job->failed = msg_show_run(job) == -1;
}

static void
msg_done(void *arg, int cancelled)
{
	struct msg_job	*job = arg;

	if (cancelled || job->failed)
		http_request_fail(job->req);
	else
		http_request_done(job->req);
	msg_job_free(job);
}

/*
 * Everything the four message routes share, up to and including the
 * decision whether to decrypt on the loop or on the pool.
 */
static int
msg_handle(struct http_request *req, struct http_response *resp,
    struct portal *p, int kind)
{
	struct msg_job	*job;
	const char	*param;
	uint8_t		 id[MSGID_LEN];
	const char	*recipient, *sender;
	int		 st, rc = HTTP_HANDLER_DONE;

	if ((job = calloc(1, sizeof(*job))) == NULL)
		return HTTP_HANDLER_ERROR;
	job->p = p;
	job->req = req;
	job->resp = resp;
	job->kind = kind;
	if ((st = auth_session(p, req, &job->user)) != AUTH_OK) {
		rc = auth_refuse(p, req, resp, st);
		goto done;
	}
	/* Malformed, missing, foreign and expired ids: one answer. */
	if ((param = http_request_param(req, 0)) == NULL ||
	    msgid_decode(param, id) == -1 ||
	    (kind == MSG_PART && msg_parse_index(http_request_param(req, 1),
	    MSG_MAX_PART, &job->part) == -1)) {
		msg_not_found(resp, &job->user);
		goto done;
	}
	if ((st = store_get_message(p->store, id, &job->meta)) ==
	    STORE_NOTFOUND) {
		msg_not_found(resp, &job->user);
		goto done;
	}
	if (st != STORE_OK) {
		log_warnx("%s message: store: %s", req->id, store_strerror(st));
		rc = HTTP_HANDLER_ERROR;
		goto done;
	}
	/* The login address or a confirmed alias (auth_addresses.c). */
	recipient = msg_user_recipient(&job->meta, &job->user);
	sender = msg_user_sender(&job->meta, &job->user);
	if ((recipient == NULL && sender == NULL) || job->meta.expires < msg_now(p)) {
		msg_not_found(resp, &job->user);
		goto done;
	}
	if (job->meta.flags & STORE_MSG_REVOKED) {
		msg_gone(resp, &job->user);
		goto done;
	}
	msgid_encode(id, job->idstr);
	/* A sender looking at what they sent is not an open; a sender who
	 * is also a recipient (mail to oneself) is a recipient. */
	job->record_open = kind == MSG_VIEW && recipient != NULL;
	job->open_as = recipient;
	job->want_inline = kind == MSG_PART && msg_want_inline(req);

	/* /raw decrypts one chunk here, the rest as it is sent. */
	if (kind != MSG_RAW && job->meta.size > MSG_ASYNC_MIN &&
	    p->pool != NULL) {
		if (workpool_submit(p->pool, msg_work, msg_done, job) == -1) {
			log_warnx("%s message: worker pool full", req->id);
			page_message(resp, 503, &job->user, "Busy",
			    "The server is busy. Please try again in a "
			    "moment.");
			goto done;
		}
		return HTTP_HANDLER_ASYNC;	/* msg_done frees job */
	}
	if (msg_show_run(job) == -1)
		rc = HTTP_HANDLER_ERROR;
 done:
	msg_job_free(job);
	return rc;
}

static int
handle_message(struct http_request *req, struct http_response *resp,
    void *arg)
{
	return msg_handle(req, resp, arg, MSG_VIEW);
}

static int
handle_message_html(struct http_request *req, struct http_response *resp,
    void *arg)
{
	return msg_handle(req, resp, arg, MSG_HTML);
}

static int
handle_message_part(struct http_request *req, struct http_response *resp,
    void *arg)
{
	return msg_handle(req, resp, arg, MSG_PART);
}

static int
handle_message_raw(struct http_request *req, struct http_response *resp,
    void *arg)
{
	return msg_handle(req, resp, arg, MSG_RAW);
}

int
msg_routes_add(struct http_router *r, struct portal *p)
{
	if (http_router_add(r, HTTP_GET, "/inbox", 0, handle_inbox, p) == -1 ||
	    http_router_add(r, HTTP_GET, "/sent", 0, handle_sent, p) == -1 ||
	    http_router_add(r, HTTP_GET, "/m/*", 0, handle_message, p) == -1 ||
	    http_router_add(r, HTTP_GET, "/m/*/html", 0, handle_message_html,
	    p) == -1 ||
	    http_router_add(r, HTTP_GET, "/m/*/raw", 0, handle_message_raw,
	    p) == -1 ||
	    http_router_add(r, HTTP_GET, "/m/*/part/*", 0, handle_message_part,
	    p) == -1)
		return -1;
	return 0;
}
