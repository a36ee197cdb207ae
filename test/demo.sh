#!/usr/bin/env bash
#
# Demo on a fresh Debian 12 machine, as root: install the dependencies,
# build, start a private Postfix + sealpost-milter + smtp-sink on
# loopback, send a [secure] message with a small PDF attachment from
# alice@example.com (internal) to bob@example.net, and show
#  - the notification that left Postfix (what bob would receive),
#  - where the encrypted original is stored (store path, message list).
# Then wait for Ctrl-C and stop everything.
#
# SEALPOST_DEMO_NOWAIT=1: stop right after showing (for scripted runs).
# SP_BUILD_DIR: build directory (default ./build).
# SEALPOST_KEEP=1: keep the work dir (store, logs, sink files) afterwards.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source test/lib/setup.sh

build=${SP_BUILD_DIR:-build}
sp_install_deps
sp_build "$build"

SEALPOST_BUILD=$(cd "$build" && pwd)
export SEALPOST_BUILD SEALPOST_SOURCE=$PWD
source test/lib/harness.sh
h_init demo
# Ctrl-C is how the demo ends: not a failure.
trap 'echo; h_log "stopping"; exit 0' INT TERM

h_start_all

# --- the portal -------------------------------------------------------
# sealpost-portal comes in a later issue.  Start it here, on loopback,
# with the same $H_CONF (portal_url = $H_PORTAL_URL), e.g.:
#	h_portal_start		# sealpost-portal -c "$H_CONF" -f
# and print its URL below next to the notification link.
# ----------------------------------------------------------------------

att=$H_DIR/work/statement.pdf
printf '%%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n%% demo statement\ntrailer << /Root 1 0 R >>\n%%%%EOF\n' >"$att"
msg=$H_DIR/work/demo.eml
cat >"$msg" <<EOF
Date: $(date -R)
From: Alice <alice@example.com>
To: Bob <bob@example.net>
Subject: [secure] Your account statement
Message-ID: <demo-$$@example.com>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="demo-boundary"

--demo-boundary
Content-Type: text/plain; charset=utf-8

Hello Bob,

please find your account statement attached.

Alice
--demo-boundary
Content-Type: application/pdf; name="statement.pdf"
Content-Disposition: attachment; filename="statement.pdf"
Content-Transfer-Encoding: base64

$(base64 -w 76 "$att")
--demo-boundary--
EOF

h_send_file alice@example.com bob@example.net "$msg"
h_wait_queue_empty 60
h_wait_sink_count 1 10 || h_fail "no delivery at the sink"
out=$(h_sink_files | tail -1)

cat <<EOF

======================================================================
 sent: "[secure] Your account statement", alice@example.com -> bob@example.net
       (queue id $H_LAST_QID), with statement.pdf attached
======================================================================

----- what left Postfix for bob@example.net (smtp-sink: $out) -----
EOF
h_sink_message "$out" | tr -d '\r'
cat <<EOF
----- end of notification -----

The original is stored encrypted in the store:
  store_path      = $H_DIR/store
  master_key_file = $H_DIR/master.key
  config          = $H_CONF

\$ sealpost-admin -c $H_CONF message list
EOF
h_admin message list
id=$(h_portal_ids "$out" | head -1)
cat <<EOF

The notification links to $H_PORTAL_URL/m/$id
(the portal comes in a later issue).

Running on loopback:
  Postfix smtpd    127.0.0.1:$H_SMTP_PORT   (config $H_PF)
  sealpost-milter  127.0.0.1:$H_MILTER_PORT  (log $H_DIR/milter.log)
  smtp-sink        127.0.0.1:$H_SINK_PORT   (deliveries in $H_SINK_DIR)
Send more, e.g.:
  swaks --server 127.0.0.1:$H_SMTP_PORT --from alice@example.com \\
        --to bob@example.net --header 'Subject: [secure] hello'
EOF

if [[ ${SEALPOST_DEMO_NOWAIT:-0} == 1 ]]; then
	exit 0
fi
echo
echo "Press Ctrl-C to stop."
while :; do
	sleep 1
done
