/*
 * Link mails (link_mail.h): how every single-use link is made, stored
 * and sent.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "config.h"
#include "link_mail.h"
#include "mailer.h"
#include "store.h"
#include "template.h"

void
link_token_new(char hex[LINK_TOKEN_HEX + 1], uint8_t key[STORE_KEY_LEN])
{
	uint8_t	raw[LINK_TOKEN_BYTES];

	randombytes_buf(raw, sizeof(raw));
	sodium_bin2hex(hex, LINK_TOKEN_HEX + 1, raw, sizeof(raw));
	crypto_generichash(key, STORE_KEY_LEN, raw, sizeof(raw), NULL, 0);
	sodium_memzero(raw, sizeof(raw));
}

char *
link_mail_render(const struct config *cfg, const char *name,
    const char *address, const char *account, const char *link,
    uint64_t lifetime, char *err, size_t errlen)
{
	struct template_var	 vars[6];
	char			 life[64], *text, *out = NULL, *unsub;

	config_format_duration(lifetime, life, sizeof(life));
	if ((unsub = config_url_join(cfg->portal_url, "/unsubscribe")) ==
	    NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	vars[0] = (struct template_var){ "address", address };
	vars[1] = (struct template_var){ "portal_url", cfg->portal_url };
	vars[2] = (struct template_var){ "link", link != NULL ? link : "" };
	vars[3] = (struct template_var){ "lifetime", life };
	vars[4] = (struct template_var){ "account",
	    account != NULL ? account : "" };
	vars[5] = (struct template_var){ "unsubscribe_link", unsub };
	if ((text = template_read(cfg->templates_dir, name, err,
	    errlen)) != NULL) {
		out = template_render(text, vars, 6, TEMPLATE_ESCAPE_NONE, err,
		    errlen);
		free(text);
	}
	free(unsub);
	return out;
}

int
link_mail_send(const struct config *cfg, struct store *store, time_t now,
    const struct link_mail *l, char *err, size_t errlen)
{
	struct store_token	 t;
	char			 hex[LINK_TOKEN_HEX + 1];
	char			*base = NULL, *link = NULL, *body = NULL;
	int			 st, rc;

	memset(&t, 0, sizeof(t));
	link_token_new(hex, t.key);
	t.kind = l->token_kind;
	t.address = (char *)l->address;
	t.data = (char *)(l->data != NULL ? l->data : "");
	t.expires = now + (int64_t)l->lifetime;
	/* Only the newest link of a kind works. */
	st = store_delete_tokens(store, l->address, l->token_kind);
	if ((st != STORE_OK && st != STORE_NOTFOUND) ||
	    (st = store_put_token(store, &t)) != STORE_OK) {
		snprintf(err, errlen, "%s", store_strerror(st));
		rc = LINK_MAIL_STORE;
		goto done;
	}
	rc = LINK_MAIL_NOMEM;
	if ((base = config_url_join(cfg->portal_url, l->path)) == NULL ||
	    asprintf(&link, "%s?token=%s", base, hex) == -1) {
		link = NULL;
		snprintf(err, errlen, "out of memory");
		goto done;
	}
	rc = LINK_MAIL_TEMPLATE;
	if ((body = link_mail_render(cfg, l->template, l->address, l->account,
	    link, l->lifetime, err, errlen)) == NULL)
		goto done;
	rc = LINK_MAIL_MAILER;
	if (mailer_send(cfg, l->address, l->subject, body, err, errlen) == -1)
		goto done;
	rc = LINK_MAIL_OK;
done:
	sodium_memzero(hex, sizeof(hex));
	sodium_memzero(&t, sizeof(t));
	free(base);
	if (link != NULL) {
		sodium_memzero(link, strlen(link));
		free(link);
	}
	if (body != NULL) {
		sodium_memzero(body, strlen(body));
		free(body);
	}
	return rc;
}
