/*
 * A streaming MIME structure scanner: a line-oriented state machine over
 * the raw message.  Lines end at LF (a CR before it is dropped), so CRLF,
 * bare LF and pieces split anywhere all give the same lines.  Memory is a
 * fixed line buffer, a fixed buffer for one entity's Content-Type and
 * Content-Disposition, and a stack of open containers no deeper than
 * max_depth.  Depth: the top-level entity is 0, a child of a multipart or
 * the message inside a message/rfc822 part is one more than its parent.
 */
#include <stdlib.h>
#include <string.h>

#include <gmime/gmime.h>

#include "mime_scan.h"

/* Longer lines keep only their start; they are never delimiters. */
#define LINE_CAP	4096
/* Content-Type and Content-Disposition text kept for one entity. */
#define HDR_CAP		(16 * 1024)

enum scan_mode {
	MODE_HEADERS,
	MODE_BODY,
};

enum collect {
	COLLECT_NONE,
	COLLECT_CT,
	COLLECT_CD,
};

enum level_kind {
	LEVEL_MULTIPART,
	LEVEL_MESSAGE,		/* inside a message/rfc822 part */
};

struct level {
	int		 kind;		/* enum level_kind */
	char		*boundary;	/* multipart only, owned */
	size_t		 blen;
	unsigned	 depth;		/* of the container entity */
	int		 digest;	/* children default to message/rfc822 */
	int		 quiet;		/* descendants add no attachments */
};

struct mime_scan {
	size_t		 max_depth;
	size_t		 max_parts;
	int		 status;
	int		 finished;
	unsigned	 parts;
	unsigned	 attachments;
	unsigned	 depth_max;

	char		 line[LINE_CAP];
	size_t		 linelen;	/* bytes kept in line[] */
	size_t		 linetotal;	/* bytes seen in this line */
	int		 last_cr;	/* the line's last byte so far is CR */

	int		 mode;		/* enum scan_mode */
	unsigned	 cur_depth;
	int		 cur_quiet;
	int		 cur_digest;
	char		*hbuf;		/* HDR_CAP bytes */
	size_t		 hlen;
	int		 collecting;	/* enum collect */
	int		 have_ct, have_cd, have_cid;
	size_t		 ct_off, ct_len, cd_off, cd_len;

	struct level	*stack;
	size_t		 nstack;
	size_t		 stackcap;
};

static int
ascii_lower(int c)
{
	return (c >= 'A' && c <= 'Z') ? c - 'A' + 'a' : c;
}

static int
name_is(const char *s, size_t len, const char *want)
{
	size_t	i;

	if (strlen(want) != len)
		return 0;
	for (i = 0; i < len; i++)
		if (ascii_lower((unsigned char)s[i]) != want[i])
			return 0;
	return 1;
}

static void
entity_start(struct mime_scan *ms, unsigned depth, int quiet, int digest)
{
	ms->parts++;
	if (ms->parts > ms->max_parts && ms->status == MIME_SCAN_OK)
		ms->status = MIME_SCAN_TOO_MANY_PARTS;
	if (depth > ms->depth_max)
		ms->depth_max = depth;
	ms->mode = MODE_HEADERS;
	ms->cur_depth = depth;
	ms->cur_quiet = quiet;
	ms->cur_digest = digest;
	ms->hlen = 0;
	ms->collecting = COLLECT_NONE;
	ms->have_ct = ms->have_cd = ms->have_cid = 0;
	ms->ct_off = ms->ct_len = ms->cd_off = ms->cd_len = 0;
}

/* Push a container for the current entity; -1 past max_depth. */
static int
level_push(struct mime_scan *ms, int kind, const char *boundary, int digest,
    int quiet)
{
	struct level	*l, *nstack;
	size_t		 ncap;

	if (ms->nstack >= ms->max_depth)
		goto deep;
	if (ms->nstack == ms->stackcap) {
		ncap = ms->stackcap == 0 ? 4 : ms->stackcap * 2;
		if (ncap > ms->max_depth)
			ncap = ms->max_depth;
		if ((nstack = reallocarray(ms->stack, ncap,
		    sizeof(*nstack))) == NULL)
			goto deep;
		ms->stack = nstack;
		ms->stackcap = ncap;
	}
	l = &ms->stack[ms->nstack];
	memset(l, 0, sizeof(*l));
	if (boundary != NULL) {
		if ((l->boundary = strdup(boundary)) == NULL)
			goto deep;
		l->blen = strlen(boundary);
	}
	l->kind = kind;
	l->depth = ms->cur_depth;
	l->digest = digest;
	l->quiet = quiet;
	ms->nstack++;
	return 0;
 deep:
	/* Out of memory here is refused like nesting we will not track. */
	if (ms->status == MIME_SCAN_OK)
		ms->status = MIME_SCAN_TOO_DEEP;
	if (ms->cur_depth + 1 > ms->depth_max)
		ms->depth_max = ms->cur_depth + 1;
	return -1;
}

static void
level_pop(struct mime_scan *ms)
{
	ms->nstack--;
	free(ms->stack[ms->nstack].boundary);
	ms->stack[ms->nstack].boundary = NULL;
}

static int
str_nonempty(const char *s)
{
	return s != NULL && *s != '\0';
}

/* NUL-terminated copy of collected header text; GLib memory. */
static char *
hdr_text(const struct mime_scan *ms, size_t off, size_t len)
{
	return g_strndup(ms->hbuf + off, len);
}

/*
 * The current entity's header block ended (blank line), or was cut short
 * by a delimiter or the end of input (has_body 0: no content follows, so
 * no container is opened).  Classify it, count an attachment, and open a
 * multipart or an encapsulated message.
 */
static void
entity_end_headers(struct mime_scan *ms, int has_body)
{
	GMimeContentType	*ct = NULL;
	GMimeContentDisposition	*cd = NULL;
	const char		*boundary;
	char			*text;
	int			 is_multipart, is_message, attach, named;
	int			 quiet, digest;

	ms->mode = MODE_BODY;
	ms->collecting = COLLECT_NONE;

	if (ms->have_ct) {
		text = hdr_text(ms, ms->ct_off, ms->ct_len);
		ct = g_mime_content_type_parse(NULL, text);
		g_free(text);
	} else if (ms->cur_digest)
		ct = g_mime_content_type_parse(NULL, "message/rfc822");
	else
		ct = g_mime_content_type_parse(NULL, "text/plain");
	if (ms->have_cd) {
		text = hdr_text(ms, ms->cd_off, ms->cd_len);
		cd = g_mime_content_disposition_parse(NULL, text);
		g_free(text);
	}

	is_multipart = ct != NULL &&
	    g_mime_content_type_is_type(ct, "multipart", "*");
	is_message = ct != NULL &&
	    (g_mime_content_type_is_type(ct, "message", "rfc822") ||
	    g_mime_content_type_is_type(ct, "message", "global"));

	if (is_multipart) {
		boundary = g_mime_content_type_get_parameter(ct, "boundary");
		/* Without a usable boundary it can only be a leaf. */
		if (!str_nonempty(boundary) ||
		    strlen(boundary) > LINE_CAP - 4)
			is_multipart = 0;
		else {
			if (has_body) {
				digest = g_mime_content_type_is_type(ct,
				    "multipart", "digest");
				(void)level_push(ms, LEVEL_MULTIPART,
				    boundary, digest, ms->cur_quiet);
			}
			goto done;
		}
	}

	if (is_message) {
		/*
		 * An attached message is one attachment, whatever it holds;
		 * a top-level message/rfc822 is only a wrapper.
		 */
		quiet = ms->cur_quiet;
		if (ms->cur_depth > 0) {
			if (!quiet)
				ms->attachments++;
			quiet = 1;
		}
		if (has_body && level_push(ms, LEVEL_MESSAGE, NULL, 0,
		    quiet) == 0)
			entity_start(ms, ms->cur_depth + 1, quiet, 0);
		goto done;
	}

	if (ms->cur_quiet)
		goto done;
	attach = cd != NULL && g_mime_content_disposition_is_attachment(cd);
	named = (cd != NULL && str_nonempty(
	    g_mime_content_disposition_get_parameter(cd, "filename"))) ||
	    (ct != NULL && str_nonempty(
	    g_mime_content_type_get_parameter(ct, "name")));
	/* A named inline part with a Content-ID is an embedded image. */
	if (attach || (named && !ms->have_cid))
		ms->attachments++;
 done:
	if (ct != NULL)
		g_object_unref(ct);
	if (cd != NULL)
		g_object_unref(cd);
}

static void
hdr_append(struct mime_scan *ms, const char *p, size_t n)
{
	size_t	room = HDR_CAP - ms->hlen;

	if (n > room)
		n = room;
	memcpy(ms->hbuf + ms->hlen, p, n);
	ms->hlen += n;
	if (ms->collecting == COLLECT_CT)
		ms->ct_len += n;
	else if (ms->collecting == COLLECT_CD)
		ms->cd_len += n;
}

static void
header_line(struct mime_scan *ms, const char *line, size_t len)
{
	const char	*colon;
	size_t		 nlen;

	if (len == 0) {
		entity_end_headers(ms, 1);
		return;
	}
	if (line[0] == ' ' || line[0] == '\t') {
		/* Unfold: the continuation keeps its leading whitespace. */
		if (ms->collecting != COLLECT_NONE)
			hdr_append(ms, line, len);
		return;
	}
	ms->collecting = COLLECT_NONE;
	/* Not a header at all: skip it, as best we can. */
	if ((colon = memchr(line, ':', len)) == NULL)
		return;
	nlen = colon - line;
	while (nlen > 0 && (line[nlen - 1] == ' ' || line[nlen - 1] == '\t'))
		nlen--;
	colon++;
	if (name_is(line, nlen, "content-type")) {
		if (ms->have_ct)
			return;
		ms->have_ct = 1;
		ms->collecting = COLLECT_CT;
		ms->ct_off = ms->hlen;
		hdr_append(ms, colon, len - (colon - line));
	} else if (name_is(line, nlen, "content-disposition")) {
		if (ms->have_cd)
			return;
		ms->have_cd = 1;
		ms->collecting = COLLECT_CD;
		ms->cd_off = ms->hlen;
		hdr_append(ms, colon, len - (colon - line));
	} else if (name_is(line, nlen, "content-id"))
		ms->have_cid = 1;
}

/* Index of the innermost multipart whose delimiter this line is, or -1. */
static long
boundary_match(const struct mime_scan *ms, const char *line, size_t len,
    int *close)
{
	const struct level	*l;
	const char		*rest;
	size_t			 i, n, j;

	if (len < 3 || line[0] != '-' || line[1] != '-')
		return -1;
	for (i = ms->nstack; i-- > 0;) {
		l = &ms->stack[i];
		if (l->kind != LEVEL_MULTIPART || len - 2 < l->blen ||
		    memcmp(line + 2, l->boundary, l->blen) != 0)
			continue;
		rest = line + 2 + l->blen;
		n = len - 2 - l->blen;
		*close = 0;
		if (n >= 2 && rest[0] == '-' && rest[1] == '-') {
			*close = 1;
			rest += 2;
			n -= 2;
		}
		/* Only transport padding may follow. */
		for (j = 0; j < n; j++)
			if (rest[j] != ' ' && rest[j] != '\t')
				break;
		if (j == n)
			return (long)i;
	}
	return -1;
}

static void
process_line(struct mime_scan *ms, const char *line, size_t len,
    int truncated)
{
	const struct level	*l;
	long			 idx;
	int			 close = 0;

	if (!truncated &&
	    (idx = boundary_match(ms, line, len, &close)) >= 0) {
		if (ms->mode == MODE_HEADERS)
			entity_end_headers(ms, 0);
		/* An outer delimiter closes every inner container. */
		while (ms->nstack > (size_t)idx + 1)
			level_pop(ms);
		if (close) {
			/* The epilogue: body of the enclosing entity. */
			level_pop(ms);
			ms->mode = MODE_BODY;
		} else {
			l = &ms->stack[idx];
			entity_start(ms, l->depth + 1, l->quiet, l->digest);
		}
		return;
	}
	if (ms->mode == MODE_HEADERS)
		header_line(ms, line, len);
}

static void
line_end(struct mime_scan *ms)
{
	size_t	content;

	content = ms->linetotal - (ms->last_cr ? 1 : 0);
	if (content > LINE_CAP)
		process_line(ms, ms->line, LINE_CAP, 1);
	else
		process_line(ms, ms->line, content, 0);
	ms->linelen = ms->linetotal = 0;
	ms->last_cr = 0;
}

/* Nothing can change any more: a leaf body with no container open. */
static int
scan_idle(const struct mime_scan *ms)
{
	return ms->status != MIME_SCAN_OK || ms->finished ||
	    (ms->mode == MODE_BODY && ms->nstack == 0);
}

struct mime_scan *
mime_scan_new(size_t max_depth, size_t max_parts)
{
	struct mime_scan	*ms;

	if ((ms = calloc(1, sizeof(*ms))) == NULL)
		return NULL;
	if ((ms->hbuf = malloc(HDR_CAP)) == NULL) {
		free(ms);
		return NULL;
	}
	ms->max_depth = max_depth;
	ms->max_parts = max_parts;
	ms->status = MIME_SCAN_OK;
	entity_start(ms, 0, 0, 0);
	return ms;
}

int
mime_scan_update(struct mime_scan *ms, const char *data, size_t len)
{
	const char	*nl;
	size_t		 chunk, keep;

	while (len > 0 && !scan_idle(ms)) {
		nl = memchr(data, '\n', len);
		chunk = nl != NULL ? (size_t)(nl - data) : len;
		if (ms->linelen < LINE_CAP) {
			keep = LINE_CAP - ms->linelen;
			if (keep > chunk)
				keep = chunk;
			memcpy(ms->line + ms->linelen, data, keep);
			ms->linelen += keep;
		}
		ms->linetotal += chunk;
		if (chunk > 0)
			ms->last_cr = data[chunk - 1] == '\r';
		if (nl != NULL) {
			line_end(ms);
			chunk++;
		}
		data += chunk;
		len -= chunk;
	}
	return ms->status;
}

int
mime_scan_finish(struct mime_scan *ms)
{
	if (ms->finished)
		return ms->status;
	if (ms->status == MIME_SCAN_OK && ms->linetotal > 0 &&
	    !scan_idle(ms))
		line_end(ms);
	if (ms->status == MIME_SCAN_OK && ms->mode == MODE_HEADERS)
		entity_end_headers(ms, 0);
	ms->finished = 1;
	return ms->status;
}

unsigned
mime_scan_attachments(const struct mime_scan *ms)
{
	return ms == NULL ? 0 : ms->attachments;
}

unsigned
mime_scan_parts(const struct mime_scan *ms)
{
	return ms == NULL ? 0 : ms->parts;
}

unsigned
mime_scan_max_depth(const struct mime_scan *ms)
{
	return ms == NULL ? 0 : ms->depth_max;
}

void
mime_scan_free(struct mime_scan *ms)
{
	if (ms == NULL)
		return;
	while (ms->nstack > 0)
		level_pop(ms);
	free(ms->stack);
	free(ms->hbuf);
	free(ms);
}
