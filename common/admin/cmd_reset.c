/*
 * account reset ADDRESS: mail ADDRESS a password reset link, exactly as
 * the portal's "Forgot password" does (portal/routes_auth.c): the same
 * common/link_mail.c makes the token (kind STORE_TOKEN_RESET, lifetime
 * reset_link_lifetime, older reset links of the address deleted first),
 * the link portal_url/reset?token=T and the body from reset.txt.
 *
 * The administrator never sees the token or a password: the link goes
 * only to the address, and is wiped from memory once sent.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "admin.h"
#include "config.h"
#include "link_mail.h"
#include "store.h"

#define RESET_TEMPLATE		"reset.txt"
#define RESET_SUBJECT		"Reset your password for the secure message portal"

int
admin_reset(struct admin *a, const char *address)
{
	const struct config	*cfg = &a->cfg;
	struct store		*store = NULL;
	struct store_account	 acc;
	struct link_mail	 l;
	char			 life[64], err[512];
	int			 st, rc = ADMIN_SYSERR, stored = 0;

	memset(&acc, 0, sizeof(acc));
	if ((rc = admin_store_open(a, &store)) != ADMIN_OK)
		return rc;
	rc = ADMIN_SYSERR;
	/* The portal sends reset links only to accounts that may log in. */
	if ((st = store_get_account(store, address, &acc)) == STORE_NOTFOUND) {
		fprintf(stderr, "sealpost-admin: no account %s\n", address);
		rc = ADMIN_USAGE;
		goto done;
	}
	if (st != STORE_OK) {
		rc = admin_store_error("get account", st);
		goto done;
	}
	if (acc.flags & (STORE_ACCOUNT_DISABLED | STORE_ACCOUNT_UNSUBSCRIBED)) {
		fprintf(stderr, "sealpost-admin: %s is %s: enable it first\n",
		    address, (acc.flags & STORE_ACCOUNT_DISABLED) ? "disabled" :
		    "unsubscribed");
		rc = ADMIN_USAGE;
		goto done;
	}

	memset(&l, 0, sizeof(l));
	l.token_kind = STORE_TOKEN_RESET;
	l.address = address;
	l.path = "/reset";
	l.template = RESET_TEMPLATE;
	l.subject = RESET_SUBJECT;
	l.what = "reset";
	l.lifetime = cfg->reset_link_lifetime;
	switch (link_mail_send(cfg, store, time(NULL), &l, err,
	    sizeof(err))) {
	case LINK_MAIL_OK:
		break;
	case LINK_MAIL_STORE:
		fprintf(stderr, "sealpost-admin: store the reset link: %s\n",
		    err);
		goto done;
	case LINK_MAIL_TEMPLATE:
		stored = 1;
		fprintf(stderr, "sealpost-admin: %s/%s: %s\n",
		    cfg->templates_dir, RESET_TEMPLATE, err);
		goto done;
	case LINK_MAIL_MAILER:
		stored = 1;
		fprintf(stderr, "sealpost-admin: reset link to %s not sent: "
		    "%s\n", address, err);
		goto done;
	default:
		stored = 1;
		fprintf(stderr, "sealpost-admin: %s\n", err);
		goto done;
	}
	config_format_duration(cfg->reset_link_lifetime, life, sizeof(life));
	printf("reset link sent to %s (valid %s, once); the password stays "
	    "until the link is used\n", address, life);
	rc = ADMIN_OK;
done:
	/* A link nobody received must not stay usable. */
	if (stored && (st = store_delete_tokens(store, address,
	    STORE_TOKEN_RESET)) != STORE_OK && st != STORE_NOTFOUND)
		fprintf(stderr, "sealpost-admin: warning: the unsent link "
		    "could not be deleted: %s\n", store_strerror(st));
	store_account_clear(&acc);
	store_close(store);
	return rc;
}
