/*
 * Retention: deleting what has expired, and reminding recipients before
 * it does.  Run hourly by sealpost-portal (on its worker pool, since it
 * mails) and on demand by "sealpost-admin purge".
 *
 * One run:
 *  1. deletes every message whose expires is before now, with its wrapped
 *     data key, its chunks, its index entries and its first-open records
 *     in one store transaction (store_delete_message);
 *  2. gives a revoked message one day of grace, so that its sender still
 *     sees it marked revoked: the first run that finds it revoked with
 *     more than RETENTION_REVOKED_GRACE left moves its expiry to now +
 *     RETENTION_REVOKED_GRACE, and a later run deletes it as expired (the
 *     store keeps no revocation time; with the portal's hourly run the
 *     grace starts at most an hour after the revocation);
 *  3. when expiry_reminder is not 0, mails one reminder (template
 *     expiry-reminder.txt: {{link}}, {{expires}}, {{portal_url}},
 *     {{unsubscribe_link}}) to each recipient that has never opened a
 *     message expiring within expiry_reminder, and marks the message
 *     STORE_MSG_REMINDED so that it is reminded once.  Skipped: revoked messages, recipients whose
 *     account is disabled or unsubscribed, and messages whose whole
 *     lifetime is not longer than expiry_reminder (the reminder would
 *     come with the notification).  The flag is set before mailing, so
 *     that two concurrent runs (portal and admin) do not both mail; it is
 *     cleared again when every mail of the message failed, so that the
 *     next run retries.
 *
 * Blocking (sendmail): never on an event loop.  The caller must ignore
 * SIGPIPE (mailer.h) and have called g_mime_init().
 */
#ifndef SEALPOST_RETENTION_H
#define SEALPOST_RETENTION_H

#include <stddef.h>
#include <time.h>

#include "config.h"
#include "masterkey.h"
#include "store.h"

#define RETENTION_REVOKED_GRACE	86400	/* seconds a revoked message stays */
#define RETENTION_TEMPLATE	"expiry-reminder.txt"

struct retention_report {
	size_t	scanned;		/* messages looked at */
	size_t	purged_expired;		/* deleted: expired */
	size_t	purged_revoked;		/* deleted: revoked, grace over */
	size_t	revoked_scheduled;	/* revoked: deletion set a day ahead */
	size_t	reminded_messages;	/* messages marked reminded */
	size_t	reminders_sent;		/* mails sendmail accepted */
	size_t	reminder_failures;	/* mails that could not be sent */
	size_t	store_errors;		/* store calls that failed */
};

/*
 * One run at time now (injected, so that tests repeat).  mk is not used
 * today (reminders carry nothing of the message) and may be NULL.  *out
 * is filled in every case.  0 when everything went through; -1 when
 * something failed (the listing, a store call, a mail): what could be
 * done was done, and the report says what failed.
 */
int	retention_run(struct store *st, const struct config *cfg,
	    const struct masterkey *mk, time_t now,
	    struct retention_report *out) __attribute__((warn_unused_result));

/* The report as one "key=value ..." line, for logs and sealpost-admin. */
void	retention_format(const struct retention_report *r, char *buf,
	    size_t len);

/*
 * Render the reminder template with sample values, so that a daemon
 * finds a typo at start-up; 0 when expiry_reminder is 0.  -1 with err.
 */
int	retention_check_template(const struct config *cfg, char *err,
	    size_t errlen) __attribute__((warn_unused_result));

#endif
