/*
 * A streaming MIME structure scanner.  It is fed the whole message (header
 * block, blank line, body) in arbitrary pieces as it arrives, keeps only a
 * bounded amount of state (memory does not grow with message size), and
 * reports the number of parts, the nesting depth and the number of
 * attachments, or that a limit was passed.  It never fails on malformed
 * MIME: broken structure is counted as best it can and the message is
 * still stored.  Header values are parsed with GMime.
 */
#ifndef SEALPOST_MIME_SCAN_H
#define SEALPOST_MIME_SCAN_H

#include <stddef.h>

enum mime_scan_status {
	MIME_SCAN_OK = 0,
	MIME_SCAN_TOO_DEEP,		/* multipart nesting > max_depth */
	MIME_SCAN_TOO_MANY_PARTS,	/* parts > max_parts */
};

struct mime_scan;

/* NULL only when out of memory. */
struct mime_scan *mime_scan_new(size_t max_depth, size_t max_parts);
/* Returns the status so far (MIME_SCAN_OK while within limits). */
int		 mime_scan_update(struct mime_scan *, const char *data, size_t len);
int		 mime_scan_finish(struct mime_scan *);
unsigned	 mime_scan_attachments(const struct mime_scan *);
unsigned	 mime_scan_parts(const struct mime_scan *);
unsigned	 mime_scan_max_depth(const struct mime_scan *);
void		 mime_scan_free(struct mime_scan *);

#endif
