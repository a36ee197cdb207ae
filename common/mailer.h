/*
 * Mail sealpost writes itself (the portal's verification and reset links,
 * "your password was changed"): one text/plain part in UTF-8,
 * quoted-printable, built with GMime, handed to the local MTA through
 * sendmail_command.  g_mime_init() is the caller's job; the process must
 * ignore SIGPIPE (a sendmail that exits early closes the pipe).
 *
 * sendmail_command is split on whitespace and run with execv (no shell),
 * so its first word must be an absolute path.  Without "-t" among its
 * arguments, the recipient is appended as the last argument.  Blocking,
 * for at most sendmail_timeout (then sendmail is killed and the call
 * fails): the portal calls it on its worker pool, never on the event loop.
 */
#ifndef SEALPOST_MAILER_H
#define SEALPOST_MAILER_H

#include <stddef.h>

#include "config.h"

/*
 * Build the message (From: noreply_address, To, Subject RFC 2047
 * encoded when not ASCII, Date, Message-ID, MIME-Version,
 * Auto-Submitted: auto-generated) into a malloc'd string with LF line
 * ends (caller frees); NULL with err on a bad address or no memory.
 */
char	*mailer_build(const struct config *cfg, const char *to,
	    const char *subject, const char *text_body, size_t *lenp,
	    char *err, size_t errlen);

/* What mail other than the portal's own notices needs (RFC 3834 answers). */
struct mailer_options {
	const char	*auto_submitted;	/* NULL: "auto-generated" */
	const char	*in_reply_to;		/* a Message-ID, or NULL */
	int		 null_sender;		/* envelope sender <> (-f "<>") */
};

char	*mailer_build_opts(const struct config *cfg, const char *to,
	    const char *subject, const char *text_body,
	    const struct mailer_options *opt, size_t *lenp, char *err,
	    size_t errlen);
int	mailer_send_opts(const struct config *cfg, const char *to,
	    const char *subject, const char *text_body,
	    const struct mailer_options *opt, char *err, size_t errlen)
	    __attribute__((warn_unused_result));

/*
 * Pipe a message someone else built (len bytes, headers and body, LF or
 * CRLF line ends) to sendmail_command for recipient to: the fork and
 * exec of mailer_send.  null_sender: envelope sender <>.  0, or -1 with
 * err.
 */
int	mailer_send_message(const struct config *cfg, const char *to,
	    const char *text, size_t len, int null_sender, char *err,
	    size_t errlen) __attribute__((warn_unused_result));

/* Build and pipe to sendmail_command; 0, or -1 with err (a non-zero exit
 * status or a signal is an error). */
int	mailer_send(const struct config *cfg, const char *to,
	    const char *subject, const char *text_body, char *err,
	    size_t errlen) __attribute__((warn_unused_result));

#endif
