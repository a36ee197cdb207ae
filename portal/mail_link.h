/*
 * The portal's link mails (register, forgot password, alias
 * confirmation, unsubscribe): common/link_mail.c makes, stores and mails
 * the link; this logs it with the request id.  Blocking
 * (sendmail_command): call from the worker pool, never from the event
 * loop.
 */
#ifndef SEALPOST_MAIL_LINK_H
#define SEALPOST_MAIL_LINK_H

#include "app.h"
#include "link_mail.h"

/*
 * link_mail_send with the portal's store and clock; "<what> link sent
 * to <address>" or why not is logged with reqid (never the token).
 * 0, or -1.
 */
int	mail_link_send(struct portal *p, const char *reqid,
	    const struct link_mail *l) __attribute__((warn_unused_result));

#endif
