#!/usr/bin/perl
# A FastCGI client for the tests, in core Perl (Debian's perl-base, and perl
# for Time::HiRes): it builds records byte by byte, well-formed or not, sends
# them over a unix socket and reports what comes back.  FastCGI Specification
# 1.0.
#
# fcgi.pl build <SPEC
#     Writes the byte stream SPEC describes to stdout.  One directive a line;
#     words are separated by blanks; in every word \xHH is a byte, \s a space,
#     \\ a backslash; an empty line or one starting with # is skipped.
#       begin ID [keep] [role=N] [clen=N]    FCGI_BEGIN_REQUEST (responder)
#       params ID [NAME=VALUE ...]           one FCGI_PARAMS record (none:
#                                            the empty one that ends them)
#       stdin ID [DATA]                      one FCGI_STDIN record
#       stdin-bytes ID N                     N bytes of "x" as FCGI_STDIN
#                                            records, then the empty one
#       abort ID                             FCGI_ABORT_REQUEST
#       record TYPE ID [DATA] [version=V] [clen=N] [plen=N]
#                                            any record; clen= and plen=
#                                            lie about the lengths
#       pairs ID HEX                         FCGI_PARAMS holding HEX decoded
#                                            (hand-made name-value pairs)
#       raw DATA                             DATA as it is
#       request ID [keep] NAME=VALUE ...     begin, params, empty params,
#                                            empty stdin
#
# fcgi.pl talk SOCKET [--timeout S] [--out PREFIX] [--read-max N]
#                     [--until-end] [--pace MS] [--body ID:N]
#     Sends stdin to SOCKET (a unix socket's path, or tcp:ADDRESS:PORT)
#     while reading the answer, until the daemon closes the connection,
#     --until-end saw FCGI_END_REQUEST, --read-max N bytes of FCGI_STDOUT came (then it closes: a client gone
#     mid-answer), or --timeout S (default 10) passed.  --pace MS: the input
#     is written in 4 KiB pieces MS ms apart.  --body ID:N: after stdin, N
#     bytes of "x" as FCGI_STDIN records of request ID and the empty record
#     that ends them, made as they are sent (a body of any size, in little
#     memory).  Prints one line per record
#     received ("STDOUT n", "STDERR n", "END id app proto", "UNKNOWN_TYPE t",
#     "VALUES name=value,...", "RECORD type n") and a last line "EOF", "END",
#     "READ_MAX", "TIMEOUT" or "RESET"; with --out, PREFIX.out gets the
#     FCGI_STDOUT bytes and PREFIX.err the FCGI_STDERR bytes.  --spec: stdin
#     is a SPEC, built as fcgi.pl build would.  --params NAME=VALUE...
#     (the last option): instead of stdin, request 1 with these params and
#     an empty body (or the --body).
#
# fcgi.pl load SOCKET --requests N [--conns C] [--app PATH] [--seed S]
#     The mixed traffic of the valgrind and soak tests: C processes, each on
#     one connection kept open (FCGI_KEEP_CONN), send N requests in all, one
#     after the other, and check each answer.  Prints "requests N ok N
#     failed N", and the first failures; exits 1 when any failed.  PATH is a
#     script that prints "hello" (GET) or echoes its body (POST).
#
# fcgi.pl pings SOCKET N [--gap MS] <SPEC
#     N exchanges, one after the other, MS ms apart: a new connection sends
#     the records SPEC describes and is read until the daemon closes it (10 s
#     at most).  Prints the time each took in ms, one a line, or TIMEOUT.
#
# fcgi.pl session
#     One process for many talks (tests/lib/fcgi.bash, fcgi_session_start):
#     a perl started per request cost more than the daemon's answer.  Reads
#     one command a line, words as in a SPEC, and answers each with a line:
#       talk SOCKET --out PREFIX ARG...   forks "fcgi.pl talk SOCKET --out
#                                         PREFIX ARG..." (--params only),
#                                         its report in PREFIX.talk; answers
#                                         its pid at once
#       wait PID                          its exit status, once it ended
#       path FILE S                       0 once FILE exists, polled every
#                                         10 ms; 1 after S seconds
#       sleep S                           0 after S seconds
#
# fcgi.pl fan SOCKET N [--timeout S] <SPEC
#     N connections at once, connection I sending the records SPEC describes
#     with every @I@ replaced by I; each is read until the daemon closes it
#     or --timeout S (default 10) passed.  Prints "I END|NOEND EOF|RESET|
#     TIMEOUT" per connection: whether FCGI_END_REQUEST came, how it ended.
use strict;
use warnings;
use IO::Socket::INET;
use IO::Socket::UNIX;
use IO::Select;
use Socket qw(SOCK_STREAM);
use Time::HiRes qw(time sleep);
use Errno qw(EAGAIN EWOULDBLOCK EINTR);

my %TYPE = (
	BEGIN_REQUEST => 1, ABORT_REQUEST => 2, END_REQUEST => 3, PARAMS => 4,
	STDIN => 5, STDOUT => 6, STDERR => 7, DATA => 8, GET_VALUES => 9,
	GET_VALUES_RESULT => 10, UNKNOWN_TYPE => 11,
);

sub unescape {
	my ($s) = @_;
	$s =~ s/\\(x([0-9A-Fa-f]{2})|s|\\)/
		defined $2 ? chr(hex $2) : $1 eq 's' ? ' ' : '\\'/ge;
	return $s;
}

sub len_bytes {
	my ($n) = @_;
	return $n < 128 ? pack('C', $n) : pack('N', $n | 0x80000000);
}

sub pair {
	my ($name, $value) = @_;
	return len_bytes(length $name) . len_bytes(length $value) . $name . $value;
}

# record TYPE ID CONTENT [version, clen, plen]: one record, padded to 8.
sub record {
	my ($type, $id, $content, %o) = @_;
	$content = '' unless defined $content;
	my $clen = defined $o{clen} ? $o{clen} : length $content;
	my $pad = defined $o{plen} ? $o{plen} : (8 - length($content) % 8) % 8;
	my $padding = defined $o{plen} ? '' : "\0" x $pad;
	return pack('CCnnCC', defined $o{version} ? $o{version} : 1, $type, $id,
	    $clen, $pad, 0) . $content . $padding;
}

# stream TYPE ID DATA: DATA as records of at most 65528 bytes.
sub stream {
	my ($type, $id, $data) = @_;
	my $out = '';
	for (my $o = 0; $o < length $data; $o += 65528) {
		$out .= record($type, $id, substr($data, $o, 65528));
	}
	return $out;
}

sub begin {
	my ($id, $keep, $role) = @_;
	return record(1, $id, pack('nCx5', defined $role ? $role : 1, $keep ? 1 : 0));
}

sub params {
	my ($id, @kv) = @_;
	my $body = '';
	for my $kv (@kv) {
		my ($n, $v) = $kv =~ /\A([^=]*)=(.*)\z/s or die "fcgi.pl: $kv: not NAME=VALUE\n";
		$body .= pair($n, $v);
	}
	return stream(4, $id, $body) . record(4, $id, '');
}

sub request {
	my ($id, $keep, $body, @kv) = @_;
	return begin($id, $keep) . params($id, @kv) . stream(5, $id, $body) .
	    record(5, $id, '');
}

# build_bytes LINE...: the byte stream the SPEC lines describe.
sub build_bytes {
	my $out = '';
	for my $line (@_) {
		chomp $line;
		next if $line =~ /\A\s*(#|\z)/;
		my ($cmd, @w) = split ' ', $line;
		@w = map { unescape($_) } @w;
		my %o;
		@w = grep { /\A(version|clen|plen|role)=(\d+)\z/ ? ($o{$1} = $2, 0)[1] : 1 } @w;
		if ($cmd eq 'begin') {
			my $keep = grep { $_ eq 'keep' } @w;
			if (defined $o{clen}) {
				$out .= record(1, $w[0], pack('nCx5', $o{role} || 1, $keep ? 1 : 0),
				    clen => $o{clen});
			} else {
				$out .= begin($w[0], $keep, $o{role});
			}
		} elsif ($cmd eq 'params') {
			my ($id, @kv) = @w;
			my $body = '';
			for my $kv (@kv) {
				my ($n, $v) = $kv =~ /\A([^=]*)=(.*)\z/s or die "fcgi.pl: $kv: not NAME=VALUE\n";
				$body .= pair($n, $v);
			}
			$out .= @kv ? stream(4, $id, $body) : record(4, $id, '');
		} elsif ($cmd eq 'pairs') {
			$out .= record(4, $w[0], pack('H*', $w[1]), %o);
		} elsif ($cmd eq 'stdin') {
			$out .= record(5, $w[0], defined $w[1] ? $w[1] : '');
		} elsif ($cmd eq 'stdin-bytes') {
			$out .= stream(5, $w[0], 'x' x $w[1]) . record(5, $w[0], '');
		} elsif ($cmd eq 'abort') {
			$out .= record(2, $w[0], '');
		} elsif ($cmd eq 'record') {
			my $t = $w[0] =~ /\A\d+\z/ ? $w[0] : $TYPE{$w[0]};
			die "fcgi.pl: $w[0]: unknown type\n" unless defined $t;
			$out .= record($t, $w[1], $w[2], %o);
		} elsif ($cmd eq 'raw') {
			$out .= join '', @w;
		} elsif ($cmd eq 'request') {
			my ($id, @rest) = @w;
			my $keep = @rest && $rest[0] eq 'keep' ? shift @rest : 0;
			$out .= request($id, $keep, '', @rest);
		} else {
			die "fcgi.pl: $cmd: unknown directive\n";
		}
	}
	return $out;
}

sub build {
	binmode STDOUT;
	print build_bytes(<STDIN>);
}

sub connect_to {
	my ($path) = @_;
	# tcp:ADDRESS:PORT, or the path of a unix socket.
	my $s = $path =~ /\Atcp:(.+):(\d+)\z/ ?
	    IO::Socket::INET->new(Proto => 'tcp', PeerAddr => $1, PeerPort => $2) :
	    IO::Socket::UNIX->new(Type => SOCK_STREAM, Peer => $path);
	$s or die "fcgi.pl: connect $path: $!\n";
	binmode $s;
	return $s;
}

# parse BUF: takes whole records off the front of BUF (a reference).
sub parse {
	my ($buf) = @_;
	my @recs;
	while (length $$buf >= 8) {
		my ($v, $type, $id, $clen, $plen) = unpack('CCnnC', $$buf);
		last if length $$buf < 8 + $clen + $plen;
		push @recs, [$type, $id, substr($$buf, 8, $clen), $v];
		substr($$buf, 0, 8 + $clen + $plen) = '';
	}
	return @recs;
}

sub talk {
	my ($path, @args) = @_;
	my %o = (timeout => 10);
	while (@args) {
		my $a = shift @args;
		if ($a eq '--until-end') { $o{until_end} = 1 }
		elsif ($a eq '--spec') { $o{spec} = 1 }
		elsif ($a eq '--params') { $o{params} = [@args]; last }
		elsif ($a =~ /\A--(timeout|out|read-max|pace|body)\z/) { $o{$1} = shift @args }
		else { die "fcgi.pl: talk: $a: unknown option\n" }
	}
	my $in;
	if ($o{params}) {
		$in = begin(1, 0) . params(1, @{$o{params}});
		$in .= record(5, 1, '') unless defined $o{body};
	} else {
		binmode STDIN;
		$in = do { local $/; <STDIN> };
		$in = '' unless defined $in;
		$in = build_bytes(split /\n/, $in) if $o{spec};
	}
	my ($body_id, $body_left) = (0, -1);
	if (defined $o{body}) {
		($body_id, $body_left) = $o{body} =~ /\A(\d+):(\d+)\z/
		    or die "fcgi.pl: talk: --body $o{body}: not ID:N\n";
	}
	my $piece = 'x' x 65528;
	my ($out, $err);
	if (defined $o{out}) {
		open $out, '>', "$o{out}.out" or die "fcgi.pl: $o{out}.out: $!\n";
		open $err, '>', "$o{out}.err" or die "fcgi.pl: $o{out}.err: $!\n";
		binmode $out;
		binmode $err;
	}
	my $s = connect_to($path);
	$s->blocking(0);
	my $deadline = time + $o{timeout};
	my ($buf, $off, $got_out, $end) = ('', 0, 0, '');
	my $next_write = 0;
	local $SIG{PIPE} = 'IGNORE';
	$| = 1;
	while (1) {
		my $left = $deadline - time;
		if ($left <= 0) { $end = 'TIMEOUT'; last }
		my $rs = IO::Select->new($s);
		my $ws = IO::Select->new();
		my $wait = $left;
		if ($off == length $in && $body_left >= 0) {
			# The next megabyte or so of --body, or its end.
			($in, $off) = ('', 0);
			while ($body_left > 0 && length $in < 1048576) {
				my $n = $body_left < 65528 ? $body_left : 65528;
				$in .= record(5, $body_id, substr($piece, 0, $n));
				$body_left -= $n;
			}
			if ($body_left == 0 && length $in < 1048576) {
				$in .= record(5, $body_id, '');
				$body_left = -1;
			}
		}
		if ($off < length $in) {
			if (!$o{pace} || time >= $next_write) { $ws->add($s) }
			else { $wait = $next_write - time if $next_write - time < $wait }
		}
		my ($r, $w) = IO::Select->select($rs, $ws, undef, $wait);
		if ($w && @$w) {
			my $n = length($in) - $off;
			$n = 4096 if $o{pace} && $n > 4096;
			my $wr = syswrite($s, $in, $n, $off);
			if (defined $wr) {
				$off += $wr;
				$next_write = time + $o{pace} / 1000 if $o{pace};
			} elsif ($! != EAGAIN && $! != EWOULDBLOCK && $! != EINTR) {
				# The daemon closed: read what it said.
				$off = length $in;
				$body_left = -1;
			}
		}
		next unless $r && @$r;
		my $n = sysread($s, my $chunk, 65536);
		if (!defined $n) {
			next if $! == EAGAIN || $! == EWOULDBLOCK || $! == EINTR;
			$end = 'RESET';
			last;
		}
		if ($n == 0) { $end = 'EOF'; last }
		$buf .= $chunk;
		for my $rec (parse(\$buf)) {
			my ($type, $id, $c) = @$rec;
			if ($type == 6) {
				print "STDOUT ", length $c, "\n";
				print $out $c if $out;
				$got_out += length $c;
			} elsif ($type == 7) {
				print "STDERR ", length $c, "\n";
				print $err $c if $err;
			} elsif ($type == 3) {
				my ($app, $proto) = unpack('NC', $c);
				print "END $id $app $proto\n";
				if ($o{until_end}) { $end = 'END'; last }
			} elsif ($type == 11) {
				print "UNKNOWN_TYPE ", unpack('C', $c), "\n";
			} elsif ($type == 10) {
				my @kv;
				my $p = 0;
				while ($p < length $c) {
					my @l;
					for (1, 2) {
						my $b = unpack('C', substr($c, $p, 1));
						if ($b & 0x80) { push @l, unpack('N', substr($c, $p, 4)) & 0x7fffffff; $p += 4 }
						else { push @l, $b; $p++ }
					}
					push @kv, substr($c, $p, $l[0]) . '=' . substr($c, $p + $l[0], $l[1]);
					$p += $l[0] + $l[1];
				}
				print "VALUES ", join(',', @kv), "\n";
			} else {
				print "RECORD $type ", length $c, "\n";
			}
		}
		last if $end;
		if (defined $o{'read-max'} && $got_out >= $o{'read-max'}) { $end = 'READ_MAX'; last }
	}
	close $s;
	print "$end\n";
	return 0;
}

# ---- load

sub check_answer {
	my ($kind, $stdout, $end, $want_body) = @_;
	my ($head, $body) = split /\r?\n\r?\n/, $stdout, 2;
	$head = '' unless defined $head;
	$body = '' unless defined $body;
	my %h;
	for (split /\r?\n/, $head) {
		my ($n, $v) = /\A([^:]+):\s*(.*)\z/ or return "bad header line [$_]";
		$h{lc $n} = $v;
	}
	my $status = defined $h{status} ? substr($h{status}, 0, 3) : 200;
	my $acao = $h{'access-control-allow-origin'};
	return "no FCGI_END_REQUEST" unless $end;
	if ($kind eq 'preflight') {
		return "status $status" unless $status == 204;
		return "no Allow-Origin" unless defined $acao && $acao eq 'https://a.example';
		return "no Allow-Methods" unless defined $h{'access-control-allow-methods'};
	} elsif ($kind eq 'refused') {
		return "status $status" unless $status == 204;
		return "CORS header on a refused preflight" if grep { /\Aaccess-control-/ } keys %h;
	} elsif ($kind eq 'get' || $kind eq 'post') {
		return "status $status" unless $status == 200;
		return "no Allow-Origin" unless defined $acao && $acao eq 'https://a.example';
		return "body [" . substr($body, 0, 40) . "]" unless $body eq $want_body;
	} elsif ($kind eq 'missing') {
		return "status $status" unless $status == 404;
		return "no Allow-Origin" unless defined $acao;
	} elsif ($kind eq 'broken') {
		return "status $status" unless $status == 502;
		return "no Allow-Origin" unless defined $acao;
	} elsif ($kind eq 'badconf') {
		return "status $status" unless $status == 500;
		return "CORS header on a configuration error" if grep { /\Aaccess-control-/ } keys %h;
	}
	return undef;
}

sub one_request {
	my ($s, $id, $i, $app, $dir) = @_;
	my @common = ('GATEWAY_INTERFACE=CGI/1.1', 'SERVER_PROTOCOL=HTTP/1.1',
	    'REQUEST_URI=/app', 'SCRIPT_NAME=/app', "CORS_EXEC=$app",
	    'CORS_ORIGINS=https://a.example https://*.b.example',
	    # a few score distinct configurations: the cache evicts
	    'CORS_MAX_AGE=' . ($i % 97));
	my $k = $i % 20;
	my ($kind, @p, $body) = ('');
	$body = '';
	if ($k < 9) {
		$kind = 'preflight';
		@p = ('REQUEST_METHOD=OPTIONS', 'HTTP_ORIGIN=https://a.example',
		    'HTTP_ACCESS_CONTROL_REQUEST_METHOD=' . (qw(PUT patch DELETE POST))[$i % 4],
		    'HTTP_ACCESS_CONTROL_REQUEST_HEADERS=content-type, x-' . ($i % 7));
	} elsif ($k < 11) {
		$kind = 'refused';
		@p = ('REQUEST_METHOD=OPTIONS', 'HTTP_ORIGIN=https://evil.example',
		    'HTTP_ACCESS_CONTROL_REQUEST_METHOD=PUT');
	} elsif ($k < 15) {
		$kind = 'get';
		@p = ('REQUEST_METHOD=GET', 'HTTP_ORIGIN=https://a.example');
	} elsif ($k < 18) {
		$kind = 'post';
		$body = "body $i " . ('z' x ($i % 300)) . "\n";
		@p = ('REQUEST_METHOD=POST', 'HTTP_ORIGIN=https://a.example',
		    'CONTENT_TYPE=text/plain', 'CONTENT_LENGTH=' . length $body);
	} elsif ($k == 18) {
		if ($i % 40 == 18) {
			$kind = 'missing';
			@p = ('REQUEST_METHOD=GET', 'HTTP_ORIGIN=https://a.example');
			@common = map { s/\ACORS_EXEC=.*/SCRIPT_FILENAME=$dir\/missing.cgi/r } @common;
		} else {
			$kind = 'broken';
			@p = ('REQUEST_METHOD=GET', 'HTTP_ORIGIN=https://a.example', 'QUERY_STRING=broken');
		}
	} else {
		$kind = 'badconf';
		@p = ('REQUEST_METHOD=GET', 'HTTP_ORIGIN=https://a.example',
		    'CORS_SUPPORTS_CREDENTIALS=' . ($i % 3 ? 'maybe' : 'yes'));
		@common = grep { !/\ACORS_ORIGINS=/ } @common if $i % 3 == 0;
	}
	my $req = request($id, 1, $body, @common, @p);
	my $off = 0;
	while ($off < length $req) {
		my $w = syswrite($s, $req, length($req) - $off, $off);
		return ($kind, "write: $!") unless defined $w;
		$off += $w;
	}
	my ($buf, $stdout, $end) = ('', '', 0);
	while (!$end) {
		my $n = sysread($s, my $chunk, 65536);
		return ($kind, "read: " . (defined $n ? 'EOF' : $!)) unless $n;
		$buf .= $chunk;
		for my $rec (parse(\$buf)) {
			my ($type, $rid, $c) = @$rec;
			return ($kind, "record for request $rid, not $id") if $rid != $id;
			if ($type == 6) { $stdout .= $c }
			elsif ($type == 3) {
				my ($app_status, $proto) = unpack('NC', $c);
				return ($kind, "protocol status $proto") if $proto != 0;
				$end = 1;
			}
		}
	}
	return ($kind, check_answer($kind, $stdout, $end,
	    $kind eq 'post' ? $body : "hello\n"));
}

sub load {
	my ($path, @args) = @_;
	my %o = (conns => 1, requests => 100, app => '', seed => 0);
	while (@args) {
		my $a = shift @args;
		$a =~ /\A--(requests|conns|app|seed)\z/ or die "fcgi.pl: load: $a: unknown option\n";
		$o{$1} = shift @args;
	}
	(my $dir = $o{app}) =~ s{/[^/]*\z}{};
	local $SIG{PIPE} = 'IGNORE';
	my @kids;
	for my $c (0 .. $o{conns} - 1) {
		pipe(my $r, my $w) or die "pipe: $!\n";
		my $pid = fork;
		die "fork: $!\n" unless defined $pid;
		if ($pid == 0) {
			close $r;
			my $s = connect_to($path);
			my ($ok, $bad, @why) = (0, 0);
			for (my $i = $c + $o{seed}; $i < $o{requests} + $o{seed}; $i += $o{conns}) {
				my ($kind, $why) = one_request($s, 1 + $i % 65000, $i, $o{app}, $dir);
				if (defined $why) {
					$bad++;
					push @why, "request $i ($kind): $why" if @why < 5;
					if ($why =~ /\A(read|write):/) {
						close $s;
						$s = connect_to($path);
					}
				} else {
					$ok++;
				}
			}
			close $s;
			print $w join("\n", "$ok $bad", @why), "\n";
			close $w;
			exit 0;
		}
		close $w;
		push @kids, [$pid, $r];
	}
	my ($ok, $bad, @why) = (0, 0);
	for my $k (@kids) {
		my $fh = $k->[1];
		my @l = <$fh>;
		waitpid $k->[0], 0;
		chomp @l;
		my ($o, $b) = split ' ', (shift(@l) || '0 1');
		$ok += $o;
		$bad += $b;
		push @why, @l;
		push @why, "client $k->[0] exited with status $?" if $?;
		$bad++ if $?;
	}
	print "requests ", $ok + $bad, " ok $ok failed $bad\n";
	print "$_\n" for @why;
	return $bad ? 1 : 0;
}

# ---- fan

sub fan {
	my ($path, $n, @args) = @_;
	my $timeout = 10;
	while (@args) {
		my $a = shift @args;
		$a eq '--timeout' or die "fcgi.pl: fan: $a: unknown option\n";
		$timeout = shift @args;
	}
	my $spec = do { local $/; <STDIN> };
	local $SIG{PIPE} = 'IGNORE';
	my (@c, %by_fd);
	for my $i (0 .. $n - 1) {
		(my $t = $spec) =~ s/\@I\@/$i/g;
		my $s = connect_to($path);
		$s->blocking(0);
		push @c, { s => $s, in => build_bytes(split /\n/, $t), off => 0,
		    buf => '', end => 'NOEND', how => '' };
		$by_fd{fileno $s} = $c[-1];
	}
	my $deadline = time + $timeout;
	while (grep { !$_->{how} } @c) {
		my $left = $deadline - time;
		last if $left <= 0;
		my $rs = IO::Select->new(map { $_->{s} } grep { !$_->{how} } @c);
		my $ws = IO::Select->new(map { $_->{s} }
		    grep { !$_->{how} && $_->{off} < length $_->{in} } @c);
		my ($r, $w) = IO::Select->select($rs, $ws, undef, $left);
		for my $fh (@{$w || []}) {
			my $x = $by_fd{fileno $fh};
			my $wr = syswrite($fh, $x->{in}, length($x->{in}) - $x->{off}, $x->{off});
			$x->{off} = defined $wr ? $x->{off} + $wr : length $x->{in};
		}
		for my $fh (@{$r || []}) {
			my $x = $by_fd{fileno $fh};
			my $got = sysread($fh, my $chunk, 65536);
			if (!defined $got) {
				$x->{how} = 'RESET' unless $! == EAGAIN || $! == EINTR;
				next;
			}
			if ($got == 0) { $x->{how} = 'EOF'; next }
			$x->{buf} .= $chunk;
			for my $rec (parse(\$x->{buf})) {
				$x->{end} = 'END' if $rec->[0] == 3;
			}
		}
	}
	for my $i (0 .. $n - 1) {
		print "$i $c[$i]{end} ", $c[$i]{how} || 'TIMEOUT', "\n";
		close $c[$i]{s};
	}
	return 0;
}

sub pings {
	my ($path, $n, @args) = @_;
	my $gap = 0;
	while (@args) {
		my $a = shift @args;
		$a eq '--gap' or die "fcgi.pl: pings: $a: unknown option\n";
		$gap = shift @args;
	}
	my $in = build_bytes(split /\n/, do { local $/; <STDIN> });
	local $SIG{PIPE} = 'IGNORE';
	for (1 .. $n) {
		my $t0 = time;
		my $s = connect_to($path);
		my $off = 0;
		while ($off < length $in) {
			my $wr = syswrite($s, $in, length($in) - $off, $off);
			last unless defined $wr;
			$off += $wr;
		}
		my $sel = IO::Select->new($s);
		my $done = 0;
		while ((my $left = 10 - (time - $t0)) > 0) {
			last unless $sel->can_read($left);
			my $got = sysread($s, my $chunk, 65536);
			if (!$got) { $done = 1; last }
		}
		if ($done) { printf "%.1f\n", (time - $t0) * 1000 }
		else { print "TIMEOUT\n" }
		close $s;
		sleep($gap / 1000) if $gap;
	}
	return 0;
}

# ---- session

sub session {
	$| = 1;
	while (my $line = <STDIN>) {
		my ($cmd, @w) = map { unescape($_) } split ' ', $line;
		next unless defined $cmd;
		if ($cmd eq 'talk') {
			my ($path, $opt, $prefix) = @w;
			$opt eq '--out' or die "fcgi.pl: session: talk: --out first\n";
			my $pid = fork;
			defined $pid or die "fcgi.pl: session: fork: $!\n";
			if ($pid == 0) {
				open STDIN, '<', '/dev/null' or die;
				open STDOUT, '>', "$prefix.talk" or die "fcgi.pl: $prefix.talk: $!\n";
				exit talk($path, @w[1 .. $#w]);
			}
			print "$pid\n";
		} elsif ($cmd eq 'wait') {
			waitpid($w[0], 0) == $w[0] or die "fcgi.pl: session: wait $w[0]: $!\n";
			print $? >> 8, "\n";
		} elsif ($cmd eq 'path') {
			my $end = time + $w[1];
			sleep 0.01 while !-e $w[0] && time < $end;
			print -e $w[0] ? "0\n" : "1\n";
		} elsif ($cmd eq 'sleep') {
			sleep $w[0];
			print "0\n";
		} else {
			die "fcgi.pl: session: $cmd: unknown command\n";
		}
	}
	return 0;
}

my $cmd = shift @ARGV or die "usage: fcgi.pl build|talk|load|fan|pings|session ...\n";
if ($cmd eq 'build') { build(); exit 0 }
elsif ($cmd eq 'talk') { exit talk(@ARGV) }
elsif ($cmd eq 'fan') { exit fan(@ARGV) }
elsif ($cmd eq 'pings') { exit pings(@ARGV) }
elsif ($cmd eq 'load') { exit load(@ARGV) }
elsif ($cmd eq 'session') { exit session() }
else { die "fcgi.pl: $cmd: unknown command\n" }
