#!/usr/bin/perl
#
# Open-loop login load for bench-portal.sh: POST /login at RATE per
# second, each on a new connection, without waiting for earlier answers,
# until STOPFILE exists; then waits up to 30 s for the answers.  Even
# attempts use the right password of ADDRESS from 127.0.0.1, odd ones a
# wrong password for an unknown address from a rotating 127.0.0.x source
# (an unknown address costs the portal an Argon2id too, and rotating
# sources keep its per-IP throttle from answering without hashing).
# Appends "STATUS ok|wrong" per attempt to CODES (000: no answer, as
# curl prints it) and the number sent to SENT.  One process instead of
# a curl per login: on 2 cores, 20 curl starts per second cost more CPU
# than the portal under test.
#
# Usage: bench-logins.pl PORT ORIGIN COOKIE CSRF ADDRESS PASSWORD RATE
#	     STOPFILE CODES SENT
use strict;
use warnings;
use IO::Select;
use IO::Socket::INET;
use Time::HiRes qw(time sleep);

my ($port, $origin, $cookie, $csrf, $address, $password, $rate, $stop,
    $codes, $sent) = @ARGV;
die "usage: see the comment at the top\n" unless defined $sent;

sub enc
{
	my ($s) = @_;
	$s =~ s/([^A-Za-z0-9_.~-])/sprintf("%%%02X", ord($1))/ge;
	return $s;
}

my $sel = IO::Select->new;
my %pending;	# fileno -> [socket, kind, buffer, started]
open(my $out, '>>', $codes) or die "$codes: $!\n";
$out->autoflush(1);

sub finish
{
	my ($fd, $code) = @_;
	my $p = delete $pending{$fd};
	$sel->remove($p->[0]);
	close($p->[0]);
	print $out "$code $p->[1]\n";
}

sub poll_answers
{
	my ($wait) = @_;
	if ($sel->count == 0) {		# select() on no handles: no wait
		sleep($wait) if $wait > 0;
		return;
	}
	for my $s ($sel->can_read($wait)) {
		my $p = $pending{fileno($s)};
		my $n = sysread($s, my $buf, 65536);
		if ($n) {
			$p->[2] .= $buf;
			next;
		}
		my ($code) = $p->[2] =~ m{^HTTP/1\.\d (\d{3})};
		finish(fileno($s), $code // '000');
	}
	for my $fd (keys %pending) {
		finish($fd, '000') if time - $pending{$fd}[3] > 30;
	}
}

my $i = 0;
my $start = time;
while (!-e $stop) {
	my $wrong = $i % 2;
	my ($email, $pw, $src) = $wrong ?
	    ("nobody$i\@example.net", "not the password $i",
	    "127.0.0." . (2 + int($i / 2) % 250)) :
	    ($address, $password, '127.0.0.1');
	my $body = "csrf=" . enc($csrf) . "&email=" . enc($email) .
	    "&password=" . enc($pw);
	my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
	    PeerPort => $port, LocalAddr => $src, Proto => 'tcp',
	    Timeout => 5);
	if ($s) {
		syswrite($s, "POST /login HTTP/1.1\r\nHost: 127.0.0.1:$port\r\n" .
		    "Origin: $origin\r\nCookie: $cookie\r\n" .
		    "Content-Type: application/x-www-form-urlencoded\r\n" .
		    "Content-Length: " . length($body) . "\r\n" .
		    "Connection: close\r\n\r\n$body");
		$sel->add($s);
		$pending{fileno($s)} = [$s, $wrong ? 'wrong' : 'ok', '', time];
	} else {
		print $out "000 ", ($wrong ? 'wrong' : 'ok'), "\n";
	}
	$i++;
	# The next one at start + i / rate, whatever the answers do.
	my $next = $start + $i / $rate;
	while ((my $left = $next - time) > 0) {
		poll_answers($left);
	}
}
poll_answers(0.2) while %pending;
open(my $fh, '>', $sent) or die "$sent: $!\n";
print $fh "$i\n";
close($fh);
