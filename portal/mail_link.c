/*
 * Link mails and notices (mail_link.h): how every single-use link of the
 * portal is made, stored and sent.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "auth.h"
#include "log.h"
#include "mail_link.h"
#include "mailer.h"
#include "store.h"
#include "template.h"

/* portal_url's length without trailing slashes. */
static int
url_base_len(const char *url)
{
	size_t	n = strlen(url);

	while (n > 0 && url[n - 1] == '/')
		n--;
	return (int)n;
}

char *
mail_render(const struct config *cfg, const char *name, const char *address,
    const char *account, const char *link, uint64_t lifetime, char *err,
    size_t errlen)
{
	struct template_var	 vars[6];
	char			 life[64], *text, *out = NULL, *unsub = NULL;

	auth_format_duration(lifetime, life, sizeof(life));
	if (asprintf(&unsub, "%.*s/unsubscribe", url_base_len(cfg->portal_url),
	    cfg->portal_url) == -1) {
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
mail_link_send(struct portal *p, const char *reqid,
    const struct mail_link *l)
{
	const struct config	*cfg = p->cfg;
	struct store_token	 t;
	char			 hex[AUTH_TOKEN_HEX + 1], *link = NULL;
	char			*body = NULL, err[256];
	time_t			 now = p->now != NULL ? p->now() : time(NULL);
	size_t			 ulen, linklen;
	int			 st, rc = -1;

	memset(&t, 0, sizeof(t));
	auth_token_new(hex, t.key);
	t.kind = l->token_kind;
	t.address = (char *)l->address;
	t.data = (char *)(l->data != NULL ? l->data : "");
	t.expires = now + (int64_t)l->lifetime;
	/* Only the newest link of a kind works. */
	st = store_delete_tokens(p->store, l->address, l->token_kind);
	if ((st != STORE_OK && st != STORE_NOTFOUND) ||
	    (st = store_put_token(p->store, &t)) != STORE_OK) {
		log_warnx("%s no %s link sent: %s", reqid, l->what,
		    store_strerror(st));
		goto done;
	}
	ulen = (size_t)url_base_len(cfg->portal_url);
	linklen = ulen + strlen(l->path) + strlen("?token=") +
	    AUTH_TOKEN_HEX + 1;
	if ((link = malloc(linklen)) == NULL)
		goto done;
	snprintf(link, linklen, "%.*s%s?token=%s", (int)ulen, cfg->portal_url,
	    l->path, hex);
	if ((body = mail_render(cfg, l->template, l->address, l->account,
	    link, l->lifetime, err, sizeof(err))) == NULL) {
		log_warnx("%s no %s link sent: %s: %s", reqid, l->what,
		    l->template, err);
		goto done;
	}
	if (mailer_send(cfg, l->address, l->subject, body, err,
	    sizeof(err)) == -1) {
		log_warnx("%s %s link to %s not sent: %s", reqid, l->what,
		    l->address, err);
		goto done;
	}
	log_info("%s %s link sent to %s", reqid, l->what, l->address);
	rc = 0;
done:
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
	return rc;
}
