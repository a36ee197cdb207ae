/*
 * Mail templates: files in templates_dir with {{name}} placeholders.
 * An unknown placeholder is an error, so that a typo in a template is
 * found when the daemon starts, not by recipients.
 */
#ifndef SEALPOST_TEMPLATE_H
#define SEALPOST_TEMPLATE_H

#include <stddef.h>

struct template_var {
	const char	*name;
	const char	*value;		/* UTF-8 */
};

enum template_escape {
	TEMPLATE_ESCAPE_NONE = 0,	/* text/plain */
	TEMPLATE_ESCAPE_HTML,		/* & < > " ' escaped */
};

/*
 * Render text with vars into a malloc'd string (caller frees).  NULL with
 * a message in err for an unknown or unterminated placeholder.
 */
char	*template_render(const char *text, const struct template_var *vars,
	    size_t nvars, enum template_escape esc, char *err, size_t errlen);

/* Read templates_dir/name into a malloc'd string, or NULL with err. */
char	*template_read(const char *templates_dir, const char *name, char *err,
	    size_t errlen);

#endif
