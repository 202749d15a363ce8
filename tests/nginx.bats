#!/usr/bin/env bats
# cors-wrap as a FastCGI responder behind a real nginx, configured with the
# recipes of etc/nginx/ (cors-wrap-fastcgi.conf: /api/ and /cgi-bin/;
# cors-wrap-upstream.conf: a keep-alive upstream) and locations of the tests'
# own.  Four FastCGI daemons, each as the server user:
#   A  cors-wrap behind spawn-fcgi (the socket on fd 0), the recipes' socket
#   B  cors-wrap -s unix:... -c 2 -t 2 -f, CORS_MAX_AGE=77 in its environment
#   C  cors-wrap -s unix:... -c 1, behind the keep-alive upstream
#   F  fcgiwrap, the program cors-wrap replaces, for comparison

# shellcheck disable=SC2154 # $body, $log, $http_status are set by http (lib/servers.bash)
load lib/common
load lib/servers

APP=https://app.example.com

setup_file() {
	server_init nginx
	local dir
	dir=$(fcgi_dir)
	SOCK_A=$SERVER_ROOT/run/a.sock # spawn-fcgi binds it as root
	SOCK_B=$dir/b.sock
	SOCK_C=$dir/c.sock
	SOCK_F=$dir/fcgiwrap.sock
	export SOCK_A SOCK_B SOCK_C SOCK_F
	install_app_cgi "$CGI_DIR"
	_scripts
	cp /etc/nginx/fastcgi_params "$SERVER_ROOT/conf/fastcgi_params"

	spawn_fcgi_start "$SOCK_A" "$SERVER_CORS_WRAP" -f
	PID_A=$SPAWN_PID
	cors_wrap_start "$SOCK_B" CORS_MAX_AGE=77 CW_DAEMON_ONLY=secret -c 2 -t 2 -f
	PID_B=$CW_PID
	cors_wrap_start "$SOCK_C" -c 1
	PID_C=$CW_PID
	fcgi_spawn "$SOCK_F" "$SERVER_ROOT/logs/fcgiwrap.log" \
		env -i PATH=/usr/local/bin:/usr/bin:/bin "$(command -v fcgiwrap)" -f -s "unix:$SOCK_F"
	export PID_A PID_B PID_C

	_test_locations >"$BATS_FILE_TMPDIR/locations.conf"
	# The recipe's upstream leads to daemon C, its locations to A.
	nginx_start_http "$TOP/etc/nginx/cors-wrap-upstream.conf" SOCKET="$SOCK_C" -- \
		"$TOP/etc/nginx/cors-wrap-fastcgi.conf" "$BATS_FILE_TMPDIR/locations.conf" \
		SOCKET="$SOCK_A" SOCK_B="$SOCK_B" SOCK_C="$SOCK_C" SOCK_F="$SOCK_F"
}

teardown_file() {
	server_stop
}

_scripts() {
	local v=$SERVER_VAR
	cat >"$CGI_BIN/hello.cgi" <<EOF
#!/bin/sh
echo "\$REQUEST_METHOD \${PATH_INFO:-}" >>'$v/hello.log'
printf 'Content-Type: text/plain\nX-Request-Id: 7\n\n'
printf 'hello %s\n' "\$REQUEST_METHOD"
if [ "\$REQUEST_METHOD" = POST ]; then cat; fi
EOF
	# 10 MB of answer before reading a byte of the body, then its SHA-256.
	cat >"$CGI_BIN/stream.cgi" <<'EOF'
#!/bin/sh
printf 'Content-Type: application/octet-stream\n\n'
head -c 10485760 /dev/zero
sha256sum | cut -d' ' -f1
EOF
	cat >"$CGI_BIN/env.cgi" <<'EOF'
#!/bin/sh
printf 'Content-Type: text/plain\n\n'
echo "PATH=$PATH"
echo "user=$(id -un)"
echo "daemon=${CW_DAEMON_ONLY:-}"
echo "cwd=$(pwd)"
echo "script=$SCRIPT_FILENAME"
echo "path_info=${PATH_INFO:-}"
echo "proxy=${HTTP_PROXY-unset}"
EOF
	# The script's view of Origin: its environment's entries.
	cat >"$CGI_BIN/origin.cgi" <<'EOF'
#!/bin/sh
printf 'Content-Type: text/plain\n\n'
env | grep '^HTTP_ORIGIN=' || true
EOF
	cat >"$CGI_BIN/hang.cgi" <<EOF
#!/bin/sh
sleep 300 &
echo "\$\$ \$!" >'$v/hang.pids'
wait
EOF
	cat >"$CGI_BIN/stubborn.cgi" <<EOF
#!/bin/sh
trap '' TERM
sleep 300 &
echo "\$\$ \$!" >'$v/stubborn.pids'
wait
EOF
	cat >"$CGI_BIN/crash.cgi" <<EOF
#!/bin/sh
echo "\$\$" >'$v/crash.pid'
kill -SEGV \$\$
EOF
	# Never reads its stdin: a body larger than the pipe stays unread.
	cat >"$CGI_BIN/noread.cgi" <<EOF
#!/bin/sh
echo "\$\$" >'$v/noread.pid'
exec sleep 300
EOF
	cat >"$CGI_BIN/slow.cgi" <<EOF
#!/bin/sh
echo "\$\$" >'$v/slow.pid'
printf 'Content-Type: text/plain\n\n'
i=0
while [ \$i -lt 60 ]; do echo "line \$i"; sleep 0.5; i=\$((i + 1)); done
EOF
	cat >"$CGI_BIN/cmp.cgi" <<'EOF'
#!/bin/sh
echo "cmp.cgi says $QUERY_STRING on stderr" >&2
case $QUERY_STRING in
created)
	printf 'Status: 201 Created\nContent-Type: text/plain\nX-Cmp: 1\n\n'
	printf 'created %s\n' "${PATH_INFO:-}" ;;
missing)
	printf 'Status: 404 Not Found\nContent-Type: text/plain\n\nno such thing\n' ;;
echo)
	printf 'Content-Type: application/octet-stream\n\n'
	cat ;;
*)
	printf 'Content-Type: text/plain\n\n'
	printf 'hello %s %s [%s] [%s]\n' "$REQUEST_METHOD" "$SCRIPT_NAME" "${PATH_INFO:-}" "$QUERY_STRING" ;;
esac
EOF
	# A line on stderr just before exiting, after an answer or instead of one.
	cat >"$CGI_BIN/stderr.cgi" <<'EOF'
#!/bin/sh
case $QUERY_STRING in
die-*)
	echo "stderr.cgi $QUERY_STRING" >&2
	exit 3 ;;
*)
	printf 'Content-Type: text/plain\n\nok\n'
	echo "stderr.cgi $QUERY_STRING" >&2 ;;
esac
EOF
	cat >"$CGI_DIR/outside.cgi" <<EOF
#!/bin/sh
echo ran >>'$v/outside.log'
printf 'Content-Type: text/plain\n\noutside\n'
EOF
	printf 'not a program\n' >"$CGI_BIN/plain.txt"
	chmod 755 "$CGI_BIN"/*.cgi "$CGI_DIR/outside.cgi"
	ln -s "$CGI_DIR/outside.cgi" "$CGI_BIN/escape.cgi"
}

# Locations of the tests: /b/NAME (daemon B), /one/ and /two/ (B, each with
# its own origins), /root/* (B, with a script root), /ka/NAME (C, keep-alive),
# /c/NAME (C, a connection per request), /fw/NAME (fcgiwrap), /cw/NAME (A,
# with the same params as /fw/).
_test_locations() {
	local name pass extra
	cat <<'EOF'
client_max_body_size 20m;
EOF
	for name in b ka c fw cw; do
		extra='fastcgi_param CORS_ORIGINS https://app.example.com;'
		case $name in
		b) pass='fastcgi_pass unix:@SOCK_B@;' ;;
		ka) pass='fastcgi_pass cors_wrap; fastcgi_keep_conn on;' ;;
		c) pass='fastcgi_pass unix:@SOCK_C@;' ;;
		fw) pass='fastcgi_pass unix:@SOCK_F@;' extra= ;;
		cw) pass='fastcgi_pass unix:@SOCKET@;' ;;
		esac
		cat <<EOF
location /$name/ {
    fastcgi_split_path_info ^/$name(/[^/]+)(/.*)?\$;
    include fastcgi_params;
    fastcgi_param SCRIPT_FILENAME @CGI_BIN@\$fastcgi_script_name;
    fastcgi_param PATH_INFO \$fastcgi_path_info;
    $extra
    $pass
}
EOF
	done
	cat <<'EOF'
location /one/ {
    include fastcgi_params;
    fastcgi_param SCRIPT_FILENAME @CGI_BIN@/hello.cgi;
    fastcgi_param CORS_ORIGINS https://one.example.com;
    fastcgi_pass unix:@SOCK_B@;
}
location /two/ {
    include fastcgi_params;
    fastcgi_param SCRIPT_FILENAME @CGI_BIN@/hello.cgi;
    fastcgi_param CORS_ORIGINS "https://two.example.com https://*.two.example.com";
    fastcgi_param CORS_MAX_AGE 5;
    fastcgi_pass unix:@SOCK_B@;
}
location = /root/outside {
    include fastcgi_params;
    fastcgi_param SCRIPT_FILENAME @CGI_DIR@/outside.cgi;
    fastcgi_param CORS_SCRIPT_ROOT @CGI_BIN@;
    fastcgi_param CORS_ORIGINS https://app.example.com;
    fastcgi_pass unix:@SOCK_B@;
}
location = /root/dotdot {
    include fastcgi_params;
    fastcgi_param SCRIPT_FILENAME @CGI_BIN@/../cgi/outside.cgi;
    fastcgi_param CORS_SCRIPT_ROOT @CGI_BIN@;
    fastcgi_param CORS_ORIGINS https://app.example.com;
    fastcgi_pass unix:@SOCK_B@;
}
location = /root/inside {
    include fastcgi_params;
    fastcgi_param SCRIPT_FILENAME @CGI_BIN@/hello.cgi;
    fastcgi_param CORS_SCRIPT_ROOT @CGI_BIN@;
    fastcgi_param CORS_ORIGINS https://app.example.com;
    fastcgi_pass unix:@SOCK_B@;
}
EOF
}

runs() {
	line_count "$SERVER_VAR/${1:-runs}.log"
}

# in_log PATTERN: the lines the server log gained ($log) match PATTERN (ERE).
in_log() {
	printf '%s\n' "$log" | grep -Eq -- "$1" || {
		printf 'no line matching [%s] in the server log:\n%s\n' "$1" "$log" >&2
		return 1
	}
}

# ---- the recipes: a fixed program (/api/) and a script directory (/cgi-bin/)

@test "nginx: a preflight to /api/ is answered by cors-wrap without running the program" {
	local before
	before=$(runs)
	http OPTIONS /api/x -H "Origin: $APP" -H 'Access-Control-Request-Method: PUT' \
		-H 'Access-Control-Request-Headers: content-type,authorization'
	assert_http_status 204
	assert_header Access-Control-Allow-Origin "$APP"
	assert_header Access-Control-Allow-Credentials true
	assert_header Access-Control-Allow-Methods 'DELETE, GET, POST, PUT'
	assert_header Access-Control-Allow-Headers 'authorization, content-type'
	assert_header Access-Control-Max-Age 600
	assert_vary Origin Access-Control-Request-Method Access-Control-Request-Headers
	assert_equal "$(runs)" "$before"
}

@test "nginx: a refused preflight gets no CORS headers and runs nothing" {
	local before
	before=$(runs)
	http OPTIONS /api/x -H 'Origin: https://evil.example.net' \
		-H 'Access-Control-Request-Method: PUT'
	assert_http_status 204
	no_cors_headers
	assert_equal "$(runs)" "$before"
}

@test "nginx: GET through /api/ runs CORS_EXEC with PATH_INFO and merges the CORS headers" {
	local before
	before=$(runs)
	http GET /api/hello -H "Origin: $APP"
	assert_http_status 200
	assert_header Access-Control-Allow-Origin "$APP"
	assert_header Access-Control-Allow-Credentials true
	assert_header Access-Control-Expose-Headers X-Request-Id
	assert_equal "$(header_count Access-Control-Allow-Origin)" 1
	assert_vary Origin
	assert_header X-Request-Id 42
	assert_header Content-Type text/plain
	assert_equal "$body" app.cgi
	assert_equal "$(runs)" "$((before + 1))"
	assert_equal "$(tail -n 1 "$SERVER_VAR/runs.log")" 'GET /hello'
}

@test "nginx: GET from a refused origin gets the program's answer with Vary but no CORS headers" {
	http GET /api/x -H 'Origin: https://app.example.com.evil.net'
	assert_http_status 200
	no_cors_headers
	assert_vary Origin
	assert_equal "$body" app.cgi
}

@test "nginx: a 1 MB POST through /api/ reaches the program intact, with CORS headers" {
	local data=$BATS_TEST_TMPDIR/post.bin
	head -c 1048576 /dev/urandom >"$data"
	http POST /api/sha256 -H 'Origin: https://eu.example.org' \
		-H 'Content-Type: application/octet-stream' --data-binary "@$data"
	assert_http_status 200
	assert_header Access-Control-Allow-Origin https://eu.example.org
	assert_equal "$body" "$(sha256sum <"$data" | cut -d' ' -f1)"
}

@test "nginx: /cgi-bin/ runs the script the URL names, with PATH_INFO and CORS headers" {
	http GET /cgi-bin/env.cgi/p/q -H "Origin: $APP"
	assert_http_status 200
	assert_header Access-Control-Allow-Origin "$APP"
	assert_vary Origin
	printf '%s\n' "$body" | grep -qx "script=$CGI_BIN/env.cgi"
	printf '%s\n' "$body" | grep -qx 'path_info=/p/q'
	printf '%s\n' "$body" | grep -qx "cwd=$CGI_BIN"
}

@test "nginx: a preflight to /cgi-bin/ runs no script" {
	local before
	before=$(runs hello)
	http OPTIONS /cgi-bin/hello.cgi -H "Origin: $APP" -H 'Access-Control-Request-Method: POST'
	assert_http_status 204
	assert_header Access-Control-Allow-Origin "$APP"
	assert_header Access-Control-Max-Age 600
	assert_equal "$(runs hello)" "$before"
}

@test "nginx: POST to /cgi-bin/ gets the script's echo of the body and CORS headers" {
	local before
	before=$(runs hello)
	http POST /cgi-bin/hello.cgi -H "Origin: $APP" --data-binary 'a=1&b=2'
	assert_http_status 200
	assert_header Access-Control-Allow-Origin "$APP"
	assert_header X-Request-Id 7
	assert_equal "$body" "hello POST
a=1&b=2"
	assert_equal "$(runs hello)" "$((before + 1))"
}

@test "nginx: /cgi-bin/ answers 404 for a missing script and 403 for a file that is not executable" {
	http GET /cgi-bin/nope.cgi -H "Origin: $APP"
	assert_http_status 404
	assert_header Access-Control-Allow-Origin "$APP"
	in_log 'cors-wrap: .*nope\.cgi'
	http GET /cgi-bin/plain.txt -H "Origin: $APP"
	assert_http_status 403
	assert_header Access-Control-Allow-Origin "$APP"
	in_log 'cors-wrap: .*plain\.txt.*not executable'
}

@test "nginx: a symlink in the script root that leads outside it gets 403 and runs nothing" {
	local before
	before=$(runs outside)
	http GET /cgi-bin/escape.cgi -H "Origin: $APP"
	assert_http_status 403
	assert_header Access-Control-Allow-Origin "$APP"
	in_log 'cors-wrap: .*escape\.cgi.*outside the script root'
	assert_equal "$(runs outside)" "$before"
}

@test "nginx: SCRIPT_FILENAME outside CORS_SCRIPT_ROOT, or with .., gets 403 and runs nothing" {
	local before
	before=$(runs outside)
	http GET /root/outside -H "Origin: $APP"
	assert_http_status 403
	assert_header Access-Control-Allow-Origin "$APP"
	in_log 'cors-wrap: .*outside\.cgi is outside the script root'
	http GET /root/dotdot -H "Origin: $APP"
	assert_http_status 403
	in_log 'cors-wrap: .*"\.\." in the path'
	assert_equal "$(runs outside)" "$before"
	# The same location with a script inside the root runs it.
	http GET /root/inside -H "Origin: $APP"
	assert_http_status 200
	assert_equal "$body" 'hello GET'
}

@test "nginx: an answer cors-wrap gives before reading the body (404, 403, a preflight) reaches the client of an 8 MB request" {
	local data=$BATS_TEST_TMPDIR/post.bin i
	head -c 8388608 /dev/urandom >"$data"
	# cors-wrap must read the body (and drop it) rather than close the
	# connection nginx is still writing it to (nginx: 502, "writev() failed
	# (32: Broken pipe) while sending request to upstream").
	for ((i = 0; i < 3; i++)); do
		http POST /cgi-bin/nope.cgi -H "Origin: $APP" --data-binary "@$data"
		assert_http_status 404
		assert_header Access-Control-Allow-Origin "$APP"
		http POST /cgi-bin/escape.cgi -H "Origin: $APP" --data-binary "@$data"
		assert_http_status 403
		assert_header Access-Control-Allow-Origin "$APP"
		http OPTIONS /api/x -H "Origin: $APP" -H 'Access-Control-Request-Method: PUT' \
			--data-binary "@$data"
		assert_http_status 204
		assert_header Access-Control-Allow-Origin "$APP"
	done
}

# ---- streaming, failures

@test "nginx: 10 MB of answer before the script reads its 10 MB body: both arrive whole" {
	local data=$BATS_TEST_TMPDIR/post.bin size
	head -c 10485760 /dev/urandom >"$data"
	http POST /cgi-bin/stream.cgi -H "Origin: $APP" \
		-H 'Content-Type: application/octet-stream' --data-binary "@$data" --max-time 30
	assert_http_status 200
	assert_header Access-Control-Allow-Origin "$APP"
	size=$(stat -c %s "$body_file")
	assert_equal "$size" $((10485760 + 65))
	cmp -n 10485760 "$body_file" /dev/zero
	assert_equal "$(tail -c 65 "$body_file")" "$(sha256sum <"$data" | cut -d' ' -f1)"
}

@test "nginx: a script that hangs past -t gets 504 with CORS headers, and its process group is stopped" {
	rm -f "$SERVER_VAR/hang.pids"
	local start=$SECONDS pids
	http GET /b/hang.cgi -H "Origin: $APP"
	assert_http_status 504
	assert_header Access-Control-Allow-Origin "$APP"
	assert_vary Origin
	# -t 2, not the default 120 s, even on a loaded machine
	[ $((SECONDS - start)) -le 30 ]
	in_log 'cors-wrap: error: .*hang\.cgi: timed out, silent for 2 s'
	pids=$(cat "$SERVER_VAR/hang.pids")
	# shellcheck disable=SC2086 # the shell's pid and its child's
	wait_gone 3 $pids
}

@test "nginx: a script that ignores SIGTERM past -t is killed, its children too" {
	rm -f "$SERVER_VAR/stubborn.pids"
	local pids
	http GET /b/stubborn.cgi -H "Origin: $APP"
	assert_http_status 504
	assert_header Access-Control-Allow-Origin "$APP"
	pids=$(cat "$SERVER_VAR/stubborn.pids")
	# SIGTERM, then SIGKILL 2 s later.
	# shellcheck disable=SC2086 # the shell's pid and its child's
	wait_gone 5 $pids
}

@test "nginx: a script killed by SIGSEGV before its headers gets 502 with CORS headers and a log line naming the signal" {
	rm -f "$SERVER_VAR/crash.pid"
	http GET /b/crash.cgi -H "Origin: $APP"
	assert_http_status 502
	assert_header Access-Control-Allow-Origin "$APP"
	assert_vary Origin
	in_log 'cors-wrap: error: .*crash\.cgi: .*signal 11'
	[ -s "$SERVER_VAR/crash.pid" ]
}

@test "nginx: a client that goes away mid-answer stops the script, and the worker serves on" {
	local loc pid
	for loc in c ka; do
		rm -f "$SERVER_VAR/slow.pid"
		run curl -sS --noproxy '*' --max-time 1 -o /dev/null "$BASE/$loc/slow.cgi"
		assert_equal "$status" 28 # curl's timeout
		[ -s "$SERVER_VAR/slow.pid" ]
		pid=$(cat "$SERVER_VAR/slow.pid")
		wait_gone 4 "$pid"
		# Daemon C has one worker: it is the one that serves this.
		http GET "/$loc/hello.cgi" -H "Origin: $APP"
		assert_http_status 200
		assert_equal "$body" 'hello GET'
		alive "$PID_C"
	done
}

@test "nginx: a client that goes away while its upload waits for a script that never reads stops the script; the worker does not spin" {
	local loc pid worker t0 t1 data=$BATS_TEST_TMPDIR/upload
	head -c 1048576 /dev/zero >"$data"
	worker=$(children "$PID_C" | head -n 1)
	for loc in c ka; do
		rm -f "$SERVER_VAR/noread.pid"
		run curl -sS --noproxy '*' --max-time 1 -o /dev/null \
			--data-binary "@$data" "$BASE/$loc/noread.cgi"
		assert_equal "$status" 28 # curl's timeout
		[ -s "$SERVER_VAR/noread.pid" ]
		pid=$(cat "$SERVER_VAR/noread.pid")
		wait_gone 4 "$pid"
		# utime + stime of the worker over a second: idle, not polling a
		# hang-up it ignores.
		t0=$(awk '{ print $14 + $15 }' "/proc/$worker/stat")
		sleep 1
		t1=$(awk '{ print $14 + $15 }' "/proc/$worker/stat")
		[ $((t1 - t0)) -le 5 ] || {
			echo "the worker used $((t1 - t0)) ticks in 1 s while idle" >&2
			return 1
		}
		http GET "/$loc/hello.cgi" -H "Origin: $APP"
		assert_http_status 200
		assert_equal "$body" 'hello GET'
	done
}

# ---- per-location policy, environment

@test "nginx: fastcgi_param CORS_ORIGINS gives two locations of one daemon their own policy" {
	http GET /one/ -H 'Origin: https://one.example.com'
	assert_http_status 200
	assert_header Access-Control-Allow-Origin https://one.example.com
	http GET /two/ -H 'Origin: https://one.example.com'
	assert_http_status 200
	no_cors_headers
	http GET /two/ -H 'Origin: https://x.two.example.com'
	assert_header Access-Control-Allow-Origin https://x.two.example.com
	http GET /one/ -H 'Origin: https://x.two.example.com'
	no_cors_headers
	http OPTIONS /one/ -H 'Origin: https://one.example.com' -H 'Access-Control-Request-Method: GET'
	assert_http_status 204
	assert_header Access-Control-Allow-Origin https://one.example.com
	http OPTIONS /two/ -H 'Origin: https://one.example.com' -H 'Access-Control-Request-Method: GET'
	assert_http_status 204
	no_cors_headers
}

@test "nginx: CORS_* of the daemon's environment apply where the location sets no value" {
	http OPTIONS /one/ -H 'Origin: https://one.example.com' -H 'Access-Control-Request-Method: GET'
	assert_header Access-Control-Max-Age 77
	http OPTIONS /two/ -H 'Origin: https://two.example.com' -H 'Access-Control-Request-Method: GET'
	assert_header Access-Control-Max-Age 5
}

@test "nginx: the script's environment is the params and a default PATH, not the daemon's; it runs as the server user" {
	http GET /b/env.cgi/x -H "Origin: $APP"
	assert_http_status 200
	printf '%s\n' "$body" | grep -qx 'PATH=/usr/local/bin:/usr/bin:/bin'
	printf '%s\n' "$body" | grep -qx 'daemon='
	printf '%s\n' "$body" | grep -qx 'path_info=/x'
	if [ "$(id -u)" -eq 0 ]; then
		printf '%s\n' "$body" | grep -qx "user=$(server_user)"
	fi
}

@test "nginx: httpoxy: a client's Proxy: header, which nginx passes as HTTP_PROXY, never reaches the script" {
	# The recipe's fastcgi_params pass every header as HTTP_*.
	http GET /api/proxy -H "Origin: $APP" -H 'Proxy: http://evil.example:3128'
	assert_http_status 200
	assert_header Access-Control-Allow-Origin "$APP"
	assert_equal "$body" 'HTTP_PROXY unset'
	http GET /b/env.cgi -H "Origin: $APP" -H 'Proxy: http://evil.example:3128'
	assert_http_status 200
	printf '%s\n' "$body" | grep -qx 'proxy=unset'
}

@test "nginx: a client's two Origin lines, which nginx 1.22 sends as two params, get no CORS header, and the script sees one joined Origin" {
	http GET /b/origin.cgi -H "Origin: $APP" -H 'Origin: https://evil.example'
	assert_http_status 200
	no_cors_headers
	assert_vary Origin
	assert_equal "$body" "HTTP_ORIGIN=$APP, https://evil.example"
	http GET /b/origin.cgi -H "Origin: $APP"
	assert_http_status 200
	assert_header Access-Control-Allow-Origin "$APP"
	assert_equal "$body" "HTTP_ORIGIN=$APP"
}

@test "nginx: with -f every line a script writes to stderr before it exits reaches the error log, as with fcgiwrap" {
	local loc i n codes missing=
	local -a urls=() want=()
	# fcgiwrap (-f) first: the peer loses none.
	for loc in fw b; do
		urls=() want=()
		for ((i = 1; i <= 50; i++)); do
			n=$(printf %02d "$i")
			# -o once per URL: curl's -o goes with one URL only.
			urls+=(-o /dev/null "$BASE/$loc/stderr.cgi?ok-$loc-$n"
				-o /dev/null "$BASE/$loc/stderr.cgi?die-$loc-$n")
			want+=("ok-$loc-$n" "die-$loc-$n")
		done
		codes=$(curl -sS --noproxy '*' --max-time 20 -w '%{http_code}\n' "${urls[@]}" |
			sort | uniq -c | awk '{ print $2 "x" $1 }' | paste -sd' ')
		assert_equal "$codes" '200x50 502x50'
		for i in "${want[@]}"; do
			grep -q "stderr\.cgi $i" "$SERVER_LOG" || missing="$missing $i"
		done
	done
	[ -z "$missing" ] || {
		printf 'stderr lines lost (of 100 each):%s\n' "$missing" >&2
		return 1
	}
}

# ---- keep-alive

# A worker that served one connection at a time would hold each request
# behind an idle kept connection until nginx's fastcgi_read_timeout (60 s):
# a stall shows as a request taking most of a minute, whatever the load.
# no_stall: every "CODE SECONDS" line of $codes is 200 within 10 s.
no_stall() {
	printf '%s\n' "$codes" | awk -v want="$1" '
		$1 == 200 && $2 < 10 { n++ } END { exit n != want }' || {
		printf 'expected %s answers 200, each within 10 s:\n%s\n' "$1" "$codes" >&2
		return 1
	}
}

@test "nginx: keep-alive upstream, one worker: 50 sequential and 20 parallel requests all succeed, none stalls" {
	local data=$BATS_TEST_TMPDIR/post.bin i codes
	local -a urls=() args=()
	head -c 100000 /dev/urandom >"$data"
	for ((i = 0; i < 50; i++)); do urls+=(-o /dev/null "$BASE/ka/hello.cgi"); done
	# One client connection: nginx passes every request over its kept ones.
	codes=$(curl -sS --noproxy '*' --max-time 120 -H "Origin: $APP" \
		-w '%{http_code} %{time_total}\n' "${urls[@]}")
	no_stall 50
	# Preflights (answered in process), POSTs and GETs mixed, sequentially.
	for ((i = 0; i < 10; i++)); do
		http OPTIONS /ka/hello.cgi -H "Origin: $APP" -H 'Access-Control-Request-Method: POST'
		assert_http_status 204
		http POST /ka/cmp.cgi?echo --data-binary "@$data" -H "Origin: $APP"
		assert_http_status 200
		assert_equal "$(sha256sum <"$body_file")" "$(sha256sum <"$data")"
		http GET /ka/hello.cgi -H "Origin: $APP"
		assert_http_status 200
		assert_header Access-Control-Allow-Origin "$APP"
	done
	# 20 at once.
	for ((i = 0; i < 20; i++)); do args+=(-o /dev/null "$BASE/ka/hello.cgi"); done
	codes=$(curl -sS --noproxy '*' --max-time 60 --parallel --parallel-max 20 \
		-H "Origin: $APP" -w '%{http_code} %{time_total}\n' "${args[@]}")
	no_stall 20
	# nginx kept connections open to the one worker: the listener and more.
	local w socks
	w=$(children "$PID_C")
	socks=$(find "/proc/$w/fd" -lname 'socket:*' | wc -l)
	[ "$socks" -ge 2 ] || {
		echo "worker $w holds $socks sockets: no kept connection" >&2
		return 1
	}
}

# ---- fcgiwrap

@test "nginx: cors-wrap gives the status and body fcgiwrap gives, plus the CORS headers" {
	local q fw_status fw_body fw_type data=$BATS_TEST_TMPDIR/post.bin
	# fcgiwrap writes the whole body to the script before reading its
	# answer: an echo larger than a pipe holds would stall it.
	head -c 20000 /dev/urandom >"$data"
	for q in '' created missing; do
		http GET "/fw/cmp.cgi/p/i?$q" -H "Origin: $APP"
		fw_status=$http_status fw_body=$body fw_type=$(header Content-Type)
		no_cors_headers
		http GET "/cw/cmp.cgi/p/i?$q" -H "Origin: $APP"
		assert_equal "$http_status" "$fw_status"
		assert_equal "$body" "$fw_body"
		assert_equal "$(header Content-Type)" "$fw_type"
		assert_header Access-Control-Allow-Origin "$APP"
	done
	assert_equal "$fw_status" 404
	http POST /fw/cmp.cgi?echo --data-binary "@$data"
	assert_http_status 200
	fw_body=$(sha256sum <"$body_file")
	http POST /cw/cmp.cgi?echo --data-binary "@$data" -H "Origin: $APP"
	assert_http_status 200
	assert_equal "$(sha256sum <"$body_file")" "$fw_body"
	assert_equal "$fw_body" "$(sha256sum <"$data")"
}

@test "nginx: spawn-fcgi hands the socket over and becomes cors-wrap: a master and its worker" {
	alive "$PID_A"
	alive "$PID_B"
	alive "$PID_C"
	assert_equal "$(readlink "/proc/$PID_A/exe")" "$SERVER_CORS_WRAP"
	assert_equal "$(children "$PID_A" | wc -l)" 1
	assert_equal "$(children "$PID_B" | wc -l)" 2
}
