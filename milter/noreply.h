/*
 * Mail to noreply_address (SPEC "The secure path" 5): refused at RCPT
 * with a 550 that tells people to reply from the portal, or, with
 * noreply_action = notify, dropped for that recipient and answered once
 * a day per sender with a notice that follows RFC 3834: never to the
 * null sender, to mailing lists or bulk mail, or to automatic mail.
 */
#ifndef SEALPOST_NOREPLY_H
#define SEALPOST_NOREPLY_H

#include <stddef.h>
#include <time.h>

#include "config.h"

/* 1 if addr (with or without <>) is noreply_address, any case. */
int	noreply_is_address(const struct config *cfg, const char *addr);

/* The 550 text for reject mode (static storage per config). */
void	noreply_reject_text(const struct config *cfg, char *buf, size_t len);

/*
 * RFC 3834 section 2: 0 if an automatic answer must not be sent for a
 * message with this envelope sender and these headers (names[i],
 * values[i] as the MTA gave them), else 1.
 */
int	noreply_answer_allowed(const struct config *cfg, const char *sender,
	    const char *const *names, const char *const *values, size_t n);

/* At most one notice per sender per day, in this process's memory. */
struct noreply_limiter;
struct noreply_limiter	*noreply_limiter_new(size_t max_entries);
void			 noreply_limiter_free(struct noreply_limiter *);
/* 1 and remembers the sender if no notice went to it in the last 24 h. */
int			 noreply_limiter_allow(struct noreply_limiter *,
			    const char *sender, time_t now);

/*
 * Send the notice to sender through sendmail_command with the null
 * envelope sender, In-Reply-To/References the original's Message-ID
 * (may be NULL).  0 or -1 with err.
 */
int	noreply_send_notice(const struct config *cfg, const char *sender,
	    const char *message_id, char *err, size_t errlen);

#endif
