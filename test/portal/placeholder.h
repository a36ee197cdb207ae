/*
 * GET / until the real login and inbox pages exist (the portal issue's
 * later points replace this file).
 */
#ifndef SEALPOST_PLACEHOLDER_H
#define SEALPOST_PLACEHOLDER_H

#include "http.h"

int	handle_index(struct http_request *req, struct http_response *resp,
	    void *arg);

#endif
