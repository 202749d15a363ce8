#!/usr/bin/env bats
# The FastCGI daemon's resources are bounded whatever its peers do
# (SECURITY.md "Bounds"): the spool (-b, -B), a script's stderr with -f, a
# silent peer (-i), descriptors.  Each test starts a daemon of its own (one
# worker, log level info) with the options it is about, and talks FastCGI to
# it directly (tests/lib/fcgi.pl, or a few lines of Perl for a client that
# misbehaves).

# shellcheck disable=SC2154 # $status, $body, $log, ... are set by the helpers
load lib/common
load lib/servers
load lib/fcgi

O=https://a.example

setup_file() {
	server_init bounds
	local v=$SERVER_VAR
	cat >"$CGI_BIN/hello.cgi" <<'EOF'
#!/bin/sh
printf 'Content-Type: text/plain\n\nhello\n'
EOF
	# An answer of $FLOOD_MIB MiB (default 32) written before the body is
	# read, then the body's size.
	cat >"$CGI_BIN/flood.cgi" <<EOF
#!/bin/sh
echo \$\$ >>'$v/flood.pids'
printf 'Content-Type: text/plain\n\n'
head -c "\$((\${FLOOD_MIB:-32} * 1048576))" /dev/zero | tr '\0' x
printf '\nbody %s\n' "\$(wc -c | tr -d ' ')"
EOF
	# 64 MiB on stderr, then an answer.
	cat >"$CGI_BIN/errflood.cgi" <<EOF
#!/bin/sh
echo \$\$ >>'$v/errflood.pids'
head -c 67108864 /dev/zero | tr '\0' e >&2
printf 'Content-Type: text/plain\n\ndone\n'
EOF
	# $BYTES bytes of answer.
	cat >"$CGI_BIN/bytes.cgi" <<'EOF'
#!/bin/sh
printf 'Content-Type: text/plain\n\n'
head -c "${BYTES:-0}" /dev/zero | tr '\0' b
EOF
	# Silent for 3 s after its body came, then an answer.
	cat >"$CGI_BIN/slow.cgi" <<'EOF'
#!/bin/sh
cat >/dev/null
sleep 3
printf 'Content-Type: text/plain\n\nslow\n'
EOF
	chmod 755 "$CGI_BIN"/*.cgi
	SPOOL_DIR=$SERVER_ROOT/spool
	mkdir -p "$SPOOL_DIR"
	chmod 1777 "$SPOOL_DIR"
	DAEMON_LOG=$SERVER_ROOT/logs/cors-wrap.log
	export SPOOL_DIR DAEMON_LOG
}

teardown_file() {
	server_stop
}

setup() {
	rm -f "$SERVER_VAR"/*.pids
	TEST_DAEMON=
	TEST_PIDS=
	N_DAEMON=$((${N_DAEMON:-0} + 1))
}

# A failed test leaves nothing running: its daemon, its clients, the
# scripts it ran.
teardown() {
	local p f
	for p in $TEST_PIDS; do
		kill -KILL "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
	if [ -n "$TEST_DAEMON" ]; then
		kill -TERM "$TEST_DAEMON" 2>/dev/null || true
		wait_gone 10 "$TEST_DAEMON" || kill -KILL -- "-$TEST_DAEMON" 2>/dev/null || true
	fi
	for f in "$SERVER_VAR"/*.pids; do
		[ -e "$f" ] || continue
		for p in $(cat "$f"); do
			kill -KILL "$p" 2>/dev/null || true
		done
	done
}

# daemon [NOFILE] -- ARG...: a daemon of this test's own on a new socket
# ($FCGI_SOCK), with ARGs, its spool in $SPOOL_DIR; with NOFILE, under that
# limit on descriptors (soft and hard).  Sets TEST_DAEMON, WORKER,
# WORKER_FDS and LOG0 (the daemon log's lines before it).
daemon() {
	local -a limit=()
	while [ "$1" != -- ]; do limit=(prlimit "--nofile=$1:$1"); shift; done
	shift
	FCGI_SOCK=$(fcgi_dir)/bounds$N_DAEMON.sock
	export FCGI_SOCK
	: >>"$DAEMON_LOG"
	LOG0=$(line_count "$DAEMON_LOG")
	fcgi_spawn "$FCGI_SOCK" "$DAEMON_LOG" ${limit[@]+"${limit[@]}"} \
		env -i PATH=/usr/local/bin:/usr/bin:/bin TMPDIR="$SPOOL_DIR" \
		CORS_ORIGINS=$O CORS_SCRIPT_ROOT="$CGI_BIN" CORS_LOG_LEVEL=info \
		"$SERVER_CORS_WRAP" -s "unix:$FCGI_SOCK" -c 1 "$@"
	TEST_DAEMON=$SPAWN_PID
	CW_PID=$SPAWN_PID
	export CW_PID
	worker_init
}

# new_log: the daemon log's lines since daemon started.
new_log() {
	tail -n +"$((LOG0 + 1))" "$DAEMON_LOG"
}

# spool_use PID: "TOTAL LARGEST": the bytes written to the files PID holds
# open in $SPOOL_DIR, in all and in the largest (the spool's files are
# unlinked: they are seen through /proc only).  One process, so that the
# files are looked at within a few milliseconds of each other.
spool_use() {
	perl -e 'my ($pid, $dir) = @ARGV; my ($sum, $max) = (0, 0);
		for my $f (glob "/proc/$pid/fd/*") {
			my $t = readlink $f; next unless defined $t && index($t, "$dir/") == 0;
			my @st = stat $f or next;
			$sum += $st[7]; $max = $st[7] if $st[7] > $max;
		}
		print "$sum $max\n"' "$1" "$SPOOL_DIR"
}

spooled() {
	local u
	u=$(spool_use "$1")
	echo "${u% *}"
}

# spool_within REQUEST_MAX WORKER_MAX: for 5 s, the worker's spool files
# hold at most WORKER_MAX bytes in all and REQUEST_MAX each; at some point
# more than REQUEST_MAX in all (the scripts did write: the bound was
# reached, not just respected).
spool_within() {
	local i u total largest most=0
	for ((i = 0; i < 10; i++)); do
		sleep 0.5
		u=$(spool_use "$WORKER")
		total=${u% *}
		largest=${u#* }
		[ "$total" -le "$most" ] || most=$total
		[ "$largest" -le "$1" ] || {
			echo "one request spools $largest bytes, at most $1 expected" >&2
			return 1
		}
	done
	[ "$most" -le "$2" ] || {
		echo "the worker spooled $most bytes, at most $2 expected" >&2
		return 1
	}
	[ "$most" -gt "$1" ] || {
		echo "the worker spooled $most bytes at most, the bound is $2" >&2
		return 1
	}
}

# cpu_ticks PID: user and system time of PID, in clock ticks.
cpu_ticks() {
	local s
	s=$(cat "/proc/$1/stat")
	s=${s##*) }
	# shellcheck disable=SC2086 # fields 14 and 15 are the 12th and 13th here
	set -- $s
	echo $((${12} + ${13}))
}

# as_worker CMD [ARG ...]: CMD as the daemon's user.
as_worker() {
	local -a as=()
	local w
	while IFS= read -r w; do as+=("$w"); done < <(server_run_as)
	"${as[@]}" "$@"
}

rss_kib() {
	awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"
}

# talk_bg PREFIX SPEC [TALK_ARG ...]: fcgi.pl talk sending SPEC, in the
# background; its pid goes to TEST_PIDS and $talk_pid.
talk_bg() {
	local prefix=$1
	printf '%s\n' "$2" >"$prefix.spec"
	shift 2
	perl "$FCGI_PL" talk "$FCGI_SOCK" --spec --out "$prefix" "$@" <"$prefix.spec" \
		>"$prefix.talk" 3>&- &
	talk_pid=$!
	TEST_PIDS="$TEST_PIDS $talk_pid"
}

# post_head FILE [NAME=VALUE ...]: begin and params of a POST of $1 that
# announces a body of 1 MB; the body is up to the caller.
post_head() {
	printf 'begin 1\nparams 1 %s\nparams 1\n' "$(fcgi_words REQUEST_METHOD=POST \
		SCRIPT_FILENAME="$CGI_BIN/$1" CONTENT_LENGTH=1000000 HTTP_ORIGIN=$O "${@:2}")"
}

# ---- spool -----------------------------------------------------------------

@test "spool: stalled bodies to a script that answers without reading hold at most -b a request, -B the worker, then -i closes them" {
	local i
	local -a clients=()
	daemon -- -b 2M -B 3M -i 10 -t 60
	# Three clients announce a body, send 3 bytes of it and stall; the
	# script writes 32 MiB at once.  Unbounded, the spool took 96 MiB.
	for i in 1 2 3; do
		talk_bg "$BATS_TEST_TMPDIR/c$i" "$(post_head flood.cgi)
stdin 1 abc" --timeout 30
		clients+=("$talk_pid")
	done
	# Looked at for 5 s, within -i.
	spool_within $((2 * 1048576)) $((3 * 1048576))
	# -i 10: the silent peers are cut off, their scripts stopped.
	for i in "${clients[@]}"; do
		wait "$i" || true
	done
	for i in 1 2 3; do
		fcgi_result "$BATS_TEST_TMPDIR/c$i"
		assert_equal "$end" EOF
	done
	new_log | grep -q 'FastCGI peer silent for 10 s while waited for (the rest of the request body); closing the connection and stopping .*/flood.cgi'
	[ "$(spooled "$WORKER")" -eq 0 ]
	settled
}

@test "spool: past -b a script waits (back-pressure): when the body ends, the whole answer arrives" {
	daemon -- -b 1M -B 1M -i 30 -t 60
	# 8 MiB before the body, which takes 3 s to come (40 kB, smaller than
	# the script's input pipe): the script waits for the spool, then every
	# byte arrives.
	fcgi_request_bg "$BATS_TEST_TMPDIR/bp" REQUEST_METHOD=POST SCRIPT_FILENAME="$CGI_BIN/flood.cgi" \
		FLOOD_MIB=8 HTTP_ORIGIN=$O CONTENT_LENGTH=40000 -- --body 1:40000 --pace 300 --timeout 30
	TEST_PIDS="$TEST_PIDS $fcgi_pid"
	sleep 2
	[ "$(spooled "$WORKER")" -le $((1048576 + 65536)) ]
	wait "$fcgi_pid"
	fcgi_result "$BATS_TEST_TMPDIR/bp"
	assert_status 200
	assert_header Access-Control-Allow-Origin $O
	[ "$(stat -c %s "$BATS_TEST_TMPDIR/bp.out")" -gt $((8 * 1048576)) ]
	[[ $body == *"body 40000" ]]
	has_record 'END 1 0 0'
	settled
}

@test "spool: a script that writes more than -b before reading a body that fills its input fails with 502 and a log line, not a hang until -t" {
	daemon -- -b 1M -B 4M -i 30 -t 60
	local t0=$SECONDS
	# The whole body sent at once (2 MB: more than the script's input pipe
	# holds), the script writing 32 MiB before it reads: each waits for the
	# other.
	fcgi_request REQUEST_METHOD=POST SCRIPT_FILENAME="$CGI_BIN/flood.cgi" HTTP_ORIGIN=$O \
		CONTENT_LENGTH=2000000 -- --body 1:2000000 --timeout 30
	assert_status 502
	assert_header Access-Control-Allow-Origin $O
	has_record 'END 1 0 0'
	[ $((SECONDS - t0)) -lt 20 ]
	in_log 'flood.cgi: writes more than the spool holds \(-b 1048576, -B 4194304\) before it reads its request body; stopping it'
	settled
}

# ---- stderr ----------------------------------------------------------------

@test "stderr with -f: a peer that does not read holds the script, not 64 MiB of its stderr in the worker" {
	local rss0 rss1 client
	daemon -- -f -i 30 -t 60
	rss0=$(rss_kib "$WORKER")
	# The request, then 4 s without reading a byte.
	perl -MIO::Socket::UNIX -e '
		my $s = IO::Socket::UNIX->new(Peer => $ARGV[0]) or die "connect: $!";
		local $/; my $req = <STDIN>;
		syswrite($s, $req) == length $req or die "write: $!";
		sleep 5;' "$FCGI_SOCK" < <(printf 'request 1 %s\n' "$(fcgi_words REQUEST_METHOD=GET \
		SCRIPT_FILENAME="$CGI_BIN/errflood.cgi" HTTP_ORIGIN=$O)" | perl "$FCGI_PL" build) 3>&- &
	client=$!
	TEST_PIDS="$TEST_PIDS $client"
	sleep 4
	rss1=$(rss_kib "$WORKER")
	[ "$rss1" -le $((rss0 + 4096)) ] || {
		echo "the worker grew from $rss0 to $rss1 KiB" >&2
		return 1
	}
	wait "$client"
	settled
}

# ---- silent peers ----------------------------------------------------------

# cut_off SPEC WHAT: a connection sending SPEC then nothing is closed by
# the daemon (-i 2) well before the client's own 15 s, with a log line
# naming WHAT when a request had begun.
cut_off() {
	local t0=$SECONDS before
	before=$(line_count "$DAEMON_LOG")
	fcgi_talk "$1" --timeout 15
	assert_equal "$end" EOF
	[ $((SECONDS - t0)) -lt 10 ]
	if [ -n "$2" ]; then
		tail -n +"$((before + 1))" "$DAEMON_LOG" |
			grep -q "FastCGI peer silent for 2 s while waited for ($2); closing the connection"
	fi
}

@test "idle: -i closes a connection that sends nothing, stops in PARAMS or in the body, or idles after a kept request" {
	daemon -- -i 2 -t 60
	cut_off '' ''
	cut_off "begin 1
params 1 $(fcgi_words REQUEST_METHOD=GET)" 'the rest of FCGI_PARAMS'
	cut_off "$(post_head flood.cgi FLOOD_MIB=0)
stdin 1 abc" 'the rest of the request body'
	cut_off "request 1 keep $(fcgi_words SCRIPT_FILENAME="$CGI_BIN/hello.cgi" HTTP_ORIGIN=$O)" ''
	has_record 'END 1 0 0'
	settled
}

@test "idle: an early answer the peer does not read, after the body's drain, is bounded by -i, without a wake-up every 10 ms" {
	local spec=$BATS_TEST_TMPDIR/drain i c0 c1
	daemon -- -i 2 -t 60
	# A kept request whose answer the peer leaves unread (part of it stays
	# in the worker), then one that announces a body, answered at once (a
	# preflight), whose connection is not kept: the worker drains the body
	# that never comes, with its answer still to write.
	printf '%s\n' "request 1 keep $(fcgi_words SCRIPT_FILENAME="$CGI_BIN/bytes.cgi" BYTES=400000)" |
		perl "$FCGI_PL" build >"$spec.1"
	printf 'begin 2\nparams 2 %s\nparams 2\n' "$(fcgi_words REQUEST_METHOD=OPTIONS \
		SCRIPT_FILENAME="$CGI_BIN/hello.cgi" CONTENT_LENGTH=10 HTTP_ORIGIN=$O \
		HTTP_ACCESS_CONTROL_REQUEST_METHOD=PUT)" | perl "$FCGI_PL" build >"$spec.2"
	perl -MIO::Socket::UNIX -MSocket -e '
		my $s = IO::Socket::UNIX->new(Type => SOCK_STREAM, Peer => $ARGV[0]) or die $!;
		setsockopt($s, SOL_SOCKET, SO_RCVBUF, 4096);
		for my $f (@ARGV[1, 2]) {
			open my $in, "<", $f or die; local $/; print {$s} <$in>; sleep 2;
		}
		sleep 20' "$FCGI_SOCK" "$spec.1" "$spec.2" 3>&- &
	TEST_PIDS="$TEST_PIDS $!"
	sleep 5
	c0=$(awk '/^voluntary_ctxt_switches/ { print $2 }' "/proc/$WORKER/status")
	sleep 2
	c1=$(awk '/^voluntary_ctxt_switches/ { print $2 }' "/proc/$WORKER/status")
	echo "$((c1 - c0)) wake-ups in 2 s" >&3
	[ $((c1 - c0)) -lt 50 ]
	# Closed by -i, long before the client gives up.
	for ((i = 0; i < 50; i++)); do
		[ "$(fd_count "$WORKER")" = "$WORKER_FDS" ] && break
		sleep 0.1
	done
	assert_equal "$(fd_count "$WORKER")" "$WORKER_FDS"
}

@test "idle: -i does not cut a script that is slow to answer once its body came" {
	daemon -- -i 1 -t 60
	fcgi_request REQUEST_METHOD=POST SCRIPT_FILENAME="$CGI_BIN/slow.cgi" HTTP_ORIGIN=$O \
		CONTENT_LENGTH=10 -- --body 1:10
	assert_status 200
	assert_equal "$body" slow
	has_record 'END 1 0 0'
}

@test "idle: a worker whose every connection idles accepts again after -i; SIGTERM closes idle and half-begun connections at once" {
	local fan=$BATS_TEST_TMPDIR/fan t0 fan_pid
	# 64 descriptors: 8 connections (4 each, 32 kept for the rest).
	daemon 64 -- -i 3 -t 60
	# 8 connections stopped in their PARAMS.
	printf 'begin 1\nparams 1 %s\n' "$(fcgi_words REQUEST_METHOD=GET)" |
		perl "$FCGI_PL" fan "$FCGI_SOCK" 8 --timeout 20 >"$fan" 3>&- &
	fan_pid=$!
	TEST_PIDS="$TEST_PIDS $fan_pid"
	sleep 1
	# The ninth waits until -i frees a place.
	t0=$SECONDS
	served
	[ $((SECONDS - t0)) -lt 10 ]
	wait "$fan_pid"
	assert_equal "$(grep -c ' NOEND EOF$' "$fan")" 8

	# -i 60 now: only the stop may close them.
	kill -TERM "$TEST_DAEMON"
	wait_gone 10 "$TEST_DAEMON"
	daemon 64 -- -i 60 -t 60
	printf 'begin 1\nparams 1 %s\n' "$(fcgi_words REQUEST_METHOD=GET)" |
		perl "$FCGI_PL" fan "$FCGI_SOCK" 4 --timeout 20 >"$fan" 3>&- &
	TEST_PIDS="$TEST_PIDS $!"
	printf '' | perl "$FCGI_PL" fan "$FCGI_SOCK" 3 --timeout 20 >"$fan.idle" 3>&- &
	TEST_PIDS="$TEST_PIDS $!"
	sleep 1
	t0=$SECONDS
	kill -TERM "$TEST_DAEMON"
	wait_gone 8 "$TEST_DAEMON"
	[ $((SECONDS - t0)) -lt 8 ]
	TEST_DAEMON=
}

# ---- descriptors -----------------------------------------------------------

@test "descriptors: the connection limit counts 5 descriptors a connection with -f, 4 without" {
	daemon 72 -- -f
	fcgi_talk 'record 9 0 \x0e\x00FCGI_MAX_CONNS' --timeout 2
	has_record 'VALUES FCGI_MAX_CONNS=8'
	kill -TERM "$TEST_DAEMON"
	wait_gone 10 "$TEST_DAEMON"
	daemon 72 --
	fcgi_talk 'record 9 0 \x0e\x00FCGI_MAX_CONNS' --timeout 2
	has_record 'VALUES FCGI_MAX_CONNS=10'
}

@test "descriptors: out of descriptors, accept backs off: little CPU, few log lines; connections are served once descriptors are back" {
	local fan=$BATS_TEST_TMPDIR/fan t0 t1 fds lines fan_pid
	daemon -- -i 30 -t 60
	fds=$(fd_count "$WORKER")
	# No descriptor left for a new connection: the soft limit lowered
	# (as the worker's user: root may lack CAP_SYS_RESOURCE here).
	as_worker prlimit --pid "$WORKER" --nofile="$fds:"
	printf 'request 1 %s\n' "$(fcgi_words REQUEST_METHOD=GET SCRIPT_FILENAME="$CGI_BIN/hello.cgi" \
		HTTP_ORIGIN=$O)" | perl "$FCGI_PL" fan "$FCGI_SOCK" 4 --timeout 20 >"$fan" 3>&- &
	fan_pid=$!
	TEST_PIDS="$TEST_PIDS $fan_pid"
	sleep 1
	t0=$(cpu_ticks "$WORKER")
	sleep 3
	t1=$(cpu_ticks "$WORKER")
	# Spinning took 86 % of a CPU: 258 ticks of 100 in 3 s.
	[ $((t1 - t0)) -lt 60 ] || {
		echo "the worker used $((t1 - t0)) ticks in 3 s" >&2
		return 1
	}
	lines=$(new_log | grep -c 'accept: Too many open files' || true)
	[ "$lines" -ge 1 ] && [ "$lines" -le 30 ] || {
		echo "$lines lines about accept" >&2
		return 1
	}
	new_log | grep -q "accept: Too many open files; [0-9]* connections open, limit [0-9]*; not accepting for 250 ms"
	as_worker prlimit --pid "$WORKER" --nofile=1024:
	wait "$fan_pid"
	assert_equal "$(grep -c ' END EOF$' "$fan")" 4
}

# ---- through nginx ---------------------------------------------------------

@test "nginx (fastcgi_request_buffering off, kept upstream connections): stalled uploads spool at most -B, -i cuts them, and an idle connection the daemon closed is no error" {
	local bin=$CGI_BIN i
	local -a clients=()
	daemon -- -b 2M -B 3M -i 6 -t 60
	cat >"$BATS_TEST_TMPDIR/upstream.conf" <<'EOF2'
upstream cw {
    server unix:@SOCK@;
    keepalive 4;
}
EOF2
	cat >"$BATS_TEST_TMPDIR/location.conf" <<'EOF2'
client_max_body_size 0;
location / {
    include /etc/nginx/fastcgi_params;
    fastcgi_param SCRIPT_FILENAME @BIN@$uri;
    fastcgi_pass cw;
    fastcgi_keep_conn on;
    fastcgi_request_buffering off;
}
EOF2
	nginx_start_http "$BATS_TEST_TMPDIR/upstream.conf" SOCK="$FCGI_SOCK" -- \
		"$BATS_TEST_TMPDIR/location.conf" BIN="$bin"
	# Three uploads announce 100 MB, send 3 bytes and stall; the script
	# answers 32 MiB without reading.  Unbounded: 96 MiB in the spool.
	for i in 1 2 3; do
		perl -MIO::Socket::INET -e '
			my $s = IO::Socket::INET->new(PeerAddr => "127.0.0.1:$ARGV[0]") or die "connect: $!";
			syswrite($s, "POST /flood.cgi HTTP/1.1\r\nHost: localhost\r\nOrigin: https://a.example\r\n" .
			    "Content-Length: 100000000\r\n\r\nabc");
			my $buf; 1 while sysread($s, $buf, 65536);' "$SERVER_PORT" 3>&- &
		clients+=("$!")
		TEST_PIDS="$TEST_PIDS $!"
	done
	spool_within $((2 * 1048576)) $((3 * 1048576))
	# -i 6 cuts the stalled uploads (nginx has its own client_body_timeout,
	# 60 s: cors-wrap does not wait for it).
	for i in "${clients[@]}"; do
		wait "$i" || true
	done
	new_log | grep -q 'FastCGI peer silent for 6 s while waited for (the rest of the request body)'
	[ "$(spooled "$WORKER")" -eq 0 ]
	# A kept connection, closed by the daemon after -i: nginx takes another.
	http GET /hello.cgi -H "Origin: $O"
	assert_http_status 200
	assert_equal "$body" hello
	sleep 7
	http GET /hello.cgi -H "Origin: $O"
	assert_http_status 200
	assert_equal "$body" hello
	assert_header Access-Control-Allow-Origin $O
}

# ---- through Apache --------------------------------------------------------

@test "apache mod_proxy_fcgi (its defaults): stalled uploads spool at most -B and -i cuts them; with enablereuse, an idle connection the daemon closed is no error" {
	local bin=$CGI_BIN i
	local -a clients=()
	daemon -- -b 2M -B 3M -i 6 -t 60
	printf 'LoadModule %s_module /usr/lib/apache2/modules/mod_%s.so\n' proxy proxy \
		proxy_fcgi proxy_fcgi >"$BATS_TEST_TMPDIR/modules.conf"
	cat >"$BATS_TEST_TMPDIR/location.conf" <<'EOF2'
<Location "/flood/">
    ProxyPass "unix:@SOCK@|fcgi://localhost/"
    SetEnv CORS_EXEC @BIN@/flood.cgi
</Location>
<Location "/hello/">
    ProxyPass "unix:@SOCK@|fcgi://hello/" enablereuse=on
    SetEnv CORS_EXEC @BIN@/hello.cgi
</Location>
EOF2
	apache_start "$BATS_TEST_TMPDIR/modules.conf" "$BATS_TEST_TMPDIR/location.conf" \
		SOCK="$FCGI_SOCK" BIN="$bin"
	# Three uploads announce 100 MB, send 3 bytes and stall (Apache's
	# Timeout is 20 s here); the script answers 32 MiB without reading.
	for i in 1 2 3; do
		perl -MIO::Socket::INET -e '
			my $s = IO::Socket::INET->new(PeerAddr => "127.0.0.1:$ARGV[0]") or die "connect: $!";
			syswrite($s, "POST /flood/x HTTP/1.1\r\nHost: localhost\r\nOrigin: https://a.example\r\n" .
			    "Content-Length: 100000000\r\n\r\nabc");
			my $buf; 1 while sysread($s, $buf, 65536);' "$SERVER_PORT" 3>&- &
		clients+=("$!")
		TEST_PIDS="$TEST_PIDS $!"
	done
	spool_within $((2 * 1048576)) $((3 * 1048576))
	for i in "${clients[@]}"; do
		wait "$i" || true
	done
	new_log | grep -q 'FastCGI peer silent for 6 s while waited for (the rest of the request body)'
	[ "$(spooled "$WORKER")" -eq 0 ]
	http GET /hello/x -H "Origin: $O"
	assert_http_status 200
	assert_equal "$body" hello
	assert_header Access-Control-Allow-Origin $O
	# Its kept connection closed by the daemon after -i: Apache sees it
	# closed before reusing it, and opens another.
	sleep 7
	[ "$(fd_count "$WORKER")" = "$WORKER_FDS" ] || {
		echo "the worker still holds a connection after -i" >&2
		ls -l "/proc/$WORKER/fd" >&2
		return 1
	}
	for i in 1 2 3; do
		http GET /hello/x -H "Origin: $O"
		assert_http_status 200
		assert_equal "$body" hello
	done
}

# paused_post SCRIPT FIRST REST: a POST to $CGI_BIN/SCRIPT whose body is
# FIRST bytes at once, then after 5 s of pause REST bytes and its end;
# prints the length of the answer's body.
paused_post() {
	perl -MIO::Socket::UNIX -e '
		my ($sock, $script, $origin, $first, $rest) = @ARGV;
		sub rec { my ($t, $c) = @_; my $p = (8 - length($c) % 8) % 8;
			pack("CCnnCC", 1, $t, 1, length $c, $p, 0) . $c . ("\0" x $p) }
		sub pair { my ($k, $v) = @_; pack("CC", length $k, length $v) . $k . $v }
		sub body { my ($n) = @_; my $o = "";
			while ($n > 0) { my $k = $n > 65528 ? 65528 : $n;
				$o .= rec(5, "x" x $k); $n -= $k }
			$o }
		my $s = IO::Socket::UNIX->new(Peer => $sock) or die "connect: $!";
		my $p = pair("REQUEST_METHOD", "POST") . pair("SCRIPT_FILENAME", $script) .
		    pair("HTTP_ORIGIN", $origin) . pair("CONTENT_LENGTH", $first + $rest);
		print $s rec(1, pack("nCx5", 1, 0)) . rec(4, $p) . rec(4, "") . body($first);
		$s->flush;
		sleep 5;
		print $s body($rest) . rec(5, "");
		$s->flush;
		my ($buf, $out) = ("", "");
		1 while sysread($s, $buf, 65536, length $buf);
		while (length $buf >= 8) {
			my ($t, $cl, $pl) = unpack("xCxxnC", $buf);
			$out .= substr($buf, 8, $cl) if $t == 6;
			substr($buf, 0, 8 + $cl + $pl) = "";
		}
		$out =~ s/\A.*?\r?\n\r?\n//s;
		print length($out), "\n";' "$FCGI_SOCK" "$CGI_BIN/$1" "$O" "$2" "$3"
}

# worker_idles_while SECONDS CMD [ARG ...]: CMD in the background; the
# worker uses under a fifth of a CPU from 1.5 s after its start for
# SECONDS; CMD's output in $output.
worker_idles_while() {
	local secs=$1 t0 t1 out=$BATS_TEST_TMPDIR/idles.out pid
	shift
	"$@" >"$out" 3>&- &
	pid=$!
	TEST_PIDS="$TEST_PIDS $pid"
	sleep 1.5
	t0=$(cpu_ticks "$WORKER")
	sleep "$secs"
	t1=$(cpu_ticks "$WORKER")
	wait "$pid"
	output=$(cat "$out")
	# Spinning on a pipe's hang-up or error took all of a CPU.
	[ $((t1 - t0)) -lt $((secs * 20)) ] || {
		echo "the worker used $((t1 - t0)) ticks in $secs s" >&2
		return 1
	}
}

@test "cpu: a script that closes its stdin while the server pauses in the middle of the body costs the worker no CPU until the body goes on" {
	# Reads the 200,000 bytes sent at once, after they filled its stdin
	# pipe, then closes its stdin and answers 3 s later.
	cat >"$CGI_BIN/closein.cgi" <<'EOF2'
#!/bin/sh
sleep 0.5
head -c 200000 >/dev/null
exec 0<&-
sleep 3
printf 'Content-Type: text/plain\n\nclosed\n'
EOF2
	chmod 755 "$CGI_BIN/closein.cgi"
	daemon -- -i 30 -t 60
	worker_idles_while 3 paused_post closein.cgi 200000 100
	assert_equal "$output" 7
}

@test "cpu: a script held at -b that exits while the body is still to come costs the worker no CPU until the body ends" {
	# More than -b (1 MiB) before its body, the rest small enough for the
	# pipe: it exits while the worker holds its output.
	cat >"$CGI_BIN/overb.cgi" <<'EOF2'
#!/bin/sh
printf 'Content-Type: text/plain\n\n'
head -c 1068576 /dev/zero
EOF2
	chmod 755 "$CGI_BIN/overb.cgi"
	daemon -- -b 1M -i 30 -t 60
	worker_idles_while 3 paused_post overb.cgi 3 7
	assert_equal "$output" 1068576
}
