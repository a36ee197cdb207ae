#!/usr/bin/env bash
#
# Aliases and group addresses end to end, with curl, through a private
# Postfix + sealpost-milter + sealpost-portal on loopback:
#  - pat@example.com (internal: a professional user) registers, adds
#    pat.home@example.org on /account: it shows pending; the
#    confirmation mail is caught at the sink; GET on its link shows a
#    Confirm button and changes nothing; POST confirms; the link does
#    not work twice;
#  - a [secure] message sent through Postfix to the alias: the milter
#    rewrites the envelope, so the notification goes to pat@example.com,
#    and the message is in pat's inbox and opens;
#  - a group address, team@example.com, confirmed as pat's alias: a
#    secure message to it opens for pat and is the same 404 as a missing
#    id for quinn@example.com, another registered user;
#  - a guest (gina@example.net, a recipient) sees no alias management,
#    and the server refuses POST /account/aliases and /promote (403);
#  - pat promotes pat.home@example.org: the session ends; the new
#    address logs in with the same password, the old one no longer does
#    and is now an alias: mail to it notifies the new address.
set -euo pipefail
source "${SEALPOST_SOURCE:-$(dirname "$0")/../..}/test/lib/portal.sh"

h_init aliases
h_portal_start_all
h_ok "Postfix, milter and portal up; portal_url $H_PORTAL_URL"

FROM=user@example.com
PAT=pat@example.com
HOME_ADDR=pat.home@example.org
TEAM=team@example.com
QUINN=quinn@example.com
GINA=gina@example.net
PW_PAT="saffron ladders climb the quiet hill"
PW_QUINN="nine copper foxes under the bridge"
PW_GINA="violet tugboats hum at midnight"
W=$H_DIR/work
mkdir -p "$W"
NSENT=0

# send_secure TO SUBJECT-MARK: a [secure] message through Postfix; waits
# for its notification at the sink.
send_secure()
{
	local to=$1 mark=$2 f=$W/msg.$((NSENT + 1)).eml
	cat >"$f" <<EOF
Date: Mon, 02 Mar 2026 10:00:00 +0000
From: Example User <$FROM>
To: <$to>
Subject: $mark [secure]
Message-ID: <aliases-$mark@example.com>

The body of $mark.
EOF
	h_send_file "$FROM" "$to" "$f"
	NSENT=$((NSENT + 1))
	h_wait_queue_empty 120
}

# notified_id RCPT: the message id of the notification delivered to
# RCPT (the newest one).
notified_id()
{
	local rcpt=$1 f id=""
	for f in $(h_sink_files); do
		h_sink_rcpts "$f" | grep -qixF -- "$rcpt" || continue
		id=$(h_portal_ids "$f" | head -1)
	done
	[[ -n $id ]] || return 1
	printf '%s\n' "$id"
}

# account_page NAME OUT: GET /account, 200.
account_page()
{
	local code
	code=$(hc_get "$1" /account "$2")
	[[ $code == 200 ]] || hc_fail "GET /account as $1: got $code, want 200" "$2"
}

# add_alias NAME ALIAS: POST /account/aliases action=add; 200 and the
# alias shown pending.  Prints nothing.
add_alias()
{
	local name=$1 alias=$2 out=$W/$1.add csrf code
	account_page "$name" "$out"
	csrf=$(hc_csrf "$out") || hc_fail "no csrf on /account" "$out"
	code=$(hc_post "$name" /account/aliases "$out" "csrf=$csrf" \
	    action=add "alias=$alias" password=)
	[[ $code == 200 ]] || hc_fail "add $alias: got $code, want 200" "$out"
	account_page "$name" "$out"
	grep -qF "$alias</td><td>pending</td>" "$out" ||
	    hc_fail "/account does not show $alias pending" "$out"
}

# confirm_alias ALIAS N: the N-th link mailed to ALIAS; GET shows the
# button and changes nothing, POST confirms.  Sets LINK_PATH.
confirm_alias()
{
	local alias=$1 n=$2 link out=$W/confirm.page code csrf token
	link=$(h_portal_link alias/confirm "$alias" "$n") ||
	    h_fail "no confirmation mail for $alias reached the sink"
	LINK_PATH=${link#"$H_PORTAL_URL"}
	token=${link##*token=}
	hc_new mailbox
	code=$(hc_get mailbox "$LINK_PATH" "$out")
	[[ $code == 200 ]] || hc_fail "GET $LINK_PATH: got $code, want 200" "$out"
	grep -q '<form method="post" action="/alias/confirm">' "$out" ||
	    hc_fail "the link's page has no Confirm form" "$out"
	csrf=$(hc_csrf "$out") || hc_fail "no csrf on the confirm page" "$out"
	account_page pat "$W/pat.check"
	grep -qF "$alias</td><td>pending</td>" "$W/pat.check" ||
	    hc_fail "GET on the link changed $alias (want it still pending)" "$W/pat.check"
	code=$(hc_post mailbox /alias/confirm "$out" "csrf=$csrf" "token=$token")
	[[ $code == 200 ]] || hc_fail "POST /alias/confirm for $alias: got $code, want 200" "$out"
	account_page pat "$W/pat.check"
	grep -qF "$alias</td><td>confirmed</td>" "$W/pat.check" ||
	    hc_fail "/account does not show $alias confirmed" "$W/pat.check"
	code=$(hc_post mailbox /alias/confirm "$out" "csrf=$csrf" "token=$token")
	[[ $code == 400 || $code == 404 ]] ||
	    hc_fail "POST /alias/confirm with a used link: got $code, want 400 or 404" "$out"
}

# --- pat registers and adds an alias --------------------------------------
h_portal_register pat "$PAT" "$PW_PAT"
account_page pat "$W/pat.account"
grep -qF 'name="alias"' "$W/pat.account" || hc_fail "no alias form for $PAT" "$W/pat.account"
grep -qF 'href="/unsubscribe"' "$W/pat.account" || hc_fail "no /unsubscribe link" "$W/pat.account"
add_alias pat "$HOME_ADDR"
h_ok "$PAT added $HOME_ADDR: pending"
confirm_alias "$HOME_ADDR" 1
h_ok "the confirmation link: GET shows a button and changes nothing, POST confirms, a second use is refused"

# --- a secure message to the alias ---------------------------------------
send_secure "$HOME_ADDR" TO-ALIAS
id_home=$(notified_id "$PAT") ||
    h_fail "no notification to $PAT for the message sent to $HOME_ADDR (milter rewrite)"
if notified_id "$HOME_ADDR" >/dev/null; then
	h_fail "a notification went to the alias $HOME_ADDR itself"
fi
code=$(hc_get pat /inbox "$W/inbox.html")
[[ $code == 200 ]] || hc_fail "GET /inbox: $code" "$W/inbox.html"
grep -qF "/m/$id_home" "$W/inbox.html" || hc_fail "the inbox of $PAT does not list $id_home" "$W/inbox.html"
code=$(hc_get pat "/m/$id_home" "$W/read.html")
[[ $code == 200 ]] || hc_fail "GET /m/$id_home as $PAT: $code" "$W/read.html"
grep -qF "The body of TO-ALIAS" "$W/read.html" || hc_fail "the message body is not shown" "$W/read.html"
h_ok "a secure message to $HOME_ADDR: notification to $PAT, listed and opened in $PAT's inbox"

# --- a group address -------------------------------------------------------
h_portal_register quinn "$QUINN" "$PW_QUINN"
add_alias pat "$TEAM"
confirm_alias "$TEAM" 1
send_secure "$TEAM" TO-TEAM
id_team=$(notified_id "$PAT") || h_fail "no notification to $PAT for $TEAM"
[[ $id_team != "$id_home" ]] || h_fail "no new notification for the message to $TEAM"
code=$(hc_get pat "/m/$id_team" "$W/team.html")
[[ $code == 200 ]] || hc_fail "GET /m/$id_team as $PAT: $code" "$W/team.html"
code=$(hc_get quinn "/m/$id_team" "$W/quinn.html")
[[ $code == 404 ]] || hc_fail "GET /m/$id_team as $QUINN: got $code, want 404" "$W/quinn.html"
code=$(hc_get quinn "/m/AAAAAAAAAAAAAAAAAAAAAA" "$W/missing.html")
[[ $code == 404 ]] || hc_fail "GET a missing id: $code" "$W/missing.html"
cmp -s <(sed 's/<[^>]*>//g' "$W/quinn.html") <(sed 's/<[^>]*>//g' "$W/missing.html") ||
    h_fail "the 404 for someone else's message differs from a missing id's"
h_ok "a message to the group address $TEAM opens for $PAT; 404 for $QUINN, the same page as a missing id"

# --- a guest ----------------------------------------------------------------
send_secure "$GINA" TO-GINA
h_portal_register gina "$GINA" "$PW_GINA"
account_page gina "$W/gina.account"
if grep -qF -e 'name="alias"' -e '/account/aliases' "$W/gina.account"; then
	hc_fail "the guest $GINA is offered alias management" "$W/gina.account"
fi
csrf=$(hc_csrf "$W/gina.account") || hc_fail "no csrf on /account" "$W/gina.account"
code=$(hc_post gina /account/aliases "$W/gina.post" "csrf=$csrf" action=add \
    "alias=gina.other@example.net")
[[ $code == 403 ]] || hc_fail "guest POST /account/aliases: got $code, want 403" "$W/gina.post"
code=$(hc_post gina /account/aliases/promote "$W/gina.post" "csrf=$csrf" \
    "alias=$GINA")
[[ $code == 403 ]] || hc_fail "guest POST /account/aliases/promote: got $code, want 403" "$W/gina.post"
h_ok "guest $GINA: no alias management on /account; POSTs refused with 403"

# --- promote -----------------------------------------------------------------
account_page pat "$W/pat.account"
csrf=$(hc_csrf "$W/pat.account")
code=$(hc_post pat /account/aliases/promote "$W/promote.html" "csrf=$csrf" \
    "alias=$HOME_ADDR")
[[ $code == 200 ]] || hc_fail "promote $HOME_ADDR: got $code, want 200" "$W/promote.html"
grep -qF "log in again with $HOME_ADDR" "$W/promote.html" ||
    hc_fail "the promote page does not say to log in with $HOME_ADDR" "$W/promote.html"
code=$(hc_get pat /account "$W/after.html")
[[ $code == 303 ]] || hc_fail "the old session after promote: got $code, want 303" "$W/after.html"
hc_new pat2
h_portal_login pat2 "$HOME_ADDR" "$PW_PAT"
account_page pat2 "$W/pat2.account"
grep -qF "<dd id=\"login-address\">$HOME_ADDR</dd>" "$W/pat2.account" ||
    hc_fail "the login address is not $HOME_ADDR" "$W/pat2.account"
# $HOME_ADDR is outside internal_domains: the account is now a guest's,
# which sees its addresses listed but not managed.
grep -qF "<li>$PAT</li>" "$W/pat2.account" ||
    hc_fail "$PAT is not one of the account's addresses after promote" "$W/pat2.account"
code=$(hc_get pat2 "/m/$id_home" "$W/read2.html")
[[ $code == 200 ]] || hc_fail "GET /m/$id_home after promote: $code" "$W/read2.html"
hc_new old
code=$(hc_get old / "$W/old.html")
csrf=$(hc_csrf "$W/old.html")
code=$(hc_post old /login "$W/old.html" "csrf=$csrf" "email=$PAT" "password=$PW_PAT")
[[ $code != 303 ]] || h_fail "$PAT still logs in after promote"
send_secure "$PAT" TO-OLD-MASTER
id_old=$(notified_id "$HOME_ADDR") ||
    h_fail "mail to the old login address $PAT did not notify $HOME_ADDR"
code=$(hc_get pat2 "/m/$id_old" "$W/read3.html")
[[ $code == 200 ]] || hc_fail "GET /m/$id_old as $HOME_ADDR: $code" "$W/read3.html"
h_ok "promote: sessions ended; $HOME_ADDR logs in, $PAT does not and is an alias; mail to $PAT notifies $HOME_ADDR"
