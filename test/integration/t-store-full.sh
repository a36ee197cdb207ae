#!/usr/bin/env bash
#
# When the milter cannot store a secure message (here: the store is full,
# store_map_size = 1M, and the message is 4 MiB) the client gets
# 451 4.3.0 after DATA and nothing is delivered or queued: a secure message
# is never delivered in clear and never lost.  A small secure message still
# goes through afterwards.
set -euo pipefail
source "${SEALPOST_SOURCE:-$(dirname "$0")/../..}/test/lib/harness.sh"

h_init store-full
h_start_all store_map_size=1M

big=$H_DIR/work/big.eml
{
	printf 'From: Example User <user@example.com>\nTo: <hank@example.net>\n'
	printf 'Subject: [secure] too big for the store\nMessage-ID: <full-1@example.com>\n\n'
	printf 'CLEAR-TEXT-MARKER-7310\n'
	head -c 3000000 /dev/urandom | base64 -w 76
} >"$big"
wire=$H_DIR/work/big.wire
h_wire "$big" "$wire"
if h_swaks --from user@example.com --to hank@example.net -ndf --data "@$wire"; then
	h_fail "a secure message the store cannot hold was accepted"
fi
replies=$(h_swaks_replies)
grep -q '^451 4\.3\.0' <<<"$replies" || {
	cat "$H_LAST_SWAKS"
	h_fail "want 451 4.3.0 after DATA when the store is full, got: $(tail -2 <<<"$replies" | head -1)"
}
h_ok "refused: $(grep -m1 '^451' <<<"$replies")"
sleep 1
n=$(h_queue_count all)
[[ $n -eq 0 ]] || { h_postqueue; h_fail "$n messages in the Postfix queue, want 0"; }
n=$(h_sink_count)
[[ $n -eq 0 ]] || h_fail "$n deliveries at the sink, want 0"
[[ $(h_message_list | jq length) -eq 0 ]] || h_fail "something was stored"
h_ok "nothing queued, delivered or stored"

small=$H_DIR/work/small.eml
printf 'From: Example User <user@example.com>\nTo: <hank@example.net>\nSubject: [secure] small\n\nsmall one\n' >"$small"
h_send_file user@example.com hank@example.net "$small"
h_wait_queue_empty 60
[[ $(h_sink_count) -eq 1 ]] || h_fail "want 1 delivery for the small message"
id=$(h_portal_ids "$(h_sink_files)")
[[ -n $id ]] || h_fail "the small message did not come out as a notification"
h_crlf "$small" "$H_DIR/work/small.crlf"
h_check_stored "$id" "$H_DIR/work/small.crlf" || h_fail "small message not stored as sent"
h_ok "a small secure message is still stored and notified"

echo "t-store-full: all checks passed"
