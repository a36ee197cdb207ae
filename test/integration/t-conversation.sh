#!/usr/bin/env bash
#
# A conversation between an internal sender and a guest, end to end
# through the private Postfix + sealpost-milter + sealpost-portal:
#  - user@example.com sends a [secure] message to the guest
#    alice@example.net (and bob@example.org) through Postfix; alice
#    registers through the mailed verification link and reads it;
#  - alice, a guest, tries to write to someone new: a Reply to, a Reply
#    all with a Cc to, a Forward to an address outside the message's
#    participants, and POST /compose (urlencoded and multipart, with a
#    file): each is refused (403) with a page that says why; GET
#    /compose is refused too;
#  - alice replies in the portal (POST /m/ID/reply, mode=reply, empty
#    subject): 303 to the new message; the internal sender gets exactly
#    one notification, which links to the new message and carries
#    In-Reply-To/References of the original; the refused attempts left
#    nothing: the store holds one new message (the reply) and no mail
#    went to any address alice tried to add;
#  - the sender registers, finds the reply in the inbox, reads it: her
#    text, "Re: " + the original subject, the original quoted ("On ...
#    wrote:" and "> " lines), the Conversation section linking the
#    original; /m/NEW/raw has In-Reply-To and References naming the
#    original's Message-ID; the original's page lists the reply;
#  - the sender answers the reply: alice's notification links the third
#    message, whose References carry the whole chain, and alice's page of
#    it lists both earlier messages.
set -euo pipefail
source "${SEALPOST_SOURCE:-$(dirname "$0")/../..}/test/lib/portal.sh"

command -v jq >/dev/null || h_fail "jq not installed"
h_init conversation
h_portal_start_all

FROM=user@example.com
ALICE=alice@example.net
BOB=bob@example.org
MALLORY=mallory@elsewhere.test
PW_ALICE="copper kettle under the wild plum tree"
PW_FROM="granite otter juggling blue lemons"
ORIG_MID=conversation-1@example.com
ORIG_MARK="The tender closes on Friday: LILAC-HARBOUR-3141"
REPLY_MARK="Thanks, we will bid: SALTED-CARAMEL-2718"
ANSWER_MARK="Good, send the papers by Thursday: NORTH-WIND-1618"
W=$H_DIR/work

# --- the secure message -------------------------------------------------
msg=$W/orig.eml
cat >"$msg" <<EOF
Date: Mon, 02 Mar 2026 10:00:00 +0000
From: Example User <$FROM>
To: Alice <$ALICE>, Bob <$BOB>
Subject: Tender documents [secure]
Message-ID: <$ORIG_MID>
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8

Hello Alice,

$ORIG_MARK.
EOF
h_send_file "$FROM" "$ALICE,$BOB" "$msg"
h_wait_queue_empty 120
f=$(h_portal_notice "$ALICE" 1) || h_fail "no notification for $ALICE"
ID=$(h_portal_ids "$f")
[[ $ID =~ ^[A-Za-z0-9_-]{22}$ ]] || h_fail "notification to $ALICE: no single message id ('$ID')"
h_ok "secure message through Postfix; $ALICE's notification links /m/$ID"

h_portal_register alice "$ALICE" "$PW_ALICE"
page=$W/alice.view
code=$(hc_get alice "/m/$ID" "$page")
[[ $code == 200 ]] || hc_fail "GET /m/$ID as alice: $code" "$page"
grep -qF "$ORIG_MARK" "$page" || hc_fail "alice's /m/$ID does not show the body" "$page"
grep -q "<form[^>]*action=\"/m/$ID/reply\"" "$page" ||
    hc_fail "alice's /m/$ID has no reply form" "$page"
csrf=$(hc_csrf "$page") || hc_fail "no csrf field on /m/$ID" "$page"
h_ok "alice registered through the mailed link and reads /m/$ID, with its reply form"

n_msgs0=$(h_message_list | jq length)
[[ $n_msgs0 == 1 ]] || h_fail "store holds $n_msgs0 messages, want 1"
n_sink0=$(h_sink_count)

# --- a guest cannot add anyone ------------------------------------------
# refused WHAT OUT CODE TEXT: the answer must be CODE with TEXT on it.
refused()
{
	local what=$1 out=$2 code=$3 want=$4 text
	[[ $code == 403 ]] || hc_fail "$what: got $code, want 403" "$out"
	text=$(sed 's/<[^>]*>//g' "$out" | tr -s ' \n' '  ')
	grep -qF -- "$want" <<<"$text" ||
	    hc_fail "$what: the page does not say '$want'" "$out"
	if grep -qF "$ORIG_MARK" "$out"; then
		hc_fail "$what: the refusal shows the message body" "$out"
	fi
}
out=$W/alice.refused
GUEST_TEXT="As a guest, you can write only to the people in this conversation"

code=$(hc_post alice "/m/$ID/reply" "$out" "csrf=$csrf" "mode=reply" \
    "to=$MALLORY" "cc=" "subject=" "body=leak 1")
refused "guest Reply to $MALLORY" "$out" "$code" "$GUEST_TEXT"
grep -qF "$MALLORY is not one of them" "$out" ||
    hc_fail "guest Reply: the page does not name $MALLORY" "$out"

code=$(hc_post alice "/m/$ID/reply" "$out" "csrf=$csrf" "mode=reply-all" \
    "to=$FROM" "cc=$BOB, $MALLORY" "subject=" "body=leak 2")
refused "guest Reply all with Cc $MALLORY" "$out" "$code" "$GUEST_TEXT"

code=$(hc_post_multipart alice "/m/$ID/reply" "$out" "csrf=$csrf" \
    "mode=forward" "to=Someone <$MALLORY>" "cc=" "subject=" "body=leak 3")
refused "guest Forward to $MALLORY (multipart)" "$out" "$code" "$GUEST_TEXT"

printf 'not for strangers\n' >"$W/upload.txt"
code=$(hc_post alice /compose "$out" "csrf=$csrf" "to=$FROM" "cc=" \
    "subject=New" "body=leak 4")
refused "guest POST /compose" "$out" "$code" "Writing new messages is for users of this organisation"
code=$(hc_post_multipart alice /compose "$out" "csrf=$csrf" \
    "to=$MALLORY" "cc=" "subject=New" "body=leak 5" \
    "attachment=@$W/upload.txt;type=text/plain")
refused "guest POST /compose (multipart, a file)" "$out" "$code" "Writing new messages is for users of this organisation"
code=$(hc_get alice /compose "$out")
refused "guest GET /compose" "$out" "$code" "Writing new messages is for users of this organisation"
h_ok "guest refused with 403 and a reason: Reply, Reply all (Cc), Forward to $MALLORY; POST and GET /compose"

# --- the guest replies ----------------------------------------------------
code=$(hc_post alice "/m/$ID/reply" "$out" "csrf=$csrf" "mode=reply" \
    "to=$FROM" "cc=" "subject=" "body=$REPLY_MARK")
loc=$(hc_header "$out" Location)
[[ $code == 303 && $loc =~ ^/m/([A-Za-z0-9_-]{22})$ ]] ||
    hc_fail "POST /m/$ID/reply (mode=reply, to the sender): got $code (Location '$loc'), want 303 to /m/NEW" "$out"
RID=${BASH_REMATCH[1]}
[[ $RID != "$ID" ]] || h_fail "the reply has the original's id"
code=$(hc_get alice "$loc" "$W/alice.reply")
[[ $code == 200 ]] || hc_fail "alice opens her reply $loc: $code" "$W/alice.reply"
h_ok "alice's reply stored: 303 to /m/$RID"

nf=$(h_portal_notice "$FROM" 1) || h_fail "the internal sender got no notification of the reply"
h_wait_queue_empty 120
[[ $(h_portal_ids "$nf") == "$RID" ]] ||
    h_fail "the sender's notification links '$(h_portal_ids "$nf" | tr '\n' ' ')', want /m/$RID"
[[ $(h_sink_rcpts "$nf") == "$FROM" ]] ||
    h_fail "the notification's envelope recipients: $(h_sink_rcpts "$nf" | tr '\n' ' ')"
h_header In-Reply-To "$nf" | grep -qF "<$ORIG_MID>" ||
    h_fail "notification In-Reply-To '$(h_header In-Reply-To "$nf" || true)', want <$ORIG_MID>"
h_header References "$nf" | grep -qF "<$ORIG_MID>" ||
    h_fail "notification References '$(h_header References "$nf" || true)' lacks <$ORIG_MID>"
if h_decoded_text "$nf" | grep -qF -e "SALTED-CARAMEL" -e "LILAC-HARBOUR"; then
	h_fail "the notification carries message text"
fi
h_ok "the sender's notification links /m/$RID, In-Reply-To/References <$ORIG_MID>, no message text"

# Nothing of the refused attempts: one new message, no mail to mallory.
n_msgs=$(h_message_list | jq length)
[[ $n_msgs == $((n_msgs0 + 1)) ]] ||
    h_fail "store holds $n_msgs messages after the refusals and one reply, want $((n_msgs0 + 1))"
h_message_list | jq -e --arg m "$MALLORY" \
    'all(.[]; all(.recipients[]; ascii_downcase != $m))' >/dev/null ||
    h_fail "a stored message is addressed to $MALLORY"
for f in $(h_sink_files); do
	if h_sink_rcpts "$f" | grep -qixF "$MALLORY"; then
		h_fail "mail to $MALLORY reached the sink: $f"
	fi
done
n_sink=$(h_sink_count)
[[ $n_sink == $((n_sink0 + 1)) ]] ||
    h_fail "sink got $((n_sink - n_sink0)) mails since the refusals, want 1 (the sender's notification)"
h_ok "the refused attempts stored nothing and mailed nothing (1 new message, 1 new mail)"

# --- the internal sender reads the reply -----------------------------------
h_portal_register sender "$FROM" "$PW_FROM"
code=$(hc_get sender /inbox "$out")
[[ $code == 200 ]] || hc_fail "sender's /inbox: $code" "$out"
grep -qF "/m/$RID" "$out" || hc_fail "the sender's /inbox does not list the reply /m/$RID" "$out"

view=$W/sender.reply
code=$(hc_get sender "/m/$RID" "$view")
[[ $code == 200 ]] || hc_fail "the sender opens /m/$RID: $code" "$view"
grep -qF "$REPLY_MARK" "$view" || hc_fail "/m/$RID lacks alice's text" "$view"
grep -qF "Re: Tender documents" "$view" || hc_fail "/m/$RID: subject is not 'Re: Tender documents'" "$view"
grep -qF "wrote:" "$view" || hc_fail "/m/$RID: no 'wrote:' line before the quote" "$view"
grep -qF "&gt; $ORIG_MARK" "$view" || hc_fail "/m/$RID does not quote the original ('> $ORIG_MARK')" "$view"
grep -q 'id="conversation"' "$view" || hc_fail "/m/$RID shows no conversation" "$view"
grep -qF "href=\"/m/$ID\"" "$view" || hc_fail "/m/$RID's conversation does not link the original /m/$ID" "$view"

raw=$W/sender.reply.raw
code=$(hc_get sender "/m/$RID/raw" "$raw")
[[ $code == 200 ]] || hc_fail "/m/$RID/raw: $code" "$raw"
h_header In-Reply-To "$raw" | grep -qxF "<$ORIG_MID>" ||
    h_fail "the reply's In-Reply-To is '$(h_header In-Reply-To "$raw" || true)', want <$ORIG_MID>"
h_header References "$raw" | grep -qxF "<$ORIG_MID>" ||
    h_fail "the reply's References is '$(h_header References "$raw" || true)', want <$ORIG_MID>"
h_header From "$raw" | grep -qiF "$ALICE" || h_fail "the reply's From is not $ALICE"
REPLY_MID=$(h_header Message-ID "$raw" | tr -d '<> ')
[[ -n $REPLY_MID ]] || h_fail "the reply has no Message-ID"

code=$(hc_get sender "/m/$ID" "$view")
[[ $code == 200 ]] || hc_fail "the sender opens the original /m/$ID: $code" "$view"
grep -qF "href=\"/m/$RID\"" "$view" || hc_fail "the original's conversation does not link the reply /m/$RID" "$view"
h_ok "the sender reads the reply: text, quoted original, In-Reply-To/References <$ORIG_MID>, both pages show the conversation"

# --- and answers it: the chain goes on ---------------------------------------
csrf_s=$(hc_csrf "$W/sender.reply") || hc_fail "no csrf on /m/$RID" "$W/sender.reply"
code=$(hc_post sender "/m/$RID/reply" "$out" "csrf=$csrf_s" "mode=reply" \
    "to=$ALICE" "cc=" "subject=" "body=$ANSWER_MARK")
loc=$(hc_header "$out" Location)
[[ $code == 303 && $loc =~ ^/m/([A-Za-z0-9_-]{22})$ ]] ||
    hc_fail "the sender's POST /m/$RID/reply: $code (Location '$loc')" "$out"
AID=${BASH_REMATCH[1]}
nf=$(h_portal_notice "$ALICE" 2) || h_fail "alice got no notification of the answer"
[[ $(h_portal_ids "$nf") == "$AID" ]] || h_fail "alice's second notification does not link /m/$AID"
view=$W/alice.answer
code=$(hc_get alice "/m/$AID" "$view")
[[ $code == 200 ]] || hc_fail "alice opens /m/$AID: $code" "$view"
grep -qF "$ANSWER_MARK" "$view" || hc_fail "/m/$AID lacks the answer" "$view"
grep -qF "&gt; $REPLY_MARK" "$view" || hc_fail "/m/$AID does not quote alice's reply" "$view"
grep -qF "href=\"/m/$ID\"" "$view" || hc_fail "/m/$AID's conversation does not link the original" "$view"
grep -qF "href=\"/m/$RID\"" "$view" || hc_fail "/m/$AID's conversation does not link alice's reply" "$view"
code=$(hc_get alice "/m/$AID/raw" "$raw")
[[ $code == 200 ]] || hc_fail "/m/$AID/raw: $code" "$raw"
refs=$(h_header References "$raw" || true)
[[ $refs == "<$ORIG_MID> <$REPLY_MID>" ]] ||
    h_fail "the answer's References is '$refs', want '<$ORIG_MID> <$REPLY_MID>'"
h_header In-Reply-To "$raw" | grep -qxF "<$REPLY_MID>" ||
    h_fail "the answer's In-Reply-To is not <$REPLY_MID>"
h_ok "the sender's answer reaches alice: References <$ORIG_MID> <$REPLY_MID>, her page lists the whole conversation"

echo "t-conversation: all checks passed"
