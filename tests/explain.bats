#!/usr/bin/env bats
# Operating cors-wrap: --explain says why a request is allowed or not, the
# X-CORS-Wrap debugging field, and the rate limit on lines about refused
# requests.

load lib/common

setup() {
	INI=$BATS_TEST_TMPDIR/cors.ini
	cat >"$INI" <<'EOF'
origins = "https://app.example.com https://*.example.org"
supports_credentials = yes
max_age = 10m
allow_headers = content-type ~x-app-.*

[public]
path = /api/public/*
origins = *
supports_credentials = no
EOF
}

explain() {
	run env -i PATH=/usr/bin:/bin "$CORS_WRAP" --explain --config "$INI" "$@"
}

@test "explain names the entry each origin misses and why, and the answer is no CORS header" {
	explain OPTIONS /api/x 'Origin: http://a.example.org:8080' \
		'Access-Control-Request-Method: PUT'
	assert_success
	assert_line 'kind: a CORS preflight (OPTIONS with Origin and Access-Control-Request-Method)'
	assert_line --regexp '^  https://app\.example\.com +scheme differs$'
	assert_line --regexp '^  https://\*\.example\.org +scheme differs$'
	assert_line 'decision: refused: no CORS header (origin-not-allowed)'
	refute_line --partial 'Access-Control-Allow-Origin'
}

@test "explain says a host is not a subdomain of a glob entry" {
	explain GET /api/x 'Origin: https://example.org.evil.net'
	assert_line --regexp '^  https://\*\.example\.org +host is not a subdomain$'
}

@test "explain says the port of an exact entry differs" {
	explain GET /api/x 'Origin: https://app.example.com:8443'
	assert_line --regexp '^  https://app\.example\.com +port differs$'
}

@test "explain shows which section applied, from which file and line" {
	explain GET /api/public/data 'Origin: https://x.test'
	assert_line "  section [public], path = /api/public/* ($INI:7): matches"
	assert_line 'section: [public], the most specific match'
	assert_line "origins = * ($INI:8)"
	assert_line 'Access-Control-Allow-Origin: https://x.test'
}

@test "explain decodes the path first: /api/public/%2e%2e/x is not under /api/public/*" {
	explain GET '/api/public/%2e%2e/x' 'Origin: https://x.test'
	assert_line 'path: /api/x (percent-decoded, dot segments removed)'
	assert_line 'section: the global one (no resource section matches)'
	assert_line 'decision: refused: no CORS header (origin-not-allowed)'
}

@test "explain lists requested headers allowed, by which entry, and refused" {
	explain OPTIONS /api/x 'Origin: https://a.example.org' \
		'Access-Control-Request-Method: patch' \
		'Access-Control-Request-Headers: content-type,x-app-id,authorization'
	assert_line '  content-type: allowed by content-type'
	assert_line '  x-app-id: allowed by ~x-app-.*'
	assert_line --partial '  authorization: not allowed'
	assert_line 'Access-Control-Allow-Headers: content-type, x-app-id'
	assert_line 'Access-Control-Allow-Methods: DELETE, GET, HEAD, OPTIONS, PATCH, POST, PUT, patch'
	assert_line 'Status: 204 No Content'
}

@test "explain refuses a method that is not listed, in words" {
	sed -i '1i methods = GET, POST' "$INI"
	explain OPTIONS /api/x 'Origin: https://a.example.org' \
		'Access-Control-Request-Method: DELETE'
	assert_line 'requested method: DELETE: not listed: refused'
	assert_line 'decision: refused: no CORS header (method-not-allowed)'
}

@test "explain reads a raw HTTP request on standard input" {
	run bash -c "printf 'OPTIONS /api/x HTTP/1.1\r\nHost: h\r\nOrigin: https://app.example.com\r\nAccess-Control-Request-Method: POST\r\n\r\n' |
		env -i '$CORS_WRAP' --explain --config '$INI' -"
	assert_success
	assert_line '  Origin: https://app.example.com'
	assert_line 'Access-Control-Allow-Origin: https://app.example.com'
	assert_line 'Access-Control-Allow-Credentials: true'
}

@test "explain escapes control bytes of an Origin and says it is never reflected" {
	explain GET /api/x $'Origin: https://a.example.org\x01x'
	assert_line --partial 'https://a.example.org\x01x'
	assert_line --partial 'is not a serialised origin'
	refute_output --partial $'\x01'
}

@test "--explain and --check print a section name's escape byte as \\x1b, never raw to the terminal" {
	printf '[pub\033[31mlic]\npath = /esc/*\norigins = *\nsupports_credentials = no\n' >>"$INI"
	explain GET /esc/x 'Origin: https://x.test'
	assert_success
	assert_line --partial 'section: [pub\x1b[31mlic]'
	refute_output --partial $'\033'
	run env -i PATH=/usr/bin:/bin "$CORS_WRAP" --check --config "$INI"
	assert_success
	assert_line 'cors-wrap: configuration test successful'
	assert_line '[pub\x1b[31mlic]'
	refute_output --partial $'\033'
}

@test "explain with a broken configuration says a request would get a 500" {
	echo 'bogus = 1' >>"$INI"
	explain GET /
	assert_failure
	assert_output --partial "$INI:10: bogus: unknown key"
	assert_output --partial 'a request would get a 500'
}

@test "debug_header marks a refused request as a miss with its reason and section" {
	s=$(script app.cgi $'#!/bin/sh\nprintf "Content-Type: text/plain\\r\\n\\r\\nok\\n"')
	cgi CORS_EXEC="$s" CORS_CONFIG="$INI" CORS_DEBUG_HEADER=on REQUEST_URI=/api/x \
		HTTP_ORIGIN=https://evil.example
	assert_header X-CORS-Wrap 'miss; origin-not-allowed; section=global'
	no_cors_headers
}

@test "debug_header marks an allowed request as a hit and names its resource section" {
	s=$(script app.cgi $'#!/bin/sh\nprintf "Content-Type: text/plain\\r\\n\\r\\nok\\n"')
	cgi CORS_EXEC="$s" CORS_CONFIG="$INI" CORS_DEBUG_HEADER=on REQUEST_URI=/api/public/a \
		HTTP_ORIGIN=https://x.test
	assert_header X-CORS-Wrap 'hit; section=public'
}

@test "debug_header marks an allowed preflight as a preflight-hit" {
	cgi CORS_CONFIG="$INI" CORS_DEBUG_HEADER=on REQUEST_URI=/api/x REQUEST_METHOD=OPTIONS \
		HTTP_ORIGIN=https://a.example.org HTTP_ACCESS_CONTROL_REQUEST_METHOD=PUT
	assert_header X-CORS-Wrap 'preflight-hit; section=global'
}

@test "without debug_header there is no X-CORS-Wrap field" {
	cgi CORS_CONFIG="$INI" REQUEST_URI=/api/x REQUEST_METHOD=OPTIONS \
		HTTP_ORIGIN=https://a.example.org HTTP_ACCESS_CONTROL_REQUEST_METHOD=PUT
	refute_header X-CORS-Wrap
}

@test "refused requests are logged at log_refused, escaped, and no more than log_rate a minute" {
	# Each CGI process is separate: the budget is shared through a file
	# of this user's in TMPDIR (here the test's own, so that no other
	# test running meanwhile spends it); it starts full.
	local i lines=0
	for i in 1 2 3 4 5; do
		cgi TMPDIR="$BATS_TEST_TMPDIR" CORS_ORIGINS=https://a.example CORS_LOG_LEVEL=info CORS_LOG_RATE=3 \
			REQUEST_URI=/x REQUEST_METHOD=OPTIONS HTTP_ORIGIN=$'https://evil\r\nX: y' \
			HTTP_ACCESS_CONTROL_REQUEST_METHOD=GET
		[[ $log != *$'\r'* ]]
		if [[ $log == *'refused preflight OPTIONS /x from origin "https://evil\x0d\x0aX: y"'* ]]; then
			lines=$((lines + 1))
		fi
	done
	[ "$lines" -eq 3 ] || { echo "logged $lines of 5, expected 3" >&2; return 1; }
	[ -f "$BATS_TEST_TMPDIR/cors-wrap-$(id -u).log-budget" ]
}

@test "refused requests are not logged below log_refused" {
	cgi CORS_ORIGINS=https://a.example CORS_LOG_LEVEL=warn REQUEST_URI=/x \
		REQUEST_METHOD=OPTIONS HTTP_ORIGIN=https://evil.example \
		HTTP_ACCESS_CONTROL_REQUEST_METHOD=GET
	assert_equal "$log" ''
}

@test "refused requests are logged at log_refused when log_level lets it through" {
	cgi CORS_ORIGINS=https://a.example CORS_LOG_LEVEL=warn CORS_LOG_REFUSED=warn \
		CORS_LOG_RATE=0 REQUEST_URI=/x REQUEST_METHOD=OPTIONS \
		HTTP_ORIGIN=https://evil.example HTTP_ACCESS_CONTROL_REQUEST_METHOD=GET
	assert_equal "$log" 'cors-wrap: warn: refused preflight OPTIONS /x from origin "https://evil.example" [global]: origin-not-allowed'
}

@test "debug_header writes a section name's bytes outside printable ASCII as ?: a CR in the INI file's [name] never ends the field" {
	s=$(script app.cgi $'#!/bin/sh\nprintf "Content-Type: text/plain\\r\\n\\r\\nok\\n"')
	printf '[a\rX-Evil\t\xc3\xa9]\npath = /cr/*\n' >>"$INI"
	cgi CORS_EXEC="$s" CORS_CONFIG="$INI" CORS_DEBUG_HEADER=on REQUEST_URI=/cr/x \
		HTTP_ORIGIN=https://app.example.com
	assert_header X-CORS-Wrap 'hit; section=a?x-evil???'
}
