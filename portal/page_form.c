/*
 * Form pieces and the answers form routes share (page_form.h).
 */
#include "http.h"
#include "log.h"
#include "page.h"
#include "page_form.h"

void
page_hidden(struct http_response *resp, const char *name, const char *value)
{
	page_printf(resp, "<input type=\"hidden\" name=\"%s\" value=\"", name);
	page_text(resp, value);
	page_printf(resp, "\">\n");
}

void
page_form_error(struct http_response *resp, const char *error)
{
	if (error == NULL)
		return;
	page_printf(resp, "<p class=\"error\" role=\"alert\" "
	    "id=\"form-error\">");
	page_text(resp, error);
	page_printf(resp, "</p>\n");
}

void
page_busy(struct http_response *resp)
{
	page_message(resp, 503, NULL, "Busy",
	    "The server is busy. Please try again in a moment.");
	if (http_response_set_header(resp, "Retry-After", "5") == -1)
		log_warnx("cannot set Retry-After");
}

void
page_csrf_refused(struct http_response *resp)
{
	page_message(resp, 403, NULL, "This form has expired",
	    "The form was sent from another site, or it has expired. Go "
	    "back, reload the page and try again.");
}

void
page_bad_form(struct http_response *resp)
{
	page_message(resp, 400, NULL, "Bad request",
	    "The form could not be read. Go back, reload the page and try "
	    "again.");
}
