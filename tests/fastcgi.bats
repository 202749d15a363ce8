#!/usr/bin/env bats
# The cors-wrap FastCGI daemon's life: its sockets (unix, tcp, tcp6, fd 0
# from spawn-fcgi, fd 3 from systemd), its master and workers (SIGTERM,
# SIGHUP, a worker or the master killed) and the systemd units of
# etc/systemd/.  One nginx in front; each test starts the daemons it needs.

# shellcheck disable=SC2154 # $body, $log, $http_status are set by http (lib/servers.bash)
load lib/common
load lib/servers

APP=https://app.example.com

setup_file() {
	server_init nginx
	local dir
	dir=$(fcgi_dir)
	SOCK=$dir/d.sock
	TCP_PORT=$(free_port)
	TCP6_PORT=$(free_port)
	while [ "$TCP6_PORT" = "$TCP_PORT" ]; do TCP6_PORT=$(free_port); done
	export SOCK TCP_PORT TCP6_PORT
	cat >"$CGI_BIN/hello.cgi" <<'EOF'
#!/bin/sh
printf 'Content-Type: text/plain\n\nhello %s\n' "$REQUEST_METHOD"
EOF
	cat >"$CGI_BIN/sleep1.cgi" <<EOF
#!/bin/sh
echo \$\$ >'$SERVER_VAR/sleep1.pid'
sleep 1
printf 'Content-Type: text/plain\n\nslept\n'
EOF
	# Ignores SIGTERM, and leaves a child in its process group.
	cat >"$CGI_BIN/stubborn.cgi" <<EOF
#!/bin/sh
trap '' TERM
sleep 300 &
echo "\$\$ \$!" >'$SERVER_VAR/stubborn.pids'
wait
EOF
	cat >"$CGI_BIN/whoami.cgi" <<'EOF'
#!/bin/sh
printf 'Content-Type: text/plain\n\n'
echo "uid=$(id -u) gid=$(id -g)"
grep '^NoNewPrivs:' /proc/self/status
EOF
	cat >"$CGI_BIN/sigs.cgi" <<'EOF'
#!/bin/sh
printf 'Content-Type: text/plain\n\n'
exec grep -E '^Sig(Ign|Blk):' /proc/self/status
EOF
	cat >"$CGI_BIN/env.cgi" <<'EOF'
#!/bin/sh
printf 'Content-Type: text/plain\n\n'
env
EOF
	chmod 755 "$CGI_BIN"/*.cgi
	cp /etc/nginx/fastcgi_params "$SERVER_ROOT/conf/fastcgi_params"
	local name pass
	for name in d tcp tcp6; do
		case $name in
		d) pass='unix:@SOCK@' ;;
		tcp) pass='127.0.0.1:@TCP_PORT@' ;;
		tcp6) pass='[::1]:@TCP6_PORT@' ;;
		esac
		cat <<EOF
location /$name/ {
    fastcgi_split_path_info ^/$name(/[^/]+)(/.*)?\$;
    include fastcgi_params;
    fastcgi_param SCRIPT_FILENAME @CGI_BIN@\$fastcgi_script_name;
    fastcgi_param CORS_ORIGINS https://app.example.com;
    fastcgi_pass $pass;
}
EOF
	done >"$BATS_FILE_TMPDIR/locations.conf"
	nginx_start "$BATS_FILE_TMPDIR/locations.conf" SOCK="$SOCK" TCP_PORT="$TCP_PORT" \
		TCP6_PORT="$TCP6_PORT"
}

teardown_file() {
	server_stop
}

# Each test's daemon, and what is left of its process group, goes with it.
teardown() {
	# shellcheck disable=SC2086 # the daemons' pids
	stop_daemons ${TEST_PIDS:-}
}

# started: records $CW_PID (or $SPAWN_PID) for teardown.
started() {
	TEST_PIDS="${TEST_PIDS:-} ${1:-$CW_PID}"
}

# workers MASTER: the master's worker pids, one per line.
workers() {
	children "$1"
}

# wait_workers MASTER N: waits up to 5 s for the master to have N workers.
wait_workers() {
	local i
	for ((i = 0; i < 50; i++)); do
		[ "$(workers "$1" | wc -l)" -eq "$2" ] && return 0
		sleep 0.1
	done
	printf 'master %s has %s workers, not %s\n' "$1" "$(workers "$1" | wc -l)" "$2" >&2
	return 1
}

# wait_port PORT HOST: waits up to 5 s for a listener on HOST:PORT.
wait_port() {
	local i
	for ((i = 0; i < 50; i++)); do
		(: <>"/dev/tcp/$2/$1") 2>/dev/null && return 0
		sleep 0.1
	done
	printf 'nothing listens on %s port %s\n' "$2" "$1" >&2
	return 1
}

# hello PATH: a GET through nginx answers hello with the CORS headers.
hello() {
	http GET "$1" -H "Origin: $APP"
	assert_http_status 200
	assert_header Access-Control-Allow-Origin "$APP"
	assert_equal "$body" 'hello GET'
}

daemon_log() {
	cat "$SERVER_ROOT/logs/cors-wrap.log"
}

# in_log PATTERN: the lines the server log gained ($log) match PATTERN (ERE).
in_log() {
	printf '%s\n' "$log" | grep -Eq -- "$1" || {
		printf 'no line matching [%s] in the server log:\n%s\n' "$1" "$log" >&2
		return 1
	}
}

# ---- sockets

@test "fastcgi: -s unix: binds the socket with mode 0660 by default and serves nginx" {
	cors_wrap_start "$SOCK" -f
	started
	assert_equal "$(stat -c %a "$SOCK")" 660
	if [ "$(id -u)" -eq 0 ]; then
		assert_equal "$(stat -c %U "$SOCK")" "$(server_user)"
	fi
	hello /d/hello.cgi
	http OPTIONS /d/hello.cgi -H "Origin: $APP" -H 'Access-Control-Request-Method: PUT'
	assert_http_status 204
	assert_header Access-Control-Allow-Origin "$APP"
}

@test "fastcgi: -M sets the socket's mode and, as root, -U and -G its owner and group" {
	local user group
	local -a runas=()
	user=$(id -un) group=$(id -gn)
	if [ "$(id -u)" -eq 0 ]; then
		user=$(server_user) group=$(id -gn "$(server_user)")
		runas=(-u "$user")
	fi
	rm -f "$SOCK"
	server_spawn "$SERVER_ROOT/logs/cors-wrap.log" env -i PATH=/usr/bin:/bin \
		"$SERVER_CORS_WRAP" -s "unix:$SOCK" -U "$user" -G "$group" -M 0600 -f "${runas[@]}"
	started "$SPAWN_PID"
	# It listens once chmod'ed and chown'ed.
	wait_for_listener "$SOCK" 5
	assert_equal "$(stat -c '%a %U %G' "$SOCK")" "600 $user $group"
	# nginx's workers run as that user: they can connect.
	hello /d/hello.cgi
}

@test "fastcgi: -s tcp:127.0.0.1:PORT serves nginx over TCP" {
	local -a as=()
	mapfile -t as < <(server_run_as)
	server_spawn "$SERVER_ROOT/logs/cors-wrap.log" "${as[@]}" env -i PATH=/usr/bin:/bin \
		"$SERVER_CORS_WRAP" -s "tcp:127.0.0.1:$TCP_PORT" -c 2
	started "$SPAWN_PID"
	wait_port "$TCP_PORT" 127.0.0.1
	hello /tcp/hello.cgi
	http OPTIONS /tcp/hello.cgi -H "Origin: $APP" -H 'Access-Control-Request-Method: PUT'
	assert_http_status 204
}

@test "fastcgi: -s tcp6:[::1]:PORT serves nginx over IPv6" {
	# The issue asks for tcp6 with ::1; a host without it cannot prove
	# it, and that must show as a failure, not a skip.
	grep -q '^00000000000000000000000000000001 ' /proc/net/if_inet6 || {
		echo 'no IPv6 loopback address (::1) on this host' >&2
		return 1
	}
	local -a as=()
	mapfile -t as < <(server_run_as)
	server_spawn "$SERVER_ROOT/logs/cors-wrap.log" "${as[@]}" env -i PATH=/usr/bin:/bin \
		"$SERVER_CORS_WRAP" -s "tcp6:[::1]:$TCP6_PORT"
	started "$SPAWN_PID"
	wait_port "$TCP6_PORT" ::1
	hello /tcp6/hello.cgi
}

@test "fastcgi: a bad -s, or a configuration error, stops the start with a message" {
	local -a runas=()
	[ "$(id -u)" -ne 0 ] || runas=(-u "$(server_user)")
	run env -i PATH=/usr/bin:/bin "$SERVER_CORS_WRAP" "${runas[@]}" -s "tcp:localhost"
	assert_equal "$status" 1
	assert_output --partial 'expected tcp:ADDRESS:PORT'
	run env -i PATH=/usr/bin:/bin "$SERVER_CORS_WRAP" "${runas[@]}" -s "unix:relative.sock"
	assert_equal "$status" 1
	assert_output --partial 'not an absolute path'
	rm -f "$SOCK"
	run env -i PATH=/usr/bin:/bin CORS_SUPPORTS_CREDENTIALS=yes "$SERVER_CORS_WRAP" \
		"${runas[@]}" -s "unix:$SOCK"
	assert_equal "$status" 1
	assert_output --partial 'cors-wrap: '
	assert_output --partial CORS_SUPPORTS_CREDENTIALS
	[ ! -e "$SOCK" ]
	run env -i PATH=/usr/bin:/bin CORS_ORIGNS=x "$SERVER_CORS_WRAP" "${runas[@]}" -s "unix:$SOCK"
	assert_equal "$status" 1
	assert_output --partial 'CORS_ORIGNS: unknown variable'
}

@test "fastcgi: least privilege: never scripts as root; -u names the user, dropped for good before serving; scripts get no_new_privs" {
	local user
	user=$(server_user)
	rm -f "$SOCK"
	if [ "$(id -u)" -eq 0 ]; then
		# Root without -u, or -u root: refused before any socket exists.
		run env -i PATH=/usr/bin:/bin "$SERVER_CORS_WRAP" -s "unix:$SOCK"
		assert_equal "$status" 1
		assert_output --partial 'refusing to run scripts as root: give -u USER'
		[ ! -e "$SOCK" ]
		run env -i PATH=/usr/bin:/bin "$SERVER_CORS_WRAP" -u root -s "unix:$SOCK"
		assert_equal "$status" 1
		assert_output --partial '-u root: scripts must not run as root'
		[ ! -e "$SOCK" ]
		# -u takes a number too: uid 0 is root.
		run env -i PATH=/usr/bin:/bin "$SERVER_CORS_WRAP" -u 0 -s "unix:$SOCK"
		assert_equal "$status" 1
		assert_output --partial '-u 0: scripts must not run as root'
		[ ! -e "$SOCK" ]
		run env -i PATH=/usr/bin:/bin "$SERVER_CORS_WRAP" -u no-such-user-xyz -s "unix:$SOCK"
		assert_equal "$status" 1
		assert_output --partial 'no such user'
		# A name getent would take for one of its options.
		run env -i PATH=/usr/bin:/bin "$SERVER_CORS_WRAP" -u -all -s "unix:$SOCK"
		assert_equal "$status" 1
		assert_output --partial 'not a user name: -all'
		[ ! -e "$SOCK" ]
		# With -u: bound as root (so -U can hand the socket over), then
		# master, workers and scripts are that user, with no way back.
		server_spawn "$SERVER_ROOT/logs/cors-wrap.log" env -i PATH=/usr/bin:/bin \
			"$SERVER_CORS_WRAP" -s "unix:$SOCK" -u "$user" -U "$user"
		started "$SPAWN_PID"
		wait_for_listener "$SOCK" 5
		wait_workers "$SPAWN_PID" 1
		local pid uid gid
		uid=$(id -u "$user") gid=$(id -g "$user")
		for pid in "$SPAWN_PID" $(workers "$SPAWN_PID"); do
			assert_equal "$(awk '/^Uid:/ { print $2, $3, $4, $5 }' "/proc/$pid/status")" \
				"$uid $uid $uid $uid"
			assert_equal "$(awk '/^Gid:/ { print $2, $3, $4, $5 }' "/proc/$pid/status")" \
				"$gid $gid $gid $gid"
			# The supplementary groups initgroups(3) gives (asked of
			# getent: the binary is static), none of root's.
			assert_equal "$(awk '/^Groups:/ { $1 = ""; print }' "/proc/$pid/status" |
				tr ' ' '\n' | sed '/^$/d' | sort -n | xargs)" \
				"$(id -G "$user" | tr ' ' '\n' | sort -n | xargs)"
		done
	else
		# Not root: -u may only name ourselves.
		run env -i PATH=/usr/bin:/bin "$SERVER_CORS_WRAP" -u root -s "unix:$SOCK"
		assert_equal "$status" 1
		assert_output --partial 'needs root'
		user=$(id -un)
		cors_wrap_start "$SOCK" -u "$user"
		started
	fi
	http GET /d/whoami.cgi -H "Origin: $APP"
	assert_http_status 200
	[[ $body == *"uid=$(id -u "$user") gid=$(id -g "$user")"* ]] || {
		echo "the script ran as someone else: $body" >&2
		return 1
	}
	[[ $body == *"NoNewPrivs:"*1* ]] || {
		echo "the script could gain privileges: $body" >&2
		return 1
	}
}

@test "fastcgi: a preflight is answered in the worker with no heap allocation and no process started" {
	local shim=$BATS_TEST_TMPDIR/alloccount.so counts=/dev/shm/cors-wrap-test-$$.counts
	local -a hooks=() asan=()
	if sanitized; then
		hooks=(-DSANITIZER_HOOKS)
		asan=(ASAN_OPTIONS=verify_asan_link_order=0)
	fi
	cc -shared -fPIC -O2 "${hooks[@]}" -o "$shim" "$TOP/tests/lib/alloccount.c" -ldl
	chmod 755 "$BATS_TEST_TMPDIR" "$shim"
	head -c 16 /dev/zero >"$counts"
	chmod 666 "$counts"
	# The shim needs the shared libc's malloc: the same objects, linked so.
	SERVER_CORS_WRAP=$SERVER_CORS_WRAP_SHARED \
		cors_wrap_start "$SOCK" LD_PRELOAD="$shim" ALLOCCOUNT_FILE="$counts" "${asan[@]}" -c 1
	started
	# counters: allocations, process starts
	read_counts() { od -An -tu8 -w16 "$counts" | awk '{ print $1, $2 }'; }
	local -a c0 c1 c2 c3
	read -ra c0 <<<"$(read_counts)"
	# The shim is live: starting up allocates.
	[ "${c0[0]}" -gt 0 ]
	local -a pre=(-m OPTIONS -H "Origin: $APP" -H 'Access-Control-Request-Method: PUT'
		-H 'Access-Control-Request-Headers: content-type, x-token')
	# Warm: the policy compiled and cached, connection buffers made, at
	# three times the concurrency of the measurement: nginx's closed
	# upstream connections can linger past the next accept, so the
	# measurement's peak may exceed -c 4 (the worker keeps 16 spares).
	ab -q -n 400 -c 12 "${pre[@]}" "$BASE/d/hello.cgi" >"$BATS_TEST_TMPDIR/ab0" 2>&1
	read -ra c1 <<<"$(read_counts)"
	# 2,000 preflights, each on a FastCGI connection of its own.
	ab -q -n 2000 -c 4 "${pre[@]}" "$BASE/d/hello.cgi" >"$BATS_TEST_TMPDIR/ab1" 2>&1
	grep -Eq '^Complete requests: +2000$' "$BATS_TEST_TMPDIR/ab1"
	grep -Eq '^Failed requests: +0$' "$BATS_TEST_TMPDIR/ab1"
	! grep -q '^Non-2xx' "$BATS_TEST_TMPDIR/ab1"
	read -ra c2 <<<"$(read_counts)"
	# The spawn counter is live too: a GET runs the script.
	hello /d/hello.cgi
	read -ra c3 <<<"$(read_counts)"
	rm -f "$counts"
	echo "allocations ${c0[0]} (started), ${c1[0]} (warm), ${c2[0]} (after 2000 preflights), ${c3[0]} (a GET); process starts ${c1[1]}, ${c2[1]}, ${c3[1]}" >&3
	assert_equal "$((c2[0] - c1[0]))" 0
	assert_equal "$((c2[1] - c1[1]))" 0
	assert_equal "$((c3[1] - c2[1]))" 1
}

@test "fastcgi: scripts start with no signal ignored or blocked, though the daemon was started with some ignored" {
	trap '' PIPE USR1 HUP
	cors_wrap_start "$SOCK"
	trap - PIPE USR1 HUP
	started
	grep -q '^SigIgn:.*[1-9a-f]' "/proc/$CW_PID/status"
	http GET /d/sigs.cgi -H "Origin: $APP"
	assert_http_status 200
	assert_equal "$body" "$(printf 'SigBlk:\t0000000000000000\nSigIgn:\t0000000000000000')"
}

@test "fastcgi: FastCGI options without a socket are refused" {
	run "$SERVER_CORS_WRAP" -c 2 </dev/null
	assert_equal "$status" 1
	assert_output --partial 'there is no socket'
}

@test "fastcgi: behind spawn-fcgi cors-wrap serves the socket it gets as fd 0" {
	spawn_fcgi_start "$SOCK" "$SERVER_CORS_WRAP" -c 2
	started "$SPAWN_PID"
	assert_equal "$(readlink "/proc/$SPAWN_PID/exe")" "$SERVER_CORS_WRAP"
	wait_workers "$SPAWN_PID" 2
	hello /d/hello.cgi
}

@test "fastcgi: socket activation: fd 3 with LISTEN_FDS and LISTEN_PID, which the scripts do not see" {
	# systemd's protocol: the socket as fd 3, LISTEN_PID the daemon's pid;
	# spawn-fcgi binds it, the shell moves it and becomes cors-wrap.
	# shellcheck disable=SC2016 # for the inner shell
	spawn_fcgi_start "$SOCK" /bin/sh -c \
		'exec 3<&0 </dev/null; export LISTEN_FDS=1 LISTEN_PID=$$; exec "$0" -c 1' \
		"$SERVER_CORS_WRAP"
	started "$SPAWN_PID"
	wait_workers "$SPAWN_PID" 1
	assert_equal "$(readlink "/proc/$SPAWN_PID/exe")" "$SERVER_CORS_WRAP"
	hello /d/hello.cgi
	http GET /d/env.cgi -H "Origin: $APP"
	assert_http_status 200
	if printf '%s\n' "$body" | grep -q '^LISTEN_'; then
		printf 'the script saw:\n%s\n' "$(printf '%s\n' "$body" | grep '^LISTEN_')" >&2
		return 1
	fi
}

@test "fastcgi: LISTEN_FDS meant for another process is ignored" {
	run env -i PATH=/usr/bin:/bin LISTEN_FDS=1 LISTEN_PID=1 "$SERVER_CORS_WRAP" -c 1 </dev/null 3</dev/null
	assert_equal "$status" 1
	assert_output --partial 'there is no socket'
}

@test "fastcgi: the systemd units pass systemd-analyze verify and run cors-wrap -c 4 -f on /run/cors-wrap.sock as www-data" {
	local d=$BATS_TEST_TMPDIR/units
	mkdir -p "$d"
	cp "$TOP/etc/systemd/cors-wrap.socket" "$d/"
	# verify checks that the program exists: the built one stands in.
	sed "s|/usr/local/bin/cors-wrap|$CORS_WRAP|" "$TOP/etc/systemd/cors-wrap.service" \
		>"$d/cors-wrap.service"
	grep -qx 'ExecStart=/usr/local/bin/cors-wrap -c 4 -f' "$TOP/etc/systemd/cors-wrap.service"
	grep -qx 'ListenStream=/run/cors-wrap.sock' "$d/cors-wrap.socket"
	grep -qx 'SocketUser=www-data' "$d/cors-wrap.socket"
	grep -qx 'SocketGroup=www-data' "$d/cors-wrap.socket"
	grep -qx 'SocketMode=0660' "$d/cors-wrap.socket"
	grep -qx 'User=www-data' "$d/cors-wrap.service"
	grep -qx 'Requires=cors-wrap.socket' "$d/cors-wrap.service"
	command -v systemd-analyze >/dev/null || {
		echo 'systemd-analyze is missing (package systemd; tests/deps.sh installs it)' >&2
		return 1
	}
	run systemd-analyze verify --man=no "$d/cors-wrap.socket" "$d/cors-wrap.service"
	assert_equal "$status" 0
	assert_output ''
}

# ---- master and workers

@test "fastcgi: SIGTERM to the master lets the request in flight finish, then master and workers exit" {
	local out=$BATS_TEST_TMPDIR/inflight.out w curl_pid i
	cors_wrap_start "$SOCK" -c 2
	started
	wait_workers "$CW_PID" 2
	w=$(workers "$CW_PID" | paste -sd' ')
	rm -f "$SERVER_VAR/sleep1.pid"
	curl -sS --noproxy '*' --max-time 10 -H "Origin: $APP" -o "$out" -w '%{http_code}' \
		"$BASE/d/sleep1.cgi" >"$out.status" 2>&1 3>&- &
	curl_pid=$!
	for ((i = 0; i < 50; i++)); do
		[ -s "$SERVER_VAR/sleep1.pid" ] && break
		sleep 0.1
	done
	[ -s "$SERVER_VAR/sleep1.pid" ]
	kill -TERM "$CW_PID"
	wait "$curl_pid"
	assert_equal "$(cat "$out.status")" 200
	assert_equal "$(cat "$out")" slept
	# shellcheck disable=SC2086 # the workers' pids
	wait_gone 5 "$CW_PID" $w
}

@test "fastcgi: a second SIGTERM stops at once: an endless event stream is cut off (the client sees it), its script stopped, master and workers gone" {
	local out=$BATS_TEST_TMPDIR/stream.out w curl_pid i spid rc=0
	cat >"$CGI_BIN/events.cgi" <<EOF
#!/bin/sh
echo \$\$ >'$SERVER_VAR/events.pid'
printf 'Content-Type: text/event-stream\n\n'
while :; do printf 'data: tick\n\n'; sleep 0.2; done
EOF
	chmod 755 "$CGI_BIN/events.cgi"
	rm -f "$SERVER_VAR/events.pid"
	cors_wrap_start "$SOCK" -c 2 -t 5
	started
	wait_workers "$CW_PID" 2
	w=$(workers "$CW_PID" | paste -sd' ')
	curl -sS --noproxy '*' --max-time 30 -N -H "Origin: $APP" -o "$out" \
		"$BASE/d/events.cgi" 2>"$out.err" 3>&- &
	curl_pid=$!
	for ((i = 0; i < 50; i++)); do
		[ -s "$SERVER_VAR/events.pid" ] && break
		sleep 0.1
	done
	spid=$(cat "$SERVER_VAR/events.pid")
	kill -TERM "$CW_PID"
	# Graceful: the stream goes on; -t limits silence, and it is not silent.
	sleep 1.5
	kill -0 "$CW_PID"
	kill -0 "$spid"
	kill -TERM "$CW_PID"
	# shellcheck disable=SC2086 # the pids
	wait_gone 5 "$CW_PID" $w "$spid"
	wait "$curl_pid" || rc=$?
	# Cut off, and it shows: no clean end of the chunked answer.
	[ "$rc" -ne 0 ] || {
		echo "curl ended cleanly; the cut-off answer looked complete" >&2
		return 1
	}
	# (nginx buffers the answer, so the client may have had none of it.)
	daemon_log | grep -q 'a second SIGTERM: stopping now, requests in progress cut off'
}

@test "fastcgi: SIGKILL to a worker: the master logs it, starts another, and requests keep working" {
	local before w1 w2 i
	cors_wrap_start "$SOCK" -c 2
	started
	wait_workers "$CW_PID" 2
	before=$(daemon_log | wc -l)
	w1=$(workers "$CW_PID" | head -n 1)
	kill -KILL "$w1"
	wait_gone 3 "$w1"
	wait_workers "$CW_PID" 2
	workers "$CW_PID" | grep -qvx "$w1"
	if workers "$CW_PID" | grep -qx "$w1"; then
		echo "worker $w1 is still listed" >&2
		return 1
	fi
	for ((i = 0; i < 10; i++)); do
		hello /d/hello.cgi
	done
	daemon_log | tail -n +"$((before + 1))" | grep -q "worker $w1 died (signal 9); starting another"
	# And the new one dies with the master as well.
	w2=$(workers "$CW_PID" | paste -sd' ')
	kill -TERM "$CW_PID"
	# shellcheck disable=SC2086 # the workers' pids
	wait_gone 5 "$CW_PID" $w2
}

@test "fastcgi: a master whose fork of a replacement worker fails logs it and tries again a second later (strace fails the fork)" {
	local trace=$BATS_TEST_TMPDIR/strace.log master w1 i
	[ "$(id -u)" -ne 0 ] || open_test_dir	# strace runs as the server user
	# The master's first fork (clone) is its worker; the second, the
	# worker's replacement, fails as at RLIMIT_NPROC; the third succeeds.
	fcgi_spawn "$SOCK" "$SERVER_ROOT/logs/cors-wrap.log" env -i PATH=/usr/bin:/bin \
		strace -o "$trace" -e trace=clone -e inject=clone:error=EAGAIN:when=2 \
		"$SERVER_CORS_WRAP" -s "unix:$SOCK" -c 1
	started "$SPAWN_PID"
	for ((i = 0; i < 50; i++)); do
		master=$(children "$SPAWN_PID" | head -n 1)
		[ -n "$master" ] && [ "$(workers "$master" | wc -l)" -eq 1 ] && break
		sleep 0.1
	done
	started "$master"
	wait_workers "$master" 1
	w1=$(workers "$master")
	kill -KILL "$w1"
	wait_gone 3 "$w1"
	# Once exited silently with no worker left; now it says so and the
	# next try, a second later, starts one.
	for ((i = 0; i < 50; i++)); do
		daemon_log | grep -q 'cannot start a worker: Resource temporarily unavailable; trying again in 1 s' && break
		sleep 0.1
	done
	daemon_log | grep -q 'cannot start a worker: Resource temporarily unavailable; trying again in 1 s'
	grep -q 'clone(.*EAGAIN.*INJECTED' "$trace" || { cat "$trace" >&2; return 1; }
	kill -0 "$master"
	wait_workers "$master" 1
	hello /d/hello.cgi
	kill -TERM "$master"
	wait_gone 5 "$master" "$SPAWN_PID"
}

@test "fastcgi: SIGKILL to a worker mid-request: the master adopts its script, stops the whole process group and reaps it" {
	local w pids p
	cors_wrap_start "$SOCK" -c 1
	started
	wait_workers "$CW_PID" 1
	w=$(workers "$CW_PID")
	rm -f "$SERVER_VAR/stubborn.pids"
	curl -sS --noproxy '*' --max-time 20 -o /dev/null "$BASE/d/stubborn.cgi" 3>&- &
	local curl_pid=$!
	wait_for_path "$SERVER_VAR/stubborn.pids" 5
	pids=$(cat "$SERVER_VAR/stubborn.pids")
	kill -KILL "$w"
	# SIGTERM, which the script ignores, then SIGKILL 2 s later.
	# shellcheck disable=SC2086 # the script's pid and its child's
	wait_gone 6 $pids
	wait "$curl_pid" || true
	# Reaped: no zombie left among the master's children, and a new
	# worker serves.
	wait_workers "$CW_PID" 1
	for p in $pids; do
		[ ! -e "/proc/$p" ] || {
			echo "process $p is still there: $(cat "/proc/$p/stat")" >&2
			return 1
		}
	done
	hello /d/hello.cgi
}

@test "fastcgi: SIGKILL to the master: its workers exit within a few seconds" {
	local w
	cors_wrap_start "$SOCK" -c 3
	started
	wait_workers "$CW_PID" 3
	hello /d/hello.cgi
	w=$(workers "$CW_PID" | paste -sd' ')
	kill -KILL "$CW_PID"
	# shellcheck disable=SC2086 # the workers' pids
	wait_gone 5 "$CW_PID" $w
}

@test "fastcgi: a changed INI file applies from the next request; a broken one fails closed; SIGHUP keeps the workers" {
	local ini=$SERVER_VAR/cors-wrap.ini w i
	# The location's CORS_ORIGINS param wins over the file: max_age shows it.
	printf 'max_age = 11\n' >"$ini"
	cors_wrap_start "$SOCK" -c 2 --config "$ini"
	started
	wait_workers "$CW_PID" 2
	w=$(workers "$CW_PID" | sort | paste -sd' ')
	for ((i = 0; i < 4; i++)); do
		http OPTIONS /d/hello.cgi -H "Origin: $APP" -H 'Access-Control-Request-Method: PUT'
		assert_header Access-Control-Max-Age 11
	done
	printf 'max_age = 2222\n' >"$ini"
	for ((i = 0; i < 4; i++)); do
		http OPTIONS /d/hello.cgi -H "Origin: $APP" -H 'Access-Control-Request-Method: PUT'
		assert_header Access-Control-Max-Age 2222
	done
	printf 'max_age = soon\n' >"$ini"
	http GET /d/hello.cgi -H "Origin: $APP"
	assert_http_status 500
	no_cors_headers
	in_log 'cors-wrap: error: .*max_age'
	printf 'max_age = 33\n' >"$ini"
	kill -HUP "$CW_PID"
	sleep 0.2
	for ((i = 0; i < 4; i++)); do
		http OPTIONS /d/hello.cgi -H "Origin: $APP" -H 'Access-Control-Request-Method: PUT'
		assert_header Access-Control-Max-Age 33
	done
	assert_equal "$(workers "$CW_PID" | sort | paste -sd' ')" "$w"
}

# ---- what scripts inherit

@test "fastcgi: httpoxy: an HTTP_PROXY param (a client's Proxy: header) never reaches the script" {
	cors_wrap_start "$SOCK" -f
	started
	# The params cgi-fcgi sends, as a server would.
	CW_MODE=fastcgi CW_FCGI_SOCKET=$SOCK cgi SCRIPT_FILENAME="$CGI_BIN/env.cgi" \
		SCRIPT_NAME=/d/env.cgi REQUEST_URI=/d/env.cgi HTTP_ORIGIN="$APP" \
		CORS_ORIGINS="$APP" HTTP_PROXY=http://evil.example:3128 HTTP_X_OTHER=1
	assert_header Access-Control-Allow-Origin "$APP"
	printf '%s\n' "$body" | grep -qx 'HTTP_X_OTHER=1'
	if printf '%s\n' "$body" | grep -q '^HTTP_PROXY='; then
		printf 'the script saw HTTP_PROXY:\n%s\n' "$body" >&2
		return 1
	fi
}

# fds_script: fds.cgi lists its descriptors, "FD TARGET" a line.
fds_script() {
	cat >"$CGI_BIN/fds.cgi" <<'EOF'
#!/bin/sh
printf 'Content-Type: text/plain\n\n'
exec perl -e 'opendir(my $d, "/proc/self/fd") or die;
print map { "$_ " . (readlink("/proc/self/fd/$_") // "?") . "\n" } grep { /^\d+$/ } readdir $d'
EOF
	chmod 755 "$CGI_BIN/fds.cgi"
}

# assert_std_fds_only: fds.cgi had the standard streams and nothing else
# but the directory perl reads.
assert_std_fds_only() {
	local fds
	http GET /d/fds.cgi -H "Origin: $APP"
	assert_http_status 200
	fds=$(printf '%s\n' "$body" | grep -v ' /proc/[0-9]*/fd$' || true)
	printf '%s\n' "$fds" | grep -q '^0 ' || {
		printf 'fds.cgi printed [%s]\n' "$body" >&2
		return 1
	}
	if printf '%s\n' "$fds" | grep -qv '^[012] '; then
		printf 'the script inherited:\n%s\n' "$fds" >&2
		return 1
	fi
}

@test "fastcgi: descriptors the daemon inherits (-s) never reach a script" {
	fds_script
	# Held open by whoever started the daemon: a file and a pipe.
	exec 7<"$CGI_BIN/fds.cgi" 8< <(sleep 30)
	cors_wrap_start "$SOCK" -f
	started
	assert_std_fds_only
	kill -TERM "$CW_PID"
	wait_gone 5 "$CW_PID"
	# Without close_range(2) (before Linux 5.11): /proc/self/fd.
	local trace=$BATS_TEST_TMPDIR/strace.log
	[ "$(id -u)" -ne 0 ] || open_test_dir	# strace runs as the server user
	fcgi_spawn "$SOCK" "$SERVER_ROOT/logs/cors-wrap.log" env -i PATH=/usr/bin:/bin \
		strace -o "$trace" -e trace=close_range -e inject=close_range:error=ENOSYS \
		"$SERVER_CORS_WRAP" -s "unix:$SOCK" -f
	started "$SPAWN_PID"
	exec 7<&- 8<&-
	grep -q 'close_range(3, .*ENOSYS' "$trace" || { cat "$trace" >&2; return 1; }
	assert_std_fds_only
}

@test "fastcgi: descriptors inherited behind spawn-fcgi (fd 0) and systemd (fd 3, the listener too) never reach a script" {
	fds_script
	exec 7<"$CGI_BIN/fds.cgi"
	spawn_fcgi_start "$SOCK" "$SERVER_CORS_WRAP" -c 1
	started "$SPAWN_PID"
	exec 7<&-
	wait_workers "$SPAWN_PID" 1
	assert_std_fds_only
	kill -TERM "$SPAWN_PID"
	wait_gone 5 "$SPAWN_PID"
	exec 7<"$CGI_BIN/fds.cgi"
	# shellcheck disable=SC2016 # for the inner shell
	spawn_fcgi_start "$SOCK" /bin/sh -c \
		'exec 3<&0 </dev/null; export LISTEN_FDS=1 LISTEN_PID=$$; exec "$0" -c 1' \
		"$SERVER_CORS_WRAP"
	started "$SPAWN_PID"
	exec 7<&-
	wait_workers "$SPAWN_PID" 1
	assert_std_fds_only
}

# ---- creating the socket

# socket_owner: the words of -U/-G (and -u) for the socket's owner: the server
# user's when root, ours otherwise.
socket_owner() {
	local user group
	user=$(id -un) group=$(id -gn)
	if [ "$(id -u)" -eq 0 ]; then
		user=$(server_user) group=$(id -gn "$(server_user)")
		printf '%s\n' -U "$user" -G "$group" -u "$user"
	else
		printf '%s\n' -U "$user" -G "$group"
	fi
}

@test "fastcgi: -s unix: the socket is created with -M's mode whatever the umask, and nothing changes it by path (strace)" {
	local trace=$BATS_TEST_TMPDIR/strace.log want_owner
	local -a owner=()
	local w
	while IFS= read -r w; do owner+=("$w"); done < <(socket_owner)
	want_owner="${owner[1]} ${owner[3]}"
	rm -f "$SOCK"
	server_spawn "$SERVER_ROOT/logs/cors-wrap.log" sh -c 'umask 077; exec "$@"' sh \
		env -i PATH=/usr/bin:/bin strace -o "$trace" \
		-e trace=bind,umask,chmod,fchmod,fchmodat,chown,lchown,fchown,fchownat \
		"$SERVER_CORS_WRAP" -s "unix:$SOCK" "${owner[@]}" -M 0640 -c 1 -f
	started "$SPAWN_PID"
	wait_for_listener "$SOCK" 10
	assert_equal "$(stat -c '%a %U %G' "$SOCK")" "640 $want_owner"
	# The mode comes from the umask at bind; the owner is changed through a
	# descriptor (AT_EMPTY_PATH), never by path.
	grep -q '^umask(0137)' "$trace" || { cat "$trace" >&2; return 1; }
	if grep -E '^(chmod|fchmod|fchmodat|chown|lchown|fchown)\(' "$trace" |
		grep -v 'AT_EMPTY_PATH' | grep -q .; then
		printf 'changed by path:\n%s\n' "$(cat "$trace")" >&2
		return 1
	fi
	grep -q '^fchownat([0-9]*, "", .*AT_EMPTY_PATH) *= 0' "$trace" || { cat "$trace" >&2; return 1; }
}

@test "fastcgi: -s unix: a symlink swapped in for the socket right after bind is not followed" {
	# The race, made certain: strace holds cors-wrap for 2 s after bind,
	# meanwhile the socket becomes a symlink to a file of root's (or ours).
	local trace=$BATS_TEST_TMPDIR/strace.log victim=$BATS_TEST_TMPDIR/victim before i
	local -a owner=()
	local w
	while IFS= read -r w; do owner+=("$w"); done < <(socket_owner)
	echo secret >"$victim"
	chmod 600 "$victim"
	before=$(stat -c '%a %U %G' "$victim")
	rm -f "$SOCK"
	server_spawn "$SERVER_ROOT/logs/cors-wrap.log" env -i PATH=/usr/bin:/bin \
		strace -o "$trace" -e trace=bind -e inject=bind:delay_exit=2000000 \
		"$SERVER_CORS_WRAP" -s "unix:$SOCK" "${owner[@]}" -M 0666 -c 1 -f
	started "$SPAWN_PID"
	for ((i = 0; i < 100; i++)); do
		[ -S "$SOCK" ] && break
		sleep 0.05
	done
	[ -S "$SOCK" ]
	rm -f "$SOCK"
	ln -s "$victim" "$SOCK"
	# It gives up on the start (the old code went on, serving, after it
	# had made the victim its socket's mode and owner).
	wait_gone 10 "$SPAWN_PID" || true
	assert_equal "$(stat -c '%a %U %G' "$victim")" "$before"
	assert_equal "$(cat "$victim")" secret
	! _alive "$SPAWN_PID"
	grep -q 'not the socket bound any more\|Too many levels of symbolic links' \
		"$SERVER_ROOT/logs/cors-wrap.log" || { cat "$SERVER_ROOT/logs/cors-wrap.log" >&2; return 1; }
}

@test "fastcgi: -s unix: an existing file or symlink at the path is left as it is" {
	local victim=$BATS_TEST_TMPDIR/victim before
	echo secret >"$victim"
	chmod 600 "$victim"
	before=$(stat -c '%a %U %G' "$victim")
	rm -f "$SOCK"
	ln -s "$victim" "$SOCK"
	run env -i PATH=/usr/bin:/bin "$SERVER_CORS_WRAP" -s "unix:$SOCK" -M 0666 -c 1 -u "$(server_user)"
	assert_equal "$status" 1
	assert_output --partial 'Address already in use'
	[ -L "$SOCK" ]
	rm -f "$SOCK"
	cp -p "$victim" "$SOCK"
	run env -i PATH=/usr/bin:/bin "$SERVER_CORS_WRAP" -s "unix:$SOCK" -M 0666 -c 1 -u "$(server_user)"
	assert_equal "$status" 1
	assert_equal "$(stat -c '%a %U %G' "$SOCK")" "$before"
	assert_equal "$(stat -c '%a %U %G' "$victim")" "$before"
	rm -f "$SOCK"
}
