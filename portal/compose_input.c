/*
 * What a writer types, read strictly (compose.h): addresses, the mode,
 * the default subject of an answer.  Pure helpers, no store, no HTTP.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <gmime/gmime.h>

#include "compose.h"
#include "message_create.h"

void
compose_addresses_free(char **v, size_t n)
{
	size_t	i;

	if (v == NULL)
		return;
	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* Append a lowercased copy of a unless already there; 0 or -1. */
static int
addresses_add(char ***v, size_t *n, const char *a)
{
	char	**nv, *c;
	size_t	  i;

	for (i = 0; i < *n; i++)
		if (strcasecmp((*v)[i], a) == 0)
			return 0;
	if ((c = strdup(a)) == NULL)
		return -1;
	for (i = 0; c[i] != '\0'; i++)
		c[i] = (char)tolower((unsigned char)c[i]);
	if ((nv = reallocarray(*v, *n + 1, sizeof(*nv))) == NULL) {
		free(c);
		return -1;
	}
	*v = nv;
	nv[(*n)++] = c;
	return 0;
}

static void
bad_copy(char *bad, size_t badlen, const char *s)
{
	size_t	len = strlen(s);

	/* Short enough for a sentence; the caller escapes it. */
	if (len > 80)
		snprintf(bad, badlen, "%.77s...", s);
	else
		snprintf(bad, badlen, "%s", s);
}

int
compose_parse_addresses(const char *field, char ***v, size_t *n, char *bad,
    size_t badlen)
{
	InternetAddressList	*list;
	InternetAddress		*ia;
	const char		*p, *addr;
	int			 i, len, rc = 0;

	if (badlen > 0)
		bad[0] = '\0';
	if (field == NULL)
		return 0;
	for (p = field; *p == ' ' || *p == '\t' || *p == ','; p++)
		;
	if (*p == '\0')
		return 0;
	/* One line: a CR or LF would end a header. */
	if (strpbrk(field, "\r\n") != NULL) {
		bad_copy(bad, badlen, "a line break");
		return -1;
	}
	if ((list = internet_address_list_parse(NULL, field)) == NULL) {
		bad_copy(bad, badlen, field);
		return -1;
	}
	len = internet_address_list_length(list);
	for (i = 0; i < len && rc == 0; i++) {
		ia = internet_address_list_get_address(list, i);
		if (!INTERNET_ADDRESS_IS_MAILBOX(ia)) {
			/* "Team: a@b, c@d;" */
			bad_copy(bad, badlen, internet_address_get_name(ia) ?
			    internet_address_get_name(ia) : field);
			rc = -1;
			break;
		}
		/* The ASCII (punycode) form of an international domain. */
		addr = internet_address_mailbox_get_idn_addr(
		    INTERNET_ADDRESS_MAILBOX(ia));
		if (addr == NULL || !message_address_ok(addr)) {
			bad_copy(bad, badlen, internet_address_mailbox_get_addr(
			    INTERNET_ADDRESS_MAILBOX(ia)) != NULL ?
			    internet_address_mailbox_get_addr(
			    INTERNET_ADDRESS_MAILBOX(ia)) : field);
			rc = -1;
			break;
		}
		if (addresses_add(v, n, addr) == -1) {
			rc = -1;
			if (badlen > 0)
				bad[0] = '\0';
		}
	}
	g_object_unref(list);
	if (rc == 0 && len == 0) {
		bad_copy(bad, badlen, field);
		rc = -1;
	}
	return rc;
}

int
compose_is_participant(const struct store_message *m, const char *address)
{
	size_t	i;

	if (m->sender != NULL && strcasecmp(m->sender, address) == 0)
		return 1;
	for (i = 0; i < m->nrecipients; i++)
		if (strcasecmp(m->recipients[i], address) == 0)
			return 1;
	return 0;
}

int
compose_mode_parse(const char *s)
{
	if (s == NULL)
		return -1;
	if (strcmp(s, "reply") == 0)
		return COMPOSE_REPLY;
	if (strcmp(s, "reply-all") == 0)
		return COMPOSE_REPLY_ALL;
	if (strcmp(s, "forward") == 0)
		return COMPOSE_FORWARD;
	return -1;
}

const char *
compose_mode_name(int mode)
{
	switch (mode) {
	case COMPOSE_REPLY:
		return "reply";
	case COMPOSE_REPLY_ALL:
		return "reply-all";
	case COMPOSE_FORWARD:
		return "forward";
	default:
		return "new";
	}
}

char *
compose_subject_default(int mode, const char *subject)
{
	const char	*prefix, *s = subject != NULL ? subject : "";
	char		*out;

	while (*s == ' ' || *s == '\t')
		s++;
	if (mode == COMPOSE_FORWARD) {
		prefix = "Fwd: ";
		if (strncasecmp(s, "fwd:", 4) == 0 ||
		    strncasecmp(s, "fw:", 3) == 0)
			prefix = "";
	} else if (mode == COMPOSE_REPLY || mode == COMPOSE_REPLY_ALL) {
		prefix = "Re: ";
		if (strncasecmp(s, "re:", 3) == 0)
			prefix = "";
	} else
		prefix = "";
	if (asprintf(&out, "%s%s", prefix, s) == -1)
		return NULL;
	return out;
}
