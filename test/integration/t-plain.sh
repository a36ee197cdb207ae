#!/usr/bin/env bash
#
# Mail that is not to be treated passes sealpost-milter untouched and is
# not stored:
#  1. a plain (untagged) message from an internal sender;
#  2. a [secure] message from an external sender (user@outside.test);
#  3. an internal message with "[secure]" only in its body, not the Subject.
# Each arrives at the sink with every header and the body identical to
# what was sent, Postfix's own Received: header (prepended, first) aside.
set -euo pipefail
source "${SEALPOST_SOURCE:-$(dirname "$0")/../..}/test/lib/harness.sh"

h_init plain
h_start_all

# h_send_untouched LABEL FROM TO FILE: send, wait, check the delivery is
# the message as sent and the store is still empty.
h_send_untouched()
{
	local label=$1 from=$2 to=$3 file=$4 sent got out before
	sent=$H_DIR/work/$label.crlf
	got=$H_DIR/work/$label.got
	h_crlf "$file" "$sent"
	before=$(h_sink_count)
	h_send_file "$from" "$to" "$file"
	h_wait_queue_empty 60
	[[ $(h_sink_count) -eq $((before + 1)) ]] ||
	    h_fail "$label: want 1 new delivery at the sink, got $(($(h_sink_count) - before))"
	out=$(h_sink_files | tail -1)
	[[ $(h_sink_rcpts "$out") == "$to" ]] ||
	    h_fail "$label: delivered to '$(h_sink_rcpts "$out")', want $to"
	h_sink_message "$out" >"$got.raw"
	# Postfix prepends its Received: header (with this queue id); that
	# header, and nothing else, is allowed to differ.
	h_header Received "$got.raw" | grep -q "(Postfix) with ESMTP id $H_LAST_QID" ||
	    h_fail "$label: first header is not Postfix's Received: (id $H_LAST_QID)"
	h_strip_first_received "$got.raw" "$got"
	if ! cmp -s "$sent" "$got"; then
		h_diff_report "$sent" "$got"
		h_fail "$label: the delivered message differs from what was sent"
	fi
	[[ $(h_message_list | jq 'length') -eq 0 ]] ||
	    h_fail "$label: something was stored: $(h_message_list)"
	h_ok "$label: delivered unchanged ($(stat -c %s "$sent") bytes), nothing stored"
}

plain=$H_DIR/work/plain.eml
cat >"$plain" <<'EOF'
Date: Tue, 03 Mar 2026 09:00:00 +0100
From: Example User <user@example.com>
To: Dave <dave@example.net>
Subject: Lunch on Friday?
Message-ID: <plain-1@example.com>
X-Mailer: sealpost-harness 1.0
Thread-Topic: Lunch
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: 8bit

Hi Dave,

lunch on Friday at noon?  Crème brûlée for dessert.
.a line that starts with a dot
EOF
h_send_untouched internal-plain user@example.com dave@example.net "$plain"

external=$H_DIR/work/external.eml
cat >"$external" <<'EOF'
Date: Tue, 03 Mar 2026 09:05:00 +0100
From: Someone Outside <user@outside.test>
To: Erin <erin@example.net>
Subject: [secure] contract draft
Message-ID: <ext-1@outside.test>
X-Mailer: other-mailer 2.0

From outside: this is not ours to protect, it must pass unchanged.
EOF
h_send_untouched external-secure user@outside.test erin@example.net "$external"

bodytag=$H_DIR/work/bodytag.eml
cat >"$bodytag" <<'EOF'
From: Example User <user@example.com>
To: Frank <frank@example.net>
Subject: about tags
Message-ID: <bodytag-1@example.com>

Put [secure] in the Subject, not here: this message stays plain.
EOF
h_send_untouched internal-body-tag user@example.com frank@example.net "$bodytag"

echo "t-plain: all checks passed"
