/*
 * Link mails of the portal (mail_link.h): common/link_mail.c with the
 * request id in the log.
 */
#include <time.h>

#include "log.h"
#include "mail_link.h"

int
mail_link_send(struct portal *p, const char *reqid,
    const struct link_mail *l)
{
	char	err[256];
	time_t	now = p->now != NULL ? p->now() : time(NULL);

	switch (link_mail_send(p->cfg, p->store, now, l, err, sizeof(err))) {
	case LINK_MAIL_OK:
		log_info("%s %s link sent to %s", reqid, l->what, l->address);
		return 0;
	case LINK_MAIL_STORE:
		log_warnx("%s no %s link sent: %s", reqid, l->what, err);
		break;
	case LINK_MAIL_TEMPLATE:
		log_warnx("%s no %s link sent: %s: %s", reqid, l->what,
		    l->template, err);
		break;
	case LINK_MAIL_MAILER:
		log_warnx("%s %s link to %s not sent: %s", reqid, l->what,
		    l->address, err);
		break;
	default:
		break;
	}
	return -1;
}
