/*
 * sanitize.c: the HTML allowlist against OWASP-style XSS vectors, normal
 * mail HTML, the MIME corpus's HTML parts, deep nesting and 5 MiB inputs
 * (linear time).  Each table row is its own cmocka test; every output
 * also passes the independent oracle of test/fuzz/sanitize_oracle.h.
 */
#include <sys/types.h>

#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <cmocka.h>

#include <gmime/gmime.h>

#include "sanitize.h"
#include "../fuzz/sanitize_oracle.h"

#define NWANT	6
#define BIN(s)	s, sizeof(s) - 1		/* input with NUL bytes */

struct san_case {
	const char	*label;
	const char	*input;
	size_t		 len;			/* 0: strlen(input) */
	const char	*want[NWANT];		/* must appear */
	const char	*reject[NWANT];		/* must not (any case) */
	const char	*exact;			/* the whole output, if set */
};

/* Inline images of the test message: one known, one remote, others none. */
static char *
test_cid_url(void *arg, const char *cid)
{
	int	*calls = arg;

	if (calls != NULL)
		(*calls)++;
	if (strcmp(cid, "abc@x") == 0)
		return strdup("/m/ID/part/3");
	if (strcmp(cid, "remote@x") == 0)
		return strdup("https://evil.example/x.png");
	if (strcmp(cid, "proto@x") == 0)
		return strdup("//evil.example/x.png");
	return NULL;
}

static const struct san_case cases[] = {
	/* Script in all its spellings. */
	{ "script element", "<p>a<script>alert(1)</script>b</p>", 0,
	    { "<p>ab</p>" }, { "alert", "script" }, NULL },
	{ "SCRIPT SRC", "<SCRIPT SRC=http://xss.example/xss.js></SCRIPT>ok",
	    0, { "ok" }, { "xss", "script" }, "ok" },
	{ "script unclosed", "x<script>alert(1)", 0, { "x" },
	    { "alert" }, "x" },
	{ "script end tag with attributes",
	    "<script>a</script foo=\"bar\">b", 0, { "b" }, { "foo", "a" },
	    "b" },
	{ "script fake end in string",
	    "<script>var s='</scriptx>';alert(1)</script>z", 0, { "z" },
	    { "alert" }, "z" },
	{ "NUL in tag name", BIN("<scr\0ipt>alert(1)</script>"), { "alert" },
	    { "<scr" }, NULL },
	{ "script in attribute text is inert",
	    "<p title=\"<script>alert(1)</script>\">t</p>", 0,
	    { "title=\"&lt;script&gt;alert(1)&lt;/script&gt;\"" },
	    { "<script" }, NULL },

	/* Event handlers. */
	{ "img onerror", "<img src=x onerror=alert(1)>t", 0, { "t" },
	    { "<img", "onerror", "alert" }, "t" },
	{ "img onerror with cid image", "<img src=cid:abc@x onerror=alert(1)>",
	    0, { "<img src=\"/m/ID/part/3\">" }, { "onerror", "alert" }, NULL },
	{ "event attributes any case",
	    "<p onmouseover=a ONCLICK=b oNfOcUs=c autofocus tabindex=1>x", 0,
	    { "<p>x</p>" }, { "mouse", "click", "focus", "tabindex" },
	    "<p>x</p>" },
	{ "body onload", "<body onload=alert(1)>hi</body>", 0, { "hi" },
	    { "onload", "body", "alert" }, "hi" },
	{ "attribute glued after quote",
	    "<p title=\"a\"onclick=\"alert(1)\">x</p>", 0,
	    { "<p title=\"a\">x</p>" }, { "onclick" }, NULL },
	{ "slash separates attributes", "<img/src=cid:abc@x/onerror=alert(1)>",
	    0, { NULL }, { "onerror", "alert" }, NULL },
	{ "end tag attributes ignored", "<b>x</b onclick=alert(1)>", 0,
	    { "<b>x</b>" }, { "onclick" }, "<b>x</b>" },

	/* SVG, MathML and friends. */
	{ "svg onload", "<svg onload=alert(1)>x</svg>y", 0, { "y" },
	    { "svg", "onload", "alert", "x" }, "y" },
	{ "svg script", "<svg><script>alert(1)</script></svg>after", 0,
	    { "after" }, { "svg", "alert", "script" }, "after" },
	{ "svg nested", "<svg><svg></svg><a xlink:href=javascript:alert(1)>"
	    "c</a></svg>d", 0, { "d" }, { "xlink", "javascript", "c" }, "d" },
	{ "svg self-closing", "<svg/>after", 0, { "after" }, { "svg" },
	    "after" },
	{ "svg content ends at an HTML element", "<svg><desc>d</desc><p>text",
	    0, { "<p>text</p>" }, { "svg", "desc", ">d" }, "<p>text</p>" },
	{ "math", "<math><mtext><table><mglyph><style><img src=x "
	    "onerror=alert(1)>", 0, { NULL }, { "onerror", "alert", "<img",
	    "math", "style" }, NULL },
	{ "math href", "<math href=\"javascript:alert(1)\">CLICKME</math>", 0,
	    { NULL }, { "javascript", "href", "CLICKME" }, "" },
	{ "iframe javascript", "<iframe src=javascript:alert(1)></iframe>x",
	    0, { "x" }, { "iframe", "javascript" }, "x" },
	{ "iframe srcdoc", "<iframe srcdoc='&lt;script&gt;alert(1)&lt;/script"
	    "&gt;'>inner</iframe>x", 0, { "x" }, { "srcdoc", "alert",
	    "inner" }, "x" },
	{ "object and embed", "<object data=\"http://x/a.swf\"><param name=a "
	    "value=b>fallback</object><embed src=\"http://x/a.swf\">t", 0,
	    { "t" }, { "object", "embed", "swf", "fallback", "param" }, "t" },
	{ "applet and template", "<applet code=x>a</applet><template><p>t"
	    "</p></template>z", 0, { "z" }, { "applet", "<p>", "a<" }, "z" },
	{ "frameset", "<frameset><frame src=http://x></frameset>z", 0,
	    { "z" }, { "frame", "http" }, "z" },

	/* Links. */
	{ "a javascript", "<a href=\"javascript:alert(1)\">x</a>", 0,
	    { "<a>x</a>" }, { "javascript", "href" }, "<a>x</a>" },
	{ "javascript decimal entities", "<a href=\"&#106;&#97;&#118;&#97;"
	    "&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1)\">x</a>", 0,
	    { "<a>x</a>" }, { "href", "alert" }, "<a>x</a>" },
	{ "javascript decimal, padded, no semicolons",
	    "<a href=\"&#0000106&#0000097&#0000118&#0000097&#0000115&#0000099"
	    "&#0000114&#0000105&#0000112&#0000116&#0000058alert(1)\">x</a>",
	    0, { "<a>x</a>" }, { "href", "alert" }, "<a>x</a>" },
	{ "javascript hex entities, no semicolons",
	    "<a href=\"&#x6A&#x61&#x76&#x61&#x73&#x63&#x72&#x69&#x70&#x74"
	    "&#x3A;alert(1)\">x</a>", 0, { "<a>x</a>" }, { "href", "alert" },
	    "<a>x</a>" },
	{ "javascript with raw tab", "<a href=\"jav\tascript:alert(1)\">x</a>",
	    0, { "<a>x</a>" }, { "href" }, "<a>x</a>" },
	{ "javascript with encoded tab", "<a href=\"jav&#x09;ascript:alert(1)"
	    "\">x</a>", 0, { "<a>x</a>" }, { "href" }, "<a>x</a>" },
	{ "javascript with encoded newline and CR",
	    "<a href=\"jav&#x0A;as&#x0D;cript:alert(1)\">x</a>", 0,
	    { "<a>x</a>" }, { "href" }, "<a>x</a>" },
	{ "javascript with &Tab; and &NewLine;",
	    "<a href=\"java&Tab;scr&NewLine;ipt:alert(1)\">x</a>", 0,
	    { "<a>x</a>" }, { "href" }, "<a>x</a>" },
	{ "javascript&colon;", "<a href=\"javascript&colon;alert(1)\">x</a>",
	    0, { "<a>x</a>" }, { "href" }, "<a>x</a>" },
	{ "leading spaces, controls, upper case",
	    "<a href=\"  \x01 JAVASCRIPT:alert(1)\">x</a>", 0, { "<a>x</a>" },
	    { "href" }, "<a>x</a>" },
	{ "NUL inside javascript",
	    BIN("<a href=\"java\0script:alert(1)\">x</a>"), { "<a>x</a>" },
	    { "href", "alert" }, "<a>x</a>" },
	{ "unquoted javascript", "<a href=javascript:alert(1)>x</a>", 0,
	    { "<a>x</a>" }, { "href" }, "<a>x</a>" },
	{ "data:text/html link", "<a href=\"data:text/html;base64,"
	    "PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==\">x</a>", 0, { "<a>x</a>" },
	    { "data:", "href" }, "<a>x</a>" },
	{ "vbscript link", "<a href=\"vbscript:msgbox(1)\">x</a>", 0,
	    { "<a>x</a>" }, { "vbscript", "href" }, "<a>x</a>" },
	{ "relative and protocol-relative links",
	    "<a href=\"/x\">a</a><a href=\"//evil.example/\">b</a>", 0,
	    { "<a>a</a><a>b</a>" }, { "href", "evil" }, NULL },
	{ "https link", "<a href=\"https://example.org/a?b=1&amp;c=2\" "
	    "target=_self rel=opener>x</a>", 0,
	    { "<a href=\"https://example.org/a?b=1&amp;c=2\" rel=\"noopener "
	    "noreferrer\" target=\"_blank\">x</a>" }, { "_self", "opener\"" },
	    NULL },
	{ "legacy entity in query stays literal",
	    "<a href=\"http://example.org/?a=1&copy=2&reg\">x</a>", 0,
	    { "href=\"http://example.org/?a=1&amp;copy=2\xc2\xae\"" }, { NULL },
	    NULL },
	{ "href whitespace stripped", "<a href=\" http://ex\nample.org/ \">x"
	    "</a>", 0, { "href=\"http://example.org/\"" }, { NULL }, NULL },
	{ "mailto link", "<a href=\"mailto:a@example.org\">m</a>", 0,
	    { "<a href=\"mailto:a@example.org\" rel=\"noopener noreferrer\" "
	    "target=\"_blank\">m</a>" }, { NULL }, NULL },
	{ "duplicate href: the first wins",
	    "<a href=\"javascript:alert(1)\" href=\"http://ok.example/\">x</a>",
	    0, { "<a>x</a>" }, { "ok.example" }, "<a>x</a>" },
	{ "xlink and xmlns", "<a xlink:href=\"javascript:alert(1)\" "
	    "xmlns:xlink=\"http://www.w3.org/1999/xlink\">x</a>", 0,
	    { "<a>x</a>" }, { "xlink", "xmlns", "javascript" }, "<a>x</a>" },

	/* Styles. */
	{ "style url", "<div style=\"background:url(http://x)\">t</div>", 0,
	    { "<div>t</div>" }, { "url(", "http://x" }, "<div>t</div>" },
	{ "style background-color url", "<div style=\"background-color:"
	    "url(http://x)\">t</div>", 0, { "<div>t</div>" }, { "url" },
	    "<div>t</div>" },
	{ "style url through entities",
	    "<p style=\"background-color:u&#114;l(x)\">t</p>", 0,
	    { "<p>t</p>" }, { "style" }, "<p>t</p>" },
	{ "style url through CSS escape",
	    "<p style=\"background-color:u\\72l(http://x)\">t</p>", 0,
	    { "<p>t</p>" }, { "style", "\\" }, "<p>t</p>" },
	{ "style expression", "<div style=\"width: expression(alert(1));"
	    "color:red\">t</div>", 0, { "style=\"color:red\"" },
	    { "expression", "alert" }, NULL },
	{ "style comment", "<div style=\"color:re/**/d;width:e/**/xpression("
	    "alert(1))\">t</div>", 0, { "<div>t</div>" }, { "/*", "alert" },
	    "<div>t</div>" },
	{ "style binding and behavior", "<div style=\"-moz-binding:url(x);"
	    "behavior:url(x.htc);border:1px solid red\">t</div>", 0,
	    { "style=\"border:1px solid red\"" }, { "binding", "behavior",
	    "htc" }, NULL },
	{ "style not allowlisted", "<div style=\"position:fixed;top:0;"
	    "z-index:9;background:red;content:'x';color:blue\">t</div>", 0,
	    { "style=\"color:blue\"" }, { "position", "z-index", "content",
	    "background" }, NULL },
	{ "style display values", "<span style=\"display:none\">a</span>"
	    "<span style=\"display:table-cell\">b</span><span style=\"display:"
	    "flex\">c</span>", 0, { "style=\"display:none\"",
	    "style=\"display:table-cell\"", "<span>c</span>" }, { "flex" },
	    NULL },
	{ "style functions", "<p style=\"color:rgb(1, 2, 3);background-color:"
	    "attr(x);border-color:var(--x);font-size:calc(1px)\">t</p>", 0,
	    { "style=\"color:rgb(1, 2, 3)\"" }, { "attr", "var", "calc" },
	    NULL },
	{ "style property names are exact", "<p style=\"border-collapjava"
	    "scriptse:collapse;margin-foo:1px;border-top-width:1px\">t</p>", 0,
	    { "<p style=\"border-top-width:1px\">t</p>" }, { "javascript",
	    "foo" }, NULL },
	{ "style unbalanced quote", "<p style='font-family:\"Arial;color:red'>"
	    "t</p>", 0, { "<p style=\"color:red\">t</p>" }, { "arial" },
	    NULL },
	{ "style import", "<p style=\"color:red;@import 'x'\">t</p>", 0,
	    { "style=\"color:red\"" }, { "import" }, NULL },
	{ "style element", "<style>@import url(http://x);</style>t", 0,
	    { "t" }, { "import", "url(", "style" }, "t" },
	{ "Outlook style attribute", "<span style='font-size:11.0pt;\n"
	    "  font-family:\"Calibri\",\"sans-serif\";mso-fareast-font-family:"
	    "Calibri;\n  color:#1F497D'>t</span>", 0,
	    { "<span style=\"font-size:11.0pt;font-family:&quot;Calibri&quot;,"
	    "&quot;sans-serif&quot;;color:#1F497D\">t</span>" }, { "mso" },
	    NULL },
	{ "font family with non-ASCII name", "<p style=\"font-family:"
	    "\xef\xbc\xad\xef\xbc\xb3 Gothic\">t</p>", 0,
	    { "style=\"font-family:\xef\xbc\xad\xef\xbc\xb3 Gothic\"" },
	    { NULL }, NULL },

	/* Elements that load or submit. */
	{ "link stylesheet", "<link rel=stylesheet href=http://x/x.css>t", 0,
	    { "t" }, { "link", "x.css" }, "t" },
	{ "meta refresh", "<meta http-equiv=\"refresh\" content=\"0;url="
	    "javascript:alert(1)\">t", 0, { "t" }, { "meta", "refresh",
	    "javascript" }, "t" },
	{ "base href", "<base href=\"http://evil.example/\"><a href=\"x\">y</a>",
	    0, { "<a>y</a>" }, { "base", "evil", "href" }, "<a>y</a>" },
	{ "form with input", "<form action=\"http://evil.example/\"><input "
	    "name=q value=v><button formaction=javascript:alert(1)>Go</button>"
	    "</form>", 0, { "Go" }, { "form", "input", "action", "button",
	    "evil" }, "Go" },
	{ "textarea and select", "<textarea><p>t</p></textarea><select>"
	    "<option>o</option></select>z", 0, { "z" }, { "textarea",
	    "select", "option", "<p>" }, "z" },
	{ "head, title, noscript", "<html><head><title>T</title><meta "
	    "charset=x></head><body><noscript><p>n</p></noscript>b</body>"
	    "</html>", 0, { "b" }, { "T", "<p>", "head", "body" }, "b" },

	/* Images. */
	{ "remote image", "<img src=\"http://remote.example/x.png\" alt=x>t",
	    0, { "t" }, { "<img", "remote" }, "t" },
	{ "cid image", "<img src=\"cid:abc@x\" alt=\"logo\" width=10 "
	    "height=\"20px\">", 0, { "<img src=\"/m/ID/part/3\" alt=\"logo\" "
	    "width=\"10\" height=\"20px\">" }, { NULL }, NULL },
	{ "cid image, percent-encoded and upper case",
	    "<img src=\" CID:abc%40x\">", 0, { "src=\"/m/ID/part/3\"" },
	    { NULL }, NULL },
	{ "cid unknown to the message", "<img src=\"cid:unknown@x\">t", 0,
	    { "t" }, { "<img" }, "t" },
	{ "cid callback gives a remote URL",
	    "<img src=\"cid:remote@x\"><img src=cid:proto@x>t", 0, { "t" },
	    { "<img", "evil" }, "t" },
	{ "cid with NUL", "<img src=\"cid:abc%00@x\">t", 0, { "t" },
	    { "<img" }, "t" },
	{ "srcset", "<img src=cid:abc@x srcset=\"http://x/a.png 2x\">", 0,
	    { "src=\"/m/ID/part/3\"" }, { "srcset", "http" }, NULL },
	{ "data png image", "<img src=\"data:image/png;base64,iVBOR w0KGgo=\">",
	    0, { "<img src=\"data:image/png;base64,iVBORw0KGgo=\">" },
	    { NULL }, NULL },
	{ "data svg image", "<img src=\"data:image/svg+xml;base64,PHN2Zz4=\">t",
	    0, { "t" }, { "<img", "svg" }, "t" },
	{ "data image with junk", "<img src=\"data:image/gif;base64,R0l<x\">t",
	    0, { "t" }, { "<img" }, "t" },
	{ "image tag spelled image", "<image src=cid:abc@x>t", 0, { "t" },
	    { "<im" }, "t" },

	/* Tokenizer corners. */
	{ "unquoted attributes", "<font color=red size=3 face=Arial>t</font>",
	    0, { "<font color=\"red\" size=\"3\" face=\"Arial\">t</font>" },
	    { NULL }, NULL },
	{ "font keeps color, size and face only", "<font color=red "
	    "style=\"color:blue\" title=t align=left>x</font>", 0,
	    { "<font color=\"red\">x</font>" }, { "style", "title", "align" },
	    "<font color=\"red\">x</font>" },
	{ "attributes on the wrong element", "<p href=\"http://x/\" "
	    "src=\"cid:abc@x\" alt=a face=b size=3>x", 0, { "<p>x</p>" },
	    { "href", "src", "alt", "face", "size" }, "<p>x</p>" },
	{ "backticks", "<img src=`x` onerror=`alert(1)`>t", 0, { "t" },
	    { "<img", "alert" }, "t" },
	{ "backtick in title", "<p title=`a`>x", 0,
	    { "<p title=\"&#96;a&#96;\">x</p>" }, { NULL }, NULL },
	{ "nested quotes", "<a href=\"http://x/'\" title='a\"b' onclick=\"x\">"
	    "t</a>", 0, { "href=\"http://x/&#39;\"", "title=\"a&quot;b\"" },
	    { "onclick" }, NULL },
	{ "mixed case tags", "<ScRiPt>alert(1)</sCrIpT><P ALIGN=CENTER>x</p>",
	    0, { "<p align=\"CENTER\">x</p>" }, { "alert" },
	    "<p align=\"CENTER\">x</p>" },
	{ "unterminated tag at EOF", "<p>x<img src=cid:abc@x onerror=", 0,
	    { "<p>x</p>" }, { "<img" }, "<p>x</p>" },
	{ "unterminated quoted value", "<a href=\"http://x>y</a>", 0,
	    { NULL }, { "href", "y" }, "" },
	{ "lone angle brackets", "1 < 2 > 0 <3 <- <", 0,
	    { "1 &lt; 2 &gt; 0 &lt;3 &lt;- &lt;" }, { NULL }, NULL },
	{ "broken end tags", "a</ b>c</>d</", 0, { "acd&lt;/" }, { "b>" },
	    "acd&lt;/" },
	{ "comment hides tags", "<!--<script>alert(1)</script>-->x", 0,
	    { "x" }, { "alert", "<!--" }, "x" },
	{ "comment forms", "<!-->a<!--->b<!-- x --!>c<!-- unterminated <p>", 0,
	    { "abc" }, { "<p", "unterminated" }, "abc" },
	{ "conditional comments", "<!--[if gte mso 9]><xml><o:Settings/></xml>"
	    "<![endif]--><![if !IE]>v<![endif]>", 0, { "v" }, { "xml",
	    "endif", "if" }, "v" },
	{ "CDATA", "<![CDATA[<script>alert(1)</script>]]>", 0, { NULL },
	    { "<script", "cdata" }, "alert(1)]]&gt;" },
	{ "doctype and processing instructions",
	    "<!DOCTYPE html><?xml version=\"1.0\"?><?php echo 1 ?>x", 0,
	    { "x" }, { "doctype", "php", "?" }, "x" },
	{ "namespaced tags", "<o:p>a</o:p><xss:script>b</xss:script>", 0,
	    { "ab" }, { "o:p", "xss" }, "ab" },

	/* Text, references and encodings. */
	{ "entities in text", "a &lt; b &amp;&amp; c &gt; d &nbsp; &unknown; "
	    "&copy2020 & x &#x110000; &#55296; &#0; &#128; &#60;b&#x3E;", 0,
	    { NULL }, { NULL }, "a &lt; b &amp;&amp; c &gt; d &nbsp; &unknown; "
	    "\xc2\xa9" "2020 &amp; x \xef\xbf\xbd \xef\xbf\xbd \xef\xbf\xbd "
	    "\xe2\x82\xac &lt;b&gt;" },
	{ "entities in attributes", "<p title=\"&lt;b&gt; &amp; &quot;q&quot; "
	    "&bigstar; &eacute &#39;\">x</p>", 0,
	    { "title=\"&lt;b&gt; &amp; &quot;q&quot; &amp;bigstar; \xc3\xa9 "
	    "&#39;\"" }, { NULL }, NULL },
	{ "NUL bytes in text", BIN("a\0b"), { "a\xef\xbf\xbd" "b" }, { NULL },
	    "a\xef\xbf\xbd" "b" },
	{ "invalid UTF-8", "\xff\xfe<p>\xc3\x28 \xe0\x80\xaf \xed\xa0\x80 "
	    "\xf4\x90\x80\x80 ok \xc3\xa9</p>", 0, { "<p>", " ok \xc3\xa9</p>" },
	    { NULL }, NULL },
	{ "controls in text", "a\x01" "b\x7f" "c\td", 0,
	    { "a\xef\xbf\xbd" "b\xef\xbf\xbd" "c\td" }, { NULL }, NULL },

	/* Structure. */
	{ "mismatched end tags", "<b><i>x</b>y</i></div></p>", 0,
	    { NULL }, { NULL }, "<b><i>x</i></b>y" },
	{ "end tags without start tags", "</table></td></a>x", 0, { "x" },
	    { "</" }, "x" },
	{ "unclosed elements closed at the end", "<div><table><tr><td><b>x",
	    0, { NULL }, { NULL },
	    "<div><table><tr><td><b>x</b></td></tr></table></div>" },
	{ "implied ends", "<ul><li>a<li>b</ul><table><tr><td>1<td>2<tr><td>3"
	    "</table><p>a<div>b</div><dl><dt>t<dd>d</dl>", 0, { NULL },
	    { NULL }, "<ul><li>a</li><li>b</li></ul><table><tr><td>1</td>"
	    "<td>2</td></tr><tr><td>3</td></tr></table><p>a</p><div>b</div>"
	    "<dl><dt>t</dt><dd>d</dd></dl>" },
	{ "void elements", "a<br>b<br/>c</br><hr noshade><col span=2>", 0,
	    { NULL }, { NULL }, "a<br>b<br>c<hr><col>" },
	{ "common attributes", "<td colspan=2 rowspan=\"3\" align=center "
	    "valign=top bgcolor=\"#FFFFFF\" width=\"50%\" dir=RTL lang=en-GB "
	    "title=\"t\">x", 0, { "colspan=\"2\" rowspan=\"3\" align=\"center\" "
	    "valign=\"top\" bgcolor=\"#FFFFFF\" width=\"50%\" dir=\"RTL\" "
	    "lang=\"en-GB\" title=\"t\"" }, { NULL }, NULL },
	{ "bad attribute values", "<td width=\"100;x:y\" bgcolor=\"red;x\" "
	    "dir=up lang=\"en gb\" align=\"left right\">x", 0, { "<td>x</td>" },
	    { "width", "bgcolor", "dir", "lang", "align" }, NULL },
	{ "background attribute", "<table background=\"http://x/bg.png\"><tr>"
	    "<td background=x>t</td></tr></table>", 0, { "t" },
	    { "background", "http" }, NULL },

	/* Ordinary mail. */
	{ "Outlook-style message",
	    "<html xmlns:v=\"urn:schemas-microsoft-com:vml\" xmlns:o=\"urn:"
	    "schemas-microsoft-com:office:office\"><head><meta http-equiv="
	    "Content-Type content=\"text/html; charset=utf-8\"><style><!--\n"
	    "p.MsoNormal {margin:0cm; font-family:\"Calibri\";}\n--></style>"
	    "<!--[if gte mso 9]><xml><o:shapedefaults v:ext=\"edit\" "
	    "spidmax=\"1026\" /></xml><![endif]--></head><body lang=EN-US "
	    "link=\"#0563C1\" vlink=\"#954F72\"><div class=WordSection1>"
	    "<p class=MsoNormal>Hello Bob,<o:p></o:p></p>"
	    "<table class=MsoNormalTable border=0 cellspacing=0 cellpadding=0 "
	    "width=600 style='width:450.0pt;border-collapse:collapse'><tr>"
	    "<td width=300 valign=top style='width:225.0pt;border:solid "
	    "windowtext 1.0pt;padding:0cm 5.4pt 0cm 5.4pt'><p class=MsoNormal>"
	    "<b><span style='color:#1F497D'>Total</span></b></p></td>"
	    "<td><p class=MsoNormal><font face=\"Times New Roman\" size=2 "
	    "color=navy>42 &euro;</font></p></td></tr></table>"
	    "<p class=MsoNormal>See <a href=\"https://example.com/report?id=7"
	    "&amp;x=1\">the report</a>.</p></div></body></html>", 0,
	    { "<p>Hello Bob,</p>", "<table border=\"0\" cellspacing=\"0\" "
	    "cellpadding=\"0\" width=\"600\" style=\"width:450.0pt;"
	    "border-collapse:collapse\"><tr><td width=\"300\" valign=\"top\" "
	    "style=\"width:225.0pt;border:solid windowtext 1.0pt;padding:0cm "
	    "5.4pt 0cm 5.4pt\"><p><b><span style=\"color:#1F497D\">Total</span>"
	    "</b></p></td>", "<font face=\"Times New Roman\" size=\"2\" "
	    "color=\"navy\">42 &euro;</font>", "<a href=\"https://example.com/"
	    "report?id=7&amp;x=1\" rel=\"noopener noreferrer\" target=\"_blank\">"
	    "the report</a>" },
	    { "class", "mso", "xmlns", "o:p", "MsoNormal", "link=" }, NULL },
	{ "newsletter-style markup", "<center><table width=\"100%\" "
	    "bgcolor=\"#eeeeee\"><tr><td align=\"center\"><h1 style=\"font-size:"
	    "24px;line-height:30px;text-align:center\">News</h1><img src="
	    "\"https://tracker.example/open.gif\" width=1 height=1><ul><li>One"
	    "</li><li><a href=\"http://example.org/2\">Two</a></li></ul><hr>"
	    "<small>Unsubscribe</small></td></tr></table></center>", 0,
	    { "<h1 style=\"font-size:24px;line-height:30px;text-align:center\">"
	    "News</h1>", "<ul><li>One</li><li><a href=\"http://example.org/2\"",
	    "<hr><small>Unsubscribe</small></td></tr></table></center>" },
	    { "tracker", "<img" }, NULL },
	{ "plain formatting", "<pre>code &lt;here&gt;</pre><blockquote type=cite>"
	    "<p>quoted <i>text</i> <u>u</u> <s>s</s> <sub>1</sub><sup>2</sup>"
	    "</p></blockquote><h2>H</h2><code>c</code><tt>t</tt><q>q</q>"
	    "<abbr title=\"x\">a</abbr><cite>c</cite><address>ad</address>", 0,
	    { NULL }, { "type" }, "<pre>code &lt;here&gt;</pre><blockquote>"
	    "<p>quoted <i>text</i> <u>u</u> <s>s</s> <sub>1</sub><sup>2</sup>"
	    "</p></blockquote><h2>H</h2><code>c</code><tt>t</tt><q>q</q>"
	    "<abbr title=\"x\">a</abbr><cite>c</cite><address>ad</address>" },
};

static void
check_output(const char *label, const char *out)
{
	const char	*why;

	if ((why = sanitize_oracle(out, strlen(out))) != NULL)
		fail_msg("%s: %s in output \"%.400s\"", label, why, out);
}

static void
test_case(void **state)
{
	const struct san_case	*c = *state;
	size_t			 len, i;
	char			*out;
	int			 calls = 0;

	len = c->len != 0 ? c->len : strlen(c->input);
	out = sanitize_html(c->input, len, test_cid_url, &calls);
	assert_non_null(out);
	check_output(c->label, out);
	for (i = 0; i < NWANT && c->want[i] != NULL; i++)
		if (strstr(out, c->want[i]) == NULL)
			fail_msg("%s: \"%s\" missing from \"%s\"", c->label,
			    c->want[i], out);
	for (i = 0; i < NWANT && c->reject[i] != NULL; i++)
		if (strcasestr(out, c->reject[i]) != NULL)
			fail_msg("%s: \"%s\" present in \"%s\"", c->label,
			    c->reject[i], out);
	if (c->exact != NULL && strcmp(out, c->exact) != 0)
		fail_msg("%s: got \"%s\", want \"%s\"", c->label, out,
		    c->exact);
	free(out);
}

static void
test_no_callback(void **state)
{
	char	*out;

	(void)state;
	out = sanitize_html("<img src=\"cid:abc@x\">t", 22, NULL, NULL);
	assert_non_null(out);
	assert_string_equal(out, "t");
	free(out);
}

static void
test_callback_calls(void **state)
{
	const char	*in;
	char		*out;
	int	 calls = 0;

	(void)state;
	/* Only a cid: src of an img asks the store. */
	in = "<img src=cid:abc@x><img src=http://x/><p src=cid:abc@x>";
	out = sanitize_html(in, strlen(in), test_cid_url, &calls);
	assert_non_null(out);
	assert_int_equal(calls, 1);
	free(out);
}

static void
test_empty(void **state)
{
	char	*out;

	(void)state;
	out = sanitize_html(NULL, 0, NULL, NULL);
	assert_non_null(out);
	assert_string_equal(out, "");
	free(out);
	out = sanitize_html("<!-- only a comment -->", 23, NULL, NULL);
	assert_non_null(out);
	assert_string_equal(out, "");
	free(out);
}

/* head, unit times over, then tail: a malloc'd string. */
static char *
repeat(const char *head, const char *unit, size_t times, const char *tail)
{
	size_t	 h = strlen(head), n = strlen(unit), m = strlen(tail), i;
	char	*s;

	s = malloc(h + n * times + m + 1);
	assert_non_null(s);
	memcpy(s, head, h);
	for (i = 0; i < times; i++)
		memcpy(s + h + i * n, unit, n);
	memcpy(s + h + n * times, tail, m + 1);
	return s;
}

static size_t
count(const char *s, const char *needle)
{
	size_t	 n = 0;

	while ((s = strstr(s, needle)) != NULL) {
		n++;
		s += strlen(needle);
	}
	return n;
}

static void
test_deep_nesting(void **state)
{
	char	*in, *out, *close;

	(void)state;
	/* 10000 <div>, text, 10000 </div>: capped, balanced. */
	close = repeat("", "</div>", 10000, "");
	in = repeat("", "<div>", 10000, "");
	in = realloc(in, strlen(in) + 1 + strlen(close) + 1);
	assert_non_null(in);
	strcat(in, "x");
	strcat(in, close);
	out = sanitize_html(in, strlen(in), NULL, NULL);
	assert_non_null(out);
	check_output("deep nesting", out);
	assert_int_equal(count(out, "<div>"), SANITIZE_MAX_DEPTH);
	assert_int_equal(count(out, "</div>"), SANITIZE_MAX_DEPTH);
	assert_non_null(strstr(out, "x"));
	free(out);
	free(in);
	free(close);

	/* Unclosed inline elements: the cap holds, the end closes them. */
	in = repeat("", "<b><i><span><font>", 5000, "y");
	out = sanitize_html(in, strlen(in), NULL, NULL);
	assert_non_null(out);
	check_output("deep inline nesting", out);
	assert_non_null(strstr(out, "y"));
	free(out);
	free(in);

	/* Sloppy lists and cells stay shallow through implied ends. */
	in = repeat("<table>", "<tr><td>c<td>d", 2000, "</table>");
	out = sanitize_html(in, strlen(in), NULL, NULL);
	assert_non_null(out);
	check_output("sloppy table", out);
	assert_true(count(out, "<td>") > 3000);
	free(out);
	free(in);
}

static void
test_long_values(void **state)
{
	char	*in, *out;
	size_t	 n = 1 << 20, i;

	(void)state;
	in = malloc(n + 64);
	assert_non_null(in);

	/* A 1 MiB title is dropped; the element stays. */
	strcpy(in, "<p title=\"");
	for (i = strlen(in); i < n; i++)
		in[i] = 'a';
	strcpy(in + n, "\">x</p>");
	out = sanitize_html(in, strlen(in), NULL, NULL);
	assert_non_null(out);
	assert_string_equal(out, "<p>x</p>");
	free(out);

	/* A 1 MiB link is dropped. */
	strcpy(in, "<a href=\"http://x/");
	for (i = strlen(in); i < n; i++)
		in[i] = 'a';
	strcpy(in + n, "\">x</a>");
	out = sanitize_html(in, strlen(in), NULL, NULL);
	assert_non_null(out);
	assert_string_equal(out, "<a>x</a>");
	free(out);

	/* A 1 MiB inline image is kept. */
	strcpy(in, "<img src=\"data:image/jpeg;base64,");
	for (i = strlen(in); i < n; i++)
		in[i] = 'A';
	strcpy(in + n, "\">");
	out = sanitize_html(in, strlen(in), NULL, NULL);
	assert_non_null(out);
	check_output("long data image", out);
	assert_true(strlen(out) > n - 64);
	free(out);

	/* An unterminated 1 MiB value swallows the rest, as in HTML. */
	strcpy(in, "<p>a<b title=\"");
	for (i = strlen(in); i < n; i++)
		in[i] = '<';
	in[n] = '\0';
	out = sanitize_html(in, strlen(in), NULL, NULL);
	assert_non_null(out);
	assert_string_equal(out, "<p>a</p>");
	free(out);
	free(in);
}

static double
now(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

#if defined(__SANITIZE_ADDRESS__)
#define TIME_LIMIT	4.0	/* ASan and UBSan slow everything down */
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TIME_LIMIT	4.0
#endif
#endif
#ifndef TIME_LIMIT
#define TIME_LIMIT	1.0
#endif

/*
 * 5 MiB of each pattern that could make a careless tokenizer quadratic;
 * CPU time, so a loaded machine does not fail the test.
 */
static void
test_linear_time(void **state)
{
	static const char *const	 units[] = {
		"<p class=x style=\"color:red;margin:0\">Hello <b>w</b> &amp; "
		    "<a href=\"http://e.org/?a=1&amp;b\">l</a><img src=cid:abc@x>"
		    "</p>\n",
		"<a<a<a<a<a", "&&&&&&&&#&#x&amp", "&aaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		    "aaaaaaaaaaaaaaaaaaaaaa", "<div>", "</div>", "<b></i>",
		"<!--", "<!-- -->", "<!", "</", "<p title=\"", "<p title=a ",
		"<script>", "</script", "<svg>", "<svg><p>", "<li><span>",
		"<td>", "<p><div>", "<x y=1 z=2 w=3 v=4>", "<table><tr>",
		"\xff\xfe\x00\xc3", "<style>a</style", "<p style=\"color:red;"
		    "font-family:'a','b';border:1px solid rgb(1,2,3)\">",
	};
	const size_t			 target = 5 << 20;
	size_t				 i, times;
	double				 t0, dt;
	char				*in, *out;
	int				 calls;

	(void)state;
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		times = target / (strlen(units[i]) + (units[i][0] == '\xff'));
		in = repeat("", units[i], times, "");
		calls = 0;
		t0 = now();
		out = sanitize_html(in, strlen(in), test_cid_url, &calls);
		dt = now() - t0;
		assert_non_null(out);
		check_output(units[i], out);
		if (dt > TIME_LIMIT)
			fail_msg("pattern \"%s\": %.2f s for 5 MiB", units[i],
			    dt);
		free(out);
		free(in);
	}
}

/* NUL-containing pattern: repeat() stops at NUL, so build it by hand. */
static void
test_linear_time_binary(void **state)
{
	const size_t	 n = 5 << 20;
	size_t		 i;
	double		 t0, dt;
	char		*in, *out;

	(void)state;
	in = malloc(n);
	assert_non_null(in);
	for (i = 0; i < n; i++)
		in[i] = "<\0\xff&a=\"'>/ "[i % 12];
	t0 = now();
	out = sanitize_html(in, n, NULL, NULL);
	dt = now() - t0;
	assert_non_null(out);
	check_output("binary", out);
	if (dt > TIME_LIMIT)
		fail_msg("binary pattern: %.2f s for 5 MiB", dt);
	free(out);
	free(in);
}

/* Every text/html part of the corpus, and each whole file as if HTML. */
struct corpus_stats {
	int	 files;
	int	 parts;
	size_t	 in;
	size_t	 out;
};

static void
corpus_part(GMimeObject *parent, GMimeObject *part, gpointer data)
{
	struct corpus_stats	*st = data;
	char			*text, *out;

	(void)parent;
	if (!GMIME_IS_TEXT_PART(part) ||
	    !g_mime_content_type_is_type(g_mime_object_get_content_type(part),
	    "text", "html"))
		return;
	if ((text = g_mime_text_part_get_text(GMIME_TEXT_PART(part))) == NULL)
		return;
	out = sanitize_html(text, strlen(text), test_cid_url, NULL);
	assert_non_null(out);
	check_output("corpus html part", out);
	st->parts++;
	st->in += strlen(text);
	st->out += strlen(out);
	free(out);
	g_free(text);
}

static void
test_corpus(void **state)
{
	struct corpus_stats	 st = { 0, 0, 0, 0 };
	const char		*dirpath = CORPUS_DIR "/mime-samples";
	DIR			*dir;
	struct dirent		*de;
	char			 path[4096], *buf, *out;
	gsize			 len;
	GMimeStream		*stream;
	GMimeParser		*parser;
	GMimeMessage		*msg;

	(void)state;
	if ((dir = opendir(dirpath)) == NULL)
		fail_msg("%s: cannot open the corpus", dirpath);
	g_mime_init();
	while ((de = readdir(dir)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dirpath, de->d_name);
		if (!g_file_get_contents(path, &buf, &len, NULL))
			continue;
		out = sanitize_html(buf, len, test_cid_url, NULL);
		assert_non_null(out);
		check_output(de->d_name, out);
		free(out);
		st.files++;

		stream = g_mime_stream_mem_new_with_buffer(buf, len);
		parser = g_mime_parser_new_with_stream(stream);
		msg = g_mime_parser_construct_message(parser, NULL);
		if (msg != NULL) {
			g_mime_message_foreach(msg, corpus_part, &st);
			g_object_unref(msg);
		}
		g_object_unref(parser);
		g_object_unref(stream);
		g_free(buf);
	}
	closedir(dir);
	g_mime_shutdown();
	print_message("corpus: %d files, %d text/html parts, %zu bytes in, "
	    "%zu out\n", st.files, st.parts, st.in, st.out);
	assert_true(st.files > 0);
	/* Mail HTML is mostly text and allowed markup: most of it stays. */
	assert_true(st.parts == 0 || st.out * 2 > st.in);
}

int
main(void)
{
	struct CMUnitTest	 tests[sizeof(cases) / sizeof(cases[0]) + 10];
	size_t			 i, n = 0;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		tests[n].name = cases[i].label;
		tests[n].test_func = test_case;
		tests[n].setup_func = NULL;
		tests[n].teardown_func = NULL;
		tests[n].initial_state = (void *)&cases[i];
		n++;
	}
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_no_callback);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_callback_calls);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_empty);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_deep_nesting);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_long_values);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_linear_time);
	tests[n++] = (struct CMUnitTest)
	    cmocka_unit_test(test_linear_time_binary);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_corpus);
	return _cmocka_run_group_tests("sanitize", tests, n, NULL, NULL);
}
