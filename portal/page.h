/*
 * HTML pages: one frame for every page (doctype, viewport for phones,
 * the portal's stylesheet, a header with the signed-in address and a
 * log-out button), and escaping.  Pages are plain forms that work
 * without JavaScript; no external resources.
 */
#ifndef SEALPOST_PAGE_H
#define SEALPOST_PAGE_H

#include <stddef.h>

struct auth_user;
struct evbuffer;
struct http_response;

/* user may be NULL (not signed in). */
void	page_begin(struct http_response *resp, const char *title,
	    const struct auth_user *user);
void	page_end(struct http_response *resp);

/* Append s HTML-escaped (& < > " '), invalid UTF-8 replaced. */
void	page_escape(struct evbuffer *b, const char *s);
/* Append raw markup; the format's arguments are NOT escaped. */
void	page_printf(struct http_response *resp, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
/* Append s escaped. */
void	page_text(struct http_response *resp, const char *s);

/* A whole page with a heading and one paragraph; sets the status. */
void	page_message(struct http_response *resp, int status,
	    const struct auth_user *user, const char *title, const char *text);

/* A hidden csrf field for user's session. */
void	page_csrf_field(struct http_response *resp, const struct auth_user *user);

#endif
