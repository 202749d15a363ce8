#!/usr/bin/env bats
# Hostile input: request fields, paths and FastCGI records built to break
# cors-wrap, and configurations at and past its limits.  Each gets a precise
# answer and nothing of it is reflected; a bad configuration fails closed,
# never into a more permissive policy.  Request tests run in CGI mode and
# against this file's FastCGI daemon (one worker, as the server user, with
# CORS_SCRIPT_ROOT=$CGI_BIN and CORS_ORIGINS=https://a.example of its own);
# records go to it byte by byte (tests/lib/fcgi.pl).

# shellcheck disable=SC2154 # $status, $body, $log, ... are set by the helpers
load lib/common
load lib/servers
load lib/fcgi

O=https://a.example
EVIL=https://evil.example

setup_file() {
	server_init hostile
	local v=$SERVER_VAR
	cat >"$CGI_BIN/hello.cgi" <<'EOF'
#!/bin/sh
printf 'Content-Type: text/plain\n\nhello\n'
EOF
	# What the script was given, never its Origin: an Origin in the answer
	# can only be cors-wrap's.
	cat >"$CGI_BIN/app.cgi" <<EOF
#!/bin/sh
echo "\$REQUEST_METHOD" >>'$v/app.log'
printf 'Content-Type: text/plain\n\n'
printf 'app path_info=[%s] content_length=[%s]\n' "\${PATH_INFO:-}" "\${CONTENT_LENGTH:-}"
if [ "\$REQUEST_METHOD" = POST ]; then printf 'body=[%s]\n' "\$(cat)"; fi
EOF
	# The script's view of Origin: its environment's entries, one a line.
	cat >"$CGI_BIN/origin.cgi" <<'EOF'
#!/bin/sh
printf 'Content-Type: text/plain\n\n'
env | grep '^HTTP_ORIGIN=' || true
EOF
	cat >"$CGI_DIR/outside.cgi" <<EOF
#!/bin/sh
echo ran >>'$v/outside.log'
printf 'Content-Type: text/plain\n\noutside\n'
EOF
	chmod 755 "$CGI_BIN"/*.cgi "$CGI_DIR/outside.cgi"
	ln -s "$CGI_DIR/outside.cgi" "$CGI_BIN/escape.cgi"
	# The scripts run as root in CGI mode, as the server user in FastCGI.
	: >"$v/outside.log"
	: >"$v/app.log"
	chmod 666 "$v/outside.log" "$v/app.log"
	FCGI_SOCK=$(fcgi_dir)/hostile.sock
	CW_FCGI_SOCKET=$FCGI_SOCK
	export FCGI_SOCK CW_FCGI_SOCKET
	cors_wrap_start "$FCGI_SOCK" CORS_ORIGINS=$O CORS_SCRIPT_ROOT="$CGI_BIN" CORS_LOG_LEVEL=info \
		-c 1 -t 10 -f
	worker_init
	DAEMON_LOG=$SERVER_ROOT/logs/cors-wrap.log
	export DAEMON_LOG
}

teardown_file() {
	server_stop
}

# req [VAR=VALUE ...]: a GET from $O of app.cgi through cors-wrap, with
# the daemon's CORS_ORIGINS, in $CW_MODE (cgi, or fastcgi: this file's
# daemon through cgi-fcgi).
req() {
	cgi CORS_EXEC="$CGI_BIN/app.cgi" CORS_ORIGINS=$O REQUEST_URI=/app SCRIPT_NAME=/app \
		HTTP_ORIGIN=$O "$@"
}

# preflight [VAR=VALUE ...]: a PUT preflight from $O.
preflight() {
	req REQUEST_METHOD=OPTIONS HTTP_ACCESS_CONTROL_REQUEST_METHOD=PUT "$@"
}

# in_both CMD ...: CMD in CGI mode, then in FastCGI mode.  (Not in an ||
# list: errexit would not apply inside CMD.)
in_both() {
	local m
	for m in cgi fastcgi; do
		printf '(%s mode)\n' "$m" >&2
		CW_MODE=$m "$@"
	done
}

# not_echoed TEXT: TEXT is nowhere in the last answer, headers or body.
not_echoed() {
	if grep -aqF -- "$1" "$raw"; then
		printf 'the answer echoes [%s]:\n' "$1" >&2
		head -c 2000 "$raw" | cat -A >&2
		return 1
	fi
}

# app_ran N: app.cgi has run N times in all.
app_ran() {
	assert_equal "$(line_count "$SERVER_VAR/app.log")" "$1"
}

# outside_never_ran: outside.cgi has not run.
outside_never_ran() {
	assert_equal "$(line_count "$SERVER_VAR/outside.log")" 0
}

# ---- request fields -------------------------------------------------------

lowercase_options() {
	req REQUEST_METHOD=options HTTP_ACCESS_CONTROL_REQUEST_METHOD=PUT
	assert_status 200
	assert_header Access-Control-Allow-Origin $O
	refute_header Access-Control-Allow-Methods
	assert_header Vary Origin
	assert_equal "$body" 'app path_info=[] content_length=[]'
}

@test "a lower-case options request with Access-Control-Request-Method is not a preflight: the script answers, with the CORS headers of an actual request" {
	local before
	before=$(line_count "$SERVER_VAR/app.log")
	in_both lowercase_options
	app_ran $((before + 2))
}

method_in_log() {
	# CORS_LOG_RATE=0: no other cors-wrap may use up the budget of lines.
	req REQUEST_METHOD=$'GET\r\nX-Injected: 1\x01' HTTP_ORIGIN=$EVIL CORS_LOG_LEVEL=info \
		CORS_LOG_RATE=0
	assert_status 200
	no_cors_headers
	refute_header X-Injected
	local line n=0
	while IFS= read -r line; do
		[[ $line == 'cors-wrap: '* ]] || {
			printf 'a log line that is not cors-wrap'"'"'s: [%s]\n' "$line" >&2
			return 1
		}
		n=$((n + 1))
	done <<<"$log"
	assert_equal "$n" 1
	[[ $log == 'cors-wrap: info: refused request GET\x0d\x0aX-Injected: 1\x01 /app from origin "https://evil.example" [global]: origin-not-allowed' ]] || {
		printf 'log: [%s]\n' "$log" >&2
		return 1
	}
}

@test "a request method with CR LF and control bytes is escaped in the one log line about the request, and injects no header" {
	in_both method_in_log
}

repeated_origin() {
	req HTTP_ORIGIN="$O, $EVIL"
	assert_status 200
	no_cors_headers
	assert_header Vary Origin
	not_echoed evil.example
	not_echoed a.example
}

two_origins() {
	in_both repeated_origin
	preflight HTTP_ORIGIN="$O, $EVIL"
	assert_status 204
	no_cors_headers
	not_echoed evil.example
}

@test "two Origin fields, joined into one by the server, are an invalid origin, never echoed" {
	two_origins
}

@test "two Access-Control-Request-Method fields, joined into one by the server, refuse the preflight" {
	preflight HTTP_ACCESS_CONTROL_REQUEST_METHOD='PUT, DELETE'
	assert_status 204
	no_cors_headers
}

@test "two Access-Control-Request-Headers fields, joined into one by the server, are one list" {
	preflight HTTP_ACCESS_CONTROL_REQUEST_HEADERS='x-b, x-a, x-b'
	assert_status 204
	assert_header Access-Control-Allow-Headers 'x-a, x-b'
}

@test "two Access-Control-Request-Private-Network fields, joined into one by the server, are not true" {
	preflight HTTP_ACCESS_CONTROL_REQUEST_PRIVATE_NETWORK='true, true' CORS_ALLOW_PRIVATE_NETWORK=on
	assert_status 204
	assert_header Access-Control-Allow-Origin $O
	refute_header Access-Control-Allow-Private-Network
}

two_params() {
	fcgi_request SCRIPT_FILENAME="$CGI_BIN/origin.cgi" HTTP_ORIGIN=$O HTTP_ORIGIN=$EVIL
	assert_status 200
	no_cors_headers
	assert_header Vary Origin
	assert_equal "$body" "HTTP_ORIGIN=$O, $EVIL"
	# The decision reads the joined value of each field.
	fcgi_request REQUEST_METHOD=OPTIONS SCRIPT_FILENAME="$CGI_BIN/origin.cgi" HTTP_ORIGIN=$O \
		HTTP_ACCESS_CONTROL_REQUEST_HEADERS=x-b HTTP_ACCESS_CONTROL_REQUEST_METHOD=PUT \
		HTTP_ACCESS_CONTROL_REQUEST_HEADERS= HTTP_ACCESS_CONTROL_REQUEST_HEADERS=x-a
	assert_status 204
	assert_header Access-Control-Allow-Origin $O
	assert_header Access-Control-Allow-Headers 'x-a, x-b'
	fcgi_request REQUEST_METHOD=OPTIONS SCRIPT_FILENAME="$CGI_BIN/origin.cgi" HTTP_ORIGIN=$O \
		HTTP_ACCESS_CONTROL_REQUEST_METHOD=PUT HTTP_ACCESS_CONTROL_REQUEST_METHOD=DELETE
	assert_status 204
	no_cors_headers
}

@test "fastcgi: a field sent as two params, as nginx 1.22 sends one on two lines, is one joined field: two Origins are refused, and the script sees the same joined Origin (through nginx: nginx.bats)" {
	two_params
}

@test "an absurd CONTENT_LENGTH is not cors-wrap's to read: the script gets the body as sent and the variable as is" {
	local n
	printf hello >"$BATS_TEST_TMPDIR/body"
	for n in 99999999999999999999999999 -1 abc; do
		CGI_STDIN=$BATS_TEST_TMPDIR/body req REQUEST_METHOD=POST CONTENT_LENGTH="$n"
		assert_status 200
		assert_header Access-Control-Allow-Origin $O
		assert_equal "$body" "app path_info=[] content_length=[$n]
body=[hello]"
	done
	preflight CONTENT_LENGTH=99999999999999999999999999
	assert_status 204
	assert_header Access-Control-Allow-Origin $O
	# FastCGI: the body is what FCGI_STDIN carries, whatever the params say.
	for n in 99999999999999999999999999 -1 abc; do
		fcgi_talk "begin 1
params 1 $(fcgi_words REQUEST_METHOD=POST SCRIPT_FILENAME="$CGI_BIN/app.cgi" HTTP_ORIGIN=$O \
			CONTENT_LENGTH="$n")
params 1
stdin 1 hello
stdin 1"
		assert_status 200
		assert_header Access-Control-Allow-Origin $O
		assert_equal "$body" "app path_info=[] content_length=[$n]
body=[hello]"
		has_record 'END 1 0 0'
	done
}

# ---- paths ------------------------------------------------------------------

# root_case PATH_INFO STATUS LOG: CGI mode with CORS_SCRIPT_ROOT=$CGI_BIN.
root_case() {
	cgi CORS_SCRIPT_ROOT="$CGI_BIN" SCRIPT_NAME=/cgi REQUEST_URI=/cgi HTTP_ORIGIN=$O \
		PATH_INFO="$1"
	assert_status "$2"
	assert_header Access-Control-Allow-Origin $O
	[[ $log =~ $3 ]] || {
		printf 'PATH_INFO [%s]: log [%s] does not match [%s]\n' "$1" "$log" "$3" >&2
		return 1
	}
}

@test "PATH_INFO with .. in its first segment runs nothing outside the script root" {
	root_case /../cgi/outside.cgi 403 'script name "\.\." not allowed'
	outside_never_ran
}

@test "PATH_INFO with %2e%2e in its first segment runs nothing outside the script root" {
	root_case /%2e%2e/cgi/outside.cgi 404 '%2e%2e: no such script'
	outside_never_ran
}

@test "PATH_INFO with // at its start runs nothing outside the script root" {
	root_case //outside.cgi 403 'script name "" not allowed'
	outside_never_ran
}

@test "PATH_INFO with . as its first segment is refused" {
	root_case /./app.cgi 403 'script name "\." not allowed'
	outside_never_ran
}

@test "PATH_INFO naming a symlink out of the script root runs nothing outside it" {
	root_case /escape.cgi 403 'escape\.cgi leads out of the script root'
	outside_never_ran
}

@test "PATH_INFO after the script's name is the script's: .. there runs nothing outside the root" {
	# The rest of PATH_INFO is the script's: app.cgi runs, not outside.cgi.
	cgi CORS_SCRIPT_ROOT="$CGI_BIN" SCRIPT_NAME=/cgi REQUEST_URI=/cgi HTTP_ORIGIN=$O \
		PATH_INFO=/app.cgi/../../cgi/outside.cgi
	assert_status 200
	assert_equal "$body" 'app path_info=[/../../cgi/outside.cgi] content_length=[]'
	outside_never_ran
}

# fcgi_file SCRIPT_FILENAME STATUS LOG [NAME=VALUE ...]: a GET straight to
# the daemon.
fcgi_file() {
	local f=$1 st=$2 re=$3
	shift 3
	fcgi_request SCRIPT_FILENAME="$f" HTTP_ORIGIN=$O "$@"
	assert_status "$st"
	assert_header Access-Control-Allow-Origin $O
	in_log "$re"
}

filename_traversal() {
	fcgi_file "$CGI_BIN/../cgi/outside.cgi" 403 '"\.\." in the path'
	fcgi_file "$CGI_BIN/%2e%2e/cgi/outside.cgi" 404 'no such script'
	fcgi_file "/$CGI_DIR/outside.cgi" 403 'is outside the script root'
	fcgi_file "$CGI_BIN/escape.cgi" 403 'escape\.cgi is outside the script root'
	fcgi_file "$CGI_DIR/outside.cgi" 403 'is outside the script root' CORS_SCRIPT_ROOT=/
	fcgi_file "$CGI_BIN/app.cgi" 403 'outside\.cgi is outside the script root' \
		CORS_EXEC="$CGI_DIR/outside.cgi"
	fcgi_request SCRIPT_FILENAME="$CGI_BIN//app.cgi" HTTP_ORIGIN=$O
	assert_status 200
	assert_equal "$body" 'app path_info=[] content_length=[]'
	outside_never_ran
}

nul_in_param() {
	local before spec
	before=$(line_count "$SERVER_VAR/app.log")
	# fcgi_words escapes every byte a word cannot hold; a NUL is added as
	# \x00 by hand, since no shell string can hold one.
	for spec in "SCRIPT_FILENAME=$(fcgi_words "$CGI_BIN/app.cgi")\\x00/../../cgi/outside.cgi" \
		"HTTP\\x00X=1 SCRIPT_FILENAME=$(fcgi_words "$CGI_BIN/app.cgi")"; do
		fcgi_talk "begin 1
params 1 $spec $(fcgi_words HTTP_ORIGIN=$O)
params 1
stdin 1"
		assert_status 500
		no_cors_headers
		has_record 'END 1 0 0'
		in_log "^cors-wrap: error: invalid FCGI_PARAMS: empty name, NUL byte or '=' in a name$"
	done
	app_ran "$before"
	outside_never_ran
}

@test "fastcgi: SCRIPT_FILENAME with .., %2e%2e or //, a symlink out, or params that try to move the daemon's script root, runs nothing outside the root" {
	filename_traversal
	settled
}

@test "fastcgi: a NUL byte in a param runs nothing and gets 500 without CORS headers" {
	nul_in_param
	settled
}

# ---- FastCGI records -------------------------------------------------------

# hex TEXT: TEXT as hexadecimal digits.
hex() {
	printf '%s' "$1" | od -An -v -tx1 | tr -d ' \n'
}

lengths_past_data() {
	local h
	for h in "0affffffff$(hex HTTP_X_BIG)x" "8fffffff01$(hex A)" "0506$(hex ABC)" "05"; do
		fcgi_talk "begin 1
pairs 1 $h
params 1
stdin 1"
		assert_status 500
		no_cors_headers
		has_record 'END 1 0 0'
		in_log '^cors-wrap: error: invalid FCGI_PARAMS: a length runs past the data$'
	done
}

record_cut_short() {
	fcgi_talk "begin 1
record PARAMS 1 $(fcgi_words "$(printf '\x03\x01ABCx')") clen=60000" --timeout 0.5
	assert_equal "$end" TIMEOUT
	assert_equal "$talk" TIMEOUT
	fcgi_talk "begin 1
record PARAMS 1 abc plen=255" --timeout 0.5
	assert_equal "$talk" TIMEOUT
}

largest_record() {
	local value pad
	value=$(head -c 65520 /dev/zero | tr '\0' v)
	pad=$(printf '\\x00%.0s' $(seq 255))
	fcgi_talk "begin 1
pairs 1 0a8000fff0$(hex HTTP_X_BIG)$(hex "$value") plen=255
raw $pad
params 1 $(fcgi_words SCRIPT_FILENAME="$CGI_BIN/app.cgi" HTTP_ORIGIN=$O)
params 1
stdin 1"
	has_record 'END 1 0 0'
	assert_status 200
	assert_header Access-Control-Allow-Origin $O
	assert_equal "$body" 'app path_info=[] content_length=[]'
}

params_too_large() {
	local big many i
	big=$(head -c 1100000 /dev/zero | tr '\0' v)
	fcgi_talk "begin 1
params 1 HTTP_X_BIG=$big
params 1
stdin 1"
	assert_status 500
	no_cors_headers
	in_log '^cors-wrap: error: FCGI_PARAMS larger than 1048576 bytes$'
	many=$(for ((i = 0; i < 1025; i++)); do printf 'HTTP_X_%d=1 ' "$i"; done)
	fcgi_talk "begin 1
params 1 $many
params 1
stdin 1"
	assert_status 500
	no_cors_headers
	in_log '^cors-wrap: error: invalid FCGI_PARAMS: too many$'
}

@test "fastcgi: records with huge or inconsistent lengths: lengths past their data, or params over 1 MiB or 1024, get 500 without CORS headers and a log line; a record cut short goes with its connection; the largest record is read whole" {
	lengths_past_data
	record_cut_short
	largest_record
	params_too_large
	settled
}

bad_version_or_begin() {
	local before
	before=$(line_count "$DAEMON_LOG")
	fcgi_talk "record BEGIN_REQUEST 1 $(fcgi_words "$(printf '\x01\x01\x01\x01\x01\x01\x01')")x version=2"
	assert_equal "$talk" EOF
	fcgi_talk "record BEGIN_REQUEST 1 ab
request 2 $(fcgi_words SCRIPT_FILENAME="$CGI_BIN/app.cgi")"
	assert_equal "$talk" EOF
	tail -n +"$((before + 1))" "$DAEMON_LOG" | grep -qx 'cors-wrap: error: FastCGI protocol error: version 2'
	tail -n +"$((before + 1))" "$DAEMON_LOG" |
		grep -qx 'cors-wrap: error: FastCGI protocol error: malformed record of type 1'
}

other_ids() {
	fcgi_talk "begin 1
params 1 $(fcgi_words REQUEST_METHOD=GET SCRIPT_FILENAME="$CGI_BIN/app.cgi" HTTP_ORIGIN=$EVIL)
params 9 CORS_ORIGINS=*
begin 2
params 2 CORS_ORIGINS=*
params 1
stdin 1"
	has_record 'END 2 0 1'
	has_record 'END 1 0 0'
	assert_status 200
	no_cors_headers
	assert_equal "$body" 'app path_info=[] content_length=[]'
}

unknown_type_and_role() {
	fcgi_talk "record 77 0 xyz
begin 3 keep role=3
request 1 $(fcgi_words SCRIPT_FILENAME="$CGI_BIN/app.cgi" HTTP_ORIGIN=$O)"
	has_record 'UNKNOWN_TYPE 77'
	has_record 'END 3 0 3'
	has_record 'END 1 0 0'
	assert_header Access-Control-Allow-Origin $O
}

@test "fastcgi: protocol errors: version 2 or a short BEGIN_REQUEST close the connection with a log line; another request's params, a second BEGIN_REQUEST, an unknown type or role change nothing of the request" {
	bad_version_or_begin
	other_ids
	unknown_type_and_role
	settled
}

@test "fastcgi: a peer that floods FCGI_GET_VALUES without reading the replies is cut off with a log line; the worker's memory stays bounded" {
	local out rss0 rss1
	rss0=$(awk '/^VmRSS:/ { print $2 }' "/proc/$WORKER/status")
	# 2 million records, 96 MB, never a byte read back: the write fails
	# once cors-wrap closes the connection.
	out=$(perl -MIO::Socket::UNIX -e '
		$SIG{PIPE} = "IGNORE";
		my $s = IO::Socket::UNIX->new(Peer => $ARGV[0]) or die "connect: $!";
		my $name = "FCGI_MAX_CONNS";
		my $pair = pack("CC", length $name, 0) . $name;
		my $rec = pack("CCnnCC", 1, 9, 0, length $pair, 0, 0) . $pair;
		my $chunk = $rec x 1000;
		my $sent = 0;
		for (1 .. 2000) {
			defined(syswrite($s, $chunk)) or last;
			$sent += 1000;
		}
		print "$sent\n";' "$FCGI_SOCK")
	[ "$out" -lt 2000000 ] || {
		echo "all $out records were taken: the connection was never cut" >&2
		return 1
	}
	rss1=$(awk '/^VmRSS:/ { print $2 }' "/proc/$WORKER/status")
	[ "$rss1" -le $((rss0 + 2048)) ] || {
		echo "the worker grew from $rss0 to $rss1 KiB" >&2
		return 1
	}
	grep -q 'cors-wrap: error: FastCGI peer sends records without reading the replies; closing the connection' "$DAEMON_LOG"
	settled
}

# ---- configuration ----------------------------------------------------------

# fails_closed WHERE TEXT [VAR=VALUE ...]: a GET gets 500 without any CORS
# header or Vary, app.cgi does not run, and a log line names WHERE and says
# TEXT.  (A preflight fails the same way: config.bats.)
fails_closed() {
	local where=$1 text=$2 before
	shift 2
	before=$(line_count "$SERVER_VAR/app.log")
	req "$@"
	assert_status 500
	no_cors_headers
	refute_header Vary
	_names "$where" "$text"
	app_ran "$before"
}

_names() {
	printf '%s\n' "$log" | grep -F -- "$1" | grep -qF -- "$2" || {
		printf 'no log line naming [%s] with [%s]:\n%s\n' "$1" "$2" "$log" >&2
		return 1
	}
}

# check_fails WHERE TEXT [VAR=VALUE ...]: cors-wrap --check exits 1 naming
# WHERE and saying TEXT.
check_fails() {
	local where=$1 text=$2
	shift 2
	run env -i PATH=/usr/bin:/bin "$@" "$CORS_WRAP" --check
	assert_equal "$status" 1
	log=$output _names "$where" "$text"
}

# ini NAME TEXT: an INI file readable by the daemon's user; prints its path.
ini() {
	local f=$BATS_TEST_TMPDIR/$1.ini
	printf '%s\n' "$2" >"$f"
	chmod 644 "$f"
	[ "$(id -u)" != 0 ] || open_test_dir
	printf '%s\n' "$f"
}

many_origins() {
	local long list f
	long=$(seq -f 'a://%g' 1 10000 | paste -sd' ')
	list=$(yes a://b | head -n 10000 | paste -sd' ')
	in_both fails_closed CORS_ORIGINS 'value longer than 65536 bytes' CORS_ORIGINS="$long"
	check_fails CORS_ORIGINS 'value longer than 65536 bytes' CORS_ORIGINS="$long"
	fails_closed CORS_ORIGINS 'more than 1024 entries' CORS_ORIGINS="$list"
	check_fails CORS_ORIGINS 'more than 1024 entries' CORS_ORIGINS="$list"
	f=$(ini many "origins = \\
$(seq -f '  https://o%g.example \' 1 10000)
  https://last.example")
	in_both fails_closed "$f:1:" 'line continued up to line 48 is longer than 1022 bytes' CORS_CONFIG="$f"
	check_fails "$f:1:" 'line continued up to line 48 is longer than 1022 bytes' CORS_CONFIG="$f"
}

megabyte_line() {
	local f mb
	mb=$(head -c 1000000 /dev/zero | tr '\0' a)
	f=$(ini line "max_age = 5
origins = https://$mb.example")
	fails_closed "$f:2:" 'line longer than 1022 bytes' CORS_CONFIG="$f"
	check_fails "$f:2:" 'line longer than 1022 bytes' CORS_CONFIG="$f"
	f=$(ini big "; $(head -c 1100000 /dev/zero | tr '\0' ';' | fold -w 80 | sed 's/^/; /')")
	fails_closed "$f" 'larger than 1048576 bytes' CORS_CONFIG="$f"
	# An environment entry is at most 128 KiB (MAX_ARG_STRLEN): only a
	# FastCGI param can carry 1 MB.
	fcgi_talk "begin 1
params 1 $(fcgi_words SCRIPT_FILENAME="$CGI_BIN/app.cgi" HTTP_ORIGIN=$O) CORS_ORIGINS=https://$mb.example
params 1
stdin 1"
	assert_status 500
	no_cors_headers
	in_log '^cors-wrap: error: cannot load the configuration: CORS_ORIGINS: value longer than 65536 bytes$'
	# The limit is iniparser's own: 1022 bytes and the newline.
	f=$(ini edge "; $(head -c 1020 /dev/zero | tr '\0' x)")
	run env -i PATH=/usr/bin:/bin CORS_CONFIG="$f" "$CORS_WRAP" --check
	assert_equal "$status" 0
	f=$(ini edge "; $(head -c 1021 /dev/zero | tr '\0' x)")
	check_fails "$f:1:" 'line longer than 1022 bytes' CORS_CONFIG="$f"
}

@test "configurations past the limits fail closed naming where: 10,000 origins (a value over 64 KiB, over 1024 entries, an INI line continued past 1022 bytes), a 1 MB line (1022 bytes is the most), a file over 1 MiB" {
	many_origins
	megabyte_line
}

unreadable_file() {
	local f
	f=$(ini secret "origins = $O")
	chmod 000 "$f"
	if [ "$(id -u)" = 0 ]; then
		# Root reads anything: as the server user, as a server runs it.
		local user
		user=$(server_user)
		CORS_WRAP_AS=(setpriv "--reuid=$user" "--regid=$(id -gn "$user")" --init-groups)
	else
		CORS_WRAP_AS=()
	fi
	# The server's copy, which the server user can reach.
	CORS_WRAP=$BATS_TEST_TMPDIR/as-user
	printf '#!/bin/sh\nexec %s %s "$@"\n' "${CORS_WRAP_AS[*]}" "$SERVER_CORS_WRAP" >"$CORS_WRAP"
	chmod 755 "$CORS_WRAP"
	in_both fails_closed "$f" 'cannot open: Permission denied' CORS_CONFIG="$f"
	check_fails "$f" 'cannot open: Permission denied' CORS_CONFIG="$f"
}

bad_regex_or_sections() {
	local f
	f=$(ini regex "allow_headers = ~x-(a")
	fails_closed "$f:1:" 'allow_headers: invalid regular expression' CORS_CONFIG="$f"
	check_fails "$f:1:" 'allow_headers: invalid regular expression' CORS_CONFIG="$f"
	f=$(ini sections "[API]
path = /api/*
origins = https://*.example

[api]
path = /app
origins = *")
	fails_closed "$f:5:" 'section [api] already defined at line 1' CORS_CONFIG="$f"
	check_fails "$f:5:" 'section [api] already defined at line 1' CORS_CONFIG="$f"
	# A refused section's keys are not the section's before it: one line
	# for the section, none saying its keys are "already set".
	refute_output --partial 'already set'
	f=$(ini many "$(for i in $(seq 258); do printf '[s%d]\npath = /p%d\norigins = *\n' "$i" "$i"; done)")
	check_fails "$f:769:" 'more than 256 sections' CORS_CONFIG="$f"
	check_fails "$f:772:" 'more than 256 sections' CORS_CONFIG="$f"
	refute_output --partial 'already set'
}

@test "an unreadable configuration file, an invalid regex in allow_headers, sections named alike but for case, or past 256 fail closed naming file, line and key" {
	bad_regex_or_sections
	unreadable_file
}
