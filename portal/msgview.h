/*
 * The view model of a message for the read page: decoded headers, the
 * text and HTML bodies in UTF-8, and the leaf parts with safe download
 * names.  Parsed with GMime from the whole original (message_read_all);
 * nothing here touches the store or HTTP.  g_mime_init() is the
 * caller's job.
 *
 * Parts are numbered depth-first over the leaves of the MIME tree (every
 * entity that is not a multipart; an attached message/rfc822 is one
 * leaf), from 1.  The same numbering is used by msgview_part_content,
 * so /m/ID/part/N names the same part on every parse.
 *
 * Malformed MIME never fails the parse (GMime is lenient; broken
 * charsets fall back to replacing invalid bytes); only input that has
 * no message at all, or running out of memory, returns -1.
 */
#ifndef SEALPOST_MSGVIEW_H
#define SEALPOST_MSGVIEW_H

#include <stddef.h>
#include <stdint.h>

/* Download names: at most this many bytes, cut at a UTF-8 boundary. */
#define MSGVIEW_FILENAME_MAX	200

struct msgview_part {
	unsigned	 index;		/* 1-based, as in /m/ID/part/N */
	char		*content_type;	/* "type/subtype", lowercase, token
					   characters only */
	char		*filename;	/* msgview_sanitize_filename */
	char		*content_id;	/* without <>, printable ASCII; NULL
					   if none */
	int		 is_attachment;	/* listed for download */
	int		 is_inline_image; /* an image the page may show */
	size_t		 size;		/* decoded bytes */
};

/*
 * Every string is malloc'd, valid UTF-8, owned by the view and freed by
 * msgview_clear.  The header strings are never NULL ("" when absent).
 */
struct msgview {
	char			*from;
	char			*to;
	char			*cc;
	char			*date;		/* the Date header as written */
	char			*subject;
	char			*text_body;	/* NULL if none */
	char			*html_body;	/* NULL if none; NOT sanitised:
						   the caller must */
	struct msgview_part	*parts;
	size_t			 nparts;
};

/*
 * Parse raw (the original, len bytes, borrowed for the call) into *out,
 * which the caller clears with msgview_clear (also after -1).
 *
 * text_body is the first text/plain leaf that is not an attachment (no
 * attachment disposition, no file name), one inside a
 * multipart/alternative preferred; html_body the same for text/html.
 * A leaf is an attachment unless it is one of those bodies, another
 * rendering in the same multipart/alternative as one of them, or an
 * image inside a multipart/related with a Content-ID (shown through
 * cid:).  Images with an inline disposition are both inline images and
 * attachments.
 */
int	msgview_parse(const void *raw, size_t len, struct msgview *out)
	    __attribute__((warn_unused_result));
/* Safe on a zeroed struct; leaves it zeroed. */
void	msgview_clear(struct msgview *);

/*
 * The decoded content of leaf part n of raw: *data (malloc'd, caller
 * frees; not NUL-terminated; may be empty) and *dlen; *content_type
 * ("type/subtype", with "; charset=..." for text types when the charset is
 * a plain token) and *filename (sanitised) are malloc'd, caller frees.
 * A message/rfc822 part is the attached message as bytes.  -1 if there
 * is no part n or on error, with the outputs NULL.
 */
int	msgview_part_content(const void *raw, size_t len, unsigned n,
	    uint8_t **data, size_t *dlen, char **content_type, char **filename)
	    __attribute__((warn_unused_result));

/*
 * The index of the part with Content-ID cid ("cid:" prefix, angle
 * brackets and %-escapes as in an HTML src are accepted); 0 or -1.
 */
int	msgview_find_cid(const struct msgview *, const char *cid, unsigned *n)
	    __attribute__((warn_unused_result));

/*
 * A safe download name from a (decoded, UTF-8) file name, n being the
 * part index: the last path component (after '/' or '\'), without
 * control or bidirectional-override characters, with '_' for the
 * characters Windows refuses (<>:"|?*), without leading or trailing
 * dots and spaces, at most MSGVIEW_FILENAME_MAX bytes cut at a UTF-8
 * boundary keeping a short extension; "attachment-N" when nothing is
 * left or name is NULL.  Malloc'd; NULL only when out of memory.
 */
char	*msgview_sanitize_filename(const char *name, unsigned n);

#endif
