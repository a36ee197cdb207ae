/*
 * Request and response objects and the helpers handlers use.  The
 * server's side (reading, writing, sockets) is in http_reader.c and
 * http_server.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <event2/buffer.h>

#include "http.h"
#include "http_form.h"

/* Names only the server writes; a handler cannot set or remove them. */
static int	response_set(struct http_response *, const char *, const char *);

static const char *const reserved_headers[] = {
	"Content-Length", "Connection", "Date", "Transfer-Encoding",
	"Keep-Alive", "Upgrade", "X-Content-Type-Options", "Referrer-Policy",
	"Cache-Control", "X-Frame-Options", "Strict-Transport-Security",
};

static const struct {
	int		 status;
	const char	*reason;
} reasons[] = {
	{ 100, "Continue" },
	{ 200, "OK" },
	{ 201, "Created" },
	{ 204, "No Content" },
	{ 301, "Moved Permanently" },
	{ 302, "Found" },
	{ 303, "See Other" },
	{ 304, "Not Modified" },
	{ 307, "Temporary Redirect" },
	{ 400, "Bad Request" },
	{ 401, "Unauthorized" },
	{ 403, "Forbidden" },
	{ 404, "Not Found" },
	{ 405, "Method Not Allowed" },
	{ 408, "Request Timeout" },
	{ 409, "Conflict" },
	{ 410, "Gone" },
	{ 411, "Length Required" },
	{ 413, "Content Too Large" },
	{ 414, "URI Too Long" },
	{ 415, "Unsupported Media Type" },
	{ 417, "Expectation Failed" },
	{ 429, "Too Many Requests" },
	{ 431, "Request Header Fields Too Large" },
	{ 500, "Internal Server Error" },
	{ 501, "Not Implemented" },
	{ 503, "Service Unavailable" },
	{ 505, "HTTP Version Not Supported" },
};

const char *
http_status_reason(int status)
{
	size_t	i;

	for (i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++)
		if (reasons[i].status == status)
			return reasons[i].reason;
	return "Unknown";
}

struct http_request *
http_request_new(void)
{
	struct http_request	*req;

	if ((req = calloc(1, sizeof(*req))) == NULL)
		return NULL;
	if ((req->body = evbuffer_new()) == NULL) {
		free(req);
		return NULL;
	}
	return req;
}

/* Best effort: a body may hold a password, so wipe it before freeing. */
static void
body_wipe(struct evbuffer *b)
{
	size_t		 len = evbuffer_get_length(b);
	unsigned char	*p;

	if (len == 0)
		return;
	if ((p = evbuffer_pullup(b, -1)) != NULL)
		explicit_bzero(p, len);
}

void
http_request_free(struct http_request *req)
{
	size_t	i;

	if (req == NULL)
		return;
	for (i = 0; i < req->nheaders; i++)
		free(req->headers[i].name);	/* value points into it */
	free(req->headers);
	free(req->method_name);
	free(req->target);
	free(req->path);
	free(req->query);
	free(req->param_buf);
	if (req->body != NULL) {
		body_wipe(req->body);
		evbuffer_free(req->body);
	}
	free(req);
}

const char *
http_request_header(const struct http_request *req, const char *name)
{
	size_t	i;

	for (i = 0; i < req->nheaders; i++)
		if (strcasecmp(req->headers[i].name, name) == 0)
			return req->headers[i].value;
	return NULL;
}

const char *
http_request_param(const struct http_request *req, size_t i)
{
	return i < req->nparams ? req->params[i] : NULL;
}

/* "application/x-www-form-urlencoded", parameters after ';' ignored
 * except that a charset must be UTF-8. */
static int
content_type_is_form(const char *ct)
{
	static const char	 want[] = "application/x-www-form-urlencoded";
	const char		*p;

	if (ct == NULL || strncasecmp(ct, want, sizeof(want) - 1) != 0)
		return 0;
	p = ct + sizeof(want) - 1;
	while (*p == ' ' || *p == '\t')
		p++;
	if (*p == '\0')
		return 1;
	if (*p != ';')
		return 0;
	p++;
	while (*p == ' ' || *p == '\t')
		p++;
	if (*p == '\0')
		return 1;
	if (strncasecmp(p, "charset=", 8) != 0)
		return 0;
	p += 8;
	if (*p == '"')
		p++;
	return strncasecmp(p, "utf-8", 5) == 0;
}

int
http_request_form(struct http_request *req, struct http_form **out)
{
	size_t		 len = evbuffer_get_length(req->body);
	const char	*data;

	*out = NULL;
	if (!content_type_is_form(http_request_header(req, "Content-Type")))
		return -1;
	if (len == 0)
		return http_form_parse("", 0, out);
	if ((data = (const char *)evbuffer_pullup(req->body, -1)) == NULL)
		return -1;
	return http_form_parse(data, len, out);
}

int
http_request_query(const struct http_request *req, struct http_form **out)
{
	if (req->query == NULL)
		return http_form_parse("", 0, out);
	return http_form_parse(req->query, strlen(req->query), out);
}

struct http_response *
http_response_new(void)
{
	struct http_response	*resp;

	if ((resp = calloc(1, sizeof(*resp))) == NULL)
		return NULL;
	resp->status = 200;
	if ((resp->body = evbuffer_new()) == NULL ||
	    response_set(resp, "Content-Type",
	    "text/html; charset=utf-8") == -1) {
		http_response_free(resp);
		return NULL;
	}
	return resp;
}

void
http_response_free(struct http_response *resp)
{
	size_t	i;

	if (resp == NULL)
		return;
	for (i = 0; i < resp->nheaders; i++) {
		free(resp->headers[i].name);
		free(resp->headers[i].value);
	}
	free(resp->headers);
	free(resp->csp);
	http_response_stream_end(resp);
	if (resp->body != NULL)
		evbuffer_free(resp->body);
	free(resp);
}

static int
is_tchar(int c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9'))
		return 1;
	return c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

/* Visible ASCII, obs-text and inner SP/HTAB; no CR, LF, NUL. */
static int
value_ok(const char *v)
{
	const unsigned char	*p;

	for (p = (const unsigned char *)v; *p != '\0'; p++)
		if ((*p < 0x20 && *p != '\t') || *p == 0x7f)
			return 0;
	return 1;
}

/* The body of http_response_set_header() and _add_header(); replace 0
 * appends even when the name is already there (Set-Cookie). */
static int
response_put(struct http_response *resp, const char *name, const char *value,
    int replace)
{
	struct http_header		*h;
	const char			*p;
	char				*v;
	size_t				 i;

	if (name[0] == '\0' || !value_ok(value))
		return -1;
	for (p = name; *p != '\0'; p++)
		if (!is_tchar((unsigned char)*p))
			return -1;
	for (i = 0; i < sizeof(reserved_headers) / sizeof(reserved_headers[0]);
	    i++)
		if (strcasecmp(name, reserved_headers[i]) == 0)
			return -1;
	if ((v = strdup(value)) == NULL)
		return -1;
	if (strcasecmp(name, "Content-Security-Policy") == 0) {
		free(resp->csp);
		resp->csp = v;
		return 0;
	}
	for (i = 0; replace && i < resp->nheaders; i++) {
		if (strcasecmp(resp->headers[i].name, name) == 0) {
			free(resp->headers[i].value);
			resp->headers[i].value = v;
			return 0;
		}
	}
	if (resp->nheaders == resp->header_cap) {
		size_t cap = resp->header_cap == 0 ? 8 : resp->header_cap * 2;

		if ((h = reallocarray(resp->headers, cap, sizeof(*h))) == NULL) {
			free(v);
			return -1;
		}
		resp->headers = h;
		resp->header_cap = cap;
	}
	h = &resp->headers[resp->nheaders];
	if ((h->name = strdup(name)) == NULL) {
		free(v);
		return -1;
	}
	h->value = v;
	resp->nheaders++;
	return 0;
}

/* Usable where a failure (no memory) needs no handling. */
static int
response_set(struct http_response *resp, const char *name, const char *value)
{
	return response_put(resp, name, value, 1);
}

int
http_response_set_header(struct http_response *resp, const char *name,
    const char *value)
{
	return response_set(resp, name, value);
}

int
http_response_add_header(struct http_response *resp, const char *name,
    const char *value)
{
	return response_put(resp, name, value, 0);
}

const char *
http_response_header(const struct http_response *resp, const char *name)
{
	size_t	i;

	if (strcasecmp(name, "Content-Security-Policy") == 0)
		return resp->csp != NULL ? resp->csp : HTTP_CSP_DEFAULT;
	for (i = 0; i < resp->nheaders; i++)
		if (strcasecmp(resp->headers[i].name, name) == 0)
			return resp->headers[i].value;
	return NULL;
}

int
http_response_redirect(struct http_response *resp, int status,
    const char *location)
{
	if (status < 300 || status > 399)
		return -1;
	if (http_response_set_header(resp, "Location", location) == -1)
		return -1;
	http_response_stream_end(resp);
	resp->status = status;
	evbuffer_drain(resp->body, evbuffer_get_length(resp->body));
	return 0;
}

int
http_response_stream(struct http_response *resp, uint64_t more,
    int (*fill)(void *, struct evbuffer *), void (*free_arg)(void *),
    void *arg)
{
	if (more == 0 || fill == NULL)
		return -1;
	http_response_stream_end(resp);
	resp->stream_left = more;
	resp->stream_fill = fill;
	resp->stream_free = free_arg;
	resp->stream_arg = arg;
	return 0;
}

void
http_response_stream_end(struct http_response *resp)
{
	void	(*free_arg)(void *) = resp->stream_free;
	void	*arg = resp->stream_arg;

	resp->stream_left = 0;
	resp->stream_fill = NULL;
	resp->stream_free = NULL;
	resp->stream_arg = NULL;
	if (free_arg != NULL)
		free_arg(arg);
}

void
http_response_error_page(struct http_response *resp, int status)
{
	const char	*reason = http_status_reason(status);

	http_response_stream_end(resp);
	resp->status = status;
	evbuffer_drain(resp->body, evbuffer_get_length(resp->body));
	response_set(resp, "Content-Type", "text/html; charset=utf-8");
	evbuffer_add_printf(resp->body,
	    "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"
	    "<meta charset=\"utf-8\">\n"
	    "<meta name=\"viewport\" content=\"width=device-width, "
	    "initial-scale=1\">\n"
	    "<title>%d %s</title>\n"
	    "<link rel=\"stylesheet\" href=\"/static/style.css\">\n"
	    "</head>\n<body>\n<main>\n<h1>%d %s</h1>\n"
	    "<p><a href=\"/\">Back to the start page</a></p>\n"
	    "</main>\n</body>\n</html>\n", status, reason, status, reason);
}
