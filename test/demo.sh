#!/usr/bin/env bash
#
# Demo on a fresh Debian 12 machine, as root: install the dependencies,
# build, start a private Postfix + sealpost-milter + sealpost-portal +
# smtp-sink on loopback, send a [secure] message with a small PDF
# attachment from alice@example.com (internal) to bob@example.net, and
# show
#  - the notification that left Postfix (what bob would receive),
#  - where the encrypted original is stored (store path, message list),
#  - the link bob clicks, and his verification link (the portal's mail to
#    bob is caught at the sink like everything else), so that a person
#    can register as bob and read the message in a browser.
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
source test/lib/portal.sh
h_init demo
# Ctrl-C is how the demo ends: not a failure.
trap 'echo; h_log "stopping"; exit 0' INT TERM

# Postfix, the milter, the sink, and the portal on loopback (plain HTTP
# is allowed there), all with the same $H_CONF.
h_portal_start_all

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

# Bob asks to register, as he would from the notification: the portal
# mails him a verification link, which the sink catches.
hc_new demo
reg=$H_DIR/curl/demo.register
[[ $(hc_get demo /register "$reg") == 200 ]] || hc_fail "GET /register" "$reg"
csrf=$(hc_csrf "$reg") || hc_fail "no csrf field in /register" "$reg"
[[ $(hc_post demo /register "$reg" "csrf=$csrf" "email=bob@example.net") == 200 ]] ||
    hc_fail "POST /register" "$reg"
verify=$(h_portal_link verify bob@example.net 1) ||
    h_fail "no verification mail for bob@example.net reached the sink"

cat <<EOF

======================================================================
 Read it as bob, in a browser on this machine:
   1. open the verification link bob was mailed (caught at the sink):
        $verify
      and choose a password (at least 15 characters);
   2. log in as bob@example.net at $H_PORTAL_URL/
   3. open the message the notification links to:
        $H_PORTAL_URL/m/$id
======================================================================

Running on loopback:
  Postfix smtpd    127.0.0.1:$H_SMTP_PORT   (config $H_PF)
  sealpost-milter  127.0.0.1:$H_MILTER_PORT  (log $H_DIR/milter.log)
  sealpost-portal  $H_PORTAL_URL  (log $H_DIR/portal.log)
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
