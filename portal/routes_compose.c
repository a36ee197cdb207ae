/*
 * The writing routes: GET and POST /compose, POST /m/ID/reply, GET and
 * POST /m/ID/revoke.  This file decides who may write: a session first,
 * then the role (guests cannot use /compose at all); compose_run.c then
 * checks the message answered and, for guests, every recipient.  A
 * message is written on the worker pool (decrypting the original,
 * encrypting the new one, a durable commit, sendmail), so that the
 * event loop never waits.
 *
 * Revocation: only the sender of a message may revoke it; for anyone
 * else the id does not exist (the same 404 as reading).  After it the
 * recipients see that the sender revoked it (routes_msg.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "app.h"
#include "auth.h"
#include "compose.h"
#include "http.h"
#include "http_form.h"
#include "http_router.h"
#include "log.h"
#include "message_read.h"
#include "msg.h"
#include "msgid.h"
#include "page.h"
#include "store.h"
#include "workpool.h"

static void
compose_job_free(struct compose_job *job)
{
	if (job == NULL)
		return;
	auth_user_clear(&job->user);
	free(job);
}

static void
compose_work(void *arg)
{
	struct compose_job	*job = arg;

	job->failed = compose_run(job) == -1;
}

static void
compose_done(void *arg, int cancelled)
{
	struct compose_job	*job = arg;

	if (cancelled || job->failed)
		http_request_fail(job->req);
	else
		http_request_done(job->req);
	compose_job_free(job);
}

static void
refuse_guest(struct http_response *resp, const struct auth_user *user)
{
	compose_page_refused(resp, 403, user, "Not available for guests",
	    "Writing new messages is for users of this organisation. You can "
	    "answer the messages you received: open one and use Reply, "
	    "Reply all or Forward.");
}

/*
 * Both writing POSTs: session, role, then the rest on the worker pool.
 * orig is the raw ID of /m/ID/reply, NULL for /compose.
 */
static int
compose_handle(struct http_request *req, struct http_response *resp,
    struct portal *p, const char *orig)
{
	struct compose_job	*job;
	int			 st, rc = HTTP_HANDLER_DONE;

	if ((job = calloc(1, sizeof(*job))) == NULL)
		return HTTP_HANDLER_ERROR;
	job->p = p;
	job->req = req;
	job->resp = resp;
	if ((st = auth_session(p, req, &job->user)) != AUTH_OK) {
		rc = auth_refuse(p, req, resp, st);
		goto done;
	}
	if (orig == NULL && !job->user.professional) {
		log_info("%s compose refused: guest %s", req->id,
		    job->user.address);
		refuse_guest(resp, &job->user);
		goto done;
	}
	if (orig != NULL) {
		/* A malformed id is a missing one. */
		if (msgid_decode(orig, job->orig) == -1) {
			msg_not_found(resp, &job->user);
			goto done;
		}
		job->has_orig = 1;
		msgid_encode(job->orig, job->origstr);
	}
	if (p->pool == NULL) {
		if (compose_run(job) == -1)
			rc = HTTP_HANDLER_ERROR;
		goto done;
	}
	if (workpool_submit(p->pool, compose_work, compose_done, job) == -1) {
		log_warnx("%s compose: worker pool full", req->id);
		compose_page_refused(resp, 503, &job->user, "Busy",
		    "The server is busy; nothing was sent. Please try again "
		    "in a moment.");
		goto done;
	}
	return HTTP_HANDLER_ASYNC;	/* compose_done frees job */
 done:
	compose_job_free(job);
	return rc;
}

static int
handle_compose(struct http_request *req, struct http_response *resp,
    void *arg)
{
	struct portal		*p = arg;
	struct auth_user	 user;
	struct compose_fields	 f;
	int			 st, rc = HTTP_HANDLER_DONE;

	if (req->method == HTTP_POST)
		return compose_handle(req, resp, p, NULL);
	if ((st = auth_session(p, req, &user)) != AUTH_OK) {
		rc = auth_refuse(p, req, resp, st);
		auth_user_clear(&user);
		return rc;
	}
	if (!user.professional)
		refuse_guest(resp, &user);
	else {
		memset(&f, 0, sizeof(f));
		compose_page_form(resp, 200, &user, NULL, COMPOSE_NEW, &f,
		    NULL);
	}
	auth_user_clear(&user);
	return rc;
}

static int
handle_reply(struct http_request *req, struct http_response *resp,
    void *arg)
{
	return compose_handle(req, resp, arg, http_request_param(req, 0));
}

/*
 * The message behind /m/ID/revoke for its sender: 0 with *m filled,
 * 1 when answered (404), -1 on a store error.
 */
static int
revoke_lookup(struct portal *p, struct http_request *req,
    struct http_response *resp, const struct auth_user *user,
    uint8_t id[MSGID_LEN], struct store_message *m)
{
	const char	*param = http_request_param(req, 0);
	int		 st;

	if (param == NULL || msgid_decode(param, id) == -1) {
		msg_not_found(resp, user);
		return 1;
	}
	if ((st = store_get_message(p->store, id, m)) == STORE_NOTFOUND) {
		msg_not_found(resp, user);
		return 1;
	}
	if (st != STORE_OK) {
		log_warnx("%s revoke: store: %s", req->id, store_strerror(st));
		return -1;
	}
	/* Recipients and strangers: no such message. */
	if (msg_user_sender(m, user) == NULL || m->expires < msg_now(p)) {
		store_message_clear(m);
		msg_not_found(resp, user);
		return 1;
	}
	return 0;
}

static void
revoke_confirm(struct portal *p, struct http_response *resp,
    const struct auth_user *user, const char *idstr,
    const struct store_message *m)
{
	struct message_summary	 sum;
	char			*block = NULL;
	size_t			 len = 0;
	int			 readable = 0;

	memset(&sum, 0, sizeof(sum));
	if (message_read_headers(p->store, p->mk, m, &block, &len) ==
	    MESSAGE_READ_OK && message_summary_from_headers(block, len,
	    &sum) == 0)
		readable = 1;
	message_read_free(block, len);
	compose_page_revoke(resp, user, idstr, readable ? sum.subject : NULL,
	    m);
	message_summary_clear(&sum);
}

static int
handle_revoke(struct http_request *req, struct http_response *resp,
    void *arg)
{
	struct portal		*p = arg;
	struct auth_user	 user;
	struct store_message	 m;
	struct http_form	*form = NULL;
	uint8_t			 id[MSGID_LEN];
	char			 idstr[MSGID_STRLEN + 1];
	int			 st, rc = HTTP_HANDLER_DONE, found;

	memset(&m, 0, sizeof(m));
	if ((st = auth_session(p, req, &user)) != AUTH_OK) {
		rc = auth_refuse(p, req, resp, st);
		auth_user_clear(&user);
		return rc;
	}
	if (req->method == HTTP_POST) {
		if (http_request_form(req, &form) == -1) {
			compose_page_refused(resp, 400, &user,
			    "The form could not be read",
			    "Please go back, reload the page and try again.");
			goto done;
		}
		if (auth_check_csrf(p, req, &user, form) == -1) {
			compose_page_refused(resp, 403, &user,
			    "This form has expired",
			    "The form was too old or did not come from this "
			    "site. Nothing was revoked. Go back, reload the "
			    "page and try again.");
			goto done;
		}
	}
	if ((found = revoke_lookup(p, req, resp, &user, id, &m)) != 0) {
		if (found == -1)
			rc = HTTP_HANDLER_ERROR;
		goto done;
	}
	msgid_encode(id, idstr);
	if (req->method == HTTP_GET) {
		if (m.flags & STORE_MSG_REVOKED)
			page_message(resp, 200, &user, "Already revoked",
			    "You revoked this message; its recipients can no "
			    "longer read it.");
		else
			revoke_confirm(p, resp, &user, idstr, &m);
		goto done;
	}
	if ((m.flags & STORE_MSG_REVOKED) == 0) {
		if ((st = store_set_flags(p->store, id, STORE_MSG_REVOKED, 0)) !=
		    STORE_OK && st != STORE_NOTFOUND) {
			log_warnx("%s revoke: id=%s store: %s", req->id, idstr,
			    store_strerror(st));
			rc = HTTP_HANDLER_ERROR;
			goto done;
		}
		log_info("%s revoke: id=%s by=<%s> action=revoked", req->id,
		    idstr, user.address);
	}
	if (http_response_redirect(resp, 303, "/sent") == -1)
		rc = HTTP_HANDLER_ERROR;
 done:
	http_form_free(form);
	store_message_clear(&m);
	auth_user_clear(&user);
	return rc;
}

int
compose_routes_add(struct http_router *r, struct portal *p)
{
	/* Uploads: a message's worth of body, and a little for the form. */
	uint64_t	max = p->cfg->max_message_size;

	if (http_router_add(r, HTTP_GET | HTTP_POST, "/compose", max,
	    handle_compose, p) == -1 ||
	    http_router_add(r, HTTP_POST, "/m/*/reply", max, handle_reply,
	    p) == -1 ||
	    http_router_add(r, HTTP_GET | HTTP_POST, "/m/*/revoke", 0,
	    handle_revoke, p) == -1)
		return -1;
	return 0;
}
