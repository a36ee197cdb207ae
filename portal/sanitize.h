/*
 * Allowlist sanitiser for the HTML body of a secure message.  The HTML
 * came from anywhere, so it is hostile: the output is rebuilt from tokens
 * (never copied raw) with only inert elements and attributes, links to
 * http:, https: and mailto: only, no remote images, and a filtered style
 * attribute.  It is defence in depth beside the portal's sandboxed iframe
 * and its Content-Security-Policy; it is strict on its own.
 *
 * The result is the inside of a <body>: the handler that serves it wraps
 * it in a document and must label it "text/html; charset=utf-8" (the
 * output is always valid UTF-8).
 */
#ifndef SEALPOST_SANITIZE_H
#define SEALPOST_SANITIZE_H

#include <stddef.h>

/* Open elements kept; tags nested deeper are dropped (their text stays). */
#define SANITIZE_MAX_DEPTH	256

/*
 * Maps an inline image's Content-ID to the portal URL that serves it.
 * cid is the part after "cid:" with %XX decoded and without angle
 * brackets (borrowed for the call).  Return a malloc'd same-origin path
 * such as "/m/ID/part/3" (sanitize_html frees it), or NULL to drop the
 * image.  A result that does not start with a single '/' is dropped.
 */
typedef char	*(*sanitize_cid_fn)(void *arg, const char *cid);

/*
 * Sanitises len bytes of html: the text/html part already decoded from
 * its transfer encoding and converted to UTF-8 (invalid sequences and NUL
 * bytes become U+FFFD).  cid_url may be NULL: then every cid: image is
 * dropped.  Returns a malloc'd, NUL-terminated fragment that the caller
 * frees; NULL only when out of memory.  Linear in len.
 */
char	*sanitize_html(const char *html, size_t len, sanitize_cid_fn cid_url,
	    void *arg) __attribute__((warn_unused_result));

#endif
