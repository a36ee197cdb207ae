#!/usr/bin/env bash
#
# Unsubscribe end to end through a private Postfix + sealpost-milter +
# sealpost-portal on loopback, with curl:
#  - [secure] messages to alice and bob; each notification (text and
#    HTML) has the footer link portal_url/unsubscribe;
#  - both register and read their message;
#  - alice, logged in, follows the footer link: the confirmation page
#    says what happens; the form without csrf is refused (403), with it
#    she is unsubscribed and logged out;
#  - bob, logged out, follows the footer link: the page asks for his
#    address; the answer is neutral; the confirmation link mailed to him
#    (caught at the sink) shows a Confirm button and changes nothing
#    until it is pressed; then he is unsubscribed, and the link does not
#    work twice;
#  - then neither can log in or open the old message (old sessions
#    ended), and a new [secure] message to alice, bob and carol leaves
#    Postfix with alice and bob removed from the envelope (smtp-sink's
#    recipients): carol is notified, and the sender gets one
#    "unsubscribed" notice for each of them.
set -euo pipefail
source "${SEALPOST_SOURCE:-$(dirname "$0")/../..}/test/lib/portal.sh"

h_init unsubscribe
h_portal_start_all
h_ok "Postfix, milter and portal up; portal_url $H_PORTAL_URL"

FROM=user@example.com
ALICE=alice@example.net
BOB=bob@example.org
CAROL=carol@example.net
PW_ALICE="copper kettle under the wild plum tree"
PW_BOB="granite otter juggling blue lemons"
W=$H_DIR/work
UNSUB_URL=$H_PORTAL_URL/unsubscribe

# send_secure TO[,TO...] SUBJECT TEXT
send_secure()
{
	local to=$1 subject=$2 mark=$3 file=$W/msg.$RANDOM.eml
	cat >"$file" <<EOF
Date: Mon, 02 Mar 2026 10:00:00 +0000
From: Example User <$FROM>
To: ${to//,/, }
Subject: $subject [secure]
Message-ID: <unsub-$RANDOM@example.com>

$mark
EOF
	h_send_file "$FROM" "$to" "$file"
}

# The sink file delivered to rcpt whose decoded text has pattern.  (No
# grep -q after a pipe: with pipefail, the writer's SIGPIPE would count
# as a miss.)
sink_file_for()
{
	local rcpt=$1 pattern=$2 f
	while read -r f; do
		h_sink_rcpts "$f" | grep -ixF -- "$rcpt" >/dev/null || continue
		h_decoded_text "$f" | grep -F -- "$pattern" >/dev/null || continue
		printf '%s\n' "$f"
		return 0
	done < <(h_sink_files)
	return 1
}

flags_of()
{
	h_admin --json account show "$1" | perl -MJSON::PP -0777 -ne '
		print join(",", @{decode_json($_)->{flags}}), "\n"'
}

# --- notifications carry the footer link ---------------------------------
send_secure "$ALICE" "For Alice" "ALICE-SECRET-1234"
send_secure "$BOB" "For Bob" "BOB-SECRET-5678"
h_wait_queue_empty 120
h_wait_sink_count 2 30 || h_fail "want 2 notifications at the sink"
for rcpt in "$ALICE" "$BOB"; do
	f=$(sink_file_for "$rcpt" "$H_PORTAL_URL/m/") ||
	    h_fail "no notification for $rcpt at the sink"
	h_decoded_text "$f" | grep "unsubscribe:" >/dev/null ||
	    h_fail "the notification to $rcpt has no unsubscribe sentence"
	n=$(h_decoded_text "$f" | grep -cF -- "$UNSUB_URL" || true)
	# Text part once, HTML part as href and as text.
	((n >= 2)) || h_fail "the notification to $rcpt has the link $UNSUB_URL $n times, want the text and the HTML parts"
	h_decoded_text "$f" | grep -F -- "href=\"$UNSUB_URL\"" >/dev/null ||
	    h_fail "the HTML part of the notification to $rcpt has no href to $UNSUB_URL"
done
f=$(sink_file_for "$ALICE" "$H_PORTAL_URL/m/")
mapfile -t ids < <(h_portal_ids "$f")
ID_A=${ids[0]}
f=$(sink_file_for "$BOB" "$H_PORTAL_URL/m/")
mapfile -t ids < <(h_portal_ids "$f")
ID_B=${ids[0]}
h_ok "both notifications (text and HTML) end with the link $UNSUB_URL"

# --- both register and read ----------------------------------------------
h_portal_register alice "$ALICE" "$PW_ALICE"
h_portal_register bob "$BOB" "$PW_BOB"
out=$W/page
code=$(hc_get alice "/m/$ID_A" "$out")
[[ $code == 200 ]] && grep -qF ALICE-SECRET-1234 "$out" ||
    hc_fail "alice cannot read /m/$ID_A before unsubscribing ($code)" "$out"
code=$(hc_get bob "/m/$ID_B" "$out")
[[ $code == 200 ]] && grep -qF BOB-SECRET-5678 "$out" ||
    hc_fail "bob cannot read /m/$ID_B before unsubscribing ($code)" "$out"
h_ok "alice and bob registered and read their messages"

# --- alice: logged in, the button ----------------------------------------
path=${UNSUB_URL#"$H_PORTAL_URL"}
code=$(hc_get alice "$path" "$out")
[[ $code == 200 ]] || hc_fail "GET $path logged in: got $code, want 200" "$out"
for want in "$ALICE" "no more notifications" \
    "lose access to every message you received" "cannot be undone here" \
    'action="/unsubscribe"' '>Cancel</a>'; do
	grep -qF -- "$want" "$out" ||
	    hc_fail "the confirmation page lacks '$want'" "$out"
done
csrf=$(hc_csrf "$out") || hc_fail "no csrf field in the confirmation page" "$out"
code=$(hc_post alice /unsubscribe "$out" "confirm=1")
[[ $code == 403 ]] || hc_fail "POST /unsubscribe without csrf: got $code, want 403" "$out"
[[ $(flags_of "$ALICE") != *unsubscribed* ]] ||
    h_fail "alice is unsubscribed after a refused form"
code=$(hc_post alice /unsubscribe "$out" "csrf=$csrf")
[[ $code == 200 ]] && grep -qF "You are unsubscribed" "$out" ||
    hc_fail "POST /unsubscribe with csrf: got $code, want 200 'You are unsubscribed'" "$out"
[[ $(flags_of "$ALICE") == *unsubscribed* ]] ||
    h_fail "alice's account is not flagged unsubscribed: $(flags_of "$ALICE")"
h_ok "alice, logged in: confirmation page, 403 without csrf, then unsubscribed"

# --- bob: logged out, the mailed link --------------------------------------
hc_new bob-anon
code=$(hc_get bob-anon "$path" "$out")
[[ $code == 200 ]] && grep -q '<input[^>]*name="email"' "$out" ||
    hc_fail "GET $path logged out: got $code, want the address form" "$out"
csrf=$(hc_csrf "$out") || hc_fail "no csrf field in the address form" "$out"
code=$(hc_post bob-anon /unsubscribe "$out" "csrf=$csrf" "email=$BOB")
[[ $code == 200 ]] || hc_fail "POST /unsubscribe email=$BOB: got $code, want 200" "$out"
neutral_bob=$(sed 's/<[^>]*>//g' "$out" | tr -s ' \n' '  ')
code=$(hc_post bob-anon /unsubscribe "$out" "csrf=$csrf" \
    "email=stranger@example.net")
neutral_stranger=$(sed 's/<[^>]*>//g' "$out" | tr -s ' \n' '  ')
[[ $code == 200 && $neutral_bob == "$neutral_stranger" ]] ||
    h_fail "POST /unsubscribe answers differ for bob and a stranger: '$neutral_bob' vs '$neutral_stranger'"
link=$(h_portal_link unsubscribe "$BOB" 1) ||
    h_fail "no unsubscribe link for $BOB at the sink"
token=${link##*token=}
code=$(hc_get bob-anon "/unsubscribe?token=$token" "$out")
[[ $code == 200 ]] && grep -qF "$BOB" "$out" &&
    grep -qF "Confirm: unsubscribe</button>" "$out" ||
    hc_fail "GET the mailed link: got $code, want the Confirm button for $BOB" "$out"
[[ $(flags_of "$BOB") != *unsubscribed* ]] ||
    h_fail "opening the link (GET) unsubscribed bob"
csrf=$(hc_csrf "$out") || hc_fail "no csrf field on the link's page" "$out"
code=$(hc_post bob-anon /unsubscribe "$out" "csrf=$csrf" "token=$token")
[[ $code == 200 ]] && grep -qF "You are unsubscribed" "$out" ||
    hc_fail "Confirm on the link's page: got $code, want 200" "$out"
[[ $(flags_of "$BOB") == *unsubscribed* ]] ||
    h_fail "bob's account is not flagged unsubscribed: $(flags_of "$BOB")"
code=$(hc_post bob-anon /unsubscribe "$out" "csrf=$csrf" "token=$token")
[[ $code == 400 ]] || hc_fail "the link a second time: got $code, want 400" "$out"
h_ok "bob, logged out: neutral answer, mailed link, GET shows Confirm and changes nothing, POST unsubscribes once"

# --- no access any more ----------------------------------------------------
for who in alice:"$ALICE":"$ID_A":"$PW_ALICE" bob:"$BOB":"$ID_B":"$PW_BOB"; do
	IFS=: read -r name addr id pw <<<"$who"
	code=$(hc_get "$name" "/m/$id" "$out")
	[[ $code == 303 ]] && ! grep -qF SECRET "$out" ||
	    hc_fail "$name's old session opens /m/$id: got $code, want 303 to log in" "$out"
	hc_new "$name-again"
	code=$(hc_get "$name-again" / "$out")
	csrf=$(hc_csrf "$out") || hc_fail "no csrf field in the login page" "$out"
	code=$(hc_post "$name-again" /login "$out" "csrf=$csrf" "email=$addr" \
	    "password=$pw")
	[[ $code == 400 ]] ||
	    hc_fail "$name logs in after unsubscribing: got $code, want 400" "$out"
done
h_ok "alice and bob: old sessions ended, the right password no longer logs in"

# --- a new secure message: removed from the envelope, sender told ----------
before=$(h_sink_count)
send_secure "$ALICE,$BOB,$CAROL" "After unsubscribing" "NEW-SECRET-9999"
h_wait_queue_empty 120
h_wait_sink_count $((before + 3)) 60 ||
    h_fail "want carol's notification and two notices to the sender"
f=$(sink_file_for "$CAROL" "After unsubscribing") ||
    h_fail "no notification for $CAROL"
rcpts=$(h_sink_rcpts "$f" | sort | tr '\n' ' ')
[[ $rcpts == "$CAROL " ]] ||
    h_fail "the notification's envelope recipients are '$rcpts', want only $CAROL"
if h_decoded_text "$f" | grep -F NEW-SECRET >/dev/null; then
	h_fail "the notification to carol carries the secret"
fi
for addr in "$ALICE" "$BOB"; do
	if h_sink_files | tail -n +$((before + 1)) | while read -r g; do
		h_sink_rcpts "$g"; done | grep -ixF -- "$addr" >/dev/null; then
		h_fail "$addr received mail after unsubscribing"
	fi
	g=$(sink_file_for "$FROM" "was not delivered to $addr") ||
	    h_fail "the sender got no notice that $addr unsubscribed"
	h_header Subject "$g" | grep -i unsubscribed >/dev/null ||
	    h_fail "the notice about $addr has Subject '$(h_header Subject "$g")'"
done
h_ok "the new message reached only $CAROL; the sender was told about $ALICE and $BOB"

echo "t-unsubscribe: all checks passed"
