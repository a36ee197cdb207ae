#!/usr/bin/perl
#
# mtproxy.pl PORTFILE TARGET_PORT CAPTURE
#
# A milter-protocol relay between miltertest and the milter under test,
# started by run-lua.sh.  It listens on a free loopback port (written to
# PORTFILE once listening) and relays each connection to
# 127.0.0.1:TARGET_PORT, retrying for 30 s while the milter starts.
#
# Why: miltertest 1.6.0 (Debian 12) reads every milter reply into a
# 1024-byte stack buffer, so a replacement body longer than that aborts it
# ("stack smashing detected").  The relay splits SMFIR_REPLBODY packets
# into pieces of at most 1000 bytes (the MTA concatenates them, so the
# meaning is unchanged).  It also appends every packet the milter sends,
# unchanged, to CAPTURE, so that scripts can read the notification body
# and reply texts, which miltertest cannot show.

use strict;
use warnings;
use IO::Select;
use IO::Socket::INET;

my ($portfile, $target, $capture) = @ARGV;
die "usage: mtproxy.pl PORTFILE TARGET_PORT CAPTURE\n"
    unless defined $capture;

my $PIECE = 1000;	# largest REPLBODY piece passed on
my $MTMAX = 1024;	# what miltertest 1.6.0 can read in one packet

$SIG{TERM} = sub { exit 0 };
$SIG{PIPE} = 'IGNORE';

my $listen = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0,
    Listen => 16, ReuseAddr => 1, Proto => 'tcp')
    or die "mtproxy: listen: $!\n";

open(my $cap, '>>', $capture) or die "mtproxy: $capture: $!\n";
binmode($cap);

open(my $pf, '>', "$portfile.tmp") or die "mtproxy: $portfile: $!\n";
print $pf $listen->sockport, "\n";
close($pf);
rename("$portfile.tmp", $portfile) or die "mtproxy: rename: $!\n";

my $sel = IO::Select->new($listen);
my (%peer, %from_milter, %buf);

sub
write_all
{
	my ($fh, $data) = @_;
	my $off = 0;

	while ($off < length($data)) {
		my $n = syswrite($fh, $data, length($data) - $off, $off);
		return 0 unless defined $n;
		$off += $n;
	}
	return 1;
}

sub
close_pair
{
	my ($fh) = @_;
	my $other = $peer{$fh};

	for my $h ($fh, $other) {
		next unless defined $h;
		$sel->remove($h);
		delete $peer{$h};
		delete $from_milter{$h};
		delete $buf{$h};
		close($h);
	}
}

sub
upstream
{
	for (1 .. 300) {
		my $u = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
		    PeerPort => $target, Proto => 'tcp');
		return $u if $u;
		select(undef, undef, undef, 0.1);
	}
	return undef;
}

# One whole packet from the milter: record it, then pass it on.
sub
relay
{
	my ($to, $pkt) = @_;
	my $cmd = substr($pkt, 4, 1);
	my $data = substr($pkt, 5);

	write_all($cap, $pkt) or die "mtproxy: $capture: $!\n";
	if ($cmd eq 'b' && length($data) > $PIECE) {
		while (length($data) > 0) {
			my $piece = substr($data, 0, $PIECE, '');
			write_all($to, pack('N', length($piece) + 1) . 'b' .
			    $piece) or return 0;
		}
		return 1;
	}
	if (length($data) > $MTMAX) {
		printf STDERR "mtproxy: milter sent a '%s' packet of %d " .
		    "bytes; miltertest cannot read more than %d\n", $cmd,
		    length($data), $MTMAX;
	}
	return write_all($to, $pkt);
}

for (;;) {
	for my $fh ($sel->can_read) {
		if ($fh == $listen) {
			my $c = $listen->accept or next;
			my $u = upstream();
			if (!$u) {
				print STDERR "mtproxy: cannot connect to " .
				    "127.0.0.1:$target\n";
				close($c);
				next;
			}
			$peer{$c} = $u;
			$peer{$u} = $c;
			$from_milter{$u} = 1;
			$buf{$u} = '';
			$sel->add($c, $u);
			next;
		}
		my $n = sysread($fh, my $data, 65536);
		if (!$n) {
			close_pair($fh);
			next;
		}
		my $to = $peer{$fh};
		if (!$from_milter{$fh}) {
			close_pair($fh) unless write_all($to, $data);
			next;
		}
		$buf{$fh} .= $data;
		while (length($buf{$fh}) >= 4) {
			my $len = unpack('N', $buf{$fh});
			last if length($buf{$fh}) < 4 + $len;
			my $pkt = substr($buf{$fh}, 0, 4 + $len, '');
			if (!relay($to, $pkt)) {
				close_pair($fh);
				last;
			}
		}
	}
}
