#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <glib.h>

#include "auth.h"
#include "http.h"
#include "page.h"

void
page_escape(struct evbuffer *b, const char *s)
{
	const char	*p, *end;
	char		*valid = NULL;

	if (s == NULL)
		return;
	if (!g_utf8_validate(s, -1, NULL))
		s = valid = g_utf8_make_valid(s, -1);
	end = s + strlen(s);
	for (p = s; p < end; p++) {
		switch (*p) {
		case '&':
			evbuffer_add(b, "&amp;", 5);
			break;
		case '<':
			evbuffer_add(b, "&lt;", 4);
			break;
		case '>':
			evbuffer_add(b, "&gt;", 4);
			break;
		case '"':
			evbuffer_add(b, "&quot;", 6);
			break;
		case '\'':
			evbuffer_add(b, "&#39;", 5);
			break;
		default:
			evbuffer_add(b, p, 1);
		}
	}
	g_free(valid);
}

void
page_printf(struct http_response *resp, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	evbuffer_add_vprintf(resp->body, fmt, ap);
	va_end(ap);
}

void
page_text(struct http_response *resp, const char *s)
{
	page_escape(resp->body, s);
}

void
page_csrf_field(struct http_response *resp, const struct auth_user *user)
{
	if (user != NULL)
		page_printf(resp, "<input type=\"hidden\" name=\"csrf\" "
		    "value=\"%s\">", user->csrf);
}

void
page_begin(struct http_response *resp, const char *title,
    const struct auth_user *user)
{
	page_printf(resp, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"
	    "<meta charset=\"utf-8\">\n"
	    "<meta name=\"viewport\" content=\"width=device-width, "
	    "initial-scale=1\">\n<title>");
	page_text(resp, title);
	page_printf(resp, " \xe2\x80\x94 sealpost</title>\n"
	    "<link rel=\"stylesheet\" href=\"/static/style.css\">\n"
	    "<link rel=\"icon\" href=\"/static/icon.svg\" "
	    "type=\"image/svg+xml\">\n"
	    "</head>\n<body>\n<header class=\"bar\">"
	    "<a class=\"brand\" href=\"/\">sealpost</a>");
	if (user != NULL) {
		page_printf(resp, "<nav><a href=\"/inbox\">Inbox</a> "
		    "<a href=\"/sent\">Sent</a> <a href=\"/account\">");
		page_text(resp, user->address);
		page_printf(resp, "</a> <form method=\"post\" action=\"/logout\" "
		    "class=\"inline\">");
		page_csrf_field(resp, user);
		page_printf(resp, "<button type=\"submit\">Log out</button>"
		    "</form></nav>");
	}
	page_printf(resp, "</header>\n<main>\n");
}

void
page_end(struct http_response *resp)
{
	page_printf(resp, "</main>\n</body>\n</html>\n");
}

void
page_message(struct http_response *resp, int status,
    const struct auth_user *user, const char *title, const char *text)
{
	resp->status = status;
	page_begin(resp, title, user);
	page_printf(resp, "<h1>");
	page_text(resp, title);
	page_printf(resp, "</h1>\n<p>");
	page_text(resp, text);
	page_printf(resp, "</p>\n");
	page_end(resp);
}
