#!/usr/bin/env bash
#
# Do-not-reply through the private Postfix + sealpost-milter: a recipient
# answers a notification (To: its Reply-To, noreply@example.com, and Cc:
# a colleague).
#  - noreply_action = reject: RCPT TO:<noreply@example.com> gets 550
#    5.7.1 with the text that says to reply from the portal (as swaks
#    receives it); the colleague's RCPT is accepted and the colleague
#    alone receives the message; a message to noreply alone is refused
#    (no RCPT accepted) and nothing is queued;
#  - the milter restarted with noreply_action = notify: the reply is
#    accepted, delivered to nobody, and answered with exactly one notice
#    to its sender, sent with the null envelope sender, Auto-Submitted:
#    auto-replied, In-Reply-To the reply (RFC 3834), saying to use Reply
#    in the portal; a second reply from the same sender gets no second
#    notice (one a day); replies from the null sender, with List-Id,
#    with Precedence: list, or with Auto-Submitted: auto-generated get
#    none; a reply To: noreply and Cc: a colleague reaches the colleague
#    only, and its sender gets a notice.  That last notice arriving
#    after all the others were sent shows the silent cases had their
#    chance to produce one.
set -euo pipefail
source "${SEALPOST_SOURCE:-$(dirname "$0")/../..}/test/lib/harness.sh"

h_init noreply
h_start_all noreply_action=reject

FROM=user@example.com
GUEST=guest@partner.test
COLLEAGUE=colleague@partner.test
W=$H_DIR/work

# --- a notification to answer ------------------------------------------------
msg=$W/secure.eml
cat >"$msg" <<EOF
Date: Mon, 02 Mar 2026 10:00:00 +0000
From: Example User <$FROM>
To: <$GUEST>
Subject: Offer [secure]
Message-ID: <noreply-orig@example.com>

The offer: RIVER-STONE-5511.
EOF
h_send_file "$FROM" "$GUEST" "$msg"
h_wait_queue_empty 120
h_wait_sink_count 1 30 || h_fail "no notification at the sink"
notice=$(h_sink_files | tail -1)
reply_to=$(h_header Reply-To "$notice") || h_fail "the notification has no Reply-To"
[[ ${reply_to,,} == *"$H_NOREPLY"* ]] ||
    h_fail "the notification's Reply-To is '$reply_to', want $H_NOREPLY"
notice_mid=$(h_header Message-ID "$notice") || h_fail "the notification has no Message-ID"
notice_subj=$(h_header Subject "$notice")
h_ok "notification to $GUEST with Reply-To: $reply_to"

# reply_file OUT FROM MARK [HEADER...]: a reply to the notification, To:
# noreply, Cc: the colleague, with extra header lines.
reply_file()
{
	local out=$1 from=$2 mark=$3 h
	shift 3
	{
		echo "Date: $(date -R)"
		echo "From: <$from>"
		echo "To: <$H_NOREPLY>"
		echo "Cc: <$COLLEAGUE>"
		echo "Subject: Re: $notice_subj"
		echo "Message-ID: <$mark@partner.test>"
		echo "In-Reply-To: $notice_mid"
		for h in "$@"; do
			echo "$h"
		done
		echo
		echo "Thanks! $mark"
	} >"$out"
}

# --- reject ----------------------------------------------------------------------
reply_file "$W/r1.eml" "$GUEST" REPLY-REJECT-1
h_send_file "$GUEST" "$H_NOREPLY,$COLLEAGUE" "$W/r1.eml"
replies=$(h_swaks_replies)
rej=$(grep '^550' <<<"$replies" || true)
[[ $(grep -c . <<<"$rej") == 1 ]] ||
    h_fail "want one 550 reply (RCPT TO:<$H_NOREPLY>), got: $replies"
[[ $rej == "550 5.7.1 "* ]] || h_fail "the refusal is '$rej', want 550 5.7.1 …"
grep -qF "secure portal ($H_PORTAL_URL)" <<<"$rej" && grep -qF "Reply button" <<<"$rej" ||
    h_fail "the 550 text does not tell to use Reply in the portal: '$rej'"
grep -q "^250 .*queued as" <<<"$replies" || h_fail "the message was not queued for $COLLEAGUE: $replies"
h_wait_queue_empty 120
h_wait_sink_count 2 30 || h_fail "the colleague's copy did not arrive"
got=$(h_sink_files | tail -1)
[[ $(h_sink_rcpts "$got") == "$COLLEAGUE" ]] ||
    h_fail "the reply went to '$(h_sink_rcpts "$got" | tr '\n' ' ')', want $COLLEAGUE only"
grep -qF REPLY-REJECT-1 "$got" || h_fail "the colleague's copy is not the reply"
h_ok "reject: RCPT to $H_NOREPLY gets '$rej'; $COLLEAGUE in the same transaction gets the reply"

reply_file "$W/r2.eml" "$GUEST" REPLY-REJECT-2
h_wire "$W/r2.eml" "$W/r2.wire"
rc=0
h_swaks --from "$GUEST" --to "$H_NOREPLY" -ndf --data "@$W/r2.wire" || rc=$?
[[ $rc == 24 ]] || h_fail "a reply to $H_NOREPLY alone: swaks exit $rc, want 24 (no RCPT accepted)"
h_swaks_replies | grep -q '^550 5\.7\.1 ' || h_fail "a reply to $H_NOREPLY alone: no 550 5.7.1"
[[ -z $H_LAST_QID ]] || h_fail "a reply to $H_NOREPLY alone was queued as $H_LAST_QID"
h_wait_queue_empty 30
[[ $(h_sink_count) == 2 ]] || h_fail "the refused reply was delivered"
h_ok "reject: a reply to $H_NOREPLY alone is refused at RCPT, nothing queued or delivered"

# --- notify -------------------------------------------------------------------
h_milter_stop || h_fail "sanitizer report in the milter log"
h_write_conf noreply_action=notify
h_milter_start
h_ok "milter restarted with noreply_action = notify"
base=$(h_sink_count)

# send_ok NAME FROM TO FILE: must be accepted (250 queued).
send_ok()
{
	h_send_file "$2" "$3" "$4"
	h_wait_queue_empty 120
}

GUEST2=second.guest@partner.test
reply_file "$W/n1.eml" "$GUEST" NOTIFY-1
send_ok first "$GUEST" "$H_NOREPLY" "$W/n1.eml"
h_wait_sink_count $((base + 1)) 60 || h_fail "no notice for $GUEST's reply"
n1=$(h_sink_files | tail -1)
[[ $(h_sink_rcpts "$n1") == "$GUEST" ]] ||
    h_fail "the first mail after the reply went to '$(h_sink_rcpts "$n1" | tr '\n' ' ')', want the notice to $GUEST"
grep -q '^X-Mail-Args: <> *$' "$n1" ||
    h_fail "the notice's envelope sender is not null: $(grep '^X-Mail-Args' "$n1")"
[[ $(h_header Auto-Submitted "$n1") == auto-replied* ]] ||
    h_fail "the notice's Auto-Submitted is '$(h_header Auto-Submitted "$n1" || true)', want auto-replied"
h_header In-Reply-To "$n1" | grep -qF "<NOTIFY-1@partner.test>" ||
    h_fail "the notice's In-Reply-To is '$(h_header In-Reply-To "$n1" || true)', want <NOTIFY-1@partner.test>"
text=$(h_decoded_text "$n1")
grep -qF "did not reach anyone" <<<"$text" && grep -qF "Reply button" <<<"$text" &&
    grep -qF "$H_PORTAL_URL" <<<"$text" ||
    h_fail "the notice does not say the reply reached nobody and to use Reply in the portal: $text"
if grep -q "^Thanks! NOTIFY-1" "$n1"; then
	h_fail "the notice quotes the reply"
fi
h_ok "notify: $GUEST's reply accepted, answered with a notice (null sender, Auto-Submitted: auto-replied, In-Reply-To)"

reply_file "$W/n2.eml" "$GUEST" NOTIFY-2
send_ok again "$GUEST" "$H_NOREPLY" "$W/n2.eml"
reply_file "$W/n3.eml" bounce-test@partner.test NOTIFY-3
send_ok null "<>" "$H_NOREPLY" "$W/n3.eml"
reply_file "$W/n4.eml" listed@partner.test NOTIFY-4 \
    "List-Id: Partners <partners.lists.partner.test>"
send_ok list-id listed@partner.test "$H_NOREPLY" "$W/n4.eml"
reply_file "$W/n5.eml" precedence@partner.test NOTIFY-5 "Precedence: list"
send_ok precedence precedence@partner.test "$H_NOREPLY" "$W/n5.eml"
reply_file "$W/n6.eml" robot@partner.test NOTIFY-6 \
    "Auto-Submitted: auto-generated"
send_ok auto robot@partner.test "$H_NOREPLY" "$W/n6.eml"

# Last: a new sender, To: noreply and Cc: the colleague.
reply_file "$W/n7.eml" "$GUEST2" NOTIFY-7
send_ok cc "$GUEST2" "$H_NOREPLY,$COLLEAGUE" "$W/n7.eml"
end=$((SECONDS + 60))
while ((SECONDS < end)); do
	[[ -n $(for f in $(h_sink_files); do h_sink_rcpts "$f"; done | grep -xF "$GUEST2") ]] && break
	sleep 0.2
done
h_wait_queue_empty 60

notices=() deliveries=()
for f in $(h_sink_files | tail -n +$((base + 1))); do
	if grep -q '^X-Mail-Args: <> *$' "$f"; then
		notices+=("$(h_sink_rcpts "$f" | paste -sd,)")
	else
		deliveries+=("$f")
	fi
done
[[ "${notices[*]}" == "$GUEST $GUEST2" ]] ||
    h_fail "notices went to '${notices[*]}', want one to $GUEST and one to $GUEST2"
[[ ${#deliveries[@]} == 1 ]] || h_fail "want one delivery (the colleague's copy), got ${#deliveries[@]}"
[[ $(h_sink_rcpts "${deliveries[0]}") == "$COLLEAGUE" ]] ||
    h_fail "the Cc'd reply went to '$(h_sink_rcpts "${deliveries[0]}" | tr '\n' ' ')', want $COLLEAGUE only"
grep -qF NOTIFY-7 "${deliveries[0]}" || h_fail "the colleague's delivery is not the Cc'd reply"
for f in $(h_sink_files); do
	if h_sink_rcpts "$f" | grep -qixF "$H_NOREPLY"; then
		h_fail "something was delivered to $H_NOREPLY: $f"
	fi
	for n in 1 2 3 4 5 6; do
		if grep -q "^Thanks! NOTIFY-$n" "$f"; then
			h_fail "the reply NOTIFY-$n was delivered: $f"
		fi
	done
done
for r in "from=<$GUEST> action=noreply-drop notice=no reason=daily-limit" \
    "from=<> action=noreply-drop notice=no reason=automatic" \
    "from=<listed@partner.test> action=noreply-drop notice=no reason=automatic" \
    "from=<precedence@partner.test> action=noreply-drop notice=no reason=automatic" \
    "from=<robot@partner.test> action=noreply-drop notice=no reason=automatic"; do
	grep -qF "$r" "$H_DIR/milter.log" || h_fail "the milter did not log '$r'"
done
h_ok "notify: no second notice the same day; none to the null sender, List-Id, Precedence: list, Auto-Submitted; To noreply + Cc colleague reaches the colleague only and its sender gets one notice; nothing delivered to $H_NOREPLY"

echo "t-noreply: all checks passed"
