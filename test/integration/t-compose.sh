#!/usr/bin/env bash
#
# A professional user writes in the portal, end to end through the
# private Postfix + sealpost-milter + sealpost-portal:
#  - user@example.com (registered) POSTs /compose as multipart/form-data
#    to newbie@partner.test, who has no account, with a binary
#    attachment: 303 to the new message; newbie's notification (caught
#    at the sink) links it and says how to register;
#  - /sent lists the message with newbie "not opened";
#  - newbie registers through the verification mail (invited by being
#    a recipient), finds it in the inbox, reads it and downloads the
#    attachment byte for byte;
#  - /sent and `sealpost-admin message show` then give the first-open
#    time; a second open two seconds later does not change it;
#  - the sender forwards the message to carol@partner.test: the
#    forward carries the attachment, byte for byte, and carol is
#    notified;
#  - revoke: GET /m/ID/revoke asks; newbie (a recipient) and carol (a
#    stranger to it) cannot revoke it (404) and without csrf nobody can
#    (403); the sender's POST revokes it (303 to /sent); newbie then
#    gets "revoked by its sender" (410) on /m/ID, /m/ID/raw and
#    /m/ID/part/N, with no body or attachment bytes, sees the same
#    sentence in the inbox, and cannot answer it (410); the forward,
#    a message of its own, stays readable.
set -euo pipefail
source "${SEALPOST_SOURCE:-$(dirname "$0")/../..}/test/lib/portal.sh"

command -v jq >/dev/null || h_fail "jq not installed"
h_init compose
h_portal_start_all

FROM=user@example.com
NEWBIE=newbie@partner.test
CAROL=carol@partner.test
PW_FROM="granite otter juggling blue lemons"
PW_NEW="seven quiet lanterns drifting east"
PW_CAROL="marble staircase of the lost orchard"
BODY_MARK="Draft contract attached: EMERALD-FALCON-9090"
ATT_NAME=contract-draft-7781.bin
W=$H_DIR/work

# The professional user registers (an internal address is invited).
h_portal_register sender "$FROM" "$PW_FROM"
h_ok "$FROM registered through the mailed link"

# --- compose with an upload --------------------------------------------------
att=$W/$ATT_NAME
{
	printf 'sealpost compose test\r\n'
	head -c 20000 /dev/urandom
	printf '\0\0\377 end\n'
} >"$att"
page=$W/sender.compose
code=$(hc_get sender /compose "$page")
[[ $code == 200 ]] || hc_fail "GET /compose as $FROM: $code" "$page"
grep -q '<form[^>]*action="/compose"[^>]*enctype="multipart/form-data"' "$page" ||
    hc_fail "GET /compose: no multipart form posting to /compose" "$page"
csrf=$(hc_csrf "$page") || hc_fail "no csrf on /compose" "$page"
out=$W/sender.out
code=$(hc_post_multipart sender /compose "$out" "csrf=$csrf" \
    "to=New Partner <$NEWBIE>" "cc=" "subject=Contract draft [secure]" \
    "body=$BODY_MARK" "attachment=@$att;type=application/octet-stream")
loc=$(hc_header "$out" Location)
[[ $code == 303 && $loc =~ ^/m/([A-Za-z0-9_-]{22})$ ]] ||
    hc_fail "POST /compose (multipart, one file): got $code (Location '$loc'), want 303 to /m/ID" "$out"
ID=${BASH_REMATCH[1]}
h_ok "POST /compose with a $(stat -c %s "$att")-byte attachment: 303 to /m/$ID"

nf=$(h_portal_notice "$NEWBIE" 1) || h_fail "no notification for $NEWBIE at the sink"
[[ $(h_portal_ids "$nf") == "$ID" ]] || h_fail "$NEWBIE's notification does not link /m/$ID"
text=$(h_portal_mail_text "$nf")
grep -qF "$H_PORTAL_URL/register" <<<"$text" ||
    h_fail "$NEWBIE's notification has no registration link $H_PORTAL_URL/register"
grep -qi "register" <<<"$text" || h_fail "$NEWBIE's notification does not explain registering"
if grep -qF -e EMERALD-FALCON -e "$ATT_NAME" <<<"$text"; then
	h_fail "the notification carries the body or the attachment name"
fi
subj=$(h_header Subject "$nf")
[[ $subj == *"Contract draft"* && $subj != *"[secure]"* ]] ||
    h_fail "notification Subject '$subj': want the subject without the tag"
h_ok "$NEWBIE's notification links /m/$ID, explains how to register, no body or file name"

# --- /sent before the first open -------------------------------------------------
# sent_status ADDR: the status /sent shows for recipient ADDR of /m/ID.
sent_status()
{
	local addr=$1 o=$W/sender.sent code
	code=$(hc_get sender /sent "$o")
	[[ $code == 200 ]] || hc_fail "GET /sent: $code" "$o"
	perl -e '
		my ($id, $addr, $file) = @ARGV;
		open(my $fh, "<", $file) or die; local $/; my $s = <$fh>;
		for my $row ($s =~ m{<tr>(.*?)</tr>}sg) {
			next unless $row =~ m{/m/\Q$id\E[/"]};
			if ($row =~ m{<li>\Q$addr\E\s*<span class="muted">([^<]*)</span>}i) {
				print "$1\n"; exit 0;
			}
		}
		exit 1;
	' "$ID" "$addr" "$o" || hc_fail "/sent has no row for /m/$ID with recipient $addr" "$o"
}
st=$(sent_status "$NEWBIE")
[[ $st == "not opened" ]] || h_fail "/sent shows '$st' for $NEWBIE before any open, want 'not opened'"
h_admin message show "$ID" --json >"$W/show.json" || h_fail "message show $ID failed"
jq -e --arg a "$NEWBIE" '.opened[$a] == null' "$W/show.json" >/dev/null ||
    h_fail "message show: $NEWBIE opened before any open: $(cat "$W/show.json")"
h_ok "/sent lists /m/$ID with $NEWBIE 'not opened'"

# --- the new address registers and reads ------------------------------------
h_portal_register newbie "$NEWBIE" "$PW_NEW"
code=$(hc_get newbie /inbox "$out")
grep -qF "/m/$ID" "$out" || hc_fail "$NEWBIE's inbox does not list /m/$ID" "$out"
view=$W/newbie.view
code=$(hc_get newbie "/m/$ID" "$view")
[[ $code == 200 ]] || hc_fail "$NEWBIE opens /m/$ID: $code" "$view"
grep -qF "$BODY_MARK" "$view" || hc_fail "/m/$ID lacks the body" "$view"
part=$(perl -ne 'print "$1\n" if m{href="/m/[^/"]+/part/(\d+)"[^>]*>[^<]*\Q'"$ATT_NAME"'\E}' "$view" | head -1)
[[ -n $part ]] || hc_fail "/m/$ID: no download link named $ATT_NAME" "$view"
got=$W/newbie.part
code=$(hc_get newbie "/m/$ID/part/$part" "$got")
[[ $code == 200 ]] || hc_fail "GET /m/$ID/part/$part: $code" "$got"
cmp -s "$att" "$got" || {
	h_diff_report "$att" "$got"
	h_fail "the downloaded attachment is not the uploaded file byte for byte"
}
h_ok "$NEWBIE registered, reads /m/$ID and downloads $ATT_NAME byte for byte ($(stat -c %s "$got") bytes)"

# --- /sent after the first open ------------------------------------------------
h_admin message show "$ID" --json >"$W/show.json" || h_fail "message show $ID failed"
first=$(jq -r --arg a "$NEWBIE" '.opened[$a] // empty' "$W/show.json")
[[ -n $first ]] || h_fail "message show: no first open for $NEWBIE after the open: $(cat "$W/show.json")"
first_s=$(date -u -d "$first" +%s) || h_fail "message show: bad time '$first'"
want=$(date -u -d "@$first_s" '+%Y-%m-%d %H:%M UTC')
st=$(sent_status "$NEWBIE")
[[ $st == "opened $want" ]] || h_fail "/sent shows '$st' for $NEWBIE, want 'opened $want'"
(( first_s <= $(date +%s) && first_s >= $(date +%s) - 300 )) ||
    h_fail "first open $first is not now"
# The next open a few seconds later (message show has seconds).
sleep 2
code=$(hc_get newbie "/m/$ID" "$view")
[[ $code == 200 ]] || hc_fail "$NEWBIE opens /m/$ID again: $code" "$view"
h_admin message show "$ID" --json >"$W/show.json" || h_fail "message show $ID failed"
[[ $(jq -r --arg a "$NEWBIE" '.opened[$a] // empty' "$W/show.json") == "$first" ]] ||
    h_fail "a second open changed the first-open time: $first -> $(jq -c .opened "$W/show.json")"
st=$(sent_status "$NEWBIE")
[[ $st == "opened $want" ]] || h_fail "after a second open /sent shows '$st', want 'opened $want'"
h_ok "/sent shows 'opened $want' after the first open, unchanged by a second open (message show: $first)"

# --- forward carries the attachment ------------------------------------------
view=$W/sender.view
code=$(hc_get sender "/m/$ID" "$view")
[[ $code == 200 ]] || hc_fail "the sender opens /m/$ID: $code" "$view"
csrf=$(hc_csrf "$view") || hc_fail "no csrf on the sender's /m/$ID" "$view"
code=$(hc_post_multipart sender "/m/$ID/reply" "$out" "csrf=$csrf" \
    "mode=forward" "to=$CAROL" "cc=" "subject=" "body=For your review.")
loc=$(hc_header "$out" Location)
[[ $code == 303 && $loc =~ ^/m/([A-Za-z0-9_-]{22})$ ]] ||
    hc_fail "forward of /m/$ID: $code (Location '$loc')" "$out"
FID=${BASH_REMATCH[1]}
nf=$(h_portal_notice "$CAROL" 1) || h_fail "no notification for $CAROL"
[[ $(h_portal_ids "$nf") == "$FID" ]] || h_fail "$CAROL's notification does not link /m/$FID"
h_portal_register carol "$CAROL" "$PW_CAROL"
fview=$W/carol.view
code=$(hc_get carol "/m/$FID" "$fview")
[[ $code == 200 ]] || hc_fail "$CAROL opens the forward /m/$FID: $code" "$fview"
grep -qF "Fwd: Contract draft" "$fview" || hc_fail "the forward's subject is not 'Fwd: Contract draft …'" "$fview"
grep -qF "Forwarded message" "$fview" || hc_fail "the forward has no 'Forwarded message' block" "$fview"
grep -qF "&gt; $BODY_MARK" "$fview" || hc_fail "the forward does not quote the original text" "$fview"
fpart=$(perl -ne 'print "$1\n" if m{href="/m/[^/"]+/part/(\d+)"[^>]*>[^<]*\Q'"$ATT_NAME"'\E}' "$fview" | head -1)
[[ -n $fpart ]] || hc_fail "the forward /m/$FID lists no attachment $ATT_NAME" "$fview"
code=$(hc_get carol "/m/$FID/part/$fpart" "$got")
[[ $code == 200 ]] || hc_fail "GET /m/$FID/part/$fpart: $code" "$got"
cmp -s "$att" "$got" || {
	h_diff_report "$att" "$got"
	h_fail "the forwarded attachment is not the original byte for byte"
}
h_ok "forward /m/$FID to $CAROL carries $ATT_NAME byte for byte"

# --- revoke -------------------------------------------------------------
# A recipient and a stranger to the message cannot revoke it.
code=$(hc_get newbie /inbox "$out")
csrf_n=$(hc_csrf "$out") || hc_fail "no csrf on $NEWBIE's inbox" "$out"
code=$(hc_get newbie "/m/$ID/revoke" "$out")
[[ $code == 404 ]] || hc_fail "GET /m/$ID/revoke by a recipient: $code, want 404" "$out"
code=$(hc_post newbie "/m/$ID/revoke" "$out" "csrf=$csrf_n")
[[ $code == 404 ]] || hc_fail "POST /m/$ID/revoke by a recipient: $code, want 404" "$out"
code=$(hc_get carol /inbox "$out")
csrf_c=$(hc_csrf "$out") || hc_fail "no csrf on $CAROL's inbox" "$out"
code=$(hc_post carol "/m/$ID/revoke" "$out" "csrf=$csrf_c")
[[ $code == 404 ]] || hc_fail "POST /m/$ID/revoke by $CAROL: $code, want 404" "$out"
code=$(hc_post sender "/m/$ID/revoke" "$out" "confirm=yes")
[[ $code == 403 ]] || hc_fail "POST /m/$ID/revoke by the sender without csrf: $code, want 403" "$out"
code=$(hc_post sender "/m/$ID/revoke" "$out" "csrf=$csrf_n")
[[ $code == 403 ]] || hc_fail "POST /m/$ID/revoke by the sender with another user's csrf: $code, want 403" "$out"
h_admin message show "$ID" --json >"$W/show.json" || h_fail "message show $ID failed"
jq -e '.flags == []' "$W/show.json" >/dev/null ||
    h_fail "after refused revokes the message has flags $(jq -c .flags "$W/show.json")"
code=$(hc_get newbie "/m/$ID" "$view")
[[ $code == 200 ]] || hc_fail "after refused revokes $NEWBIE cannot read /m/$ID: $code" "$view"
h_ok "a recipient and a stranger get 404 on revoke, the sender without a valid csrf 403; the message is still readable"

code=$(hc_get sender "/m/$ID/revoke" "$out")
[[ $code == 200 ]] || hc_fail "GET /m/$ID/revoke by the sender: $code" "$out"
grep -q "<form[^>]*method=\"post\"[^>]*action=\"/m/$ID/revoke\"" "$out" ||
    hc_fail "the revoke page has no form posting to /m/$ID/revoke" "$out"
csrf=$(hc_csrf "$out") || hc_fail "no csrf on the revoke page" "$out"
code=$(hc_post sender "/m/$ID/revoke" "$out" "csrf=$csrf")
[[ $code == 303 && $(hc_header "$out" Location) == */sent ]] ||
    hc_fail "POST /m/$ID/revoke by the sender: $code (Location '$(hc_header "$out" Location)'), want 303 to /sent" "$out"
h_admin message show "$ID" --json >"$W/show.json" || h_fail "message show $ID failed"
jq -e '.flags == ["revoked"]' "$W/show.json" >/dev/null ||
    h_fail "after revoke the message has flags $(jq -c .flags "$W/show.json")"
h_ok "the sender revokes /m/$ID (303 to /sent)"

for path in "/m/$ID" "/m/$ID/raw" "/m/$ID/part/$part" "/m/$ID/html"; do
	code=$(hc_get newbie "$path" "$out")
	[[ $code == 410 ]] || hc_fail "GET $path by $NEWBIE after revoke: $code, want 410" "$out"
	grep -qF "revoked by its sender" "$out" ||
	    hc_fail "GET $path after revoke does not say 'revoked by its sender'" "$out"
	if grep -qaF -e EMERALD-FALCON -e "$ATT_NAME" -e "sealpost compose test" "$out"; then
		hc_fail "GET $path after revoke carries the body or the attachment" "$out"
	fi
	ct=$(hc_header "$out" Content-Type)
	[[ $ct == text/html* ]] || h_fail "GET $path after revoke: Content-Type '$ct', want the HTML page"
done
code=$(hc_get newbie /inbox "$out")
grep -qF "revoked by its sender" "$out" || hc_fail "$NEWBIE's inbox does not say the message was revoked" "$out"
if grep -qF "href=\"/m/$ID\"" "$out"; then
	hc_fail "$NEWBIE's inbox still links the revoked /m/$ID" "$out"
fi
code=$(hc_post newbie "/m/$ID/reply" "$out" "csrf=$csrf_n" "mode=reply" \
    "to=$FROM" "cc=" "subject=" "body=too late")
[[ $code == 410 ]] || hc_fail "a reply to the revoked /m/$ID: $code, want 410" "$out"
code=$(hc_get carol "/m/$FID/part/$fpart" "$got")
[[ $code == 200 ]] && cmp -s "$att" "$got" ||
    h_fail "the forward /m/$FID is not readable after the original's revoke ($code)"
h_ok "after revoke $NEWBIE gets 410 'revoked by its sender' on /m/ID, /raw, /part/$part, /html, no content; inbox says so; no reply"

echo "t-compose: all checks passed"
