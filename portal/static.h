/*
 * Static assets compiled into the binary (GET /static/NAME), so the
 * portal needs no document root and never maps a path to a file.
 */
#ifndef SEALPOST_STATIC_H
#define SEALPOST_STATIC_H

#include "http.h"

/* Route "/static/ *" (no space), GET.  Unknown names get 404. */
int	handle_static(struct http_request *req, struct http_response *resp,
	    void *arg);

#endif
