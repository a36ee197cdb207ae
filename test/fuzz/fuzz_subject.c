/*
 * Subject tag detection and stripping on arbitrary bytes as a Subject
 * value, plus the header and Sensitivity matchers on the same bytes.
 * The stripped subject must be one clean line with no tag left in it.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <gmime/gmime.h>

#include "secure.h"

static char	*tags[] = { "[secure]", "[ENCRYPT]", "x y", NULL };
static char	*sens[] = { "Company-Confidential", NULL };

static int
lower(int c)
{
	return (c >= 'A' && c <= 'Z') ? c - 'A' + 'a' : c;
}

static int
contains_nocase(const char *s, const char *t)
{
	size_t	i, j, ls = strlen(s), lt = strlen(t);

	for (i = 0; i + lt <= ls; i++) {
		for (j = 0; j < lt; j++)
			if (lower((unsigned char)s[i + j]) !=
			    lower((unsigned char)t[j]))
				break;
		if (j == lt)
			return 1;
	}
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int	 init;
	struct config	 cfg;
	char		*subject, *out;
	size_t		 i, len;

	if (!init) {
		g_mime_init();
		init = 1;
	}
	memset(&cfg, 0, sizeof(cfg));
	cfg.secure_subject_tags.v = tags;
	cfg.secure_subject_tags.n = 3;
	cfg.secure_header = "X-Sealpost-Secure: yes";
	cfg.secure_sensitivity.v = sens;
	cfg.secure_sensitivity.n = 1;

	if ((subject = malloc(size + 1)) == NULL)
		return 0;
	memcpy(subject, data, size);
	subject[size] = '\0';

	(void)secure_subject_has_tag(&cfg, subject);
	if ((out = secure_subject_strip(&cfg, subject)) == NULL)
		abort();
	len = strlen(out);
	if (!g_utf8_validate(out, len, NULL))
		abort();
	if (len > 0 && (out[0] == ' ' || out[len - 1] == ' '))
		abort();
	for (i = 0; i < len; i++) {
		if ((unsigned char)out[i] < 0x20 || out[i] == 0x7f)
			abort();
		if (out[i] == ' ' && out[i + 1] == ' ')
			abort();
	}
	for (i = 0; tags[i] != NULL; i++)
		if (contains_nocase(out, tags[i]))
			abort();
	free(out);

	(void)secure_header_matches(&cfg, "X-Sealpost-Secure", subject);
	(void)secure_header_matches(&cfg, subject, " yes");
	(void)secure_sensitivity_matches(&cfg, subject);
	free(subject);
	return 0;
}
