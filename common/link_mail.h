/*
 * Single-use links mailed to one address (register, forgot password,
 * alias confirmation, unsubscribe; the admin's "account reset"): how the
 * token is made and stored, and how the mail is rendered and sent.  The
 * portal (portal/mail_link.c, which logs with its request id) and
 * sealpost-admin both use this, so a link looks and works the same
 * whoever made it.  Blocking (sendmail_command): never call it from the
 * portal's event loop.
 */
#ifndef SEALPOST_LINK_MAIL_H
#define SEALPOST_LINK_MAIL_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "config.h"
#include "store.h"

#define LINK_TOKEN_BYTES	32	/* also the portal's session ids and
					 * CSRF tokens */
#define LINK_TOKEN_HEX		(2 * LINK_TOKEN_BYTES)

/* What one link mail is. */
struct link_mail {
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

/* Why link_mail_send failed: the caller words it (err says the rest). */
enum link_mail_status {
	LINK_MAIL_OK = 0,
	LINK_MAIL_STORE,	/* nothing stored; err: the store's error */
	LINK_MAIL_NOMEM,	/* stored, not sent */
	LINK_MAIL_TEMPLATE,	/* stored, not sent; err: the template's */
	LINK_MAIL_MAILER,	/* stored, not sent; err: the mailer's */
};

/* A fresh token of LINK_TOKEN_BYTES random bytes: hex for the link or
 * cookie, its BLAKE2b-256 hash (the only thing stored) in key. */
void	link_token_new(char hex[LINK_TOKEN_HEX + 1],
	    uint8_t key[STORE_KEY_LEN]);

/*
 * A new token for l->address, stored only as its hash, expiring at now +
 * l->lifetime; older tokens of that kind for the address are deleted
 * first, so that only the newest link works.  Mailed as
 * portal_url + path + "?token=" + hex in the rendered l->template.  The
 * token is never logged nor kept in memory.  LINK_MAIL_OK or the step
 * that failed, with err.
 */
int	link_mail_send(const struct config *cfg, struct store *store,
	    time_t now, const struct link_mail *l, char *err, size_t errlen)
	    __attribute__((warn_unused_result));

/*
 * Render templates_dir/name with {{address}}, {{account}},
 * {{portal_url}}, {{link}}, {{lifetime}} and {{unsubscribe_link}}
 * (account and link may be NULL: empty).  Malloc'd, caller frees; NULL
 * with err.
 */
char	*link_mail_render(const struct config *cfg, const char *name,
	    const char *address, const char *account, const char *link,
	    uint64_t lifetime, char *err, size_t errlen);

#endif
