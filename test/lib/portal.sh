# shellcheck shell=bash
#
# portal.sh: sealpost-portal on a free loopback port beside the private
# Postfix + milter of harness.sh, and curl helpers to drive it.  Source it
# after (or instead of) harness.sh, then:
#
#	h_init NAME
#	h_portal_init		pick the portal port; portal_url becomes
#				http://127.0.0.1:PORT (H_PORTAL_URL), so the
#				notification links point at this portal
#	h_start_all portal_listen=127.0.0.1:$H_PORTAL_PORT [k=v ...]
#	h_portal_start		start sealpost-portal -f with the same conf
#	   (or: h_portal_start_all [k=v ...] for the three steps above)
#	h_portal_stop		SIGTERM, SIGKILL after 10 s
#
#	h_portal_link KIND ADDR N [TIMEOUT]	the Nth link /KIND?token=T
#				mailed to ADDR (verify, reset), from the sink
#	h_portal_links KIND ADDR		every such link, oldest first
#	h_portal_notice ADDR N [TIMEOUT]	sink file of the Nth mail to
#				ADDR linking a message (/m/ID; h_portal_ids
#				reads the id)
#	h_portal_notices ADDR	every such file, oldest first
#	hc_new NAME		a curl "browser": cookie jar NAME
#	hc_get NAME PATH OUT	GET; prints the status, body in OUT
#	hc_post NAME PATH OUT k=v...	POST a form (urlencoded)
#	hc_post_multipart NAME PATH OUT k=v... k=@FILE...	POST a form
#				as multipart/form-data, with file uploads
#	hc_csrf FILE		the csrf hidden field of a page
#	hc_header OUT NAME	a response header of the last hc_* into OUT
#	hc_fail MSG OUT		h_fail, printing the response in OUT
#	h_portal_set_password NAME LINK PASSWORD	open a /verify or
#				/reset link and set the password; prints
#				the status of the POST (or of the GET if
#				the link is refused)
#	h_portal_register NAME ADDR PASSWORD	register through the mailed
#				link, set the password, log in (cookie jar
#				NAME holds the session)
#	h_portal_login NAME ADDR PASSWORD	log in (303 to /inbox)
#
# The portal mails (verification, reset) through sendmail_command, which
# harness.sh points at the private Postfix (sendmail -C DIR); Postfix
# relays them to smtp-sink like any other mail.  Plain HTTP is allowed
# because the portal listens on loopback; its cookies then lack Secure
# and their "__Host-" prefix, which curl does not mind.
#
# The EXIT trap of harness.sh is wrapped: the portal (and anything
# registered with h_portal_on_exit) stops first, and its log is printed
# when the script failed.  A second watchdog stops the portal if the
# test shell is killed with SIGKILL.

if [[ -n ${H_PORTAL_LOADED:-} ]]; then
	return 0
fi
H_PORTAL_LOADED=1

# shellcheck source=harness.sh
source "$(dirname "${BASH_SOURCE[0]}")/harness.sh"

H_PORTAL_PORT=
H_PORTAL_PID=
H_PORTAL_LOG=
H_PORTAL_ORIGIN=
H_PORTAL_EXIT_HOOKS=()
H_PORTAL_CURL_N=0

# h_portal_on_exit CMD: run CMD (a function name) before the harness
# cleans up, e.g. to stop a server the test started.
h_portal_on_exit()
{
	H_PORTAL_EXIT_HOOKS+=("$1")
}

h_portal_init()
{
	[[ -n $H_DIR ]] || h_fail "h_portal_init: call h_init first"
	command -v curl >/dev/null || h_fail "curl not installed"
	h_free_port
	H_PORTAL_PORT=$H_PORT
	H_PORTAL_ORIGIN=http://127.0.0.1:$H_PORTAL_PORT
	# h_write_conf writes portal_url from H_PORTAL_URL, h_portal_ids
	# looks for it in notifications.
	H_PORTAL_URL=$H_PORTAL_ORIGIN
	H_PORTAL_LOG=$H_DIR/portal.log
	: >"$H_PORTAL_LOG"
	trap h_portal_on_exit_run EXIT
	h_portal_watchdog
	h_log "portal :$H_PORTAL_PORT ($H_PORTAL_URL)"
}

# harness.sh's h_on_exit with the portal's cleanup first.
h_portal_on_exit_run()
{
	local rc=$? hook
	trap - EXIT
	set +e
	[[ $H_FAILED == 1 && $rc -eq 0 ]] && rc=1
	for hook in "${H_PORTAL_EXIT_HOOKS[@]}"; do
		"$hook"
	done
	if ! h_portal_stop && [[ $rc -eq 0 ]]; then
		printf 'FAIL: sanitizer report in the portal log\n' >&2
		rc=1
	fi
	if [[ $rc -ne 0 && -s $H_PORTAL_LOG ]]; then
		printf '\n===== %s (last 200 lines) =====\n' "$H_PORTAL_LOG" >&2
		tail -n 200 "$H_PORTAL_LOG" >&2
	fi
	(exit "$rc")
	h_on_exit
}

h_portal_watchdog()
{
	local parent=$$
	setsid bash -c '
		parent=$1 dir=$2
		while kill -0 "$parent" 2>/dev/null; do sleep 1; done
		for f in "$dir"/portal.pid "$dir"/*.watch.pid; do
			[[ -f $f ]] && kill -TERM "$(cat "$f")"
		done
	' watchdog "$parent" "$H_DIR" </dev/null >/dev/null 2>&1 &
}

# Every listener on PORT belongs to PID (the portal may open one socket
# per event loop with SO_REUSEPORT; nobody else may share the port).
h_portal_port_owned()
{
	local port=$1 pid=$2 line
	command -v ss >/dev/null 2>&1 || return 0
	while read -r line; do
		[[ $line == *"pid=$pid,"* ]] || return 1
	done < <(ss -Hltnp "sport = :$port" 2>/dev/null)
	return 0
}

h_portal_start()
{
	local portal out code i
	[[ -n $H_PORTAL_PORT ]] || h_fail "h_portal_start: call h_portal_init first"
	portal=$(h_require_bin sealpost-portal) || exit 1
	out=$("$portal" -c "$H_CONF" -n 2>&1) ||
	    h_fail "sealpost-portal -n rejects $H_CONF: $out"
	if h_port_listening "$H_PORTAL_PORT"; then
		h_fail "portal port $H_PORTAL_PORT is taken"
	fi
	echo "--- sealpost-portal start $(date '+%T')" >>"$H_PORTAL_LOG"
	"$portal" -c "$H_CONF" -f </dev/null >>"$H_PORTAL_LOG" 2>&1 &
	H_PORTAL_PID=$!
	echo "$H_PORTAL_PID" >"$H_DIR/portal.pid"
	h_wait_port "$H_PORTAL_PORT" 30 "$H_PORTAL_PID" sealpost-portal ||
	    h_fail "sealpost-portal did not start (log: $(tail -5 "$H_PORTAL_LOG"))"
	h_portal_port_owned "$H_PORTAL_PORT" "$H_PORTAL_PID" ||
	    h_fail "another process also listens on portal port $H_PORTAL_PORT: $(ss -Hltnp "sport = :$H_PORTAL_PORT")"
	for ((i = 0; i < 50; i++)); do
		code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 \
		    "$H_PORTAL_URL/") || code=000
		[[ $code == 200 ]] && return 0
		sleep 0.1
	done
	h_fail "sealpost-portal: GET / answers $code, want 200"
}

# Stop the portal; 1 if the sanitizers reported something in its log.
h_portal_stop()
{
	local pid=$H_PORTAL_PID i
	[[ -n $pid ]] || return 0
	H_PORTAL_PID=
	rm -f "$H_DIR/portal.pid"
	if kill -0 "$pid" 2>/dev/null; then
		kill -TERM "$pid" 2>/dev/null
		for ((i = 0; i < 100; i++)); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		if kill -0 "$pid" 2>/dev/null; then
			h_log "sealpost-portal ignored SIGTERM for 10s; killing it"
			kill -KILL "$pid" 2>/dev/null
		fi
	fi
	wait "$pid" 2>/dev/null
	if grep -qE 'AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer|runtime error:' \
	    "$H_PORTAL_LOG"; then
		h_log "sanitizer report in the portal log"
		return 1
	fi
	return 0
}

# Everything: work dir port, conf with portal_listen, key, milter, sink,
# Postfix, portal.
h_portal_start_all()
{
	h_portal_init
	h_start_all "portal_listen=127.0.0.1:$H_PORTAL_PORT" "$@"
	h_portal_start
}

# ---------------------------------------------------------------- mail

# Ask the private Postfix to pick up the maildrop now (sendmail -C only
# signals pickup; a missed signal waits for its 60 s timer).
h_portal_kick()
{
	if [[ -n $(find "$H_PF_QUEUE/maildrop" -type f 2>/dev/null | head -1) ]]; then
		postkick -c "$H_PF" public pickup W >/dev/null 2>&1 || true
	fi
}

# A delivered message with its body decoded: the whole file, then the
# body of a single-part quoted-printable or base64 message decoded (the
# portal's own mail), then h_decoded_text's decoded MIME parts.
h_portal_mail_text()
{
	cat "$1"
	perl -MMIME::Base64 -MMIME::QuotedPrint -e '
		open(my $fh, "<:raw", $ARGV[0]) or die "$ARGV[0]: $!\n";
		local $/; my $s = <$fh>;
		$s =~ s/\r\n/\n/g;
		my ($h, $b) = split(/\n\n/, $s, 2);
		$h =~ s/\n(?=[ \t])//g;
		exit 0 unless defined $b;
		if ($h =~ /^Content-Transfer-Encoding:[ \t]*quoted-printable/mi) {
			print "\n", decode_qp($b);
		} elsif ($h =~ /^Content-Transfer-Encoding:[ \t]*base64/mi) {
			print "\n", decode_base64($b);
		}
	' "$1"
	h_decoded_text "$1"
}

# Every link $H_PORTAL_URL/KIND?token=HEX in mail delivered to ADDR,
# oldest first.
h_portal_links()
{
	local kind=$1 addr=$2 f
	while read -r f; do
		[[ -n $f ]] || continue
		h_sink_rcpts "$f" | grep -qixF -- "$addr" || continue
		h_portal_mail_text "$f" | perl -ne '
			BEGIN { ($url, $kind) = splice(@ARGV, 0, 2); }
			while (m{\Q$url\E/\Q$kind\E\?token=([0-9a-f]{64})(?![0-9A-Za-z])}g) {
				print "$url/$kind?token=$1\n" unless $seen{$1}++;
			}
		' "$H_PORTAL_URL" "$kind"
	done < <(h_sink_files)
}

# h_portal_link KIND ADDR N [TIMEOUT_S]: wait for the Nth such link.
h_portal_link()
{
	local kind=$1 addr=$2 n=$3 timeout=${4:-90} end links got=0
	end=$((SECONDS + timeout))
	while ((SECONDS < end)); do
		links=$(h_portal_links "$kind" "$addr")
		got=$(grep -c . <<<"$links" || true)
		if ((got >= n)); then
			sed -n "${n}p" <<<"$links"
			return 0
		fi
		h_portal_kick
		sleep 0.3
	done
	h_postqueue >&2
	h_log "no link number $n to /$kind for $addr at the sink after ${timeout}s (found $got)"
	return 1
}

# Sink files of mail delivered to ADDR that link a message
# ($H_PORTAL_URL/m/ID), oldest first.
h_portal_notices()
{
	local addr=$1 f
	while read -r f; do
		[[ -n $f ]] || continue
		h_sink_rcpts "$f" | grep -qixF -- "$addr" || continue
		[[ -n $(h_portal_ids "$f") ]] || continue
		printf '%s\n' "$f"
	done < <(h_sink_files)
}

# h_portal_notice ADDR N [TIMEOUT_S]: wait for the Nth such mail to ADDR
# and print its sink file.
h_portal_notice()
{
	local addr=$1 n=$2 timeout=${3:-90} end files got=0
	end=$((SECONDS + timeout))
	while ((SECONDS < end)); do
		files=$(h_portal_notices "$addr")
		got=$(grep -c . <<<"$files" || true)
		if ((got >= n)); then
			sed -n "${n}p" <<<"$files"
			return 0
		fi
		h_portal_kick
		sleep 0.3
	done
	h_postqueue >&2
	h_log "no message link number $n for $addr at the sink after ${timeout}s (found $got)"
	return 1
}

# ---------------------------------------------------------------- curl

# A client with its own cookie jar: hc_new NAME.
hc_new()
{
	mkdir -p "$H_DIR/curl"
	: >"$H_DIR/curl/$1.jar"
}

# hc_req NAME METHOD PATH OUT [curl args...]: prints the status code;
# headers in OUT.hdr.  Never follows redirects (tests check them).
hc_req()
{
	local name=$1 method=$2 path=$3 out=$4 code
	shift 4
	H_PORTAL_CURL_N=$((H_PORTAL_CURL_N + 1))
	mkdir -p "$H_DIR/curl"
	code=$(curl -sS -X "$method" -o "$out" -D "$out.hdr" -w '%{http_code}' \
	    --max-time 60 -b "$H_DIR/curl/$name.jar" -c "$H_DIR/curl/$name.jar" \
	    "$@" "$H_PORTAL_URL$path" 2>"$out.err") || code=000
	printf '%s\n' "$code"
}

hc_get()
{
	local name=$1 path=$2 out=$3
	shift 3
	hc_req "$name" GET "$path" "$out" "$@"
}

# hc_post NAME PATH OUT key=value ...: a urlencoded form, as a browser
# on the portal's own page sends it (Origin: the portal).
hc_post()
{
	local name=$1 path=$2 out=$3 kv
	local -a args=(-H "Origin: $H_PORTAL_ORIGIN")
	shift 3
	for kv in "$@"; do
		args+=(--data-urlencode "$kv")
	done
	hc_req "$name" POST "$path" "$out" "${args[@]}"
}

# hc_post_multipart NAME PATH OUT key=value... key=@FILE[;type=T]...: a
# multipart/form-data form, as a browser on the portal's own page sends
# it (Origin: the portal).  key=@FILE is a file upload (curl -F); any
# other value is sent as it is (curl --form-string).
hc_post_multipart()
{
	local name=$1 path=$2 out=$3 spec
	local -a args=(-H "Origin: $H_PORTAL_ORIGIN")
	shift 3
	for spec in "$@"; do
		if [[ ${spec#*=} == @* ]]; then
			args+=(-F "$spec")
		else
			args+=(--form-string "$spec")
		fi
	done
	hc_req "$name" POST "$path" "$out" "${args[@]}"
}

# The value of the csrf hidden field in an HTML page (first form).
hc_csrf()
{
	local v
	v=$(perl -ne 'while (/(<input\b[^>]*>)/g) { my $t = $1;
		if ($t =~ /\bname="csrf"/ && $t =~ /\bvalue="([^"]*)"/) { print $1; exit 0 } }' "$1")
	[[ -n $v ]] || return 1
	printf '%s\n' "$v"
}

# A response header (first, case-insensitive) of OUT.hdr.
hc_header()
{
	local out=$1 name=$2
	tr -d '\r' <"$out.hdr" | sed -n "s/^$name: *//Ip" | head -1
}

# Fail with what was sent and what came back.
hc_fail()
{
	local what=$1 out=$2
	{
		echo "  response headers:"
		tr -d '\r' <"$out.hdr" 2>/dev/null | sed 's/^/    /'
		echo "  body (first 40 lines, tags stripped):"
		sed 's/<[^>]*>//g' "$out" 2>/dev/null | grep -v '^\s*$' |
		    head -40 | sed 's/^/    /'
		[[ -s $out.err ]] && sed 's/^/  curl: /' "$out.err"
	} >&2
	h_fail "$what"
}

# h_portal_login NAME ADDR PASSWORD: GET / (csrf), POST /login; the jar
# then holds the session.  Fails unless it is a 303 to /inbox.
h_portal_login()
{
	local name=$1 addr=$2 pw=$3 out=$H_DIR/curl/login.$H_PORTAL_CURL_N code csrf
	code=$(hc_get "$name" / "$out")
	[[ $code == 200 ]] || hc_fail "GET / answered $code, want 200" "$out"
	csrf=$(hc_csrf "$out") || hc_fail "no csrf field in the login page" "$out"
	code=$(hc_post "$name" /login "$out" "csrf=$csrf" "email=$addr" \
	    "password=$pw")
	[[ $code == 303 && $(hc_header "$out" Location) == */inbox ]] ||
	    hc_fail "POST /login as $addr answered $code (Location: $(hc_header "$out" Location)), want 303 to /inbox" "$out"
}

# h_portal_set_password NAME LINK PASSWORD: open a /verify or /reset link
# and set the password.  Prints the POST's status; the page is in
# $H_DIR/curl/NAME.setpw.
h_portal_set_password()
{
	local name=$1 link=$2 pw=$3 out=$H_DIR/curl/$1.setpw code csrf token
	local path=${link#"$H_PORTAL_URL"} kind
	kind=${path%%\?*}
	token=${link##*token=}
	code=$(hc_get "$name" "$path" "$out")
	if [[ $code != 200 ]]; then
		printf '%s\n' "$code"
		return 0
	fi
	csrf=$(hc_csrf "$out") || hc_fail "no csrf field in GET $kind" "$out"
	hc_post "$name" "$kind" "$out" "csrf=$csrf" "token=$token" \
	    "password=$pw" "password2=$pw"
}

# h_portal_register NAME ADDR PASSWORD: POST /register, the link from the
# sink, set the password, log in.  ADDR must be invited (a recipient).
h_portal_register()
{
	local name=$1 addr=$2 pw=$3 out=$H_DIR/curl/$1.register code csrf link n
	n=$(h_portal_links verify "$addr" | grep -c . || true)
	n=$((n + 1))
	hc_new "$name"
	code=$(hc_get "$name" /register "$out")
	[[ $code == 200 ]] || hc_fail "GET /register answered $code" "$out"
	csrf=$(hc_csrf "$out") || hc_fail "no csrf field in /register" "$out"
	code=$(hc_post "$name" /register "$out" "csrf=$csrf" "email=$addr")
	[[ $code == 200 ]] || hc_fail "POST /register ($addr) answered $code, want 200" "$out"
	link=$(h_portal_link verify "$addr" "$n") ||
	    h_fail "no verification mail for $addr reached the sink"
	code=$(h_portal_set_password "$name" "$link" "$pw")
	[[ $code == 200 ]] ||
	    hc_fail "POST /verify for $addr answered $code, want 200" "$H_DIR/curl/$name.setpw"
	h_portal_login "$name" "$addr" "$pw"
}
