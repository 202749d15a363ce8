#!/usr/bin/env bats
# log_format = json (cors-wrap.ini(5)): every line cors-wrap logs, in CGI
# mode, in FastCGI mode (FCGI_STDERR) and the daemon's own, is one JSON
# object a strict parser reads (tests/lib/logjson.py), whatever bytes a
# client put in the values it holds: quotes, backslashes, control
# characters, CR and LF, invalid UTF-8, very long values.

# shellcheck disable=SC2154 # $body and $log are set by cgi (lib/common.bash)
load lib/common
load lib/servers

APP=https://app.example.com
LOGJSON=$TOP/tests/lib/logjson.py
# Debian's, not a version manager's shim that costs a second a call.
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
# A client's worst: quote, backslash, control bytes, CR LF and a field
# after them, bytes that are not UTF-8.
HOSTILE=$'https://a"b\\c\x01\x7f\r\nX-Evil: 1\xff\xfe\xc3'
# How the log (text or JSON, once decoded) writes it.
HOSTILE_LOGGED='https://a"b\x5cc\x01\x7f\x0d\x0aX-Evil: 1\xff\xfe\xc3'

setup_file() {
	server_init nginx
	SOCK=$(fcgi_dir)/cw.sock
	OK=$CGI_BIN/ok.cgi
	FAIL=$CGI_BIN/fail.cgi
	export SOCK OK FAIL
	printf '#!/bin/sh\nprintf '"'"'Content-Type: text/plain\\n\\nok\\n'"'"'\n' >"$OK"
	printf '#!/bin/sh\nexit 3\n' >"$FAIL"
	chmod 755 "$OK" "$FAIL"
	cors_wrap_start "$SOCK" CORS_LOG_FORMAT=json CORS_LOG_LEVEL=debug CORS_LOG_RATE=0 -c 1
}

teardown_file() {
	server_stop
}

# json_cgi [VAR=VALUE ...]: cgi with the log in JSON at debug level and
# no rate limit, the policy allowing $APP, ok.cgi as the program; the
# log's file in $err.
json_cgi() {
	cgi CORS_LOG_FORMAT=json CORS_LOG_LEVEL=debug CORS_LOG_RATE=0 CORS_ORIGINS="$APP" \
		CORS_EXEC="$OK" "$@"
	err=$BATS_TEST_TMPDIR/cgi.err
}

field() {
	"$PY" "$LOGJSON" field "$err" "$1" "$2"
}

@test "logjson: a request with hostile Origin, method, path and request headers logs only lines a strict JSON parser reads" {
	json_cgi REQUEST_METHOD=OPTIONS REQUEST_URI=$'/x"\\y\x01\xff\r\n' HTTP_ORIGIN="$HOSTILE" \
		HTTP_ACCESS_CONTROL_REQUEST_METHOD=$'P"U\\T\x02'
	run "$PY" "$LOGJSON" check "$err"
	assert_success
	assert_line --regexp '^info: refused preflight OPTIONS '
	json_cgi REQUEST_METHOD=$'G"E\\T\x01\xfe' REQUEST_URI=/p HTTP_ORIGIN="$HOSTILE"
	run "$PY" "$LOGJSON" check "$err"
	assert_success
	assert_line --regexp '^info: refused request G"E\\x5cT\\x01\\xfe /p '
}

@test "logjson: a refused request's line names event, kind, section, reason, method, path and origin, each escaped as the message is" {
	json_cgi REQUEST_METHOD=GET REQUEST_URI=/p HTTP_ORIGIN="$HOSTILE"
	assert_equal "$(field refused event)" refused
	assert_equal "$(field refused kind)" request
	assert_equal "$(field refused section)" global
	assert_equal "$(field refused reason)" origin-invalid
	assert_equal "$(field refused method)" GET
	assert_equal "$(field refused path)" /p
	assert_equal "$(field refused origin)" "$HOSTILE_LOGGED"
	assert_equal "$(field refused level)" info
	assert_equal "$(field refused program)" cors-wrap
}

@test "logjson: an allowed request's line says event decided and reason allowed" {
	json_cgi REQUEST_METHOD=GET REQUEST_URI=/p HTTP_ORIGIN="$APP"
	assert_equal "$(field request event)" decided
	assert_equal "$(field request reason)" allowed
	assert_equal "$(field request origin)" "$APP"
	assert_equal "$(field request level)" debug
}

@test "logjson: a JSON line's level and message are the text line's, byte for byte" {
	local -a req=(REQUEST_METHOD=$'G"E\\T\x01' REQUEST_URI=/p HTTP_ORIGIN="$HOSTILE")
	cgi CORS_LOG_LEVEL=debug CORS_LOG_RATE=0 CORS_ORIGINS="$APP" CORS_EXEC="$OK" "${req[@]}"
	run "$PY" "$LOGJSON" text "$BATS_TEST_TMPDIR/cgi.err"
	assert_success
	local text=$output
	[ -n "$text" ]
	json_cgi "${req[@]}"
	run "$PY" "$LOGJSON" check "$err"
	assert_success
	assert_equal "$output" "$text"
}

@test "logjson: very long values are cut and the line stays one object of at most 1920 bytes (nginx keeps 2048 of an entry, under fcgiwrap too)" {
	local long path
	long=https://$(printf 'a%.0s' {1..600})
	path=/$(printf '"\\%.0s' {1..1500})
	json_cgi REQUEST_METHOD="$(printf 'M%.0s' {1..300})" REQUEST_URI="$path" HTTP_ORIGIN="$long"
	run "$PY" "$LOGJSON" check "$err"
	assert_success
	[ "$(awk '{ if (length($0) > m) m = length($0) } END { print m + 0 }' "$err")" -le 1920 ]
	# Each field holds at most 256 bytes once escaped: the printable origin
	# 256 of its bytes, the path "/" and 36 times '"\x5c' (7 bytes each
	# escaped) and a last '"'.
	run field refused origin
	assert_equal "${#output}" 256
	run field refused path
	assert_output "/$(printf '"\\x5c%.0s' {1..36})\""
}

@test "logjson: the line saying how many lines log_rate dropped carries no request's event: a pipeline counting events counts each request once" {
	# The CGI budget file, as if 3 lines were dropped long ago.
	"$PY" -c 'import struct, sys; open(sys.argv[1], "wb").write(struct.pack("=qqQ", 0, 1, 3))' \
		"$BATS_TEST_TMPDIR/cors-wrap-$(id -u).log-budget"
	json_cgi TMPDIR="$BATS_TEST_TMPDIR" CORS_LOG_RATE=10 REQUEST_METHOD=GET REQUEST_URI=/p \
		HTTP_ORIGIN=https://evil.example
	run "$PY" "$LOGJSON" check "$err"
	assert_success
	assert_line 'info: 3 lines about refused requests were not logged (log_rate 10 a minute)'
	assert_equal "$(field 'were not logged' event)" '(none)'
	assert_equal "$(field 'were not logged' origin)" '(none)'
	assert_equal "$(field 'refused request GET' event)" refused
}

@test "logjson: FastCGI: the lines a request sends to the server (FCGI_STDERR) are JSON objects" {
	CW_MODE=fastcgi CW_FCGI_SOCKET=$SOCK cgi CORS_ORIGINS="$APP" CORS_EXEC="$OK" \
		REQUEST_METHOD=GET REQUEST_URI=/p HTTP_ORIGIN="$HOSTILE"
	assert_equal "$body" ok
	err=$BATS_TEST_TMPDIR/cgi.err
	run "$PY" "$LOGJSON" check "$err"
	assert_success
	assert_line --regexp '^info: refused request GET /p '
	assert_equal "$(field refused origin)" "$HOSTILE_LOGGED"
}

@test "logjson: FastCGI: a line with hostile values fits in what nginx keeps of an FCGI_STDERR line (2048 bytes with its prefix): at most 1920 bytes, one object, message included" {
	local q
	q=$(printf '"%.0s' {1..250})
	CW_MODE=fastcgi CW_FCGI_SOCKET=$SOCK cgi CORS_ORIGINS="$APP" CORS_EXEC="$OK" \
		REQUEST_METHOD=GET REQUEST_URI="/$q$q" HTTP_ORIGIN="https://$q"
	assert_equal "$body" ok
	err=$BATS_TEST_TMPDIR/cgi.err
	run "$PY" "$LOGJSON" check "$err"
	assert_success
	assert_line --regexp '^info: refused request GET /'
	[ "$(awk '{ if (length($0) > m) m = length($0) } END { print m + 0 }' "$err")" -le 1920 ]
}

@test "logjson: FastCGI: a request's CORS_LOG_FORMAT param chooses the form of its lines, as for log_level: text under a daemon logging JSON" {
	CW_MODE=fastcgi CW_FCGI_SOCKET=$SOCK cgi CORS_LOG_FORMAT=text CORS_ORIGINS="$APP" \
		CORS_EXEC="$OK" REQUEST_METHOD=GET REQUEST_URI=/p HTTP_ORIGIN=https://evil.example
	assert_equal "$body" ok
	[[ $log == 'cors-wrap: info: refused request GET /p '* ]]
}

@test "logjson: FastCGI: the warning about a CORS_METRICS other than 1 takes the request's CORS_LOG_FORMAT, as the request's other lines do" {
	CW_MODE=fastcgi CW_FCGI_SOCKET=$SOCK cgi CORS_LOG_FORMAT=text CORS_METRICS=yes \
		CORS_ORIGINS="$APP" CORS_EXEC="$OK" REQUEST_METHOD=GET REQUEST_URI=/p \
		HTTP_ORIGIN=https://evil.example
	assert_equal "$body" ok
	[[ $log == *'cors-wrap: warn: CORS_METRICS="yes" is not 1: answered as a request, not with the counters'* ]]
	[[ $log != *'{'* ]]
}

@test "logjson: a line about the script (its 502), in CGI and in FastCGI mode, carries the request's fields too" {
	json_cgi CORS_EXEC="$FAIL" REQUEST_METHOD=GET REQUEST_URI=/p HTTP_ORIGIN="$APP"
	assert_status 502
	assert_equal "$(field 'exit' section)" global
	assert_equal "$(field 'exit' origin)" "$APP"
	assert_equal "$(field 'exit' level)" error
	CW_MODE=fastcgi CW_FCGI_SOCKET=$SOCK cgi CORS_ORIGINS="$APP" CORS_EXEC="$FAIL" \
		REQUEST_METHOD=GET REQUEST_URI=/p HTTP_ORIGIN="$APP"
	assert_status 502
	err=$BATS_TEST_TMPDIR/cgi.err
	assert_equal "$(field 'exit' section)" global
	assert_equal "$(field 'exit' path)" /p
}

@test "logjson: log_format is text or json: another value is a configuration error naming the key, and a 500" {
	json_cgi CORS_LOG_FORMAT=xml REQUEST_URI=/p
	assert_status 500
	[[ $log == *'CORS_LOG_FORMAT: log_format: "xml" is not text or json'* ]]
}

@test "logjson: the daemon's own lines follow its log_format: a worker's death is a JSON line" {
	local worker i
	worker=$(ps --ppid "$CW_PID" -o pid= | tr -d ' ' | head -n 1)
	kill -KILL "$worker"
	for ((i = 0; i < 100; i++)); do
		grep -q 'died' "$SERVER_ROOT/logs/cors-wrap.log" && break
		sleep 0.1
	done
	run "$PY" "$LOGJSON" check "$SERVER_ROOT/logs/cors-wrap.log"
	assert_success
	assert_line "error: worker $worker died (signal 9); starting another"
}

@test "logjson: a message longer than 256 bytes is the text line's whole, and the line about credentials withheld from the script says event refused" {
	local cred path
	cred=$BATS_TEST_TMPDIR/cred.cgi
	printf '#!/bin/sh\nprintf '"'"'Access-Control-Allow-Credentials: true\\nContent-Type: text/plain\\n\\nok\\n'"'"'\n' >"$cred"
	chmod 755 "$cred"
	path=/api/v1/$(printf 'p%.0s' {1..120})
	local -a req=(REQUEST_METHOD=GET REQUEST_URI="$path" HTTP_ORIGIN=https://b.example.com
		CORS_ORIGINS="https://a.example.com https://b.example.com"
		CORS_CREDENTIALS_ORIGINS=https://a.example.com CORS_EXEC="$cred")
	cgi CORS_LOG_LEVEL=debug CORS_LOG_RATE=0 "${req[@]}"
	run "$PY" "$LOGJSON" text "$BATS_TEST_TMPDIR/cgi.err"
	assert_success
	assert_line --partial 'credentials_origins does not allow this origin; no Access-Control-Allow-Origin sent'
	local text=$output
	json_cgi "${req[@]}"
	run "$PY" "$LOGJSON" check "$err"
	assert_success
	assert_equal "$output" "$text"
	# The line is about a refusal, whatever the policy decided.
	assert_equal "$(field 'credentials_origins does not allow' event)" refused
}
