/*
 * Download headers and small formatting for the reading routes: what a
 * part is labelled with (an allowlist, so that the browser never renders
 * something the message chose), how its name is written into
 * Content-Disposition, indexes from URLs, sizes and dates.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "msg.h"

#define MSG_FALLBACK_MAX	200	/* bytes of the ASCII filename= */

/* Served under their own type; everything else is octet-stream. */
static const char *const image_types[] = {
	"image/png", "image/gif", "image/jpeg", "image/webp",
};

static const char *const document_types[] = {
	"image/bmp",
	"image/tiff",
	"text/plain",
	"text/csv",
	"text/calendar",
	"application/pdf",
	"application/rtf",
	"application/zip",
	"application/msword",
	"application/vnd.ms-excel",
	"application/vnd.ms-powerpoint",
	"application/vnd.openxmlformats-officedocument.wordprocessingml.document",
	"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
	"application/vnd.openxmlformats-officedocument.presentationml.presentation",
	"application/vnd.oasis.opendocument.text",
	"application/vnd.oasis.opendocument.spreadsheet",
	"application/vnd.oasis.opendocument.presentation",
	"message/rfc822",
};

int
msg_parse_index(const char *s, unsigned max, unsigned *out)
{
	unsigned long	v = 0;
	size_t		i;

	if (s == NULL || s[0] < '1' || s[0] > '9')
		return -1;
	for (i = 0; s[i] != '\0'; i++) {
		if (s[i] < '0' || s[i] > '9' || i >= 9)
			return -1;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	if (v > max)
		return -1;
	*out = (unsigned)v;
	return 0;
}

/* Length of type's "type/subtype", before any parameter. */
static size_t
type_base_len(const char *type)
{
	size_t	n = strcspn(type, "; \t");

	return n;
}

static const char *
type_lookup(const char *const *table, size_t n, const char *type)
{
	size_t	i, len = type_base_len(type);

	for (i = 0; i < n; i++)
		if (strlen(table[i]) == len &&
		    strncasecmp(table[i], type, len) == 0)
			return table[i];
	return NULL;
}

static int
is_token_char(int c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9'))
		return 1;
	return c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

/* type is "text/x; charset=TOKEN" and nothing else. */
static int
text_with_charset(const char *type)
{
	const char	*p = type + type_base_len(type);

	if (strncmp(p, "; charset=", 10) != 0)
		return 0;
	p += 10;
	if (*p == '\0')
		return 0;
	for (; *p != '\0'; p++)
		if (!is_token_char((unsigned char)*p))
			return 0;
	return 1;
}

const char *
msg_download_type(const char *type)
{
	const char	*t;

	if (type == NULL)
		return "application/octet-stream";
	if ((t = type_lookup(image_types, sizeof(image_types) /
	    sizeof(image_types[0]), type)) != NULL)
		return t;
	if ((t = type_lookup(document_types, sizeof(document_types) /
	    sizeof(document_types[0]), type)) == NULL)
		return "application/octet-stream";
	if (strncmp(t, "text/", 5) == 0 && text_with_charset(type))
		return type;
	return t;
}

int
msg_inline_image(const char *type)
{
	return type != NULL && type_lookup(image_types, sizeof(image_types) /
	    sizeof(image_types[0]), type) != NULL;
}

/* RFC 8187 attr-char: what goes unescaped into filename*. */
static int
is_attr_char(int c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9'))
		return 1;
	return c != '\0' && strchr("!#$&+-.^_`|~", c) != NULL;
}

char *
msg_content_disposition(const char *disposition, const char *name)
{
	static const char	 hex[] = "0123456789ABCDEF";
	const unsigned char	*p;
	char			*out, *o;
	size_t			 n, fb = 0;

	if (name == NULL)
		name = "";
	n = strlen(name);
	/* disposition, fallback (<= n), escapes (<= 3n), punctuation. */
	if ((out = malloc(strlen(disposition) + 4 * n + 64)) == NULL)
		return NULL;
	o = out;
	o += sprintf(o, "%s; filename=\"", disposition);
	/*
	 * The fallback for old clients: printable ASCII only, without the
	 * quoted-string specials, '%' (some clients decode it) and ';';
	 * one '_' per other character.
	 */
	for (p = (const unsigned char *)name; *p != '\0' &&
	    fb < MSG_FALLBACK_MAX; p++) {
		if (*p >= 0x80 && *p < 0xc0)
			continue;		/* UTF-8 continuation */
		if (*p < 0x20 || *p == 0x7f)
			continue;
		if (*p >= 0x80 || *p == '"' || *p == '\\' || *p == '%' ||
		    *p == ';')
			*o++ = '_';
		else
			*o++ = (char)*p;
		fb++;
	}
	if (fb == 0) {
		memcpy(o, "download", 8);
		o += 8;
	}
	*o++ = '"';
	if (n > 0) {
		o += sprintf(o, "; filename*=UTF-8''");
		for (p = (const unsigned char *)name; *p != '\0'; p++) {
			if (is_attr_char(*p))
				*o++ = (char)*p;
			else {
				*o++ = '%';
				*o++ = hex[*p >> 4];
				*o++ = hex[*p & 0x0f];
			}
		}
	}
	*o = '\0';
	return out;
}

void
msg_format_size(uint64_t size, char *buf, size_t len)
{
	if (size < 1024)
		snprintf(buf, len, "%llu bytes", (unsigned long long)size);
	else if (size < 1024 * 1024)
		snprintf(buf, len, "%llu KB",
		    (unsigned long long)((size + 1023) / 1024));
	else
		snprintf(buf, len, "%.1f MB", (double)size / (1024.0 * 1024.0));
}

void
msg_format_time(int64_t t, char *buf, size_t len)
{
	struct tm	tm;
	time_t		tt = (time_t)t;

	if (gmtime_r(&tt, &tm) == NULL ||
	    strftime(buf, len, "%Y-%m-%d %H:%M UTC", &tm) == 0)
		snprintf(buf, len, "-");
}

int
msg_is_sender(const struct store_message *m, const char *address)
{
	return m->sender != NULL && address != NULL && address[0] != '\0' &&
	    strcasecmp(m->sender, address) == 0;
}

int
msg_is_recipient(const struct store_message *m, const char *address)
{
	size_t	i;

	if (address == NULL || address[0] == '\0')
		return 0;
	for (i = 0; i < m->nrecipients; i++)
		if (m->recipients[i] != NULL &&
		    strcasecmp(m->recipients[i], address) == 0)
			return 1;
	return 0;
}

const char *
msg_user_sender(const struct store_message *m, const struct auth_user *user)
{
	size_t	i;

	for (i = 0; i < user->naddresses; i++)
		if (msg_is_sender(m, user->addresses[i]))
			return user->addresses[i];
	return NULL;
}

const char *
msg_user_recipient(const struct store_message *m,
    const struct auth_user *user)
{
	size_t	i;

	for (i = 0; i < user->naddresses; i++)
		if (msg_is_recipient(m, user->addresses[i]))
			return user->addresses[i];
	return NULL;
}
