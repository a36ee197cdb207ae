/*
 * Mail the portal writes to one address: the single-use links (register,
 * forgot password, alias confirmation) and plain notices ("your password
 * was changed").  Blocking (sendmail_command): call from the worker
 * pool, never from the event loop.
 */
#ifndef SEALPOST_MAIL_LINK_H
#define SEALPOST_MAIL_LINK_H

#include <stdint.h>

#include "app.h"

/* What one link mail is. */
struct mail_link {
	int		 token_kind;	/* enum store_token_kind */
	const char	*address;	/* the token's address; the mail goes
					 * there */
	const char	*data;		/* the token's data, "" if none */
	const char	*account;	/* {{account}} in the template, or NULL */
	const char	*path;		/* the link's path: "/verify" */
	const char	*template;	/* in templates_dir */
	const char	*subject;
	const char	*what;		/* for logs: "verification" */
	uint64_t	 lifetime;	/* seconds */
};

/*
 * A new token (AUTH_TOKEN_BYTES random bytes, stored only as its hash,
 * expiring after l->lifetime; older tokens of that kind for l->address
 * are deleted, so that only the newest link works), mailed as
 * portal_url + path + "?token=" + hex.  The token is never logged.
 * 0, or -1 (logged with reqid).
 */
int	mail_link_send(struct portal *p, const char *reqid,
	    const struct mail_link *l) __attribute__((warn_unused_result));

/*
 * Render templates_dir/name with {{address}}, {{account}},
 * {{portal_url}}, {{link}}, {{lifetime}} and {{unsubscribe_link}}
 * (account and link may be NULL: empty).  Malloc'd, caller frees; NULL with err.
 */
char	*mail_render(const struct config *cfg, const char *name,
	    const char *address, const char *account, const char *link,
	    uint64_t lifetime, char *err, size_t errlen);

#endif
