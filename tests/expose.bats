#!/usr/bin/env bats
# expose_headers = * in an answer with credentials: a browser reads "*" there
# as a header name (Fetch, "CORS-exposed header-name list"), so the merge lists
# the script's own header names instead; prepend mode, which cannot see them,
# sends only the names listed beside "*".  Both modes (tests/run).

# shellcheck disable=SC2154 # $body, $log, ... are set by cgi (lib/common.bash)
load lib/common

# app HEADER-LINES: the program ($app) writes these lines (printf escapes),
# a blank line and "ok".
app() {
	app=$(script app.cgi "#!/bin/sh
printf '$1\r\n\r\nok\n'")
}

# get [VAR=VALUE ...]: a GET from https://a.example, which is listed, with
# expose_headers * and credentials unless the variables say otherwise.
get() {
	cgi CORS_EXEC="$app" CORS_ORIGINS=https://a.example CORS_EXPOSE_HEADERS='*' \
		REQUEST_URI=/app SCRIPT_NAME=/app HTTP_ORIGIN=https://a.example \
		CORS_SUPPORTS_CREDENTIALS="${creds-yes}" "$@"
}

# names N LEN: N header lines "X-NNN-aaa..." whose names are LEN bytes long.
names() {
	local i pad
	pad=$(printf '%*s' $(($2 - 6)) '' | tr ' ' a)
	for ((i = 0; i < $1; i++)); do
		printf 'X-%03d-%s: v\\r\\n' "$i" "$pad"
	done
}

# last LEN: a header name "X-999-aaa..." of LEN bytes.
last() {
	printf 'X-999-%s' "$(printf '%*s' $(($1 - 6)) '' | tr ' ' a)"
}

# names_list N LEN: the ", "-joined names of names N LEN.
names_list() {
	local i pad out=
	pad=$(printf '%*s' $(($2 - 6)) '' | tr ' ' a)
	for ((i = 0; i < $1; i++)); do
		out+="${out:+, }X-$(printf %03d "$i")-$pad"
	done
	printf '%s\n' "$out"
}

# exposes HEADER-LINES WANT [VAR=VALUE ...]: with those lines from the
# program, the answer allows credentials and its Expose-Headers is WANT
# (absent when empty).
exposes() {
	app "$1"
	get "${@:3}"
	assert_header Access-Control-Allow-Origin https://a.example
	assert_header Access-Control-Allow-Credentials true
	if [ -n "$2" ]; then
		assert_header Access-Control-Expose-Headers "$2"
	else
		refute_header Access-Control-Expose-Headers
	fi
	assert_equal "$body" ok
}

@test "expose_headers * with credentials lists the script's header names instead" {
	exposes 'Content-Type: text/plain\r\nX-Custom: 1\r\nX-Other: 2' 'X-Custom, X-Other'
}

@test "expose_headers * with credentials leaves out the CORS-safelisted names" {
	exposes 'Cache-Control: no-store\r\nContent-Language: en\r\nContent-Length: 3\r\nContent-Type: text/plain\r\nExpires: 0\r\nLast-Modified: Thu, 01 Jan 1970 00:00:00 GMT\r\nPragma: no-cache\r\nX-A: 1' X-A
}

@test "expose_headers * with credentials never lists Set-Cookie or Set-Cookie2" {
	exposes 'Set-Cookie: a=b\r\nSet-Cookie2: c=d\r\nX-A: 1' X-A
}

@test "expose_headers * with credentials never lists Status or an Access-Control field" {
	exposes 'Status: 201 Created\r\nAccess-Control-Max-Age: 5\r\nX-A: 1' X-A
	assert_status 201
}

@test "expose_headers * with credentials lists a name once, as the script first wrote it" {
	exposes 'X-Dup: 1\r\nX-B: 2\r\nx-dup: 3' 'X-Dup, X-B'
}

@test "expose_headers * with credentials lists a redirect's Location" {
	exposes 'Status: 201 Created\r\nLocation: https://b.example/new\r\nX-A: 1' 'Location, X-A'
}

@test "expose_headers * with credentials adds the names listed beside * after the script's" {
	exposes 'X-A: 1\r\nX-B: 2' 'X-A, X-B, X-Extra' CORS_EXPOSE_HEADERS='X-Extra * x-a'
}

@test "expose_headers * with credentials and no name to list sends no Expose-Headers" {
	exposes 'Content-Type: text/plain' ''
}

@test "expose_headers * without credentials stays *" {
	app 'Content-Type: text/plain\r\nX-Custom: 1'
	creds=no get
	refute_header Access-Control-Allow-Credentials
	assert_header Access-Control-Expose-Headers '*'
}

@test "the script's own Access-Control-Allow-Credentials turns * into its header names too" {
	app 'Access-Control-Allow-Credentials: true\r\nX-Custom: 1'
	creds=no get
	assert_header Access-Control-Allow-Origin https://a.example
	assert_header Access-Control-Expose-Headers X-Custom
}

@test "the script's own Access-Control-Expose-Headers is kept as it wrote it" {
	app 'Access-Control-Expose-Headers: *\r\nX-Custom: 1'
	get
	assert_header Access-Control-Expose-Headers '*'
}

@test "a script's names of 2048 bytes in all are listed" {
	# 63 names of 30 bytes and one of 32, with 63 separators: 2048 bytes.
	exposes "$(names 63 30)$(last 32): v" "$(names_list 63 30), $(last 32)"
}

@test "a script's names over 2048 bytes leave only the configured names, and a line says why" {
	exposes "$(names 63 30)$(last 33): v" X-Extra CORS_EXPOSE_HEADERS='* X-Extra' \
		CORS_LOG_LEVEL=info CORS_LOG_RATE=0
	assert_header "$(last 33)" v
	[[ $log == *"expose_headers *: the script's header names take more than 2048 bytes"* ]] || {
		printf 'no line about the cut list in:\n%s\n' "$log" >&2
		return 1
	}
}

@test "the line about a cut list does not call the allowed request refused, in text or in JSON" {
	exposes "$(names 63 30)$(last 33): v" X-Extra CORS_EXPOSE_HEADERS='* X-Extra' \
		CORS_LOG_LEVEL=info CORS_LOG_RATE=0
	[[ $log == "cors-wrap: info: answered request GET /app from origin \"https://a.example\": expose_headers *: "* ]]
	[[ $log != *refused* ]]
	exposes "$(names 63 30)$(last 33): v" X-Extra CORS_EXPOSE_HEADERS='* X-Extra' \
		CORS_LOG_LEVEL=info CORS_LOG_RATE=0 CORS_LOG_FORMAT=json
	[[ $log == '{"program":"cors-wrap","level":"info","event":"decided",'* ]]
	[[ $log != *refused* ]]
}

@test "a script's names over 2048 bytes with no configured name send no Expose-Headers" {
	exposes "$(names 100 30)$(last 30): v" ''
}

@test "an expose_headers list longer than 1000 bytes is a configuration error naming the key, as a methods list is: the merge keeps room for no more" {
	local list
	app 'Content-Type: text/plain'
	list=$(for ((i = 0; i < 100; i++)); do printf 'X-Name-%04d, ' "$i"; done)
	get CORS_EXPOSE_HEADERS="${list%, }"
	assert_status 500
	[[ $log == *'expose_headers: the list is longer than 1000 bytes'* ]]
	get CORS_EXPOSE_HEADERS="$(for ((i = 0; i < 70; i++)); do printf 'X-Name-%04d, ' "$i"; done)X"
	assert_equal "$body" ok
}

@test "prepend mode with credentials sends only the names listed beside *" {
	[ "${CW_MODE:-cgi}" = cgi ] || skip "prepend mode is CGI only"
	app 'X-Custom: 1'
	get CORS_MODE=prepend CORS_EXPOSE_HEADERS='* X-Extra'
	assert_header Access-Control-Allow-Credentials true
	assert_header Access-Control-Expose-Headers X-Extra
}

@test "prepend mode with credentials and * alone sends no Expose-Headers" {
	[ "${CW_MODE:-cgi}" = cgi ] || skip "prepend mode is CGI only"
	app 'X-Custom: 1'
	get CORS_MODE=prepend
	assert_header Access-Control-Allow-Origin https://a.example
	refute_header Access-Control-Expose-Headers
}

@test "prepend mode without credentials sends *" {
	[ "${CW_MODE:-cgi}" = cgi ] || skip "prepend mode is CGI only"
	app 'X-Custom: 1'
	creds=no get CORS_MODE=prepend
	assert_header Access-Control-Expose-Headers '*'
}

@test "a 502 with credentials lists only the configured names" {
	app=$(script app.cgi '#!/bin/sh
exit 3')
	get CORS_EXPOSE_HEADERS='* X-Extra'
	assert_header Status '502 Bad Gateway'
	assert_header Access-Control-Allow-Credentials true
	assert_header Access-Control-Expose-Headers X-Extra
}

@test "--explain says the script's header names take the place of * beside credentials" {
	[ "${CW_MODE:-cgi}" = cgi ] || skip "--explain is a command"
	run env -i CORS_ORIGINS=https://a.example CORS_SUPPORTS_CREDENTIALS=yes \
		CORS_EXPOSE_HEADERS='* X-A' "$CORS_WRAP" --explain GET /x 'Origin: https://a.example'
	assert_success
	assert_line 'Access-Control-Expose-Headers: X-A'
	assert_line --partial 'expose_headers *: beside credentials a browser reads "*" as a name; the script'"'"'s header names are listed instead'
}
