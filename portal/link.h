/*
 * Links mailed to an address: registration (/verify), password reset
 * (/reset) and unsubscribe (/unsubscribe?token=T).  The address typed
 * into a form, the request side (throttled, answered at once with a
 * neutral page by the caller), the mail job on the worker pool, and the
 * lookup when the link comes back.
 *
 * The link itself is made and mailed by mail_link_send (mail_link.h):
 * 256 random bits, only the hash stored, single use, only the newest
 * link of a kind per address works.  The job decides on the
 * worker whether a link is sent at all, so that neither the answer nor
 * its timing tells addresses apart.  Tokens and links are never logged.
 */
#ifndef SEALPOST_LINK_H
#define SEALPOST_LINK_H

#include <stddef.h>
#include <stdint.h>

#include "app.h"
#include "http.h"
#include "store.h"

struct link_spec {
	int		 token_kind;	/* enum store_token_kind */
	const char	*path;		/* the link's path: "/verify" */
	const char	*template;	/* the mail's body, in templates_dir */
	const char	*subject;
	const char	*what;		/* for logs: "verification" */
	const char	*refused;	/* for logs, when allowed says no */
	/* The link's lifetime in seconds, from the configuration. */
	uint64_t	(*lifetime)(const struct config *cfg);
	/* Whether address gets a link: 1, 0, or -1 (store).  Runs on a
	 * worker: store calls only. */
	int		(*allowed)(struct portal *p, const char *address);
	int		 once;		/* one per address per mail window */
};

/* Invited: an internal address, or a recipient of a stored secure
 * message.  1, 0, or -1 (store).  Store only. */
int	link_invited(struct portal *p, const char *address);

/*
 * Ask for a link to address (normalized) from req: unless the address
 * or the client is throttled, the job is counted and queued, detached
 * from the request.  0 (the caller answers its neutral page), or -1
 * when the worker pool is full (answer 503).
 */
int	link_request(struct portal *p, const struct http_request *req,
	    const struct link_spec *spec, const char *address)
	    __attribute__((warn_unused_result));

/*
 * The token hex (from a query or a form) as a live token of spec's
 * kind, without using it: 0 with *t filled (clear it) and key set, 1 if
 * it is not one (malformed, unknown, used or expired), -1 on a store
 * error.
 */
int	link_lookup(struct portal *p, const struct link_spec *spec,
	    const char *hex, uint8_t key[STORE_KEY_LEN], struct store_token *t)
	    __attribute__((warn_unused_result));

#endif
