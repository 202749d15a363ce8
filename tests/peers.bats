#!/usr/bin/env bats
# The FastCGI daemon under odd but legal peers, spoken to directly (one
# worker): FCGI_ABORT_REQUEST at every stage of a request, behind spawn-fcgi
# (the listener on fd 0) and with -s; a reload while long requests hold the
# configuration they started with; SIGTERM refusing new connections at once
# while the request in flight finishes.

# shellcheck disable=SC2154 # $body, $end, $talk, ... are set by the helpers
load lib/common
load lib/servers
load lib/fcgi

O=https://a.example

setup_file() {
	server_init peers
	local v=$SERVER_VAR
	cat >"$CGI_BIN/hello.cgi" <<'EOF'
#!/bin/sh
printf 'Content-Type: text/plain\n\nhello\n'
EOF
	# Its answer names its request (QUERY_STRING), after HTTP_X_SLEEP s.
	cat >"$CGI_BIN/id.cgi" <<EOF
#!/bin/sh
echo \$\$ >'$v/id.'"\$QUERY_STRING"
sleep "\${HTTP_X_SLEEP:-0}"
printf 'Content-Type: text/plain\n\nid=%s\n' "\$QUERY_STRING"
EOF
	cat >"$CGI_BIN/echo.cgi" <<'EOF'
#!/bin/sh
printf 'Content-Type: text/plain\n\n'
exec cat
EOF
	# An answer that flows for 6 s.
	cat >"$CGI_BIN/slow.cgi" <<EOF
#!/bin/sh
echo \$\$ >'$v/slow.pid'
printf 'Content-Type: text/plain\n\n'
i=0
while [ \$i -lt 120 ]; do echo "line \$i"; sleep 0.05; i=\$((i + 1)); done
EOF
	# 1 MiB of answer before it reads its input: spooled to a file while
	# the body is still coming.
	cat >"$CGI_BIN/big.cgi" <<EOF
#!/bin/sh
echo \$\$ >'$v/big.pid'
printf 'Content-Type: text/plain\n\n'
head -c 1048576 /dev/zero | tr '\0' b
exec cat >/dev/null
EOF
	# Holds its request until the file go appears (at most 100 s).
	cat >"$CGI_BIN/gate.cgi" <<EOF
#!/bin/sh
echo \$\$ >'$v/gate.'"\$QUERY_STRING"
i=0
while [ ! -e '$v/go' ] && [ \$i -lt 100 ]; do sleep 1; i=\$((i + 1)); done
printf 'Content-Type: text/plain\n\nid=%s\n' "\$QUERY_STRING"
EOF
	# Holds its request until the file go.NAME (or go) appears, at most
	# 30 s, NAME its QUERY_STRING: in flight for as long as a test needs.
	cat >"$CGI_BIN/hold.cgi" <<EOF
#!/bin/sh
echo \$\$ >'$v/hold.'"\$QUERY_STRING"
i=0
while [ ! -e '$v/go.'"\$QUERY_STRING" ] && [ ! -e '$v/go' ] && [ \$i -lt 600 ]; do
	sleep 0.05
	i=\$((i + 1))
done
printf 'Content-Type: text/plain\n\nid=%s\n' "\$QUERY_STRING"
EOF
	chmod 755 "$CGI_BIN"/*.cgi
	# A record of another request, ignored, that fills one --pace piece
	# (4096 bytes): a delay inside a spec.
	PAD="stdin 9 $(head -c 4088 /dev/zero | tr '\0' p)"
	export PAD
}

teardown_file() {
	server_stop
}

# Each test's daemon, and what is left of its process group, goes with it.
teardown() {
	local pid
	fcgi_session_stop
	# Long requests of a failed test end, and their clients with them.
	[ -z "${SERVER_VAR:-}" ] || : >"$SERVER_VAR/go"
	for pid in ${LONG_PIDS:-}; do
		kill -TERM "$pid" 2>/dev/null || true
	done
	# shellcheck disable=SC2086 # the daemons' pids
	stop_daemons ${TEST_PIDS:-}
}

# daemon_s NAME [ARG ...]: a daemon binding $SERVER_ROOT/fcgi/NAME.sock
# itself (-s) with one worker; sets FCGI_SOCK, CW_PID, WORKER.
daemon_s() {
	FCGI_SOCK=$(fcgi_dir)/$1.sock
	shift
	export FCGI_SOCK
	cors_wrap_start "$FCGI_SOCK" CORS_ORIGINS=$O CORS_LOG_LEVEL=info -c 1 "$@"
	TEST_PIDS="${TEST_PIDS:-} $CW_PID"
	worker_init
}

# daemon_spawn NAME: the same behind spawn-fcgi, the listener on fd 0.
daemon_spawn() {
	FCGI_SOCK=$(fcgi_dir)/$1.sock
	export FCGI_SOCK
	spawn_fcgi_start "$FCGI_SOCK" /usr/bin/env CORS_ORIGINS=$O CORS_LOG_LEVEL=info \
		"$SERVER_CORS_WRAP" -c 1
	CW_PID=$SPAWN_PID
	export CW_PID
	TEST_PIDS="${TEST_PIDS:-} $CW_PID"
	worker_init
}

# params_of SCRIPT [NAME=VALUE ...]: the words of request 1's params for
# SCRIPT.
params_of() {
	local s=$1
	shift
	fcgi_words GATEWAY_INTERFACE=CGI/1.1 SERVER_PROTOCOL=HTTP/1.1 REQUEST_METHOD=POST \
		SCRIPT_FILENAME="$CGI_BIN/$s" HTTP_ORIGIN=$O "$@"
}

# abort_early begin|params: request 1 aborted right after BEGIN_REQUEST, or
# in the middle of its PARAMS.
abort_early() {
	if [ "$1" = begin ]; then
		fcgi_talk "begin 1
abort 1"
	else
		fcgi_talk "begin 1
params 1 $(params_of hello.cgi)
abort 1"
	fi
	aborted
}

# id_bg NAME SECONDS: in the background ($fcgi_pid), a request of id.cgi
# called NAME that answers after SECONDS; returns once its script runs.
id_bg() {
	rm -f "$SERVER_VAR/id.$1"
	fcgi_request_bg "$BATS_TEST_TMPDIR/id.$1" SCRIPT_FILENAME="$CGI_BIN/id.cgi" \
		QUERY_STRING="$1" HTTP_X_SLEEP="$2" HTTP_ORIGIN=$O
	wait_for_path "$SERVER_VAR/id.$1" 5
}

# hold_bg NAME: in the background ($fcgi_pid), a request of hold.cgi called
# NAME, in flight until release NAME; returns once its script runs.
hold_bg() {
	rm -f "$SERVER_VAR/go" "$SERVER_VAR/go.$1" "$SERVER_VAR/hold.$1"
	fcgi_request_bg "$BATS_TEST_TMPDIR/id.$1" SCRIPT_FILENAME="$CGI_BIN/hold.cgi" \
		QUERY_STRING="$1" HTTP_ORIGIN=$O -- --timeout 40
	wait_for_path "$SERVER_VAR/hold.$1" 5
}

release() {
	: >"$SERVER_VAR/go.$1"
}

# id_answered NAME PID: request NAME's client, PID, got its own answer.
id_answered() {
	fcgi_wait "$2"
	fcgi_result "$BATS_TEST_TMPDIR/id.$1"
	assert_status 200
	assert_header Access-Control-Allow-Origin $O
	assert_equal "$body" "id=$1"
	has_record 'END 1 0 0'
}

# aborted: the talk ended with END_REQUEST for request 1 and the close.
aborted() {
	has_record 'END 1 0 0'
	assert_equal "$end" EOF
}

# gone FILE: the script whose pid FILE holds is stopped within 5 s.
gone() {
	wait_for_path "$SERVER_VAR/$1" 5
	wait_gone 5 "$(cat "$SERVER_VAR/$1")"
	rm -f "$SERVER_VAR/$1"
}

# abort_every_stage: FCGI_ABORT_REQUEST after BEGIN_REQUEST and in the
# middle of PARAMS (each on a connection no script has run on yet, whose
# spool never had a file), before BEGIN_REQUEST, after the end of PARAMS, in
# the middle of STDIN, after its end, while the script's answer flows and
# while it is spooled; after each the worker has its descriptors and no
# child, and serves.
abort_every_stage() {
	local held
	# The worker's first connection: no script has run on it yet.
	abort_early begin
	settled

	# Another connection on a fresh slot, the first being busy.
	id_bg H 1
	held=$fcgi_pid
	abort_early params
	id_answered H "$held"
	settled

	# An abort of no request changes nothing.
	fcgi_talk "abort 1
begin 1
params 1 $(params_of hello.cgi)
params 1
stdin 1"
	assert_equal "$body" hello
	has_record 'END 1 0 0'
	settled

	fcgi_talk "begin 1
params 1 $(params_of echo.cgi)
params 1
abort 1"
	aborted
	settled

	fcgi_talk "begin 1
params 1 $(params_of echo.cgi)
params 1
stdin 1 some\sof\sthe\sbody
abort 1"
	aborted
	settled

	fcgi_talk "begin 1
params 1 $(params_of slow.cgi)
params 1
stdin 1
abort 1"
	aborted
	# Stopped, perhaps before it wrote its pid: settled sees no child.
	settled
	rm -f "$SERVER_VAR/slow.pid"

	# The abort comes about 1 s after the request: the answer flows.
	fcgi_talk "begin 1
params 1 $(params_of slow.cgi)
params 1
stdin 1
$PAD
$PAD
$PAD
abort 1" --pace 350
	aborted
	has_record 'STDOUT [0-9]+'
	[[ $body == line\ 0* ]]
	gone slow.pid
	settled

	# The body has not ended: the 1 MiB answer waits in the spool.
	fcgi_talk "begin 1
params 1 $(params_of big.cgi)
params 1
stdin 1 part\sof\sthe\sbody
$PAD
$PAD
$PAD
abort 1" --pace 350
	aborted
	gone big.pid
	settled
}

@test "fastcgi: FCGI_ABORT_REQUEST at every stage of a request, with -s: each ends its request, and the worker keeps its descriptors and serves" {
	daemon_s abort
	abort_every_stage
}

@test "fastcgi: FCGI_ABORT_REQUEST at every stage of a request, behind spawn-fcgi (the listener on fd 0): the worker keeps its listener and serves" {
	daemon_spawn abortfd0
	abort_every_stage
}

# crosstalk: two clients at once, between aborts before the end of PARAMS,
# each get their own answer and no other's.
crosstalk() {
	local a c
	abort_early begin
	id_bg A 2
	a=$fcgi_pid
	abort_early params
	id_bg C 3
	c=$fcgi_pid
	id_answered A "$a"
	id_answered C "$c"
	settled
}

@test "fastcgi: aborts before the end of PARAMS between clients at once, with -s: each client gets its own answer, never another's" {
	daemon_s cross
	crosstalk
}

@test "fastcgi: aborts before the end of PARAMS between clients at once, behind spawn-fcgi: each client gets its own answer" {
	daemon_spawn crossfd0
	crosstalk
}

# ---- reloads

# max_age_is N: a preflight gets Max-Age N (the configuration in use).
max_age_is() {
	fcgi_request REQUEST_METHOD=OPTIONS SCRIPT_FILENAME="$CGI_BIN/hello.cgi" HTTP_ORIGIN=$O \
		HTTP_ACCESS_CONTROL_REQUEST_METHOD=PUT
	assert_status 204
	assert_header Access-Control-Allow-Origin $O
	assert_header Access-Control-Max-Age "$1"
}

# write_ini N [touch]: the INI file with max_age 1000 + N, always as long,
# its inode and mtime kept (a reload must come from SIGHUP) unless touch
# gives it an mtime of its own.
write_ini() {
	printf 'origins = %s\nmax_age = %d\n' "$O" $((1000 + $1)) >"$INI"
	if [ "${2:-}" = touch ]; then
		touch -d "@$((1700000000 + $1))" "$INI"
	else
		touch -d @1700000000 "$INI"
	fi
}

# reloads HOW: more long requests than the worker caches configurations
# (64), each started after a reload (HOW: hup, or touch: a changed INI file),
# so that each holds a configuration no new request may use.  New requests
# and preflights get the new configuration meanwhile, and the long ones
# finish with their answers.  Some 200 requests: one fcgi.pl session sends
# them all, and waits for each script in it.
reloads() {
	local how=$1 n=66 i k pids=()
	INI=$SERVER_VAR/reload.ini
	export INI
	write_ini 0 "$how"
	# -j above n: every long request runs at once, none waits in the queue.
	daemon_s "reload-$how" --config "$INI" -j 100
	rm -f "$SERVER_VAR"/go "$SERVER_VAR"/gate.*
	fcgi_session_start
	for ((i = 1; i <= n; i++)); do
		max_age_is $((1000 + i - 1))
		fcgi_request_bg "$BATS_TEST_TMPDIR/long$i" SCRIPT_FILENAME="$CGI_BIN/gate.cgi" \
			QUERY_STRING=$i HTTP_ORIGIN=$O -- --timeout 150
		pids+=("$fcgi_pid")
		LONG_PIDS="${LONG_PIDS:-} $fcgi_pid"
		fcgi_session path "$SERVER_VAR/gate.$i" 10
		[ "$REPLY" = 0 ] || {
			echo "the script of long request $i did not start within 10 s" >&2
			return 1
		}
		write_ini "$i" "$how"
		[ "$how" = hup ] || continue
		kill -HUP "$CW_PID"
		# Until the worker has it (a bounded wait, not a timing).
		for ((k = 0; k < 100; k++)); do
			max_age_is $((1000 + i)) 2>/dev/null && break
			fcgi_session sleep 0.05
		done
	done
	max_age_is $((1000 + n))
	fcgi_request SCRIPT_FILENAME="$CGI_BIN/hello.cgi" HTTP_ORIGIN=$O
	assert_status 200
	assert_header Access-Control-Allow-Origin $O
	assert_equal "$body" hello
	: >"$SERVER_VAR/go"
	for ((i = 1; i <= n; i++)); do
		fcgi_wait "${pids[i - 1]}"
		fcgi_result "$BATS_TEST_TMPDIR/long$i"
		assert_status 200
		assert_header Access-Control-Allow-Origin $O
		assert_equal "$body" "id=$i"
	done
	settled 10
}

@test "fastcgi: SIGHUP while 66 long requests each hold the configuration they started with: new requests and preflights get the new one, and the long ones finish" {
	reloads hup
}

@test "fastcgi: a changed INI file while 66 long requests each hold the configuration they started with: new requests and preflights get the new one, and the long ones finish" {
	reloads touch
}

# ---- SIGTERM

# daemon_tcp: a daemon binding tcp:127.0.0.1:PORT itself, two workers.
daemon_tcp() {
	local port as i
	local -a prefix=()
	port=$(free_port)
	FCGI_SOCK=tcp:127.0.0.1:$port
	export FCGI_SOCK
	fcgi_dir >/dev/null
	while IFS= read -r as; do prefix+=("$as"); done < <(server_run_as)
	server_spawn "$SERVER_ROOT/logs/cors-wrap.log" "${prefix[@]}" \
		env -i PATH=/usr/local/bin:/usr/bin:/bin CORS_ORIGINS=$O \
		"$SERVER_CORS_WRAP" -s "$FCGI_SOCK" -c 2
	CW_PID=$SPAWN_PID
	export CW_PID
	TEST_PIDS="${TEST_PIDS:-} $CW_PID"
	for ((i = 0; i < 100; i++)); do
		(: <>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && return 0
		sleep 0.1
	done
	echo "nothing listens on $FCGI_SOCK" >&2
	return 1
}

# refused_soon: within 3 s a connect to $FCGI_SOCK is refused
# (ECONNREFUSED); no connection waits in a backlog to be reset later.
refused_soon() {
	perl -MIO::Socket::INET -MIO::Socket::UNIX -MSocket=SOCK_STREAM -MTime::HiRes=time,sleep -e '
		my $p = shift;
		my $end = time + 3;
		while (time < $end) {
			my $s = $p =~ /\Atcp:(.+):(\d+)\z/ ?
			    IO::Socket::INET->new(Proto => "tcp", PeerAddr => $1, PeerPort => $2) :
			    IO::Socket::UNIX->new(Type => SOCK_STREAM, Peer => $p);
			if (!$s) {
				exit 0 if $!{ECONNREFUSED};
				print STDERR "connect $p: $!\n";
				exit 1;
			}
			close $s;
			sleep 0.1;
		}
		print STDERR "connections to $p still accepted 3 s after SIGTERM\n";
		exit 1' "$FCGI_SOCK"
}

# stop_in_flight: SIGTERM to the master while a request is held in flight:
# new connections are refused at once, while that request, released then,
# finishes with its answer; then every process exits.
stop_in_flight() {
	local f w
	w=$(children "$CW_PID" | paste -sd' ')
	hold_bg F
	f=$fcgi_pid
	kill -TERM "$CW_PID"
	refused_soon
	alive "$(cat "$SERVER_VAR/hold.F")" || {
		echo 'the request in flight ended before the check' >&2
		return 1
	}
	release F
	id_answered F "$f"
	# shellcheck disable=SC2086 # the workers' pids
	wait_gone 5 "$CW_PID" $w
}

@test "fastcgi: SIGTERM with -s unix: new connections are refused at once while the request in flight finishes" {
	daemon_s term -c 2
	stop_in_flight
}

@test "fastcgi: SIGTERM with -s tcp: new connections are refused at once while the request in flight finishes" {
	daemon_tcp
	stop_in_flight
}

@test "fastcgi: SIGTERM behind spawn-fcgi: the socket on fd 0 is ours to close: new connections are refused at once while the request in flight finishes" {
	daemon_spawn termfd0
	stop_in_flight
}

@test "fastcgi: SIGTERM under socket activation: systemd's socket (fd 3) stays open for the next start while the request in flight finishes" {
	local f p
	FCGI_SOCK=$(fcgi_dir)/termfd3.sock
	export FCGI_SOCK
	# shellcheck disable=SC2016 # for the inner shell
	spawn_fcgi_start "$FCGI_SOCK" /bin/sh -c \
		'exec 3<&0 </dev/null; export LISTEN_FDS=1 LISTEN_PID=$$ CORS_ORIGINS=$1; exec "$0" -c 1' \
		"$SERVER_CORS_WRAP" "$O"
	CW_PID=$SPAWN_PID
	TEST_PIDS="${TEST_PIDS:-} $CW_PID"
	worker_init
	hold_bg F
	f=$fcgi_pid
	kill -TERM "$CW_PID"
	# Time for the worker to take the signal (what must not happen
	# is checked after it).
	sleep 0.5
	for p in "$CW_PID" "$WORKER"; do
		[[ $(readlink "/proc/$p/fd/3") == socket:* ]] || {
			echo "process $p closed systemd's socket" >&2
			return 1
		}
	done
	unix_listening "$FCGI_SOCK"
	release F
	id_answered F "$f"
	wait_gone 5 "$CW_PID" "$WORKER"
}

# refused_within MS: SIGTERM to the master, then a connect to $FCGI_SOCK
# every 10 ms: the first refused (ECONNREFUSED) must come within MS ms.
refused_within() {
	perl -MIO::Socket::UNIX -MSocket=SOCK_STREAM -MTime::HiRes=time,sleep -e '
		my ($p, $pid, $ms) = @ARGV;
		my $t0 = time;
		kill "TERM", $pid or die "kill $pid: $!\n";
		while (time < $t0 + 3) {
			my $s = IO::Socket::UNIX->new(Type => SOCK_STREAM, Peer => $p);
			if (!$s) {
				die "connect $p: $!\n" unless $!{ECONNREFUSED};
				my $took = (time - $t0) * 1000;
				printf STDERR "refused %.0f ms after SIGTERM\n", $took;
				exit($took <= $ms ? 0 : 1);
			}
			close $s;
			sleep 0.01;
		}
		print STDERR "connections still accepted 3 s after SIGTERM\n";
		exit 1' "$FCGI_SOCK" "$CW_PID" "$1"
}

@test "fastcgi: SIGTERM while the master waits to restart a worker that died young: new connections are refused at once, not after the pause" {
	local w i
	daemon_s young
	# The replacement of a worker that lived less than a second starts a
	# second after its death; the master must hear signals meanwhile.
	# The first worker is old enough to be replaced at once; the kills
	# come early in a second of the wall clock, so that the replacement
	# killed at once lived less than a second however its age is counted.
	sleep 1.1
	perl -MTime::HiRes=time,sleep -e 'sleep(1.02 - (time - int(time)))'
	kill -KILL "$WORKER"
	for ((i = 0; i < 50; i++)); do
		w=$(children "$CW_PID")
		[ -z "$w" ] || [ "$w" = "$WORKER" ] || break
		sleep 0.1
	done
	[ -n "$w" ] && [ "$w" != "$WORKER" ] || {
		echo "no new worker under $CW_PID" >&2
		return 1
	}
	kill -KILL "$w"
	sleep 0.2
	refused_within 300
	wait_gone 5 "$CW_PID"
}
