#!/usr/bin/env bats
# The relay of merging mode never stalls the server that runs cors-wrap:
# behind lighttpd (mod_cgi, streaming), Apache (mod_cgi under prefork,
# mod_cgid) and nginx (the FastCGI daemon), a script that pauses delays no
# other request, and what it printed before the pause reaches the client
# during it.  A host that writes the request body while it polls the answer
# (Python's subprocess.communicate) gets an echoing script's answer whole.
# Each server is started by its test and stopped by teardown.

load lib/common
load lib/servers

APP=https://app.example.com
# How long the script sleeps between its two lines.  Every check of a test
# happens within it, each allowed QUICK seconds: a stalled server answers
# only when the pause ends.
PAUSE=8
QUICK=2

setup_file() {
	POLLHOST=$BATS_FILE_TMPDIR/pollhost
	cc -std=c11 -O2 -D_GNU_SOURCE -Wall -Wextra -Werror -o "$POLLHOST" \
		"$TOP/tests/lib/pollhost.c"
	ECHO_CGI=$BATS_FILE_TMPDIR/echo.cgi
	printf '#!/bin/sh\nprintf "Content-Type: application/octet-stream\\n\\n"\nexec cat\n' \
		>"$ECHO_CGI"
	chmod 755 "$ECHO_CGI"
	export POLLHOST ECHO_CGI
}

teardown() {
	if [ -n "${SLOW_CURL:-}" ]; then
		kill "$SLOW_CURL" 2>/dev/null || true
		wait "$SLOW_CURL" 2>/dev/null || true
	fi
	server_stop
}

# slow_script FILE: a CGI script that prints its header block and a line,
# marks that it is pausing, sleeps PAUSE seconds, then prints another line.
# As a streaming script behind nginx must, it turns nginx's buffering of
# its answer off (X-Accel-Buffering).
slow_script() {
	cat >"$1" <<EOF
#!/bin/sh
printf 'Content-Type: text/plain\nX-Request-Id: 9\nX-Accel-Buffering: no\n\n'
echo first
: >'$SERVER_VAR/pausing'
sleep $PAUSE
echo second
EOF
	chmod 755 "$1"
	echo static >"$DOCROOT/static.txt"
}

# quick WHAT STATUS CURL_ARG...: one request to $BASE, which must get
# STATUS within QUICK seconds.
quick() {
	local what=$1 want=$2 got
	shift 2
	got=$(curl -sS -g --noproxy '*' --max-time 20 -o /dev/null \
		-w '%{http_code} %{time_total}' "$@") || true
	awk -v g="$got" -v w="$want" -v q="$QUICK" 'BEGIN {
		split(g, a, " "); exit !(a[1] == w && a[2] < q) }' || {
		printf '%s: expected %s within %s s, got "%s" (status, seconds)\n' \
			"$what" "$want" "$QUICK" "$got" >&2
		return 1
	}
}

# pause_stalls_nothing PATH PREFLIGHT_PATH: while the script at PATH
# sleeps, a static file and a preflight to PREFLIGHT_PATH are answered
# quickly, and the script's first line has reached the client; at the end
# the client has both lines.
pause_stalls_nothing() {
	local path=$1 pre=$2 out=$BATS_TEST_TMPDIR/slow.out hdr=$BATS_TEST_TMPDIR/slow.hdr i
	rm -f "$SERVER_VAR/pausing"
	curl -sS -N -g --noproxy '*' --max-time 30 -H "Origin: $APP" -D "$hdr" -o "$out" \
		"$BASE$path" 3>&- &
	SLOW_CURL=$!
	wait_for_path "$SERVER_VAR/pausing" 10
	quick 'a static file during the pause' 200 "$BASE/static.txt"
	quick 'a preflight during the pause' 204 -X OPTIONS -H "Origin: $APP" \
		-H 'Access-Control-Request-Method: PUT' "$BASE$pre"
	for ((i = 0; i < QUICK * 10; i++)); do
		! grep -qx first "$out" 2>/dev/null || break
		sleep 0.1
	done
	if grep -q second "$out"; then
		echo "the pause was over before the checks were: the server stalled" >&2
		return 1
	fi
	grep -qx first "$out" || {
		printf 'the first line did not reach the client during the pause; got:\n' >&2
		cat "$out" "$hdr" 2>/dev/null >&2
		return 1
	}
	wait "$SLOW_CURL" || {
		echo "the slow request failed" >&2
		return 1
	}
	SLOW_CURL=
	assert_equal "$(cat "$out")" "$(printf 'first\nsecond')"
	grep -qi "^Access-Control-Allow-Origin: $APP" "$hdr" || {
		cat "$hdr" >&2
		return 1
	}
}

# lighttpd with the recipe of etc/lighttpd/ and streaming on; /prepend/
# runs cors-wrap in prepend mode.
start_lighttpd() {
	server_init lighttpd
	mkdir "$DOCROOT/prepend"
	slow_script "$DOCROOT/slow.cgi"
	cp "$DOCROOT/slow.cgi" "$DOCROOT/prepend/slow.cgi"
	cat >"$BATS_TEST_TMPDIR/stream.conf" <<'EOF'
server.stream-response-body = 2
$HTTP["url"] =~ "^/prepend/" {
    setenv.add-environment += ( "CORS_MODE" => "prepend" )
}
EOF
	lighttpd_start "$TOP/etc/lighttpd/cors-wrap-cgi.conf" "$BATS_TEST_TMPDIR/stream.conf"
}

# Apache with /slow (merging mode) and /prepend (prepend mode).
start_apache() {
	server_init apache
	slow_script "$CGI_DIR/slow.cgi"
	cat >"$BATS_TEST_TMPDIR/slow.conf" <<'EOF'
ScriptAlias /slow @CORS_WRAP@
ScriptAlias /prepend @CORS_WRAP@
<LocationMatch "^/(slow|prepend)">
    Require all granted
    SetEnv CORS_EXEC @CGI_DIR@/slow.cgi
    SetEnv CORS_ORIGINS https://app.example.com
</LocationMatch>
<Location /prepend>
    SetEnv CORS_MODE prepend
</Location>
EOF
	apache_start "$BATS_TEST_TMPDIR/slow.conf"
}

@test "lighttpd, merging mode: a pausing script stalls no other request, its first line arrives during the pause" {
	start_lighttpd
	pause_stalls_nothing /slow.cgi /slow.cgi
}

@test "lighttpd, prepend mode: a pausing script stalls no other request, its first line arrives during the pause" {
	start_lighttpd
	pause_stalls_nothing /prepend/slow.cgi /prepend/slow.cgi
}

@test "Apache mod_cgi, merging mode: a pausing script's first line arrives during the pause" {
	APACHE_CGI=cgi start_apache
	pause_stalls_nothing /slow /slow
}

@test "Apache mod_cgi, prepend mode: a pausing script's first line arrives during the pause" {
	APACHE_CGI=cgi start_apache
	pause_stalls_nothing /prepend /prepend
}

@test "Apache mod_cgid, merging mode: a pausing script's first line arrives during the pause" {
	start_apache
	pause_stalls_nothing /slow /slow
}

@test "nginx and the FastCGI daemon: a pausing script stalls no other request, its first line arrives during the pause" {
	server_init nginx
	slow_script "$CGI_DIR/app.cgi"
	cp /etc/nginx/fastcgi_params "$SERVER_ROOT/conf/fastcgi_params"
	cors_wrap_start "$SERVER_ROOT/fcgi/cw.sock" -c 1
	nginx_start "$TOP/etc/nginx/cors-wrap-fastcgi.conf" SOCKET="$SERVER_ROOT/fcgi/cw.sock"
	pause_stalls_nothing /api/x /api/x
}

# poll_host MODE [FLAG ...]: bodies of 64 KiB, 200 KB and 10 MB, each
# echoed whole by an `exec cat` script through cors-wrap in MODE, to
# pollhost with FLAGs (-n: a non-blocking stdout the host at first leaves
# full; -s: a socket as stdout, as under mod_cgid).
poll_host() {
	local size mode=$1 out rc
	shift
	for size in 65536 200000 10000000; do
		rc=0
		out=$(env -i PATH=/usr/local/bin:/usr/bin:/bin GATEWAY_INTERFACE=CGI/1.1 \
			REQUEST_METHOD=POST CONTENT_LENGTH="$size" HTTP_ORIGIN="$APP" \
			CORS_ORIGINS="$APP" CORS_EXEC="$ECHO_CGI" CORS_MODE="$mode" \
			timeout -k 5 60 "$POLLHOST" "$@" 20 "$size" "$CORS_WRAP" 2>&1) || rc=$?
		[ "$rc" -eq 0 ] || {
			printf '%s bytes, %s mode: status %s\n%s\n' "$size" "$mode" "$rc" "$out" >&2
			return 1
		}
	done
}

@test "a host that writes the body while it polls the answer gets it whole, merging mode" {
	poll_host merge
}

@test "a host that writes the body while it polls the answer gets it whole, prepend mode" {
	poll_host prepend
}

@test "merging mode relays the whole answer into a non-blocking stdout the host leaves full at first" {
	poll_host merge -n
}

@test "merging mode relays the whole answer into a non-blocking socket the host leaves full at first" {
	poll_host merge -n -s
}
