#!/usr/bin/env bash
#
# With sealpost-milter stopped (milter_default_action = tempfail) a secure
# message is refused with 451 and nothing is delivered or queued: the
# client keeps it and retries.  Then, with the milter started again, the
# same message goes through as a notification (the failure was temporary).
set -euo pipefail
source "${SEALPOST_SOURCE:-$(dirname "$0")/../..}/test/lib/harness.sh"

h_init milter-down
h_start_all
h_milter_stop || h_fail "sanitizer report in the milter log"
h_port_listening "$H_MILTER_PORT" && h_fail "milter port still listening after stop"
h_ok "sealpost-milter stopped"

msg=$H_DIR/work/secure.eml
cat >"$msg" <<'EOF'
From: Example User <user@example.com>
To: Grace <grace@example.net>
Subject: [secure] payroll
Message-ID: <down-1@example.com>

Salary table: NEVER-IN-CLEAR-5501
EOF
wire=$H_DIR/work/secure.wire
h_wire "$msg" "$wire"

if h_swaks --from user@example.com --to grace@example.net -ndf --data "@$wire"; then
	cat "$H_LAST_SWAKS"
	h_fail "swaks succeeded while the milter was down"
fi
replies=$(h_swaks_replies)
grep -q '^451' <<<"$replies" || {
	cat "$H_LAST_SWAKS"
	h_fail "want a 451 reply while the milter is down"
}
grep -q 'queued as' <<<"$replies" && h_fail "the message was queued: $replies"
h_ok "refused: $(grep -m1 '^451' <<<"$replies")"

# Give Postfix time to do anything it (wrongly) might.
sleep 2
n=$(h_queue_count all)
[[ $n -eq 0 ]] || { h_postqueue; h_fail "$n messages in the Postfix queue, want 0"; }
n=$(h_sink_count)
[[ $n -eq 0 ]] || h_fail "$n deliveries at the sink, want 0"
h_ok "nothing queued, nothing delivered"

# Back up: the retry succeeds, as a notification.
h_milter_start
h_send_file user@example.com grace@example.net "$msg"
h_wait_queue_empty 60
[[ $(h_sink_count) -eq 1 ]] || h_fail "want 1 delivery after the milter is back"
out=$(h_sink_files)
if grep -q NEVER-IN-CLEAR "$out"; then
	h_fail "the retried secure message was delivered in clear"
fi
[[ $(h_portal_ids "$out" | wc -l) -eq 1 ]] || h_fail "the retry did not produce a notification"
h_ok "with the milter back, the retry is delivered as a notification"

echo "t-milter-down: all checks passed"
