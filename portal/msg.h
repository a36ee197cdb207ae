/*
 * The reading half of the portal, shared by its files: routes_msg.c
 * (routes, session and access checks, the worker pool), msg_list.c
 * (/inbox, /sent), msg_show.c (/m/ID, its HTML body, parts and the raw
 * original) and msg_download.c (download headers, formatting).
 * Private to those files.
 */
#ifndef SEALPOST_MSG_H
#define SEALPOST_MSG_H

#include <stddef.h>
#include <stdint.h>

#include "app.h"
#include "auth.h"
#include "http.h"
#include "msgid.h"
#include "store.h"

#define MSG_PAGE_SIZE		25		/* rows of /inbox and /sent */
#define MSG_MAX_PAGE		100000
/* Messages above this size are decrypted and parsed on the worker
 * pool, so that one big message does not stall the event loop. */
#define MSG_ASYNC_MIN		(1024 * 1024)

/* The CSP of the sandboxed HTML body (/m/ID/html): no script, no
 * plugin, no remote anything, framed only by the portal itself. */
#define MSG_CSP_HTML		"sandbox; default-src 'none'; " \
	"img-src data: 'self'; style-src 'unsafe-inline'; " \
	"frame-ancestors 'self'; base-uri 'none'; form-action 'none'"
/* The read page: the default policy, plus framing /m/ID/html. */
#define MSG_CSP_VIEW		HTTP_CSP_DEFAULT "; frame-src 'self'"

enum msg_kind {
	MSG_VIEW = 0,		/* /m/ID */
	MSG_HTML,		/* /m/ID/html */
	MSG_PART,		/* /m/ID/part/N */
	MSG_RAW,		/* /m/ID/raw */
};

/*
 * One request for one message that passed the session and access
 * checks.  Built on the loop; msg_show_run() may then run on a worker,
 * which alone touches it (and req/resp) until the done callback.
 */
struct msg_job {
	struct portal		*p;		/* borrowed */
	struct http_request	*req;		/* borrowed from the server */
	struct http_response	*resp;
	struct auth_user	 user;		/* owned; auth_user_clear */
	struct store_message	 meta;		/* owned; store_message_clear */
	char			 idstr[MSGID_STRLEN + 1];
	int			 kind;		/* enum msg_kind */
	unsigned		 part;		/* MSG_PART: N */
	int			 want_inline;	/* MSG_PART: ?inline=1 */
	int			 record_open;	/* MSG_VIEW by a recipient */
	const char		*open_as;	/* that recipient address, in user */
	int			 failed;	/* set by the worker: 500 */
};

/* msg_list.c */
int	handle_inbox(struct http_request *, struct http_response *, void *);
int	handle_sent(struct http_request *, struct http_response *, void *);

/* msg_show.c: fill job->resp.  0, or -1 (logged; the caller answers
 * 500).  Never sets a download header before the body is complete. */
int	msg_show_run(struct msg_job *job) __attribute__((warn_unused_result));

/* msg_thread.c: under the message on /m/ID, the conversation it belongs
 * to and the Reply, Reply all, Forward (and, for its sender, Revoke)
 * forms. */
struct msgview;
void	msg_actions_render(struct msg_job *, const struct msgview *);

/* routes_msg.c: the answers every message route shares. */
void	msg_not_found(struct http_response *, const struct auth_user *);
void	msg_gone(struct http_response *, const struct auth_user *);
int64_t	msg_now(const struct portal *);

/*
 * msg_download.c: pure helpers, no store, no HTTP.
 */

/* A decimal index 1..max without sign, leading zero or junk; 0 or -1. */
int	msg_parse_index(const char *s, unsigned max, unsigned *out)
	    __attribute__((warn_unused_result));

/*
 * The Content-Type a part is served with: images that browsers cannot
 * script (png, gif, jpeg, webp) and well-known document types as they
 * are (a text type keeps its charset parameter), anything else
 * application/octet-stream.  Returns a static string or type itself.
 */
const char *msg_download_type(const char *type);
/* 1 if type (parameters ignored) is an image served inline on request. */
int	msg_inline_image(const char *type);

/*
 * "attachment" or "inline", then filename="ASCII fallback" and
 * filename*=UTF-8''percent-encoded from name (UTF-8, already sanitised
 * by msgview, but treated as hostile).  Malloc'd; NULL on no memory.
 */
char	*msg_content_disposition(const char *disposition, const char *name);

/* "12 KB", "3.4 MB"; "2024-01-31 14:05 UTC". */
void	msg_format_size(uint64_t size, char *buf, size_t len);
void	msg_format_time(int64_t t, char *buf, size_t len);

/* 1 if address (any case) is the message's sender or one of its
 * recipients. */
int	msg_is_sender(const struct store_message *, const char *address);
int	msg_is_recipient(const struct store_message *, const char *address);
/* The same for every address of user (auth_user.addresses): the first
 * of them that is the sender, or a recipient, or NULL.  What decides
 * access; borrowed from user. */
const char *msg_user_sender(const struct store_message *,
	    const struct auth_user *);
const char *msg_user_recipient(const struct store_message *,
	    const struct auth_user *);

#endif
