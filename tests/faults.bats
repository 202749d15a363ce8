#!/usr/bin/env bats
# Faulty scripts, in CGI mode and against the FastCGI daemon directly (one
# worker, -t 3, CORS_ORIGINS=https://a.example, log level info): each gets a
# defined answer (502 or 504 with the CORS headers, or a connection closed
# when part of the answer is out), a log line, and leaves no process, zombie
# or descriptor behind; the worker serves on.

# shellcheck disable=SC2154 # $status, $body, $log, ... are set by the helpers
load lib/common
load lib/servers
load lib/fcgi

O=https://a.example
# -t of the daemon: scripts must be able to start and write within it on a
# loaded machine.
T=3

setup_file() {
	server_init faults
	local v=$SERVER_VAR
	# hello.cgi is what settled (lib/fcgi.bash) asks for.
	cat >"$CGI_BIN/hello.cgi" <<'EOF'
#!/bin/sh
printf 'Content-Type: text/plain\n\nhello\n'
EOF
	cat >"$CGI_BIN/crash.cgi" <<'EOF'
#!/bin/sh
kill -SEGV $$
EOF
	cat >"$CGI_BIN/exit1.cgi" <<'EOF'
#!/bin/sh
echo 'exit1.cgi fails' >&2
exit 1
EOF
	# 1 MiB in 128 lines (the limit on lines is 256).
	cat >"$CGI_BIN/bigheader.cgi" <<'EOF'
#!/bin/sh
exec awk 'BEGIN { printf "Content-Type: text/plain\n"
	for (i = 0; i < 128; i++) printf "X-Pad-%05d: %08182d\n", i, 0
	printf "\nbody\n" }'
EOF
	cat >"$CGI_BIN/nocolon.cgi" <<'EOF'
#!/bin/sh
printf 'Content-Type: text/plain\r\nthis is not a header\r\n\r\nbody\n'
EOF
	cat >"$CGI_BIN/noblank.cgi" <<'EOF'
#!/bin/sh
printf 'Content-Type: text/plain\r\nX-A: 1\r\n'
EOF
	# Headers and part of a body, then a child that sleeps.
	cat >"$CGI_BIN/hang.cgi" <<EOF
#!/bin/sh
printf 'Content-Type: text/plain\n\npartial\n'
sleep 301 &
echo "\$\$ \$!" >'$v/hang.pids'
wait
EOF
	# SIGTERM ignored by the script and by its child.
	cat >"$CGI_BIN/stubborn.cgi" <<EOF
#!/bin/sh
trap '' TERM
sleep 304 &
echo "\$\$ \$!" >'$v/stubborn.pids'
wait
EOF
	# The script obeys SIGTERM; the child it leaves does not.
	cat >"$CGI_BIN/stubchild.cgi" <<EOF
#!/bin/sh
(trap '' TERM; exec sleep 305) &
echo "\$\$ \$!" >'$v/stubchild.pids'
wait
EOF
	# The whole answer, then stdout closed; it ends when told to (the
	# file closer.go), or after 10 s.
	cat >"$CGI_BIN/closer.cgi" <<EOF
#!/bin/sh
printf 'Content-Type: text/plain\n\nclosed\n'
exec >&-
echo \$\$ >'$v/closer.pids'
i=0
while [ ! -e '$v/closer.go' ] && [ \$i -lt 200 ]; do sleep 0.05; i=\$((i + 1)); done
[ -e '$v/closer.go' ] && : >'$v/closer.done'
EOF
	# The whole answer, then it exits; its child holds stdout.
	cat >"$CGI_BIN/grand.cgi" <<EOF
#!/bin/sh
printf 'Content-Type: text/plain\n\nwhole answer\n'
sleep 303 &
echo "\$\$ \$!" >'$v/grand.pids'
EOF
	cat >"$CGI_BIN/noread.cgi" <<'EOF'
#!/bin/sh
printf 'Content-Type: text/plain\n\nno thanks\n'
EOF
	cat >"$CGI_BIN/noreadhang.cgi" <<EOF
#!/bin/sh
printf 'Content-Type: text/plain\n\nno thanks\n'
echo \$\$ >'$v/noreadhang.pids'
exec sleep 306
EOF
	cat >"$CGI_BIN/slow.cgi" <<EOF
#!/bin/sh
echo \$\$ >'$v/slow.pids'
printf 'Content-Type: text/plain\n\n'
i=0
while [ \$i -lt 300 ]; do echo "line \$i of a slow answer"; sleep 0.05; i=\$((i + 1)); done
EOF
	chmod 755 "$CGI_BIN"/*.cgi
	FCGI_SOCK=$(fcgi_dir)/faults.sock
	export FCGI_SOCK
	cors_wrap_start "$FCGI_SOCK" CORS_ORIGINS=$O CORS_LOG_LEVEL=info -c 1 -t $T -f
	worker_init
	DAEMON_LOG=$SERVER_ROOT/logs/cors-wrap.log
	export DAEMON_LOG
}

teardown_file() {
	server_stop
}

setup() {
	rm -f "$SERVER_VAR"/*.pids "$SERVER_VAR"/closer.go "$SERVER_VAR"/closer.done
	TEST_PIDS=
	TEST_DAEMON=
}

# A failed test leaves nothing running: the cors-wrap it started, and the
# scripts it ran (only processes still running one of this file's scripts or
# sleeps, in case a pid has been reused).
teardown() {
	local p f cmd
	if [ -n "$TEST_DAEMON" ]; then
		kill -TERM "$TEST_DAEMON" 2>/dev/null || true
		wait_gone 10 "$TEST_DAEMON" || kill -KILL -- "-$TEST_DAEMON" 2>/dev/null || true
	fi
	for p in $TEST_PIDS; do
		kill -KILL "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
	for f in "$SERVER_VAR"/*.pids; do
		[ -e "$f" ] || continue
		for p in $(cat "$f"); do
			cmd=$(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null) || continue
			[[ $cmd == *"$CGI_BIN"/* || $cmd =~ ^sleep\ 30[0-9]\ $ ]] || continue
			kill -KILL "$p" 2>/dev/null || true
		done
	done
}

# script_pids NAME: the pids NAME.cgi wrote, after waiting up to 5 s for it.
script_pids() {
	wait_for_path "$SERVER_VAR/$1.pids" 5 || return 1
	local i
	for ((i = 0; i < 50; i++)); do
		[ -s "$SERVER_VAR/$1.pids" ] && break
		sleep 0.1
	done
	cat "$SERVER_VAR/$1.pids"
}

# run_cgi SCRIPT [VAR=VALUE ...]: cors-wrap as a CGI running $CGI_BIN/SCRIPT
# for a GET from $O, in the foreground (see cgi in lib/common.bash).
run_cgi() {
	local s=$1
	shift
	cgi CORS_EXEC="$CGI_BIN/$s" CORS_ORIGINS=$O REQUEST_URI="/$s" SCRIPT_NAME="/$s" \
		HTTP_ORIGIN=$O "$@"
}

# start_cgi SCRIPT [VAR=VALUE ...]: the same in the background (SCRIPT may
# be a path), its output in $cgi_out and $cgi_err ($BATS_TEST_TMPDIR/NAME.out
# and .err, NAME the script's name); $cgi_pid is cors-wrap's.
start_cgi() {
	local s=$1
	shift
	[[ $s == /* ]] || s=$CGI_BIN/$s
	cgi_out=$BATS_TEST_TMPDIR/${s##*/}.out
	cgi_err=$BATS_TEST_TMPDIR/${s##*/}.err
	env -i PATH=/usr/local/bin:/usr/bin:/bin GATEWAY_INTERFACE=CGI/1.1 REQUEST_METHOD=GET \
		CORS_EXEC="$s" CORS_ORIGINS=$O REQUEST_URI=/x SCRIPT_NAME=/x \
		HTTP_ORIGIN=$O "$@" "$CORS_WRAP" </dev/null >"$cgi_out" 2>"$cgi_err" &
	cgi_pid=$!
	TEST_PIDS="$TEST_PIDS $cgi_pid"
}

# wait_for_text FILE TEXT [SECONDS]: FILE contains TEXT within SECONDS (5).
wait_for_text() {
	local i
	for ((i = 0; i < ${3:-5} * 20; i++)); do
		grep -qF -- "$2" "$1" 2>/dev/null && return 0
		sleep 0.05
	done
	printf '[%s] did not appear in %s within %s s:\n' "$2" "$1" "${3:-5}" >&2
	cat "$1" >&2
	return 1
}

# wait_exit PID [SECONDS]: waits for the background PID (default 10 s) and
# sets $rc to its exit status and $took to the milliseconds it took.
wait_exit() {
	local start i
	start=$(date +%s%3N)
	for ((i = 0; i < ${2:-10} * 20; i++)); do
		alive "$1" || break
		sleep 0.05
	done
	if alive "$1"; then
		printf 'pid %s still runs after %s s\n' "$1" "${2:-10}" >&2
		return 1
	fi
	rc=0
	wait "$1" || rc=$?
	took=$(($(date +%s%3N) - start))
}

# fcgi_get SCRIPT [NAME=VALUE ...] [-- TALK_ARG ...]: a GET of
# $CGI_BIN/SCRIPT from $O straight to the daemon.
fcgi_get() {
	local s=$1
	shift
	fcgi_request REQUEST_URI="/$s" SCRIPT_NAME="/$s" SCRIPT_FILENAME="$CGI_BIN/$s" \
		HTTP_ORIGIN=$O "$@"
}

# no_end_request: the daemon closed the connection without FCGI_END_REQUEST.
no_end_request() {
	if [[ $'\n'$talk == *$'\n'END\ * ]]; then
		printf 'FCGI_END_REQUEST was sent:\n%s\n' "$talk" >&2
		return 1
	fi
}

# fcgi_get_bg PREFIX SCRIPT [NAME=VALUE ...] [-- TALK_ARG ...]: fcgi_get in
# the background ($fcgi_pid); fcgi_result PREFIX when it is done.
fcgi_get_bg() {
	local prefix=$1 s=$2
	shift 2
	fcgi_request_bg "$prefix" REQUEST_URI="/$s" SCRIPT_NAME="/$s" \
		SCRIPT_FILENAME="$CGI_BIN/$s" HTTP_ORIGIN=$O "$@"
}

# cors_error STATUS: cors-wrap's own answer STATUS with the CORS headers.
cors_error() {
	assert_status "$1"
	assert_header Access-Control-Allow-Origin $O
	assert_header Vary Origin
	assert_equal "$(header_count Status)" 1
}

# ---- CGI mode -----------------------------------------------------------------

@test "cgi: a script that exits 1 without output gets 502 with CORS headers and a log line naming status 1" {
	run_cgi exit1.cgi
	assert_equal "$status" 1
	cors_error 502
	[[ $log == *'exit1.cgi fails'* ]]
	printf '%s\n' "$log" | grep -qx "cors-wrap: error: $CGI_BIN/exit1.cgi: no output (the script exited with status 1)"
}

# tmp_script NAME BODY: an executable /bin/sh script in the test's directory.
tmp_script() {
	printf '#!/bin/sh\n%s\n' "$2" >"$BATS_TEST_TMPDIR/$1"
	chmod 755 "$BATS_TEST_TMPDIR/$1"
}

@test "cgi: a script is stopped, never waited for, when it wrote a malformed header (the 502 first), on the server's SIGTERM (exit 143) and when the client is gone; SIGKILL 2 s after a SIGTERM it ignores" {
	local v=$SERVER_VAR pid
	local -a hang
	# Side by side, the waits overlap.
	tmp_script badstub.cgi "trap '' TERM
printf 'garbage\\n\\n'
echo \$\$ >'$v/badstub.pids'
exec sleep 308"
	tmp_script stub.cgi "trap '' TERM
printf 'Content-Type: text/plain\\n\\npartial\\n'
echo \$\$ >'$v/stub.pids'
exec sleep 309"
	tmp_script stubstream.cgi "trap '' TERM PIPE
echo \$\$ >'$v/stubstream.pids'
printf 'Content-Type: text/plain\\n\\n'
i=0
while [ \$i -lt 600 ]; do echo \"line \$i\"; sleep 0.05; i=\$((i + 1)); done 2>/dev/null"
	start_cgi "$BATS_TEST_TMPDIR/badstub.cgi"
	local bad=$cgi_pid bad_out=$cgi_out bad_err=$cgi_err
	start_cgi hang.cgi
	local obeys=$cgi_pid obeys_out=$cgi_out
	start_cgi "$BATS_TEST_TMPDIR/stub.cgi"
	local stub=$cgi_pid stub_out=$cgi_out
	# head leaves after 300 bytes: the client is gone.
	(
		env -i PATH=/usr/bin:/bin GATEWAY_INTERFACE=CGI/1.1 REQUEST_METHOD=GET \
			CORS_LOG_LEVEL=info CORS_EXEC="$BATS_TEST_TMPDIR/stubstream.cgi" \
			HTTP_ORIGIN=$O REQUEST_URI=/s "$CORS_WRAP" </dev/null \
			2>"$BATS_TEST_TMPDIR/stream.err" | head -c 300 >/dev/null
		echo "${PIPESTATUS[0]}" >"$BATS_TEST_TMPDIR/stream.rc"
	) 3>&- &
	local gone=$!
	TEST_PIDS="$TEST_PIDS $gone"

	# The server gives up on two of them.
	wait_for_text "$obeys_out" partial
	wait_for_text "$stub_out" partial
	pid=$(script_pids hang)
	read -ra hang <<<"$pid"
	pid=$(script_pids stub)
	kill -TERM "$obeys" "$stub"
	# The one that obeys ends at once, cors-wrap with it.
	wait_exit "$obeys" 3
	assert_equal "$rc" 143
	[ "$took" -lt 1000 ]
	wait_gone 2 "${hang[0]}"
	# The one that does not gets SIGKILL 2 s later (Apache's mod_cgid
	# sends cors-wrap SIGKILL 3 s after its SIGTERM).
	wait_exit "$stub" 5
	assert_equal "$rc" 143
	[ "$took" -ge 1500 ]
	[ "$took" -lt 3000 ]
	refute alive "$pid"
	raw=$stub_out
	assert_header Access-Control-Allow-Origin $O

	# The malformed header: the 502 is out after a second of waiting for
	# an exit status, the script is stopped after it.
	wait_for_text "$bad_out" '502 Bad Gateway' 3
	pid=$(script_pids badstub)
	wait_exit "$bad" 6
	assert_equal "$rc" 1
	refute alive "$pid"
	grep -qx "cors-wrap: error: .*badstub.cgi: malformed header line: \"garbage\" (the script did not exit; stopped)" "$bad_err"
	raw=$bad_out
	cors_error 502

	# The client gone: logged at info, the script stopped.
	wait_exit "$gone" 6
	assert_equal "$(cat "$BATS_TEST_TMPDIR/stream.rc")" 1
	refute alive "$(script_pids stubstream)"
	grep -qx "cors-wrap: info: .*stubstream.cgi: write failed while relaying the answer: Broken pipe" \
		"$BATS_TEST_TMPDIR/stream.err"
}

@test "cgi: a script that closes its output and keeps running: the answer ends before the script does" {
	local fifo=$BATS_TEST_TMPDIR/out.fifo got pid
	mkfifo "$fifo"
	env -i PATH=/usr/bin:/bin GATEWAY_INTERFACE=CGI/1.1 REQUEST_METHOD=GET \
		CORS_EXEC="$CGI_BIN/closer.cgi" HTTP_ORIGIN=$O REQUEST_URI=/c "$CORS_WRAP" \
		</dev/null >"$fifo" 2>"$BATS_TEST_TMPDIR/err" &
	cgi_pid=$!
	TEST_PIDS=$cgi_pid
	# The whole answer, up to its end, while the script still runs.
	got=$(timeout 5 cat "$fifo")
	pid=$(script_pids closer)
	alive "$pid"
	alive "$cgi_pid"
	[[ $got == *Access-Control-Allow-Origin:\ $O* && $got == *closed ]]
	: >"$SERVER_VAR/closer.go"
	wait_exit "$cgi_pid" 5
	assert_equal "$rc" 0
	[ -e "$SERVER_VAR/closer.done" ]
}

@test "cgi: a grandchild holding the output keeps the answer open until it lets go, as for any CGI" {
	cat >"$BATS_TEST_TMPDIR/grand2.cgi" <<EOF
#!/bin/sh
printf 'Content-Type: text/plain\n\nwhole answer\n'
(i=0; while [ ! -e '$SERVER_VAR/grand2.go' ] && [ \$i -lt 200 ]; do sleep 0.05; i=\$((i + 1)); done) &
echo "\$\$ \$!" >'$SERVER_VAR/grand2.pids'
EOF
	chmod 755 "$BATS_TEST_TMPDIR/grand2.cgi"
	start_cgi "$BATS_TEST_TMPDIR"/grand2.cgi
	local pids
	pids=$(script_pids grand2)
	read -ra pids <<<"$pids"
	wait_for_text "$cgi_out" 'whole answer'
	wait_gone 2 "${pids[0]}"
	alive "$cgi_pid"
	: >"$SERVER_VAR/grand2.go"
	wait_exit "$cgi_pid" 5
	assert_equal "$rc" 0
	[ ! -s "$cgi_err" ]
}

@test "cgi: cors-wrap reads none of the request body: a 100 MB upload the script ignores is left unread" {
	local upload=$BATS_TEST_TMPDIR/upload
	truncate -s 100M "$upload"
	exec 5<"$upload"
	cgi CORS_EXEC="$CGI_BIN/noread.cgi" HTTP_ORIGIN=$O REQUEST_URI=/n REQUEST_METHOD=POST \
		CONTENT_LENGTH=104857600 CONTENT_TYPE=application/octet-stream <&5
	local pos
	pos=$(awk '/^pos:/ { print $2 }' "/proc/$$/fdinfo/5")
	exec 5<&-
	assert_equal "$status" 0
	assert_status 200
	assert_header Access-Control-Allow-Origin $O
	assert_equal "$body" 'no thanks'
	assert_equal "$pos" 0
}

# ---- FastCGI mode -------------------------------------------------------------

@test "fastcgi: a script that fails before a valid header block gets 502 with CORS headers and a log line naming the cause, and leaves nothing behind" {
	local -a cases=(
		'crash.cgi|no output \(the script killed by signal 11 '
		'exit1.cgi|no output \(the script exited with status 1\)'
		'bigheader.cgi|header block larger than 64 KiB \(the script '
		'nocolon.cgi|malformed header line: "this is not a header" \(the script '
		'noblank.cgi|end of output before the blank line ending the headers \(the script exited with status 0\)'
	)
	local c
	for c in "${cases[@]}"; do
		fcgi_get "${c%%|*}"
		cors_error 502
		has_record 'END 1 0 0'
		in_log "^cors-wrap: error: $CGI_BIN/${c%%|*}: ${c#*|}"
		refute_header X-A
		refute_header X-Pad-00000
	done
	settled
}

@test "fastcgi: what a failing script writes to stderr reaches the daemon's log" {
	fcgi_get exit1.cgi
	in_log '^exit1.cgi fails$'
	settled
}

@test "fastcgi: scripts still running at -t are stopped with their whole process group: 504 with CORS headers, or the answer cut off once part of it is out, and a log line" {
	local d=$BATS_TEST_TMPDIR n p
	local -a waits=() pids=()
	# All at once, on connections of their own: the worker serves them
	# side by side.
	for n in hang stubborn stubchild grand closer; do
		fcgi_get_bg "$d/$n" "$n.cgi"
		waits+=("$fcgi_pid")
	done
	fcgi_get_bg "$d/noreadhang" noreadhang.cgi REQUEST_METHOD=POST CONTENT_LENGTH=104857600 \
		CONTENT_TYPE=application/octet-stream -- --body 1:104857600
	waits+=("$fcgi_pid")
	for p in "${waits[@]}"; do wait "$p"; done

	# Headers, then a hang: what is out stays out; no FCGI_END_REQUEST,
	# so that the server sees the answer is incomplete.
	fcgi_result "$d/hang"
	assert_header Access-Control-Allow-Origin $O
	assert_equal "$body" partial
	assert_equal "$end" EOF
	no_end_request
	in_log "^cors-wrap: error: $CGI_BIN/hang.cgi: timed out, silent for $T s; stopping it$"
	# Ignores SIGTERM, and so does its child.
	fcgi_result "$d/stubborn"
	cors_error 504
	has_record 'END 1 0 0'
	in_log "^cors-wrap: error: $CGI_BIN/stubborn.cgi: timed out, silent for $T s; stopping it$"
	# Obeys SIGTERM, but its child does not.
	fcgi_result "$d/stubchild"
	cors_error 504
	# Exits after its whole answer, leaving a child that holds its output.
	fcgi_result "$d/grand"
	assert_equal "$body" 'whole answer'
	no_end_request
	in_log "^cors-wrap: error: $CGI_BIN/grand.cgi: timed out, silent for $T s: the script exited with status 0, but a process it left holds its output; stopping it$"
	# Closes its output after the whole answer and keeps running: the
	# answer is complete, the script stopped at -t all the same.
	fcgi_result "$d/closer"
	assert_equal "$body" closed
	has_record 'END 1 0 0'
	# Never reads its 100 MB body, never exits.
	fcgi_result "$d/noreadhang"
	cors_error 504
	has_record 'END 1 0 0'
	in_log "^cors-wrap: error: $CGI_BIN/noreadhang.cgi: timed out, silent for $T s; stopping it$"

	for n in hang stubborn stubchild grand closer noreadhang; do
		p=$(script_pids "$n")
		read -ra p <<<"$p"
		pids+=("${p[@]}")
	done
	# SIGTERM at -t, SIGKILL to the group 2 s later.
	wait_gone 5 "${pids[@]}"
	[ ! -e "$SERVER_VAR/closer.done" ]
	settled
}

@test "fastcgi: a script that closes its output and keeps running: its answer ends at once, and it may finish" {
	fcgi_get closer.cgi
	assert_status 200
	assert_header Access-Control-Allow-Origin $O
	assert_equal "$body" closed
	has_record 'END 1 0 0'
	local pid
	pid=$(script_pids closer)
	alive "$pid"
	: >"$SERVER_VAR/closer.go"
	wait_gone 3 "$pid"
	[ -e "$SERVER_VAR/closer.done" ]
	settled
}

@test "fastcgi: a script that never reads a 100 MB upload and exits: its answer is sent once the body is read and dropped" {
	fcgi_get noread.cgi REQUEST_METHOD=POST CONTENT_LENGTH=104857600 \
		CONTENT_TYPE=application/octet-stream -- --body 1:104857600
	assert_status 200
	assert_header Access-Control-Allow-Origin $O
	assert_equal "$body" 'no thanks'
	has_record 'END 1 0 0'
	settled
}

@test "fastcgi: a client gone mid-answer: the daemon logs it and stops the script; the worker serves on" {
	local before pid
	before=$(line_count "$DAEMON_LOG")
	fcgi_get slow.cgi -- --read-max 400
	assert_equal "$end" READ_MAX
	pid=$(script_pids slow)
	wait_gone 3 "$pid"
	tail -n +"$((before + 1))" "$DAEMON_LOG" | grep -Eqx "cors-wrap: info: connection \
(closed by the server|failed|Broken pipe|Connection reset by peer) during a request; stopping $CGI_BIN/slow.cgi"
	settled
}

@test "fastcgi: answers cut off at -t hold no configuration: after 64 of them, each its own policy, a new one still loads" {
	local fan=$BATS_TEST_TMPDIR/fan
	# A daemon of its own, with time for 64 scripts to start under load.
	local FCGI_SOCK=$SERVER_ROOT/fcgi/cut.sock
	cors_wrap_start "$FCGI_SOCK" CORS_ORIGINS=$O -c 1 -t 4
	TEST_DAEMON=$CW_PID
	# As many at once as the worker caches (CONFCACHE_SLOTS), CORS_MAX_AGE
	# making each configuration another; each answer is cut off.
	printf 'begin 1\nparams 1 %s CORS_MAX_AGE=@I@\nparams 1\nstdin 1\n' "$(fcgi_words \
		REQUEST_METHOD=GET SCRIPT_FILENAME="$CGI_BIN/hang.cgi" HTTP_ORIGIN=$O)" |
		perl "$FCGI_PL" fan "$FCGI_SOCK" 64 --timeout 10 >"$fan"
	assert_equal "$(grep -c ' NOEND EOF$' "$fan")" 64
	fcgi_get hello.cgi CORS_MAX_AGE=1000
	assert_status 200
	assert_header Access-Control-Allow-Origin $O
}

# body_to SCRIPT BYTES: a POST of BYTES to $CGI_BIN/SCRIPT straight to the
# daemon, sent as fast as the daemon takes it, while the answer is read.
# Prints "sent N", "write failed" when the daemon closed before the body's
# end, the answer's status line, and "END" when FCGI_END_REQUEST came.
body_to() {
	python3 - "$FCGI_SOCK" "$CGI_BIN/$1" "$2" "$O" <<'PY'
import select, socket, struct, sys, time
path, script, n, origin = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
def rec(t, c):
    pad = (8 - len(c) % 8) % 8
    return struct.pack('>BBHHBB', 1, t, 1, len(c), pad, 0) + c + b'\0' * pad
def pair(k, v):
    l = lambda x: bytes([x]) if x < 128 else struct.pack('>I', x | 0x80000000)
    return l(len(k)) + l(len(v)) + k + v
params = {'GATEWAY_INTERFACE': 'CGI/1.1', 'SERVER_PROTOCOL': 'HTTP/1.1',
          'REQUEST_METHOD': 'POST', 'SCRIPT_FILENAME': script,
          'HTTP_ORIGIN': origin, 'CONTENT_LENGTH': str(n)}
s = socket.socket(socket.AF_UNIX)
s.connect(path)
s.sendall(rec(1, struct.pack('>HB5x', 1, 0)) +
          rec(4, b''.join(pair(k.encode(), v.encode()) for k, v in params.items())) +
          rec(4, b''))
s.setblocking(False)
left, pending, sent, failed, out = n, b'', 0, False, b''
end = time.time() + 30
while time.time() < end:
    if not pending and left >= 0:
        k = min(left, 65528)
        pending, left = rec(5, b'x' * k), (left - k if k > 0 else -1)
    r, w, _ = select.select([s], [s] if pending else [], [], 1)
    if w:
        try:
            m = s.send(pending)
            pending, sent = pending[m:], sent + m
        except OSError:
            pending, left, failed = b'', -1, True
    if r:
        try:
            d = s.recv(65536)
        except OSError:
            break
        if not d:
            break
        out += d
o, stdout, ended = 0, b'', False
while o + 8 <= len(out):
    _, t, _, cl, pl, _ = struct.unpack('>BBHHBB', out[o:o + 8])
    if t == 6:
        stdout += out[o + 8:o + 8 + cl]
    ended = ended or t == 3
    o += 8 + cl + pl
print('sent', sent)
if failed:
    print('write failed')
print(stdout.split(b'\r\n')[0].decode())
if ended:
    print('END')
PY
}

@test "fastcgi: a script that writes a malformed header and hangs, its unread body filling its input: the 502 goes out and the rest of the body is read and dropped, not cut by a close" {
	# Fails once the body has filled its stdin pipe and the worker waits;
	# stopped a second later (GATEWAY_WAIT_MS).
	cat >"$CGI_BIN/badhang.cgi" <<EOF2
#!/bin/sh
sleep 0.5
printf 'garbage\n\n'
echo \$\$ >'$SERVER_VAR/badhang.pids'
exec sleep 307
EOF2
	chmod 755 "$CGI_BIN/badhang.cgi"
	run body_to badhang.cgi 8388608
	assert_success
	refute_line 'write failed'
	assert_line 'Status: 502 Bad Gateway'
	assert_line END
	settled
}

@test "fastcgi: a script stopped at -t that never read its body: the 504 goes out and the rest of the body is read and dropped, not cut by a close" {
	run body_to noreadhang.cgi 8388608
	assert_success
	refute_line 'write failed'
	assert_line 'Status: 504 Gateway Timeout'
	assert_line END
	settled
}
