#!/usr/bin/env bats
# The FastCGI daemon under sustained mixed traffic behind nginx: preflights,
# GETs and POSTs through wrk (tests/lib/mixed.lua), bounded in requests and
# time.  Two daemons, each as the server user:
#   V  cors-wrap under valgrind (memcheck), which must serve 10,000 mixed
#      requests (ab: bounded in number) with no error, no leak and a
#      constant descriptor count; in a make SANITIZE=1 build, which valgrind
#      cannot run, ASan, LeakSanitizer and UBSan are the checkers instead
#   S  cors-wrap -c 2, soaked for SOAK_SECONDS (default 20): no unexpected
#      answer, resident memory and descriptors flat

# shellcheck disable=SC2154 # $body, $http_status are set by http (lib/servers.bash)
load lib/common
load lib/servers

APP=https://app.example.com

setup_file() {
	command -v wrk >/dev/null || {
		echo 'wrk is missing (Debian package wrk; tests/deps.sh installs it)' >&2
		return 1
	}
	command -v valgrind >/dev/null && command -v ab >/dev/null || {
		echo 'valgrind or ab is missing (tests/deps.sh installs them)' >&2
		return 1
	}
	server_init nginx
	local dir
	dir=$(fcgi_dir)
	SOCK_V=$dir/v.sock
	SOCK_S=$dir/s.sock
	VG_DIR=$SERVER_ROOT/valgrind
	mkdir -p "$VG_DIR"
	[ "$(id -u)" -ne 0 ] || chown "$(server_user)" "$VG_DIR"
	export SOCK_V SOCK_S VG_DIR
	cat >"$CGI_BIN/hello.cgi" <<'EOS'
#!/bin/sh
printf 'Content-Type: text/plain\n\n'
if [ "$REQUEST_METHOD" = POST ]; then wc -c; else echo hello; fi
EOS
	chmod 755 "$CGI_BIN/hello.cgi"
	cp /etc/nginx/fastcgi_params "$SERVER_ROOT/conf/fastcgi_params"

	# One log per process: the master, the worker and the moment between
	# fork and exec of each script (valgrind follows forks, not execs).
	# Either checker writes a file only when it finds something.
	if sanitized; then
		fcgi_spawn "$SOCK_V" "$SERVER_ROOT/logs/valgrind.log" \
			env -i PATH=/usr/bin:/bin \
			ASAN_OPTIONS="log_path=$VG_DIR/asan:detect_leaks=1" \
			UBSAN_OPTIONS="log_path=$VG_DIR/ubsan:print_stacktrace=1" \
			"$SERVER_CORS_WRAP_SHARED" -s "unix:$SOCK_V" -c 1 -f
	else
		fcgi_spawn "$SOCK_V" "$SERVER_ROOT/logs/valgrind.log" \
			env -i PATH=/usr/bin:/bin \
			valgrind --quiet --leak-check=full --show-leak-kinds=definite,indirect \
			--errors-for-leak-kinds=definite,indirect --track-fds=no \
			--log-file="$VG_DIR/%p.log" \
			"$SERVER_CORS_WRAP_SHARED" -s "unix:$SOCK_V" -c 1 -f
	fi
	PID_V=$SPAWN_PID
	# ASan keeps freed memory in quarantine and grows metadata: resident
	# memory says nothing there, and LeakSanitizer, at the workers' exit,
	# says what it would have.
	SAN_DIR=$SERVER_ROOT/sanitizer
	mkdir -p "$SAN_DIR"
	[ "$(id -u)" -ne 0 ] || chown "$(server_user)" "$SAN_DIR"
	export SAN_DIR
	local -a asan=()
	! sanitized || asan=(ASAN_OPTIONS="log_path=$SAN_DIR/asan:detect_leaks=1")
	cors_wrap_start "$SOCK_S" "${asan[@]}" -c 2 -f
	PID_S=$CW_PID
	export PID_V PID_S

	local name sock
	for name in v s; do
		case $name in
		v) sock=@SOCK_V@ ;;
		s) sock=@SOCK_S@ ;;
		esac
		cat <<EOS
location /$name/ {
    fastcgi_split_path_info ^/$name(/[^/]+)(/.*)?\$;
    include fastcgi_params;
    fastcgi_param SCRIPT_FILENAME @CGI_BIN@\$fastcgi_script_name;
    fastcgi_param CORS_ORIGINS https://app.example.com;
    fastcgi_param CORS_MAX_AGE 600;
    fastcgi_pass unix:$sock;
}
EOS
	done >"$BATS_FILE_TMPDIR/locations.conf"
	nginx_start "$BATS_FILE_TMPDIR/locations.conf" SOCK_V="$SOCK_V" SOCK_S="$SOCK_S"
}

teardown_file() {
	server_stop
}

# mixed PREFIX SECONDS CONNECTIONS: wrk with tests/lib/mixed.lua; $mixed
# holds its summary line.
mixed() {
	local out
	out=$(PREFIX=$1 timeout $(($2 + 30)) wrk -t1 -c"$3" -d"$2"s \
		-s "$TOP/tests/lib/mixed.lua" "http://127.0.0.1:$SERVER_PORT") || {
		printf 'wrk failed:\n%s\n' "$out" >&2
		return 1
	}
	mixed=$(printf '%s\n' "$out" | grep '^mixed: ')
	printf '%s\n' "$out" >&3
}

# assert_clean_run MIN: no bad answer, no socket error, at least MIN answers.
assert_clean_run() {
	[[ $mixed =~ answers=([0-9]+)\ bad=0\ errors=0$ ]] || {
		echo "unexpected answers: $mixed" >&2
		return 1
	}
	[ "${BASH_REMATCH[1]}" -ge "$1" ] || {
		echo "only ${BASH_REMATCH[1]} answers, wanted $1: $mixed" >&2
		return 1
	}
}

fd_count() {
	find "/proc/$1/fd" -mindepth 1 -maxdepth 1 | wc -l
}

rss_kib() {
	awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"
}

# ab_run NAME N C [AB ARGS]: ab (apache2-utils) sending N requests, C at a
# time, to daemon V's hello.cgi, in the background; ab stops after N,
# where wrk runs for a time.  ab_check NAME N then checks it.
ab_run() {
	local name=$1 n=$2 c=$3
	shift 3
	ab -q -n "$n" -c "$c" -H "Origin: $APP" "$@" \
		"http://127.0.0.1:$SERVER_PORT/v/hello.cgi" >"$BATS_TEST_TMPDIR/$name.ab" 2>&1 &
	AB_PIDS+=" $!"
}

ab_check() {
	local f=$BATS_TEST_TMPDIR/$1.ab
	grep -Eq "^Complete requests: +$2\$" "$f" && grep -Eq '^Failed requests: +0$' "$f" &&
		! grep -q '^Non-2xx responses' "$f" || {
		echo "ab $1:" >&2
		cat "$f" >&2
		return 1
	}
}

@test "soak: under valgrind (ASan and LSan when built with SANITIZE=1) the daemon serves 10,000 mixed requests with no error, no leak and constant descriptors" {
	local worker before after p
	AB_PIDS=
	# Once warm (the policy compiled and cached, buffers sized), the
	# worker's descriptors must not grow with the requests it serves.
	ab_run warm 100 2 -m OPTIONS -H 'Access-Control-Request-Method: PUT'
	wait $AB_PIDS
	ab_check warm 100
	worker=$(children "$PID_V" | head -n 1)
	[ -n "$worker" ]
	before=$(fd_count "$worker")
	# At once: preflights (answered in process), and GETs and POSTs that
	# run the script (under valgrind a spawn costs ~0.1 s: a few hundred).
	AB_PIDS=
	printf 'x%.0s' $(seq 1024) >"$BATS_TEST_TMPDIR/body"
	ab_run preflight 9600 3 -m OPTIONS -H 'Access-Control-Request-Method: PUT' \
		-H 'Access-Control-Request-Headers: content-type, x-token'
	ab_run get 200 1
	ab_run post 200 1 -p "$BATS_TEST_TMPDIR/body" -T text/plain
	for p in $AB_PIDS; do wait "$p"; done
	ab_check preflight 9600
	ab_check get 200
	ab_check post 200
	after=$(fd_count "$worker")
	assert_equal "$after" "$before"
	# A graceful stop runs the worker's and the master's exit paths, where
	# a leak would show.
	kill -TERM "$PID_V"
	wait_gone 60 "$PID_V" "$worker"
	local f errors=0
	for f in "$VG_DIR"/*; do
		[ -s "$f" ] || continue
		echo "--- $f" >&2
		cat "$f" >&2
		errors=$((errors + 1))
	done
	# --quiet: a log says something only when valgrind found something.
	assert_equal "$errors" 0
	# ... and valgrind did watch the worker.
	sanitized || [ -e "$VG_DIR/$worker.log" ]
}

@test "soak: mixed traffic for SOAK_SECONDS: no unexpected answer, worker memory and descriptors flat (no leak at exit when built with SANITIZE=1)" {
	local secs=${SOAK_SECONDS:-20} w fds0= rss0= fds1= rss1= n
	local -a workers after r0 r1
	# Warm up at the soak's concurrency: buffers and the allocator's
	# arenas reach their working size.
	mixed /s 5 16
	assert_clean_run 100
	mapfile -t workers < <(children "$PID_S")
	assert_equal "${#workers[@]}" 2
	for w in "${workers[@]}"; do
		fds0+=" $(fd_count "$w")" rss0+=" $(rss_kib "$w")"
	done
	mixed /s "$secs" 16
	# A sanity floor that traffic flowed, not a speed check.
	assert_clean_run 1000
	n=${mixed#*answers=} n=${n%% *}
	for w in "${workers[@]}"; do
		fds1+=" $(fd_count "$w")" rss1+=" $(rss_kib "$w")"
	done
	echo "$n requests; descriptors:$fds0 ->$fds1; RSS KiB:$rss0 ->$rss1" >&3
	assert_equal "$fds1" "$fds0"
	# The workers are those that started: none died on the way.
	mapfile -t after < <(children "$PID_S")
	assert_equal "${after[*]}" "${workers[*]}"
	if sanitized; then
		kill -TERM "$PID_S"
		# shellcheck disable=SC2086 # the workers' pids
		wait_gone 30 "$PID_S" ${workers[*]}
		local f found=0
		for f in "$SAN_DIR"/*; do
			[ -e "$f" ] || continue
			cat "$f" >&2
			found=1
		done
		assert_equal "$found" 0
		return 0
	fi
	# Flat: a leak of 16 bytes a request would add megabytes over the
	# run; the allocator's own noise stays within a few dozen pages.
	read -ra r0 <<<"$rss0"
	read -ra r1 <<<"$rss1"
	local i
	for i in "${!r0[@]}"; do
		[ "${r1[$i]}" -le $((r0[i] + 256)) ] || {
			echo "worker ${workers[$i]} grew from ${r0[$i]} to ${r1[$i]} KiB over $n requests" >&2
			return 1
		}
	done
}
