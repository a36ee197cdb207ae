/*
 * Links mailed to an address (link.h): moved here from routes_auth.c so
 * that /register, /forgot and /unsubscribe make, send and check their
 * links the same way.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "auth.h"
#include "http.h"
#include "link.h"
#include "log.h"
#include "mail_link.h"
#include "store.h"
#include "throttle.h"
#include "workpool.h"

/* The job of one link request, detached from the request. */
struct link_job {
	struct portal		*p;
	const struct link_spec	*spec;
	char			 address[AUTH_ADDRESS_MAX + 1];
	char			 id[HTTP_ID_LEN];
};

static time_t
now_of(const struct portal *p)
{
	return p->now != NULL ? p->now() : time(NULL);
}

static int
found_one(void *arg, const struct store_message *m)
{
	*(int *)arg = 1;
	return 1;
}

int
link_invited(struct portal *p, const char *address)
{
	int	st, found = 0;

	if (config_is_internal(p->cfg, address))
		return 1;
	st = store_list_messages(p->store, address, STORE_ROLE_RECIPIENT, 0,
	    1, found_one, &found);
	if (st != STORE_OK && st != STORE_NOTFOUND)
		return -1;
	return found;
}

static void
link_work(void *arg)
{
	struct link_job		*j = arg;
	const struct link_spec	*spec = j->spec;
	struct mail_link	 l;
	int			 allowed;

	if ((allowed = spec->allowed(j->p, j->address)) == -1) {
		log_warnx("%s no %s link sent: store error", j->id, spec->what);
		return;
	}
	if (!allowed) {
		log_info("%s no %s link for %s: %s", j->id, spec->what,
		    j->address, spec->refused);
		return;
	}
	memset(&l, 0, sizeof(l));
	l.token_kind = spec->token_kind;
	l.address = j->address;
	l.path = spec->path;
	l.template = spec->template;
	l.subject = spec->subject;
	l.what = spec->what;
	l.lifetime = spec->lifetime(j->p->cfg);
	/* A failure is logged there; the request had its neutral answer. */
	if (mail_link_send(j->p, j->id, &l) == -1)
		return;
}

static void
link_done(void *arg, int cancelled)
{
	free(arg);
}

int
link_request(struct portal *p, const struct http_request *req,
    const struct link_spec *spec, const char *address)
{
	struct link_job	*j;
	time_t		 now = now_of(p);

	/* Throttled requests get the same answer, and no job. */
	if (throttle_blocked(p->throttle, THROTTLE_MAIL_ADDRESS, address,
	    now) || throttle_blocked(p->throttle, THROTTLE_MAIL_IP, req->peer,
	    now) || (spec->once && throttle_blocked(p->throttle,
	    THROTTLE_MAIL_ONCE, address, now))) {
		log_info("%s %s mail throttled", req->id, spec->what);
		return 0;
	}
	if ((j = calloc(1, sizeof(*j))) == NULL)
		return -1;
	j->p = p;
	j->spec = spec;
	snprintf(j->address, sizeof(j->address), "%s", address);
	memcpy(j->id, req->id, sizeof(j->id));
	/* Every address gets a job, allowed or not, so that neither the
	 * answer nor its timing tells them apart. */
	if (workpool_submit(p->pool, link_work, link_done, j) == -1) {
		free(j);
		log_warnx("%s worker pool full", req->id);
		return -1;
	}
	(void)throttle_record(p->throttle, THROTTLE_MAIL_ADDRESS, address,
	    now);
	(void)throttle_record(p->throttle, THROTTLE_MAIL_IP, req->peer, now);
	if (spec->once)
		(void)throttle_record(p->throttle, THROTTLE_MAIL_ONCE, address,
		    now);
	return 0;
}

int
link_lookup(struct portal *p, const struct link_spec *spec, const char *hex,
    uint8_t key[STORE_KEY_LEN], struct store_token *t)
{
	int	st;

	memset(t, 0, sizeof(*t));
	if (hex == NULL || auth_token_key(hex, key) == -1)
		return 1;
	st = store_peek_token(p->store, key, spec->token_kind, now_of(p), t);
	if (st == STORE_NOTFOUND)
		return 1;
	if (st != STORE_OK) {
		log_warnx("cannot read a link token: %s", store_strerror(st));
		return -1;
	}
	return 0;
}
