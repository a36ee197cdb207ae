/*
 * The writing half of the portal, shared by its files: routes_compose.c
 * (routes, sessions, roles, revocation), compose_run.c (one Reply,
 * Reply all, Forward or Compose: checks, quoting, storing,
 * notifications), compose_page.c (the forms and the refusals) and
 * msg_thread.c (conversations, and what /m/ID shows under a message).
 * Private to those files.
 *
 * Roles: a professional user (auth_user.professional: the address is in
 * internal_domains) may write to anyone; a guest only answers: every
 * recipient of a guest's message must be the sender or a recipient of
 * the message answered, and /compose is refused.  Checked here, on the
 * server, for every request; pages only follow.
 */
#ifndef SEALPOST_COMPOSE_H
#define SEALPOST_COMPOSE_H

#include <stddef.h>
#include <stdint.h>

#include "app.h"
#include "auth.h"
#include "http.h"
#include "msgid.h"
#include "store.h"

struct msgview;

enum compose_mode {
	COMPOSE_NEW = 0,	/* POST /compose */
	COMPOSE_REPLY,		/* POST /m/ID/reply, mode=reply */
	COMPOSE_REPLY_ALL,	/* mode=reply-all */
	COMPOSE_FORWARD,	/* mode=forward */
};

/* Messages of a conversation looked at, newest first (inbox and sent). */
#define COMPOSE_THREAD_SCAN	200

/*
 * One POST that writes a message.  Built on the loop after the session
 * check; compose_run() may then run on a worker, which alone touches it
 * (and req/resp) until the done callback.
 */
struct compose_job {
	struct portal		*p;		/* borrowed */
	struct http_request	*req;		/* borrowed from the server */
	struct http_response	*resp;
	struct auth_user	 user;		/* owned; auth_user_clear */
	int			 has_orig;	/* /m/ID/reply */
	uint8_t			 orig[MSGID_LEN];
	char			 origstr[MSGID_STRLEN + 1];
	int			 failed;	/* set by the worker: 500 */
};

/* compose_run.c: answer the POST into job->resp.  0, or -1 (logged; the
 * caller answers 500). */
int	compose_run(struct compose_job *job) __attribute__((warn_unused_result));

/*
 * Addresses typed in a To or Cc field ("a@b.example, Name <c@d>"):
 * each a mailbox, lowercased, checked with message_address_ok, each once;
 * appended to *v (*n of them, malloc'd strings).  An empty field adds
 * nothing.  -1 with the offending text in bad (or "" on no memory).
 */
int	compose_parse_addresses(const char *field, char ***v, size_t *n,
	    char *bad, size_t badlen) __attribute__((warn_unused_result));
void	compose_addresses_free(char **v, size_t n);

/* 1 if address (any case) is the sender or a recipient of m. */
int	compose_is_participant(const struct store_message *m,
	    const char *address);

/* "reply", "reply-all", "forward" and back; -1 for anything else. */
int		 compose_mode_parse(const char *s);
const char	*compose_mode_name(int mode);

/* "Re: subject" / "Fwd: subject" unless it already says so.  Malloc'd. */
char	*compose_subject_default(int mode, const char *subject);

/*
 * compose_page.c: the form, as a page (GET /compose, or a POST answered
 * again with what was typed and why it was refused) or inside the read
 * page.  orig is the message answered (NULL for /compose).
 */
struct compose_fields {
	const char	*to;
	const char	*cc;
	const char	*subject;
	const char	*body;
};

void	compose_page_form(struct http_response *resp, int status,
	    const struct auth_user *user, const char *orig, int mode,
	    const struct compose_fields *f, const char *error);
/* The fields and buttons of one form, for a page of its own or for the
 * read page (id_suffix keeps the element ids unique there). */
void	compose_form_body(struct http_response *resp,
	    const struct auth_user *user, const char *orig, int mode,
	    const struct compose_fields *f, const char *id_suffix);
/* A whole page with one refusal (403, 400, 413, 503). */
void	compose_page_refused(struct http_response *resp, int status,
	    const struct auth_user *user, const char *title, const char *text);

/* The revocation pages. */
void	compose_page_revoke(struct http_response *resp,
	    const struct auth_user *user, const char *idstr,
	    const char *subject, const struct store_message *m);

/*
 * msg_thread.c: threading ids from a header block (msg-ids without <>,
 * each checked with message_msgid_ok; NULL / 0 when absent).
 */
struct thread_ids {
	char	*message_id;
	char	*in_reply_to;
	char	**refs;		/* References, oldest first */
	size_t	 nrefs;
};

int	thread_ids_parse(const char *block, size_t len, struct thread_ids *out)
	    __attribute__((warn_unused_result));
void	thread_ids_clear(struct thread_ids *);
/* 1 if a and b belong to one conversation. */
int	thread_ids_related(const struct thread_ids *a,
	    const struct thread_ids *b);

#endif
