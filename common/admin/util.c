/*
 * What the sealpost-admin commands share: store opening, argument
 * parsing, time and JSON output.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "admin.h"

int
admin_usage(const char *usage)
{
	fprintf(stderr, "usage: sealpost-admin %s\n", usage);
	return ADMIN_USAGE;
}

int
admin_store_open(struct admin *a, struct store **out)
{
	char	err[512];

	/* Never created here: a store made by root could not be opened
	 * by daemons running as their own user. */
	if (store_open(&a->cfg, 0, out, err, sizeof(err)) == -1) {
		fprintf(stderr, "sealpost-admin: store: %s\n", err);
		return ADMIN_SYSERR;
	}
	return ADMIN_OK;
}

int
admin_store_error(const char *what, int status)
{
	fprintf(stderr, "sealpost-admin: %s: %s\n", what,
	    store_strerror(status));
	return ADMIN_SYSERR;
}

int
admin_parse_id(const char *s, uint8_t id[MSGID_LEN])
{
	if (msgid_decode(s, id) == -1) {
		fprintf(stderr, "sealpost-admin: \"%s\" is not a message id "
		    "(%d characters of base64url)\n", s, MSGID_STRLEN);
		return ADMIN_USAGE;
	}
	return ADMIN_OK;
}

int
admin_parse_address(const char *s, char out[ADMIN_ADDRESS_MAX + 1])
{
	const char	*at = NULL;
	size_t		 n, i;
	unsigned char	 c;

	n = strlen(s);
	if (n < 3 || n > ADMIN_ADDRESS_MAX || s[0] == '-')
		goto bad;
	for (i = 0; i < n; i++) {
		c = (unsigned char)s[i];
		if (c <= 0x20 || c == 0x7f || strchr("<>()[],;:\"\\", c) != NULL)
			goto bad;
		if (c == '@') {
			if (at != NULL)
				goto bad;
			at = s + i;
		}
		out[i] = (char)((c >= 'A' && c <= 'Z') ? c + 32 : c);
	}
	out[n] = '\0';
	if (at == NULL || at == s || at == s + n - 1)
		goto bad;
	return ADMIN_OK;
bad:
	fprintf(stderr, "sealpost-admin: \"%s\" is not an email address\n", s);
	return ADMIN_USAGE;
}

void
admin_format_time(int64_t t, char *buf, size_t len)
{
	time_t		tt = (time_t)t;
	struct tm	tm;

	if (t == 0) {
		snprintf(buf, len, "-");
		return;
	}
	if (gmtime_r(&tt, &tm) == NULL ||
	    strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, len, "%lld", (long long)t);
}

void
json_print_time(FILE *fp, int64_t t)
{
	char	buf[64];

	if (t == 0) {
		fputs("null", fp);
		return;
	}
	admin_format_time(t, buf, sizeof(buf));
	json_print_string(fp, buf);
}
