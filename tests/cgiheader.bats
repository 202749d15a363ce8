#!/usr/bin/env bats
# Merging the CORS answer into a script's CGI output: header blocks, Status,
# the script's own Access-Control-* and Vary, redirects, bodies byte for
# byte, and the 502 for a script that writes no valid header block.

load lib/common

setup() {
	# A hung cors-wrap must fail the test, not the suite: run it under
	# timeout(1), which execs it with the same argv and environment.
	local real=$CORS_WRAP
	CORS_WRAP=$(script guard "#!/bin/sh
exec timeout 20 '$real' \"\$@\"")
}

# app BODY: the program cors-wrap runs ($app), a /bin/sh script.
app() {
	app=$(script app.cgi "#!/bin/sh
$1")
}

# get [VAR=VALUE ...]: an actual GET from https://a.example, which is allowed.
get() {
	cgi CORS_EXEC="$app" CORS_ORIGINS=https://a.example REQUEST_URI=/app \
		SCRIPT_NAME=/app HTTP_ORIGIN=https://a.example "$@"
}

# raw_body FILE: write the bytes after the first blank line of the last
# response to FILE.
raw_body() {
	perl -0777 -ne 'print $1 if /\A.*?\n\r?\n(.*)\z/s' "$raw" >"$1"
}

# bad_gateway: the last response is cors-wrap's 502 with the CORS headers
# and a log line.
bad_gateway() {
	assert_header Status '502 Bad Gateway'
	assert_header Access-Control-Allow-Origin https://a.example
	assert_header Vary Origin
	[[ $log == "cors-wrap: "* ]] || {
		printf 'expected a log line, got [%s]\n' "$log" >&2
		return 1
	}
}

@test "an LF header block is accepted: the script's fields and body pass on" {
	app "printf 'Content-Type: text/plain\nX-A: 1\nX-B: two words\n\nhello\n'"
	get
	assert_status 200
	assert_header Content-Type text/plain
	assert_header X-A 1
	assert_header X-B 'two words'
	assert_equal "$body" hello
}

@test "an LF header block gets the CORS headers" {
	app "printf 'Content-Type: text/plain\nX-A: 1\nX-B: two words\n\nhello\n'"
	get
	assert_header Access-Control-Allow-Origin https://a.example
	assert_header Vary Origin
}

@test "a CRLF header block is accepted: the script's fields and body pass on" {
	app "printf 'Content-Type: text/plain\r\nX-A: 1\r\n\r\nhello\r\n'"
	get
	assert_status 200
	assert_header Content-Type text/plain
	assert_header X-A 1
	assert_equal "$body" $'hello\r'
}

@test "a CRLF header block gets the CORS headers" {
	app "printf 'Content-Type: text/plain\r\nX-A: 1\r\n\r\nhello\r\n'"
	get
	assert_header Access-Control-Allow-Origin https://a.example
	assert_header Vary Origin
}

@test "the script's Status 404 passes through with the CORS headers" {
	app "printf 'Status: 404 Not Found\r\nContent-Type: text/plain\r\n\r\nnope\n'"
	get
	assert_header Status '404 Not Found'
	assert_equal "$(header_count Status)" 1
	assert_header Access-Control-Allow-Origin https://a.example
	assert_header Vary Origin
	assert_equal "$body" nope
}

@test "the script's Status 500 passes through with the CORS headers" {
	app "printf 'Content-Type: text/plain\nStatus: 500 Internal Server Error\n\nboom\n'"
	get CORS_EXPOSE_HEADERS=X-Trace
	assert_header Status '500 Internal Server Error'
	assert_equal "$(header_count Status)" 1
	assert_header Access-Control-Allow-Origin https://a.example
	assert_header Access-Control-Expose-Headers X-Trace
	assert_equal "$body" boom
}

@test "an NPH status line becomes one Status field, trimmed like every value" {
	# Found by fuzz_cgiheader: the trailing white space stayed, so the
	# block cors-wrap sent did not read back as it had been parsed.
	app "printf 'HTTP/1.1 201 Created \t\r\nContent-Type: text/plain\r\n\r\nmade\n'"
	get
	assert_header Status '201 Created'
	assert_equal "$(header_count Status)" 1
	grep -q $'^Status: 201 Created\r$' "$raw"
	assert_header Access-Control-Allow-Origin https://a.example
	assert_equal "$body" made
}

@test "an NPH status line followed by a Status field gives one Status field, the later" {
	app "printf 'HTTP/1.1 404 Not Found\r\nStatus: 202 Accepted\r\nContent-Type: text/plain\r\n\r\nqueued\n'"
	get
	assert_header Status '202 Accepted'
	assert_equal "$(header_count Status)" 1
	assert_header Access-Control-Allow-Origin https://a.example
	assert_equal "$body" queued
}

@test "the script's own Access-Control-Allow-Origin wins and nothing is added" {
	app "printf 'Content-Type: text/plain\r\nAccess-Control-Allow-Origin: https://other.example\r\n\r\nmine\n'"
	get CORS_SUPPORTS_CREDENTIALS=yes CORS_EXPOSE_HEADERS=X-Trace
	assert_status 200
	assert_header Access-Control-Allow-Origin https://other.example
	refute_header Access-Control-Allow-Credentials
	refute_header Access-Control-Expose-Headers
	refute_header Vary
	assert_equal "$body" mine
}

@test "the script's Allow-Origin is recognised in any case" {
	app "printf 'Content-Type: text/plain\r\naccess-control-allow-origin: *\r\n\r\nmine\n'"
	get
	assert_header Access-Control-Allow-Origin '*'
	assert_equal "$(header_count Access-Control-Allow-Origin)" 1
	refute_header Vary
}

@test "a script-set Expose-Headers and Allow-Credentials are kept and not added again" {
	app "printf 'Content-Type: text/plain\r\nAccess-Control-Expose-Headers: X-Script\r\nAccess-Control-Allow-Credentials: true\r\n\r\nok\n'"
	get CORS_EXPOSE_HEADERS=X-Conf CORS_SUPPORTS_CREDENTIALS=yes
	assert_header Access-Control-Expose-Headers X-Script
	assert_header Access-Control-Allow-Credentials true
	assert_header Access-Control-Allow-Origin https://a.example
	assert_header Vary Origin
}

@test "Origin is merged into the script's Vary as one line" {
	app "printf 'Content-Type: text/plain\r\nVary: Accept-Encoding\r\n\r\nok\n'"
	get
	assert_header Vary 'Accept-Encoding, Origin'
	assert_header Access-Control-Allow-Origin https://a.example
}

@test "a script that already varies on origin in lower case keeps its Vary unchanged" {
	app "printf 'Content-Type: text/plain\r\nVary: origin\r\n\r\nok\n'"
	get
	assert_header Vary origin
}

@test "a script that already varies on ORIGIN among other tokens keeps its Vary unchanged" {
	app "printf 'Content-Type: text/plain\r\nVary: Accept-Encoding, ORIGIN\r\n\r\nok\n'"
	get
	assert_header Vary 'Accept-Encoding, ORIGIN'
	assert_header Access-Control-Allow-Origin https://a.example
}

@test "a local redirect passes through untouched" {
	app "printf 'Location: /other\r\n\r\n'"
	get
	assert_equal "$headers" 'Location: /other'
	assert_equal "$body" ''
	no_cors_headers
}

@test "a client redirect with Status 302 gets the CORS headers" {
	app "printf 'Status: 302 Found\r\nLocation: https://x/\r\n\r\n'"
	get
	assert_header Status '302 Found'
	assert_header Location https://x/
	assert_header Access-Control-Allow-Origin https://a.example
	assert_header Vary Origin
}

@test "an absolute Location without Status gets the CORS headers" {
	app "printf 'Location: https://x/\r\n\r\n'"
	get
	assert_header Location https://x/
	assert_header Access-Control-Allow-Origin https://a.example
}

@test "a binary body with NULs and blank lines passes through byte for byte" {
	local data=$BATS_TEST_TMPDIR/data
	printf '\0\1\2\r\n\r\n\0\377Status: 500 x\n\n\0' >"$data"
	app "printf 'Content-Type: application/octet-stream\r\n\r\n'
exec cat '$data'"
	get
	assert_status 200
	raw_body "$BATS_TEST_TMPDIR/got"
	cmp "$data" "$BATS_TEST_TMPDIR/got"
}

@test "a 5 MB random body passes through byte for byte" {
	local data=$BATS_TEST_TMPDIR/data
	head -c 5242880 /dev/urandom >"$data"
	app "printf 'Content-Type: application/octet-stream\n\n'
exec cat '$data'"
	get
	assert_status 200
	assert_header Access-Control-Allow-Origin https://a.example
	raw_body "$BATS_TEST_TMPDIR/got"
	assert_equal "$(sha256sum <"$BATS_TEST_TMPDIR/got")" "$(sha256sum <"$data")"
}

@test "a script that exits without output gets a 502 with CORS headers" {
	app 'exit 0'
	get
	bad_gateway
}

@test "with intercept_exceptions off a script without output gets a 502 without CORS headers" {
	app 'exit 0'
	get CORS_INTERCEPT_EXCEPTIONS=off
	assert_status 502
	no_cors_headers
	[[ $log == "cors-wrap: "* ]]
}

@test "EOF before the blank line gets a 502" {
	app "printf 'Content-Type: text/plain\r\nX-A: 1\r\n'"
	get
	bad_gateway
	refute_header X-A
}

@test "a header line without a colon gets a 502" {
	app "printf 'Content-Type: text/plain\r\nthis is not a header\r\n\r\nbody\n'"
	get
	bad_gateway
}

@test "a 1 MiB header block gets a 502" {
	local block=$BATS_TEST_TMPDIR/block
	awk 'BEGIN { printf "Content-Type: text/plain\n"
		for (i = 0; i < 16384; i++) printf "X-Pad-%05d: %051d\n", i, 0
		printf "\nbody\n" }' >"$block"
	[ "$(stat -c %s "$block")" -gt 1048576 ]
	app "exec cat '$block'"
	get
	bad_gateway
	refute_header X-Pad-00000
}

@test "a single 1 MiB header line gets a 502" {
	local block=$BATS_TEST_TMPDIR/block
	awk 'BEGIN { printf "Content-Type: text/plain\r\nX-Long: "
		for (i = 0; i < 16384; i++) printf "%064d", 0
		printf "\r\n\r\nbody\n" }' >"$block"
	app "exec cat '$block'"
	get
	bad_gateway
	refute_header X-Long
}

@test "a script killed by a signal before its blank line gets a 502" {
	app "printf 'Content-Type: text/plain\r\n'
kill -KILL \$\$"
	get
	bad_gateway
}

@test "the log names the signal that killed a script before its blank line" {
	app "printf 'Content-Type: text/plain\r\n'
kill -KILL \$\$"
	get
	[[ $log =~ SIGKILL|KILL|signal\ 9([^0-9]|$)|Killed ]] || {
		printf 'log does not name the signal: [%s]\n' "$log" >&2
		return 1
	}
}

# --- the script's own Access-Control-* fields against the policy ------------
#
# cors_rows: reads rows from stdin, one per line, fields separated by "|":
#   the policy (CORS_* variables, space-separated; "-" for none)
#   the script's own fields (printf format, "\r\n" between; "-" for none)
#   the request (variables; "-" for an actual GET from https://a.example)
#   then the expected value of each field of $cors_fields ("-": absent)
#   and "withheld" when the log must say the Allow-Origin was withheld.
# Lines starting with # are comments.  Every row runs; the first failing
# one is named.
cors_fields=(Access-Control-Allow-Origin Access-Control-Allow-Credentials
	Access-Control-Expose-Headers Access-Control-Allow-Methods
	Access-Control-Allow-Headers Access-Control-Max-Age
	Access-Control-Allow-Private-Network Vary)
cors_rows() {
	local row pol fields req logged i want got
	local -a f vars
	while IFS= read -r row; do
		[[ -n $row && $row != \#* ]] || continue
		IFS='|' read -r -a f <<<"$row"
		for i in "${!f[@]}"; do
			f[i]=${f[i]#"${f[i]%%[! ]*}"}
			f[i]=${f[i]%"${f[i]##*[! ]}"}
		done
		pol=${f[0]} fields=${f[1]} req=${f[2]} logged=${f[11]:-}
		[ "$pol" != - ] || pol=
		[ "$fields" != - ] || fields=
		[ "$req" != - ] || req="HTTP_ORIGIN=https://a.example"
		app "printf 'Content-Type: text/plain\r\n${fields:+$fields\r\n}\r\nok\n'"
		# shellcheck disable=SC2206 # the row's words are variables
		vars=(CORS_EXEC="$app" REQUEST_URI=/app SCRIPT_NAME=/app
			CORS_LOG_LEVEL=info CORS_LOG_RATE=0 $pol $req)
		cgi "${vars[@]}"
		for i in "${!cors_fields[@]}"; do
			want=${f[i + 3]}
			[ "$want" != - ] || want=
			got=$(header "${cors_fields[i]}")
			[ "$got" = "$want" ] || {
				printf 'row [%s]\n%s: expected [%s], got [%s]\n--- response ---\n%s\n--- log ---\n%s\n' \
					"$row" "${cors_fields[i]}" "$want" "$got" "$headers" "$log" >&2
				return 1
			}
		done
		assert_equal "$body" ok
		if [ "$logged" = withheld ] &&
			[[ $log != *'the script sets Access-Control-Allow-Credentials and only "*" allows this origin'* ]]; then
			printf 'row [%s]\nno log line says why, log [%s]\n' "$row" "$log" >&2
			return 1
		elif [ "$logged" != withheld ] && [[ $log == *'only "*" allows'* ]]; then
			printf 'row [%s]\nunexpected log line [%s]\n' "$row" "$log" >&2
			return 1
		fi
	done
}

@test "a script's own credentials withhold an Allow-Origin that only * allowed, with a log line saying why" {
	cors_rows <<'ROWS'
# policy                          | script's fields                                      | request | ACAO | ACAC | expose | methods | headers | max-age | PNA | Vary | log
-                                 | Access-Control-Allow-Credentials: true                | -       | -    | true | -      | -       | -       | -       | -   | Origin | withheld
CORS_ORIGINS=*                    | Access-Control-Allow-Credentials: true                | -       | -    | true | -      | -       | -       | -       | -   | Origin | withheld
CORS_ORIGINS=*                    | access-control-allow-credentials: TRUE                | -       | -    | TRUE | -      | -       | -       | -       | -   | Origin | withheld
CORS_ORIGINS=*                    | Access-Control-Allow-Credentials: false               | -       | -    | false | -     | -       | -       | -       | -   | Origin | withheld
CORS_ORIGINS=* CORS_EXPOSE_HEADERS=X-Conf | Access-Control-Allow-Credentials: true       | -       | -    | true | -      | -       | -       | -       | -   | Origin | withheld
CORS_ORIGINS=*                    | Vary: Accept-Encoding\r\nAccess-Control-Allow-Credentials: true | - | -  | true | -      | -       | -       | -       | -   | Accept-Encoding, Origin | withheld
CORS_ORIGINS=*                    | Access-Control-Allow-Credentials: true\r\nAccess-Control-Expose-Headers: X-Script | - | - | true | X-Script | - | - | -     | -   | Origin | withheld
ROWS
}

@test "without a script's own credentials, * reflects the origin as before" {
	cors_rows <<'ROWS'
# policy                          | script's fields                                      | request | ACAO | ACAC | expose | methods | headers | max-age | PNA | Vary | log
# without the script's credentials, * reflects the origin as before
CORS_ORIGINS=* CORS_EXPOSE_HEADERS=X-Conf | -                                            | -       | https://a.example | - | X-Conf | - | - | -           | -   | Origin |
ROWS
}

@test "a script's own Allow-Origin beside its credentials is its own policy: passed on, nothing added" {
	cors_rows <<'ROWS'
# policy                          | script's fields                                      | request | ACAO | ACAC | expose | methods | headers | max-age | PNA | Vary | log
# the script's own Allow-Origin is its own policy: passed on, nothing added
CORS_ORIGINS=*                    | Access-Control-Allow-Origin: *\r\nAccess-Control-Allow-Credentials: true | - | * | true | - | -    | -       | -       | -   | -      |
CORS_ORIGINS=*                    | Access-Control-Allow-Origin: https://other.example\r\nAccess-Control-Allow-Credentials: true | - | https://other.example | true | - | - | - | - | - | - |
CORS_ORIGINS=https://a.example    | Access-Control-Allow-Origin: https://a.example\r\nAccess-Control-Allow-Credentials: true | - | https://a.example | true | - | - | - | - | - | - |
ROWS
}

@test "send_wildcard's constant * goes out beside a script's own credentials: it reflects nothing" {
	cors_rows <<'ROWS'
# policy                          | script's fields                                      | request | ACAO | ACAC | expose | methods | headers | max-age | PNA | Vary | log
# send_wildcard: a constant * reflects nothing, and no browser sends credentials to it
CORS_SEND_WILDCARD=yes            | Access-Control-Allow-Credentials: true                | -       | *    | true | -      | -       | -       | -       | -   | -      |
CORS_SEND_WILDCARD=yes CORS_ALWAYS_SEND=no | Access-Control-Allow-Credentials: true      | -       | *    | true | -      | -       | -       | -       | -   | Origin |
ROWS
}

@test "an origin listed (exact, glob, regex) beside * or alone is trusted with a script's own credentials" {
	cors_rows <<'ROWS'
# policy                          | script's fields                                      | request | ACAO | ACAC | expose | methods | headers | max-age | PNA | Vary | log
# an origin listed (exact, glob, regex) beside * or alone is trusted with credentials
CORS_ORIGINS=https://a.example    | Access-Control-Allow-Credentials: true                | -       | https://a.example | true | - | -  | -       | -       | -   | Origin |
CORS_ORIGINS=*,https://a.example  | Access-Control-Allow-Credentials: true                | -       | https://a.example | true | - | -  | -       | -       | -   | Origin |
CORS_ORIGINS=https://*.example    | Access-Control-Allow-Credentials: true                | -       | https://a.example | true | - | -  | -       | -       | -   | Origin |
CORS_ORIGINS=~.*                  | Access-Control-Allow-Credentials: true                | -       | https://a.example | true | - | -  | -       | -       | -   | Origin |
CORS_ORIGINS=https://a.example CORS_SUPPORTS_CREDENTIALS=yes | Access-Control-Allow-Credentials: false | - | https://a.example | false | - | - | - | - | - | Origin |
ROWS
}

@test "a refused origin gets nothing added, whatever the script's own credentials" {
	cors_rows <<'ROWS'
# policy                          | script's fields                                      | request | ACAO | ACAC | expose | methods | headers | max-age | PNA | Vary | log
# a refused origin gets nothing added, whatever the script says
CORS_ORIGINS=https://b.example    | Access-Control-Allow-Credentials: true                | -       | -    | true | -      | -       | -       | -       | -   | Origin |
CORS_ORIGINS=*                    | Access-Control-Allow-Credentials: true                | HTTP_ORIGIN=null | - | true | - | -     | -       | -       | -   | Origin |
ROWS
}

@test "without Origin, always_send's constant goes out beside a script's own credentials" {
	cors_rows <<'ROWS'
# policy                          | script's fields                                      | request | ACAO | ACAC | expose | methods | headers | max-age | PNA | Vary | log
# no Origin: always_send sends a constant, * or the first exact origin
CORS_ORIGINS=*                    | Access-Control-Allow-Credentials: true                | REQUEST_METHOD=GET | * | true | - | -    | -       | -       | -   | Origin |
CORS_ORIGINS=https://a.example    | Access-Control-Allow-Credentials: true                | REQUEST_METHOD=GET | https://a.example | true | - | - | - | - | - | Origin |
CORS_ORIGINS=* CORS_ALWAYS_SEND=no | Access-Control-Allow-Credentials: true               | REQUEST_METHOD=GET | - | true | -   | -       | -       | -       | -   | Origin |
ROWS
}

@test "a script's own Expose-Headers is kept and ours not added" {
	cors_rows <<'ROWS'
# policy                          | script's fields                                      | request | ACAO | ACAC | expose | methods | headers | max-age | PNA | Vary | log
CORS_EXPOSE_HEADERS=X-Conf        | Access-Control-Expose-Headers: X-Script               | -       | https://a.example | - | X-Script | - | -  | -       | -   | Origin |
ROWS
}

@test "a script's own Allow-Credentials is kept and ours not added" {
	cors_rows <<'ROWS'
# policy                          | script's fields                                      | request | ACAO | ACAC | expose | methods | headers | max-age | PNA | Vary | log
CORS_ORIGINS=https://a.example CORS_SUPPORTS_CREDENTIALS=yes | Access-Control-Allow-Credentials: true | - | https://a.example | true | - | - | - | - | - | Origin |
ROWS
}

@test "a script's own Allow-Methods, Allow-Headers, Max-Age and Allow-Private-Network are kept on an actual request" {
	cors_rows <<'ROWS'
# policy                          | script's fields                                      | request | ACAO | ACAC | expose | methods | headers | max-age | PNA | Vary | log
-                                 | Access-Control-Allow-Methods: PUT\r\nAccess-Control-Allow-Headers: X-A\r\nAccess-Control-Max-Age: 5\r\nAccess-Control-Allow-Private-Network: true | - | https://a.example | - | - | PUT | X-A | 5 | true | Origin |
ROWS
}

@test "a preflight the script answers (automatic_options off): its fields win, ours fill the rest" {
	cors_rows <<'ROWS'
# policy                          | script's fields                                      | request | ACAO | ACAC | expose | methods | headers | max-age | PNA | Vary | log
# a preflight the script answers (automatic_options off): its fields win, ours fill the rest
CORS_AUTOMATIC_OPTIONS=no CORS_MAX_AGE=60 | Access-Control-Allow-Methods: PUT               | REQUEST_METHOD=OPTIONS HTTP_ORIGIN=https://a.example HTTP_ACCESS_CONTROL_REQUEST_METHOD=PUT | https://a.example | - | - | PUT | - | 60 | - | Origin, Access-Control-Request-Method, Access-Control-Request-Headers |
CORS_AUTOMATIC_OPTIONS=no CORS_MAX_AGE=60 | Access-Control-Allow-Credentials: true          | REQUEST_METHOD=OPTIONS HTTP_ORIGIN=https://a.example HTTP_ACCESS_CONTROL_REQUEST_METHOD=PUT | - | true | - | - | - | - | - | Origin, Access-Control-Request-Method, Access-Control-Request-Headers | withheld
CORS_AUTOMATIC_OPTIONS=no CORS_ORIGINS=https://a.example | Access-Control-Allow-Credentials: true | REQUEST_METHOD=OPTIONS HTTP_ORIGIN=https://a.example HTTP_ACCESS_CONTROL_REQUEST_METHOD=PUT | https://a.example | true | - | DELETE, GET, HEAD, OPTIONS, PATCH, POST, PUT | - | - | - | Origin, Access-Control-Request-Method, Access-Control-Request-Headers |
ROWS
}

@test "a local redirect loses the script's credentials field: the target's Allow-Origin would stand beside it" {
	# Apache keeps the script's fields into the target's answer, where a
	# cors-wrap of its own reflects the Origin "*" allowed (apache.bats).
	app "printf 'Location: /other\r\nAccess-Control-Allow-Credentials: true\r\n\r\n'"
	cgi CORS_EXEC="$app" REQUEST_URI=/app SCRIPT_NAME=/app HTTP_ORIGIN=https://a.example \
		CORS_LOG_LEVEL=info
	assert_equal "$headers" 'Location: /other'
	[[ $log == *'Access-Control-Allow-Credentials on a local redirect without its own Access-Control-Allow-Origin'* ]]
}

@test "a local redirect keeps credentials the script pairs with its own Allow-Origin" {
	app "printf 'Location: /other\r\nAccess-Control-Allow-Origin: https://b.example\r\nAccess-Control-Allow-Credentials: true\r\n\r\n'"
	cgi CORS_EXEC="$app" REQUEST_URI=/app SCRIPT_NAME=/app HTTP_ORIGIN=https://a.example \
		CORS_LOG_LEVEL=info
	assert_equal "$headers" $'Location: /other\nAccess-Control-Allow-Origin: https://b.example\nAccess-Control-Allow-Credentials: true'
	[[ $log != *'local redirect'* ]]
}

@test "the line about an Allow-Origin withheld is rate-limited with the refused ones" {
	local i lines=0 n=8
	app "printf 'Content-Type: text/plain\r\nAccess-Control-Allow-Credentials: true\r\n\r\nok\n'"
	for ((i = 0; i < n; i++)); do
		cgi TMPDIR="$BATS_TEST_TMPDIR" CORS_EXEC="$app" REQUEST_URI=/app SCRIPT_NAME=/app \
			HTTP_ORIGIN=https://a.example CORS_LOG_LEVEL=info CORS_LOG_RATE=1
		refute_header Access-Control-Allow-Origin
		[[ $log != *'only "*" allows'* ]] || lines=$((lines + 1))
	done
	# CGI: one budget file, full at first: 1 line.  FastCGI: one bucket
	# per worker (2), which other suites' lines may have spent.
	if [ "${CW_MODE:-cgi}" = fastcgi ]; then
		[ "$lines" -le 2 ] || { echo "logged $lines of $n" >&2; return 1; }
	else
		[ "$lines" -eq 1 ] || { echo "logged $lines of $n, expected 1" >&2; return 1; }
	fi
}
