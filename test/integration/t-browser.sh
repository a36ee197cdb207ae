#!/usr/bin/env bash
#
# sealpost-portal in headless Chromium (test/browser/portal.spec.js, with
# playwright-core and Debian's /usr/bin/chromium), against a private
# Postfix + sealpost-milter + sealpost-portal on loopback:
#  - two [secure] messages to alice@ and bob@example.net go through
#    Postfix: one
#    with a PDF attachment, one HTML message full of XSS and remote-content
#    payloads (script tags, event handlers, javascript: links, SVG onload,
#    CSS url() and @import, remote images on http://127.0.0.9:1/ and a
#    tracking pixel), plus a cid: inline image that must show (inlined as
#    a data: URL: the sandboxed frame gets no cookie);
#  - bob registers with curl (test/lib/portal.sh); with his session
#    cookie the browser opens the HTML message from his inbox: no
#    dialog, window.__xss undefined in every frame, every request goes to
#    the portal's origin, the cid: image shows;
#  - the browser registers alice by clicks (the verification link comes
#    from the mail caught at the sink), sets the password, logs in, opens
#    the first message from the inbox and downloads the .eml and the
#    attachment: byte for byte what was sent;
#  - screenshots of the login and a message page at 360x740 and 1280x800
#    go to $SEALPOST_BUILD/screenshots/ (no page may scroll sideways).
# Needs chromium, node and test/browser/node_modules (npm ci):
# test/lib/setup.sh installs them.
set -euo pipefail
source "${SEALPOST_SOURCE:-$(dirname "$0")/../..}/test/lib/browser.sh"

h_browser_require
h_init browser
h_portal_start_all
h_ok "Postfix, milter and portal up; portal_url $H_PORTAL_URL"

FROM=user@example.com
ALICE=alice@example.net
BOB=bob@example.net
W=$H_DIR/work
SUBJ_A="Quarterly figures"
SUBJ_X="Newsletter with payloads"
BODY_MARK="The vault combination is PURPLE-ELEPHANT-4711."
ATT_NAME=q3-forecast-8832.pdf

att=$W/att.pdf
{
	printf '%%PDF-1.4\n%% sealpost browser test attachment\n'
	head -c 2000 /dev/urandom
	printf '\ntrailer << /Root 1 0 R >>\n%%%%EOF\n'
} >"$att"

msg_a=$W/plain.eml
cat >"$msg_a" <<EOF
Date: Mon, 02 Mar 2026 10:00:00 +0000
From: Example User <$FROM>
To: Alice <$ALICE>, Bob <$BOB>
Subject: $SUBJ_A [secure]
Message-ID: <browser-a@example.com>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="b1-browser"

--b1-browser
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: 8bit

Hello Alice,

$BODY_MARK
Here is a rather long line without any break that a phone must wrap or scroll inside its own box: https://example.com/a/very/long/path/that/does/not/end/anytime/soon/0123456789/abcdefghijklmnopqrstuvwxyz/0123456789
.A line starting with a dot. Grüße.

Kind regards,
Example User
--b1-browser
Content-Type: application/pdf; name="$ATT_NAME"
Content-Disposition: attachment; filename="$ATT_NAME"
Content-Transfer-Encoding: base64

$(base64 -w 76 "$att")
--b1-browser--
EOF
sent_a=$W/plain.crlf
h_crlf "$msg_a" "$sent_a"

# A 1x1 PNG for the cid: image (the portal inlines it as a data: URL).
png_b64=iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==
R=http://127.0.0.9:1
msg_x=$W/xss.eml
cat >"$msg_x" <<EOF
Date: Mon, 02 Mar 2026 12:00:00 +0000
From: Example User <$FROM>
To: Alice <$ALICE>, Bob <$BOB>
Subject: $SUBJ_X [secure]
Message-ID: <browser-x@example.com>
MIME-Version: 1.0
Content-Type: multipart/related; boundary="rel-x"

--rel-x
Content-Type: multipart/alternative; boundary="alt-x"

--alt-x
Content-Type: text/plain; charset=utf-8

The text version of the newsletter.
--alt-x
Content-Type: text/html; charset=utf-8

<html><head>
<base href="$R/base/">
<meta http-equiv="refresh" content="0;url=$R/meta-refresh">
<link rel="stylesheet" href="$R/link.css">
<link rel="prefetch" href="$R/prefetch">
<link rel="dns-prefetch" href="$R/">
<style>
@import url($R/import.css);
@import "$R/import2.css";
body { background: url('$R/body-bg.png'); }
@font-face { font-family: x; src: url($R/font.woff); }
h1 { font-family: x; }
</style>
<script>window.__xss = 'script-head'; alert('script-head');</script>
</head>
<body onload="window.__xss='body-onload';alert('body-onload')">
<h1>Newsletter</h1>
<p>Plain text that must stay: NEWSLETTER-VISIBLE-TEXT.</p>
<script>window.__xss = 'script'; alert('script');</script>
<SCRIPT SRC="$R/x.js"></SCRIPT>
<img src="x" onerror="window.__xss='img-onerror';alert('img-onerror')">
<img src="$R/x.png" alt="remote image">
<img src="$R/track.gif?u=alice" width="1" height="1" alt="">
<img srcset="$R/srcset.png 1x, $R/srcset2.png 2x" alt="srcset">
<img src="cid:logo@example.com" alt="inline logo">
<a id="jslink" href="javascript:window.__xss='js-link';alert('js-link')">click-js</a>
<a href="JaVaScRiPt:alert('js-link-2')">click-js-2</a>
<a href="&#106;avascript:alert('js-link-3')">click-js-3</a>
<svg onload="window.__xss='svg-onload';alert('svg-onload')" width="10" height="10"><circle r="5"/></svg>
<svg><script>window.__xss='svg-script';alert('svg-script')</script></svg>
<svg><image href="$R/svg-image.png" width="5" height="5"/></svg>
<div style="background-image: url($R/div-bg.png); width: 10px; height: 10px">x</div>
<div style="background:url(&quot;$R/div-bg2.png&quot;)">y</div>
<div style="width: expression(alert('expr'))">z</div>
<table background="$R/table-bg.png"><tr><td background="$R/td-bg.png">cell</td></tr></table>
<iframe src="javascript:parent.__xss='iframe-js';alert('iframe-js')"></iframe>
<iframe src="$R/iframe.html"></iframe>
<iframe srcdoc="&lt;script&gt;alert('srcdoc')&lt;/script&gt;"></iframe>
<object data="$R/object.swf"></object>
<embed src="$R/embed.swf">
<video poster="$R/poster.png" src="$R/video.mp4"></video>
<audio src="$R/audio.mp3" autoplay></audio>
<input type="image" src="$R/input.png">
<form action="$R/form"><input name="q" value="x"><button>send</button></form>
<details open ontoggle="window.__xss='details';alert('details')"><summary>more</summary>details</details>
<math><mtext><table><mglyph><style><img src=x onerror="window.__xss='mxss';alert('mxss')"></style></mglyph></table></mtext></math>
<noscript><p title="</noscript><img src=x onerror=window.__xss='noscript';alert('noscript')>"></noscript>
<p>END-OF-PAYLOADS</p>
</body></html>
--alt-x--

--rel-x
Content-Type: image/png; name="logo.png"
Content-ID: <logo@example.com>
Content-Disposition: inline; filename="logo.png"
Content-Transfer-Encoding: base64

$png_b64
--rel-x--
EOF

h_send_file "$FROM" "$ALICE,$BOB" "$msg_a"
h_send_file "$FROM" "$ALICE,$BOB" "$msg_x"
h_wait_queue_empty 120
h_wait_sink_count 2 30 || h_fail "want 2 notifications at the sink"

# The message id in each notification, told apart by Subject.
id_a=''
id_x=''
while read -r f; do
	subj=$(h_header Subject "$f") || continue
	id=$(h_portal_ids "$f" | head -1)
	case $subj in
	"$SUBJ_A"*) id_a=$id ;;
	"$SUBJ_X"*) id_x=$id ;;
	esac
done < <(h_sink_files)
[[ -n $id_a && -n $id_x ]] || h_fail "notification links not found (plain: '$id_a', html: '$id_x')"
h_check_stored "$id_a" "$sent_a" || h_fail "the stored original of $id_a is not what was sent"
h_ok "two notifications: /m/$id_a (attachment), /m/$id_x (HTML payloads); stored originals checked"

h_portal_register bob "$BOB" "lemon glacier whistles at dawn"
bob_cookie=$(awk '$6 ~ /^(__Host-)?sealpost$/ { print $6 "=" $7 }' "$H_DIR/curl/bob.jar" | tail -1)
[[ -n $bob_cookie ]] || h_fail "no session cookie for $BOB after logging in with curl"
h_ok "$BOB registered and logged in with curl (his cookie goes to the browser for the HTML message)"

shots=$H_SHOT_DIR
rm -f "$shots"/login-*.png "$shots"/message-*.png "$shots"/xss-*.png
h_browser_run portal.spec.js \
    USER_EMAIL=$ALICE USER_PASSWORD="amber falcon over quiet meadows" \
    READER_EMAIL=$BOB READER_COOKIE="$bob_cookie" \
    MSG_ID="$id_a" MSG_SUBJECT="$SUBJ_A" MSG_BODY_MARK="$BODY_MARK" \
    MSG_RAW="$sent_a" ATT_NAME=$ATT_NAME ATT_FILE="$att" \
    XSS_ID="$id_x" XSS_SUBJECT="$SUBJ_X"

for s in login-phone login-desktop message-phone message-desktop; do
	[[ -s $shots/$s.png ]] || h_fail "screenshot $shots/$s.png missing"
done
h_ok "screenshots in $shots: $(find "$shots" -maxdepth 1 -name '*.png' -printf '%f\n' | sort | tr '\n' ' ')"
echo "t-browser: all checks passed"
