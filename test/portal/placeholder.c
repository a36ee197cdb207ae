/*
 * A minimal start page: proves the server, the stylesheet and the
 * security headers end to end.
 */
#include <event2/buffer.h>

#include "http.h"
#include "placeholder.h"

static const char index_html[] =
	"<!DOCTYPE html>\n"
	"<html lang=\"en\">\n"
	"<head>\n"
	"<meta charset=\"utf-8\">\n"
	"<meta name=\"viewport\" content=\"width=device-width, "
	"initial-scale=1\">\n"
	"<title>sealpost</title>\n"
	"<link rel=\"stylesheet\" href=\"/static/style.css\">\n"
	"</head>\n"
	"<body>\n"
	"<header><a class=\"brand\" href=\"/\">sealpost</a></header>\n"
	"<main>\n"
	"<h1>Secure messages</h1>\n"
	"<p>This is the sealpost portal. Follow the link in your "
	"notification email to read a secure message.</p>\n"
	"<p class=\"muted\">Signing in is not available yet.</p>\n"
	"</main>\n"
	"</body>\n"
	"</html>\n";

int
handle_index(struct http_request *req, struct http_response *resp, void *arg)
{
	if (evbuffer_add_reference(resp->body, index_html,
	    sizeof(index_html) - 1, NULL, NULL) == -1)
		return HTTP_HANDLER_ERROR;
	return HTTP_HANDLER_DONE;
}
