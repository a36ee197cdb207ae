/*
 * The writing forms and their refusals (compose.h).  Plain forms that
 * work without JavaScript; every value typed comes back escaped.  Forms
 * are multipart/form-data so that files can be attached.
 */
#include <stdio.h>
#include <string.h>

#include <event2/buffer.h>

#include "compose.h"
#include "message_create.h"
#include "page.h"

static const char *
mode_title(int mode)
{
	switch (mode) {
	case COMPOSE_REPLY:
		return "Reply";
	case COMPOSE_REPLY_ALL:
		return "Reply all";
	case COMPOSE_FORWARD:
		return "Forward";
	default:
		return "New secure message";
	}
}

/* A labelled text field, its help under it, kept together in a div. */
static void
form_input(struct http_response *resp, const char *name, const char *label,
    const char *value, const char *sfx, const char *help)
{
	page_printf(resp, "<div class=\"field\"><label for=\"%s%s\">%s"
	    "</label>\n<input type=\"text\" id=\"%s%s\" name=\"%s\" "
	    "value=\"", name, sfx, label, name, sfx, name);
	page_text(resp, value != NULL ? value : "");
	page_printf(resp, "\" autocomplete=\"off\" spellcheck=\"false\"");
	if (help != NULL)
		page_printf(resp, " aria-describedby=\"%s%s-help\">\n"
		    "<p id=\"%s%s-help\" class=\"muted\">%s</p></div>\n", name,
		    sfx, name, sfx, help);
	else
		page_printf(resp, "></div>\n");
}

void
compose_form_body(struct http_response *resp, const struct auth_user *user,
    const char *orig, int mode, const struct compose_fields *f,
    const char *sfx)
{
	static const char	addr_help[] = "Separate addresses with commas.";

	if (orig != NULL)
		page_printf(resp, "<form method=\"post\" action=\"/m/%s/reply\" "
		    "enctype=\"multipart/form-data\">\n", orig);
	else
		page_printf(resp, "<form method=\"post\" action=\"/compose\" "
		    "enctype=\"multipart/form-data\">\n");
	page_csrf_field(resp, user);
	if (orig != NULL)
		page_printf(resp, "<input type=\"hidden\" name=\"mode\" "
		    "value=\"%s\">\n", compose_mode_name(mode));
	if (!user->professional)
		form_input(resp, "to", "To", f->to, sfx, "As a guest, you can "
		    "write only to the people in this conversation.");
	else
		form_input(resp, "to", "To", f->to, sfx, addr_help);
	form_input(resp, "cc", "Cc", f->cc, sfx, NULL);
	form_input(resp, "subject", "Subject", f->subject, sfx, NULL);
	page_printf(resp, "<div class=\"field\"><label for=\"body%s\">"
	    "Message</label>\n"
	    "<textarea id=\"body%s\" name=\"body\" rows=\"10\"", sfx, sfx);
	if (orig != NULL)
		page_printf(resp, " aria-describedby=\"body%s-help\">", sfx);
	else
		page_printf(resp, ">");
	page_text(resp, f->body != NULL ? f->body : "");
	page_printf(resp, "</textarea>\n");
	if (orig != NULL)
		page_printf(resp, "<p id=\"body%s-help\" class=\"muted\">The "
		    "original message is quoted below your text%s.</p>\n", sfx,
		    mode == COMPOSE_FORWARD ? ", with its attachments" : "");
	page_printf(resp, "</div>\n<div class=\"field\"><label "
	    "for=\"attachment%s\">Attach files (optional)</label>\n"
	    "<input type=\"file\" id=\"attachment%s\" name=\"attachment\" "
	    "multiple></div>\n"
	    "<div><button type=\"submit\">Send securely</button></div>\n"
	    "</form>\n", sfx, sfx);
}

void
compose_page_form(struct http_response *resp, int status,
    const struct auth_user *user, const char *orig, int mode,
    const struct compose_fields *f, const char *error)
{
	const char	*title = mode_title(mode);

	evbuffer_drain(resp->body, evbuffer_get_length(resp->body));
	resp->status = status;
	page_begin(resp, title, user);
	page_printf(resp, "<h1>%s</h1>\n", title);
	if (error != NULL) {
		page_printf(resp, "<p class=\"error\" role=\"alert\">");
		page_text(resp, error);
		page_printf(resp, "</p>\n");
	}
	if (orig != NULL)
		page_printf(resp, "<p><a href=\"/m/%s\">Back to the "
		    "message</a></p>\n", orig);
	else
		page_printf(resp, "<p class=\"muted\">The message is stored "
		    "encrypted; each recipient gets an email with a link to "
		    "read it here. Addresses without an account are invited "
		    "to register.</p>\n");
	compose_form_body(resp, user, orig, mode, f, "");
	page_end(resp);
}

void
compose_page_refused(struct http_response *resp, int status,
    const struct auth_user *user, const char *title, const char *text)
{
	evbuffer_drain(resp->body, evbuffer_get_length(resp->body));
	page_message(resp, status, user, title, text);
}

void
compose_page_revoke(struct http_response *resp, const struct auth_user *user,
    const char *idstr, const char *subject, const struct store_message *m)
{
	size_t	i;

	page_begin(resp, "Revoke this message?", user);
	page_printf(resp, "<h1>Revoke this message?</h1>\n<p>");
	page_text(resp, subject != NULL && subject[0] != '\0' ? subject :
	    "(no subject)");
	page_printf(resp, "</p>\n<p>Its recipients will no longer be able to "
	    "read it or download it; they will see that you revoked it. "
	    "This cannot be undone.</p>\n<ul class=\"recipients\">");
	for (i = 0; i < m->nrecipients; i++) {
		page_printf(resp, "<li>");
		page_text(resp, m->recipients[i]);
		page_printf(resp, "</li>");
	}
	page_printf(resp, "</ul>\n<form method=\"post\" "
	    "action=\"/m/%s/revoke\">\n", idstr);
	page_csrf_field(resp, user);
	page_printf(resp, "\n<div><button type=\"submit\">Revoke</button> "
	    "<a href=\"/sent\">Cancel</a></div>\n</form>\n");
	page_end(resp);
}
