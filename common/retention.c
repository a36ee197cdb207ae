/*
 * Retention: purge expired and revoked messages, remind unopened
 * recipients before expiry (see retention.h for the rules).
 *
 * The listing callback may not call back into the store, so a run first
 * collects what to do (a few bytes per message that needs something),
 * then does it, one short store transaction per message.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "log.h"
#include "mailer.h"
#include "msgid.h"
#include "retention.h"
#include "template.h"

#define RETENTION_SUBJECT	"Reminder: a secure message for you expires soon"

enum retention_action {
	RETENTION_PURGE = 1,
	RETENTION_SCHEDULE,
	RETENTION_REMIND,
};

struct retention_item {
	uint8_t		id[MSGID_LEN];
	int		action;		/* enum retention_action */
	uint32_t	flags;		/* when listed */
};

struct retention_scan {
	const struct config	*cfg;
	int64_t			 now;
	struct retention_item	*v;
	size_t			 n, cap;
	size_t			 scanned;
	int			 oom;
};

/* What a message needs at now, or 0. */
static int
retention_decide(const struct retention_scan *sc, const struct store_message *m)
{
	int64_t	remind = (int64_t)sc->cfg->expiry_reminder;

	if (m->expires < sc->now)
		return RETENTION_PURGE;
	if (m->flags & STORE_MSG_REVOKED)
		return m->expires > sc->now + RETENTION_REVOKED_GRACE ?
		    RETENTION_SCHEDULE : 0;
	if (remind > 0 && !(m->flags & STORE_MSG_REMINDED) &&
	    m->expires - sc->now <= remind && m->expires - m->received > remind)
		return RETENTION_REMIND;
	return 0;
}

static int
retention_collect(void *arg, const struct store_message *m)
{
	struct retention_scan	*sc = arg;
	struct retention_item	*nv;
	size_t			 cap;
	int			 action;

	sc->scanned++;
	if ((action = retention_decide(sc, m)) == 0)
		return 0;
	if (sc->n == sc->cap) {
		cap = sc->cap ? sc->cap * 2 : 64;
		if ((nv = reallocarray(sc->v, cap, sizeof(*nv))) == NULL) {
			sc->oom = 1;
			return 1;
		}
		sc->v = nv;
		sc->cap = cap;
	}
	memcpy(sc->v[sc->n].id, m->id, MSGID_LEN);
	sc->v[sc->n].action = action;
	sc->v[sc->n].flags = m->flags;
	sc->n++;
	return 0;
}

static void
retention_format_time(int64_t t, char *buf, size_t len)
{
	time_t		tt = (time_t)t;
	struct tm	tm;

	if (gmtime_r(&tt, &tm) == NULL ||
	    strftime(buf, len, "%Y-%m-%d %H:%M UTC", &tm) == 0)
		snprintf(buf, len, "%lld", (long long)t);
}

/* portal_url/PATH (path starts with '/') into a malloc'd string, or
 * NULL. */
static char *
retention_link(const struct config *cfg, const char *path)
{
	char	*link;
	size_t	 ulen;

	ulen = strlen(cfg->portal_url);
	while (ulen > 0 && cfg->portal_url[ulen - 1] == '/')
		ulen--;
	if (asprintf(&link, "%.*s%s", (int)ulen, cfg->portal_url, path) == -1)
		return NULL;
	return link;
}

/* The reminder body for message id, expiring at expires; caller frees. */
static char *
retention_body(const struct config *cfg, const char *text,
    const uint8_t id[MSGID_LEN], int64_t expires, char *err, size_t errlen)
{
	struct template_var	 vars[4];
	char			 when[64], path[4 + MSGID_STRLEN];
	char			*link, *unsub = NULL, *out = NULL;

	msgid_encode(id, path + 3);
	memcpy(path, "/m/", 3);
	if ((link = retention_link(cfg, path)) == NULL ||
	    (unsub = retention_link(cfg, "/unsubscribe")) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto done;
	}
	retention_format_time(expires, when, sizeof(when));
	vars[0] = (struct template_var){ "link", link };
	vars[1] = (struct template_var){ "expires", when };
	vars[2] = (struct template_var){ "portal_url", cfg->portal_url };
	vars[3] = (struct template_var){ "unsubscribe_link", unsub };
	out = template_render(text, vars, 4, TEMPLATE_ESCAPE_NONE, err,
	    errlen);
done:
	free(link);
	free(unsub);
	return out;
}

int
retention_check_template(const struct config *cfg, char *err, size_t errlen)
{
	static const uint8_t	 sample[MSGID_LEN];
	char			*text, *out, e[256];

	if (cfg->expiry_reminder == 0)
		return 0;
	if ((text = template_read(cfg->templates_dir, RETENTION_TEMPLATE, e,
	    sizeof(e))) == NULL) {
		snprintf(err, errlen, "%s", e);
		return -1;
	}
	out = retention_body(cfg, text, sample, 0, e, sizeof(e));
	free(text);
	if (out == NULL) {
		snprintf(err, errlen, "%s/%s: %s", cfg->templates_dir,
		    RETENTION_TEMPLATE, e);
		return -1;
	}
	free(out);
	return 0;
}

/* Whether the account of address wants mail: 1, 0, or -1 (store). */
static int
retention_wants_mail(struct store *st, const char *address)
{
	struct store_account	a;
	int			s, wants;

	s = store_get_account(st, address, &a);
	if (s == STORE_NOTFOUND)
		return 1;
	if (s != STORE_OK)
		return -1;
	wants = (a.flags & (STORE_ACCOUNT_DISABLED |
	    STORE_ACCOUNT_UNSUBSCRIBED)) == 0;
	store_account_clear(&a);
	return wants;
}

/* Index of an earlier recipient equal to recipients[i] (any case). */
static int
retention_seen(const struct store_message *m, size_t i)
{
	size_t	j;

	for (j = 0; j < i; j++)
		if (strcasecmp(m->recipients[j], m->recipients[i]) == 0)
			return 1;
	return 0;
}

/*
 * Remind the unopened recipients of one message.  *text is the template,
 * read on first use (NULL until then).
 */
static void
retention_remind(struct store *st, const struct config *cfg,
    const uint8_t id[MSGID_LEN], char **text, struct retention_report *r)
{
	struct store_message	 m;
	char			 idstr[MSGID_STRLEN + 1], err[256];
	char			*body = NULL;
	size_t			 i, tried = 0, sent = 0;
	int64_t			 when;
	int			 s, wants;

	msgid_encode(id, idstr);
	memset(&m, 0, sizeof(m));
	/* Again, now: another run may have reminded or purged it. */
	if ((s = store_get_message(st, id, &m)) == STORE_NOTFOUND)
		return;
	if (s != STORE_OK) {
		r->store_errors++;
		return;
	}
	if (m.flags & (STORE_MSG_REMINDED | STORE_MSG_REVOKED))
		goto done;
	if (*text == NULL && (*text = template_read(cfg->templates_dir,
	    RETENTION_TEMPLATE, err, sizeof(err))) == NULL) {
		log_warnx("retention: id=%s no reminder: %s", idstr, err);
		r->reminder_failures++;
		goto done;
	}
	if ((body = retention_body(cfg, *text, id, m.expires, err,
	    sizeof(err))) == NULL) {
		log_warnx("retention: id=%s no reminder: %s", idstr, err);
		r->reminder_failures++;
		goto done;
	}
	/* Claimed before mailing: a concurrent run skips it. */
	if ((s = store_set_flags(st, id, STORE_MSG_REMINDED, 0)) != STORE_OK) {
		if (s != STORE_NOTFOUND)
			r->store_errors++;
		goto done;
	}
	for (i = 0; i < m.nrecipients; i++) {
		if (retention_seen(&m, i))
			continue;
		s = store_get_open(st, id, m.recipients[i], &when);
		if (s == STORE_OK)
			continue;
		if (s != STORE_NOTFOUND) {
			r->store_errors++;
			continue;
		}
		if ((wants = retention_wants_mail(st, m.recipients[i])) == -1) {
			r->store_errors++;
			continue;
		}
		if (!wants)
			continue;
		tried++;
		if (mailer_send(cfg, m.recipients[i], RETENTION_SUBJECT, body,
		    err, sizeof(err)) == -1) {
			log_warnx("retention: id=%s reminder to <%s> not sent: "
			    "%s", idstr, m.recipients[i], err);
			r->reminder_failures++;
			continue;
		}
		log_info("retention: id=%s to=<%s> action=reminded", idstr,
		    m.recipients[i]);
		sent++;
		r->reminders_sent++;
	}
	if (tried > 0 && sent == 0) {
		/* Nobody got it: let the next run try again. */
		if ((s = store_set_flags(st, id, 0, STORE_MSG_REMINDED)) !=
		    STORE_OK && s != STORE_NOTFOUND)
			r->store_errors++;
	} else
		r->reminded_messages++;
done:
	free(body);
	store_message_clear(&m);
}

int
retention_run(struct store *st, const struct config *cfg,
    const struct masterkey *mk, time_t now, struct retention_report *out)
{
	struct retention_scan	 sc;
	char			 idstr[MSGID_STRLEN + 1];
	char			*text = NULL;
	size_t			 i;
	int			 s, failed = 0;

	memset(out, 0, sizeof(*out));
	memset(&sc, 0, sizeof(sc));
	sc.cfg = cfg;
	sc.now = (int64_t)now;
	s = store_list_messages(st, NULL, STORE_ROLE_RECIPIENT, 0, 0,
	    retention_collect, &sc);
	out->scanned = sc.scanned;
	if (s < 0 || sc.oom) {
		log_warnx("retention: cannot list messages: %s",
		    sc.oom ? "out of memory" : store_strerror(s));
		out->store_errors++;
		free(sc.v);
		return -1;
	}
	for (i = 0; i < sc.n; i++) {
		msgid_encode(sc.v[i].id, idstr);
		switch (sc.v[i].action) {
		case RETENTION_PURGE:
			s = store_delete_message(st, sc.v[i].id);
			if (s == STORE_NOTFOUND)
				break;
			if (s != STORE_OK) {
				log_warnx("retention: id=%s cannot delete: %s",
				    idstr, store_strerror(s));
				out->store_errors++;
				break;
			}
			if (sc.v[i].flags & STORE_MSG_REVOKED)
				out->purged_revoked++;
			else
				out->purged_expired++;
			log_info("retention: id=%s action=purged reason=%s",
			    idstr, (sc.v[i].flags & STORE_MSG_REVOKED) ?
			    "revoked" : "expired");
			break;
		case RETENTION_SCHEDULE:
			s = store_set_expires(st, sc.v[i].id,
			    sc.now + RETENTION_REVOKED_GRACE);
			if (s == STORE_NOTFOUND)
				break;
			if (s != STORE_OK) {
				out->store_errors++;
				break;
			}
			out->revoked_scheduled++;
			log_info("retention: id=%s action=scheduled "
			    "reason=revoked", idstr);
			break;
		case RETENTION_REMIND:
			retention_remind(st, cfg, sc.v[i].id, &text, out);
			break;
		}
	}
	free(text);
	free(sc.v);
	if (out->store_errors > 0 || out->reminder_failures > 0)
		failed = 1;
	return failed ? -1 : 0;
}

void
retention_format(const struct retention_report *r, char *buf, size_t len)
{
	snprintf(buf, len, "scanned=%zu purged-expired=%zu purged-revoked=%zu "
	    "revoked-scheduled=%zu reminded-messages=%zu reminders-sent=%zu "
	    "reminder-failures=%zu store-errors=%zu", r->scanned,
	    r->purged_expired, r->purged_revoked, r->revoked_scheduled,
	    r->reminded_messages, r->reminders_sent, r->reminder_failures,
	    r->store_errors);
}
