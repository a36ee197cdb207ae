/*
 * {{name}} placeholders.  Names are [a-z_]+, spaces are allowed inside the
 * braces; anything else after "{{" is an error rather than literal text,
 * so a broken template is refused at startup.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <glib.h>

#include "template.h"

#define TEMPLATE_MAX_SIZE	(256 * 1024)
#define TEMPLATE_NAME_MAX	64

struct buf {
	char	*p;
	size_t	 len;
	size_t	 cap;
};

static void
errf(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
errf(char *err, size_t errlen, const char *fmt, ...)
{
	va_list	ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

static int
buf_add(struct buf *b, const char *s, size_t n)
{
	char	*np;
	size_t	 ncap;

	if (n > SIZE_MAX - b->len - 1)
		return -1;
	if (b->len + n + 1 > b->cap) {
		ncap = b->cap ? b->cap : 256;
		while (ncap < b->len + n + 1) {
			if (ncap > SIZE_MAX / 2)
				return -1;
			ncap *= 2;
		}
		if ((np = realloc(b->p, ncap)) == NULL)
			return -1;
		b->p = np;
		b->cap = ncap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
	return 0;
}

static int
buf_add_html(struct buf *b, const char *value)
{
	const char	*s, *rep;
	char		*valid;
	int		 rc = -1;

	/* Invalid UTF-8 becomes U+FFFD: browsers would guess otherwise. */
	valid = g_utf8_make_valid(value, -1);
	for (s = valid; *s != '\0'; s++) {
		switch (*s) {
		case '&':	rep = "&amp;"; break;
		case '<':	rep = "&lt;"; break;
		case '>':	rep = "&gt;"; break;
		case '"':	rep = "&quot;"; break;
		case '\'':	rep = "&#39;"; break;
		default:	rep = NULL; break;
		}
		if (rep != NULL ? buf_add(b, rep, strlen(rep)) :
		    buf_add(b, s, 1))
			goto done;
	}
	rc = 0;
done:
	g_free(valid);
	return rc;
}

static const struct template_var *
var_find(const struct template_var *vars, size_t nvars, const char *name,
    size_t len)
{
	size_t	i;

	for (i = 0; i < nvars; i++)
		if (vars[i].name != NULL && strlen(vars[i].name) == len &&
		    memcmp(vars[i].name, name, len) == 0)
			return &vars[i];
	return NULL;
}

static unsigned
line_of(const char *text, const char *at)
{
	unsigned	line = 1;

	for (; text < at; text++)
		if (*text == '\n')
			line++;
	return line;
}

char *
template_render(const char *text, const struct template_var *vars,
    size_t nvars, enum template_escape esc, char *err, size_t errlen)
{
	struct buf		 b = { NULL, 0, 0 };
	const struct template_var *v;
	const char		*s, *ph, *name, *end, *rbrace;
	size_t			 namelen, linelen, shown;

	if (buf_add(&b, "", 0) == -1)
		goto nomem;
	for (s = text; (ph = strstr(s, "{{")) != NULL; s = end + 2) {
		if (buf_add(&b, s, ph - s) == -1)
			goto nomem;
		name = ph + 2;
		while (*name == ' ')
			name++;
		for (namelen = 0; (name[namelen] >= 'a' &&
		    name[namelen] <= 'z') || name[namelen] == '_'; namelen++)
			;
		for (end = name + namelen; *end == ' '; end++)
			;
		if (end[0] != '}' || end[1] != '}') {
			/* A placeholder never spans lines. */
			linelen = strcspn(ph, "\n");
			rbrace = memmem(ph, linelen, "}}", 2);
			shown = rbrace != NULL ? (size_t)(rbrace + 2 - ph) :
			    linelen;
			errf(err, errlen, "line %u: %s placeholder \"%.*s\"%s",
			    line_of(text, ph), rbrace != NULL ? "invalid" :
			    "unterminated", shown > 60 ? 60 : (int)shown, ph,
			    rbrace != NULL ? " (names are [a-z_]+)" : "");
			goto err;
		}
		if (namelen == 0) {
			errf(err, errlen, "line %u: empty placeholder",
			    line_of(text, ph));
			goto err;
		}
		if ((v = var_find(vars, nvars, name, namelen)) == NULL) {
			errf(err, errlen, "line %u: unknown placeholder "
			    "{{%.*s}}", line_of(text, ph),
			    namelen > TEMPLATE_NAME_MAX ? TEMPLATE_NAME_MAX :
			    (int)namelen, name);
			goto err;
		}
		if (v->value == NULL)
			continue;
		if (esc == TEMPLATE_ESCAPE_HTML) {
			if (buf_add_html(&b, v->value) == -1)
				goto nomem;
		} else if (buf_add(&b, v->value, strlen(v->value)) == -1)
			goto nomem;
	}
	if (buf_add(&b, s, strlen(s)) == -1)
		goto nomem;
	return b.p;

nomem:
	errf(err, errlen, "out of memory");
err:
	free(b.p);
	return NULL;
}

char *
template_read(const char *templates_dir, const char *name, char *err,
    size_t errlen)
{
	struct stat	 st;
	char		 path[4096];
	char		*text = NULL;
	size_t		 len = 0;
	ssize_t		 n;
	int		 fd = -1;

	if (name[0] == '\0' || strchr(name, '/') != NULL ||
	    strcmp(name, ".") == 0 || strcmp(name, "..") == 0) {
		errf(err, errlen, "invalid template name \"%s\"", name);
		return NULL;
	}
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", templates_dir,
	    name) >= sizeof(path)) {
		errf(err, errlen, "%s/%s: path too long", templates_dir, name);
		return NULL;
	}
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)) == -1) {
		errf(err, errlen, "%s: %s", path, strerror(errno));
		goto err;
	}
	if (fstat(fd, &st) == -1) {
		errf(err, errlen, "%s: %s", path, strerror(errno));
		goto err;
	}
	if (!S_ISREG(st.st_mode)) {
		errf(err, errlen, "%s: not a regular file", path);
		goto err;
	}
	if (st.st_size > TEMPLATE_MAX_SIZE) {
		errf(err, errlen, "%s: larger than %d bytes", path,
		    TEMPLATE_MAX_SIZE);
		goto err;
	}
	/* One byte more than the cap, to notice a file growing under us. */
	if ((text = malloc(TEMPLATE_MAX_SIZE + 2)) == NULL) {
		errf(err, errlen, "out of memory");
		goto err;
	}
	while (len < TEMPLATE_MAX_SIZE + 1) {
		n = read(fd, text + len, TEMPLATE_MAX_SIZE + 1 - len);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			errf(err, errlen, "%s: %s", path, strerror(errno));
			goto err;
		}
		if (n == 0)
			break;
		len += n;
	}
	if (len > TEMPLATE_MAX_SIZE) {
		errf(err, errlen, "%s: larger than %d bytes", path,
		    TEMPLATE_MAX_SIZE);
		goto err;
	}
	text[len] = '\0';
	if (memchr(text, '\0', len) != NULL) {
		errf(err, errlen, "%s: contains a NUL byte", path);
		goto err;
	}
	close(fd);
	return text;

err:
	free(text);
	if (fd != -1)
		close(fd);
	return NULL;
}
