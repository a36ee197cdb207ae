/*
 * mime_scan.c: small messages with known structure, each fed whole, one
 * byte at a time and in 7-byte pieces, with LF and with CRLF line ends;
 * then every file of the corpus, whole against pieces.
 */
#include <sys/stat.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <gmime/gmime.h>

#include "mime_scan.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))
#define DEPTH		20
#define PARTS		1000

struct result {
	int		status;
	unsigned	parts;
	unsigned	attachments;
	unsigned	depth;
};

/* Feed msg in pieces of `piece` bytes (0: whole). */
static struct result
scan(const char *msg, size_t len, size_t piece, size_t max_depth,
    size_t max_parts)
{
	struct mime_scan	*ms;
	struct result		 r;
	size_t			 off, n;
	int			 st;

	ms = mime_scan_new(max_depth, max_parts);
	assert_non_null(ms);
	if (piece == 0)
		piece = len;
	for (off = 0; off < len; off += n) {
		n = len - off < piece ? len - off : piece;
		st = mime_scan_update(ms, msg + off, n);
		assert_true(st == MIME_SCAN_OK || st == MIME_SCAN_TOO_DEEP ||
		    st == MIME_SCAN_TOO_MANY_PARTS);
	}
	r.status = mime_scan_finish(ms);
	assert_int_equal(mime_scan_finish(ms), r.status);
	r.parts = mime_scan_parts(ms);
	r.attachments = mime_scan_attachments(ms);
	r.depth = mime_scan_max_depth(ms);
	mime_scan_free(ms);
	return r;
}

static int
result_equal(struct result a, struct result b)
{
	return a.status == b.status && a.parts == b.parts &&
	    a.attachments == b.attachments && a.depth == b.depth;
}

static char *
to_crlf(const char *s)
{
	char	*out, *p;

	out = p = malloc(strlen(s) * 2 + 1);
	assert_non_null(out);
	for (; *s != '\0'; s++) {
		if (*s == '\n')
			*p++ = '\r';
		*p++ = *s;
	}
	*p = '\0';
	return out;
}

struct scan_case {
	const char	*label;
	const char	*msg;		/* LF line ends */
	size_t		 max_depth;
	size_t		 max_parts;
	struct result	 want;
};

#define MIXED_TWO_ATTACHMENTS \
	"From: a@example.com\n" \
	"Subject: two attachments\n" \
	"MIME-Version: 1.0\n" \
	"Content-Type: multipart/mixed; boundary=\"mix\"\n" \
	"\n" \
	"This is a multi-part message in MIME format.\n" \
	"--mix\n" \
	"Content-Type: text/plain; charset=utf-8\n" \
	"\n" \
	"body\n" \
	"--mix\n" \
	"Content-Type: application/pdf; name=\"a.pdf\"\n" \
	"Content-Disposition: attachment; filename=\"a.pdf\"\n" \
	"Content-Transfer-Encoding: base64\n" \
	"\n" \
	"JVBERi0xLjQK\n" \
	"--mix\n" \
	"Content-Type: image/png\n" \
	"Content-Disposition: ATTACHMENT\n" \
	"\n" \
	"iVBORw0KGgo=\n" \
	"--mix--\n" \
	"epilogue\n"

#define THREE_DEEP \
	"Content-Type: multipart/mixed; boundary=\"l1\"\n" \
	"\n" \
	"--l1\n" \
	"Content-Type: multipart/alternative; boundary=\"l2\"\n" \
	"\n" \
	"--l2\n" \
	"Content-Type: multipart/related; boundary=\"l3\"\n" \
	"\n" \
	"--l3\n" \
	"Content-Type: text/html\n" \
	"\n" \
	"<p>x</p>\n" \
	"--l3--\n" \
	"--l2--\n" \
	"--l1\n" \
	"Content-Type: text/plain; name=\"late.txt\"\n" \
	"\n" \
	"late\n" \
	"--l1--\n"

#define NESTED_MESSAGE \
	"Content-Type: multipart/mixed; boundary=\"outer\"\n" \
	"\n" \
	"--outer\n" \
	"Content-Type: text/plain\n" \
	"\n" \
	"see attached\n" \
	"--outer\n" \
	"Content-Type: message/rfc822\n" \
	"Content-Disposition: attachment; filename=\"fwd.eml\"\n" \
	"\n" \
	"From: b@example.com\n" \
	"Subject: inner\n" \
	"Content-Type: multipart/mixed; boundary=\"inner\"\n" \
	"\n" \
	"--inner\n" \
	"Content-Type: text/plain\n" \
	"\n" \
	"inner text\n" \
	"--inner\n" \
	"Content-Type: application/pdf; name=\"inner.pdf\"\n" \
	"Content-Disposition: attachment; filename=\"inner.pdf\"\n" \
	"\n" \
	"JVBE\n" \
	"--inner--\n" \
	"--outer--\n"

#define FIVE_PARTS \
	"Content-Type: multipart/mixed; boundary=p\n" \
	"\n" \
	"--p\n\na\n--p\n\nb\n--p\n\nc\n--p\n\nd\n--p--\n"

static const struct scan_case scan_cases[] = {
	{ "plain text",
	    "From: a@example.com\n"
	    "Subject: hi\n"
	    "Content-Type: text/plain; charset=us-ascii\n"
	    "\n"
	    "hello\n"
	    "--not-a-boundary\n",
	    DEPTH, PARTS, { MIME_SCAN_OK, 1, 0, 0 } },
	{ "headers only, no body",
	    "Subject: x\n",
	    DEPTH, PARTS, { MIME_SCAN_OK, 1, 0, 0 } },
	{ "empty message", "", DEPTH, PARTS, { MIME_SCAN_OK, 1, 0, 0 } },
	{ "single attachment at top level",
	    "Content-Type: application/pdf\n"
	    "Content-Disposition: attachment; filename=a.pdf\n"
	    "\n"
	    "JVBE\n",
	    DEPTH, PARTS, { MIME_SCAN_OK, 1, 1, 0 } },
	{ "multipart/alternative",
	    "Content-Type: multipart/alternative; boundary=\"alt\"\n"
	    "\n"
	    "--alt\n"
	    "Content-Type: text/plain\n"
	    "\n"
	    "text\n"
	    "--alt\n"
	    "Content-Type: text/html\n"
	    "\n"
	    "<p>html</p>\n"
	    "--alt--\n",
	    DEPTH, PARTS, { MIME_SCAN_OK, 3, 0, 1 } },
	{ "mixed with two attachments", MIXED_TWO_ATTACHMENTS,
	    DEPTH, PARTS, { MIME_SCAN_OK, 4, 2, 1 } },
	{ "related: inline image with Content-ID",
	    "Content-Type: multipart/related; boundary=\"rel\"; type=\"text/html\"\n"
	    "\n"
	    "--rel\n"
	    "Content-Type: text/html\n"
	    "\n"
	    "<img src=\"cid:img1@x\">\n"
	    "--rel\n"
	    "Content-Type: image/png; name=\"logo.png\"\n"
	    "Content-ID: <img1@x>\n"
	    "Content-Disposition: inline; filename=\"logo.png\"\n"
	    "\n"
	    "iVBORw0=\n"
	    "--rel--\n",
	    DEPTH, PARTS, { MIME_SCAN_OK, 3, 0, 1 } },
	{ "related: Content-ID without disposition",
	    "Content-Type: multipart/related; boundary=rel\n"
	    "\n"
	    "--rel\n"
	    "Content-Type: text/html\n"
	    "\n"
	    "x\n"
	    "--rel\n"
	    "Content-Type: image/gif; name=\"a.gif\"\n"
	    "Content-Id: <a@x>\n"
	    "\n"
	    "R0lG\n"
	    "--rel--\n",
	    DEPTH, PARTS, { MIME_SCAN_OK, 3, 0, 1 } },
	{ "Content-ID but disposition attachment",
	    "Content-Type: multipart/mixed; boundary=b\n"
	    "\n"
	    "--b\n"
	    "Content-Type: image/gif; name=\"a.gif\"\n"
	    "Content-ID: <a@x>\n"
	    "Content-Disposition: attachment\n"
	    "\n"
	    "R0lG\n"
	    "--b--\n",
	    DEPTH, PARTS, { MIME_SCAN_OK, 2, 1, 1 } },
	{ "inline with filename, no Content-ID",
	    "Content-Type: multipart/mixed; boundary=b\n"
	    "\n"
	    "--b\n"
	    "Content-Type: image/png\n"
	    "Content-Disposition: inline; filename=\"photo.png\"\n"
	    "\n"
	    "iVBO\n"
	    "--b--\n",
	    DEPTH, PARTS, { MIME_SCAN_OK, 2, 1, 1 } },
	{ "attachment with only name=",
	    "Content-Type: multipart/mixed; boundary=b1\n"
	    "\n"
	    "--b1\n"
	    "Content-Type: text/plain\n"
	    "\n"
	    "hi\n"
	    "--b1\n"
	    "Content-Type: application/octet-stream; name=\"data.bin\"\n"
	    "\n"
	    "AAAA\n"
	    "--b1--\n",
	    DEPTH, PARTS, { MIME_SCAN_OK, 3, 1, 1 } },
	{ "RFC 2231 filename",
	    "Content-Type: multipart/mixed; boundary=b1\n"
	    "\n"
	    "--b1\n"
	    "Content-Type: application/octet-stream\n"
	    "Content-Disposition: inline;\n"
	    " filename*=utf-8''%C3%A9t%C3%A9.txt\n"
	    "\n"
	    "AAAA\n"
	    "--b1--\n",
	    DEPTH, PARTS, { MIME_SCAN_OK, 2, 1, 1 } },
	{ "nested message/rfc822", NESTED_MESSAGE,
	    DEPTH, PARTS, { MIME_SCAN_OK, 6, 1, 3 } },
	{ "nested message/rfc822 too deep", NESTED_MESSAGE,
	    2, PARTS, { MIME_SCAN_TOO_DEEP, 4, 1, 3 } },
	{ "top-level message/rfc822 is a wrapper",
	    "Content-Type: message/rfc822\n"
	    "\n"
	    "Subject: inner\n"
	    "Content-Type: multipart/mixed; boundary=i\n"
	    "\n"
	    "--i\n"
	    "Content-Type: text/plain; name=a.txt\n"
	    "\n"
	    "a\n"
	    "--i--\n",
	    DEPTH, PARTS, { MIME_SCAN_OK, 3, 1, 2 } },
	{ "digest: parts default to message/rfc822",
	    "Content-Type: multipart/digest; boundary=d\n"
	    "\n"
	    "--d\n"
	    "\n"
	    "Subject: one\n"
	    "\n"
	    "1\n"
	    "--d\n"
	    "\n"
	    "Subject: two\n"
	    "Content-Type: text/plain; name=x.txt\n"
	    "\n"
	    "2\n"
	    "--d--\n",
	    DEPTH, PARTS, { MIME_SCAN_OK, 5, 2, 2 } },
	{ "three levels", THREE_DEEP,
	    DEPTH, PARTS, { MIME_SCAN_OK, 5, 1, 3 } },
	{ "three levels, depth limit 3", THREE_DEEP,
	    3, PARTS, { MIME_SCAN_OK, 5, 1, 3 } },
	{ "three levels, depth limit 2", THREE_DEEP,
	    2, PARTS, { MIME_SCAN_TOO_DEEP, 3, 0, 3 } },
	{ "multipart, depth limit 0",
	    "Content-Type: multipart/mixed; boundary=b\n\n--b\n\nx\n--b--\n",
	    0, PARTS, { MIME_SCAN_TOO_DEEP, 1, 0, 1 } },
	{ "parts limit reached", FIVE_PARTS,
	    DEPTH, 5, { MIME_SCAN_OK, 5, 0, 1 } },
	{ "parts limit passed", FIVE_PARTS,
	    DEPTH, 4, { MIME_SCAN_TOO_MANY_PARTS, 5, 0, 1 } },
	{ "unterminated multipart",
	    "Content-Type: multipart/mixed; boundary=\"u\"\n"
	    "\n"
	    "--u\n"
	    "Content-Type: text/plain\n"
	    "\n"
	    "a\n"
	    "--u\n"
	    "Content-Type: application/zip; name=\"z.zip\"\n"
	    "\n"
	    "UEsDB\n",
	    DEPTH, PARTS, { MIME_SCAN_OK, 3, 1, 1 } },
	{ "unterminated in a part's headers",
	    "Content-Type: multipart/mixed; boundary=\"u\"\n"
	    "\n"
	    "--u\n"
	    "Content-Type: application/zip;\n"
	    "\tname=\"z.zip\"",
	    DEPTH, PARTS, { MIME_SCAN_OK, 2, 1, 1 } },
	{ "delimiter right after a part's headers",
	    "Content-Type: multipart/mixed; boundary=b\n"
	    "\n"
	    "--b\n"
	    "Content-Type: image/png; name=\"a.png\"\n"
	    "--b\n"
	    "Content-Type: text/plain\n"
	    "\n"
	    "x\n"
	    "--b--\n",
	    DEPTH, PARTS, { MIME_SCAN_OK, 3, 1, 1 } },
	{ "multipart without boundary",
	    "Content-Type: multipart/mixed\n"
	    "\n"
	    "--x\n"
	    "Content-Type: text/plain; name=a.txt\n"
	    "\n"
	    "--x--\n",
	    DEPTH, PARTS, { MIME_SCAN_OK, 1, 0, 0 } },
	{ "boundary never used",
	    "Content-Type: multipart/mixed; boundary=zz\n"
	    "\n"
	    "hello\n"
	    "--z\n"
	    "--zzz\n",
	    DEPTH, PARTS, { MIME_SCAN_OK, 1, 0, 0 } },
	{ "garbage headers",
	    "garbage line\n"
	    ": no name\n"
	    "Content-Type multipart/mixed; boundary=b\n"
	    "Content-Type: ;;; = \"\n"
	    "Content-Disposition: \"\n"
	    "\n"
	    "--b\n",
	    DEPTH, PARTS, { MIME_SCAN_OK, 1, 0, 0 } },
	{ "boundary with quotes and special chars",
	    "Content-Type: multipart/mixed;\n"
	    "\tboundary=\"----=_Part_1_(x)+,-./:=?'_end\"\n"
	    "\n"
	    "------=_Part_1_(x)+,-./:=?'_end\n"
	    "Content-Type: text/plain\n"
	    "\n"
	    "a\n"
	    "------=_Part_1_(x)+,-./:=?'_end\n"
	    "Content-Type: text/plain; name=\"b.txt\"\n"
	    "\n"
	    "b\n"
	    "------=_Part_1_(x)+,-./:=?'_end--\n",
	    DEPTH, PARTS, { MIME_SCAN_OK, 3, 1, 1 } },
	{ "boundary with a space, padding after delimiters",
	    "CONTENT-TYPE: Multipart/Mixed; BOUNDARY=\"a b\"\n"
	    "\n"
	    "--a b  \n"
	    "Content-Type: text/plain; name=\"b.txt\"\n"
	    "\n"
	    "b\n"
	    "--a b--\t \n",
	    DEPTH, PARTS, { MIME_SCAN_OK, 2, 1, 1 } },
	{ "outer boundary is a prefix of the inner",
	    "Content-Type: multipart/mixed; boundary=\"abc\"\n"
	    "\n"
	    "--abc\n"
	    "Content-Type: multipart/alternative; boundary=\"abc-alt\"\n"
	    "\n"
	    "--abc-alt\n"
	    "Content-Type: text/plain\n"
	    "\n"
	    "x\n"
	    "--abc-alt\n"
	    "Content-Type: text/html\n"
	    "\n"
	    "y\n"
	    "--abc-alt--\n"
	    "--abc\n"
	    "Content-Type: text/plain; name=\"n.txt\"\n"
	    "\n"
	    "z\n"
	    "--abc--\n",
	    DEPTH, PARTS, { MIME_SCAN_OK, 5, 1, 2 } },
	{ "inner boundary is a prefix of the outer",
	    "Content-Type: multipart/mixed; boundary=\"=_abc_outer\"\n"
	    "\n"
	    "--=_abc_outer\n"
	    "Content-Type: multipart/alternative; boundary=\"=_abc\"\n"
	    "\n"
	    "--=_abc\n"
	    "Content-Type: text/plain\n"
	    "\n"
	    "x\n"
	    "--=_abc_outer\n"
	    "Content-Type: text/plain; name=\"n.txt\"\n"
	    "\n"
	    "z\n"
	    "--=_abc_outer--\n",
	    DEPTH, PARTS, { MIME_SCAN_OK, 4, 1, 2 } },
	{ "outer delimiter closes an unterminated inner",
	    "Content-Type: multipart/mixed; boundary=\"abc\"\n"
	    "\n"
	    "--abc\n"
	    "Content-Type: multipart/alternative; boundary=\"alt\"\n"
	    "\n"
	    "--alt\n"
	    "Content-Type: text/plain\n"
	    "\n"
	    "x\n"
	    "--alt\n"
	    "Content-Type: text/html\n"
	    "\n"
	    "y\n"
	    "--abc\n"
	    "Content-Type: application/pdf; name=a.pdf\n"
	    "\n"
	    "--alt--\n"
	    "--abc--\n",
	    DEPTH, PARTS, { MIME_SCAN_OK, 5, 1, 2 } },
	{ "attachment inside an attached message not counted",
	    "Content-Type: multipart/mixed; boundary=o\n"
	    "\n"
	    "--o\n"
	    "Content-Type: message/rfc822\n"
	    "\n"
	    "Content-Type: multipart/mixed; boundary=i\n"
	    "\n"
	    "--i\n"
	    "Content-Type: application/pdf; name=a.pdf\n"
	    "\n"
	    "--i\n"
	    "Content-Type: application/pdf; name=b.pdf\n"
	    "\n"
	    "--i--\n"
	    "--o\n"
	    "Content-Type: application/pdf; name=c.pdf\n"
	    "\n"
	    "--o--\n",
	    DEPTH, PARTS, { MIME_SCAN_OK, 6, 2, 3 } },
};

static void
check(const char *label, const char *how, struct result got,
    struct result want)
{
	if (!result_equal(got, want))
		fail_msg("%s (%s): got status %d parts %u attachments %u "
		    "depth %u, want %d %u %u %u", label, how, got.status,
		    got.parts, got.attachments, got.depth, want.status,
		    want.parts, want.attachments, want.depth);
}

static void
test_scan_case(void **state)
{
	const struct scan_case	*c = *state;
	char			*crlf;
	size_t			 len;

	len = strlen(c->msg);
	check(c->label, "LF whole", scan(c->msg, len, 0, c->max_depth,
	    c->max_parts), c->want);
	check(c->label, "LF 1-byte", scan(c->msg, len, 1, c->max_depth,
	    c->max_parts), c->want);
	check(c->label, "LF 7-byte", scan(c->msg, len, 7, c->max_depth,
	    c->max_parts), c->want);
	crlf = to_crlf(c->msg);
	len = strlen(crlf);
	check(c->label, "CRLF whole", scan(crlf, len, 0, c->max_depth,
	    c->max_parts), c->want);
	check(c->label, "CRLF 1-byte", scan(crlf, len, 1, c->max_depth,
	    c->max_parts), c->want);
	check(c->label, "CRLF 2-byte", scan(crlf, len, 2, c->max_depth,
	    c->max_parts), c->want);
	free(crlf);
}

/* Lines past the line buffer: skipped cleanly, never delimiters. */
static void
test_long_lines(void **state)
{
	struct result	 want = { MIME_SCAN_OK, 3, 1, 1 }, got;
	char		*msg, *pad;
	size_t		 padlen = 10000;

	pad = malloc(padlen + 1);
	assert_non_null(pad);
	memset(pad, 'x', padlen);
	pad[padlen] = '\0';
	/* A delimiter followed by a huge run of padding is not trusted. */
	assert_true(asprintf(&msg,
	    "X-Long: %s\r\n"
	    "Content-Type: multipart/mixed; boundary=b\r\n"
	    "\r\n"
	    "--b\r\n"
	    "Content-Type: text/plain\r\n"
	    "\r\n"
	    "%s\r\n"
	    "--b%*s\r\n"
	    "--b\r\n"
	    "Content-Type: text/plain; name=a.txt\r\n"
	    "\r\n"
	    "%s\r\n"
	    "--b--\r\n", pad, pad, 5000, "", pad) != -1);
	got = scan(msg, strlen(msg), 0, DEPTH, PARTS);
	check("long lines", "whole", got, want);
	got = scan(msg, strlen(msg), 1, DEPTH, PARTS);
	check("long lines", "1-byte", got, want);
	got = scan(msg, strlen(msg), 4095, DEPTH, PARTS);
	check("long lines", "4095-byte", got, want);
	free(msg);
	free(pad);
}

/* Content-Type text past the header cap is dropped (boundary lost). */
static void
test_header_cap(void **state)
{
	struct result	 want = { MIME_SCAN_OK, 1, 0, 0 }, got;
	char		*msg, *p;
	size_t		 i, n = 40, off = 0, cap;

	cap = n * 1100 + 512;
	msg = p = malloc(cap);
	assert_non_null(msg);
	off += snprintf(p + off, cap - off, "Content-Type: multipart/mixed;\n");
	for (i = 0; i < n; i++)
		off += snprintf(p + off, cap - off, "\tx-pad%zu=\"%01000d\";\n",
		    i, 0);
	off += snprintf(p + off, cap - off,
	    "\tboundary=b\n\n--b\nContent-Type: text/plain; name=a\n\n--b--\n");
	assert_true(off < cap);
	got = scan(msg, off, 0, DEPTH, PARTS);
	check("header cap", "whole", got, want);
	got = scan(msg, off, 3, DEPTH, PARTS);
	check("header cap", "3-byte", got, want);
	free(msg);
}

/* Bounded memory: a deep stack is refused, not grown without end. */
static void
test_deep_nesting(void **state)
{
	struct result	 got;
	char		*msg;
	size_t		 i, n = 200, off = 0, cap = n * 80 + 64;

	msg = malloc(cap);
	assert_non_null(msg);
	for (i = 0; i < n; i++)
		off += snprintf(msg + off, cap - off,
		    "Content-Type: multipart/mixed; boundary=b%zu\n\n--b%zu\n",
		    i, i);
	got = scan(msg, off, 0, DEPTH, PARTS);
	assert_int_equal(got.status, MIME_SCAN_TOO_DEEP);
	assert_int_equal(got.depth, DEPTH + 1);
	assert_int_equal(got.parts, DEPTH + 1);
	got = scan(msg, off, 0, 1000, PARTS);
	assert_int_equal(got.status, MIME_SCAN_OK);
	assert_int_equal(got.depth, n);
	assert_int_equal(got.parts, n + 1);
	free(msg);
}

static void
test_free_null(void **state)
{
	mime_scan_free(NULL);
}

static char *
file_read(const char *path, size_t *len)
{
	FILE	*fp;
	char	*buf;
	long	 sz;

	if ((fp = fopen(path, "rb")) == NULL)
		return NULL;
	if (fseek(fp, 0, SEEK_END) == -1 || (sz = ftell(fp)) < 0 ||
	    fseek(fp, 0, SEEK_SET) == -1 ||
	    (buf = malloc(sz + 1)) == NULL) {
		fclose(fp);
		return NULL;
	}
	if (fread(buf, 1, sz, fp) != (size_t)sz) {
		free(buf);
		fclose(fp);
		return NULL;
	}
	buf[sz] = '\0';
	fclose(fp);
	*len = sz;
	return buf;
}

#define SAMPLES	CORPUS_DIR "/mime-samples"

/* Every sample: no crash, the same result whole and in pieces. */
static void
test_corpus_pieces(void **state)
{
	DIR		*dir;
	struct dirent	*de;
	struct stat	 st;
	struct result	 whole, r;
	char		 path[4096], *msg;
	size_t		 len;
	int		 files = 0;

	dir = opendir(SAMPLES);
	if (dir == NULL)
		fail_msg("cannot open %s", SAMPLES);
	while ((de = readdir(dir)) != NULL) {
		snprintf(path, sizeof(path), "%s/%s", SAMPLES, de->d_name);
		if (stat(path, &st) == -1 || !S_ISREG(st.st_mode))
			continue;
		msg = file_read(path, &len);
		if (msg == NULL)
			fail_msg("cannot read %s", path);
		whole = scan(msg, len, 0, DEPTH, PARTS);
		assert_int_equal(whole.status, MIME_SCAN_OK);
		assert_true(whole.parts >= 1);
		r = scan(msg, len, 1, DEPTH, PARTS);
		check(de->d_name, "1-byte", r, whole);
		r = scan(msg, len, 7, DEPTH, PARTS);
		check(de->d_name, "7-byte", r, whole);
		free(msg);
		files++;
	}
	closedir(dir);
	assert_true(files >= 70);
}

struct corpus_case {
	const char	*file;
	struct result	 want;
};

/* Counted by reading the files. */
static const struct corpus_case corpus_cases[] = {
	/* text/plain only. */
	{ "m0001.txt", { MIME_SCAN_OK, 1, 0, 0 } },
	/* No Content-Type, a 4 KiB header line. */
	{ "m0009.txt", { MIME_SCAN_OK, 1, 0, 0 } },
	/* mixed: text + three PNGs with disposition attachment. */
	{ "m0011.txt", { MIME_SCAN_OK, 5, 3, 1 } },
	/* Same as m0011 with Content-Type: multipart/star. */
	{ "github-115.txt", { MIME_SCAN_OK, 5, 3, 1 } },
	/* mixed: alternative (text, html) + two PNG attachments. */
	{ "m0015.txt", { MIME_SCAN_OK, 6, 2, 2 } },
	/* mixed: alternative (text, related (html, 2 cid images)) + two
	 * named inline PNGs without Content-ID. */
	{ "m1005.txt", { MIME_SCAN_OK, 9, 2, 3 } },
	/* mixed: related (alternative (text, html), 2 cid images) + two
	 * attachments. */
	{ "m2005.txt", { MIME_SCAN_OK, 9, 2, 3 } },
	/* mixed: text + one long text attachment. */
	{ "m3006.txt", { MIME_SCAN_OK, 3, 1, 1 } },
	/* message/rfc822 wrapping a digest of two messages, padded
	 * delimiters ("--foo "). */
	{ "m4007.txt", { MIME_SCAN_OK, 6, 2, 3 } },
};

static void
test_corpus_counts(void **state)
{
	const struct corpus_case	*c = *state;
	char				 path[4096], *msg;
	size_t				 len;

	snprintf(path, sizeof(path), "%s/%s", SAMPLES, c->file);
	if ((msg = file_read(path, &len)) == NULL)
		fail_msg("cannot read %s", path);
	check(c->file, "whole", scan(msg, len, 0, DEPTH, PARTS), c->want);
	check(c->file, "1-byte", scan(msg, len, 1, DEPTH, PARTS), c->want);
	free(msg);
}

static int
group_setup(void **state)
{
	g_mime_init();
	return 0;
}

static void
add_test(struct CMUnitTest *t, size_t *n, const char *name,
    CMUnitTestFunction fn, const void *arg)
{
	memset(&t[*n], 0, sizeof(t[*n]));
	t[*n].name = name;
	t[*n].test_func = fn;
	t[*n].initial_state = (void *)arg;
	(*n)++;
}

int
main(void)
{
	struct CMUnitTest	*tests;
	size_t			 i, n = 0, max;
	int			 rc;

	max = NELEM(scan_cases) + NELEM(corpus_cases) + 8;
	if ((tests = calloc(max, sizeof(*tests))) == NULL)
		return 1;
	for (i = 0; i < NELEM(scan_cases); i++)
		add_test(tests, &n, scan_cases[i].label, test_scan_case,
		    &scan_cases[i]);
	add_test(tests, &n, "long lines", test_long_lines, NULL);
	add_test(tests, &n, "header cap", test_header_cap, NULL);
	add_test(tests, &n, "deep nesting", test_deep_nesting, NULL);
	add_test(tests, &n, "free NULL", test_free_null, NULL);
	add_test(tests, &n, "corpus: whole vs pieces", test_corpus_pieces,
	    NULL);
	for (i = 0; i < NELEM(corpus_cases); i++)
		add_test(tests, &n, corpus_cases[i].file, test_corpus_counts,
		    &corpus_cases[i]);
	rc = _cmocka_run_group_tests("mime_scan", tests, n, group_setup, NULL);
	free(tests);
	return rc;
}
