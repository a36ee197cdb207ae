/*
 * account reset ADDRESS: mail ADDRESS a password reset link, exactly as
 * the portal's "Forgot password" does (portal/routes_auth.c mail_work):
 * a token of 32 random bytes, in the link as 64 hex digits and stored
 * only as its BLAKE2b-256 hash (portal/auth.c auth_token_new), kind
 * STORE_TOKEN_RESET, lifetime reset_link_lifetime, older reset links of
 * the address deleted first, the link portal_url/reset?token=T, the body
 * from reset.txt with {{address}} {{portal_url}} {{link}} {{lifetime}}.
 * Those pieces are in the portal's core library, which sealpost-admin
 * does not link, so the few lines are repeated here; keep both in step.
 *
 * The administrator never sees the token or a password: the link goes
 * only to the address, and is wiped from memory once sent.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "admin.h"
#include "mailer.h"
#include "store.h"
#include "template.h"

#define RESET_TOKEN_BYTES	32
#define RESET_TOKEN_HEX		(2 * RESET_TOKEN_BYTES)
#define RESET_TEMPLATE		"reset.txt"
#define RESET_SUBJECT		"Reset your password for the secure message portal"

/* As portal/auth.c auth_token_new: hex for the link, hash for the store. */
static void
reset_token_new(char hex[RESET_TOKEN_HEX + 1], uint8_t key[STORE_KEY_LEN])
{
	uint8_t	raw[RESET_TOKEN_BYTES];

	randombytes_buf(raw, sizeof(raw));
	sodium_bin2hex(hex, RESET_TOKEN_HEX + 1, raw, sizeof(raw));
	crypto_generichash(key, STORE_KEY_LEN, raw, sizeof(raw), NULL, 0);
	sodium_memzero(raw, sizeof(raw));
}

/* As portal/auth.c auth_format_duration: "4 hours", "2 days". */
static void
reset_format_duration(uint64_t s, char *buf, size_t len)
{
	if (s >= 2 * 86400 && s % 86400 == 0)
		snprintf(buf, len, "%llu days", (unsigned long long)(s / 86400));
	else if (s >= 3600 && s % 3600 == 0)
		snprintf(buf, len, "%llu hour%s", (unsigned long long)(s / 3600),
		    s == 3600 ? "" : "s");
	else if (s >= 60 && s % 60 == 0)
		snprintf(buf, len, "%llu minute%s", (unsigned long long)(s / 60),
		    s == 60 ? "" : "s");
	else
		snprintf(buf, len, "%llu second%s", (unsigned long long)s,
		    s == 1 ? "" : "s");
}

/* The mail body with the link; caller wipes and frees. */
static char *
reset_body(const struct config *cfg, const char *address, const char *link,
    char *err, size_t errlen)
{
	struct template_var	 vars[4];
	char			 life[64], *text, *out;

	reset_format_duration(cfg->reset_link_lifetime, life, sizeof(life));
	vars[0] = (struct template_var){ "address", address };
	vars[1] = (struct template_var){ "portal_url", cfg->portal_url };
	vars[2] = (struct template_var){ "link", link };
	vars[3] = (struct template_var){ "lifetime", life };
	if ((text = template_read(cfg->templates_dir, RESET_TEMPLATE, err,
	    errlen)) == NULL)
		return NULL;
	out = template_render(text, vars, 4, TEMPLATE_ESCAPE_NONE, err,
	    errlen);
	free(text);
	return out;
}

int
admin_reset(struct admin *a, const char *address)
{
	const struct config	*cfg = &a->cfg;
	struct store		*store = NULL;
	struct store_account	 acc;
	struct store_token	 t;
	char			 hex[RESET_TOKEN_HEX + 1], life[64], err[512];
	char			*link = NULL, *body = NULL;
	size_t			 ulen, linklen;
	int			 st, rc = ADMIN_SYSERR, stored = 0;

	memset(&t, 0, sizeof(t));
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

	reset_token_new(hex, t.key);
	t.kind = STORE_TOKEN_RESET;
	t.address = (char *)address;
	t.data = "";
	t.expires = (int64_t)time(NULL) + (int64_t)cfg->reset_link_lifetime;
	/* Only the newest link of a kind works. */
	st = store_delete_tokens(store, address, STORE_TOKEN_RESET);
	if ((st != STORE_OK && st != STORE_NOTFOUND) ||
	    (st = store_put_token(store, &t)) != STORE_OK) {
		rc = admin_store_error("store the reset link", st);
		goto done;
	}
	stored = 1;
	ulen = strlen(cfg->portal_url);
	while (ulen > 0 && cfg->portal_url[ulen - 1] == '/')
		ulen--;
	linklen = ulen + strlen("/reset?token=") + RESET_TOKEN_HEX + 1;
	if ((link = malloc(linklen)) == NULL) {
		fprintf(stderr, "sealpost-admin: out of memory\n");
		goto done;
	}
	snprintf(link, linklen, "%.*s/reset?token=%s", (int)ulen,
	    cfg->portal_url, hex);
	if ((body = reset_body(cfg, address, link, err, sizeof(err))) == NULL) {
		fprintf(stderr, "sealpost-admin: %s/%s: %s\n",
		    cfg->templates_dir, RESET_TEMPLATE, err);
		goto done;
	}
	if (mailer_send(cfg, address, RESET_SUBJECT, body, err,
	    sizeof(err)) == -1) {
		fprintf(stderr, "sealpost-admin: reset link to %s not sent: "
		    "%s\n", address, err);
		goto done;
	}
	stored = 0;		/* sent: it stays */
	reset_format_duration(cfg->reset_link_lifetime, life, sizeof(life));
	printf("reset link sent to %s (valid %s, once); the password stays "
	    "until the link is used\n", address, life);
	rc = ADMIN_OK;
done:
	/* A link nobody received must not stay usable. */
	if (stored && (st = store_delete_tokens(store, address,
	    STORE_TOKEN_RESET)) != STORE_OK && st != STORE_NOTFOUND)
		fprintf(stderr, "sealpost-admin: warning: the unsent link "
		    "could not be deleted: %s\n", store_strerror(st));
	sodium_memzero(hex, sizeof(hex));
	sodium_memzero(&t, sizeof(t));
	if (link != NULL) {
		sodium_memzero(link, strlen(link));
		free(link);
	}
	if (body != NULL) {
		sodium_memzero(body, strlen(body));
		free(body);
	}
	store_account_clear(&acc);
	store_close(store);
	return rc;
}
