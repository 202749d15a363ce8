#!/usr/bin/env bats
# enforce = report: the roll-out mode.  What the policy allows is answered as
# with enforce = on; a CORS request it would refuse is answered as a
# permissive policy would (the origin reflected, the requested method and
# header names allowed, never credentials nor Max-Age) and logged as "would
# refuse".  tests/run runs this file as a CGI and through the FastCGI daemon.

# shellcheck disable=SC2154 # $body and $log are set by cgi (lib/common.bash)
load lib/common
# in_log
load lib/fcgi

APP=https://app.example.com
OTHER=https://other.example.net

setup() {
	app_script
}

# req [VAR=VALUE ...]: a request to $prog, default $app, under a policy
# listing $APP only, with credentials, in report mode; lines about refused
# requests at warn and without a budget unless the test says otherwise.
req() {
	app_req CORS_ORIGINS="$APP" \
		CORS_SUPPORTS_CREDENTIALS=yes CORS_ENFORCE=report CORS_LOG_RATE=0 \
		CORS_LOG_REFUSED=warn "$@"
}

@test "report: an actual request from an origin the policy refuses gets it reflected, without credentials, and the script answers" {
	req HTTP_ORIGIN="$OTHER"
	assert_header Access-Control-Allow-Origin "$OTHER"
	refute_header Access-Control-Allow-Credentials
	assert_header Vary Origin
	assert_equal "$body" hello
}

@test "report: a would-refuse line names the reason, the section and the origin" {
	req HTTP_ORIGIN="$OTHER"
	in_log "would refuse request GET /app from origin \"$OTHER\" \[global\]: origin-not-allowed"
}

@test "report: a preflight from a refused origin allows the requested method and header names, without credentials or Max-Age" {
	req CORS_METHODS=GET CORS_ALLOW_HEADERS=x-a CORS_MAX_AGE=10m REQUEST_METHOD=OPTIONS \
		HTTP_ORIGIN="$OTHER" HTTP_ACCESS_CONTROL_REQUEST_METHOD=DELETE \
		HTTP_ACCESS_CONTROL_REQUEST_HEADERS=x-b,x-a
	assert_status 204
	assert_header Access-Control-Allow-Origin "$OTHER"
	assert_header Access-Control-Allow-Methods DELETE
	assert_header Access-Control-Allow-Headers 'x-a, x-b'
	refute_header Access-Control-Allow-Credentials
	refute_header Access-Control-Max-Age
	assert_header Vary 'Origin, Access-Control-Request-Method, Access-Control-Request-Headers'
	assert_file_not_exist "$marker"
	in_log "would refuse preflight OPTIONS /app from origin \"$OTHER\" \[global\]: origin-not-allowed"
}

@test "report: a method the policy refuses from an allowed origin is allowed, and the line names the method" {
	req CORS_METHODS=GET REQUEST_METHOD=OPTIONS HTTP_ORIGIN="$APP" \
		HTTP_ACCESS_CONTROL_REQUEST_METHOD=DELETE
	assert_header Access-Control-Allow-Origin "$APP"
	assert_header Access-Control-Allow-Methods DELETE
	refute_header Access-Control-Allow-Credentials
	in_log 'would refuse preflight .*: method-not-allowed DELETE'
}

@test "report: an allowed origin is answered as with enforce = on, credentials included, and no line" {
	req HTTP_ORIGIN="$APP" CORS_LOG_LEVEL=debug
	assert_header Access-Control-Allow-Origin "$APP"
	assert_header Access-Control-Allow-Credentials true
	[[ $log != *'would refuse'* ]]
}

@test "report: a malformed Origin is never reflected: still refused" {
	req HTTP_ORIGIN="$APP/"
	no_cors_headers
	in_log 'refused request GET /app from origin .*: origin-invalid'
	[[ $log != *'would refuse'* ]]
}

@test "report: the opaque origin null is not reflected (origins = * refuses it too): still refused" {
	req HTTP_ORIGIN=null
	no_cors_headers
	assert_header Vary Origin
	in_log 'refused request GET /app from origin "null" .*: origin-not-allowed'
	[[ $log != *'would refuse'* ]]
}

@test "report: a null listed in origins is answered as with enforce = on" {
	req HTTP_ORIGIN=null CORS_ORIGINS="$APP null"
	assert_header Access-Control-Allow-Origin null
	assert_header Access-Control-Allow-Credentials true
	[[ $log != *'would refuse'* ]]
}

@test "report: a header name that is not a token keeps the preflight refused" {
	req REQUEST_METHOD=OPTIONS HTTP_ORIGIN="$OTHER" HTTP_ACCESS_CONTROL_REQUEST_METHOD=PUT \
		'HTTP_ACCESS_CONTROL_REQUEST_HEADERS=x-a,x b'
	assert_status 204
	no_cors_headers
	in_log 'refused preflight .*: origin-not-allowed'
}

@test "report: a script's own Access-Control-Allow-Credentials gives a refused origin nothing" {
	local prog
	prog=$(script creds.cgi "#!/bin/sh
printf 'Content-Type: text/plain\r\nAccess-Control-Allow-Credentials: true\r\n\r\nhello\n'")
	req HTTP_ORIGIN="$OTHER"
	refute_header Access-Control-Allow-Origin
	assert_header Vary Origin
	in_log 'refused request GET /app .*the policy refuses this origin \(enforce = report'
}

@test "report: in one section only, the other sections still refuse" {
	cat >"$BATS_TEST_TMPDIR/cors.ini" <<EOF
origins = $APP
log_rate = 0
log_refused = warn
debug_header = on
[new]
path = /new/*
enforce = report
EOF
	cgi CORS_EXEC="$app" CORS_CONFIG="$BATS_TEST_TMPDIR/cors.ini" REQUEST_URI=/new/x \
		SCRIPT_NAME=/new/x HTTP_ORIGIN="$OTHER"
	assert_header Access-Control-Allow-Origin "$OTHER"
	assert_header X-CORS-Wrap 'report-only; origin-not-allowed; section=new'
	in_log 'would refuse request GET /new/x .*\[new\]: origin-not-allowed'
	cgi CORS_EXEC="$app" CORS_CONFIG="$BATS_TEST_TMPDIR/cors.ini" REQUEST_URI=/old \
		SCRIPT_NAME=/old HTTP_ORIGIN="$OTHER"
	refute_header Access-Control-Allow-Origin
	assert_header X-CORS-Wrap 'miss; origin-not-allowed; section=global'
	in_log 'refused request GET /old .*\[global\]: origin-not-allowed'
}

@test "report: would-refuse lines are written at warn by default and spend the refused lines' log_rate budget" {
	local i logged=0 n=6
	for ((i = 0; i < n; i++)); do
		cgi TMPDIR="$BATS_TEST_TMPDIR" CORS_EXEC="$app" REQUEST_URI=/app SCRIPT_NAME=/app \
			CORS_ORIGINS="$APP" CORS_ENFORCE=report CORS_LOG_RATE=2 \
			HTTP_ORIGIN="$OTHER"
		assert_header Access-Control-Allow-Origin "$OTHER"
		[[ $log != *'would refuse'* ]] || logged=$((logged + 1))
	done
	# CGI: the budget file of TMPDIR, full at first: 2 lines.  FastCGI: a
	# bucket per worker (2), which other suites' lines may have spent.
	if [ "${CW_MODE:-cgi}" = fastcgi ]; then
		[ "$logged" -le 4 ] || { echo "logged $logged of $n" >&2; return 1; }
	else
		[ "$logged" -eq 2 ] || { echo "logged $logged of $n, expected 2" >&2; return 1; }
	fi
}

@test "report: CORS_ENFORCE=off is a configuration error: 500, no CORS field, the variable named" {
	req CORS_ENFORCE=off HTTP_ORIGIN="$APP"
	assert_status 500
	no_cors_headers
	assert_file_not_exist "$marker"
	in_log 'CORS_ENFORCE.*enforce: "off" is not on or report'
}

@test "report: --check prints enforce for every section, with where it was set" {
	cat >"$BATS_TEST_TMPDIR/cors.ini" <<EOF
origins = $APP
[new]
path = /new/*
enforce = report
EOF
	run env -i PATH=/usr/bin:/bin "$CORS_WRAP" --check --config "$BATS_TEST_TMPDIR/cors.ini"
	assert_success
	assert_line "enforce = on"$'\t'"# default"
	assert_line "enforce = report"$'\t'"# $BATS_TEST_TMPDIR/cors.ini:4"
}

@test "report: --explain says report-only and why the policy refuses" {
	run env -i PATH=/usr/bin:/bin CORS_ORIGINS="$APP" CORS_ENFORCE=report \
		"$CORS_WRAP" --explain GET /x "Origin: $OTHER"
	assert_success
	assert_line --partial 'decision: report-only: the policy refuses it (origin-not-allowed)'
	assert_line "Access-Control-Allow-Origin: $OTHER"
}
