/*
 * Pieces of the portal's form pages and the answers every form route
 * gives alike (routes_auth.c, routes_unsubscribe.c); page.h builds the
 * frame.
 */
#ifndef SEALPOST_PAGE_FORM_H
#define SEALPOST_PAGE_FORM_H

struct http_response;

/* <input type="hidden"> with value escaped. */
void	page_hidden(struct http_response *resp, const char *name,
	    const char *value);
/* The form's error paragraph (role alert, id form-error); NULL: none. */
void	page_form_error(struct http_response *resp, const char *error);

/* 503 with Retry-After: the worker pool is full. */
void	page_busy(struct http_response *resp);
/* 403: the csrf field or the Origin check failed. */
void	page_csrf_refused(struct http_response *resp);
/* 400: the form body could not be read. */
void	page_bad_form(struct http_response *resp);

#endif
