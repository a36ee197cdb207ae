/*
 * One message passing through the milter: its envelope, its headers, the
 * decision whether it is secure, and for a secure one the streaming
 * encryption of the original into the spool, the durable store commit and
 * the rewrite plan for the notification.  No libmilter here: callbacks.c
 * translates between libmilter and these calls, so all of it is testable
 * without an MTA.
 */
#ifndef SEALPOST_MESSAGE_H
#define SEALPOST_MESSAGE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "config.h"
#include "masterkey.h"
#include "rewrite.h"
#include "store.h"

/* What the milter holds for its whole life; read-only once running. */
struct noreply_limiter;
struct notify_templates;

struct milter_env {
	const struct config	*cfg;
	struct store		*store;
	const struct masterkey	*mk;
	time_t			(*now)(void);	/* injectable clock */
	struct noreply_limiter	*limiter;	/* notices to noreply senders */
	/* Loaded at start-up; NULL: read cfg->templates_dir per message. */
	const struct notify_templates *templates;
	/* Sends the noreply notice; NULL: noreply_send_notice. */
	int			(*send_notice)(const struct config *,
				    const char *sender, const char *message_id,
				    char *err, size_t errlen);
};

enum msg_verdict {
	MSG_CONTINUE = 0,
	MSG_ACCEPT,		/* let it through untouched, stop watching */
	MSG_TEMPFAIL,		/* reply holds a 4xx */
	MSG_REJECT,		/* reply holds a 5xx */
	MSG_DISCARD,		/* accept and drop (only noreply_address) */
	MSG_REFUSE_RCPT,	/* refuse this recipient only; reply holds a 5xx */
};

struct msg_reply {
	const char	*rcode;		/* "451" */
	const char	*xcode;		/* "4.3.0" */
	char		 text[256];
};

struct msg;

/* NULL when out of memory.  Borrows env for its lifetime. */
struct msg	*msg_new(const struct milter_env *env);
void		 msg_free(struct msg *);

/* The MTA's queue id, for log lines (NOQUEUE until known). */
void		 msg_set_queue_id(struct msg *, const char *qid);
const char	*msg_queue_id(const struct msg *);

/*
 * addr with or without <>; authenticated: the SMTP session is.  Mail
 * from outside internal_domains is still followed to the end of headers:
 * its recipients may include noreply_address.
 */
enum msg_verdict msg_set_sender(struct msg *, const char *addr,
		    int authenticated, struct msg_reply *);
enum msg_verdict msg_add_recipient(struct msg *, const char *addr,
		    struct msg_reply *);
/* value exactly as the MTA gives it (leading space, folding kept). */
enum msg_verdict msg_add_header(struct msg *, const char *name,
		    const char *value, struct msg_reply *);
enum msg_verdict msg_end_headers(struct msg *, struct msg_reply *);
enum msg_verdict msg_body(struct msg *, const uint8_t *data, size_t len,
		    struct msg_reply *);
/*
 * Seal, commit durably, and fill plan (caller clears it) with the
 * notification.  MSG_CONTINUE means the plan must be applied: for a
 * secure message the original is stored; for a plain one the plan only
 * removes noreply_address from the envelope.  On any other verdict
 * nothing is stored.
 */
enum msg_verdict msg_end(struct msg *, struct rewrite_plan *plan,
		    struct msg_reply *);
/* The MTA refused the rewrite: remove the stored original again. */
void		 msg_rollback(struct msg *);
int		 msg_is_secure(const struct msg *);

#endif
