/*
 * Links mailed to an address (link.h): moved here from routes_auth.c so
 * that /register, /forgot and /unsubscribe make, send and check their
 * links the same way.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "app.h"
#include "auth.h"
#include "http.h"
#include "link.h"
#include "log.h"
#include "mailer.h"
#include "store.h"
#include "template.h"
#include "throttle.h"
#include "workpool.h"

/* The job of one link request, detached from the request. */
struct link_job {
	struct portal		*p;
	const struct link_spec	*spec;
	char			 address[LINK_ADDRESS_MAX + 1];
	char			 id[HTTP_ID_LEN];
};

static time_t
now_of(const struct portal *p)
{
	return p->now != NULL ? p->now() : time(NULL);
}

/* portal_url's length without trailing slashes. */
static int
url_base_len(const char *url)
{
	size_t	n = strlen(url);

	while (n > 0 && url[n - 1] == '/')
		n--;
	return (int)n;
}

int
link_address_normalize(const char *in, char out[LINK_ADDRESS_MAX + 1])
{
	const char	*s, *e, *at = NULL;
	size_t		 n, i;
	unsigned char	 c;

	if (in == NULL)
		return -1;
	for (s = in; *s == ' ' || *s == '\t'; s++)
		;
	for (e = s + strlen(s); e > s && (e[-1] == ' ' || e[-1] == '\t' ||
	    e[-1] == '\r' || e[-1] == '\n'); e--)
		;
	n = e - s;
	if (n < 3 || n > LINK_ADDRESS_MAX || s[0] == '-')
		return -1;
	for (i = 0; i < n; i++) {
		c = (unsigned char)s[i];
		if (c <= 0x20 || c == 0x7f || strchr("<>()[],;:\"\\", c) != NULL)
			return -1;
		if (c == '@') {
			if (at != NULL)
				return -1;
			at = s + i;
		}
		out[i] = (char)((c >= 'A' && c <= 'Z') ? c + 32 : c);
	}
	out[n] = '\0';
	if (at == NULL || at == s || at == e - 1)
		return -1;
	return 0;
}

static int
found_one(void *arg, const struct store_message *m)
{
	*(int *)arg = 1;
	return 1;
}

int
link_invited(struct portal *p, const char *address)
{
	int	st, found = 0;

	if (config_is_internal(p->cfg, address))
		return 1;
	st = store_list_messages(p->store, address, STORE_ROLE_RECIPIENT, 0,
	    1, found_one, &found);
	if (st != STORE_OK && st != STORE_NOTFOUND)
		return -1;
	return found;
}

char *
link_mail_render(const struct config *cfg, const char *name,
    const char *address, const char *link, uint64_t lifetime, char *err,
    size_t errlen)
{
	struct template_var	 vars[5];
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
	vars[4] = (struct template_var){ "unsubscribe_link", unsub };
	if ((text = template_read(cfg->templates_dir, name, err,
	    errlen)) != NULL) {
		out = template_render(text, vars, 5, TEMPLATE_ESCAPE_NONE, err,
		    errlen);
		free(text);
	}
	free(unsub);
	return out;
}

static void
link_work(void *arg)
{
	struct link_job		*j = arg;
	const struct link_spec	*spec = j->spec;
	const struct config	*cfg = j->p->cfg;
	struct store_token	 t;
	char			 hex[AUTH_TOKEN_HEX + 1], *link = NULL;
	char			*body = NULL, err[256];
	uint64_t		 lifetime;
	int			 allowed, st;

	memset(&t, 0, sizeof(t));
	memset(hex, 0, sizeof(hex));
	if ((allowed = spec->allowed(j->p, j->address)) == -1) {
		log_warnx("%s no %s link sent: store error", j->id, spec->what);
		return;
	}
	if (!allowed) {
		log_info("%s no %s link for %s: %s", j->id, spec->what,
		    j->address, spec->refused);
		return;
	}
	lifetime = spec->lifetime(cfg);
	auth_token_new(hex, t.key);
	t.kind = spec->token_kind;
	t.address = j->address;
	t.data = "";
	t.expires = now_of(j->p) + (int64_t)lifetime;
	/* Only the newest link of a kind works. */
	st = store_delete_tokens(j->p->store, j->address, spec->token_kind);
	if ((st != STORE_OK && st != STORE_NOTFOUND) ||
	    (st = store_put_token(j->p->store, &t)) != STORE_OK) {
		log_warnx("%s no %s link sent: %s", j->id, spec->what,
		    store_strerror(st));
		goto done;
	}
	if (asprintf(&link, "%.*s%s?token=%s", url_base_len(cfg->portal_url),
	    cfg->portal_url, spec->path, hex) == -1) {
		link = NULL;
		goto done;
	}
	if ((body = link_mail_render(cfg, spec->template, j->address, link,
	    lifetime, err, sizeof(err))) == NULL) {
		log_warnx("%s no %s link sent: %s: %s", j->id, spec->what,
		    spec->template, err);
		goto done;
	}
	if (mailer_send(cfg, j->address, spec->subject, body, err,
	    sizeof(err)) == -1)
		log_warnx("%s %s link to %s not sent: %s", j->id, spec->what,
		    j->address, err);
	else
		log_info("%s %s link sent to %s", j->id, spec->what,
		    j->address);
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
}

static void
link_done(void *arg, int cancelled)
{
	free(arg);
}

int
link_request(struct portal *p, const struct http_request *req,
    const struct link_spec *spec, const char *address)
{
	struct link_job	*j;
	time_t		 now = now_of(p);

	/* Throttled requests get the same answer, and no job. */
	if (throttle_blocked(p->throttle, THROTTLE_MAIL_ADDRESS, address,
	    now) || throttle_blocked(p->throttle, THROTTLE_MAIL_IP, req->peer,
	    now) || (spec->once && throttle_blocked(p->throttle,
	    THROTTLE_MAIL_ONCE, address, now))) {
		log_info("%s %s mail throttled", req->id, spec->what);
		return 0;
	}
	if ((j = calloc(1, sizeof(*j))) == NULL)
		return -1;
	j->p = p;
	j->spec = spec;
	snprintf(j->address, sizeof(j->address), "%s", address);
	memcpy(j->id, req->id, sizeof(j->id));
	/* Every address gets a job, allowed or not, so that neither the
	 * answer nor its timing tells them apart. */
	if (workpool_submit(p->pool, link_work, link_done, j) == -1) {
		free(j);
		log_warnx("%s worker pool full", req->id);
		return -1;
	}
	(void)throttle_record(p->throttle, THROTTLE_MAIL_ADDRESS, address,
	    now);
	(void)throttle_record(p->throttle, THROTTLE_MAIL_IP, req->peer, now);
	if (spec->once)
		(void)throttle_record(p->throttle, THROTTLE_MAIL_ONCE, address,
		    now);
	return 0;
}

int
link_lookup(struct portal *p, const struct link_spec *spec, const char *hex,
    uint8_t key[STORE_KEY_LEN], struct store_token *t)
{
	int	st;

	memset(t, 0, sizeof(*t));
	if (hex == NULL || auth_token_key(hex, key) == -1)
		return 1;
	st = store_peek_token(p->store, key, spec->token_kind, now_of(p), t);
	if (st == STORE_NOTFOUND)
		return 1;
	if (st != STORE_OK) {
		log_warnx("cannot read a link token: %s", store_strerror(st));
		return -1;
	}
	return 0;
}
