#!/usr/bin/env bats
# The FastCGI daemon's counters (lib/metrics.c, cors-wrap(1) METRICS): the
# counting and the exposition in-process (tests/unit/metrics_check.c), then
# two workers behind real nginx with the recipe of
# etc/nginx/cors-wrap-metrics.conf: the Prometheus text format line by
# line, counters that grow by exactly the requests made whichever worker
# served them, that go on through a reload and a worker's death, and a
# client's CORS-Metrics header, which gets no counters.

# shellcheck disable=SC2154 # $body_file, $http_status are set by http (lib/servers.bash)
load lib/common
load lib/servers

APP=https://app.example.com
METRICS_CHECK=$TOP/build/tests/metrics_check
EXPOSITION=$TOP/tests/lib/exposition.py
CT='text/plain; version=0.0.4; charset=utf-8'
# Debian's, not a version manager's shim that costs a second a call.
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3

setup_file() {
	unit_build metrics_check
	server_init nginx
	SOCK=$(fcgi_dir)/cw.sock
	INI=$SERVER_ROOT/conf/cors-wrap.ini
	export SOCK INI
	printf 'origins = %s\n[cw]\npath = /cw/*\n[open]\npath = /open/*\norigins = *\n' "$APP" >"$INI"
	cat >"$CGI_BIN/hello.cgi" <<'EOF2'
#!/bin/sh
printf 'Content-Type: text/plain\n\nhello\n'
EOF2
	cat >"$CGI_BIN/ppid.cgi" <<EOF2
#!/bin/sh
echo "\$PPID" >>'$SERVER_VAR/ppids'
printf 'Content-Type: text/plain\n\nppid\n'
EOF2
	# Its own credentials, which an origin only * allows may not have.
	printf '#!/bin/sh\nprintf "Content-Type: text/plain\\nAccess-Control-Allow-Credentials: true\\n\\nc\\n"\n' \
		>"$CGI_BIN/creds.cgi"
	# No header: 502.
	printf '#!/bin/sh\nexit 3\n' >"$CGI_BIN/fail.cgi"
	# Silent past -t 1: 504.
	printf '#!/bin/sh\nexec sleep 30\n' >"$CGI_BIN/slow.cgi"
	chmod 755 "$CGI_BIN"/*.cgi
	chmod 644 "$INI"
	cors_wrap_start "$SOCK" CORS_CONFIG="$INI" -c 2 -t 1
	cp /etc/nginx/fastcgi_params "$SERVER_ROOT/conf/fastcgi_params"
	cat >"$BATS_FILE_TMPDIR/locations.conf" <<'EOF2'
location /cw/ {
    fastcgi_split_path_info ^/cw(/[^/]+)(/.*)?$;
    include fastcgi_params;
    fastcgi_param SCRIPT_FILENAME @CGI_BIN@$fastcgi_script_name;
    fastcgi_pass unix:@SOCKET@;
}
location /open/ {
    fastcgi_split_path_info ^/open(/[^/]+)(/.*)?$;
    include fastcgi_params;
    fastcgi_param SCRIPT_FILENAME @CGI_BIN@$fastcgi_script_name;
    fastcgi_pass unix:@SOCKET@;
}
EOF2
	nginx_start "$TOP/etc/nginx/cors-wrap-metrics.conf" "$BATS_FILE_TMPDIR/locations.conf" \
		SOCKET="$SOCK"
}

teardown_file() {
	server_stop
}

# scrape FILE: the counters through nginx into FILE, in the format.
scrape() {
	http GET /cors-wrap/metrics
	assert_http_status 200
	assert_header Content-Type "$CT"
	cp "$body_file" "$1"
	run "$PY" "$EXPOSITION" check "$1"
	assert_success
	assert_output ''
}

# delta SERIES EXPECTED: SERIES grew by EXPECTED from before to after.
delta() {
	local b a
	b=$("$PY" "$EXPOSITION" value "$BATS_TEST_TMPDIR/before" "$1")
	a=$("$PY" "$EXPOSITION" value "$BATS_TEST_TMPDIR/after" "$1")
	[ $((a - b)) -eq "$2" ] || {
		printf '%s: %s before, %s after: grew by %s, expected %s\n' "$1" "$b" "$a" \
			"$((a - b))" "$2" >&2
		return 1
	}
}

# not_backwards: no counter of before is missing or smaller after.
not_backwards() {
	run "$PY" "$EXPOSITION" behind "$BATS_TEST_TMPDIR/before" "$BATS_TEST_TMPDIR/after"
	assert_success
	assert_output ''
}

workers() {
	ps --ppid "$CW_PID" -o pid= | tr -d ' ' | sort
}

# replaced: $new lists two workers, and $old is not one of them.
replaced() {
	[ "$(grep -c . <<<"$new")" -eq 2 ] && ! grep -qx "$old" <<<"$new"
}

req() {
	local series='cors_wrap_requests_total{section="cw",'
	printf '%skind="%s",outcome="%s",reason="%s"}' "$series" "$1" "$2" "$3"
}

@test "metrics: the counting in-process: kind, outcome (would_refuse too), reason, summed over slots another process writes, 32 section names at most, escaped labels" {
	run "$METRICS_CHECK"
	assert_success
	assert_equal "${lines[-1]}" ok
	printf '%s\n' "$output" | sed '$d' >"$BATS_TEST_TMPDIR/unit"
	run "$PY" "$EXPOSITION" check "$BATS_TEST_TMPDIR/unit"
	assert_success
	assert_output ''
}

@test "metrics: the format checker rejects a sample without HELP and TYPE, a bad label and a series twice" {
	local f=$BATS_TEST_TMPDIR/bad
	printf 'x_total 1\n' >"$f"
	run "$PY" "$EXPOSITION" check "$f"
	assert_failure
	printf '# HELP x_total h\n# TYPE x_total counter\nx_total{a="b\\q"} 1\n' >"$f"
	run "$PY" "$EXPOSITION" check "$f"
	assert_failure
	printf '# HELP x_total h\n# TYPE x_total counter\nx_total 1\nx_total 2\n' >"$f"
	run "$PY" "$EXPOSITION" check "$f"
	assert_failure
}

@test "metrics: nginx's location with fastcgi_param CORS_METRICS 1 gets the counters in the Prometheus text format, every line a comment or a sample with HELP and TYPE" {
	scrape "$BATS_TEST_TMPDIR/m"
	grep -qx '# TYPE cors_wrap_requests_total counter' "$BATS_TEST_TMPDIR/m"
	grep -qx '# TYPE cors_wrap_queue_depth gauge' "$BATS_TEST_TMPDIR/m"
	grep -qx 'cors_wrap_workers 2' "$BATS_TEST_TMPDIR/m"
	# No script ran for it, and no CORS decision was made.
	refute_header Access-Control-Allow-Origin
	refute grep -q 'origin=' "$BATS_TEST_TMPDIR/m"
}

@test "metrics: counters grow by exactly the requests made, summed over both workers" {
	local n=0 i
	scrape "$BATS_TEST_TMPDIR/before"
	rm -f "$SERVER_VAR/ppids"
	# Requests in parallel until each worker has run a script (its pid is
	# the script's parent): the sums must then come from both slots.
	for ((i = 0; i < 20; i++)); do
		ab -q -n 20 -c 8 "$BASE/cw/ppid.cgi" >"$BATS_TEST_TMPDIR/ab" 2>&1
		grep -q '^Failed requests: *0$' "$BATS_TEST_TMPDIR/ab"
		grep -q '^Non-2xx responses' "$BATS_TEST_TMPDIR/ab" && return 1
		n=$((n + 20))
		[ "$(sort -u "$SERVER_VAR/ppids" | grep -c .)" -lt 2 ] || break
	done
	assert_equal "$(sort -u "$SERVER_VAR/ppids")" "$(workers)"
	for i in 1 2 3; do
		http OPTIONS /cw/hello.cgi -H "Origin: $APP" -H 'Access-Control-Request-Method: GET'
		assert_http_status 204
	done
	for i in 1 2; do
		http GET /cw/hello.cgi -H 'Origin: https://evil.example'
		assert_http_status 200
	done
	http GET /cw/hello.cgi -H "Origin: $APP"
	assert_header Access-Control-Allow-Origin "$APP"
	http GET /cw/fail.cgi
	assert_http_status 502
	http GET /cw/slow.cgi
	assert_http_status 504
	# [open] allows any origin: the script's own credentials withhold it.
	http GET /open/creds.cgi -H 'Origin: https://evil.example'
	assert_http_status 200
	refute_header Access-Control-Allow-Origin
	scrape "$BATS_TEST_TMPDIR/after"
	delta "$(req not_cors allowed no-origin)" $((n + 2))
	delta "$(req preflight allowed allowed)" 3
	delta "$(req actual refused origin-not-allowed)" 2
	delta "$(req actual allowed allowed)" 1
	delta "$(req actual would_refuse origin-not-allowed)" 0
	delta cors_wrap_scripts_total $((n + 6))
	delta cors_wrap_withheld_total 1
	delta 'cors_wrap_requests_total{section="open",kind="actual",outcome="allowed",reason="allowed"}' 1
	delta 'cors_wrap_gateway_errors_total{status="502"}' 1
	delta 'cors_wrap_gateway_errors_total{status="504"}' 1
	delta cors_wrap_queue_depth 0
	delta 'cors_wrap_requests_total{section="global",kind="actual",outcome="allowed",reason="allowed"}' 0
}

@test "metrics: a client's CORS-Metrics header (HTTP_CORS_METRICS) runs the script and gets no counters" {
	http GET /cw/hello.cgi -H 'CORS-Metrics: 1'
	assert_http_status 200
	assert_equal "$body" hello
	assert_header Content-Type text/plain
	# Straight to the daemon, as the only param.
	run env -i HTTP_CORS_METRICS=1 REQUEST_METHOD=GET REQUEST_URI=/cw/hello.cgi \
		SCRIPT_FILENAME="$CGI_BIN/hello.cgi" cgi-fcgi -bind -connect "$SOCK"
	assert_success
	assert_output --partial hello
	refute_output --partial cors_wrap_
}

@test "metrics: cgi-fcgi with CORS_METRICS=1 in its environment gets the counters" {
	run env -i CORS_METRICS=1 REQUEST_METHOD=GET cgi-fcgi -bind -connect "$SOCK"
	assert_success
	assert_line --partial "Content-Type: $CT"
	printf '%s\n' "$output" | tr -d '\r' | awk 'f { print } /^$/ { f = 1 }' >"$BATS_TEST_TMPDIR/m"
	run "$PY" "$EXPOSITION" check "$BATS_TEST_TMPDIR/m"
	assert_success
	grep -qx 'cors_wrap_workers 2' "$BATS_TEST_TMPDIR/m"
}

@test "metrics: CORS_METRICS with another value than 1 runs the script, and the worker logs it at warn to the server" {
	run env -i CORS_METRICS=yes REQUEST_METHOD=GET REQUEST_URI=/cw/hello.cgi \
		SCRIPT_FILENAME="$CGI_BIN/hello.cgi" cgi-fcgi -bind -connect "$SOCK"
	assert_success
	assert_output --partial hello
	refute_output --partial cors_wrap_
	# A request's lines go to the server as FCGI_STDERR: cgi-fcgi's stderr.
	assert_output --regexp 'warn.*CORS_METRICS="yes" is not 1: answered as a request, not with the counters'

}

@test "metrics: in CGI mode CORS_METRICS=1 is answered with 500 and a log line, and no script runs" {
	local marker app
	app_script
	CW_MODE=cgi app_req CORS_METRICS=1 HTTP_ORIGIN="$APP"
	assert_status 500
	no_cors_headers
	assert_file_not_exist "$marker"
	[[ $log == *"CORS_METRICS=1 asks for the FastCGI daemon's counters, which CGI mode does not keep"* ]]
	CW_MODE=cgi app_req CORS_METRICS=true HTTP_ORIGIN="$APP"
	assert_equal "$body" hello
	assert_file_exist "$marker"
	[[ $log == *'CORS_METRICS="true" is not 1: answered as a request, not with the counters'* ]]
}

@test "metrics: a reload (SIGHUP, a new section in the INI file) resets nothing; the new section is counted" {
	scrape "$BATS_TEST_TMPDIR/before"
	printf 'origins = %s\n[new]\npath = /cw/hello.cgi\n[cw]\npath = /cw/*\n[open]\npath = /open/*\norigins = *\n' "$APP" >"$INI"
	kill -HUP "$CW_PID"
	http GET /cw/hello.cgi
	assert_http_status 200
	scrape "$BATS_TEST_TMPDIR/after"
	not_backwards
	delta 'cors_wrap_requests_total{section="new",kind="not_cors",outcome="allowed",reason="no-origin"}' 1
	delta cors_wrap_scripts_total 1
}

@test "metrics: a worker killed with SIGKILL is replaced in its slot: no counter goes backwards" {
	local old new i
	scrape "$BATS_TEST_TMPDIR/before"
	old=$(workers | head -n 1)
	kill -KILL "$old"
	for ((i = 0; i < 100; i++)); do
		new=$(workers)
		replaced && break
		sleep 0.1
	done
	replaced
	for i in 1 2 3 4; do
		scrape "$BATS_TEST_TMPDIR/after"
		not_backwards
	done
	grep -qx 'cors_wrap_workers 2' "$BATS_TEST_TMPDIR/after"
}

# Driving the two workers apart with SIGSTOP cannot be trusted (a stopped
# worker may take the listening socket's wakeup and hold the connection):
# the order in which workers meet names is played in-process.
@test "metrics: past 32 section names, a name one worker meets after another counted it moves no series to other or back: nothing goes backwards" {
	run "$METRICS_CHECK" order
	assert_success
	assert_equal "${lines[-1]}" ok
}
