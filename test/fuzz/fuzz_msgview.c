/*
 * The read page's view model on arbitrary bytes: msgview_parse, then
 * msgview_part_content for every part, which must agree with the view
 * (size, file name); every string valid UTF-8, every file name safe,
 * every Content-ID found again.  Any disagreement aborts.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <gmime/gmime.h>

#include "msgview.h"

/* Each part_content parses again: bound the work per input. */
#define MAX_PART_CALLS	64

static void
check_name(const char *s)
{
	const unsigned char	*p;

	if (s == NULL || *s == '\0' || strlen(s) > MSGVIEW_FILENAME_MAX ||
	    !g_utf8_validate(s, -1, NULL) || s[0] == '.' || s[0] == ' ')
		abort();
	for (p = (const unsigned char *)s; *p != '\0'; p++)
		if (*p < 0x20 || *p == 0x7f || strchr("/\\<>:\"|?*", *p) != NULL)
			abort();
}

static void
check_text(const char *s, int may_be_null)
{
	if (s == NULL ? !may_be_null : !g_utf8_validate(s, -1, NULL))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int		 init;
	struct msgview		 v;
	uint8_t			*content;
	char			*type, *name;
	size_t			 i, clen;
	unsigned		 n;

	if (!init) {
		g_mime_init();
		init = 1;
	}
	if (msgview_parse(data, size, &v) == -1) {
		if (v.parts != NULL || v.from != NULL)
			abort();
		return 0;
	}
	check_text(v.from, 0);
	check_text(v.to, 0);
	check_text(v.cc, 0);
	check_text(v.date, 0);
	check_text(v.subject, 0);
	check_text(v.text_body, 1);
	check_text(v.html_body, 1);
	for (i = 0; i < v.nparts; i++) {
		const struct msgview_part *p = &v.parts[i];

		if (p->index != i + 1 || p->content_type == NULL ||
		    strchr(p->content_type, '/') == NULL)
			abort();
		check_name(p->filename);
		if (p->content_id != NULL &&
		    (msgview_find_cid(&v, p->content_id, &n) == -1 ||
		    n > p->index))
			abort();
		if (i >= MAX_PART_CALLS)
			continue;
		if (msgview_part_content(data, size, p->index, &content, &clen,
		    &type, &name) == -1)
			abort();
		if (clen != p->size || strcmp(name, p->filename) != 0 ||
		    strncmp(type, p->content_type,
		    strlen(p->content_type)) != 0)
			abort();
		free(content);
		free(type);
		free(name);
	}
	if (msgview_part_content(data, size, (unsigned)v.nparts + 1, &content,
	    &clen, &type, &name) != -1 || content != NULL)
		abort();
	msgview_clear(&v);
	return 0;
}
