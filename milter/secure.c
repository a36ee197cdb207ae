/*
 * Is this message secure?  Subject tags, the secure header, Outlook's
 * Sensitivity.  Values are as the MTA hands them over (leading space kept,
 * folded with "\r\n" or "\n" plus whitespace, maybe RFC 2047 encoded).
 * g_mime_init() is the caller's job (main, tests).
 */
#include <stdlib.h>
#include <string.h>

#include <gmime/gmime.h>

#include "secure.h"

static int
ascii_lower(int c)
{
	return (c >= 'A' && c <= 'Z') ? c - 'A' + 'a' : c;
}

static int
is_wsp(int c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' ||
	    c == '\v' || c == '\f';
}

/* ASCII case-insensitive compare of n bytes. */
static int
ascii_casecmp_n(const char *a, const char *b, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		if (ascii_lower((unsigned char)a[i]) !=
		    ascii_lower((unsigned char)b[i]))
			return 1;
	return 0;
}

/* A tag that is empty or only whitespace would match everywhere. */
static int
tag_usable(const char *tag)
{
	if (tag == NULL)
		return 0;
	for (; *tag != '\0'; tag++)
		if (!is_wsp((unsigned char)*tag))
			return 1;
	return 0;
}

/* Length of the tag matching at s (s has avail bytes), or 0. */
static size_t
tag_match_at(const struct config *cfg, const char *s, size_t avail)
{
	const struct strlist	*tags = &cfg->secure_subject_tags;
	size_t			 i, len;

	for (i = 0; tags->v != NULL && i < tags->n; i++) {
		if (!tag_usable(tags->v[i]))
			continue;
		len = strlen(tags->v[i]);
		if (len <= avail && ascii_casecmp_n(s, tags->v[i], len) == 0)
			return len;
	}
	return 0;
}

/*
 * One pass: each tag occurrence becomes a space, whitespace runs collapse
 * to one space, both ends trimmed.  In place (the result is never longer).
 * Returns the number of tags removed; with cfg NULL it only collapses.
 */
static size_t
strip_pass(const struct config *cfg, char *s)
{
	size_t	i, j, len, tl, removed = 0;
	int	pending_space = 0;

	len = strlen(s);
	for (i = j = 0; i < len;) {
		if (cfg != NULL &&
		    (tl = tag_match_at(cfg, s + i, len - i)) > 0) {
			pending_space = 1;
			removed++;
			i += tl;
			continue;
		}
		if (is_wsp((unsigned char)s[i])) {
			pending_space = 1;
			i++;
			continue;
		}
		if (pending_space && j > 0)
			s[j++] = ' ';
		pending_space = 0;
		s[j++] = s[i++];
	}
	s[j] = '\0';
	return removed;
}

/*
 * The decoded, unfolded subject as a malloc'd UTF-8 string, whitespace
 * runs collapsed to one space and trimmed.  Every control character counts
 * as whitespace: a decoded encoded-word may carry CR/LF, and the result
 * ends up in a header of the notification.
 */
static char *
subject_decode(const char *subject)
{
	char	*unfolded, *decoded, *valid, *out;
	size_t	 i, j, len;

	if (subject == NULL)
		subject = "";
	len = strlen(subject);
	if ((unfolded = malloc(len + 1)) == NULL)
		return NULL;
	for (i = j = 0; i < len; i++)
		if (subject[i] != '\r' && subject[i] != '\n')
			unfolded[j++] = subject[i];
	unfolded[j] = '\0';

	decoded = g_mime_utils_header_decode_text(NULL, unfolded);
	free(unfolded);
	if (decoded == NULL)
		return NULL;
	/* Raw 8-bit text can come through that GMime lets pass. */
	if (!g_utf8_validate(decoded, -1, NULL)) {
		valid = g_utf8_make_valid(decoded, -1);
		g_free(decoded);
		decoded = valid;
	}
	out = strdup(decoded);
	g_free(decoded);
	if (out == NULL)
		return NULL;
	for (i = 0; out[i] != '\0'; i++)
		if ((unsigned char)out[i] < 0x20 || out[i] == 0x7f)
			out[i] = ' ';
	(void)strip_pass(NULL, out);
	return out;
}

static int
text_has_tag(const struct config *cfg, const char *s)
{
	size_t	i, len;

	len = strlen(s);
	for (i = 0; i < len; i++)
		if (tag_match_at(cfg, s + i, len - i) > 0)
			return 1;
	return 0;
}

int
secure_subject_has_tag(const struct config *cfg, const char *subject)
{
	char	*s;
	int	 found;

	if (cfg == NULL || subject == NULL)
		return 0;
	if ((s = subject_decode(subject)) == NULL)
		return 0;
	found = text_has_tag(cfg, s);
	free(s);
	return found;
}

char *
secure_subject_strip(const struct config *cfg, const char *subject)
{
	char	*s;

	if ((s = subject_decode(subject)) == NULL)
		return NULL;
	if (cfg == NULL)
		return s;
	/*
	 * Removal can join text into a new occurrence of a tag that holds
	 * whitespace; repeat until none is left.  This ends: a pass that
	 * removes a tag of two or more bytes shortens the string, and
	 * one-byte tags cannot reappear.  The input is already collapsed,
	 * so the pass that removes nothing leaves it unchanged.
	 */
	while (strip_pass(cfg, s) > 0)
		;
	return s;
}

/* Trimmed, unfolded copy of s (CR and LF dropped); caller frees. */
static char *
value_clean(const char *s, size_t len)
{
	char	*out;
	size_t	 i, j;

	while (len > 0 && is_wsp((unsigned char)*s)) {
		s++;
		len--;
	}
	while (len > 0 && is_wsp((unsigned char)s[len - 1]))
		len--;
	if ((out = malloc(len + 1)) == NULL)
		return NULL;
	for (i = j = 0; i < len; i++)
		if (s[i] != '\r' && s[i] != '\n')
			out[j++] = s[i];
	out[j] = '\0';
	return out;
}

static int
value_equal(const char *a, const char *b)
{
	size_t	la = strlen(a), lb = strlen(b);

	return la == lb && ascii_casecmp_n(a, b, la) == 0;
}

int
secure_header_matches(const struct config *cfg, const char *name,
    const char *value)
{
	const char	*colon;
	char		*cname = NULL, *cvalue = NULL, *hname = NULL;
	char		*hvalue = NULL;
	int		 match = 0;

	if (cfg == NULL || cfg->secure_header == NULL || name == NULL ||
	    value == NULL)
		return 0;
	/* "Name: value"; empty disables, no colon is not a usable setting. */
	if ((colon = strchr(cfg->secure_header, ':')) == NULL)
		return 0;
	if ((cname = value_clean(cfg->secure_header,
	    colon - cfg->secure_header)) == NULL ||
	    (cvalue = value_clean(colon + 1, strlen(colon + 1))) == NULL ||
	    (hname = value_clean(name, strlen(name))) == NULL ||
	    (hvalue = value_clean(value, strlen(value))) == NULL)
		goto done;
	if (*cname == '\0')
		goto done;
	match = value_equal(cname, hname) && value_equal(cvalue, hvalue);
 done:
	free(cname);
	free(cvalue);
	free(hname);
	free(hvalue);
	return match;
}

int
secure_sensitivity_matches(const struct config *cfg, const char *value)
{
	const struct strlist	*list;
	char			*v, *want;
	size_t			 i;
	int			 match = 0;

	if (cfg == NULL || value == NULL)
		return 0;
	if ((v = value_clean(value, strlen(value))) == NULL)
		return 0;
	list = &cfg->secure_sensitivity;
	for (i = 0; list->v != NULL && i < list->n && !match; i++) {
		if (list->v[i] == NULL)
			continue;
		if ((want = value_clean(list->v[i], strlen(list->v[i]))) == NULL)
			break;
		if (*want != '\0' && value_equal(v, want))
			match = 1;
		free(want);
	}
	free(v);
	return match;
}
