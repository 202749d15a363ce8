#!/usr/bin/env bats
# timing_allow_origin (Timing-Allow-Origin mirrors the Allow-Origin of an
# actual request's answer) and preflight_cache_control (a Cache-Control on the
# preflights cors-wrap answers), and their configuration errors.  Both modes
# (tests/run).

# shellcheck disable=SC2154 # $body, $log, ... are set by cgi (lib/common.bash)
load lib/common

setup() {
	app 'Content-Type: text/plain'
	INI=
}

# app HEADER-LINES: the program ($app) writes these lines (printf escapes),
# a blank line and "ok".
app() {
	app=$(script app.cgi "#!/bin/sh
printf '$1\r\n\r\nok\n'")
}

# req [VAR=VALUE ...]: a request for /app, origins https://a.example unless
# the variables say otherwise.
req() {
	local -a v=()
	[ -z "$INI" ] || v+=(CORS_CONFIG="$INI")
	app_req "${v[@]}" "$@"
}

# get ORIGIN [VAR=VALUE ...]: an actual GET from ORIGIN with
# timing_allow_origin on.
get() {
	local origin=$1
	shift
	req CORS_ORIGINS="${origins-https://a.example}" CORS_TIMING_ALLOW_ORIGIN=on \
		HTTP_ORIGIN="$origin" "$@"
}

# preflight ORIGIN [VAR=VALUE ...]: a PUT preflight from ORIGIN with a
# preflight_cache_control.
preflight() {
	local origin=$1
	shift
	req CORS_ORIGINS=https://a.example REQUEST_METHOD=OPTIONS HTTP_ORIGIN="$origin" \
		HTTP_ACCESS_CONTROL_REQUEST_METHOD=PUT \
		CORS_PREFLIGHT_CACHE_CONTROL='public, max-age=600' "$@"
}

# --- timing_allow_origin -----------------------------------------------------

@test "timing_allow_origin: an allowed request's answer names its origin" {
	get https://a.example
	assert_status 200
	assert_header Access-Control-Allow-Origin https://a.example
	assert_header Timing-Allow-Origin https://a.example
	assert_equal "$body" ok
}

@test "timing_allow_origin: a refused origin gets no Timing-Allow-Origin" {
	get https://b.example
	assert_status 200
	assert_equal "$body" ok
	no_cors_headers
	refute_header Timing-Allow-Origin
}

@test "timing_allow_origin: * when the answer sends *" {
	origins='*' get https://b.example CORS_SEND_WILDCARD=yes
	assert_header Access-Control-Allow-Origin '*'
	assert_header Timing-Allow-Origin '*'
}

@test "timing_allow_origin: off by default" {
	req CORS_ORIGINS=https://a.example HTTP_ORIGIN=https://a.example
	assert_header Access-Control-Allow-Origin https://a.example
	refute_header Timing-Allow-Origin
}

@test "timing_allow_origin: a preflight's answer carries none" {
	get https://a.example REQUEST_METHOD=OPTIONS HTTP_ACCESS_CONTROL_REQUEST_METHOD=PUT
	assert_status 204
	assert_header Access-Control-Allow-Origin https://a.example
	refute_header Timing-Allow-Origin
}

@test "timing_allow_origin: withheld with Allow-Origin beside the script's own credentials" {
	app 'Access-Control-Allow-Credentials: true'
	origins='*' get https://b.example
	refute_header Access-Control-Allow-Origin
	refute_header Timing-Allow-Origin
	assert_header Vary Origin
}

@test "timing_allow_origin: the script's own Timing-Allow-Origin is kept, once" {
	app 'Timing-Allow-Origin: https://c.example'
	get https://a.example
	assert_header Access-Control-Allow-Origin https://a.example
	assert_header Timing-Allow-Origin https://c.example
}

@test "timing_allow_origin in prepend mode: * for an origin only * allowed, like Allow-Origin" {
	[ "${CW_MODE:-cgi}" = cgi ] || skip "prepend mode is CGI only"
	origins='*' get https://b.example CORS_MODE=prepend
	assert_header Access-Control-Allow-Origin '*'
	assert_header Timing-Allow-Origin '*'
}

# --- preflight_cache_control -------------------------------------------------

@test "preflight_cache_control: cors-wrap's preflight answer carries it beside Vary" {
	preflight https://a.example
	assert_status 204
	assert_header Access-Control-Allow-Origin https://a.example
	assert_header Cache-Control 'public, max-age=600'
	assert_header Vary 'Origin, Access-Control-Request-Method, Access-Control-Request-Headers'
}

@test "preflight_cache_control: a refused preflight gets none" {
	preflight https://b.example
	assert_status 204
	no_cors_headers
	refute_header Cache-Control
}

@test "preflight_cache_control: an actual request's answer is the script's alone" {
	req CORS_ORIGINS=https://a.example HTTP_ORIGIN=https://a.example \
		CORS_PREFLIGHT_CACHE_CONTROL='public, max-age=600'
	assert_header Access-Control-Allow-Origin https://a.example
	refute_header Cache-Control
}

@test "preflight_cache_control: not added when the script answers preflights" {
	preflight https://a.example CORS_AUTOMATIC_OPTIONS=no
	assert_status 200
	assert_header Access-Control-Allow-Origin https://a.example
	refute_header Cache-Control
	assert_equal "$body" ok
}

@test "preflight_cache_control: unset by default" {
	req CORS_ORIGINS=https://a.example REQUEST_METHOD=OPTIONS HTTP_ORIGIN=https://a.example \
		HTTP_ACCESS_CONTROL_REQUEST_METHOD=PUT
	assert_status 204
	refute_header Cache-Control
}

# fails_closed WHERE WHY [VAR=VALUE ...]: a preflight with the current
# configuration gets a 500 and no CORS header, and a log line names WHERE and
# the key, and says WHY.
fails_closed() {
	local where=$1 why=$2 l
	shift 2
	req CORS_ORIGINS=https://a.example REQUEST_METHOD=OPTIONS HTTP_ORIGIN=https://a.example \
		HTTP_ACCESS_CONTROL_REQUEST_METHOD=PUT "$@"
	assert_status 500
	no_cors_headers
	refute_header Cache-Control
	while IFS= read -r l; do
		[[ $l == *"$where: preflight_cache_control: "*"$why"* ]] && return 0
	done <<<"$log"
	printf 'no line naming [%s: preflight_cache_control] and [%s] in:\n%s\n' \
		"$where" "$why" "$log" >&2
	return 1
}

@test "preflight_cache_control with CR LF fails closed, naming the variable" {
	fails_closed CORS_PREFLIGHT_CACHE_CONTROL 'byte 0x0d is not printable ASCII' \
		CORS_PREFLIGHT_CACHE_CONTROL=$'max-age=600\r\nSet-Cookie: a=b'
}

@test "preflight_cache_control with a control character fails closed, naming the variable" {
	fails_closed CORS_PREFLIGHT_CACHE_CONTROL 'byte 0x01 is not printable ASCII' \
		CORS_PREFLIGHT_CACHE_CONTROL=$'max-age=600\x01'
}

@test "preflight_cache_control in UTF-8 fails closed, naming the file, line and key" {
	ini $'origins = https://a.example\npreflight_cache_control = max-age=\xc3\xa9'
	fails_closed "$INI:2" 'byte 0xc3 is not printable ASCII'
}

@test "preflight_cache_control over 256 bytes fails closed, naming the file, line and key" {
	ini "preflight_cache_control = max-age=$(printf '%0249d' 0)"
	fails_closed "$INI:1" 'longer than 256 bytes'
}

@test "preflight_cache_control of 256 bytes is sent" {
	local v
	v=max-age=$(printf '%0248d' 0)
	ini "preflight_cache_control = $v"
	req CORS_ORIGINS=https://a.example REQUEST_METHOD=OPTIONS HTTP_ORIGIN=https://a.example \
		HTTP_ACCESS_CONTROL_REQUEST_METHOD=PUT
	assert_status 204
	assert_header Cache-Control "$v"
}

@test "--explain shows Cache-Control on the preflight and Timing-Allow-Origin on the request" {
	[ "${CW_MODE:-cgi}" = cgi ] || skip "--explain is a command"
	local -a v=(CORS_ORIGINS=https://a.example CORS_TIMING_ALLOW_ORIGIN=on
		CORS_PREFLIGHT_CACHE_CONTROL='public, max-age=600')
	run env -i "${v[@]}" "$CORS_WRAP" --explain OPTIONS /x 'Origin: https://a.example' \
		'Access-Control-Request-Method: PUT'
	assert_success
	assert_line 'Cache-Control: public, max-age=600'
	refute_line --partial 'Timing-Allow-Origin'
	run env -i "${v[@]}" "$CORS_WRAP" --explain GET /x 'Origin: https://a.example'
	assert_success
	assert_line 'Timing-Allow-Origin: https://a.example'
	refute_line --partial 'Cache-Control'
}

@test "--check prints timing_allow_origin and preflight_cache_control with their sources" {
	[ "${CW_MODE:-cgi}" = cgi ] || skip "--check is a command"
	ini $'timing_allow_origin = on\npreflight_cache_control = max-age=60'
	run env -i CORS_CONFIG="$INI" "$CORS_WRAP" --check
	assert_success
	assert_line "timing_allow_origin = true	# $INI:1"
	assert_line "preflight_cache_control = max-age=60	# $INI:2"
}
