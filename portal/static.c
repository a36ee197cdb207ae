/*
 * The portal's stylesheet: plain, readable from 360 px phones up, with
 * visible focus and sufficient contrast.  No web fonts, no images.  And
 * its icon, which every page links so that browsers do not ask for a
 * /favicon.ico that does not exist (a 404 in every console).
 */
#include <string.h>

#include <event2/buffer.h>

#include "http.h"
#include "static.h"

static const char style_css[] =
	"*,*::before,*::after{box-sizing:border-box}\n"
	"html{font-family:system-ui,-apple-system,\"Segoe UI\",Roboto,"
	"\"Noto Sans\",sans-serif;font-size:100%;line-height:1.5;"
	"color:#1b1f24;background:#f4f5f7;-webkit-text-size-adjust:100%}\n"
	"body{margin:0}\n"
	"header,main,footer{max-width:42rem;margin:0 auto;padding:1rem}\n"
	"header{border-bottom:1px solid #d0d4da;display:flex;"
	"flex-wrap:wrap;gap:.5rem 1rem;align-items:baseline}\n"
	"header .brand{font-weight:700;font-size:1.1rem;color:#1b1f24;"
	"text-decoration:none}\n"
	"h1{font-size:1.5rem;line-height:1.25;margin:.5rem 0 1rem}\n"
	"h2{font-size:1.2rem;margin:1.5rem 0 .5rem}\n"
	"p,ul,ol{margin:0 0 1rem}\n"
	"a{color:#0b57d0}\n"
	"a:focus-visible,button:focus-visible,input:focus-visible,"
	"textarea:focus-visible,select:focus-visible{outline:3px solid "
	"#e37400;outline-offset:2px}\n"
	"form{display:grid;gap:.75rem;margin:0 0 1.5rem}\n"
	"form.inline{display:inline;margin:0}\n"
	".field{display:grid;gap:.3rem}\n"
	".field p{margin:0}\n"
	"summary{cursor:pointer;font-weight:600;padding:.6rem 0}\n"
	"label{font-weight:600}\n"
	"input,textarea,select{font:inherit;width:100%;padding:.6rem;"
	"border:1px solid #6b7280;border-radius:4px;background:#fff;"
	"color:inherit}\n"
	"textarea{min-height:10rem;resize:vertical}\n"
	"button,.button{font:inherit;display:inline-block;padding:.6rem 1.2rem;"
	"border:1px solid #0b57d0;border-radius:4px;background:#0b57d0;"
	"color:#fff;cursor:pointer;text-decoration:none;min-height:44px}\n"
	"button.secondary{background:#fff;color:#0b57d0}\n"
	"table{width:100%;border-collapse:collapse;margin:0 0 1rem}\n"
	"th,td{padding:.5rem .4rem;border-bottom:1px solid #d0d4da;"
	"text-align:left;vertical-align:top;overflow-wrap:anywhere}\n"
	"table.headers th{overflow-wrap:normal}\n"
	"pre{white-space:pre-wrap;overflow-wrap:anywhere;background:#fff;"
	"padding:.75rem;border:1px solid #d0d4da;border-radius:4px}\n"
	".notice,.error{padding:.75rem 1rem;border-left:4px solid;"
	"margin:0 0 1rem;background:#fff}\n"
	".notice{border-color:#0b57d0}\n"
	".error{border-color:#b3261e;color:#8c1d18}\n"
	".muted{color:#4b5563}\n"
	"iframe{width:100%;min-height:20rem;border:1px solid #d0d4da;"
	"background:#fff}\n"
	"@media (max-width:30rem){header,main,footer{padding:.75rem}"
	"h1{font-size:1.3rem}button,.button{width:100%}}\n"
	"form.inline button{width:auto}\n";

static const char icon_svg[] =
	"<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 16 16\">"
	"<rect x=\"1\" y=\"3\" width=\"14\" height=\"10\" rx=\"1\" "
	"fill=\"#0b57d0\"/><path d=\"M1.5 4l6.5 5 6.5-5\" fill=\"none\" "
	"stroke=\"#fff\" stroke-width=\"1.5\"/></svg>\n";

static const struct {
	const char	*name;
	const char	*type;
	const char	*data;
	size_t		 len;
} assets[] = {
	{ "style.css", "text/css; charset=utf-8", style_css,
	    sizeof(style_css) - 1 },
	{ "icon.svg", "image/svg+xml", icon_svg, sizeof(icon_svg) - 1 },
};

int
handle_static(struct http_request *req, struct http_response *resp,
    void *arg)
{
	const char	*name = http_request_param(req, 0);
	size_t		 i;

	for (i = 0; name != NULL && i < sizeof(assets) / sizeof(assets[0]);
	    i++) {
		if (strcmp(name, assets[i].name) != 0)
			continue;
		if (http_response_set_header(resp, "Content-Type",
		    assets[i].type) == -1 ||
		    evbuffer_add_reference(resp->body, assets[i].data,
		    assets[i].len, NULL, NULL) == -1)
			return HTTP_HANDLER_ERROR;
		return HTTP_HANDLER_DONE;
	}
	http_response_error_page(resp, 404);
	return HTTP_HANDLER_DONE;
}
