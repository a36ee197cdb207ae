# shellcheck shell=bash
#
# harness.sh: a private Postfix + sealpost-milter + smtp-sink on loopback,
# for the end-to-end tests (test/integration/t-*.sh), test/demo.sh and
# test/bench/bench-milter.sh.  Source it, then:
#
#	h_init NAME		private work dir, cleanup trap, free ports
#	h_write_conf [k=v ...]	sealpost.conf (defaults below, k=v overrides)
#	h_keygen		sealpost-admin keygen
#	h_milter_start		start sealpost-milter -f, wait for its port
#	h_sink_start		smtp-sink writing one file per delivery
#	h_postfix_start [--no-milter]
#	h_send_file FROM TO[,TO..] FILE	send FILE byte for byte (swaks -ndf)
#	h_swaks ARGS...		swaks against the private smtpd
#	h_wait_queue_empty	wait until Postfix has delivered everything
#	h_sink_files / h_sink_count / h_sink_message FILE
#	h_fail MSG		print MSG, the logs, and exit 1
#
# Everything lives in one mktemp dir under ${TMPDIR:-/tmp}; the EXIT trap
# stops Postfix (waiting for its master to exit), the milter and the sink,
# prints the logs when the script failed, and removes the dir unless
# SEALPOST_KEEP=1.  Every wait has a timeout.
#
# Environment: SEALPOST_BUILD (build dir), SEALPOST_SOURCE (source tree),
# SEALPOST_CORPUS (shared/corpus), SEALPOST_KEEP=1 (keep the work dir).

if [[ -n ${H_LOADED:-} ]]; then
	return 0
fi
H_LOADED=1

H_SOURCE=${SEALPOST_SOURCE:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
H_BUILD=${SEALPOST_BUILD:-$H_SOURCE/build}
H_CORPUS=${SEALPOST_CORPUS:-$H_SOURCE/../shared/corpus}

# Addresses the tests use: example.com is internal, the rest is not.
H_INTERNAL_DOMAIN=example.com
H_NOREPLY=noreply@example.com
H_PORTAL_URL=https://portal.sealpost.test

H_DIR=
H_PF=
H_PF_QUEUE=
H_CONF=
H_SINK_DIR=
H_SMTP_PORT=
H_SINK_PORT=
H_MILTER_PORT=
H_MILTER_PID=
H_SINK_PID=
H_WATCHDOG_PID=
H_PF_STARTED=0
H_PORTS_TAKEN=" "
H_SWAKS_N=0
H_LAST_SWAKS=
H_LAST_QID=
H_FAILED=0

h_log()
{
	printf 'harness: %s\n' "$*" >&2
}

# Print a check that passed (the tests print what they checked).
h_ok()
{
	printf 'ok: %s [%ds]\n' "$*" "$SECONDS"
}

h_fail()
{
	printf 'FAIL: %s\n' "$*" >&2
	H_FAILED=1
	exit 1
}

# Find a built binary: h_bin NAME -> path (searches the build tree).
h_bin()
{
	local name=$1 p
	for p in "$H_BUILD/$name" "$H_BUILD/milter/$name" \
	    "$H_BUILD/common/admin/$name" "$H_BUILD/portal/$name" \
	    "$H_BUILD/test/$name" "$H_BUILD/test/tools/$name"; do
		if [[ -x $p && -f $p ]]; then
			printf '%s\n' "$p"
			return 0
		fi
	done
	return 1
}

h_require_bin()
{
	local p
	p=$(h_bin "$1") || h_fail "$1 not built (looked under $H_BUILD)"
	printf '%s\n' "$p"
}

# ---------------------------------------------------------------- ports

# 1 if something listens on 127.0.0.1:PORT (or any address), else 0.
h_port_listening()
{
	local port=$1
	if command -v ss >/dev/null 2>&1; then
		[[ -n $(ss -Hltn "sport = :$port" 2>/dev/null) ]]
		return
	fi
	(exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null
}

# Number of listening sockets on PORT (SO_REUSEPORT lets two exist).
h_port_listeners()
{
	local port=$1
	if command -v ss >/dev/null 2>&1; then
		ss -Hltn "sport = :$port" 2>/dev/null | wc -l
	else
		if h_port_listening "$port"; then echo 1; else echo 0; fi
	fi
}

# A port nobody uses: not listening, no socket in any state, not handed
# out before in this run.  Below the ephemeral range (32768-60999) so an
# outgoing connection cannot be holding it.  Sets H_PORT (not called in
# $(...), so that H_PORTS_TAKEN is kept).
h_free_port()
{
	local i port
	for ((i = 0; i < 200; i++)); do
		port=$((20000 + (RANDOM * 32768 + RANDOM) % 12000))
		[[ $H_PORTS_TAKEN == *" $port "* ]] && continue
		if command -v ss >/dev/null 2>&1; then
			[[ -n $(ss -Htan "sport = :$port" 2>/dev/null) ]] && continue
		elif h_port_listening "$port"; then
			continue
		fi
		H_PORTS_TAKEN+="$port "
		H_PORT=$port
		return 0
	done
	h_fail "no free loopback port found"
}

# Wait until PORT is listening; fail early if process PID died.
# h_wait_port PORT TIMEOUT_S [PID] [WHAT]
h_wait_port()
{
	local port=$1 timeout=$2 pid=${3:-} what=${4:-port $1} i
	for ((i = 0; i < timeout * 10; i++)); do
		if h_port_listening "$port"; then
			return 0
		fi
		if [[ -n $pid ]] && ! kill -0 "$pid" 2>/dev/null; then
			h_log "$what exited before listening on $port"
			return 1
		fi
		sleep 0.1
	done
	h_log "$what not listening on $port after ${timeout}s"
	return 1
}

# ---------------------------------------------------------------- setup

h_init()
{
	local name=${1:-$(basename "$0" .sh)}

	[[ $(id -u) -eq 0 ]] || h_fail "the harness runs Postfix and must run as root"
	getent passwd postfix >/dev/null || h_fail "no postfix user (install postfix)"
	command -v postfix >/dev/null || h_fail "postfix not installed"
	command -v smtp-sink >/dev/null || h_fail "smtp-sink not installed"
	command -v swaks >/dev/null || h_fail "swaks not installed"

	H_DIR=$(mktemp -d "${TMPDIR:-/tmp}/sealpost-$name.XXXXXX") ||
	    h_fail "mktemp failed"
	trap h_on_exit EXIT
	trap 'h_log "interrupted"; exit 130' INT
	trap 'h_log "terminated"; exit 143' TERM
	# Postfix and smtp-sink run as user postfix and need to reach in.
	chmod 755 "$H_DIR"
	if ! runuser -u postfix -- test -x "$H_DIR"; then
		h_fail "user postfix cannot reach $H_DIR; set TMPDIR to a world-searchable dir (e.g. /tmp)"
	fi
	H_PF=$H_DIR/postfix
	H_PF_QUEUE=$H_DIR/queue
	H_SINK_DIR=$H_DIR/sink
	H_CONF=$H_DIR/sealpost.conf
	mkdir -p "$H_PF" "$H_PF_QUEUE" "$H_DIR/pfdata" "$H_SINK_DIR" \
	    "$H_DIR/store" "$H_DIR/spool" "$H_DIR/work"
	chown postfix: "$H_DIR/pfdata" "$H_SINK_DIR"
	: >"$H_DIR/milter.log"
	: >"$H_DIR/sink.log"
	: >"$H_PF/maillog"

	h_free_port; H_SMTP_PORT=$H_PORT
	h_free_port; H_SINK_PORT=$H_PORT
	h_free_port; H_MILTER_PORT=$H_PORT
	h_watchdog
	h_log "work dir $H_DIR (smtpd :$H_SMTP_PORT, sink :$H_SINK_PORT, milter :$H_MILTER_PORT)"
}

# If this shell dies without running its trap (SIGKILL, a killed ctest),
# stop what it started.  Runs in its own session, with no inherited pipes.
h_watchdog()
{
	local parent=$$
	setsid bash -c '
		parent=$1 dir=$2 pf=$3
		while kill -0 "$parent" 2>/dev/null; do sleep 1; done
		[[ -d $dir ]] || exit 0
		if [[ -f $dir/queue/pid/master.pid ]]; then
			postfix -c "$pf" stop
		fi
		for f in "$dir"/milter.pid "$dir"/sink.pid; do
			[[ -f $f ]] && kill -TERM "$(cat "$f")"
		done
		sleep 5
		[[ ${SEALPOST_KEEP:-0} == 1 ]] || rm -rf "$dir"
	' watchdog "$parent" "$H_DIR" "$H_PF" </dev/null >/dev/null 2>&1 &
	H_WATCHDOG_PID=$!
}

# sealpost.conf: defaults, each replaced by a "key=value" argument of the
# same key; unknown keys are appended.
h_write_conf()
{
	local -a keys=(milter_socket store_path store_map_size spool_dir
	    master_key_file internal_domains portal_url templates_dir
	    noreply_address max_message_size log_level sendmail_command)
	local -A val=(
		[milter_socket]="inet:$H_MILTER_PORT@127.0.0.1"
		[store_path]="$H_DIR/store"
		[store_map_size]="2G"
		[spool_dir]="$H_DIR/spool"
		[master_key_file]="$H_DIR/master.key"
		[internal_domains]="$H_INTERNAL_DOMAIN"
		[portal_url]="$H_PORTAL_URL"
		[templates_dir]="$H_SOURCE/conf/templates"
		[noreply_address]="$H_NOREPLY"
		[max_message_size]="64M"
		[log_level]="info"
		# The milter's own mail (notices) goes into the private Postfix.
		[sendmail_command]="/usr/sbin/sendmail -C $H_PF -t -i"
	)
	local kv k
	for kv in "$@"; do
		k=${kv%%=*}
		[[ -v "val[$k]" ]] || keys+=("$k")
		val[$k]=${kv#*=}
	done
	{
		echo "# written by test/lib/harness.sh"
		for k in "${keys[@]}"; do
			printf '%s = %s\n' "$k" "${val[$k]}"
		done
	} >"$H_CONF"
}

h_admin()
{
	local admin
	admin=$(h_require_bin sealpost-admin) || exit 1
	"$admin" -c "$H_CONF" "$@"
}

h_keygen()
{
	local out mode
	out=$(h_admin keygen 2>&1) || h_fail "sealpost-admin keygen failed: $out"
	[[ -f $H_DIR/master.key ]] || h_fail "keygen did not create $H_DIR/master.key"
	mode=$(stat -c %a "$H_DIR/master.key")
	[[ $mode == 600 ]] || h_fail "master key mode is $mode, want 600"
}

# ---------------------------------------------------------------- milter

# The socket sealpost-milter listens on, as the config file says.
h_milter_socket()
{
	sed -n 's/^milter_socket = //p' "$H_CONF"
}

# Wait for the unix socket path of pid to appear; let Postfix (user
# postfix, by group: the milter's umask is 007) connect to it.
h_wait_unix_socket()
{
	local path=$1 pid=$2 i
	for ((i = 0; i < 300; i++)); do
		if [[ -S $path ]]; then
			chgrp postfix "$path" || return 1
			return 0
		fi
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	h_log "sealpost-milter did not create $path"
	return 1
}

h_milter_start()
{
	local milter out sock
	milter=$(h_require_bin sealpost-milter) || exit 1
	out=$("$milter" -c "$H_CONF" -n 2>&1) ||
	    h_fail "sealpost-milter -n rejects $H_CONF: $out"
	sock=$(h_milter_socket)
	if [[ $sock != unix:* ]] && h_port_listening "$H_MILTER_PORT"; then
		h_fail "milter port $H_MILTER_PORT is taken"
	fi
	echo "--- sealpost-milter start $(date '+%T')" >>"$H_DIR/milter.log"
	"$milter" -c "$H_CONF" -f </dev/null >>"$H_DIR/milter.log" 2>&1 &
	H_MILTER_PID=$!
	echo "$H_MILTER_PID" >"$H_DIR/milter.pid"
	if [[ $sock == unix:* ]]; then
		h_wait_unix_socket "${sock#unix:}" "$H_MILTER_PID" ||
		    h_fail "sealpost-milter did not start"
		return 0
	fi
	h_wait_port "$H_MILTER_PORT" 30 "$H_MILTER_PID" sealpost-milter ||
	    h_fail "sealpost-milter did not start"
	[[ $(h_port_listeners "$H_MILTER_PORT") -eq 1 ]] ||
	    h_fail "another process also listens on milter port $H_MILTER_PORT"
}

# Stop the milter (SIGTERM; libmilter takes 2-5 s), SIGKILL after 20 s.
# Returns 1 if the sanitizers reported something in its log.
h_milter_stop()
{
	local pid=$H_MILTER_PID i
	[[ -n $pid ]] || return 0
	H_MILTER_PID=
	rm -f "$H_DIR/milter.pid"
	if kill -0 "$pid" 2>/dev/null; then
		kill -TERM "$pid" 2>/dev/null
		for ((i = 0; i < 200; i++)); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		if kill -0 "$pid" 2>/dev/null; then
			h_log "sealpost-milter ignored SIGTERM for 20s; killing it"
			kill -KILL "$pid" 2>/dev/null
		fi
	fi
	wait "$pid" 2>/dev/null
	if grep -qE 'AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer|runtime error:' \
	    "$H_DIR/milter.log"; then
		h_log "sanitizer report in the milter log"
		return 1
	fi
	return 0
}

# ---------------------------------------------------------------- sink

h_sink_start()
{
	if h_port_listening "$H_SINK_PORT"; then
		h_fail "sink port $H_SINK_PORT is taken"
	fi
	# -d: one file per transaction, named by time + a random suffix.
	smtp-sink -u postfix -d "$H_SINK_DIR/%Y%m%d%H%M%S." \
	    "127.0.0.1:$H_SINK_PORT" 128 </dev/null >>"$H_DIR/sink.log" 2>&1 &
	H_SINK_PID=$!
	echo "$H_SINK_PID" >"$H_DIR/sink.pid"
	h_wait_port "$H_SINK_PORT" 15 "$H_SINK_PID" smtp-sink ||
	    h_fail "smtp-sink did not start"
	[[ $(h_port_listeners "$H_SINK_PORT") -eq 1 ]] ||
	    h_fail "another process also listens on sink port $H_SINK_PORT"
}

h_sink_stop()
{
	local pid=$H_SINK_PID
	[[ -n $pid ]] || return 0
	H_SINK_PID=
	rm -f "$H_DIR/sink.pid"
	kill -TERM "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	return 0
}

# Delivered files, oldest first (names start with a timestamp; ls -tr
# breaks ties within a second by mtime).
h_sink_files()
{
	find "$H_SINK_DIR" -type f -printf '%T@ %p\n' 2>/dev/null | sort -n |
	    cut -d' ' -f2-
}

h_sink_count()
{
	find "$H_SINK_DIR" -type f 2>/dev/null | wc -l
}

# h_wait_sink_count N [TIMEOUT_S]
h_wait_sink_count()
{
	local want=$1 timeout=${2:-60} i
	for ((i = 0; i < timeout * 10; i++)); do
		[[ $(h_sink_count) -ge $want ]] && return 0
		sleep 0.1
	done
	h_log "sink has $(h_sink_count) files after ${timeout}s, want $want"
	return 1
}

# The message as smtp-sink received it: without smtp-sink's X-* lines and
# its own three-line Received: header, and without the empty line it
# appends.  smtp-sink writes LF line ends; this prints CRLF, like SMTP.
h_sink_message()
{
	perl -e '
		local $/; my $s = <STDIN>;
		$s =~ s/\r?\n/\n/g;
		$s =~ s/\A(?:X-[A-Za-z-]+: [^\n]*\n)*// or die "no sink header\n";
		$s =~ s/\AReceived: [^\n]*\n(?:[ \t][^\n]*\n)*// or die "no sink Received\n";
		$s =~ s/\n\z// or die "no trailing empty line\n";
		$s =~ s/\n/\r\n/g;
		print $s;
	' <"$1"
}

# Envelope recipients smtp-sink saw in FILE, one per line, lower case.
h_sink_rcpts()
{
	sed -n 's/^X-Rcpt-Args: *<\([^>]*\)>.*/\1/p' "$1" | tr 'A-Z' 'a-z'
}

# ---------------------------------------------------------------- postfix

h_postfix_write_conf()
{
	local milters=$1
	cat >"$H_PF/main.cf" <<EOF
# private Postfix instance written by test/lib/harness.sh
compatibility_level = 3.6
queue_directory = $H_PF_QUEUE
data_directory = $H_DIR/pfdata
mail_owner = postfix
setgid_group = postdrop
maillog_file = $H_PF/maillog
maillog_file_prefixes = $H_DIR
myhostname = mx.sealpost.test
mydomain = sealpost.test
myorigin = \$myhostname
mydestination =
local_recipient_maps =
local_transport = error:local delivery is disabled
alias_maps =
alias_database =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
relayhost = [127.0.0.1]:$H_SINK_PORT
smtp_dns_support_level = disabled
smtpd_relay_restrictions = permit_mynetworks, reject
smtpd_recipient_restrictions = permit_mynetworks, reject
# Do not rewrite or add headers: the tests compare bytes.
local_header_rewrite_clients =
# 60 MiB messages (the memory benchmark) and their base64 growth.
message_size_limit = 134217728
mailbox_size_limit = 0
virtual_mailbox_limit = 0
biff = no
smtpd_milters = $milters
non_smtpd_milters = \$smtpd_milters
milter_default_action = tempfail
milter_protocol = 6
milter_connect_timeout = 10s
# Nothing is expected to be deferred; retry soon if it is.
queue_run_delay = 10s
minimal_backoff_time = 10s
maximal_backoff_time = 20s
delay_warning_time = 0
EOF
	# chroot column "n" everywhere; the smtpd listens on its free port.
	cat >"$H_PF/master.cf" <<EOF
127.0.0.1:$H_SMTP_PORT inet n - n - - smtpd
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
tlsmgr    unix  -       -       n       1000?   1       tlsmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
proxywrite unix -       -       n       -       1       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
local     unix  -       n       n       -       -       local
virtual   unix  -       n       n       -       -       virtual
lmtp      unix  -       -       n       -       -       lmtp
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
EOF
}

h_postfix_master_pid()
{
	local f=$H_PF_QUEUE/pid/master.pid pid
	[[ -f $f ]] || return 1
	pid=$(tr -dc '0-9' <"$f")
	[[ -n $pid ]] && kill -0 "$pid" 2>/dev/null || return 1
	printf '%s\n' "$pid"
}

# h_postfix_start [--no-milter]
h_postfix_start()
{
	local milters="inet:127.0.0.1:$H_MILTER_PORT" i
	[[ ${1:-} == --no-milter ]] && milters=
	if h_port_listening "$H_SMTP_PORT"; then
		h_fail "smtpd port $H_SMTP_PORT is taken"
	fi
	h_postfix_write_conf "$milters"
	if ! timeout 120 postfix -c "$H_PF" start </dev/null \
	    >>"$H_DIR/postfix-start.log" 2>&1; then
		cat "$H_DIR/postfix-start.log" >&2
		h_fail "postfix -c $H_PF start failed"
	fi
	H_PF_STARTED=1
	for ((i = 0; i < 300; i++)); do
		h_postfix_master_pid >/dev/null && h_port_listening "$H_SMTP_PORT" &&
		    break
		sleep 0.1
	done
	h_postfix_master_pid >/dev/null || h_fail "Postfix master is not running"
	h_port_listening "$H_SMTP_PORT" ||
	    h_fail "Postfix smtpd not listening on $H_SMTP_PORT after 30s"
	# SO_REUSEPORT: a second listener would take half our connections.
	[[ $(h_port_listeners "$H_SMTP_PORT") -eq 1 ]] ||
	    h_fail "another process also listens on smtpd port $H_SMTP_PORT"
}

h_postfix_stop()
{
	local pid i child
	[[ $H_PF_STARTED == 1 ]] || return 0
	H_PF_STARTED=0
	pid=$(h_postfix_master_pid) || return 0
	timeout 60 postfix -c "$H_PF" stop </dev/null >>"$H_DIR/postfix-start.log" 2>&1
	# "postfix stop" returns before the master has exited.
	for ((i = 0; i < 200; i++)); do
		kill -0 "$pid" 2>/dev/null || return 0
		sleep 0.1
	done
	h_log "Postfix master $pid still running after 20s; killing it"
	for child in $(ps -o pid= --ppid "$pid"); do
		kill -KILL "$child" 2>/dev/null
	done
	kill -KILL "$pid" 2>/dev/null
	return 0
}

# Reload after editing main.cf (e.g. to switch milters).
h_postfix_reload()
{
	timeout 60 postfix -c "$H_PF" reload </dev/null >>"$H_DIR/postfix-start.log" 2>&1 ||
	    h_fail "postfix reload failed"
}

# h_postfix_set_milters "inet:..." or "" and reload.
h_postfix_set_milters()
{
	postconf -c "$H_PF" -e "smtpd_milters = $1" || h_fail "postconf failed"
	h_postfix_reload
}

# Number of queue files, in flight (maildrop incoming active) or parked
# (deferred hold): h_queue_count [inflight|parked|all]
h_queue_count()
{
	local which=${1:-all} dirs
	case $which in
	inflight) dirs="maildrop incoming active" ;;
	parked) dirs="deferred hold" ;;
	*) dirs="maildrop incoming active deferred hold" ;;
	esac
	(cd "$H_PF_QUEUE" 2>/dev/null && find $dirs -type f 2>/dev/null | wc -l)
}

h_postqueue()
{
	timeout 20 postqueue -c "$H_PF" -p 2>&1
}

# Wait until nothing is in flight, then fail if anything was deferred or
# held.  h_wait_queue_empty [TIMEOUT_S]
h_wait_queue_empty()
{
	local timeout=${1:-120} i n
	for ((i = 0; i < timeout * 10; i++)); do
		n=$(h_queue_count inflight)
		[[ $n -eq 0 ]] && break
		sleep 0.1
	done
	if [[ $n -ne 0 ]]; then
		h_postqueue >&2
		h_fail "$n messages still in the Postfix queue after ${timeout}s"
	fi
	n=$(h_queue_count parked)
	if [[ $n -ne 0 ]]; then
		h_postqueue >&2
		h_fail "$n messages deferred or held in the Postfix queue"
	fi
}

# ---------------------------------------------------------------- sending

# The file as an SMTP client carries it: every line ends CRLF (a bare LF
# becomes CRLF, CR LF stays), a final CRLF is added if missing.  This is
# what the MTA receives and what the stored original must equal (after
# the Received: header Postfix prepends).
h_crlf()
{
	perl -e '
		binmode STDIN; binmode STDOUT; local $/; my $s = <STDIN> // "";
		$s =~ s/\r?\n/\r\n/g;
		$s .= "\r\n" if length($s) && $s !~ /\r\n\z/;
		print $s;
	' <"$1" >"$2"
}

# DATA as swaks -ndf must be given it: CRLF form, dot-stuffed, and the
# closing "." (swaks appends the CRLF after it).
h_wire()
{
	perl -e '
		binmode STDIN; binmode STDOUT; local $/; my $s = <STDIN> // "";
		$s =~ s/\r?\n/\r\n/g;
		$s .= "\r\n" if length($s) && $s !~ /\r\n\z/;
		$s =~ s/^\./../mg;
		print $s, ".";
	' <"$1" >"$2"
}

# swaks against the private smtpd; the transcript goes to a file named in
# H_LAST_SWAKS.  Returns swaks' status.
h_swaks()
{
	local rc
	H_SWAKS_N=$((H_SWAKS_N + 1))
	H_LAST_SWAKS=$H_DIR/work/swaks.$H_SWAKS_N.log
	# --suppress-data: the transcript gets a summary, not every line.
	timeout 600 swaks --server 127.0.0.1 --port "$H_SMTP_PORT" \
	    --helo client.example.com --timeout 300 --suppress-data "$@" \
	    </dev/null >"$H_LAST_SWAKS" 2>&1
	rc=$?
	H_LAST_QID=$(sed -n 's/^<- *250 .*queued as \([0-9A-Za-z]*\).*/\1/p' \
	    "$H_LAST_SWAKS" | tail -1)
	return $rc
}

# h_send_file FROM TO[,TO...] FILE: send FILE as the whole message, byte
# for byte (in CRLF form), and check it was queued.  Sets H_LAST_QID.
h_send_file()
{
	local from=$1 to=$2 file=$3 wire
	wire=$H_DIR/work/wire.$((H_SWAKS_N + 1))
	h_wire "$file" "$wire"
	if ! h_swaks --from "$from" --to "$to" -ndf --data "@$wire"; then
		cat "$H_LAST_SWAKS" >&2
		h_fail "sending $file failed (swaks transcript above)"
	fi
	[[ -n $H_LAST_QID ]] || {
		cat "$H_LAST_SWAKS" >&2
		h_fail "sending $file: no 'queued as' in the reply"
	}
	rm -f "$wire"
}

# The SMTP replies (lines from the server) of the last swaks run.
h_swaks_replies()
{
	sed -n 's/^<[-~*]* *\([0-9][0-9][0-9][ -].*\)/\1/p' "$H_LAST_SWAKS"
}

# ---------------------------------------------------------------- store

# sp-dump ID OUT: the decrypted original; returns sp-dump's status.
h_dump()
{
	local dump
	dump=$(h_require_bin sp-dump) || exit 1
	# "--": a message id may start with "-".
	"$dump" -c "$H_CONF" -- "$1" >"$2" 2>"$2.err"
}

h_message_list()
{
	h_admin message list --json
}

# Explain how two files differ (first differing line, both versions,
# made visible with cat -A, cut to 300 characters) on stderr.
h_diff_report()
{
	local want=$1 got=$2 line sz1 sz2
	sz1=$(stat -c %s "$want")
	sz2=$(stat -c %s "$got")
	line=$(cmp "$want" "$got" 2>&1 | sed -n 's/.*line \([0-9]*\).*/\1/p')
	{
		echo "  expected $sz1 bytes, got $sz2 bytes"
		cmp "$want" "$got" 2>&1 | sed 's/^/  /'
		if [[ -n $line ]]; then
			echo "  expected line $line: $(sed -n "${line}p" "$want" | cat -A | cut -c1-300)"
			echo "  got      line $line: $(sed -n "${line}p" "$got" | cat -A | cut -c1-300)"
		fi
	} >&2
}

# h_check_stored ID EXPECTED: the stored original of ID (sp-dump) must be
# EXPECTED byte for byte.  Postfix 3.7 does not hand the Received: header
# its smtpd prepends to smtpd_milters, so the milter stores exactly what
# the client sent; should an MTA hand it over, that one header (it must
# say "(Postfix)") is removed before comparing, and nothing else is.
# Returns 0, or 1 with the reason on stderr (the caller decides to fail).
h_check_stored()
{
	local id=$1 want=$2 dump
	dump=$H_DIR/work/dump.$id
	if ! h_dump "$id" "$dump"; then
		echo "  sp-dump $id failed: $(head -c 300 "$dump.err")" >&2
		return 1
	fi
	if cmp -s "$want" "$dump"; then
		rm -f "$dump" "$dump.err"
		return 0
	fi
	if head -c 9 "$dump" | grep -q '^Received:' &&
	    h_strip_first_received "$dump" "$dump.norcvd" 2>/dev/null &&
	    h_header Received "$dump" | grep -q '(Postfix)' &&
	    cmp -s "$want" "$dump.norcvd"; then
		rm -f "$dump" "$dump.err" "$dump.norcvd"
		return 0
	fi
	echo "  stored original of $id differs from what was sent:" >&2
	h_diff_report "$want" "$dump"
	return 1
}

# Remove the first Received: header (with its continuation lines) of a
# CRLF message: what remains is what the client sent.
h_strip_first_received()
{
	perl -e '
		binmode STDIN; binmode STDOUT; local $/; my $s = <STDIN>;
		$s =~ s/\AReceived:[^\n]*\n(?:[ \t][^\n]*\n)*// or die "no Received: header first\n";
		print $s;
	' <"$1" >"$2"
}

# Message ids in portal links (portal_url/m/ID) in a delivered message,
# also inside base64 or quoted-printable parts.  One per line, unique.
h_portal_ids()
{
	perl -MMIME::Base64 -MMIME::QuotedPrint -e '
		my ($url, $file) = @ARGV;
		open(my $fh, "<:raw", $file) or die "$file: $!\n";
		local $/; my $s = <$fh>;
		my $text = $s;
		# Decode every base64 / quoted-printable part body we can find.
		while ($s =~ /Content-Transfer-Encoding:[ \t]*(base64|quoted-printable)[^\n]*\n(?:[^\n]+\n)*?\r?\n(.*?)(?=\r?\n--|\z)/sgi) {
			my ($cte, $body) = (lc $1, $2);
			$text .= "\n" . ($cte eq "base64" ? decode_base64($body) : decode_qp($body));
		}
		my %seen;
		while ($text =~ m{\Q$url\E/m/([A-Za-z0-9_-]{22})(?![A-Za-z0-9_-])}g) {
			print "$1\n" unless $seen{$1}++;
		}
	' "$H_PORTAL_URL" "$1"
}

# All of a delivered message, with base64 / quoted-printable parts
# decoded as well, for "no trace of the original" greps.
h_decoded_text()
{
	perl -MMIME::Base64 -MMIME::QuotedPrint -e '
		open(my $fh, "<:raw", $ARGV[0]) or die "$ARGV[0]: $!\n";
		local $/; my $s = <$fh>;
		print $s;
		while ($s =~ /Content-Transfer-Encoding:[ \t]*(base64|quoted-printable)[^\n]*\n(?:[^\n]+\n)*?\r?\n(.*?)(?=\r?\n--|\z)/sgi) {
			my ($cte, $body) = (lc $1, $2);
			print "\n", ($cte eq "base64" ? decode_base64($body) : decode_qp($body));
		}
	' "$1"
}

# The value of header NAME (first occurrence, unfolded) in a message file.
h_header()
{
	perl -e '
		my ($name, $file) = @ARGV;
		open(my $fh, "<:raw", $file) or die "$file: $!\n";
		local $/; my $s = <$fh>;
		$s =~ s/\r\n/\n/g;
		my ($h) = split(/\n\n/, $s, 2);
		$h =~ s/\n(?=[ \t])//g;
		for my $line (split(/\n/, $h)) {
			if ($line =~ /^\Q$name\E:[ \t]*(.*)$/i) { print "$1\n"; exit 0; }
		}
		exit 1;
	' "$1" "$2"
}

# ---------------------------------------------------------------- logs, exit

h_print_logs()
{
	local f
	[[ -n $H_DIR && -d $H_DIR ]] || return 0
	for f in "$H_PF/maillog" "$H_DIR/milter.log" "$H_DIR/sink.log" \
	    "$H_DIR/postfix-start.log"; do
		[[ -s $f ]] || continue
		printf '\n===== %s (last 200 lines) =====\n' "$f" >&2
		tail -n 200 "$f" >&2
	done
	if [[ -n $H_LAST_SWAKS && -s $H_LAST_SWAKS ]]; then
		printf '\n===== last swaks transcript (%s, last 60 lines) =====\n' \
		    "$H_LAST_SWAKS" >&2
		tail -n 60 "$H_LAST_SWAKS" >&2
	fi
}

h_on_exit()
{
	local rc=$?
	trap - EXIT INT TERM
	set +e
	[[ $H_FAILED == 1 && $rc -eq 0 ]] && rc=1
	h_postfix_stop
	h_sink_stop
	if ! h_milter_stop && [[ $rc -eq 0 ]]; then
		printf 'FAIL: sanitizer report in the milter log\n' >&2
		rc=1
	fi
	if [[ $rc -ne 0 ]]; then
		h_print_logs
		printf '\n%s: FAILED (exit %d)\n' "$(basename "$0")" "$rc" >&2
	fi
	if [[ -n $H_DIR && -d $H_DIR ]]; then
		if [[ ${SEALPOST_KEEP:-0} == 1 ]]; then
			h_log "kept $H_DIR"
		else
			rm -rf "$H_DIR"
		fi
	fi
	[[ -n $H_WATCHDOG_PID ]] && kill "$H_WATCHDOG_PID" 2>/dev/null
	exit "$rc"
}

# Everything for a test with the milter: conf, key, milter, sink, Postfix.
h_start_all()
{
	h_write_conf "$@"
	h_keygen
	h_milter_start
	h_sink_start
	h_postfix_start
}
