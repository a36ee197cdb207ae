#!/usr/bin/env bash
#
# sealpost-admin against a live store: a private Postfix + milter +
# portal (test/lib/portal.sh), one secure message sent through them, then
# every command's happy path, a user error (exit 1, one line on stderr)
# and, where it applies, --json checked with jq:
#  - message list/show/revoke: metadata only (no subject), first opens,
#    ids after "--";
#  - account invite: the invited address registers through the portal;
#    disable ends its session and refuses logins, enable allows them;
#    reset mails a link the portal accepts, the admin never sees it;
#  - alias add/list/remove, unsubscribe, stats, purge;
#  - backup: a copy the admin can open, refused into a non-empty dir;
#  - rotate-key: the data key re-wrapped under key 2, the stored
#    original still decrypts byte for byte; --resume finds nothing to do;
#  - a store that cannot be opened is a system error (exit 2).
set -euo pipefail
source "${SEALPOST_SOURCE:-$(dirname "$0")/../..}/test/lib/portal.sh"

command -v jq >/dev/null || h_fail "jq not installed"
h_init admin
h_portal_start_all

W=$H_DIR/work
OUT=$W/admin.out
ERR=$W/admin.err

# run WANT ARGS...: sealpost-admin ARGS must exit WANT; stdout in $OUT,
# stderr in $ERR.  A user error must say why in one line.
run()
{
	local want=$1 rc=0
	shift
	h_admin "$@" >"$OUT" 2>"$ERR" || rc=$?
	if [[ $rc != "$want" ]]; then
		h_fail "sealpost-admin $*: exit $rc, want $want; stdout: $(head -c 600 "$OUT"); stderr: $(head -c 600 "$ERR")"
	fi
	if [[ $want == 1 ]]; then
		[[ $(grep -c . "$ERR") -eq 1 ]] ||
		    h_fail "sealpost-admin $*: want one line on stderr, got: $(cat "$ERR")"
	fi
}

# json ARGS...: run with --json (exit 0), the output must be JSON.
json()
{
	run 0 "$@" --json
	jq -e . "$OUT" >/dev/null ||
	    h_fail "sealpost-admin $* --json: not JSON: $(head -c 600 "$OUT")"
}

# jqt FILTER [jq args]: the last JSON output must satisfy FILTER.
jqt()
{
	local f=$1
	shift
	jq -e "$@" "$f" "$OUT" >/dev/null ||
	    h_fail "jq '$f' does not hold for: $(head -c 800 "$OUT")"
}

# ------------------------------------------------------------ a message

FROM=user@example.com
GUEST=guest@partner.test
PW1="violet tractor on a quiet hill 71"
PW2="seven amber kites over the harbour"
ALICE=alice@example.net
BOB=bob@example.org
msg=$W/secure.eml
cat >"$msg" <<EOF
Date: Mon, 02 Mar 2026 10:00:00 +0000
From: Example User <$FROM>
To: Alice <$ALICE>, Bob <$BOB>
Subject: Board minutes SUBJECT-MARK-5521 [secure]
Message-ID: <admin-1@example.com>
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8

The minutes, BODY-MARK-7734.
EOF
sent=$W/secure.crlf
h_crlf "$msg" "$sent"
h_send_file "$FROM" "$ALICE,$BOB" "$msg"
h_wait_queue_empty 120
json message list
jqt 'type == "array" and length == 1'
id=$(jq -r '.[0].id' "$OUT")
h_ok "one secure message stored: $id"

# ------------------------------------------------------------ message

jqt '.[0].flags == [] and .[0].sender == "'"$FROM"'"'
run 0 --json message list
jqt 'length == 1'
run 0 message list
grep -qF -- "$id" "$OUT" || h_fail "message list does not show $id"
run 0 message show "$id"
grep -q "not opened" "$OUT" || h_fail "message show: no 'not opened': $(cat "$OUT")"
json message show -- "$id"
jqt '.id == $id and (.recipients | length) == 2 and .opened["alice@example.net"] == null and .key_id == 1 and .flags == [] and .chunks >= 1' --arg id "$id"
jqt 'has("subject") | not'
for s in SUBJECT-MARK BODY-MARK "Board minutes"; do
	if grep -qF "$s" "$OUT"; then
		h_fail "message show prints content ($s)"
	fi
done
# Alice (a recipient, so invited) opens it in the portal: a first open.
h_portal_register alice "$ALICE" "$PW1"
code=$(hc_get alice "/m/$id" "$W/read.html")
[[ $code == 200 ]] || hc_fail "GET /m/$id as $ALICE answered $code" "$W/read.html"
json message show "$id"
jqt '(.opened["alice@example.net"] | fromdateiso8601) > 0 and .opened["bob@example.org"] == null'
run 0 message show "$id"
grep -q "<alice@example.net>  first opened 20" "$OUT" || h_fail "message show: no first open for alice: $(cat "$OUT")"
run 1 message show -- -AAAAAAAAAAAAAAAAAAAAA
grep -q "no message" "$ERR" || h_fail "message show of an absent id: $(cat "$ERR")"
run 1 message show not-an-id
run 1 message frobnicate
h_ok "message list/show: metadata only, first opens, ids after --, user errors exit 1"

# ------------------------------------------------------------ stats

json stats
jqt '.messages == 1 and .map_used > 0 and .map_max > 0 and (.accounts | type) == "number"'
run 0 stats
grep -q "^messages: *1$" "$OUT" || h_fail "stats: $(cat "$OUT")"
run 1 stats extra
h_ok "stats"

# ------------------------------------------------------------ accounts

run 0 account invite "$GUEST"
json account show "$GUEST"
jqt '.address == $a and .state == "invited" and .password_set == false and .flags == []' --arg a "$GUEST"
run 0 account invite "$GUEST"
grep -q "already has an account" "$OUT" || h_fail "second invite: $(cat "$OUT")"
run 1 account invite "not an address"
run 1 account invite -- -x@example.org
run 1 account show nobody@nowhere.test
# Neither a recipient nor internal: only the invitation lets it register.
h_portal_register guest "$GUEST" "$PW1"
json account show "$GUEST"
jqt '.state == "registered" and .password_set == true and .password_changed != null'
if grep -q 'argon2' "$OUT"; then
	h_fail "account show prints the password hash"
fi
json account list
jqt 'type == "array" and any(.[]; .address == $a and .state == "registered")' --arg a "$GUEST"
h_ok "account invite: $GUEST registered through the portal; show and list"

# Disable: the session ends and logins fail; enable: they work again.
code=$(hc_get guest /inbox "$W/inbox.html")
[[ $code == 200 ]] || hc_fail "GET /inbox before disable: $code" "$W/inbox.html"
run 0 account disable "$GUEST"
json account show "$GUEST"
jqt '.flags == ["disabled"]'
code=$(hc_get guest /inbox "$W/inbox.html")
[[ $code != 200 ]] || h_fail "GET /inbox still 200 after account disable"
hc_new late
code=$(hc_get late / "$W/login.html")
csrf=$(hc_csrf "$W/login.html") || hc_fail "no csrf on the login page" "$W/login.html"
code=$(hc_post late /login "$W/login.html" "csrf=$csrf" "email=$GUEST" "password=$PW1")
[[ $code == 400 ]] || hc_fail "login of a disabled account answered $code, want 400" "$W/login.html"
run 0 account enable "$GUEST"
json account show "$GUEST"
jqt '.flags == []'
h_portal_login late "$GUEST" "$PW1"
run 1 account disable nobody@nowhere.test
h_ok "account disable ends the session and refuses logins; enable"

# Reset: a link the portal accepts; the administrator never sees it.
run 0 account reset "$GUEST"
if grep -qE '[0-9a-f]{64}' "$OUT" "$ERR"; then
	h_fail "account reset printed a token"
fi
grep -q "reset link sent" "$OUT" || h_fail "account reset: $(cat "$OUT")"
link=$(h_portal_link reset "$GUEST" 1) || h_fail "no reset mail for $GUEST at the sink"
code=$(h_portal_set_password reset "$link" "$PW2")
[[ $code == 200 ]] || hc_fail "POST /reset with the admin's link answered $code" "$H_DIR/curl/reset.setpw"
h_portal_login after "$GUEST" "$PW2"
code=$(h_portal_set_password reset2 "$link" "$PW1")
[[ $code == 400 ]] || h_fail "the reset link worked twice ($code)"
run 1 account reset nobody@nowhere.test
h_ok "account reset: mailed link sets a new password once, token never printed"

# ------------------------------------------------------------ aliases

ALT=alt@partner.test
run 0 alias add "$ALT" "$GUEST"
json alias list "$GUEST"
jqt 'length == 1 and .[0].alias == $x and .[0].status == "confirmed" and .[0].master == $m' --arg x "$ALT" --arg m "$GUEST"
json account show "$GUEST"
jqt '.aliases == [{"alias": $x, "status": "confirmed"}]' --arg x "$ALT"
run 0 alias add "$ALT" "$GUEST"
grep -q "already" "$OUT" || h_fail "second alias add: $(cat "$OUT")"
run 1 alias add "$GUEST" "$ALT"
run 1 alias add other@partner.test nobody@nowhere.test
run 0 alias list "$GUEST"
grep -qF "$ALT" "$OUT" || h_fail "alias list: $(cat "$OUT")"
run 0 alias remove "$ALT"
run 1 alias remove "$ALT"
json alias list "$GUEST"
jqt 'length == 0'
h_ok "alias add/list/remove"

# ------------------------------------------------------------ unsubscribe

run 0 unsubscribe "$BOB"
json account show "$BOB"
jqt '.flags == ["unsubscribed"] and .state == "invited" and .messages_received == 1'
run 0 unsubscribe "$BOB"
grep -q "already" "$OUT" || h_fail "second unsubscribe: $(cat "$OUT")"
run 1 unsubscribe "bob at example"
h_ok "unsubscribe: account record made, flag set"

# ------------------------------------------------------------ revoke, purge

run 0 message revoke -- "$id"
json message show "$id"
jqt '.flags == ["revoked"]'
now=$(date +%s)
jqt '(.expires | fromdateiso8601) - $now <= 86400 + 60 and (.expires | fromdateiso8601) - $now >= 86400 - 60' --argjson now "$now"
run 0 message revoke "$id"
grep -q "already" "$OUT" || h_fail "second revoke: $(cat "$OUT")"
run 1 message revoke -- -BBBBBBBBBBBBBBBBBBBBB
json purge
jqt '.ok == true and .scanned == 1 and .purged_expired == 0 and .purged_revoked == 0 and .revoked_scheduled == 0'
run 0 purge
grep -q "expired messages\? deleted" "$OUT" || h_fail "purge: $(cat "$OUT")"
json message list
jqt 'length == 1'
run 1 purge now
h_ok "revoke keeps the message a day; purge reports and keeps it"

# ------------------------------------------------------------ backup

BK=$W/backup
run 0 backup "$BK"
[[ -f $BK/data.mdb ]] || h_fail "backup: no $BK/data.mdb"
[[ $(stat -c %a "$BK/data.mdb") == 600 ]] || h_fail "backup data.mdb mode $(stat -c %a "$BK/data.mdb")"
run 1 backup "$BK"
run 1 backup "$H_CONF"
run 1 backup "$W/no/such/dir"
sed "s|^store_path = .*|store_path = $BK|" "$H_CONF" >"$W/backup.conf"
rc=0
"$(h_require_bin sealpost-admin)" -c "$W/backup.conf" message list --json >"$OUT" 2>"$ERR" || rc=$?
[[ $rc == 0 ]] || h_fail "message list on the backup: exit $rc: $(cat "$ERR")"
jqt 'length == 1 and .[0].id == $id and .[0].flags == ["revoked"]' --arg id "$id"
h_ok "backup: a store the admin opens, with the message; refused into a non-empty dir"

# ------------------------------------------------------------ rotate-key

json rotate-key
jqt '.ok == true and .added == true and .key_id == 2 and .rewrapped == 1 and .failed == 0'
[[ $(grep -c . "$H_DIR/master.key") -eq 2 ]] || h_fail "master.key does not hold 2 keys"
[[ $(stat -c %a "$H_DIR/master.key") == 600 ]] || h_fail "master.key mode changed"
json message show "$id"
jqt '.key_id == 2'
h_check_stored "$id" "$sent" || h_fail "after rotate-key the stored original does not decrypt to what was sent"
json rotate-key --resume
jqt '.added == false and .key_id == 2 and .rewrapped == 0 and .already == 1'
run 0 rotate-key --resume
grep -q "0 data keys re-wrapped" "$OUT" || h_fail "rotate-key --resume: $(cat "$OUT")"
run 1 rotate-key --now
h_ok "rotate-key: data key re-wrapped under key 2, original decrypts; --resume idempotent"

# ------------------------------------------------------------ delete, check, errors

run 0 account delete "$GUEST"
run 1 account show "$GUEST"
run 1 account delete "$GUEST"
run 0 check
grep -q "no problems found" "$OUT" || h_fail "check: $(cat "$OUT")"
run 1 frobnicate
rc=0
"$(h_require_bin sealpost-admin)" -c "$W/no-such.conf" stats >"$OUT" 2>"$ERR" || rc=$?
[[ $rc == 1 ]] || h_fail "a missing config file: exit $rc, want 1"
sed "s|^store_path = .*|store_path = $W/no-store|" "$H_CONF" >"$W/nostore.conf"
rc=0
"$(h_require_bin sealpost-admin)" -c "$W/nostore.conf" stats >"$OUT" 2>"$ERR" || rc=$?
[[ $rc == 2 ]] || h_fail "a store that does not exist: exit $rc, want 2"
h_ok "account delete, check, unknown command (1), bad config (1), no store (2)"

echo "t-admin: all checks passed"
