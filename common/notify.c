/*
 * The notification that leaves instead of a secure message: two templates
 * rendered with what struct notify_info carries, and nothing else, put in
 * a multipart/alternative by GMime.  g_mime_init() is the caller's job.
 *
 * The templates are read and checked once into a struct notify_templates;
 * building from it opens no file, which matters at hundreds of messages a
 * second.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gmime/gmime.h>
#include <sodium.h>

#include "notify.h"
#include "template.h"

#define NOTIFY_TXT	"notification.txt"
#define NOTIFY_HTML	"notification.html"
#define BOUNDARY_RANDOM	18	/* bytes: 24 base64url characters */

enum {
	VAR_SENDER,
	VAR_SUBJECT,
	VAR_DATE,
	VAR_SIZE,
	VAR_ATTACHMENTS,
	VAR_LINK,
	VAR_PORTAL_URL,
	VAR_REGISTER_LINK,
	VAR_UNSUBSCRIBE_LINK,
	VAR_COUNT
};

static const char *const var_names[VAR_COUNT] = {
	[VAR_SENDER] = "sender",
	[VAR_SUBJECT] = "subject",
	[VAR_DATE] = "date",
	[VAR_SIZE] = "size",
	[VAR_ATTACHMENTS] = "attachments",
	[VAR_LINK] = "link",
	[VAR_PORTAL_URL] = "portal_url",
	[VAR_REGISTER_LINK] = "register_link",
	[VAR_UNSUBSCRIBE_LINK] = "unsubscribe_link",
};

struct rendered {
	char	*text;
	char	*html;
};

struct notify_templates {
	char	*dir;		/* for error messages */
	char	*text;		/* notification.txt, valid UTF-8 */
	char	*html;		/* notification.html, valid UTF-8 */
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

void
notify_format_size(uint64_t size, char *buf, size_t len)
{
	static const char *const units[] = { "KB", "MB", "GB", "TB", "PB" };
	const size_t	 nunits = sizeof(units) / sizeof(units[0]);
	uint64_t	 unit, q, r, tenths, whole;
	size_t		 i;

	if (size < 1024) {
		snprintf(buf, len, "%" PRIu64 " byte%s", size,
		    size == 1 ? "" : "s");
		return;
	}
	/*
	 * The largest unit not above the size; one decimal below 10 of it,
	 * a ".0" dropped, whole numbers from 10 up, rounded half up.
	 */
	for (i = 0; i + 1 < nunits && size >= (uint64_t)1 << (10 * (i + 2));
	    i++)
		;
	for (;;) {
		unit = (uint64_t)1 << (10 * (i + 1));
		q = size / unit;
		r = size % unit;
		tenths = q * 10 + (r * 10 + unit / 2) / unit;
		if (tenths < 100) {
			if (tenths % 10 == 0)
				snprintf(buf, len, "%" PRIu64 " %s",
				    tenths / 10, units[i]);
			else
				snprintf(buf, len, "%" PRIu64 ".%" PRIu64 " %s",
				    tenths / 10, tenths % 10, units[i]);
			return;
		}
		whole = q + (r >= unit / 2);
		if (whole < 1024 || i + 1 == nunits) {
			snprintf(buf, len, "%" PRIu64 " %s", whole, units[i]);
			return;
		}
		i++;	/* 1023.6 KB rounds to 1 MB, not "1024 KB" */
	}
}

/*
 * Values are one line each: valid UTF-8 (the parts say charset=utf-8) and
 * no control characters, so a Subject with an encoded newline cannot add
 * lines of its own to the text part.
 */
static char *
value_clean(const char *s)
{
	char	*v, *p;

	v = g_utf8_make_valid(s != NULL ? s : "", -1);
	for (p = v; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = ' ';
	return v;
}

static void
rendered_clear(struct rendered *r)
{
	free(r->text);
	free(r->html);
	r->text = r->html = NULL;
}

static char *
render_one(const char *templates_dir, const char *name, const char *text,
    const struct template_var *vars, enum template_escape esc, char *err,
    size_t errlen)
{
	char	 msg[512];
	char	*out;

	out = template_render(text, vars, VAR_COUNT, esc, msg, sizeof(msg));
	if (out == NULL)
		errf(err, errlen, "%s/%s: %s", templates_dir, name, msg);
	return out;
}

static int
render_both(const struct notify_templates *t, const struct notify_info *info,
    struct rendered *r, char *err, size_t errlen)
{
	struct template_var	 vars[VAR_COUNT];
	char			*val[VAR_COUNT] = { NULL };
	char			 size[32], count[16];
	size_t			 i, n;
	int			 rc = -1;

	r->text = r->html = NULL;
	notify_format_size(info->size, size, sizeof(size));
	snprintf(count, sizeof(count), "%u", info->attachments);

	val[VAR_SENDER] = value_clean(info->sender);
	val[VAR_SUBJECT] = value_clean(info->subject);
	val[VAR_DATE] = value_clean(info->date);
	val[VAR_SIZE] = value_clean(size);
	val[VAR_ATTACHMENTS] = value_clean(count);
	val[VAR_LINK] = value_clean(info->link);
	val[VAR_PORTAL_URL] = value_clean(info->portal_url);
	/* "https://portal/" + "/register" would be "//register". */
	n = strlen(val[VAR_PORTAL_URL]);
	while (n > 0 && val[VAR_PORTAL_URL][n - 1] == '/')
		n--;
	val[VAR_REGISTER_LINK] = g_strdup_printf("%.*s/register", (int)n,
	    val[VAR_PORTAL_URL]);
	val[VAR_UNSUBSCRIBE_LINK] = g_strdup_printf("%.*s/unsubscribe", (int)n,
	    val[VAR_PORTAL_URL]);

	for (i = 0; i < VAR_COUNT; i++) {
		vars[i].name = var_names[i];
		vars[i].value = val[i];
	}
	if ((r->text = render_one(t->dir, NOTIFY_TXT, t->text, vars,
	    TEMPLATE_ESCAPE_NONE, err, errlen)) == NULL)
		goto done;
	if ((r->html = render_one(t->dir, NOTIFY_HTML, t->html, vars,
	    TEMPLATE_ESCAPE_HTML, err, errlen)) == NULL)
		goto done;
	rc = 0;
done:
	for (i = 0; i < VAR_COUNT; i++)
		g_free(val[i]);
	if (rc == -1)
		rendered_clear(r);
	return rc;
}

/* templates_dir/name, which must be UTF-8 (the parts say so). */
static char *
read_one(const char *templates_dir, const char *name, char *err,
    size_t errlen)
{
	char	 msg[512];
	char	*text;

	if ((text = template_read(templates_dir, name, msg,
	    sizeof(msg))) == NULL) {
		errf(err, errlen, "%s", msg);
		return NULL;
	}
	if (!g_utf8_validate(text, -1, NULL)) {
		errf(err, errlen, "%s/%s: not valid UTF-8", templates_dir,
		    name);
		free(text);
		return NULL;
	}
	return text;
}

void
notify_templates_free(struct notify_templates *t)
{
	if (t == NULL)
		return;
	free(t->dir);
	free(t->text);
	free(t->html);
	free(t);
}

int
notify_templates_load(const char *templates_dir,
    struct notify_templates **out, char *err, size_t errlen)
{
	struct notify_templates	*t;
	struct notify_info	 info;
	struct rendered		 r;

	*out = NULL;
	if ((t = calloc(1, sizeof(*t))) == NULL ||
	    (t->dir = strdup(templates_dir)) == NULL) {
		errf(err, errlen, "out of memory");
		goto err;
	}
	if ((t->text = read_one(templates_dir, NOTIFY_TXT, err,
	    errlen)) == NULL ||
	    (t->html = read_one(templates_dir, NOTIFY_HTML, err,
	    errlen)) == NULL)
		goto err;

	/* Unknown placeholders are found now, not by recipients. */
	memset(&info, 0, sizeof(info));
	info.sender = "Alice Example <alice@example.com>";
	info.subject = "Quarterly report <draft> & \"notes\"";
	info.date = "Mon, 1 Jan 2024 09:00:00 +0000";
	info.size = 1536 * 1024;
	info.attachments = 2;
	info.link = "https://portal.example.com/m/AAAAAAAAAAAAAAAAAAAAAA";
	info.portal_url = "https://portal.example.com";
	if (render_both(t, &info, &r, err, errlen) == -1)
		goto err;
	rendered_clear(&r);
	*out = t;
	return 0;

err:
	notify_templates_free(t);
	return -1;
}

int
notify_check_templates(const char *templates_dir, char *err, size_t errlen)
{
	struct notify_templates	*t;

	if (notify_templates_load(templates_dir, &t, err, errlen) == -1)
		return -1;
	notify_templates_free(t);
	return 0;
}

/*
 * An empty multipart/alternative with a fresh boundary.  GMime would make
 * the boundary itself, opening /dev/urandom twice per message; libsodium
 * draws from getrandom().  "=-" never occurs in quoted-printable parts.
 */
static GMimeMultipart *
alternative_new(void)
{
	GMimeMultipart		*mp;
	GMimeContentType	*ct;
	unsigned char		 rnd[BOUNDARY_RANDOM];
	char			 boundary[2 + sodium_base64_ENCODED_LEN(
				    BOUNDARY_RANDOM,
				    sodium_base64_VARIANT_URLSAFE_NO_PADDING)];

	randombytes_buf(rnd, sizeof(rnd));
	boundary[0] = '=';
	boundary[1] = '-';
	sodium_bin2base64(boundary + 2, sizeof(boundary) - 2, rnd, sizeof(rnd),
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	ct = g_mime_content_type_new("multipart", "alternative");
	g_mime_content_type_set_parameter(ct, "boundary", boundary);
	mp = g_object_new(GMIME_TYPE_MULTIPART, NULL);
	g_mime_object_set_content_type(GMIME_OBJECT(mp), ct);
	g_object_unref(ct);
	return mp;
}

/* A text/<subtype>; charset=utf-8 part, quoted-printable, LF line ends. */
static GMimeObject *
part_new(const char *subtype, const char *utf8)
{
	GMimeTextPart		*part;
	GMimeStream		*mem;
	GMimeDataWrapper	*content;
	GString			*lf;
	const char		*s;

	/* Templates may have been saved with CRLF: one newline form. */
	lf = g_string_sized_new(strlen(utf8));
	for (s = utf8; *s != '\0'; s++)
		if (!(s[0] == '\r' && s[1] == '\n'))
			g_string_append_c(lf, *s == '\r' ? '\n' : *s);

	part = g_mime_text_part_new_with_subtype(subtype);
	mem = g_mime_stream_mem_new_with_buffer(lf->str, lf->len);
	content = g_mime_data_wrapper_new_with_stream(mem,
	    GMIME_CONTENT_ENCODING_DEFAULT);
	g_mime_part_set_content(GMIME_PART(part), content);
	g_mime_text_part_set_charset(part, "utf-8");
	g_mime_part_set_content_encoding(GMIME_PART(part),
	    GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE);
	g_object_unref(content);
	g_object_unref(mem);
	g_string_free(lf, TRUE);
	return GMIME_OBJECT(part);
}

int
notify_build(const char *templates_dir, const struct notify_info *info,
    struct notify_body *out, char *err, size_t errlen)
{
	struct notify_templates	*t;
	int			 rc;

	out->content_type = out->body = NULL;
	out->bodylen = 0;
	if (notify_templates_load(templates_dir, &t, err, errlen) == -1)
		return -1;
	rc = notify_build_from(t, info, out, err, errlen);
	notify_templates_free(t);
	return rc;
}

int
notify_build_from(const struct notify_templates *t,
    const struct notify_info *info, struct notify_body *out, char *err,
    size_t errlen)
{
	struct rendered		 r;
	GMimeMultipart		*mp = NULL;
	GMimeObject		*part;
	GMimeStream		*mem = NULL, *filtered = NULL;
	GMimeFilter		*crlf;
	GByteArray		*bytes;
	const char		*boundary;
	int			 rc = -1;

	out->content_type = out->body = NULL;
	out->bodylen = 0;
	if (render_both(t, info, &r, err, errlen) == -1)
		return -1;

	mp = alternative_new();
	part = part_new("plain", r.text);
	g_mime_multipart_add(mp, part);
	g_object_unref(part);
	part = part_new("html", r.html);
	g_mime_multipart_add(mp, part);
	g_object_unref(part);

	/* GMime writes LF; the MTA (and the milter protocol) want CRLF. */
	mem = g_mime_stream_mem_new();
	filtered = g_mime_stream_filter_new(mem);
	crlf = g_mime_filter_unix2dos_new(FALSE);
	g_mime_stream_filter_add(GMIME_STREAM_FILTER(filtered), crlf);
	g_object_unref(crlf);
	if (g_mime_object_write_content_to_stream(GMIME_OBJECT(mp), NULL,
	    filtered) == -1 || g_mime_stream_flush(filtered) == -1) {
		errf(err, errlen, "cannot write the notification body");
		goto done;
	}

	boundary = g_mime_multipart_get_boundary(mp);
	bytes = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(mem));
	if (boundary == NULL || (out->content_type = malloc(64 +
	    strlen(boundary))) == NULL || (out->body = malloc(bytes->len +
	    1)) == NULL) {
		errf(err, errlen, "out of memory");
		goto done;
	}
	snprintf(out->content_type, 64 + strlen(boundary),
	    "multipart/alternative; boundary=\"%s\"", boundary);
	memcpy(out->body, bytes->data, bytes->len);
	out->body[bytes->len] = '\0';
	out->bodylen = bytes->len;
	rc = 0;
done:
	if (rc == -1)
		notify_body_clear(out);
	if (filtered != NULL)
		g_object_unref(filtered);
	if (mem != NULL)
		g_object_unref(mem);
	if (mp != NULL)
		g_object_unref(mp);
	rendered_clear(&r);
	return rc;
}

void
notify_body_clear(struct notify_body *b)
{
	if (b == NULL)
		return;
	free(b->content_type);
	free(b->body);
	b->content_type = b->body = NULL;
	b->bodylen = 0;
}
