/*
 * Password policy checks and the list of common passwords.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <glib.h>

#include "password.h"

#define PASSWORD_LIST_MAX_LINE	256

struct password_list {
	GHashTable	*set;		/* lowercased entries */
};

static void
ascii_lower(char *s)
{
	for (; *s != '\0'; s++)
		if (*s >= 'A' && *s <= 'Z')
			*s += 'a' - 'A';
}

int
password_list_load(const char *path, struct password_list **out, char *err,
    size_t errlen)
{
	struct password_list	*list = NULL;
	FILE			*fp;
	char			 line[PASSWORD_LIST_MAX_LINE + 2];
	size_t			 n;
	unsigned		 lineno = 0;

	*out = NULL;
	if ((fp = fopen(path, "r")) == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if ((list = calloc(1, sizeof(*list))) == NULL) {
		snprintf(err, errlen, "no memory");
		goto err;
	}
	list->set = g_hash_table_new_full(g_str_hash, g_str_equal, free, NULL);
	while (fgets(line, sizeof(line), fp) != NULL) {
		lineno++;
		n = strlen(line);
		if (n > 0 && line[n - 1] != '\n' && !feof(fp)) {
			snprintf(err, errlen, "%s:%u: line too long", path,
			    lineno);
			goto err;
		}
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			line[--n] = '\0';
		if (n == 0 || line[0] == '#')
			continue;
		ascii_lower(line);
		if (!g_hash_table_contains(list->set, line))
			g_hash_table_add(list->set, strdup(line));
	}
	if (ferror(fp)) {
		snprintf(err, errlen, "%s: read error", path);
		goto err;
	}
	if (g_hash_table_size(list->set) == 0) {
		snprintf(err, errlen, "%s: no passwords in the list", path);
		goto err;
	}
	fclose(fp);
	*out = list;
	return 0;
err:
	fclose(fp);
	password_list_free(list);
	return -1;
}

void
password_list_free(struct password_list *list)
{
	if (list == NULL)
		return;
	if (list->set != NULL)
		g_hash_table_destroy(list->set);
	free(list);
}

size_t
password_list_count(const struct password_list *list)
{
	return list == NULL ? 0 : g_hash_table_size(list->set);
}

int
password_list_contains(const struct password_list *list, const char *pw)
{
	char	*low;
	int	 found;

	if (list == NULL || pw == NULL)
		return 0;
	if ((low = strdup(pw)) == NULL)
		return 0;
	ascii_lower(low);
	found = g_hash_table_contains(list->set, low);
	explicit_bzero(low, strlen(low));
	free(low);
	return found;
}

/* 1 if needle (of at least 1 byte) occurs in hay, ignoring ASCII and
 * Unicode case. */
static int
contains_casefold(const char *hay, const char *needle, size_t needle_len)
{
	char	*h, *n;
	int	 found;

	h = g_utf8_casefold(hay, -1);
	n = g_utf8_casefold(needle, (gssize)needle_len);
	found = n[0] != '\0' && strstr(h, n) != NULL;
	explicit_bzero(h, strlen(h));
	g_free(h);
	g_free(n);
	return found;
}

/* Fewer than PASSWORD_MIN_DISTINCT different characters. */
static int
is_repetitive(const char *pw)
{
	gunichar	 seen[PASSWORD_MIN_DISTINCT];
	const char	*p;
	size_t		 nseen = 0, i;
	gunichar	 c;

	for (p = pw; *p != '\0'; p = g_utf8_next_char(p)) {
		c = g_utf8_get_char(p);
		for (i = 0; i < nseen; i++)
			if (seen[i] == c)
				break;
		if (i == nseen) {
			if (nseen == PASSWORD_MIN_DISTINCT)
				return 0;
			seen[nseen++] = c;
		}
	}
	return nseen < PASSWORD_MIN_DISTINCT;
}

/* One run of consecutive code points, up or down ("abcdef", "54321"). */
static int
is_sequence(const char *pw)
{
	const char	*p;
	gunichar	 prev, c;
	long		 step = 0, d;

	if (*pw == '\0')
		return 0;
	prev = g_utf8_get_char(pw);
	for (p = g_utf8_next_char(pw); *p != '\0'; p = g_utf8_next_char(p)) {
		c = g_utf8_get_char(p);
		d = (long)c - (long)prev;
		if ((d != 1 && d != -1) || (step != 0 && d != step))
			return 0;
		step = d;
		prev = c;
	}
	return step != 0;
}

int
password_check(const char *pw, const char *address, size_t min_len,
    const struct password_list *list)
{
	const char	*p, *at;
	size_t		 len;

	if (pw == NULL)
		return PASSWORD_TOO_SHORT;
	len = strlen(pw);
	if (len > PASSWORD_MAX_BYTES)
		return PASSWORD_TOO_LONG;
	if (!g_utf8_validate(pw, (gssize)len, NULL))
		return PASSWORD_INVALID;
	for (p = pw; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return PASSWORD_INVALID;
	if ((size_t)g_utf8_strlen(pw, (gssize)len) < min_len)
		return PASSWORD_TOO_SHORT;
	if (address != NULL && address[0] != '\0') {
		if (contains_casefold(pw, address, strlen(address)))
			return PASSWORD_HAS_ADDRESS;
		if ((at = strrchr(address, '@')) != NULL &&
		    at - address >= 3 &&
		    contains_casefold(pw, address, (size_t)(at - address)))
			return PASSWORD_HAS_ADDRESS;
	}
	if (password_list_contains(list, pw))
		return PASSWORD_COMMON;
	if (is_repetitive(pw))
		return PASSWORD_REPETITIVE;
	if (is_sequence(pw))
		return PASSWORD_SEQUENCE;
	return PASSWORD_OK;
}

void
password_verdict_text(int verdict, size_t min_len, char *buf, size_t len)
{
	switch (verdict) {
	case PASSWORD_OK:
		snprintf(buf, len, "The password is acceptable.");
		break;
	case PASSWORD_TOO_SHORT:
		snprintf(buf, len, "The password is too short: use at least "
		    "%zu characters. A few unrelated words make a good "
		    "password.", min_len);
		break;
	case PASSWORD_TOO_LONG:
		snprintf(buf, len, "The password is too long: use at most "
		    "%d bytes.", PASSWORD_MAX_BYTES);
		break;
	case PASSWORD_HAS_ADDRESS:
		snprintf(buf, len, "The password must not contain your email "
		    "address or the part before the @.");
		break;
	case PASSWORD_COMMON:
		snprintf(buf, len, "This password is too common: it is on a "
		    "list of passwords that attackers try first. Choose "
		    "another one.");
		break;
	case PASSWORD_REPETITIVE:
		snprintf(buf, len, "The password repeats too few different "
		    "characters. Choose one that is harder to guess.");
		break;
	case PASSWORD_SEQUENCE:
		snprintf(buf, len, "The password is a simple sequence of "
		    "characters. Choose one that is harder to guess.");
		break;
	default:
		snprintf(buf, len, "The password holds characters that "
		    "cannot be used.");
		break;
	}
}
