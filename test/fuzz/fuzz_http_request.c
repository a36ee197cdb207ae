/*
 * The portal's strict request reader on arbitrary bytes, fed in chunks
 * whose size the first byte picks, with pipelined requests read until
 * the input ends or a refusal.  Every accepted request must satisfy the
 * reader's promises; every refusal must carry one of its statuses.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "http.h"
#include "http_form.h"
#include "http_reader.h"
#include "http_router.h"

static int
h(struct http_request *req, struct http_response *resp, void *arg)
{
	return HTTP_HANDLER_DONE;
}

static struct http_router *
router(void)
{
	static struct http_router	*r;

	if (r == NULL) {
		if ((r = http_router_new()) == NULL ||
		    http_router_add(r, HTTP_GET, "/", 0, h, NULL) == -1 ||
		    http_router_add(r, HTTP_GET, "/m/*/part/*", 0, h, NULL) ==
		    -1 ||
		    http_router_add(r, HTTP_POST, "/m/*/reply", 0, h, NULL) ==
		    -1 ||
		    http_router_add(r, HTTP_GET, "/static/**", 0, h, NULL) == -1)
			abort();
	}
	return r;
}

static void
check_request(struct http_request *req)
{
	struct http_route_match	 m;
	struct http_form	*form;
	size_t			 i;
	const char		*p;

	if (req->path == NULL || req->path[0] != '/' ||
	    (req->method != HTTP_GET && req->method != HTTP_POST) ||
	    evbuffer_get_length(req->body) != req->content_length ||
	    (req->method == HTTP_POST && !req->has_content_length))
		abort();
	for (i = 0; i < req->nheaders; i++) {
		if (req->headers[i].name[0] == '\0')
			abort();
		for (p = req->headers[i].value; *p != '\0'; p++)
			if (*p == '\r' || *p == '\n')
				abort();
	}
	if (http_router_match(router(), req->method, req->path, &m) ==
	    HTTP_ROUTE_FOUND) {
		if (http_router_bind(&m, req) == -1)
			abort();
		for (i = 0; i < req->nparams; i++)
			if (req->params[i][0] == '\0')
				abort();
	}
	if (http_request_query(req, &form) == 0)
		http_form_free(form);
	if (http_request_form(req, &form) == 0)
		http_form_free(form);
	(void)http_request_header(req, "Cookie");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const int	 statuses[] = { 400, 405, 411, 413, 414, 417,
				    431, 505 };
	struct http_reader	*r;
	struct evbuffer		*in;
	struct http_request	*req;
	size_t			 off = 1, step, n, i;
	uint64_t		 limit;
	int			 rc = HTTP_READ_MORE, ok;

	if (size < 1)
		return 0;
	step = data[0] & 0x7f;		/* 0: everything at once */
	limit = (data[0] & 0x80) ? 16 : HTTP_MAX_BODY;
	if ((r = http_reader_new(HTTP_MAX_HEAD)) == NULL ||
	    (in = evbuffer_new()) == NULL)
		abort();
	while (rc != HTTP_READ_ERROR) {
		if (off < size) {
			n = step == 0 || size - off < step ? size - off : step;
			evbuffer_add(in, data + off, n);
			off += n;
		}
		rc = http_reader_read(r, in);
		if (rc == HTTP_READ_HEAD) {
			if (http_reader_set_body_limit(r, limit) == -1) {
				if (http_reader_status(r) != 413)
					abort();
				break;
			}
			continue;
		}
		if (rc == HTTP_READ_DONE) {
			if ((req = http_reader_take(r)) == NULL)
				abort();
			check_request(req);
			http_request_free(req);
			continue;
		}
		if (rc == HTTP_READ_MORE && off >= size)
			break;
	}
	if (rc == HTTP_READ_ERROR) {
		for (ok = 0, i = 0; i < sizeof(statuses) / sizeof(statuses[0]);
		    i++)
			if (http_reader_status(r) == statuses[i])
				ok = 1;
		if (!ok)
			abort();
	}
	http_reader_free(r);
	evbuffer_free(in);
	return 0;
}
