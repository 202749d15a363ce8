#!/usr/bin/env bats
# credentials_origins: Access-Control-Allow-Credentials for some of the
# allowed origins only, the others answered anonymously; and the rule that a
# script cannot add credentials for an origin the list leaves out.  tests/run
# runs this file as a CGI and through the FastCGI daemon.

# shellcheck disable=SC2154 # $body and $log are set by cgi (lib/common.bash)
load lib/common
# in_log
load lib/fcgi

APP=https://app.example.com
SUB=https://a.example.org
VARY3='Origin, Access-Control-Request-Method, Access-Control-Request-Headers'

setup() {
	app_script
}

# req [VAR=VALUE ...]: a request to $prog, default $app, from $APP; both
# $APP and the subdomains of example.org are allowed, credentials only for
# $APP.
req() {
	app_req HTTP_ORIGIN="$APP" CORS_ORIGINS="$APP https://*.example.org" CORS_CREDENTIALS_ORIGINS="$APP" \
		CORS_LOG_RATE=0 CORS_LOG_REFUSED=warn "$@"
}

# config_error KEY: a 500 without CORS fields, the script not run, and a log
# line naming KEY.
config_error() {
	assert_status 500
	no_cors_headers
	assert_file_not_exist "$marker"
	in_log "$1"
}

@test "credentials: an origin in credentials_origins gets Access-Control-Allow-Credentials" {
	req
	assert_header Access-Control-Allow-Origin "$APP"
	assert_header Access-Control-Allow-Credentials true
	assert_header Vary Origin
	assert_equal "$body" hello
}

@test "credentials: an allowed origin not in credentials_origins gets an anonymous answer that varies with Origin" {
	req HTTP_ORIGIN="$SUB"
	assert_header Access-Control-Allow-Origin "$SUB"
	refute_header Access-Control-Allow-Credentials
	assert_header Vary Origin
	assert_equal "$body" hello
}

@test "credentials: a preflight from an origin in credentials_origins gets credentials, from another allowed origin none" {
	req REQUEST_METHOD=OPTIONS HTTP_ACCESS_CONTROL_REQUEST_METHOD=PUT
	assert_status 204
	assert_header Access-Control-Allow-Credentials true
	assert_header Vary "$VARY3"
	req REQUEST_METHOD=OPTIONS HTTP_ACCESS_CONTROL_REQUEST_METHOD=PUT HTTP_ORIGIN="$SUB"
	assert_status 204
	assert_header Access-Control-Allow-Origin "$SUB"
	refute_header Access-Control-Allow-Credentials
	assert_header Vary "$VARY3"
}

@test "credentials: credentials_origins allows no origin that origins does not" {
	req CORS_CREDENTIALS_ORIGINS=https://b.example HTTP_ORIGIN=https://b.example
	no_cors_headers
}

@test "credentials: an origin that only * allows gets none, though credentials_origins matches it" {
	req CORS_ORIGINS="* $APP" CORS_CREDENTIALS_ORIGINS="$APP https://*.example.net" \
		HTTP_ORIGIN=https://x.example.net
	assert_header Access-Control-Allow-Origin https://x.example.net
	refute_header Access-Control-Allow-Credentials
}

@test "credentials: a script's own Access-Control-Allow-Credentials for an origin not in credentials_origins withholds Allow-Origin, and a line says why" {
	local prog
	prog=$(script creds.cgi "#!/bin/sh
printf 'Content-Type: text/plain\r\nAccess-Control-Allow-Credentials: true\r\n\r\nhello\n'")
	req HTTP_ORIGIN="$SUB"
	refute_header Access-Control-Allow-Origin
	assert_header Vary Origin
	assert_equal "$body" hello
	in_log 'refused request GET /app .*credentials_origins does not allow this origin'
}

@test "credentials: with debug_header, an answer whose Allow-Origin the script's credentials withheld says miss and why, not hit" {
	local prog
	prog=$(script creds.cgi "#!/bin/sh
printf 'Content-Type: text/plain\r\nAccess-Control-Allow-Credentials: true\r\n\r\nhello\n'")
	req HTTP_ORIGIN="$SUB" CORS_DEBUG_HEADER=true
	refute_header Access-Control-Allow-Origin
	assert_header X-CORS-Wrap 'miss; credentials-withheld; section=global'
	# enforce = report names the policy's reason, as before.
	req HTTP_ORIGIN=https://other.example.net CORS_DEBUG_HEADER=true CORS_ENFORCE=report
	refute_header Access-Control-Allow-Origin
	assert_header X-CORS-Wrap 'report-only; origin-not-allowed; section=global'
}

@test "credentials: a script's own Access-Control-Allow-Credentials for an origin in credentials_origins stands beside the reflected origin" {
	local prog
	prog=$(script creds.cgi "#!/bin/sh
printf 'Content-Type: text/plain\r\nAccess-Control-Allow-Credentials: true\r\n\r\nhello\n'")
	req
	assert_header Access-Control-Allow-Origin "$APP"
	assert_header Access-Control-Allow-Credentials true
	[[ $log != *'does not allow this origin'* ]]
}

@test "credentials: in prepend mode an allowed origin not in credentials_origins gets *, one in it its own name" {
	[ "${CW_MODE:-cgi}" = cgi ] || skip 'prepend mode is CGI mode only'
	req CORS_MODE=prepend HTTP_ORIGIN="$SUB"
	assert_header Access-Control-Allow-Origin '*'
	refute_header Access-Control-Allow-Credentials
	assert_header Vary Origin
	req CORS_MODE=prepend
	assert_header Access-Control-Allow-Origin "$APP"
	assert_header Access-Control-Allow-Credentials true
}

@test "credentials: * in credentials_origins is a configuration error" {
	req CORS_CREDENTIALS_ORIGINS='*'
	config_error 'CORS_CREDENTIALS_ORIGINS: credentials_origins: "\*" cannot have credentials'
}

@test "credentials: credentials_origins with supports_credentials is a configuration error" {
	req CORS_SUPPORTS_CREDENTIALS=true
	config_error 'credentials_origins: cannot be combined with supports_credentials'
}

@test "credentials: --check prints credentials_origins as written, with where it was set" {
	run env -i PATH=/usr/bin:/bin CORS_ORIGINS="$APP $SUB" CORS_CREDENTIALS_ORIGINS="$APP" \
		"$CORS_WRAP" --check
	assert_success
	assert_line "credentials_origins = $APP"$'\t'"# environment CORS_CREDENTIALS_ORIGINS"
}

@test "credentials: --explain says which credentials_origins entry matches, or that the answer is anonymous" {
	run env -i PATH=/usr/bin:/bin CORS_ORIGINS="$APP https://*.example.org" \
		CORS_CREDENTIALS_ORIGINS="$APP" "$CORS_WRAP" --explain GET /x "Origin: $SUB"
	assert_success
	assert_line --partial 'no entry matches: an anonymous answer'
	refute_line --partial 'Access-Control-Allow-Credentials: true'
	run env -i PATH=/usr/bin:/bin CORS_ORIGINS="$APP https://*.example.org" \
		CORS_CREDENTIALS_ORIGINS="$APP" "$CORS_WRAP" --explain GET /x "Origin: $APP"
	assert_line --regexp "^  $APP +matches\$"
	assert_line 'Access-Control-Allow-Credentials: true'
}

@test "credentials: without an Origin (always_send), the script's own credentials beside a first exact origin that credentials_origins leaves out withhold Allow-Origin: without Vary a cache would keep them for that origin" {
	local prog
	prog=$(script creds.cgi "#!/bin/sh
printf 'Content-Type: text/plain\r\nCache-Control: max-age=600\r\nAccess-Control-Allow-Credentials: true\r\n\r\nhello\n'")
	# https://a.example.net sorts first: the origin always_send names.
	cgi CORS_EXEC="$prog" REQUEST_URI=/app SCRIPT_NAME=/app CORS_VARY_HEADER=false \
		CORS_ORIGINS="$APP https://a.example.net" CORS_CREDENTIALS_ORIGINS="$APP" \
		CORS_LOG_RATE=0 CORS_LOG_REFUSED=warn
	refute_header Access-Control-Allow-Origin
	refute_header Vary
	assert_equal "$body" hello
	# The line says there was no Origin, not an empty one.
	in_log 'refused request GET /app without an Origin: the script sets Access-Control-Allow-Credentials and credentials_origins does not allow the origin always_send names'
	[[ $log != *'origin ""'* ]]
	# One it lists has them, as with supports_credentials.
	cgi CORS_EXEC="$prog" REQUEST_URI=/app SCRIPT_NAME=/app CORS_VARY_HEADER=false \
		CORS_ORIGINS="$APP https://a.example.net" CORS_CREDENTIALS_ORIGINS=https://a.example.net
	assert_header Access-Control-Allow-Origin https://a.example.net
	assert_header Access-Control-Allow-Credentials true
	# --explain says so.
	run env -i PATH=/usr/bin:/bin CORS_ORIGINS="$APP https://a.example.net" \
		CORS_CREDENTIALS_ORIGINS="$APP" "$CORS_WRAP" --explain GET /x
	assert_success
	assert_line --partial "the script's own Access-Control-Allow-Credentials would withhold it"
}
