/*
 * Notification bodies: what leaves instead of a secure message (and, later,
 * what the portal sends for replies).  A multipart/alternative text + HTML
 * body rendered from notification.txt and notification.html in
 * templates_dir, built with GMime.  Nothing of the original body or its
 * attachment names ever goes in: only what struct notify_info carries.
 */
#ifndef SEALPOST_NOTIFY_H
#define SEALPOST_NOTIFY_H

#include <stddef.h>
#include <stdint.h>

struct notify_info {
	const char	*sender;	/* display form of the From header, UTF-8 */
	const char	*subject;	/* decoded, tags removed, UTF-8 */
	const char	*date;		/* as it should be shown */
	uint64_t	 size;		/* bytes of the original */
	unsigned	 attachments;
	const char	*link;		/* portal_url/m/ID */
	const char	*portal_url;	/* register and unsubscribe links */
};

struct notify_body {
	char	*content_type;	/* value for the top-level Content-Type header */
	char	*body;		/* the MIME body, CRLF line endings */
	size_t	 bodylen;
};

/*
 * The two templates, read and checked once: a daemon loads them at
 * start-up and builds every notification from memory.  Read-only once
 * loaded, so any number of threads may build from the same one.
 */
struct notify_templates;

/*
 * Read templates_dir's templates and check them by rendering them with
 * sample values: 0 with *out (caller frees with notify_templates_free),
 * or -1 with err.
 */
int	notify_templates_load(const char *templates_dir,
	    struct notify_templates **out, char *err, size_t errlen)
	    __attribute__((warn_unused_result));
void	notify_templates_free(struct notify_templates *);

/* Build a notification into *out (caller clears it): 0 or -1 with err. */
int	notify_build_from(const struct notify_templates *,
	    const struct notify_info *info, struct notify_body *out, char *err,
	    size_t errlen) __attribute__((warn_unused_result));

/* notify_templates_load, without keeping them: 0 or -1. */
int	notify_check_templates(const char *templates_dir, char *err,
	    size_t errlen) __attribute__((warn_unused_result));

/* Load, build, free: reads the files at every call. */
int	notify_build(const char *templates_dir, const struct notify_info *info,
	    struct notify_body *out, char *err, size_t errlen)
	    __attribute__((warn_unused_result));
void	notify_body_clear(struct notify_body *);

/* "12 KB", "3.4 MB": human size for templates; buf of at least 32 bytes. */
void	notify_format_size(uint64_t size, char *buf, size_t len);

#endif
