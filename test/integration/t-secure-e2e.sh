#!/usr/bin/env bash
#
# A secure message with an attachment, from an internal sender to two
# recipients plus a Bcc, through a private Postfix with sealpost-milter:
#  - ONE notification reaches the sink, for all three envelope recipients;
#  - it carries no trace of the body text, the attachment's name or its
#    base64; Subject without the tag; Reply-To: noreply_address; the kept
#    headers unchanged and the others removed; the portal link with the id;
#  - the stored original (sp-dump) is byte for byte what was sent;
#  - sealpost-admin message list --json shows the three recipients.
set -euo pipefail
source "${SEALPOST_SOURCE:-$(dirname "$0")/../..}/test/lib/harness.sh"

h_init secure-e2e
h_start_all

FROM=user@example.com
RCPT_TO=alice@example.net
RCPT_CC=bob@example.org
RCPT_BCC=carol@example.net
BODY_MARK="The vault combination is PURPLE-ELEPHANT-4711"
ATT_NAME=q3-forecast-CONFIDENTIAL-8832.pdf

# A small PDF-like attachment, base64 in the message.
att=$H_DIR/work/att.pdf
printf '%%PDF-1.4\n%% sealpost test attachment\n1 0 obj << /Secret (TANGERINE-9931) >> endobj\ntrailer << /Root 1 0 R >>\n%%%%EOF\n' >"$att"
att_b64=$(base64 -w 76 "$att")
att_b64_first=$(head -1 <<<"$att_b64")

msg=$H_DIR/work/secure.eml
cat >"$msg" <<EOF
Date: Mon, 02 Mar 2026 10:00:00 +0000
From: Example User <$FROM>
To: Alice <$RCPT_TO>
Cc: Bob <$RCPT_CC>
Subject: Quarterly figures [secure]
Message-ID: <e2e-1@example.com>
In-Reply-To: <earlier-1@example.com>
References: <earlier-0@example.com> <earlier-1@example.com>
X-Mailer: sealpost-harness 1.0
Thread-Topic: Quarterly figures
X-Secret-Project: HUMMINGBIRD
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="b1-e2e"

This is a multi-part message in MIME format.

--b1-e2e
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: 8bit

Hello Alice and Bob,

$BODY_MARK.
.A line starting with a dot (dot-stuffed on the wire).
Grüße, with 8-bit text.

--b1-e2e
Content-Type: application/pdf; name="$ATT_NAME"
Content-Disposition: attachment; filename="$ATT_NAME"
Content-Transfer-Encoding: base64

$att_b64
--b1-e2e--
EOF
sent=$H_DIR/work/secure.crlf
h_crlf "$msg" "$sent"

h_send_file "$FROM" "$RCPT_TO,$RCPT_CC,$RCPT_BCC" "$msg"
h_ok "Postfix accepted the secure message (queue id $H_LAST_QID)"
h_wait_queue_empty 120

# --- one notification, three recipients
n=$(h_sink_count)
[[ $n -eq 1 ]] || h_fail "want exactly 1 delivery at the sink, got $n"
out=$(h_sink_files)
got_rcpts=$(h_sink_rcpts "$out" | sort | tr '\n' ' ')
want_rcpts=$(printf '%s\n' "$RCPT_TO" "$RCPT_CC" "$RCPT_BCC" | sort | tr '\n' ' ')
[[ $got_rcpts == "$want_rcpts" ]] ||
    h_fail "sink recipients (X-Rcpt-Args): got '$got_rcpts', want '$want_rcpts'"
h_ok "one delivery at the sink, for $want_rcpts"

notif=$H_DIR/work/notification.eml
h_sink_message "$out" >"$notif"
decoded=$H_DIR/work/notification.txt
h_decoded_text "$notif" >"$decoded"

# --- no trace of the original
for s in "$BODY_MARK" PURPLE-ELEPHANT "$ATT_NAME" q3-forecast TANGERINE \
    "$att_b64_first" HUMMINGBIRD "sealpost-harness" "Grüße"; do
	if grep -qiF -- "$s" "$decoded"; then
		h_fail "the notification contains '$s' from the original"
	fi
done
h_ok "no body text, attachment name, attachment base64 or removed header value in the notification"

# --- headers
subj=$(h_header Subject "$notif") || h_fail "notification has no Subject"
if grep -qiF '[secure]' <<<"$subj"; then
	h_fail "Subject still has the tag: '$subj'"
fi
norm=$(tr -s ' \t' '  ' <<<"$subj" | sed 's/^ //; s/ $//')
[[ $norm == "Quarterly figures" ]] ||
    h_fail "Subject: got '$subj', want 'Quarterly figures'"
h_ok "Subject without the tag: '$subj'"

rt=$(h_header Reply-To "$notif") || h_fail "notification has no Reply-To"
[[ $rt == "$H_NOREPLY" || $rt == "<$H_NOREPLY>" || $rt == *" <$H_NOREPLY>" ]] ||
    h_fail "Reply-To: got '$rt', want $H_NOREPLY"
[[ $(grep -ci '^Reply-To:' "$notif") -eq 1 ]] || h_fail "more than one Reply-To"
h_ok "Reply-To: $rt"

for hd in From To Cc Date Message-ID In-Reply-To References; do
	want=$(h_header "$hd" "$sent") || h_fail "test bug: no $hd in the sent message"
	got=$(h_header "$hd" "$notif") || h_fail "notification lost header $hd"
	[[ $got == "$want" ]] || h_fail "$hd: got '$got', want '$want'"
done
h_ok "From, To, Cc, Date, Message-ID, In-Reply-To, References kept unchanged"

for hd in X-Mailer Thread-Topic X-Secret-Project Bcc; do
	if h_header "$hd" "$notif" >/dev/null; then
		h_fail "header $hd of the original is still in the notification"
	fi
done
h_header Received "$notif" | grep -q "(Postfix) with ESMTP id $H_LAST_QID" ||
    h_fail "Postfix's Received: header (id $H_LAST_QID) missing from the notification"
ct=$(h_header Content-Type "$notif") || h_fail "notification has no Content-Type"
grep -qi '^multipart/alternative' <<<"$ct" ||
    h_fail "notification Content-Type: got '$ct', want multipart/alternative"
for part in text/plain text/html; do
	grep -qi "^Content-Type: *$part" "$notif" ||
	    h_fail "notification lacks a $part part"
done
h_ok "other headers removed, Received kept, multipart/alternative text + HTML"

# --- the link and the stored original
mapfile -t ids < <(h_portal_ids "$notif")
[[ ${#ids[@]} -eq 1 ]] ||
    h_fail "want one message id in portal links ($H_PORTAL_URL/m/ID), got ${#ids[@]}: ${ids[*]:-none}"
id=${ids[0]}
h_ok "portal link $H_PORTAL_URL/m/$id"

h_check_stored "$id" "$sent" || h_fail "stored original of $id is not what was sent"
h_ok "stored original (sp-dump $id) equals the sent message byte for byte ($(stat -c %s "$sent") bytes)"

# sp-dump must fail on an id that is not stored, and on a non-id.
if h_dump AAAAAAAAAAAAAAAAAAAAAA "$H_DIR/work/none"; then
	h_fail "sp-dump succeeded for a message id that is not stored"
fi
if h_dump not-an-id "$H_DIR/work/none"; then
	h_fail "sp-dump succeeded for a malformed message id"
fi
h_ok "sp-dump exits non-zero for a missing or malformed id"

list=$H_DIR/work/list.json
h_message_list >"$list" || h_fail "sealpost-admin message list --json failed"
jq -e 'type == "array" and length == 1' "$list" >/dev/null ||
    h_fail "message list --json: want an array of 1 message, got: $(cat "$list")"
jq -e --arg id "$id" '.[0].id == $id' "$list" >/dev/null ||
    h_fail "message list --json: id is not $id: $(cat "$list")"
got=$(jq -r '.[0].recipients[]' "$list" | tr 'A-Z' 'a-z' | sort | tr '\n' ' ')
[[ $got == "$want_rcpts" ]] ||
    h_fail "message list recipients: got '$got', want '$want_rcpts'"
got=$(jq -r '.[0].sender' "$list")
[[ $got == "$FROM" ]] || h_fail "message list sender: got '$got', want $FROM"
got=$(jq -r '.[0].size' "$list")
[[ $got == "$(stat -c %s "$sent")" ]] ||
    h_fail "message list size: got $got, want $(stat -c %s "$sent")"
got=$(jq -r '.[0].attachments' "$list")
[[ $got == 1 ]] || h_fail "message list attachments: got $got, want 1"
h_ok "message list --json: sender, the three recipients (Bcc included), size, 1 attachment"

echo "t-secure-e2e: all checks passed"
