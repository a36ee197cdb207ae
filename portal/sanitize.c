/*
 * HTML body sanitiser: a tokenizer in the spirit of HTML5 (text, start
 * and end tags, comments, bogus comments, raw text elements) feeding an
 * allowlist.  The output is rebuilt from tokens: every tag is written by
 * us, every attribute value is decoded, checked and re-escaped, every
 * text byte is escaped, so what the browser parses is exactly what was
 * checked here whatever the input's tricks.  The input is made valid
 * UTF-8 first, so the output is valid UTF-8 by construction.
 *
 * Linear time: the input is read once from left to right; searches for
 * the end of a comment or a raw text element resume where they stopped,
 * entity names are bounded, and the scans for implied end tags look at a
 * bounded number of open elements.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sanitize.h"

#define IMPLIED_SCAN		32	/* open elements an implied end looks at */
#define REF_NAME_MAX		32	/* longest entity name looked at */
#define LEGACY_NAME_MAX		6	/* longest entity valid without ';' */
#define HREF_MAX		16384
#define TEXT_ATTR_MAX		4096
#define CID_MAX			998
#define CSS_VALUE_MAX		512

struct buf {
	char	*p;
	size_t	 len;
	size_t	 cap;
	int	 oom;
};

/*
 * Elements the sanitiser knows.  The allowlisted ones come first (they
 * are the ones that can be open); anything not in the table loses its
 * tag and keeps its text.
 */
enum {
	EL_A, EL_ABBR, EL_ADDRESS, EL_B, EL_BIG, EL_BLOCKQUOTE, EL_BR,
	EL_CAPTION, EL_CENTER, EL_CITE, EL_CODE, EL_COL, EL_COLGROUP, EL_DD,
	EL_DIV, EL_DL, EL_DT, EL_EM, EL_FONT, EL_H1, EL_H2, EL_H3, EL_H4,
	EL_H5, EL_H6, EL_HR, EL_I, EL_IMG, EL_LI, EL_OL, EL_P, EL_PRE, EL_Q,
	EL_S, EL_SMALL, EL_SPAN, EL_STRIKE, EL_STRONG, EL_SUB, EL_SUP,
	EL_TABLE, EL_TBODY, EL_TD, EL_TFOOT, EL_TH, EL_THEAD, EL_TR, EL_TT,
	EL_U, EL_UL,
	EL_NALLOW,
	/* Raw text: the content up to the matching end tag is dropped. */
	EL_SCRIPT = EL_NALLOW, EL_STYLE, EL_TEXTAREA, EL_TITLE, EL_IFRAME,
	EL_NOEMBED, EL_NOFRAMES, EL_NOSCRIPT,
	/* Parsed content dropped up to the matching end tag. */
	EL_OBJECT, EL_APPLET, EL_TEMPLATE, EL_SELECT, EL_FRAMESET, EL_SVG,
	EL_MATH,
	EL_COUNT
};

enum { K_ALLOW, K_RAWTEXT, K_SKIP, K_FOREIGN };

#define F_VOID		0x01	/* no end tag, never open */
#define F_SPECIAL	0x02	/* HTML's "special" category */
#define F_CLOSES_P	0x04	/* starting it ends an open p */
#define F_BREAKOUT	0x08	/* its start tag ends SVG/MathML content */
#define F_SCOPE		0x10	/* a p inside it is out of scope */

/* Attribute groups an element accepts. */
#define S_COMMON	0x01
#define S_A		0x02
#define S_IMG		0x04
#define S_FONT		0x08

struct element {
	const char	*name;
	unsigned char	 kind;
	unsigned char	 flags;
	unsigned char	 scope;
};

#define SP	F_SPECIAL
#define CP	F_CLOSES_P
#define BO	F_BREAKOUT
static const struct element elements[EL_COUNT] = {
	[EL_A] =	  { "a", K_ALLOW, 0, S_COMMON | S_A },
	[EL_ABBR] =	  { "abbr", K_ALLOW, 0, S_COMMON },
	[EL_ADDRESS] =	  { "address", K_ALLOW, SP | CP, S_COMMON },
	[EL_B] =	  { "b", K_ALLOW, BO, S_COMMON },
	[EL_BIG] =	  { "big", K_ALLOW, BO, S_COMMON },
	[EL_BLOCKQUOTE] = { "blockquote", K_ALLOW, SP | CP | BO, S_COMMON },
	[EL_BR] =	  { "br", K_ALLOW, F_VOID | SP | BO, S_COMMON },
	[EL_CAPTION] =	  { "caption", K_ALLOW, SP | F_SCOPE, S_COMMON },
	[EL_CENTER] =	  { "center", K_ALLOW, SP | CP | BO, S_COMMON },
	[EL_CITE] =	  { "cite", K_ALLOW, 0, S_COMMON },
	[EL_CODE] =	  { "code", K_ALLOW, BO, S_COMMON },
	[EL_COL] =	  { "col", K_ALLOW, F_VOID | SP, S_COMMON },
	[EL_COLGROUP] =	  { "colgroup", K_ALLOW, SP, S_COMMON },
	[EL_DD] =	  { "dd", K_ALLOW, SP | CP | BO, S_COMMON },
	[EL_DIV] =	  { "div", K_ALLOW, SP | CP | BO, S_COMMON },
	[EL_DL] =	  { "dl", K_ALLOW, SP | CP | BO, S_COMMON },
	[EL_DT] =	  { "dt", K_ALLOW, SP | CP | BO, S_COMMON },
	[EL_EM] =	  { "em", K_ALLOW, BO, S_COMMON },
	[EL_FONT] =	  { "font", K_ALLOW, 0, S_FONT },
	[EL_H1] =	  { "h1", K_ALLOW, SP | CP | BO, S_COMMON },
	[EL_H2] =	  { "h2", K_ALLOW, SP | CP | BO, S_COMMON },
	[EL_H3] =	  { "h3", K_ALLOW, SP | CP | BO, S_COMMON },
	[EL_H4] =	  { "h4", K_ALLOW, SP | CP | BO, S_COMMON },
	[EL_H5] =	  { "h5", K_ALLOW, SP | CP | BO, S_COMMON },
	[EL_H6] =	  { "h6", K_ALLOW, SP | CP | BO, S_COMMON },
	[EL_HR] =	  { "hr", K_ALLOW, F_VOID | SP | CP | BO, S_COMMON },
	[EL_I] =	  { "i", K_ALLOW, BO, S_COMMON },
	[EL_IMG] =	  { "img", K_ALLOW, F_VOID | SP | BO, S_COMMON | S_IMG },
	[EL_LI] =	  { "li", K_ALLOW, SP | CP | BO, S_COMMON },
	[EL_OL] =	  { "ol", K_ALLOW, SP | CP | BO, S_COMMON },
	[EL_P] =	  { "p", K_ALLOW, SP | CP | BO, S_COMMON },
	[EL_PRE] =	  { "pre", K_ALLOW, SP | CP | BO, S_COMMON },
	[EL_Q] =	  { "q", K_ALLOW, 0, S_COMMON },
	[EL_S] =	  { "s", K_ALLOW, BO, S_COMMON },
	[EL_SMALL] =	  { "small", K_ALLOW, BO, S_COMMON },
	[EL_SPAN] =	  { "span", K_ALLOW, BO, S_COMMON },
	[EL_STRIKE] =	  { "strike", K_ALLOW, BO, S_COMMON },
	[EL_STRONG] =	  { "strong", K_ALLOW, BO, S_COMMON },
	[EL_SUB] =	  { "sub", K_ALLOW, BO, S_COMMON },
	[EL_SUP] =	  { "sup", K_ALLOW, BO, S_COMMON },
	[EL_TABLE] =	  { "table", K_ALLOW, SP | BO | F_SCOPE, S_COMMON },
	[EL_TBODY] =	  { "tbody", K_ALLOW, SP, S_COMMON },
	[EL_TD] =	  { "td", K_ALLOW, SP | F_SCOPE, S_COMMON },
	[EL_TFOOT] =	  { "tfoot", K_ALLOW, SP, S_COMMON },
	[EL_TH] =	  { "th", K_ALLOW, SP | F_SCOPE, S_COMMON },
	[EL_THEAD] =	  { "thead", K_ALLOW, SP, S_COMMON },
	[EL_TR] =	  { "tr", K_ALLOW, SP, S_COMMON },
	[EL_TT] =	  { "tt", K_ALLOW, BO, S_COMMON },
	[EL_U] =	  { "u", K_ALLOW, BO, S_COMMON },
	[EL_UL] =	  { "ul", K_ALLOW, SP | CP | BO, S_COMMON },
	[EL_SCRIPT] =	  { "script", K_RAWTEXT, 0, 0 },
	[EL_STYLE] =	  { "style", K_RAWTEXT, 0, 0 },
	[EL_TEXTAREA] =	  { "textarea", K_RAWTEXT, 0, 0 },
	[EL_TITLE] =	  { "title", K_RAWTEXT, 0, 0 },
	[EL_IFRAME] =	  { "iframe", K_RAWTEXT, 0, 0 },
	[EL_NOEMBED] =	  { "noembed", K_RAWTEXT, 0, 0 },
	[EL_NOFRAMES] =	  { "noframes", K_RAWTEXT, 0, 0 },
	[EL_NOSCRIPT] =	  { "noscript", K_RAWTEXT, 0, 0 },
	[EL_OBJECT] =	  { "object", K_SKIP, 0, 0 },
	[EL_APPLET] =	  { "applet", K_SKIP, 0, 0 },
	[EL_TEMPLATE] =	  { "template", K_SKIP, 0, 0 },
	[EL_SELECT] =	  { "select", K_SKIP, 0, 0 },
	[EL_FRAMESET] =	  { "frameset", K_SKIP, 0, 0 },
	[EL_SVG] =	  { "svg", K_FOREIGN, 0, 0 },
	[EL_MATH] =	  { "math", K_FOREIGN, 0, 0 },
};
#undef SP
#undef CP
#undef BO

/* How an attribute's decoded value is checked. */
enum { V_TEXT, V_DIR, V_LANG, V_WORD, V_LENGTH, V_COLOR, V_FACE, V_STYLE,
    V_HREF, V_SRC };

struct attribute {
	const char	*name;
	unsigned char	 check;
	unsigned char	 scope;
};

/* At most 32 entries: a tag's seen attributes are a bitmask. */
static const struct attribute attributes[] = {
	{ "title",	 V_TEXT,   S_COMMON },
	{ "dir",	 V_DIR,	   S_COMMON },
	{ "lang",	 V_LANG,   S_COMMON },
	{ "align",	 V_WORD,   S_COMMON },
	{ "valign",	 V_WORD,   S_COMMON },
	{ "width",	 V_LENGTH, S_COMMON },
	{ "height",	 V_LENGTH, S_COMMON },
	{ "colspan",	 V_LENGTH, S_COMMON },
	{ "rowspan",	 V_LENGTH, S_COMMON },
	{ "border",	 V_LENGTH, S_COMMON },
	{ "cellpadding", V_LENGTH, S_COMMON },
	{ "cellspacing", V_LENGTH, S_COMMON },
	{ "bgcolor",	 V_COLOR,  S_COMMON },
	{ "color",	 V_COLOR,  S_COMMON | S_FONT },
	{ "style",	 V_STYLE,  S_COMMON },
	{ "href",	 V_HREF,   S_A },
	{ "src",	 V_SRC,	   S_IMG },
	{ "alt",	 V_TEXT,   S_IMG },
	{ "size",	 V_LENGTH, S_FONT },
	{ "face",	 V_FACE,   S_FONT },
};
#define NATTRIBUTES	(sizeof(attributes) / sizeof(attributes[0]))

/*
 * Named character references: HTML 4's set plus the HTML5 names that
 * spell URL punctuation (&colon; &Tab; ...), sorted by strcmp for
 * bsearch.  legacy: HTML also recognises the name without ';'.  A name
 * not here is left literal (its '&' is escaped), so an unknown reference
 * can never turn into something that was not checked.
 */
struct entity {
	const char	*name;
	uint32_t	 cp;
	int		 legacy;
};

static const struct entity entities[] = {
	{ "AElig", 0x00c6, 1 },
	{ "AMP", 0x0026, 1 },
	{ "Aacute", 0x00c1, 1 },
	{ "Acirc", 0x00c2, 1 },
	{ "Agrave", 0x00c0, 1 },
	{ "Alpha", 0x0391, 0 },
	{ "Aring", 0x00c5, 1 },
	{ "Atilde", 0x00c3, 1 },
	{ "Auml", 0x00c4, 1 },
	{ "Beta", 0x0392, 0 },
	{ "COPY", 0x00a9, 1 },
	{ "Ccedil", 0x00c7, 1 },
	{ "Chi", 0x03a7, 0 },
	{ "Dagger", 0x2021, 0 },
	{ "Delta", 0x0394, 0 },
	{ "ETH", 0x00d0, 1 },
	{ "Eacute", 0x00c9, 1 },
	{ "Ecirc", 0x00ca, 1 },
	{ "Egrave", 0x00c8, 1 },
	{ "Epsilon", 0x0395, 0 },
	{ "Eta", 0x0397, 0 },
	{ "Euml", 0x00cb, 1 },
	{ "GT", 0x003e, 1 },
	{ "Gamma", 0x0393, 0 },
	{ "Hat", 0x005e, 0 },
	{ "Iacute", 0x00cd, 1 },
	{ "Icirc", 0x00ce, 1 },
	{ "Igrave", 0x00cc, 1 },
	{ "Iota", 0x0399, 0 },
	{ "Iuml", 0x00cf, 1 },
	{ "Kappa", 0x039a, 0 },
	{ "LT", 0x003c, 1 },
	{ "Lambda", 0x039b, 0 },
	{ "Mu", 0x039c, 0 },
	{ "NewLine", 0x000a, 0 },
	{ "Ntilde", 0x00d1, 1 },
	{ "Nu", 0x039d, 0 },
	{ "OElig", 0x0152, 0 },
	{ "Oacute", 0x00d3, 1 },
	{ "Ocirc", 0x00d4, 1 },
	{ "Ograve", 0x00d2, 1 },
	{ "Omega", 0x03a9, 0 },
	{ "Omicron", 0x039f, 0 },
	{ "Oslash", 0x00d8, 1 },
	{ "Otilde", 0x00d5, 1 },
	{ "Ouml", 0x00d6, 1 },
	{ "Phi", 0x03a6, 0 },
	{ "Pi", 0x03a0, 0 },
	{ "Prime", 0x2033, 0 },
	{ "Psi", 0x03a8, 0 },
	{ "QUOT", 0x0022, 1 },
	{ "REG", 0x00ae, 1 },
	{ "Rho", 0x03a1, 0 },
	{ "Scaron", 0x0160, 0 },
	{ "Sigma", 0x03a3, 0 },
	{ "THORN", 0x00de, 1 },
	{ "Tab", 0x0009, 0 },
	{ "Tau", 0x03a4, 0 },
	{ "Theta", 0x0398, 0 },
	{ "Uacute", 0x00da, 1 },
	{ "Ucirc", 0x00db, 1 },
	{ "Ugrave", 0x00d9, 1 },
	{ "Upsilon", 0x03a5, 0 },
	{ "Uuml", 0x00dc, 1 },
	{ "Xi", 0x039e, 0 },
	{ "Yacute", 0x00dd, 1 },
	{ "Yuml", 0x0178, 0 },
	{ "Zeta", 0x0396, 0 },
	{ "aacute", 0x00e1, 1 },
	{ "acirc", 0x00e2, 1 },
	{ "acute", 0x00b4, 1 },
	{ "aelig", 0x00e6, 1 },
	{ "agrave", 0x00e0, 1 },
	{ "alefsym", 0x2135, 0 },
	{ "alpha", 0x03b1, 0 },
	{ "amp", 0x0026, 1 },
	{ "and", 0x2227, 0 },
	{ "ang", 0x2220, 0 },
	{ "apos", 0x0027, 0 },
	{ "aring", 0x00e5, 1 },
	{ "ast", 0x002a, 0 },
	{ "asymp", 0x2248, 0 },
	{ "atilde", 0x00e3, 1 },
	{ "auml", 0x00e4, 1 },
	{ "bdquo", 0x201e, 0 },
	{ "beta", 0x03b2, 0 },
	{ "brvbar", 0x00a6, 1 },
	{ "bsol", 0x005c, 0 },
	{ "bull", 0x2022, 0 },
	{ "cap", 0x2229, 0 },
	{ "ccedil", 0x00e7, 1 },
	{ "cedil", 0x00b8, 1 },
	{ "cent", 0x00a2, 1 },
	{ "chi", 0x03c7, 0 },
	{ "circ", 0x02c6, 0 },
	{ "clubs", 0x2663, 0 },
	{ "colon", 0x003a, 0 },
	{ "comma", 0x002c, 0 },
	{ "commat", 0x0040, 0 },
	{ "cong", 0x2245, 0 },
	{ "copy", 0x00a9, 1 },
	{ "crarr", 0x21b5, 0 },
	{ "cup", 0x222a, 0 },
	{ "curren", 0x00a4, 1 },
	{ "dArr", 0x21d3, 0 },
	{ "dagger", 0x2020, 0 },
	{ "darr", 0x2193, 0 },
	{ "deg", 0x00b0, 1 },
	{ "delta", 0x03b4, 0 },
	{ "diams", 0x2666, 0 },
	{ "divide", 0x00f7, 1 },
	{ "dollar", 0x0024, 0 },
	{ "eacute", 0x00e9, 1 },
	{ "ecirc", 0x00ea, 1 },
	{ "egrave", 0x00e8, 1 },
	{ "empty", 0x2205, 0 },
	{ "emsp", 0x2003, 0 },
	{ "ensp", 0x2002, 0 },
	{ "epsilon", 0x03b5, 0 },
	{ "equals", 0x003d, 0 },
	{ "equiv", 0x2261, 0 },
	{ "eta", 0x03b7, 0 },
	{ "eth", 0x00f0, 1 },
	{ "euml", 0x00eb, 1 },
	{ "euro", 0x20ac, 0 },
	{ "excl", 0x0021, 0 },
	{ "exist", 0x2203, 0 },
	{ "fnof", 0x0192, 0 },
	{ "forall", 0x2200, 0 },
	{ "frac12", 0x00bd, 1 },
	{ "frac14", 0x00bc, 1 },
	{ "frac34", 0x00be, 1 },
	{ "frasl", 0x2044, 0 },
	{ "gamma", 0x03b3, 0 },
	{ "ge", 0x2265, 0 },
	{ "grave", 0x0060, 0 },
	{ "gt", 0x003e, 1 },
	{ "hArr", 0x21d4, 0 },
	{ "harr", 0x2194, 0 },
	{ "hearts", 0x2665, 0 },
	{ "hellip", 0x2026, 0 },
	{ "iacute", 0x00ed, 1 },
	{ "icirc", 0x00ee, 1 },
	{ "iexcl", 0x00a1, 1 },
	{ "igrave", 0x00ec, 1 },
	{ "image", 0x2111, 0 },
	{ "infin", 0x221e, 0 },
	{ "int", 0x222b, 0 },
	{ "iota", 0x03b9, 0 },
	{ "iquest", 0x00bf, 1 },
	{ "isin", 0x2208, 0 },
	{ "iuml", 0x00ef, 1 },
	{ "kappa", 0x03ba, 0 },
	{ "lArr", 0x21d0, 0 },
	{ "lambda", 0x03bb, 0 },
	{ "lang", 0x27e8, 0 },
	{ "laquo", 0x00ab, 1 },
	{ "larr", 0x2190, 0 },
	{ "lceil", 0x2308, 0 },
	{ "lcub", 0x007b, 0 },
	{ "ldquo", 0x201c, 0 },
	{ "le", 0x2264, 0 },
	{ "lfloor", 0x230a, 0 },
	{ "lowast", 0x2217, 0 },
	{ "lowbar", 0x005f, 0 },
	{ "loz", 0x25ca, 0 },
	{ "lpar", 0x0028, 0 },
	{ "lrm", 0x200e, 0 },
	{ "lsaquo", 0x2039, 0 },
	{ "lsqb", 0x005b, 0 },
	{ "lsquo", 0x2018, 0 },
	{ "lt", 0x003c, 1 },
	{ "macr", 0x00af, 1 },
	{ "mdash", 0x2014, 0 },
	{ "micro", 0x00b5, 1 },
	{ "middot", 0x00b7, 1 },
	{ "minus", 0x2212, 0 },
	{ "mu", 0x03bc, 0 },
	{ "nabla", 0x2207, 0 },
	{ "nbsp", 0x00a0, 1 },
	{ "ndash", 0x2013, 0 },
	{ "ne", 0x2260, 0 },
	{ "ni", 0x220b, 0 },
	{ "not", 0x00ac, 1 },
	{ "notin", 0x2209, 0 },
	{ "nsub", 0x2284, 0 },
	{ "ntilde", 0x00f1, 1 },
	{ "nu", 0x03bd, 0 },
	{ "num", 0x0023, 0 },
	{ "oacute", 0x00f3, 1 },
	{ "ocirc", 0x00f4, 1 },
	{ "oelig", 0x0153, 0 },
	{ "ograve", 0x00f2, 1 },
	{ "oline", 0x203e, 0 },
	{ "omega", 0x03c9, 0 },
	{ "omicron", 0x03bf, 0 },
	{ "oplus", 0x2295, 0 },
	{ "or", 0x2228, 0 },
	{ "ordf", 0x00aa, 1 },
	{ "ordm", 0x00ba, 1 },
	{ "oslash", 0x00f8, 1 },
	{ "otilde", 0x00f5, 1 },
	{ "otimes", 0x2297, 0 },
	{ "ouml", 0x00f6, 1 },
	{ "para", 0x00b6, 1 },
	{ "part", 0x2202, 0 },
	{ "percnt", 0x0025, 0 },
	{ "period", 0x002e, 0 },
	{ "permil", 0x2030, 0 },
	{ "perp", 0x22a5, 0 },
	{ "phi", 0x03c6, 0 },
	{ "pi", 0x03c0, 0 },
	{ "piv", 0x03d6, 0 },
	{ "plus", 0x002b, 0 },
	{ "plusmn", 0x00b1, 1 },
	{ "pound", 0x00a3, 1 },
	{ "prime", 0x2032, 0 },
	{ "prod", 0x220f, 0 },
	{ "prop", 0x221d, 0 },
	{ "psi", 0x03c8, 0 },
	{ "quest", 0x003f, 0 },
	{ "quot", 0x0022, 1 },
	{ "rArr", 0x21d2, 0 },
	{ "radic", 0x221a, 0 },
	{ "rang", 0x27e9, 0 },
	{ "raquo", 0x00bb, 1 },
	{ "rarr", 0x2192, 0 },
	{ "rceil", 0x2309, 0 },
	{ "rcub", 0x007d, 0 },
	{ "rdquo", 0x201d, 0 },
	{ "real", 0x211c, 0 },
	{ "reg", 0x00ae, 1 },
	{ "rfloor", 0x230b, 0 },
	{ "rho", 0x03c1, 0 },
	{ "rlm", 0x200f, 0 },
	{ "rpar", 0x0029, 0 },
	{ "rsaquo", 0x203a, 0 },
	{ "rsqb", 0x005d, 0 },
	{ "rsquo", 0x2019, 0 },
	{ "sbquo", 0x201a, 0 },
	{ "scaron", 0x0161, 0 },
	{ "sdot", 0x22c5, 0 },
	{ "sect", 0x00a7, 1 },
	{ "semi", 0x003b, 0 },
	{ "shy", 0x00ad, 1 },
	{ "sigma", 0x03c3, 0 },
	{ "sigmaf", 0x03c2, 0 },
	{ "sim", 0x223c, 0 },
	{ "sol", 0x002f, 0 },
	{ "spades", 0x2660, 0 },
	{ "sub", 0x2282, 0 },
	{ "sube", 0x2286, 0 },
	{ "sum", 0x2211, 0 },
	{ "sup", 0x2283, 0 },
	{ "sup1", 0x00b9, 1 },
	{ "sup2", 0x00b2, 1 },
	{ "sup3", 0x00b3, 1 },
	{ "supe", 0x2287, 0 },
	{ "szlig", 0x00df, 1 },
	{ "tau", 0x03c4, 0 },
	{ "there4", 0x2234, 0 },
	{ "theta", 0x03b8, 0 },
	{ "thetasym", 0x03d1, 0 },
	{ "thinsp", 0x2009, 0 },
	{ "thorn", 0x00fe, 1 },
	{ "tilde", 0x02dc, 0 },
	{ "times", 0x00d7, 1 },
	{ "trade", 0x2122, 0 },
	{ "uArr", 0x21d1, 0 },
	{ "uacute", 0x00fa, 1 },
	{ "uarr", 0x2191, 0 },
	{ "ucirc", 0x00fb, 1 },
	{ "ugrave", 0x00f9, 1 },
	{ "uml", 0x00a8, 1 },
	{ "upsih", 0x03d2, 0 },
	{ "upsilon", 0x03c5, 0 },
	{ "uuml", 0x00fc, 1 },
	{ "verbar", 0x007c, 0 },
	{ "weierp", 0x2118, 0 },
	{ "xi", 0x03be, 0 },
	{ "yacute", 0x00fd, 1 },
	{ "yen", 0x00a5, 1 },
	{ "yuml", 0x00ff, 1 },
	{ "zeta", 0x03b6, 0 },
	{ "zwj", 0x200d, 0 },
	{ "zwnj", 0x200c, 0 },
};
#define NENTITIES	(sizeof(entities) / sizeof(entities[0]))

/* Numeric references to C1 controls mean Windows-1252, as in HTML. */
static const uint16_t c1_map[32] = {
	0x20ac, 0x0081, 0x201a, 0x0192, 0x201e, 0x2026, 0x2020, 0x2021,
	0x02c6, 0x2030, 0x0160, 0x2039, 0x0152, 0x008d, 0x017d, 0x008f,
	0x0090, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014,
	0x02dc, 0x2122, 0x0161, 0x203a, 0x0153, 0x009d, 0x017e, 0x0178,
};

struct tagstate {
	int		 el;
	uint32_t	 seen;		/* attributes already met (first wins) */
	int		 href_ok;
	int		 src_ok;
};

struct sanitizer {
	const char	*in;		/* valid UTF-8, no NUL */
	size_t		 len;
	size_t		 pos;
	struct buf	 out;
	struct buf	 tag;		/* the start tag being rebuilt */
	struct buf	 val;		/* an attribute value, decoded */
	struct buf	 tmp;		/* a value being filtered */
	sanitize_cid_fn	 cid_url;
	void		*arg;
	unsigned char	 stack[SANITIZE_MAX_DEPTH];
	size_t		 depth;
	unsigned	 open[EL_NALLOW];	/* open elements of each kind */
	int		 skip;		/* element whose content is dropped */
	unsigned	 skip_depth;
};

#define REPLACEMENT	"\xef\xbf\xbd"	/* U+FFFD */

/* Buffers: an allocation failure sticks and turns later adds into no-ops. */

static int
buf_reserve(struct buf *b, size_t n)
{
	size_t	 cap;
	char	*np;

	if (b->oom)
		return -1;
	if (b->cap - b->len >= n)
		return 0;
	cap = b->cap != 0 ? b->cap : 256;
	while (cap - b->len < n) {
		if (cap > SIZE_MAX / 2) {
			b->oom = 1;
			return -1;
		}
		cap *= 2;
	}
	if ((np = realloc(b->p, cap)) == NULL) {
		b->oom = 1;
		return -1;
	}
	b->p = np;
	b->cap = cap;
	return 0;
}

static void
buf_add(struct buf *b, const void *p, size_t n)
{
	if (n == 0 || buf_reserve(b, n) == -1)
		return;
	memcpy(b->p + b->len, p, n);
	b->len += n;
}

static void
buf_addc(struct buf *b, char c)
{
	if (buf_reserve(b, 1) == -1)
		return;
	b->p[b->len++] = c;
}

static void
buf_adds(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

/* A string literal, its length known at compile time. */
#define buf_addlit(b, lit)	buf_add((b), (lit), sizeof(lit) - 1)

static void
buf_add_utf8(struct buf *b, uint32_t cp)
{
	char	 u[4];

	if (cp < 0x80) {
		buf_addc(b, (char)cp);
	} else if (cp < 0x800) {
		u[0] = (char)(0xc0 | (cp >> 6));
		u[1] = (char)(0x80 | (cp & 0x3f));
		buf_add(b, u, 2);
	} else if (cp < 0x10000) {
		u[0] = (char)(0xe0 | (cp >> 12));
		u[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		u[2] = (char)(0x80 | (cp & 0x3f));
		buf_add(b, u, 3);
	} else {
		u[0] = (char)(0xf0 | (cp >> 18));
		u[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		u[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
		u[3] = (char)(0x80 | (cp & 0x3f));
		buf_add(b, u, 4);
	}
}

/* ASCII only: the locale must not change what a tag name is. */

static int
is_ws(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r';
}

static int
is_alpha(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int
is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

static int
is_alnum(unsigned char c)
{
	return is_alpha(c) || is_digit(c);
}

static int
hex_value(unsigned char c)
{
	if (is_digit(c))
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static unsigned char
to_lower(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

/* A C0 control other than tab, LF and CR, or DEL. */
static int
is_ctl(unsigned char c)
{
	return (c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7f;
}

/* s (any case) equals the lower-case lit. */
static int
ci_equal(const char *s, size_t n, const char *lit)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		if (lit[i] == '\0' || to_lower(s[i]) != (unsigned char)lit[i])
			return 0;
	return lit[n] == '\0';
}

static int
ci_prefix(const char *s, size_t n, const char *lit)
{
	size_t	 i;

	for (i = 0; lit[i] != '\0'; i++)
		if (i >= n || to_lower(s[i]) != (unsigned char)lit[i])
			return 0;
	return 1;
}

/* Bounded by strlen(lit) per position: linear for the short literals used. */
static int
ci_contains(const char *s, size_t n, const char *lit)
{
	size_t	 i, m = strlen(lit);

	for (i = 0; i + m <= n; i++)
		if (ci_prefix(s + i, n - i, lit))
			return 1;
	return 0;
}

static void
trim(const char **s, size_t *n)
{
	while (*n > 0 && is_ws((unsigned char)**s)) {
		(*s)++;
		(*n)--;
	}
	while (*n > 0 && is_ws((unsigned char)(*s)[*n - 1]))
		(*n)--;
}

/*
 * The input as valid UTF-8 without NUL: each byte that does not start a
 * well-formed sequence (no overlongs, surrogates or values past U+10FFFF)
 * and each NUL becomes U+FFFD.
 */
static void
utf8_clean(struct buf *b, const unsigned char *in, size_t len)
{
	size_t		 i = 0, start, need, k;
	unsigned char	 c, lo, hi;

	if (buf_reserve(b, len + 1) == -1)
		return;
	while (i < len) {
		start = i;
		while (i < len && in[i] != 0 && in[i] < 0x80)
			i++;
		buf_add(b, in + start, i - start);
		if (i >= len)
			break;
		c = in[i];
		lo = 0x80;
		hi = 0xbf;
		if (c >= 0xc2 && c <= 0xdf)
			need = 1;
		else if (c >= 0xe0 && c <= 0xef) {
			need = 2;
			if (c == 0xe0)
				lo = 0xa0;
			else if (c == 0xed)
				hi = 0x9f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			need = 3;
			if (c == 0xf0)
				lo = 0x90;
			else if (c == 0xf4)
				hi = 0x8f;
		} else
			need = 0;
		if (need == 0 || len - i <= need ||
		    in[i + 1] < lo || in[i + 1] > hi) {
			buf_addlit(b, REPLACEMENT);
			i++;
			continue;
		}
		for (k = 2; k <= need; k++)
			if (in[i + k] < 0x80 || in[i + k] > 0xbf)
				break;
		if (k <= need) {
			buf_addlit(b, REPLACEMENT);
			i++;
			continue;
		}
		buf_add(b, in + i, need + 1);
		i += need + 1;
	}
}

/*
 * name[0..n) lower-cased into lc (size NAME_LC_MAX + 1); 0 if it is too
 * long to be any name in the tables.
 */
#define NAME_LC_MAX	12
static int
name_lower(const char *name, size_t n, char *lc)
{
	size_t	 i;

	if (n == 0 || n > NAME_LC_MAX)
		return 0;
	for (i = 0; i < n; i++)
		lc[i] = (char)to_lower(name[i]);
	lc[n] = '\0';
	return 1;
}

static int
element_find(const char *name, size_t n)
{
	char	 lc[NAME_LC_MAX + 1];
	int	 i;

	if (!name_lower(name, n, lc))
		return -1;
	for (i = 0; i < EL_COUNT; i++)
		if (elements[i].name[0] == lc[0] &&
		    strcmp(elements[i].name, lc) == 0)
			return i;
	return -1;
}

static int
attribute_find(const char *name, size_t n)
{
	char	 lc[NAME_LC_MAX + 1];
	size_t	 i;

	if (!name_lower(name, n, lc))
		return -1;
	for (i = 0; i < NATTRIBUTES; i++)
		if (attributes[i].name[0] == lc[0] &&
		    strcmp(attributes[i].name, lc) == 0)
			return (int)i;
	return -1;
}

struct entity_key {
	const char	*name;
	size_t		 len;
};

static int
entity_cmp(const void *k, const void *e)
{
	const struct entity_key	*key = k;
	const char		*name = ((const struct entity *)e)->name;
	size_t			 n = strlen(name);
	int			 r;

	r = memcmp(key->name, name, key->len < n ? key->len : n);
	if (r != 0)
		return r;
	return key->len < n ? -1 : key->len > n;
}

/* Exact, case-sensitive, as in HTML. */
static const struct entity *
entity_find(const char *name, size_t n)
{
	struct entity_key	 key = { name, n };

	return bsearch(&key, entities, NENTITIES, sizeof(entities[0]),
	    entity_cmp);
}

/* Longest legacy name that prefixes name[0..n): its length, or 0. */
static size_t
entity_legacy(const char *name, size_t n, uint32_t *cp)
{
	const struct entity	*e;
	size_t			 k;

	for (k = n < LEGACY_NAME_MAX ? n : LEGACY_NAME_MAX; k >= 2; k--) {
		if ((e = entity_find(name, k)) != NULL && e->legacy) {
			*cp = e->cp;
			return k;
		}
	}
	return 0;
}

static uint32_t
codepoint_fix(uint32_t v)
{
	if (v == 0 || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
		return 0xfffd;
	if (v >= 0x80 && v <= 0x9f)
		return c1_map[v - 0x80];
	return v;
}

/*
 * "&#N" or "&#xH" with an optional ';' at s[0..n): the bytes used, or 0
 * if there are no digits.
 */
static size_t
ref_numeric(const char *s, size_t n, uint32_t *cp)
{
	size_t		 i = 2, start;
	uint32_t	 v = 0;
	int		 base = 10, d;

	if (i < n && (s[i] == 'x' || s[i] == 'X')) {
		base = 16;
		i++;
	}
	for (start = i; i < n; i++) {
		d = base == 16 ? hex_value(s[i]) :
		    is_digit(s[i]) ? s[i] - '0' : -1;
		if (d < 0)
			break;
		/* Saturate: the value is invalid past U+10FFFF anyway. */
		v = v > 0x10ffff ? 0x110000 : v * base + d;
	}
	if (i == start)
		return 0;
	if (i < n && s[i] == ';')
		i++;
	*cp = codepoint_fix(v);
	return i;
}

/* Length of the ASCII alphanumeric name at s[1..n), at most REF_NAME_MAX+1. */
static size_t
ref_name_len(const char *s, size_t n)
{
	size_t	 k = 1;

	while (k < n && k <= REF_NAME_MAX + 1 && is_alnum(s[k]))
		k++;
	return k - 1;
}

static void
put_cp_text(struct buf *b, uint32_t cp)
{
	if (cp == '<')
		buf_addlit(b, "&lt;");
	else if (cp == '>')
		buf_addlit(b, "&gt;");
	else if (cp == '&')
		buf_addlit(b, "&amp;");
	else if (cp < 0x80 && is_ctl((unsigned char)cp))
		buf_addlit(b, REPLACEMENT);
	else
		buf_add_utf8(b, cp);
}

/*
 * A character reference in text at s[0] == '&': numeric ones are decoded,
 * a well-formed "&name;" is kept as it is (in text it can only ever mean
 * a character), a legacy name without ';' is decoded, and any other '&'
 * is escaped.  Returns the bytes used.
 */
static size_t
text_ref(struct buf *b, const char *s, size_t n)
{
	uint32_t	 cp;
	size_t		 k, m;

	if (n >= 2 && s[1] == '#') {
		if ((k = ref_numeric(s, n, &cp)) == 0)
			goto amp;
		put_cp_text(b, cp);
		return k;
	}
	if (n < 2 || !is_alpha(s[1]))
		goto amp;
	k = ref_name_len(s, n);
	if (k <= REF_NAME_MAX && 1 + k < n && s[1 + k] == ';') {
		buf_add(b, s, k + 2);
		return k + 2;
	}
	if ((m = entity_legacy(s + 1, k, &cp)) != 0) {
		put_cp_text(b, cp);
		return 1 + m;
	}
amp:
	buf_addlit(b, "&amp;");
	return 1;
}

static void
emit_text(struct buf *b, const char *s, size_t n)
{
	size_t		 i = 0, start;
	unsigned char	 c;

	while (i < n) {
		start = i;
		while (i < n && (c = s[i]) != '&' && c != '<' && c != '>' &&
		    !is_ctl(c))
			i++;
		buf_add(b, s + start, i - start);
		if (i >= n)
			break;
		c = s[i];
		if (c == '&') {
			i += text_ref(b, s + i, n - i);
			continue;
		}
		if (c == '<')
			buf_addlit(b, "&lt;");
		else if (c == '>')
			buf_addlit(b, "&gt;");
		else
			buf_addlit(b, REPLACEMENT);
		i++;
	}
}

/* An attribute value with its references decoded as HTML does, into b. */
static void
attr_decode(struct buf *b, const char *s, size_t n)
{
	const struct entity	*e;
	uint32_t		 cp;
	size_t			 i = 0, start, k, m;

	b->len = 0;
	while (i < n) {
		start = i;
		while (i < n && s[i] != '&')
			i++;
		buf_add(b, s + start, i - start);
		if (i >= n)
			break;
		if (i + 1 < n && s[i + 1] == '#') {
			if ((k = ref_numeric(s + i, n - i, &cp)) != 0) {
				buf_add_utf8(b, cp);
				i += k;
				continue;
			}
		} else if (i + 1 < n && is_alpha(s[i + 1])) {
			k = ref_name_len(s + i, n - i);
			if (k <= REF_NAME_MAX && i + 1 + k < n &&
			    s[i + 1 + k] == ';' &&
			    (e = entity_find(s + i + 1, k)) != NULL) {
				buf_add_utf8(b, e->cp);
				i += k + 2;
				continue;
			}
			/* Without ';' HTML leaves "&copy=" and "&copyx" alone. */
			m = entity_legacy(s + i + 1, k, &cp);
			if (m != 0 && !(i + 1 + m < n &&
			    (is_alnum(s[i + 1 + m]) || s[i + 1 + m] == '='))) {
				buf_add_utf8(b, cp);
				i += 1 + m;
				continue;
			}
		}
		buf_addc(b, '&');
		i++;
	}
}

/* Everything that could end or confuse a double-quoted value is escaped. */
static void
put_attr_escaped(struct buf *b, const char *s, size_t n)
{
	size_t		 i = 0, start;
	unsigned char	 c;

	while (i < n) {
		start = i;
		while (i < n && (c = s[i]) != '&' && c != '<' && c != '>' &&
		    c != '"' && c != '\'' && c != '`' && !is_ctl(c))
			i++;
		buf_add(b, s + start, i - start);
		if (i >= n)
			break;
		switch (s[i]) {
		case '&':
			buf_addlit(b, "&amp;");
			break;
		case '<':
			buf_addlit(b, "&lt;");
			break;
		case '>':
			buf_addlit(b, "&gt;");
			break;
		case '"':
			buf_addlit(b, "&quot;");
			break;
		case '\'':
			buf_addlit(b, "&#39;");
			break;
		case '`':
			buf_addlit(b, "&#96;");
			break;
		default:
			buf_addlit(b, REPLACEMENT);
			break;
		}
		i++;
	}
}

static void
put_attr(struct buf *b, const char *name, const char *v, size_t n)
{
	buf_addc(b, ' ');
	buf_adds(b, name);
	buf_addlit(b, "=\"");
	put_attr_escaped(b, v, n);
	buf_addc(b, '"');
}

/* Every byte of s[0..n) is in the set, or (allow8) is non-ASCII. */
static int
chars_in(const char *s, size_t n, const char *set, int allow8)
{
	size_t		 i;
	unsigned char	 c;

	for (i = 0; i < n; i++) {
		c = s[i];
		if (c >= 0x80 ? !allow8 :
		    (!is_alnum(c) && (c == '\0' || strchr(set, c) == NULL)))
			return 0;
	}
	return 1;
}

/*
 * URLs: HTML drops tabs and newlines anywhere and controls and spaces at
 * the ends; dropping every control and the end spaces here, and emitting
 * the result, means the browser sees exactly the string checked.
 */
static void
url_clean(struct buf *dst, const char *s, size_t n)
{
	size_t		 i;
	unsigned char	 c;

	dst->len = 0;
	while (n > 0 && ((unsigned char)*s <= 0x20 || *s == 0x7f)) {
		s++;
		n--;
	}
	while (n > 0 && ((unsigned char)s[n - 1] <= 0x20 || s[n - 1] == 0x7f))
		n--;
	for (i = 0; i < n; i++) {
		c = s[i];
		if (c >= 0x20 && c != 0x7f)
			buf_addc(dst, (char)c);
	}
}

static int
href_allowed(const char *u, size_t n)
{
	const char	*colon;

	if (n == 0 || n > HREF_MAX)
		return 0;
	if ((colon = memchr(u, ':', n)) == NULL)
		return 0;		/* relative: nothing to resolve against */
	n = (size_t)(colon - u);
	return ci_equal(u, n, "http") || ci_equal(u, n, "https") ||
	    ci_equal(u, n, "mailto");
}

/* %XX decoding in place (RFC 2392 cid URLs); returns the new length. */
static size_t
percent_decode(char *s, size_t n)
{
	size_t	 i, o = 0;
	int	 h, l;

	for (i = 0; i < n; i++) {
		if (s[i] == '%' && i + 2 < n &&
		    (h = hex_value(s[i + 1])) >= 0 &&
		    (l = hex_value(s[i + 2])) >= 0) {
			s[o++] = (char)(h * 16 + l);
			i += 2;
		} else
			s[o++] = s[i];
	}
	return o;
}

static int
cid_allowed(const char *cid, size_t n)
{
	size_t	 i;

	if (n == 0 || n > CID_MAX)
		return 0;
	for (i = 0; i < n; i++)
		if ((unsigned char)cid[i] < 0x20 || cid[i] == 0x7f)
			return 0;
	return 1;
}

/* Largest data: URL the callback may hand back for an inline image. */
#define CID_DATA_MAX	(16 * 1024 * 1024)

/*
 * The callback's URL: a same-origin path in printable ASCII, or a base64
 * data: URL of a raster image (a sandboxed frame has no cookies, so the
 * portal inlines the image itself).
 */
static int
cid_result_allowed(const char *u)
{
	static const char *const types[] = { "png;", "gif;", "jpeg;", "webp;" };
	size_t	 i, t, k;

	if (u == NULL)
		return 0;
	if (strncmp(u, "data:image/", 11) == 0) {
		for (t = 0; t < sizeof(types) / sizeof(types[0]); t++)
			if (strncmp(u + 11, types[t], strlen(types[t])) == 0)
				break;
		if (t == sizeof(types) / sizeof(types[0]))
			return 0;
		k = 11 + strlen(types[t]);
		if (strncmp(u + k, "base64,", 7) != 0)
			return 0;
		for (i = k + 7; u[i] != '\0'; i++)
			if (!is_alnum(u[i]) && u[i] != '+' && u[i] != '/' &&
			    u[i] != '=')
				return 0;
		return i > k + 7 && i <= CID_DATA_MAX;
	}
	if (u[0] != '/' || u[1] == '/' || u[1] == '\\')
		return 0;
	for (i = 0; u[i] != '\0'; i++)
		if ((unsigned char)u[i] <= 0x20 || (unsigned char)u[i] >= 0x7f)
			return 0;
	return i <= HREF_MAX;
}

/*
 * img src: cid: through the callback, or a base64 data: image of a
 * raster type.  The value to emit goes to s->val.  0 or -1 (drop).
 */
static int
src_check(struct sanitizer *s)
{
	static const char *const	 types[] = { "png", "gif", "jpeg", "webp" };
	const char			*u = s->tmp.p, *p;
	size_t				 n = s->tmp.len, i, k, t;
	char				*url;

	s->val.len = 0;
	if (ci_prefix(u, n, "cid:")) {
		if (s->cid_url == NULL)
			return -1;
		k = percent_decode(s->tmp.p + 4, n - 4);
		if (!cid_allowed(s->tmp.p + 4, k))
			return -1;
		s->tmp.len = 4 + k;
		buf_addc(&s->tmp, '\0');
		if (s->tmp.oom)
			return -1;
		url = s->cid_url(s->arg, s->tmp.p + 4);
		if (!cid_result_allowed(url)) {
			free(url);
			return -1;
		}
		buf_adds(&s->val, url);
		free(url);
		return 0;
	}
	if (!ci_prefix(u, n, "data:image/"))
		return -1;
	p = u + 11;
	n -= 11;
	for (t = 0; t < sizeof(types) / sizeof(types[0]); t++) {
		k = strlen(types[t]);
		if (ci_prefix(p, n, types[t]) &&
		    ci_prefix(p + k, n - k, ";base64,"))
			break;
	}
	if (t == sizeof(types) / sizeof(types[0]))
		return -1;
	k = strlen(types[t]) + 8;
	p += k;
	n -= k;
	buf_addlit(&s->val, "data:image/");
	buf_adds(&s->val, types[t]);
	buf_addlit(&s->val, ";base64,");
	k = s->val.len;
	for (i = 0; i < n; i++) {
		if (p[i] == ' ')
			continue;
		if (!is_alnum(p[i]) && p[i] != '+' && p[i] != '/' &&
		    p[i] != '=')
			return -1;
		buf_addc(&s->val, p[i]);
	}
	return s->val.len > k ? 0 : -1;
}

/* CSS properties kept in style attributes: nothing here can load. */
static const char *const css_properties[] = {
	"color", "background-color", "font-weight", "font-style",
	"font-size", "font-family", "text-align", "text-decoration",
	"margin", "margin-top", "margin-right", "margin-bottom", "margin-left",
	"padding", "padding-top", "padding-right", "padding-bottom",
	"padding-left", "border", "border-top", "border-right",
	"border-bottom", "border-left", "border-color", "border-style",
	"border-width", "border-collapse", "border-spacing", "border-radius",
	"border-top-color", "border-right-color", "border-bottom-color",
	"border-left-color", "border-top-style", "border-right-style",
	"border-bottom-style", "border-left-style", "border-top-width",
	"border-right-width", "border-bottom-width", "border-left-width",
	"width", "height", "line-height", "vertical-align", "white-space",
	"display",
};

/* p is lower case. */
static int
css_property_allowed(const char *p, size_t n)
{
	size_t	 i;

	for (i = 0; i < sizeof(css_properties) / sizeof(css_properties[0]);
	    i++)
		if (strlen(css_properties[i]) == n &&
		    memcmp(p, css_properties[i], n) == 0)
			return 1;
	return 0;
}

static int
css_display_allowed(const char *v, size_t n)
{
	return ci_equal(v, n, "none") || ci_equal(v, n, "block") ||
	    ci_equal(v, n, "inline") || ci_equal(v, n, "inline-block") ||
	    ci_equal(v, n, "table") ||
	    (ci_prefix(v, n, "table-") && n > 6 &&
	    chars_in(v + 6, n - 6, "-", 0));
}

/*
 * A declaration's value: a small character set, quotes balanced, and
 * parentheses only for rgb()/rgba()/hsl()/hsla(), never nested.  The
 * word list catches what the character set already rules out, should
 * the set ever grow.
 */
static int
css_value_allowed(const char *v, size_t n, int fontfamily)
{
	static const char *const	 deny[] = { "url(", "expression",
	    "@import", "\\", "/*", "<", "javascript", "vbscript", "behavior",
	    "-moz-binding", "&" };
	size_t				 i, j;
	char				 quote = 0;
	int				 paren = 0;

	if (n == 0 || n > CSS_VALUE_MAX)
		return 0;
	if (!chars_in(v, n, " #%.,-+!()\"'_", fontfamily))
		return 0;
	for (i = 0; i < sizeof(deny) / sizeof(deny[0]); i++)
		if (ci_contains(v, n, deny[i]))
			return 0;
	for (i = 0; i < n; i++) {
		if (quote != 0) {
			if (v[i] == quote)
				quote = 0;
			else if (v[i] == '(' || v[i] == ')')
				return 0;
		} else if (v[i] == '"' || v[i] == '\'') {
			if (paren)
				return 0;
			quote = v[i];
		} else if (v[i] == '(') {
			if (paren)
				return 0;
			for (j = i; j > 0 && is_alpha(v[j - 1]); j--)
				;
			if (!ci_equal(v + j, i - j, "rgb") &&
			    !ci_equal(v + j, i - j, "rgba") &&
			    !ci_equal(v + j, i - j, "hsl") &&
			    !ci_equal(v + j, i - j, "hsla"))
				return 0;
			paren = 1;
		} else if (v[i] == ')') {
			if (!paren)
				return 0;
			paren = 0;
		}
	}
	return quote == 0 && !paren;
}

/* s->val (decoded style) to s->tmp: the declarations that pass. */
static void
css_filter(struct sanitizer *s)
{
	const char	*v = s->val.p, *d, *colon, *prop, *value;
	char		*w;
	size_t		 n = s->val.len, i = 0, dlen, plen, vlen, k;
	char		 lprop[32];

	s->tmp.len = 0;
	while (i < n) {
		d = v + i;
		while (i < n && v[i] != ';')
			i++;
		dlen = (size_t)(v + i - d);
		i++;
		if ((colon = memchr(d, ':', dlen)) == NULL)
			continue;
		prop = d;
		plen = (size_t)(colon - d);
		value = colon + 1;
		vlen = dlen - plen - 1;
		trim(&prop, &plen);
		trim(&value, &vlen);
		if (plen == 0 || plen >= sizeof(lprop))
			continue;
		for (k = 0; k < plen; k++)
			lprop[k] = (char)to_lower(prop[k]);
		if (!css_property_allowed(lprop, plen))
			continue;
		/* Whitespace inside a value is any of HTML's: make it ' '. */
		for (k = 0; k < vlen; k++)
			if (is_ws(value[k]) && value[k] != ' ')
				break;
		if (k < vlen) {
			/* Folded Outlook styles; s->val is ours to change. */
			w = s->val.p + (value - v);
			for (; k < vlen; k++)
				if (is_ws(w[k]))
					w[k] = ' ';
		}
		if (!css_value_allowed(value, vlen,
		    plen == 11 && memcmp(lprop, "font-family", 11) == 0))
			continue;
		if (plen == 7 && memcmp(lprop, "display", 7) == 0 &&
		    !css_display_allowed(value, vlen))
			continue;
		if (s->tmp.len > 0)
			buf_addc(&s->tmp, ';');
		buf_add(&s->tmp, lprop, plen);
		buf_addc(&s->tmp, ':');
		buf_add(&s->tmp, value, vlen);
	}
}

/* One attribute of an allowlisted start tag, written to s->tag if kept. */
static void
tag_attribute(struct sanitizer *s, struct tagstate *ts, const char *name,
    size_t nlen, const char *v, size_t vlen)
{
	const struct attribute	*a;
	const char		*t;
	size_t			 tn;
	int			 i;

	if ((i = attribute_find(name, nlen)) < 0)
		return;
	a = &attributes[i];
	if ((a->scope & elements[ts->el].scope) == 0)
		return;
	if (ts->seen & (UINT32_C(1) << i))
		return;			/* HTML keeps the first one */
	ts->seen |= UINT32_C(1) << i;

	attr_decode(&s->val, v, vlen);
	if (s->val.oom)
		return;
	t = s->val.p;
	tn = s->val.len;
	if (a->check != V_TEXT && a->check != V_STYLE)
		trim(&t, &tn);
	switch (a->check) {
	case V_TEXT:
		if (tn > TEXT_ATTR_MAX)
			return;
		break;
	case V_DIR:
		if (!ci_equal(t, tn, "ltr") && !ci_equal(t, tn, "rtl") &&
		    !ci_equal(t, tn, "auto"))
			return;
		break;
	case V_LANG:
		if (tn == 0 || tn > 35 || !chars_in(t, tn, "-", 0))
			return;
		break;
	case V_WORD:
		if (tn == 0 || tn > 16 || !chars_in(t, tn, "", 0))
			return;
		break;
	case V_LENGTH:
		if (tn == 0 || tn > 16 || !chars_in(t, tn, ".%*+-", 0))
			return;
		break;
	case V_COLOR:
		if (tn == 0 || tn > 32 || !chars_in(t, tn, "#", 0))
			return;
		break;
	case V_FACE:
		if (tn == 0 || tn > 256 || !chars_in(t, tn, " ,-_.'\"", 1))
			return;
		break;
	case V_STYLE:
		css_filter(s);
		if (s->tmp.len == 0)
			return;
		t = s->tmp.p;
		tn = s->tmp.len;
		break;
	case V_HREF:
		url_clean(&s->tmp, t, tn);
		if (s->tmp.oom || !href_allowed(s->tmp.p, s->tmp.len))
			return;
		t = s->tmp.p;
		tn = s->tmp.len;
		ts->href_ok = 1;
		break;
	case V_SRC:
		url_clean(&s->tmp, t, tn);
		if (s->tmp.oom || s->tmp.len == 0 || src_check(s) == -1)
			return;
		t = s->val.p;
		tn = s->val.len;
		ts->src_ok = 1;
		break;
	default:
		return;
	}
	put_attr(&s->tag, a->name, t, tn);
}

static void
close_top(struct sanitizer *s)
{
	int	 el = s->stack[--s->depth];

	s->open[el]--;
	buf_addlit(&s->out, "</");
	buf_adds(&s->out, elements[el].name);
	buf_addc(&s->out, '>');
}

static void
close_through(struct sanitizer *s, int el)
{
	while (s->depth > 0) {
		if (s->stack[s->depth - 1] == el) {
			close_top(s);
			return;
		}
		close_top(s);
	}
}

static int
is_cell(int el)
{
	return el == EL_TD || el == EL_TH;
}

static int
is_section(int el)
{
	return el == EL_THEAD || el == EL_TBODY || el == EL_TFOOT;
}

/*
 * HTML's implied end tags that keep sloppy mail shallow: a new li, dt/dd,
 * row, cell or table section ends the open one, and a block ends an open
 * p.  Only the top IMPLIED_SCAN open elements are looked at.
 */
static void
close_implied(struct sanitizer *s, int el)
{
	size_t	 i, n;
	int	 e, hit, stop;

	for (i = s->depth, n = 0; i > 0 && n < IMPLIED_SCAN; i--, n++) {
		e = s->stack[i - 1];
		switch (el) {
		case EL_LI:
		case EL_DD:
		case EL_DT:
			hit = el == EL_LI ? e == EL_LI : e == EL_DD || e == EL_DT;
			/* HTML's "special" elements other than these three. */
			stop = (elements[e].flags & F_SPECIAL) &&
			    e != EL_ADDRESS && e != EL_DIV && e != EL_P;
			break;
		case EL_TR:
			hit = e == EL_TR;
			stop = e == EL_TABLE || is_section(e);
			break;
		case EL_TD:
		case EL_TH:
			hit = is_cell(e);
			stop = e == EL_TR || e == EL_TABLE || is_section(e);
			break;
		case EL_THEAD:
		case EL_TBODY:
		case EL_TFOOT:
			hit = is_section(e);
			stop = e == EL_TABLE;
			break;
		default:
			return;
		}
		if (hit) {
			close_through(s, e);
			return;
		}
		if (stop)
			return;
	}
}

static void
close_p(struct sanitizer *s)
{
	size_t	 i, n;
	int	 e;

	if (s->open[EL_P] == 0)
		return;
	for (i = s->depth, n = 0; i > 0 && n < IMPLIED_SCAN; i--, n++) {
		e = s->stack[i - 1];
		if (e == EL_P) {
			close_through(s, EL_P);
			return;
		}
		if (elements[e].flags & F_SCOPE)
			return;
	}
}

/* Drop everything up to the end tag of raw text element el (or EOF). */
static void
rawtext_skip(struct sanitizer *s, int el)
{
	const char	*name = elements[el].name, *lt;
	size_t		 n = strlen(name), i = s->pos;

	while (i < s->len &&
	    (lt = memchr(s->in + i, '<', s->len - i)) != NULL) {
		i = (size_t)(lt - s->in);
		if (s->len - i > n + 2 && s->in[i + 1] == '/' &&
		    ci_equal(s->in + i + 2, n, name) &&
		    (is_ws(s->in[i + 2 + n]) || s->in[i + 2 + n] == '/' ||
		    s->in[i + 2 + n] == '>')) {
			s->pos = i;	/* the end tag is parsed and ignored */
			return;
		}
		i++;
	}
	s->pos = s->len;
}

static void
san_start(struct sanitizer *s, int el, int selfclose, struct tagstate *ts)
{
	const struct element	*e;

	if (el < 0)
		return;			/* unknown: the tag goes, text stays */
	e = &elements[el];
	if (e->kind == K_RAWTEXT) {
		rawtext_skip(s, el);
		return;
	}
	if (s->skip >= 0) {
		if (el == s->skip && !(e->kind == K_FOREIGN && selfclose))
			s->skip_depth++;
		return;
	}
	if (e->kind == K_SKIP || e->kind == K_FOREIGN) {
		/* <svg/> is complete in HTML; other elements ignore '/'. */
		if (e->kind == K_FOREIGN && selfclose)
			return;
		s->skip = el;
		s->skip_depth = 1;
		return;
	}
	if (ts == NULL)
		return;
	close_implied(s, el);
	if (e->flags & F_CLOSES_P)
		close_p(s);
	if (el == EL_IMG && !ts->src_ok)
		return;			/* nothing that may be loaded */
	if (!(e->flags & F_VOID) && s->depth == SANITIZE_MAX_DEPTH)
		return;
	if (el == EL_A && ts->href_ok)
		buf_addlit(&s->tag, " rel=\"noopener noreferrer\" target=\"_blank\"");
	buf_addc(&s->tag, '>');
	if (s->tag.oom)
		return;
	buf_add(&s->out, s->tag.p, s->tag.len);
	if (!(e->flags & F_VOID)) {
		s->stack[s->depth++] = (unsigned char)el;
		s->open[el]++;
	}
}

static void
san_end(struct sanitizer *s, int el)
{
	if (el < 0)
		return;
	if (s->skip >= 0) {
		if (el == s->skip && --s->skip_depth == 0)
			s->skip = -1;
		return;
	}
	if (el >= EL_NALLOW || s->open[el] == 0)
		return;			/* nothing of that kind is open */
	close_through(s, el);
}

/*
 * A start or end tag at s->pos ('<' then a letter, or "</" then a
 * letter).  Attributes are read as HTML reads them (quoted, unquoted,
 * missing, '=' first); a tag cut off by the end of input is dropped.
 */
static void
san_tag(struct sanitizer *s, int endtag)
{
	const char	*in = s->in, *q;
	size_t		 len = s->len, p, nstart, nlen, an, alen, vs, vlen;
	struct tagstate	 ts;
	int		 el, emit, selfclose = 0;

	p = s->pos + (endtag ? 2 : 1);
	nstart = p;
	while (p < len && !is_ws(in[p]) && in[p] != '/' && in[p] != '>')
		p++;
	nlen = p - nstart;
	el = element_find(in + nstart, nlen);

	/* An HTML element's start tag ends SVG or MathML content. */
	if (!endtag && s->skip >= 0 && el >= 0 && el < EL_NALLOW &&
	    (elements[el].flags & F_BREAKOUT) &&
	    elements[s->skip].kind == K_FOREIGN) {
		s->skip = -1;
		s->skip_depth = 0;
	}
	emit = !endtag && s->skip < 0 && el >= 0 && el < EL_NALLOW;
	if (emit) {
		memset(&ts, 0, sizeof(ts));
		ts.el = el;
		s->tag.len = 0;
		buf_addc(&s->tag, '<');
		buf_adds(&s->tag, elements[el].name);
	}
	for (;;) {
		while (p < len && is_ws(in[p]))
			p++;
		if (p >= len)
			goto eof;
		if (in[p] == '>') {
			p++;
			break;
		}
		if (in[p] == '/') {
			if (++p < len && in[p] == '>') {
				selfclose = 1;
				p++;
				break;
			}
			continue;
		}
		an = p++;		/* a leading '=' belongs to the name */
		while (p < len && !is_ws(in[p]) && in[p] != '/' &&
		    in[p] != '>' && in[p] != '=')
			p++;
		alen = p - an;
		while (p < len && is_ws(in[p]))
			p++;
		vs = p;
		vlen = 0;
		if (p < len && in[p] == '=') {
			p++;
			while (p < len && is_ws(in[p]))
				p++;
			if (p >= len)
				goto eof;
			if (in[p] == '"' || in[p] == '\'') {
				q = memchr(in + p + 1, in[p], len - p - 1);
				if (q == NULL)
					goto eof;
				vs = p + 1;
				vlen = (size_t)(q - (in + vs));
				p = (size_t)(q - in) + 1;
			} else {
				vs = p;
				while (p < len && !is_ws(in[p]) && in[p] != '>')
					p++;
				vlen = p - vs;
			}
		}
		if (emit)
			tag_attribute(s, &ts, in + an, alen, in + vs, vlen);
	}
	s->pos = p;
	if (endtag)
		san_end(s, el);
	else
		san_start(s, el, selfclose, emit ? &ts : NULL);
	return;
eof:
	s->pos = len;
}

/* Skip to just past the next '>' (bogus comments, doctype, "<?", CDATA). */
static void
skip_bogus(struct sanitizer *s, size_t from)
{
	const char	*gt;

	gt = from < s->len ? memchr(s->in + from, '>', s->len - from) : NULL;
	s->pos = gt != NULL ? (size_t)(gt - s->in) + 1 : s->len;
}

/* "<!--" at s->pos: up to "-->" or "--!>", or "<!-->", "<!--->" (or EOF). */
static void
skip_comment(struct sanitizer *s)
{
	const char	*in = s->in;
	size_t		 len = s->len, i = s->pos + 4;

	if (i < len && in[i] == '>') {
		s->pos = i + 1;
		return;
	}
	if (i + 1 < len && in[i] == '-' && in[i + 1] == '>') {
		s->pos = i + 2;
		return;
	}
	for (; i + 2 < len; i++) {
		if (in[i] != '-' || in[i + 1] != '-')
			continue;
		if (in[i + 2] == '>') {
			s->pos = i + 3;
			return;
		}
		if (in[i + 2] == '!' && i + 3 < len && in[i + 3] == '>') {
			s->pos = i + 4;
			return;
		}
	}
	s->pos = len;
}

/* '<' at s->pos. */
static void
san_markup(struct sanitizer *s)
{
	const char	*in = s->in;
	size_t		 p = s->pos + 1, len = s->len;

	if (p < len && in[p] == '!') {
		if (len - p >= 3 && in[p + 1] == '-' && in[p + 2] == '-')
			skip_comment(s);
		else
			skip_bogus(s, p);
	} else if (p < len && in[p] == '?') {
		skip_bogus(s, p);
	} else if (p < len && in[p] == '/') {
		if (p + 1 >= len) {
			if (s->skip < 0)
				buf_addlit(&s->out, "&lt;/");
			s->pos = len;
		} else if (is_alpha(in[p + 1]))
			san_tag(s, 1);
		else if (in[p + 1] == '>')
			s->pos = p + 2;
		else
			skip_bogus(s, p);
	} else if (p < len && is_alpha(in[p])) {
		san_tag(s, 0);
	} else {
		if (s->skip < 0)
			buf_addlit(&s->out, "&lt;");
		s->pos = p;
	}
}

static int
san_oom(const struct sanitizer *s)
{
	return s->out.oom || s->tag.oom || s->val.oom || s->tmp.oom;
}

char *
sanitize_html(const char *html, size_t len, sanitize_cid_fn cid_url,
    void *arg)
{
	struct sanitizer	 s;
	struct buf		 clean;
	const char		*lt;
	size_t			 end;
	char			*ret = NULL;

	memset(&s, 0, sizeof(s));
	memset(&clean, 0, sizeof(clean));
	s.cid_url = cid_url;
	s.arg = arg;
	s.skip = -1;

	if (len > 0)
		utf8_clean(&clean, (const unsigned char *)html, len);
	if (clean.oom)
		goto done;
	s.in = clean.p != NULL ? clean.p : "";
	s.len = clean.len;
	if (buf_reserve(&s.out, s.len + s.len / 8 + 64) == -1)
		goto done;

	while (s.pos < s.len && !san_oom(&s)) {
		lt = memchr(s.in + s.pos, '<', s.len - s.pos);
		end = lt != NULL ? (size_t)(lt - s.in) : s.len;
		if (end > s.pos) {
			if (s.skip < 0)
				emit_text(&s.out, s.in + s.pos, end - s.pos);
			s.pos = end;
			continue;
		}
		san_markup(&s);
	}
	while (s.depth > 0)
		close_top(&s);
	buf_addc(&s.out, '\0');
	if (san_oom(&s))
		goto done;
	ret = s.out.p;
	s.out.p = NULL;
done:
	free(clean.p);
	free(s.out.p);
	free(s.tag.p);
	free(s.val.p);
	free(s.tmp.p);
	return ret;
}
