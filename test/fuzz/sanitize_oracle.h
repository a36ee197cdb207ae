/*
 * What sanitize_html's output must look like, checked independently of
 * sanitize.c (used by fuzz_sanitize.c and test_sanitize.c).  The output
 * is a small regular language: text with '<', '>' and stray '&' escaped,
 * and tags written by the sanitiser as <name attr="value"...> or
 * </name>.  The check parses that language and rejects anything outside
 * it: an unknown element or attribute, an "on..." attribute, a link that
 * is not http:, https: or mailto:, an image that is not a same-origin
 * path or a raster data: image, a style with url(), expression, escapes
 * or comments, unbalanced tags, invalid UTF-8.  "javascript:" is
 * caught by the scheme check of href (an https: URL may mention it in
 * its query), and text and inert attributes (title, alt) may say
 * "javascript:" or "url(": only what a browser acts on is checked.
 */
#ifndef SEALPOST_SANITIZE_ORACLE_H
#define SEALPOST_SANITIZE_ORACLE_H

#include <stddef.h>
#include <string.h>
#include <strings.h>

#include <glib.h>

static const char *const oracle_elements[] = {
	"a", "abbr", "address", "b", "big", "blockquote", "br", "caption",
	"center", "cite", "code", "col", "colgroup", "dd", "div", "dl", "dt",
	"em", "font", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img",
	"li", "ol", "p", "pre", "q", "s", "small", "span", "strike", "strong",
	"sub", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "tr",
	"tt", "u", "ul", NULL
};

static const char *const oracle_void[] = { "br", "col", "hr", "img", NULL };

static const char *const oracle_attributes[] = {
	"title", "dir", "lang", "align", "valign", "width", "height",
	"colspan", "rowspan", "border", "cellpadding", "cellspacing",
	"bgcolor", "color", "style", "href", "src", "alt", "size", "face",
	"rel", "target", NULL
};

static int
oracle_in(const char *const *list, const char *s, size_t n)
{
	for (; *list != NULL; list++)
		if (n > 0 && (*list)[0] == s[0] && strlen(*list) == n &&
		    strncmp(*list, s, n) == 0)
			return 1;
	return 0;
}

static int
oracle_has(const char *s, size_t n, const char *needle)
{
	size_t	 i, m = strlen(needle);

	for (i = 0; i + m <= n; i++)
		if (strncasecmp(s + i, needle, m) == 0)
			return 1;
	return 0;
}

static int
oracle_prefix(const char *s, size_t n, const char *p)
{
	size_t	 m = strlen(p);

	return n >= m && strncasecmp(s, p, m) == 0;
}

/* The value of one attribute, still escaped as emitted. */
static const char *
oracle_value(const char *name, size_t nlen, const char *v, size_t n)
{
	static const char *const deny_style[] = { "url(", "expression",
	    "javascript", "\\", "/*", "@import", "behavior", "-moz-binding",
	    "&lt;", NULL };
	size_t	 i;

	/* Only the escapes the sanitiser writes: no &#58; tricks. */
	for (i = 0; i < n; i++) {
		if (v[i] != '&')
			continue;
		if (!oracle_prefix(v + i, n - i, "&amp;") &&
		    !oracle_prefix(v + i, n - i, "&lt;") &&
		    !oracle_prefix(v + i, n - i, "&gt;") &&
		    !oracle_prefix(v + i, n - i, "&quot;") &&
		    !oracle_prefix(v + i, n - i, "&#39;") &&
		    !oracle_prefix(v + i, n - i, "&#96;"))
			return "unexpected reference in attribute";
	}
	if (nlen == 4 && strncmp(name, "href", 4) == 0) {
		if (!oracle_prefix(v, n, "http:") &&
		    !oracle_prefix(v, n, "https:") &&
		    !oracle_prefix(v, n, "mailto:"))
			return "href scheme";
	} else if (nlen == 3 && strncmp(name, "src", 3) == 0) {
		if (oracle_prefix(v, n, "data:")) {
			if (!oracle_prefix(v, n, "data:image/png;base64,") &&
			    !oracle_prefix(v, n, "data:image/gif;base64,") &&
			    !oracle_prefix(v, n, "data:image/jpeg;base64,") &&
			    !oracle_prefix(v, n, "data:image/webp;base64,"))
				return "data: src type";
		} else if (n < 1 || v[0] != '/' || (n > 1 &&
		    (v[1] == '/' || v[1] == '\\')))
			return "src not a same-origin path";
	} else if (nlen == 5 && strncmp(name, "style", 5) == 0) {
		for (i = 0; deny_style[i] != NULL; i++)
			if (oracle_has(v, n, deny_style[i]))
				return "forbidden text in style";
	} else if (nlen == 3 && strncmp(name, "rel", 3) == 0) {
		if (n != 19 || strncmp(v, "noopener noreferrer", 19) != 0)
			return "rel value";
	} else if (nlen == 6 && strncmp(name, "target", 6) == 0) {
		if (n != 6 || strncmp(v, "_blank", 6) != 0)
			return "target value";
	}
	return NULL;
}

/* NULL if out (len bytes, NUL-terminated) is acceptable, else why not. */
static const char *
sanitize_oracle(const char *out, size_t len)
{
	const char	*stack[300];
	size_t		 depth = 0, i = 0, ns, nl, as, al, vs;
	const char	*why;
	int		 end;

	if (strlen(out) != len)
		return "NUL inside output";
	if (!g_utf8_validate(out, (gssize)len, NULL))
		return "invalid UTF-8";
	for (i = 0; i < len; i++) {
		if (out[i] != '<')
			continue;
		if (oracle_prefix(out + i, len - i, "<script") ||
		    oracle_prefix(out + i, len - i, "<svg") ||
		    oracle_prefix(out + i, len - i, "<iframe") ||
		    oracle_prefix(out + i, len - i, "<math") ||
		    oracle_prefix(out + i, len - i, "<style"))
			return "forbidden element";
	}
	i = 0;
	while (i < len) {
		if (out[i] == '>')
			return "raw '>' in text";
		if (out[i] == '&') {
			i++;
			if (i < len && out[i] == '#')
				i++;
			ns = i;
			while (i < len && g_ascii_isalnum(out[i]))
				i++;
			if (i == ns || i >= len || out[i] != ';')
				return "bare '&' in text";
			i++;
			continue;
		}
		if (out[i] != '<') {
			i++;
			continue;
		}
		i++;
		end = i < len && out[i] == '/';
		if (end)
			i++;
		ns = i;
		while (i < len && (g_ascii_islower(out[i]) ||
		    g_ascii_isdigit(out[i])))
			i++;
		nl = i - ns;
		if (!oracle_in(oracle_elements, out + ns, nl))
			return "element not allowed";
		if (end) {
			if (i >= len || out[i] != '>')
				return "malformed end tag";
			if (depth == 0 || strlen(stack[depth - 1]) != nl ||
			    strncmp(stack[depth - 1], out + ns, nl) != 0)
				return "unbalanced end tag";
			depth--;
			i++;
			continue;
		}
		while (i < len && out[i] == ' ') {
			i++;
			as = i;
			while (i < len && g_ascii_islower(out[i]))
				i++;
			al = i - as;
			if (!oracle_in(oracle_attributes, out + as, al))
				return "attribute not allowed";
			if (al >= 2 && strncmp(out + as, "on", 2) == 0)
				return "event attribute";
			if (len - i < 2 || out[i] != '=' || out[i + 1] != '"')
				return "attribute without quoted value";
			i += 2;
			vs = i;
			while (i < len && out[i] != '"') {
				if (out[i] == '<' || out[i] == '>' ||
				    out[i] == '\'' || out[i] == '`')
					return "raw markup in attribute";
				i++;
			}
			if (i >= len)
				return "unterminated attribute";
			if ((why = oracle_value(out + as, al, out + vs,
			    i - vs)) != NULL)
				return why;
			i++;
		}
		if (i >= len || out[i] != '>')
			return "malformed start tag";
		i++;
		if (oracle_in(oracle_void, out + ns, nl))
			continue;
		if (depth == sizeof(stack) / sizeof(stack[0]))
			return "nesting too deep";
		/* Names point into oracle_elements, not the output. */
		for (as = 0; oracle_elements[as] != NULL; as++)
			if (oracle_elements[as][0] == out[ns] &&
			    strlen(oracle_elements[as]) == nl &&
			    strncmp(oracle_elements[as], out + ns, nl) == 0)
				break;
		stack[depth++] = oracle_elements[as];
	}
	if (depth != 0)
		return "unclosed element";
	return NULL;
}

#endif
