#!/usr/bin/env bats
# The CORS decision: which Access-Control-* headers and which Vary a
# preflight or an actual request gets under each policy setting.

load lib/common

O=https://app.example.com
METHODS='DELETE, GET, HEAD, OPTIONS, PATCH, POST, PUT'
VARY3='Origin, Access-Control-Request-Method, Access-Control-Request-Headers'
VARY2='Access-Control-Request-Method, Access-Control-Request-Headers'

setup() {
	app_script
}

# req [VAR=VALUE ...]: a request through cors-wrap to $app (GET by default).
req() {
	app_req "$@"
}

# get [VAR=VALUE ...]: an actual GET from $O.
get() {
	req HTTP_ORIGIN="$O" "$@"
}

# preflight [VAR=VALUE ...]: an OPTIONS preflight from $O for PUT; later
# assignments override these.
preflight() {
	req REQUEST_METHOD=OPTIONS HTTP_ORIGIN="$O" \
		HTTP_ACCESS_CONTROL_REQUEST_METHOD=PUT "$@"
}

# refused_preflight: the preflight was answered by cors-wrap with its usual
# status and no CORS header, without running the script.
refused_preflight() {
	assert_status 204
	no_cors_headers
	assert_file_not_exist "$marker"
}

# config_error KEY: a 500 without CORS headers, script not run, and a
# cors-wrap log line naming the environment variable KEY.
config_error() {
	assert_status 500
	no_cors_headers
	assert_file_not_exist "$marker"
	printf '%s\n' "$log" | grep -q "^cors-wrap: .*$1" || {
		printf 'no log line naming %s\n--- log ---\n%s\n' "$1" "$log" >&2
		return 1
	}
}

# --- defaults ------------------------------------------------------------

@test "default preflight is answered 204 without a body, without running the script" {
	preflight HTTP_ACCESS_CONTROL_REQUEST_HEADERS=x-b,content-type,x-a
	assert_header Status '204 No Content'
	assert_equal "$body" ''
	assert_file_not_exist "$marker"
}

@test "default preflight reflects the origin and lists the default methods" {
	preflight HTTP_ACCESS_CONTROL_REQUEST_HEADERS=x-b,content-type,x-a
	assert_header Access-Control-Allow-Origin "$O"
	assert_header Access-Control-Allow-Methods "$METHODS"
}

@test "default preflight echoes the requested headers sorted" {
	preflight HTTP_ACCESS_CONTROL_REQUEST_HEADERS=x-b,content-type,x-a
	assert_header Access-Control-Allow-Headers 'content-type, x-a, x-b'
}

@test "default preflight sends no Max-Age, Allow-Credentials, Expose-Headers or Allow-Private-Network" {
	preflight HTTP_ACCESS_CONTROL_REQUEST_HEADERS=x-b,content-type,x-a
	refute_header Access-Control-Max-Age
	refute_header Access-Control-Allow-Credentials
	refute_header Access-Control-Expose-Headers
	refute_header Access-Control-Allow-Private-Network
}

@test "default preflight varies on Origin and the request method and headers, in one Vary line" {
	preflight HTTP_ACCESS_CONTROL_REQUEST_HEADERS=x-b,content-type,x-a
	assert_header Vary "$VARY3"
	assert_equal "$(header_count Vary)" 1
}

@test "default preflight without requested headers sends no Allow-Headers" {
	preflight
	assert_status 204
	assert_header Access-Control-Allow-Origin "$O"
	assert_header Access-Control-Allow-Methods "$METHODS"
	refute_header Access-Control-Allow-Headers
	assert_header Vary "$VARY3"
}

@test "default actual GET reflects the origin and adds Vary: Origin" {
	get
	assert_header Access-Control-Allow-Origin "$O"
	assert_header Vary Origin
}

@test "default actual GET gets no preflight field and no Allow-Credentials" {
	get
	refute_header Access-Control-Allow-Methods
	refute_header Access-Control-Allow-Headers
	refute_header Access-Control-Allow-Credentials
	refute_header Access-Control-Max-Age
}

@test "default actual GET runs the script and keeps its response intact" {
	get
	assert_status 200
	assert_header Content-Type text/plain
	assert_equal "$body" hello
	assert_file_exist "$marker"
}

@test "default actual GET without Origin gets Allow-Origin * and Vary: Origin" {
	req
	assert_header Access-Control-Allow-Origin '*'
	assert_header Vary Origin
	assert_equal "$body" hello
}

# --- send_wildcard / always_send -------------------------------------------

@test "send_wildcard answers an actual request with * and no Vary" {
	get CORS_SEND_WILDCARD=true
	assert_header Access-Control-Allow-Origin '*'
	refute_header Vary
}

@test "send_wildcard answers a request without Origin with * and no Vary" {
	req CORS_SEND_WILDCARD=yes
	assert_header Access-Control-Allow-Origin '*'
	refute_header Vary
}

@test "send_wildcard preflight gets * and a Vary without Origin" {
	preflight CORS_SEND_WILDCARD=on HTTP_ACCESS_CONTROL_REQUEST_HEADERS=x-a
	assert_status 204
	assert_header Access-Control-Allow-Origin '*'
	assert_header Access-Control-Allow-Headers x-a
	assert_header Vary "$VARY2"
	assert_equal "$(header_count Vary)" 1
}

@test "send_wildcard without always_send still varies on Origin" {
	get CORS_SEND_WILDCARD=1 CORS_ALWAYS_SEND=0
	assert_header Access-Control-Allow-Origin '*'
	assert_header Vary Origin
}

@test "send_wildcard without always_send: a request without Origin gets no CORS headers but Vary: Origin" {
	req CORS_SEND_WILDCARD=1 CORS_ALWAYS_SEND=0
	no_cors_headers
	assert_header Vary Origin
}

@test "send_wildcard with an explicit origin list still reflects" {
	get CORS_SEND_WILDCARD=true CORS_ORIGINS="$O"
	assert_header Access-Control-Allow-Origin "$O"
	assert_header Vary Origin
}

@test "always_send off: a request without Origin gets no CORS headers but Vary: Origin" {
	req CORS_ALWAYS_SEND=off
	no_cors_headers
	assert_header Vary Origin
	assert_equal "$body" hello
}

@test "always_send off: a request with Origin is still answered" {
	get CORS_ALWAYS_SEND=off
	assert_header Access-Control-Allow-Origin "$O"
}

@test "without Origin and with a list, the first exact origin (sorted) is sent" {
	req CORS_ORIGINS='https://b.example.com https://a.example.com'
	assert_header Access-Control-Allow-Origin https://a.example.com
	assert_equal "$(header_count Access-Control-Allow-Origin)" 1
	assert_header Vary Origin
}

@test "without Origin and only regex origins, no Allow-Origin is sent" {
	req 'CORS_ORIGINS=~https://.*\.example\.com'
	no_cors_headers
	assert_header Vary Origin
}

# --- credentials -------------------------------------------------------------

@test "credentials with an origin list: an actual request gets Allow-Credentials true and the origin reflected" {
	get CORS_ORIGINS="$O https://b.example.com" CORS_SUPPORTS_CREDENTIALS=true
	assert_header Access-Control-Allow-Origin "$O"
	assert_header Access-Control-Allow-Credentials true
	assert_header Vary Origin
}

@test "credentials with an origin list: a preflight gets Allow-Credentials true and the origin reflected" {
	preflight CORS_ORIGINS="$O https://b.example.com" CORS_SUPPORTS_CREDENTIALS=TRUE
	assert_header Access-Control-Allow-Origin "$O"
	assert_header Access-Control-Allow-Credentials true
	assert_header Access-Control-Allow-Methods "$METHODS"
}

@test "credentials without Origin send the first exact origin, never *" {
	req CORS_ORIGINS='https://b.example.com https://a.example.com' CORS_SUPPORTS_CREDENTIALS=yes
	assert_header Access-Control-Allow-Origin https://a.example.com
	assert_header Access-Control-Allow-Credentials true
}

@test "credentials with send_wildcard and an origin list reflect the origin, never *" {
	get CORS_ORIGINS="$O" CORS_SUPPORTS_CREDENTIALS=yes CORS_SEND_WILDCARD=yes
	assert_header Access-Control-Allow-Origin "$O"
	assert_header Access-Control-Allow-Credentials true
}

@test "credentials from a refused origin get no CORS headers" {
	get CORS_ORIGINS=https://b.example.com CORS_SUPPORTS_CREDENTIALS=true
	no_cors_headers
	assert_header Vary Origin
}

@test "credentials with origins * is a configuration error for an actual request" {
	get CORS_ORIGINS='*' CORS_SUPPORTS_CREDENTIALS=true
	config_error 'CORS_\(ORIGINS\|SUPPORTS_CREDENTIALS\)'
}

@test "credentials with origins * is a configuration error for a preflight" {
	preflight CORS_ORIGINS='*' CORS_SUPPORTS_CREDENTIALS=true
	config_error 'CORS_\(ORIGINS\|SUPPORTS_CREDENTIALS\)'
}

@test "credentials with the default origins (*) is a configuration error" {
	get CORS_SUPPORTS_CREDENTIALS=true
	config_error 'CORS_\(ORIGINS\|SUPPORTS_CREDENTIALS\)'
}

@test "credentials with ~.* are allowed and reflect the origin" {
	get 'CORS_ORIGINS=~.*' CORS_SUPPORTS_CREDENTIALS=true
	assert_status 200
	assert_header Access-Control-Allow-Origin "$O"
	assert_header Access-Control-Allow-Credentials true
	assert_header Vary Origin
	assert_equal "$body" hello
}

@test "an invalid boolean supports_credentials is a configuration error naming the variable" {
	get CORS_SUPPORTS_CREDENTIALS=maybe CORS_ORIGINS="$O"
	config_error CORS_SUPPORTS_CREDENTIALS
}

@test "an invalid boolean send_wildcard is a configuration error naming the variable" {
	get CORS_SEND_WILDCARD=2
	config_error CORS_SEND_WILDCARD
}

# --- expose_headers ----------------------------------------------------------

@test "expose_headers separated by a comma are sent on actual responses" {
	get CORS_EXPOSE_HEADERS='X-Page, X-Total'
	assert_header Access-Control-Expose-Headers 'X-Page, X-Total'
}

@test "expose_headers separated by white space are sent joined by commas" {
	get CORS_EXPOSE_HEADERS='X-Page X-Total'
	assert_header Access-Control-Expose-Headers 'X-Page, X-Total'
}

@test "a single expose_headers name is sent as is" {
	get CORS_EXPOSE_HEADERS=X-Request-Id
	assert_header Access-Control-Expose-Headers X-Request-Id
}

@test "expose_headers are sent on a preflight too, as Flask-CORS does" {
	preflight CORS_EXPOSE_HEADERS='X-Page, X-Total'
	assert_header Access-Control-Expose-Headers 'X-Page, X-Total'
}

@test "expose_headers are not sent to a refused origin" {
	get CORS_ORIGINS=https://b.example.com CORS_EXPOSE_HEADERS=X-Total
	no_cors_headers
}

# --- max_age -----------------------------------------------------------------

@test "max_age in seconds is sent on a preflight" {
	preflight CORS_MAX_AGE=600
	assert_header Access-Control-Max-Age 600
}

@test "max_age is not sent on an actual request" {
	get CORS_MAX_AGE=600
	refute_header Access-Control-Max-Age
}

@test "max_age with a unit is converted to seconds" {
	for pair in 10m:600 1h:3600 2d:172800 30s:30 90:90; do
		preflight CORS_MAX_AGE="${pair%%:*}"
		assert_header Access-Control-Max-Age "${pair#*:}"
	done
}

@test "max_age 0 sends Access-Control-Max-Age: 0" {
	preflight CORS_MAX_AGE=0
	assert_status 204
	assert_header Access-Control-Max-Age 0
}

@test "invalid max_age is a configuration error" {
	for v in 10x -1 abc 1.5 m 10mm; do
		preflight CORS_MAX_AGE="$v"
		config_error CORS_MAX_AGE
	done
}

# --- methods -------------------------------------------------------------

@test "preflight for an unlisted method gets no CORS headers at all" {
	preflight CORS_METHODS='GET, POST' HTTP_ACCESS_CONTROL_REQUEST_METHOD=PUT
	refused_preflight
}

@test "configured methods are upper-cased and sorted in Allow-Methods" {
	preflight CORS_METHODS='post get' HTTP_ACCESS_CONTROL_REQUEST_METHOD=GET
	assert_header Access-Control-Allow-Methods 'GET, POST'
}

@test "method matching is exact: a part of a listed method is refused" {
	preflight CORS_METHODS=GET HTTP_ACCESS_CONTROL_REQUEST_METHOD=ET
	refused_preflight
}

@test "method matching is exact: a listed method with more after it is refused" {
	preflight CORS_METHODS='GET, POST' HTTP_ACCESS_CONTROL_REQUEST_METHOD=GETS
	refused_preflight
}

@test "lower-case patch is allowed and appended to Allow-Methods as sent" {
	preflight HTTP_ACCESS_CONTROL_REQUEST_METHOD=patch
	assert_status 204
	assert_header Access-Control-Allow-Origin "$O"
	assert_header Access-Control-Allow-Methods "$METHODS, patch"
}

@test "an upper-case request method is not appended twice" {
	preflight HTTP_ACCESS_CONTROL_REQUEST_METHOD=PATCH
	assert_header Access-Control-Allow-Methods "$METHODS"
}

@test "methods * allows any method and echoes it" {
	preflight CORS_METHODS='*' HTTP_ACCESS_CONTROL_REQUEST_METHOD=PROPFIND
	assert_status 204
	assert_header Access-Control-Allow-Origin "$O"
	assert_header Access-Control-Allow-Methods PROPFIND
}

@test "methods * echoes a lower-case method as sent" {
	preflight CORS_METHODS='*' HTTP_ACCESS_CONTROL_REQUEST_METHOD=patch
	assert_header Access-Control-Allow-Methods patch
}

@test "an invalid request method token is refused" {
	for m in 'GE T' 'GET,POST' 'GET;' $'GET\r\nX-Injected: 1' '(GET)'; do
		rm -f "$marker"
		preflight HTTP_ACCESS_CONTROL_REQUEST_METHOD="$m"
		refused_preflight
		refute_header X-Injected
	done
}

@test "an invalid request method token is refused with methods * too" {
	preflight CORS_METHODS='*' HTTP_ACCESS_CONTROL_REQUEST_METHOD='GE T'
	refused_preflight
}

# --- allow_headers -----------------------------------------------------------

@test "allow_headers list permits only the listed names, case-insensitively, as sent" {
	preflight CORS_ALLOW_HEADERS='Content-Type, X-Custom' \
		HTTP_ACCESS_CONTROL_REQUEST_HEADERS=content-type,x-other
	assert_status 204
	assert_header Access-Control-Allow-Origin "$O"
	assert_header Access-Control-Allow-Headers content-type
	assert_header Access-Control-Allow-Methods "$METHODS"
}

@test "127 header names of 31 bytes sent with lone commas (4063 bytes) are all allowed, joined with \", \" into 4189 bytes: no overflow" {
	local i names=() sent want
	for ((i = 1; i <= 127; i++)); do
		names+=("$(printf 'x-%03d-%s' "$i" aaaaaaaaaaaaaaaaaaaaaaaaa)")
	done
	sent=$(IFS=,; echo "${names[*]}")
	want=$(printf '%s, ' "${names[@]}")
	want=${want%, }
	assert_equal "${#sent}" 4063
	assert_equal "${#want}" 4189
	preflight CORS_ALLOW_HEADERS='*' HTTP_ACCESS_CONTROL_REQUEST_HEADERS="$sent"
	assert_status 204
	assert_header Access-Control-Allow-Headers "$want"
}

@test "a preflight asking only for headers allow_headers does not permit is allowed, without Allow-Headers" {
	preflight CORS_ALLOW_HEADERS='Content-Type, X-Custom' HTTP_ACCESS_CONTROL_REQUEST_HEADERS=x-other
	assert_header Access-Control-Allow-Origin "$O"
	refute_header Access-Control-Allow-Headers
}

@test "a requested header that allow_headers does not permit is dropped from the permitted ones" {
	preflight CORS_ALLOW_HEADERS='Content-Type X-Custom' \
		HTTP_ACCESS_CONTROL_REQUEST_HEADERS='x-custom, x-other, content-type'
	assert_header Access-Control-Allow-Headers 'content-type, x-custom'
}

@test "allow_headers regex entry permits whole matching names only" {
	preflight 'CORS_ALLOW_HEADERS=~x-.*' HTTP_ACCESS_CONTROL_REQUEST_HEADERS=x-foo,content-type,ax-b,x-bar
	assert_header Access-Control-Allow-Headers 'x-bar, x-foo'
}

@test "allow_headers regex alternation permits its alternatives whole, not a longer name" {
	preflight 'CORS_ALLOW_HEADERS=~x-(a|b)' HTTP_ACCESS_CONTROL_REQUEST_HEADERS=x-a,x-ab,x-b
	assert_header Access-Control-Allow-Headers 'x-a, x-b'
}

@test "a requested header name that is not a token refuses the preflight" {
	for h in 'x a' 'x@y' 'content-type,x@y' 'x(y)' 'x:y' $'x\x01y' $'x\r\nX-Injected: 1'; do
		preflight HTTP_ACCESS_CONTROL_REQUEST_HEADERS="$h"
		refused_preflight
		refute_header X-Injected
	done
}

@test "an empty element between requested headers is ignored" {
	preflight HTTP_ACCESS_CONTROL_REQUEST_HEADERS=a,,b
	assert_status 204
	assert_header Access-Control-Allow-Headers 'a, b'
}

@test "leading, trailing and blank elements in the requested headers are ignored" {
	preflight HTTP_ACCESS_CONTROL_REQUEST_HEADERS=',a, ,b,'
	assert_header Access-Control-Allow-Headers 'a, b'
}

@test "thousands of requested header names refuse the preflight" {
	local names
	names=$(seq -f 'x-h%g' 1 5000 | paste -sd, -)
	preflight HTTP_ACCESS_CONTROL_REQUEST_HEADERS="$names"
	refused_preflight
	not_echoed=$(grep -ac 'x-h4999' "$raw" || true)
	assert_equal "$not_echoed" 0
}

# --- private network -----------------------------------------------------

@test "private network preflight with allow_private_network on gets Allow-Private-Network: true" {
	preflight CORS_ALLOW_PRIVATE_NETWORK=true HTTP_ACCESS_CONTROL_REQUEST_PRIVATE_NETWORK=true
	assert_status 204
	assert_header Access-Control-Allow-Origin "$O"
	assert_header Access-Control-Allow-Private-Network true
	assert_header Access-Control-Allow-Methods "$METHODS"
	assert_header Vary "$VARY3, Access-Control-Request-Private-Network"
}

@test "private network preflight with allow_private_network off gets no Allow-Private-Network but is otherwise allowed" {
	preflight HTTP_ACCESS_CONTROL_REQUEST_PRIVATE_NETWORK=true
	assert_status 204
	refute_header Access-Control-Allow-Private-Network
	assert_header Access-Control-Allow-Origin "$O"
	assert_header Access-Control-Allow-Methods "$METHODS"
	assert_header Vary "$VARY3"
}

@test "Allow-Private-Network is never sent on an actual request" {
	get CORS_ALLOW_PRIVATE_NETWORK=true HTTP_ACCESS_CONTROL_REQUEST_PRIVATE_NETWORK=true
	assert_header Access-Control-Allow-Origin "$O"
	refute_header Access-Control-Allow-Private-Network
}

@test "Allow-Private-Network is not sent when the preflight does not ask for it" {
	preflight CORS_ALLOW_PRIVATE_NETWORK=true
	assert_header Access-Control-Allow-Origin "$O"
	refute_header Access-Control-Allow-Private-Network
}

# --- preflight handling --------------------------------------------------

@test "preflight_status 200 answers preflights with 200" {
	preflight CORS_PREFLIGHT_STATUS=200
	assert_header Status '200 OK'
	assert_header Access-Control-Allow-Origin "$O"
	assert_file_not_exist "$marker"
}

@test "a preflight_status other than 200 or 204 is a configuration error" {
	preflight CORS_PREFLIGHT_STATUS=404
	config_error CORS_PREFLIGHT_STATUS
}

@test "automatic_options off sends the preflight to the script and adds the CORS headers to its answer" {
	preflight CORS_AUTOMATIC_OPTIONS=off HTTP_ACCESS_CONTROL_REQUEST_HEADERS=x-a
	assert_file_exist "$marker"
	assert_status 200
	assert_equal "$body" hello
	assert_header Content-Type text/plain
	assert_header Access-Control-Allow-Origin "$O"
	assert_header Access-Control-Allow-Methods "$METHODS"
	assert_header Access-Control-Allow-Headers x-a
	assert_header Vary "$VARY3"
	assert_equal "$(header_count Vary)" 1
}

@test "OPTIONS without Access-Control-Request-Method goes to the script with actual-request headers" {
	req REQUEST_METHOD=OPTIONS HTTP_ORIGIN="$O" CORS_EXPOSE_HEADERS=X-Total
	assert_file_exist "$marker"
	assert_status 200
	assert_equal "$body" hello
	assert_header Access-Control-Allow-Origin "$O"
	assert_header Access-Control-Expose-Headers X-Total
	refute_header Access-Control-Allow-Methods
	refute_header Access-Control-Allow-Headers
	assert_header Vary Origin
}

@test "OPTIONS without Origin is not a preflight and goes to the script" {
	req REQUEST_METHOD=OPTIONS HTTP_ACCESS_CONTROL_REQUEST_METHOD=PUT
	assert_file_exist "$marker"
	assert_equal "$body" hello
	refute_header Access-Control-Allow-Methods
}

# --- Vary ----------------------------------------------------------------

@test "vary_header off sends no Vary with an actual request" {
	get CORS_VARY_HEADER=off
	assert_header Access-Control-Allow-Origin "$O"
	refute_header Vary
}

@test "vary_header off sends no Vary with a preflight" {
	preflight CORS_VARY_HEADER=off
	assert_header Access-Control-Allow-Origin "$O"
	refute_header Vary
}

@test "vary_header off sends no Vary to a request without Origin" {
	req CORS_VARY_HEADER=off
	refute_header Vary
}

@test "vary_header off leaves the script's own Vary untouched" {
	local s
	s=$(script vary.cgi $'#!/bin/sh\nprintf "Content-Type: text/plain\\r\\nVary: Accept-Encoding\\r\\n\\r\\nhi\\n"')
	cgi CORS_EXEC="$s" HTTP_ORIGIN="$O" CORS_VARY_HEADER=off
	assert_header Vary Accept-Encoding
	assert_header Access-Control-Allow-Origin "$O"
}

@test "a single exact origin still gets Vary: Origin" {
	get CORS_ORIGINS="$O"
	assert_header Access-Control-Allow-Origin "$O"
	assert_header Vary Origin
}

@test "a refused origin on an actual request gets no CORS headers but still Vary: Origin" {
	get CORS_ORIGINS=https://b.example.com
	no_cors_headers
	assert_header Vary Origin
	assert_equal "$body" hello
	assert_file_exist "$marker"
}

@test "a refused preflight still varies on Origin and the request method and headers" {
	preflight CORS_ORIGINS=https://b.example.com
	refused_preflight
	assert_header Vary "$VARY3"
}

# --- error statuses --------------------------------------------------------

@test "CORS headers are added to a script's 404" {
	local s
	s=$(script nf.cgi $'#!/bin/sh\nprintf "Status: 404 Not Found\\r\\nContent-Type: text/plain\\r\\n\\r\\nnope\\n"')
	cgi CORS_EXEC="$s" HTTP_ORIGIN="$O" CORS_EXPOSE_HEADERS=X-Total
	assert_header Status '404 Not Found'
	assert_header Access-Control-Allow-Origin "$O"
	assert_header Access-Control-Expose-Headers X-Total
	assert_header Vary Origin
	assert_equal "$body" nope
}

@test "CORS headers are added to a script's 500" {
	local s
	s=$(script err.cgi $'#!/bin/sh\nprintf "Status: 500 Internal Server Error\\r\\nContent-Type: text/plain\\r\\n\\r\\nboom\\n"')
	cgi CORS_EXEC="$s" HTTP_ORIGIN="$O" CORS_ORIGINS="$O" CORS_SUPPORTS_CREDENTIALS=true
	assert_header Status '500 Internal Server Error'
	assert_header Access-Control-Allow-Origin "$O"
	assert_header Access-Control-Allow-Credentials true
	assert_equal "$body" boom
}

# --- Flask-Cors 1.6.1 documentation examples ---------------------------------

@test "Flask-Cors 1.6.1 @cross_origin() defaults: a GET without Origin gets Allow-Origin *" {
	local s
	s=$(script hello.cgi $'#!/bin/sh\nprintf "Content-Type: text/html; charset=utf-8\\r\\n\\r\\nHello, cross-origin-world!\\n"')
	cgi CORS_EXEC="$s"
	assert_header Access-Control-Allow-Origin '*'
	assert_equal "$body" 'Hello, cross-origin-world!'
}

@test "Flask-Cors 1.6.1 @cross_origin() defaults: a GET with Origin gets it reflected" {
	local s
	s=$(script hello.cgi $'#!/bin/sh\nprintf "Content-Type: text/html; charset=utf-8\\r\\n\\r\\nHello, cross-origin-world!\\n"')
	cgi CORS_EXEC="$s" HTTP_ORIGIN=https://foo.com
	assert_header Access-Control-Allow-Origin https://foo.com
	assert_equal "$body" 'Hello, cross-origin-world!'
}

@test "Flask-Cors 1.6.1 origins=\"http://google.com\": a request without Origin gets that origin" {
	local s
	s=$(script special.cgi $'#!/bin/sh\nprintf "Content-Type: text/html; charset=utf-8\\r\\n\\r\\nHello, google-cross-origin-world!\\n"')
	cgi CORS_EXEC="$s" CORS_ORIGINS=http://google.com
	assert_header Access-Control-Allow-Origin http://google.com
	assert_equal "$body" 'Hello, google-cross-origin-world!'
}

@test "Flask-Cors 1.6.1 origins=\"http://google.com\": that origin is reflected" {
	local s
	s=$(script special.cgi $'#!/bin/sh\nprintf "Content-Type: text/html; charset=utf-8\\r\\n\\r\\nHello, google-cross-origin-world!\\n"')
	cgi CORS_EXEC="$s" CORS_ORIGINS=http://google.com HTTP_ORIGIN=http://google.com
	assert_header Access-Control-Allow-Origin http://google.com
}

@test "Flask-Cors 1.6.1 origins=\"http://google.com\": another origin is refused and the script still answers" {
	local s
	s=$(script special.cgi $'#!/bin/sh\nprintf "Content-Type: text/html; charset=utf-8\\r\\n\\r\\nHello, google-cross-origin-world!\\n"')
	cgi CORS_EXEC="$s" CORS_ORIGINS=http://google.com HTTP_ORIGIN=http://evil.com
	no_cors_headers
	assert_equal "$body" 'Hello, google-cross-origin-world!'
}

@test "Flask-Cors 1.6.1 app config origin list without Origin sends one valid origin, never the joined list" {
	req CORS_ORIGINS='https://foo.com http://www.bar.com' CORS_HEADERS=Content-Type
	assert_header Access-Control-Allow-Origin http://www.bar.com
	assert_equal "$(header_count Access-Control-Allow-Origin)" 1
}

@test "Flask-Cors 1.6.1 app config comma-separated origin list reflects a listed origin" {
	get CORS_ORIGINS='https://foo.com, http://www.bar.com' HTTP_ORIGIN=https://foo.com
	assert_header Access-Control-Allow-Origin https://foo.com
}

@test "Flask-Cors 1.6.1 JSON POST: with CORS_HEADERS=Content-Type the preflight allows content-type" {
	preflight CORS_HEADERS=Content-Type HTTP_ACCESS_CONTROL_REQUEST_METHOD=POST \
		HTTP_ACCESS_CONTROL_REQUEST_HEADERS=content-type
	assert_status 204
	assert_header Access-Control-Allow-Origin "$O"
	assert_header Access-Control-Allow-Headers content-type
	assert_header Access-Control-Allow-Methods "$METHODS"
}

@test "Flask-Cors 1.6.1 JSON POST: with CORS_HEADERS=Content-Type another requested header is dropped" {
	preflight CORS_HEADERS=Content-Type HTTP_ACCESS_CONTROL_REQUEST_METHOD=POST \
		HTTP_ACCESS_CONTROL_REQUEST_HEADERS=content-type,x-other
	assert_header Access-Control-Allow-Headers content-type
}
