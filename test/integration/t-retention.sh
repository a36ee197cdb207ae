#!/usr/bin/env bash
#
# Retention end to end: private Postfix + sealpost-milter +
# sealpost-portal, and `sealpost-admin purge` run in the future with
# Debian's faketime (LD_PRELOAD libfaketime: the binaries read the clock
# as usual, no test-only option in them).
#  - message A ([secure], message_retention = 2d, expiry_reminder = 1d)
#    goes to bob@partner.test and carol@partner.test; message B, sent
#    after the milter was restarted with message_retention = 4d, to bob;
#  - bob registers, his inbox shows when A expires, he opens A; carol
#    never opens it; the sender registers too;
#  - purge at now + 30 h (A expires within a day): exactly one reminder,
#    to carol (not to bob who opened it, not to the sender), linking A
#    and naming its expiry; purge at now + 31 h sends no second one;
#    nothing is deleted, and (real time) bob still reads A;
#  - purge at now + 49 h: A is deleted, B is not; `message show A` says
#    there is no such message, `message list` lists B alone; in the
#    portal (real time) A answers 404 to its recipient bob and to its
#    sender, the same page as a missing id, bob's inbox no longer lists
#    it and B still opens.
set -euo pipefail
source "${SEALPOST_SOURCE:-$(dirname "$0")/../..}/test/lib/portal.sh"

command -v jq >/dev/null || h_fail "jq not installed"
command -v faketime >/dev/null || h_fail "faketime not installed (test/lib/setup.sh installs it)"
h_init retention
h_portal_init
CONF_ARGS=("portal_listen=127.0.0.1:$H_PORTAL_PORT" message_retention=2d
    expiry_reminder=1d)
h_start_all "${CONF_ARGS[@]}"
h_portal_start

FROM=user@example.com
BOB=bob@partner.test
CAROL=carol@partner.test
PW_BOB="copper kettle under the wild plum tree"
PW_FROM="granite otter juggling blue lemons"
W=$H_DIR/work
OUT=$W/purge.json

# purge_at OFFSET: sealpost-admin purge --json at now + OFFSET (a
# libfaketime offset such as +30h); the report in $OUT.
purge_at()
{
	local rc=0 admin
	admin=$(h_require_bin sealpost-admin) || exit 1
	faketime -f "$1" "$admin" -c "$H_CONF" purge --json >"$OUT" 2>"$W/purge.err" || rc=$?
	[[ $rc == 0 ]] || h_fail "purge at $1: exit $rc: $(cat "$OUT" "$W/purge.err")"
	jq -e . "$OUT" >/dev/null || h_fail "purge at $1: not JSON: $(cat "$OUT")"
	h_portal_kick
}

# jqt FILTER: the last purge report must satisfy FILTER.
jqt()
{
	jq -e "$1" "$OUT" >/dev/null || h_fail "purge report: '$1' does not hold for $(cat "$OUT")"
}

# The clock the binaries see under faketime is really moved.
now=$(date +%s)
fake=$(faketime -f +30h date +%s)
(( fake - now >= 30 * 3600 - 60 && fake - now <= 30 * 3600 + 60 )) ||
    h_fail "faketime -f +30h date gives $fake, now is $now"

# --- two messages ---------------------------------------------------------------
mk()
{
	cat >"$W/$1.eml" <<EOF
Date: $(date -R)
From: Example User <$FROM>
To: $2
Subject: Retention $1 [secure]
Message-ID: <retention-$1@example.com>

Message $1 body: $3.
EOF
}
mk a "<$BOB>, <$CAROL>" "AMBER-DUNE-1111"
h_send_file "$FROM" "$BOB,$CAROL" "$W/a.eml"
h_wait_queue_empty 120
h_milter_stop || h_fail "sanitizer report in the milter log"
h_write_conf "portal_listen=127.0.0.1:$H_PORTAL_PORT" message_retention=4d \
    expiry_reminder=1d
h_milter_start
mk b "<$BOB>" "BLUE-GLACIER-2222"
h_send_file "$FROM" "$BOB" "$W/b.eml"
h_wait_queue_empty 120

f=$(h_portal_notice "$CAROL" 1) || h_fail "no notification for $CAROL"
ID_A=$(h_portal_ids "$f")
ID_B=
for f in $(h_portal_notices "$BOB"); do
	[[ $(h_portal_ids "$f") != "$ID_A" ]] && ID_B=$(h_portal_ids "$f")
done
[[ -n $ID_A && -n $ID_B ]] || h_fail "want notifications for A and B (A='$ID_A', B='$ID_B')"
h_admin message show "$ID_A" --json >"$W/a.json" || h_fail "message show A"
h_admin message show "$ID_B" --json >"$W/b.json" || h_fail "message show B"
exp_a=$(jq -r .expires "$W/a.json")
exp_a_s=$(date -u -d "$exp_a" +%s)
exp_b_s=$(date -u -d "$(jq -r .expires "$W/b.json")" +%s)
(( exp_a_s - now >= 2 * 86400 - 300 && exp_a_s - now <= 2 * 86400 + 300 )) ||
    h_fail "A expires at $exp_a, want in 2 days"
(( exp_b_s - now >= 4 * 86400 - 300 )) || h_fail "B expires in less than 4 days"
h_ok "A (/m/$ID_A, 2d) to bob and carol, B (/m/$ID_B, 4d) to bob"

h_portal_register bob "$BOB" "$PW_BOB"
h_portal_register sender "$FROM" "$PW_FROM"
code=$(hc_get bob "/m/$ID_A" "$W/bob.a")
[[ $code == 200 ]] || hc_fail "bob opens A: $code" "$W/bob.a"
grep -qF AMBER-DUNE-1111 "$W/bob.a" || hc_fail "bob's /m/$ID_A lacks the body" "$W/bob.a"
code=$(hc_get bob /inbox "$W/bob.inbox")
exp_shown=$(date -u -d "$exp_a" '+%Y-%m-%d %H:%M UTC')
perl -0ne 'exit !m{<tr>(?:(?!</tr>).)*/m/\Q'"$ID_A"'\E(?:(?!</tr>).)*\Q'"$exp_shown"'\E}s' "$W/bob.inbox" ||
    hc_fail "bob's inbox does not show A's expiry $exp_shown in its row" "$W/bob.inbox"
h_ok "bob and the sender registered; bob opened A (his inbox shows it expires $exp_shown), carol did not"

# --- reminders ---------------------------------------------------------------------
# Mail that reached the sink with the reminder's subject, to ADDR.
reminders_to()
{
	local f
	for f in $(h_sink_files); do
		h_header Subject "$f" | grep -qF "expires soon" || continue
		h_sink_rcpts "$f" | grep -qixF -- "$1" && printf '%s\n' "$f"
	done
	return 0
}
purge_at +30h
jqt '.ok and .purged_expired == 0 and .reminded_messages == 1 and .reminders_sent == 1 and .reminder_failures == 0'
end=$((SECONDS + 60))
while [[ -z $(reminders_to "$CAROL") ]] && ((SECONDS < end)); do
	h_portal_kick
	sleep 0.3
done
h_wait_queue_empty 120
rf=$(reminders_to "$CAROL")
[[ $(grep -c . <<<"$rf") == 1 ]] || h_fail "want one reminder for $CAROL at the sink, got: ${rf:-none}"
text=$(h_portal_mail_text "$rf")
grep -qF "$H_PORTAL_URL/m/$ID_A" <<<"$text" || h_fail "the reminder does not link /m/$ID_A"
grep -qF "$(date -u -d "$exp_a" '+%Y-%m-%d %H:%M UTC')" <<<"$text" ||
    h_fail "the reminder does not name A's expiry ($exp_a)"
if grep -qF AMBER-DUNE <<<"$text"; then
	h_fail "the reminder carries the message body"
fi
[[ -z $(reminders_to "$BOB") ]] || h_fail "bob, who opened A, got a reminder"
[[ -z $(reminders_to "$FROM") ]] || h_fail "the sender got a reminder"
h_admin message show "$ID_A" --json >"$W/a.json"
jq -e '.flags == ["reminded"]' "$W/a.json" >/dev/null ||
    h_fail "A's flags after the reminder: $(jq -c .flags "$W/a.json")"
h_ok "purge at +30h: one reminder, to carol, linking /m/$ID_A and its expiry; none to bob or the sender"

purge_at +31h
jqt '.ok and .purged_expired == 0 and .reminders_sent == 0'
h_wait_queue_empty 120
sleep 1
h_portal_kick
h_wait_queue_empty 120
n=$(reminders_to "$CAROL" | grep -c . || true)
[[ $n == 1 ]] || h_fail "after a second purge carol has $n reminders, want 1"
code=$(hc_get bob "/m/$ID_A" "$W/bob.a")
[[ $code == 200 ]] || hc_fail "before expiry bob cannot read A: $code" "$W/bob.a"
h_ok "purge at +31h: no second reminder, nothing deleted; A still opens"

# --- purge ------------------------------------------------------------------------------
purge_at +49h
jqt '.ok and .scanned == 2 and .purged_expired == 1 and .purged_revoked == 0'
rc=0
h_admin message show "$ID_A" >"$W/show.out" 2>"$W/show.err" || rc=$?
[[ $rc == 1 ]] || h_fail "message show of the purged A: exit $rc, want 1: $(cat "$W/show.out")"
grep -qF "no message $ID_A" "$W/show.err" ||
    h_fail "message show of the purged A says: $(cat "$W/show.err")"
h_message_list >"$W/list.json"
jq -e --arg b "$ID_B" 'length == 1 and .[0].id == $b' "$W/list.json" >/dev/null ||
    h_fail "message list after the purge: $(cat "$W/list.json"), want B alone"
h_ok "purge at +49h: A deleted (message show: exit 1), B kept"

missing=AAAAAAAAAAAAAAAAAAAAAA
for who in bob sender; do
	code=$(hc_get "$who" "/m/$missing" "$W/missing")
	[[ $code == 404 ]] || hc_fail "$who: a missing id: $code" "$W/missing"
	for path in "/m/$ID_A" "/m/$ID_A/raw"; do
		code=$(hc_get "$who" "$path" "$W/$who.gone")
		[[ $code == 404 ]] || hc_fail "$who: GET $path after the purge: $code, want 404" "$W/$who.gone"
		grep -qF AMBER-DUNE "$W/$who.gone" && h_fail "$who: the 404 shows A's body"
		cmp -s <(sed 's/[0-9a-f]\{16\}//g' "$W/missing") <(sed 's/[0-9a-f]\{16\}//g' "$W/$who.gone") ||
		    h_fail "$who: GET $path differs from the page for a missing id"
	done
done
code=$(hc_get bob /inbox "$W/bob.inbox")
grep -qF "/m/$ID_A" "$W/bob.inbox" && hc_fail "bob's inbox still lists the purged A" "$W/bob.inbox"
grep -qF "/m/$ID_B" "$W/bob.inbox" || hc_fail "bob's inbox lost B" "$W/bob.inbox"
code=$(hc_get sender /sent "$W/sender.sent")
grep -qF "/m/$ID_A" "$W/sender.sent" && hc_fail "the sender's /sent still lists the purged A" "$W/sender.sent"
code=$(hc_get bob "/m/$ID_B" "$W/bob.b")
[[ $code == 200 ]] && grep -qF BLUE-GLACIER-2222 "$W/bob.b" || hc_fail "bob cannot read B after the purge: $code" "$W/bob.b"
h_ok "after the purge /m/$ID_A answers 404 to bob and to the sender (the missing-id page); B still opens"

echo "t-retention: all checks passed"
