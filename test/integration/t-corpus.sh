#!/usr/bin/env bash
#
# Round trip of every corpus message ($SEALPOST_CORPUS/mime-samples/*.txt):
# tagged secure, sent through the private Postfix with sealpost-milter,
# stored, and decrypted (sp-dump) byte for byte to what was sent.
#
# Tagging (on a copy in the work dir; the corpus is read only): "[secure] "
# is inserted right after "Subject:" and its blanks in the first Subject
# header of the header block (before any RFC 2047 encoded word, which stays
# valid); a message without a Subject header gets "Subject: [secure] corpus
# NAME" as the last header line.  Nothing else of the file is changed.
#
# What was sent is the file as SMTP carries it (h_crlf): every line ends
# CRLF (a bare LF becomes CRLF: m0024, m3006 and m4006-m4009 use LF), a
# final CRLF is added if missing.  It is sent with swaks -ndf (no swaks
# rewriting: without -ndf swaks expands %TOKENS% and literal "\n", strips
# a leading "From " line and rebuilds the header), dot-stuffed here, so
# dot-stuffing is transparent and 8-bit bytes pass as they are.
#
# Two things Postfix does, outside sealpost's control, and the only
# exceptions made in the comparison:
#  - it removes the headers named in message_drop_headers before milters
#    see the message (see below: m0024.txt has a Return-Path: header);
#  - Postfix 3.7 does not give smtpd_milters the Received: header its
#    smtpd prepends, so the stored copy starts with the client's first
#    header; h_check_stored would remove exactly that one "(Postfix)"
#    Received: header if an MTA did hand it over.
# Anything else that differs fails, and the script names the file and
# the first differing line.
#
# Each file's queue id (from the 250 reply) identifies its notification at
# the sink (Postfix's Received: "... with ESMTP id QID"), whose portal link
# gives the stored message id.
set -euo pipefail
source "${SEALPOST_SOURCE:-$(dirname "$0")/../..}/test/lib/harness.sh"

h_init corpus
samples=$H_CORPUS/mime-samples
[[ -d $samples ]] || h_fail "no corpus at $samples (set SEALPOST_CORPUS)"
shopt -s nullglob
files=("$samples"/*.txt)
shopt -u nullglob
[[ ${#files[@]} -gt 0 ]] || h_fail "no *.txt in $samples"

h_start_all

# Postfix's cleanup removes the headers named in message_drop_headers
# (3.7 default: bcc, content-length, resent-bcc, return-path) before the
# milter sees the message; m0024.txt starts with Return-Path:.  That is
# Postfix, not sealpost: those header lines (with their continuation
# lines) are removed from the expected copy, in the header block only,
# and the script says for which files it did so.
drop=$(postconf -c "$H_PF" -h message_drop_headers | tr ',' ' ')
h_ok "Postfix drops these headers before milters (message_drop_headers): $drop"

# One perl run prepares every file: NAME.sent (the tagged file in CRLF
# form, minus dropped headers: what the milter must store) and NAME.wire
# (the tagged file as swaks -ndf sends it: CRLF, dot-stuffed, final ".").
W=$H_DIR/work
printf '%s\n' "${files[@]}" | perl -e '
	my ($dir, @drop) = @ARGV;
	my %drop = map { lc($_) => 1 } grep { length } @drop;
	while (my $in = <STDIN>) {
		chomp $in;
		(my $name = $in) =~ s{.*/}{};
		$name =~ s/\.txt\z//;
		open(my $fh, "<:raw", $in) or die "$in: $!\n";
		local $/; my $s = <$fh>; close($fh);
		# The header block ends at the first empty line.
		my ($head, $sep, $body);
		if ($s =~ /\A(.*?\n)(\r?\n)(.*)\z/s) {
			($head, $sep, $body) = ($1, $2, $3);
		} else {
			($head, $sep, $body) = ($s, "", "");
		}
		# Tag: "[secure] " after "Subject:" and its blanks.
		unless ($head =~ s/^(Subject:[ \t]*)/$1\[secure\] /mi) {
			my $eol = ($head =~ /\r\n/) ? "\r\n" : "\n";
			$head .= $eol if length($head) && $head !~ /\n\z/;
			$head .= "Subject: [secure] corpus $name$eol";
		}
		my $tagged = $head . $sep . $body;
		# As SMTP carries it: CRLF line ends, final CRLF.
		(my $crlf = $tagged) =~ s/\r?\n/\r\n/g;
		$crlf .= "\r\n" if length($crlf) && $crlf !~ /\r\n\z/;
		(my $wire = $crlf) =~ s/^\./../mg;
		# Expected: without the header lines Postfix drops.
		my ($eh, $eb) = ($crlf =~ /\A(.*?\r\n)(\r\n.*)\z/s) ? ($1, $2) : ($crlf, "");
		my ($kept, $skip, @dropped) = ("", 0);
		for my $line (split(/(?<=\r\n)/, $eh)) {
			if ($line =~ /^[ \t]/) {
				$kept .= $line unless $skip;
				next;
			}
			$skip = ($line =~ /^([^:\s]+)[ \t]*:/ && $drop{lc $1}) ? 1 : 0;
			if ($skip) { push(@dropped, $1); } else { $kept .= $line; }
		}
		print STDOUT "$name: Postfix drops @dropped: removed from the expected copy\n" if @dropped;
		for (["eml", $tagged], ["sent", $kept . $eb], ["wire", $wire . "."]) {
			open(my $out, ">:raw", "$dir/$name.$_->[0]") or die "$dir/$name.$_->[0]: $!\n";
			print $out $_->[1];
			close($out) or die "$!\n";
		}
	}
' "$W" $drop | sed 's/^/note: /'

# Send four at a time (each its own swaks and SMTP session).
printf '%s\n' "${files[@]}" | sed 's|.*/||; s|\.txt$||' |
    xargs -P 4 -n 1 bash -c '
	timeout 300 swaks --server 127.0.0.1 --port "$1" --helo client.example.com \
	    --timeout 120 --from user@example.com --to rcpt@example.net \
	    --suppress-data -ndf --data "@$0/$2.wire" </dev/null >"$0/$2.swaks" 2>&1
    ' "$W" "$H_SMTP_PORT" || true

declare -A qid_of
notsent=()
for f in "${files[@]}"; do
	name=$(basename "$f" .txt)
	qid=$(sed -n 's/^<- *250 .*queued as \([0-9A-Za-z]*\).*/\1/p' "$W/$name.swaks" | tail -1)
	if [[ -z $qid ]]; then
		notsent+=("$name.txt")
		printf 'FAIL: %s.txt was not accepted:\n' "$name" >&2
		grep '^<' "$W/$name.swaks" | tail -5 >&2
		continue
	fi
	qid_of[$name]=$qid
done
h_ok "sent $((${#files[@]} - ${#notsent[@]})) of ${#files[@]} corpus messages tagged [secure]"
h_wait_queue_empty 300
n=$(h_sink_count)
[[ $n -eq ${#files[@]} ]] ||
    h_log "the sink has $n deliveries for ${#files[@]} messages"

# Map each delivery's queue id (Postfix's Received header) to the message
# ids in its portal links.
declare -A ids_of
while read -r qid ids; do
	ids_of[$qid]=$ids
done < <(h_sink_files | while IFS= read -r out; do
	qid=$(sed -n 's/.*(Postfix) with ESMTP id \([0-9A-Za-z]*\).*/\1/p' "$out" | head -1)
	echo "${qid:-none} $(h_portal_ids "$out" | tr '\n' ' ')"
done)

pass=0
failed=("${notsent[@]}")
fail=${#notsent[@]}
for f in "${files[@]}"; do
	name=$(basename "$f" .txt)
	qid=${qid_of[$name]:-}
	[[ -n $qid ]] || continue
	sent=$W/$name.sent
	why=
	if [[ ! -v "ids_of[$qid]" ]]; then
		why="no delivery at the sink for queue id $qid"
	else
		read -r -a ids <<<"${ids_of[$qid]}"
		if [[ ${#ids[@]} -ne 1 ]]; then
			why="delivery for $qid has ${#ids[@]} portal ids (not a notification?)"
		elif ! h_check_stored "${ids[0]}" "$sent" 2>"$W/$name.why"; then
			why="$(cat "$W/$name.why")"
		fi
	fi
	if [[ -z $why ]]; then
		pass=$((pass + 1))
		echo "ok: $name.txt ($(stat -c %s "$sent") bytes) stored and decrypted byte for byte"
	else
		fail=$((fail + 1))
		failed+=("$name.txt")
		printf 'FAIL: %s.txt (queue id %s):\n%s\n' "$name" "$qid" "$why" >&2
	fi
done

stored=$(h_message_list | jq 'length')
echo "corpus: ${#files[@]} files, $pass byte-identical, $fail failed; $stored messages in the store"
[[ $fail -eq 0 ]] || h_fail "corpus round trip failed for: ${failed[*]}"
[[ $stored -eq ${#files[@]} ]] ||
    h_fail "the store has $stored messages, want ${#files[@]}"
echo "t-corpus: all checks passed"
