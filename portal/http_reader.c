/*
 * Strict HTTP/1.x request reader.  Why not evhttp: libevent 2.1's evhttp
 * was tried first and it takes the first of two Content-Length headers
 * (a request-smuggling desync), decodes chunked bodies, folds obs-fold
 * lines, passes NUL inside header values, answers 400 instead of 431 for
 * a large header block and 501 without Allow for an unknown method, and
 * has no connection cap.  So the portal reads requests itself, on top of
 * bufferevent, and refuses anything ambiguous.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <event2/buffer.h>

#include "http.h"
#include "http_reader.h"

enum reader_state {
	RD_LINE = 0,	/* request line (or leading empty lines) */
	RD_HEADERS,
	RD_HEAD_DONE,	/* waiting for http_reader_set_body_limit() */
	RD_BODY,
	RD_DONE,
	RD_ERROR,
};

struct http_reader {
	size_t			 max_head;
	size_t			 head_used;
	enum reader_state	 state;
	int			 started;
	int			 status;
	const char		*reason;
	uint64_t		 body_left;
	struct http_request	*req;
};

struct http_reader *
http_reader_new(size_t max_head)
{
	struct http_reader	*r;

	if ((r = calloc(1, sizeof(*r))) == NULL)
		return NULL;
	r->max_head = max_head;
	return r;
}

void
http_reader_free(struct http_reader *r)
{
	if (r == NULL)
		return;
	http_request_free(r->req);
	free(r);
}

static int
reader_error(struct http_reader *r, int status, const char *reason)
{
	r->state = RD_ERROR;
	r->status = status;
	r->reason = reason;
	return HTTP_READ_ERROR;
}

void
http_reader_fail(struct http_reader *r, int status, const char *reason)
{
	(void)reader_error(r, status, reason);
}

struct http_request *
http_reader_request(struct http_reader *r)
{
	return r->req;
}

int
http_reader_started(const struct http_reader *r)
{
	return r->started;
}

int
http_reader_status(const struct http_reader *r)
{
	return r->status;
}

const char *
http_reader_reason(const struct http_reader *r)
{
	return r->reason != NULL ? r->reason : "-";
}

struct http_request *
http_reader_take(struct http_reader *r)
{
	struct http_request	*req;

	if (r->state != RD_DONE)
		return NULL;
	req = r->req;
	r->req = NULL;
	r->state = RD_LINE;
	r->head_used = 0;
	r->started = 0;
	r->status = 0;
	r->reason = NULL;
	return req;
}

static int
is_tchar(int c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9'))
		return 1;
	return c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

/*
 * One CRLF-terminated line (strict: a bare CR or LF stays inside the
 * line and is refused below).  1 and *out (caller frees) when a line is
 * there, 0 when more input is needed, -1 when the head would outgrow
 * its budget.
 */
static int
reader_line(struct http_reader *r, struct evbuffer *in, char **out,
    size_t *lenp)
{
	struct evbuffer_ptr	 p;
	size_t			 eol_len, room = r->max_head - r->head_used;
	char			*line;

	p = evbuffer_search_eol(in, NULL, &eol_len, EVBUFFER_EOL_CRLF_STRICT);
	if (p.pos == -1)
		return evbuffer_get_length(in) > room ? -1 : 0;
	if ((size_t)p.pos + eol_len > room)
		return -1;
	if ((line = malloc(p.pos + 1)) == NULL)
		return -1;
	if (evbuffer_remove(in, line, p.pos) != p.pos) {
		free(line);
		return -1;
	}
	evbuffer_drain(in, eol_len);
	line[p.pos] = '\0';
	r->head_used += p.pos + eol_len;
	*out = line;
	*lenp = p.pos;
	return 1;
}

/* A dot segment ("/./", "/../", trailing "/." or "/..") in path. */
static int
has_dot_segment(const char *path)
{
	const char	*s = path;

	while ((s = strchr(s, '/')) != NULL) {
		s++;
		if (s[0] == '.' && (s[1] == '/' || s[1] == '\0'))
			return 1;
		if (s[0] == '.' && s[1] == '.' && (s[2] == '/' || s[2] == '\0'))
			return 1;
	}
	return 0;
}

static int
reader_request_line(struct http_reader *r, char *line, size_t len)
{
	struct http_request	*req = r->req;
	char			*sp1, *sp2, *version, *q, *p;

	if ((sp1 = memchr(line, ' ', len)) == NULL ||
	    (sp2 = strchr(sp1 + 1, ' ')) == NULL)
		return reader_error(r, 400, "bad-request-line");
	*sp1 = *sp2 = '\0';
	version = sp2 + 1;
	if (sp1 == line || sp1 - line > 20)
		return reader_error(r, 400, "bad-method");
	for (p = line; *p != '\0'; p++)
		if (!is_tchar((unsigned char)*p))
			return reader_error(r, 400, "bad-method");
	if ((req->method_name = strdup(line)) == NULL)
		return reader_error(r, 500, "no-memory");
	if (strcmp(line, "GET") == 0)
		req->method = HTTP_GET;
	else if (strcmp(line, "POST") == 0)
		req->method = HTTP_POST;

	/* origin-form only: the portal is no proxy. */
	if (sp1[1] != '/')
		return reader_error(r, 400, "bad-target");
	for (p = sp1 + 1; *p != '\0'; p++)
		if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f ||
		    *p == '#')
			return reader_error(r, 400, "bad-target");

	if (strcmp(version, "HTTP/1.1") == 0)
		req->version_minor = 1;
	else if (strcmp(version, "HTTP/1.0") == 0)
		req->version_minor = 0;
	else if (strncmp(version, "HTTP/", 5) == 0 && version[5] >= '0' &&
	    version[5] <= '9' && version[6] == '.' && version[7] >= '0' &&
	    version[7] <= '9' && version[8] == '\0')
		return reader_error(r, 505, "bad-version");
	else
		return reader_error(r, 400, "bad-version");

	if ((req->target = strdup(sp1 + 1)) == NULL ||
	    (req->path = strdup(sp1 + 1)) == NULL)
		return reader_error(r, 500, "no-memory");
	if ((q = strchr(req->path, '?')) != NULL) {
		*q = '\0';
		if ((req->query = strdup(q + 1)) == NULL)
			return reader_error(r, 500, "no-memory");
	}
	if (has_dot_segment(req->path))
		return reader_error(r, 400, "bad-path");
	return HTTP_READ_MORE;
}

/* Takes ownership of line. */
static int
reader_header(struct http_reader *r, char *line, size_t len)
{
	struct http_request	*req = r->req;
	struct http_header	*h;
	char			*colon, *v, *end, *p;

	if (line[0] == ' ' || line[0] == '\t') {
		free(line);
		return reader_error(r, 400, "obs-fold");
	}
	if ((colon = memchr(line, ':', len)) == NULL) {
		free(line);
		return reader_error(r, 400, "bad-header");
	}
	if (colon == line) {
		free(line);
		return reader_error(r, 400, "empty-header-name");
	}
	*colon = '\0';
	/* Also refuses whitespace before the colon (RFC 9112 5.1). */
	for (p = line; *p != '\0'; p++) {
		if (!is_tchar((unsigned char)*p)) {
			free(line);
			return reader_error(r, 400, "bad-header-name");
		}
	}
	v = colon + 1;
	end = line + len;
	while (v < end && (*v == ' ' || *v == '\t'))
		v++;
	while (end > v && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	*end = '\0';
	/* field-content: VCHAR, obs-text, SP and HTAB only. */
	for (p = v; *p != '\0'; p++) {
		if (((unsigned char)*p < 0x20 && *p != '\t') || *p == 0x7f) {
			free(line);
			return reader_error(r, 400, "bad-header-value");
		}
	}

	if (req->nheaders == HTTP_MAX_HEADERS) {
		free(line);
		return reader_error(r, 431, "too-many-headers");
	}
	if (req->nheaders == req->header_cap) {
		size_t cap = req->header_cap == 0 ? 16 : req->header_cap * 2;

		if ((h = reallocarray(req->headers, cap, sizeof(*h))) == NULL) {
			free(line);
			return reader_error(r, 500, "no-memory");
		}
		req->headers = h;
		req->header_cap = cap;
	}
	req->headers[req->nheaders].name = line;
	req->headers[req->nheaders].value = v;
	req->nheaders++;
	return HTTP_READ_MORE;
}

static size_t
header_count(const struct http_request *req, const char *name)
{
	size_t	i, n = 0;

	for (i = 0; i < req->nheaders; i++)
		if (strcasecmp(req->headers[i].name, name) == 0)
			n++;
	return n;
}

/* Case-insensitive search for token in a comma-separated list. */
static int
list_has_token(const char *list, const char *token)
{
	size_t		 tl = strlen(token), n;
	const char	*p = list;

	while (*p != '\0') {
		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		n = strcspn(p, " \t,");
		if (n == tl && strncasecmp(p, token, tl) == 0)
			return 1;
		p += n;
	}
	return 0;
}

/* The checks that need the whole head; order is documented. */
static int
reader_head_done(struct http_reader *r)
{
	struct http_request	*req = r->req;
	const char		*cl, *p;
	uint64_t		 n = 0;
	size_t			 i, hosts;

	if ((hosts = header_count(req, "Host")) > 1 ||
	    (hosts == 0 && req->version_minor == 1))
		return reader_error(r, 400, "bad-host");
	if (header_count(req, "Transfer-Encoding") > 0) {
		if (req->method == HTTP_POST)
			return reader_error(r, 411, "transfer-encoding");
		return reader_error(r, 400, "transfer-encoding");
	}
	if (header_count(req, "Content-Length") > 1)
		return reader_error(r, 400, "duplicate-content-length");
	if ((cl = http_request_header(req, "Content-Length")) != NULL) {
		if (*cl == '\0')
			return reader_error(r, 400, "bad-content-length");
		for (p = cl; *p != '\0'; p++) {
			if (*p < '0' || *p > '9')
				return reader_error(r, 400,
				    "bad-content-length");
			/* Numeric but absurd: too large, not malformed. */
			if (n > (UINT64_C(1) << 53))
				return reader_error(r, 413, "body-too-large");
			n = n * 10 + (uint64_t)(*p - '0');
		}
		req->has_content_length = 1;
		req->content_length = n;
	}
	if (req->method == 0)
		return reader_error(r, 405, "bad-method");
	if (req->method == HTTP_POST && !req->has_content_length)
		return reader_error(r, 411, "no-content-length");

	req->keepalive = req->version_minor == 1;
	for (i = 0; i < req->nheaders; i++) {
		if (strcasecmp(req->headers[i].name, "Connection") != 0)
			continue;
		if (list_has_token(req->headers[i].value, "close"))
			req->keepalive = 0;
		else if (list_has_token(req->headers[i].value, "keep-alive"))
			req->keepalive = 1;
	}
	if (header_count(req, "Expect") > 0) {
		if (header_count(req, "Expect") > 1 || strcasecmp(
		    http_request_header(req, "Expect"), "100-continue") != 0)
			return reader_error(r, 417, "bad-expect");
		req->expect_continue = req->version_minor == 1;
	}
	r->state = RD_HEAD_DONE;
	return HTTP_READ_HEAD;
}

int
http_reader_read(struct http_reader *r, struct evbuffer *in)
{
	char	*line;
	size_t	 len, n;
	int	 rc;

	for (;;) {
		switch (r->state) {
		case RD_LINE:
		case RD_HEADERS:
			if (evbuffer_get_length(in) == 0)
				return HTTP_READ_MORE;
			if (r->req == NULL &&
			    (r->req = http_request_new()) == NULL)
				return reader_error(r, 500, "no-memory");
			r->started = 1;
			if ((rc = reader_line(r, in, &line, &len)) == 0)
				return HTTP_READ_MORE;
			if (rc == -1)
				return r->state == RD_LINE ?
				    reader_error(r, 414, "request-line-too-long") :
				    reader_error(r, 431, "header-too-large");
			if (memchr(line, '\0', len) != NULL ||
			    memchr(line, '\r', len) != NULL ||
			    memchr(line, '\n', len) != NULL) {
				free(line);
				return reader_error(r, 400, "bad-character");
			}
			if (r->state == RD_LINE) {
				/* RFC 9112 2.2: ignore empty lines before
				 * the request line (they count). */
				if (len == 0) {
					free(line);
					continue;
				}
				rc = reader_request_line(r, line, len);
				free(line);
				if (rc != HTTP_READ_MORE)
					return rc;
				r->state = RD_HEADERS;
				continue;
			}
			if (len == 0) {
				free(line);
				return reader_head_done(r);
			}
			if ((rc = reader_header(r, line, len)) != HTTP_READ_MORE)
				return rc;
			break;
		case RD_HEAD_DONE:
			return HTTP_READ_HEAD;
		case RD_BODY:
			if (r->body_left == 0) {
				r->state = RD_DONE;
				return HTTP_READ_DONE;
			}
			n = evbuffer_get_length(in);
			if (n == 0)
				return HTTP_READ_MORE;
			if (n > r->body_left)
				n = r->body_left;
			if (n > (1 << 24))	/* evbuffer counts in int */
				n = 1 << 24;
			if (evbuffer_remove_buffer(in, r->req->body, n) !=
			    (int)n)
				return reader_error(r, 500, "no-memory");
			r->body_left -= n;
			break;
		case RD_DONE:
			return HTTP_READ_DONE;
		case RD_ERROR:
			return HTTP_READ_ERROR;
		}
	}
}

int
http_reader_set_body_limit(struct http_reader *r, uint64_t limit)
{
	if (r->state != RD_HEAD_DONE)
		return -1;
	if (r->req->content_length > limit) {
		(void)reader_error(r, 413, "body-too-large");
		return -1;
	}
	r->body_left = r->req->content_length;
	r->state = RD_BODY;
	return 0;
}
