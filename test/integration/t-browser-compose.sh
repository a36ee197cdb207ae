#!/usr/bin/env bash
#
# Writing in sealpost-portal by clicks in headless Chromium
# (test/browser/compose.spec.js; playwright-core and Debian's chromium),
# against a private Postfix + sealpost-milter + sealpost-portal on
# loopback:
#  - one [secure] message with a PDF attachment from user@example.com
#    (internal: a professional, without an account yet) to alice@ and
#    bob@example.net goes through Postfix; alice and bob register with
#    curl (test/lib/portal.sh);
#  - in the browser: alice logs in, clicks Reply, types, attaches a text
#    file (CRLF and LF lines, UTF-8, no final newline) and sends; the
#    sender registers by clicks through the mailed link, opens the reply:
#    text, quoted original, conversation, attachment byte for byte;
#  - the sender clicks "New secure message" to carol@example.net with a
#    binary file; carol's notification reaches the sink, she registers by
#    clicks, follows the link and downloads the file byte for byte;
#  - alice clicks Reply all (Cc bob) and Forward (to bob); bob logs in,
#    reads both; the forward carries the PDF, byte for byte;
#  - no console error or CSP violation on any page; screenshots of the
#    reply form and the compose page at 360x740 and 1280x800 go to
#    $SEALPOST_BUILD/screenshots/ (no page may scroll sideways).
# Needs chromium, node and test/browser/node_modules: test/lib/setup.sh.
set -euo pipefail
source "${SEALPOST_SOURCE:-$(dirname "$0")/../..}/test/lib/browser.sh"

h_browser_require
h_init browser-compose
h_portal_start_all
h_ok "Postfix, milter and portal up; portal_url $H_PORTAL_URL"

FROM=user@example.com
ALICE=alice@example.net
BOB=bob@example.net
CAROL=carol@example.net
W=$H_DIR/work
SUBJ="Project plan"
BODY_MARK="The launch date moves to the ninth of June."
ATT_NAME=project-plan-4410.pdf

att=$W/att.pdf
{
	printf '%%PDF-1.4\n%% sealpost browser compose test\n'
	head -c 3000 /dev/urandom
	printf '\n%%%%EOF\n'
} >"$att"
# Text whose line ends must survive as they are: a CRLF line, LF lines,
# UTF-8, no newline at the end.
reply_att=$W/reply-notes-5512.txt
printf 'Notes for the reply\r\nsecond line\nGr\xc3\xbc\xc3\x9fe \xe2\x82\xac\n\n\tlast line, no newline' >"$reply_att"
# Every byte value, then random bytes.
compose_att=$W/board-deck-7731.bin
{
	perl -e 'print map { chr } 0 .. 255'
	head -c 20000 /dev/urandom
} >"$compose_att"

msg=$W/orig.eml
cat >"$msg" <<EOF
Date: Tue, 03 Mar 2026 09:00:00 +0000
From: Example User <$FROM>
To: Alice <$ALICE>, Bob <$BOB>
Subject: $SUBJ [secure]
Message-ID: <browser-compose@example.com>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="b1-compose"

--b1-compose
Content-Type: text/plain; charset=utf-8

Hello Alice and Bob,

$BODY_MARK

Example User
--b1-compose
Content-Type: application/pdf; name="$ATT_NAME"
Content-Disposition: attachment; filename="$ATT_NAME"
Content-Transfer-Encoding: base64

$(base64 -w 76 "$att")
--b1-compose--
EOF
h_send_file "$FROM" "$ALICE,$BOB" "$msg"
h_wait_queue_empty 120
h_wait_sink_count 1 30 || h_fail "want 1 notification at the sink"
id=$(h_portal_ids "$(h_sink_files | head -1)" | head -1)
[[ -n $id ]] || h_fail "no portal link in the notification"
h_ok "the notification links /m/$id"

PW_ALICE="amber falcon over quiet meadows"
PW_BOB="lemon glacier whistles at dawn"
h_portal_register alice "$ALICE" "$PW_ALICE"
h_portal_register bob "$BOB" "$PW_BOB"
h_ok "$ALICE and $BOB registered with curl"

rm -f "$H_SHOT_DIR"/reply-*.png "$H_SHOT_DIR"/compose-*.png
h_browser_run compose.spec.js \
    SENDER=$FROM SENDER_PASSWORD="copper kettle sings at noon" \
    GUEST=$ALICE GUEST_PASSWORD="$PW_ALICE" \
    READER=$BOB READER_PASSWORD="$PW_BOB" \
    NEWCOMER=$CAROL NEWCOMER_PASSWORD="violet harbour under snow" \
    MSG_ID="$id" MSG_SUBJECT="$SUBJ" MSG_BODY_MARK="$BODY_MARK" \
    ATT_NAME=$ATT_NAME ATT_FILE="$att" \
    REPLY_ATT="$reply_att" COMPOSE_ATT="$compose_att"

for s in reply-phone reply-desktop compose-phone compose-desktop; do
	[[ -s $H_SHOT_DIR/$s.png ]] || h_fail "screenshot $H_SHOT_DIR/$s.png missing"
done
h_ok "screenshots reply-*.png and compose-*.png in $H_SHOT_DIR"
echo "t-browser-compose: all checks passed"
