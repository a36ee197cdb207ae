#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sodium.h>

#include "mailer.h"
#include "noreply.h"

#define NOREPLY_DAY	(24 * 60 * 60)

static size_t
bracketless(const char *addr, const char **start)
{
	size_t len = strlen(addr);

	if (len >= 2 && addr[0] == '<' && addr[len - 1] == '>') {
		*start = addr + 1;
		return len - 2;
	}
	*start = addr;
	return len;
}

int
noreply_is_address(const struct config *cfg, const char *addr)
{
	const char	*a;
	size_t		 len = bracketless(addr, &a);

	return len == strlen(cfg->noreply_address) &&
	    strncasecmp(a, cfg->noreply_address, len) == 0;
}

void
noreply_reject_text(const struct config *cfg, char *buf, size_t len)
{
	snprintf(buf, len, "This address does not accept mail. To answer a "
	    "secure message, open it in the secure portal (%s) and use its "
	    "Reply button", cfg->portal_url);
}

/* The value without leading blanks, compared case-insensitively. */
static int
value_is(const char *value, const char *want)
{
	size_t n = strlen(want);

	while (isspace((unsigned char)*value))
		value++;
	return strncasecmp(value, want, n) == 0 &&
	    (value[n] == '\0' || isspace((unsigned char)value[n]) ||
	    value[n] == ';' || value[n] == '(');
}

/* Local parts that belong to machines, not people (RFC 3834 2, 5.2). */
static int
sender_is_automatic(const char *sender)
{
	static const char *const locals[] = { "mailer-daemon", "postmaster",
	    "listserv", "majordomo", "noreply", "no-reply", "bounce",
	    "bounces" };
	const char	*at = strrchr(sender, '@');
	size_t		 llen = at ? (size_t)(at - sender) : strlen(sender);
	size_t		 i;

	if (llen >= 6 && strncasecmp(sender, "owner-", 6) == 0)
		return 1;
	if (llen >= 8 && strncasecmp(sender + llen - 8, "-request", 8) == 0)
		return 1;
	for (i = 0; i < sizeof(locals) / sizeof(locals[0]); i++)
		if (strlen(locals[i]) == llen &&
		    strncasecmp(sender, locals[i], llen) == 0)
			return 1;
	return 0;
}

int
noreply_answer_allowed(const struct config *cfg, const char *sender,
    const char *const *names, const char *const *values, size_t n)
{
	const char	*s;
	size_t		 i, len = bracketless(sender, &s);

	if (len == 0 || memchr(s, '@', len) == NULL)
		return 0;		/* the null sender, or no domain */
	if (noreply_is_address(cfg, sender) || sender_is_automatic(s))
		return 0;
	for (i = 0; i < n; i++) {
		if (strcasecmp(names[i], "Auto-Submitted") == 0 &&
		    !value_is(values[i], "no"))
			return 0;
		if (strcasecmp(names[i], "Precedence") == 0 &&
		    (value_is(values[i], "bulk") || value_is(values[i], "list") ||
		    value_is(values[i], "junk")))
			return 0;
		/* List-Id, List-Unsubscribe, ...: a mailing list. */
		if (strncasecmp(names[i], "List-", 5) == 0 ||
		    strcasecmp(names[i], "X-Auto-Response-Suppress") == 0)
			return 0;
	}
	return 1;
}

struct limiter_entry {
	uint8_t	hash[16];	/* of the lowercased sender */
	time_t	when;
};

struct noreply_limiter {
	pthread_mutex_t		 lock;
	struct limiter_entry	*v;
	size_t			 n, max;
};

struct noreply_limiter *
noreply_limiter_new(size_t max_entries)
{
	struct noreply_limiter *l;

	if ((l = calloc(1, sizeof(*l))) == NULL)
		return NULL;
	if ((l->v = calloc(max_entries, sizeof(*l->v))) == NULL ||
	    pthread_mutex_init(&l->lock, NULL) != 0) {
		free(l->v);
		free(l);
		return NULL;
	}
	l->max = max_entries;
	return l;
}

void
noreply_limiter_free(struct noreply_limiter *l)
{
	if (l == NULL)
		return;
	pthread_mutex_destroy(&l->lock);
	free(l->v);
	free(l);
}

int
noreply_limiter_allow(struct noreply_limiter *l, const char *sender,
    time_t now)
{
	uint8_t		 h[16];
	char		*lower;
	size_t		 i, oldest = 0;
	int		 allow = 1;

	if ((lower = strdup(sender)) == NULL)
		return 0;
	for (i = 0; lower[i] != '\0'; i++)
		lower[i] = (char)tolower((unsigned char)lower[i]);
	crypto_generichash(h, sizeof(h), (const uint8_t *)lower, strlen(lower),
	    NULL, 0);
	free(lower);

	pthread_mutex_lock(&l->lock);
	for (i = 0; i < l->n; i++) {
		if (memcmp(l->v[i].hash, h, sizeof(h)) == 0) {
			if (now - l->v[i].when < NOREPLY_DAY)
				allow = 0;
			else
				l->v[i].when = now;
			goto done;
		}
		if (l->v[i].when < l->v[oldest].when)
			oldest = i;
	}
	/* Full: forget the oldest sender (a day-old entry allows anyway). */
	i = l->n < l->max ? l->n++ : oldest;
	memcpy(l->v[i].hash, h, sizeof(h));
	l->v[i].when = now;
done:
	pthread_mutex_unlock(&l->lock);
	return allow;
}

int
noreply_send_notice(const struct config *cfg, const char *sender,
    const char *message_id, char *err, size_t errlen)
{
	struct mailer_options	 opt;
	const char		*s;
	char			*to, *body = NULL;
	size_t			 len = bracketless(sender, &s);
	int			 rc;

	if ((to = strndup(s, len)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (asprintf(&body, "Your message to %s did not reach anyone.\n\n"
	    "This address only sends notifications of secure messages and "
	    "does not accept replies. To answer a secure message, open it in "
	    "the secure portal and use its Reply button:\n\n    %s\n\n"
	    "This notice was sent automatically; you will receive at most "
	    "one a day.\n", cfg->noreply_address, cfg->portal_url) == -1) {
		free(to);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	memset(&opt, 0, sizeof(opt));
	opt.auto_submitted = "auto-replied";
	opt.in_reply_to = message_id;
	opt.null_sender = 1;
	rc = mailer_send_opts(cfg, to, "Your reply did not reach anyone",
	    body, &opt, err, errlen);
	free(body);
	free(to);
	return rc;
}
