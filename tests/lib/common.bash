# Shared helpers for the bats suites: load the assertion libraries and drive
# the real cors-wrap binary as a CGI program.

bats_require_minimum_version 1.5.0
# bats sources this for every test.  The libraries' load.bash files fork a
# dirname(1) for each file they source, 17 forks a test, and a fork of
# bats' shell is costly; their src/ files are sourced here directly.
_cw_libs() {
	local lib dir f
	for lib in bats-support bats-assert bats-file; do
		for dir in ${BATS_LIB_PATH//:/ } /usr/lib/bats; do
			[ -d "$dir/$lib/src" ] || continue
			for f in "$dir/$lib/src/"*.bash; do
				# shellcheck disable=SC1090 # the libraries' own files
				source "$f"
			done
			continue 2
		done
		bats_load_library "$lib"
	done
}
_cw_libs

TOP=$(cd "$BATS_TEST_DIRNAME/.." && pwd)
CORS_WRAP=${CORS_WRAP:-$TOP/cors-wrap}
# The same objects linked against the shared libc (cors-wrap is static):
# what valgrind and LD_PRELOAD shims need to see malloc.
CORS_WRAP_SHARED=${CORS_WRAP_SHARED:-$TOP/build/cors-wrap-shared}
FIXTURES=$TOP/tests/fixtures
export TOP CORS_WRAP CORS_WRAP_SHARED FIXTURES

# sanitized: the binary under test was built with make SANITIZE=1 (ASan and
# UBSan).  Where valgrind or an LD_PRELOAD malloc cannot work with it, the
# tests use the sanitizers' own means to the same end.
sanitized() {
	grep -q '__asan_init' "$CORS_WRAP"
}

# cgi [VAR=VALUE ...] [-- ARG ...]
#
# Runs cors-wrap as a web server would: a clean environment holding the CGI
# meta-variables given (REQUEST_METHOD defaults to GET), the request body from
# $CGI_STDIN (a file, default /dev/null), and ARGs as argv.
#
# With CW_MODE=fastcgi the same request goes to the cors-wrap FastCGI daemon
# at $CW_FCGI_SOCKET through cgi-fcgi (libfcgi's CGI-to-FastCGI bridge): the
# variables become FastCGI params, as nginx's fastcgi_param sends them, and
# FCGI_STDERR (cors-wrap's log lines, the script's stderr) becomes $log.
# ARGs have no FastCGI equivalent: such a test is CGI-only.  Afterwards:
#   $status   exit status
#   $headers  the header block (CRLF turned into LF, blank line removed)
#   $body     everything after the blank line
#   $log      what cors-wrap wrote to stderr
#   $raw      path of the raw stdout file
cgi() {
	local -a vars=(PATH=/usr/local/bin:/usr/bin:/bin GATEWAY_INTERFACE=CGI/1.1
		SERVER_PROTOCOL=HTTP/1.1 REQUEST_METHOD=GET)
	local -a args=()
	while [ $# -gt 0 ]; do
		if [ "$1" = -- ]; then shift; args=("$@"); break; fi
		vars+=("$1"); shift
	done
	raw=$BATS_TEST_TMPDIR/cgi.out
	local err=$BATS_TEST_TMPDIR/cgi.err
	status=0
	if [ "${CW_MODE:-cgi}" = fastcgi ]; then
		if [ ${#args[@]} -gt 0 ]; then
			echo "cgi: arguments have no FastCGI form; this test is CGI-only" >&2
			return 1
		fi
		[ "$(id -u)" != 0 ] || open_test_dir
		env -i "${vars[@]}" timeout 30 cgi-fcgi -bind -connect "$CW_FCGI_SOCKET" \
			<"${CGI_STDIN:-/dev/null}" >"$raw" 2>"$err" || status=$?
	else
		env -i "${vars[@]}" "$CORS_WRAP" "${args[@]}" \
			<"${CGI_STDIN:-/dev/null}" >"$raw" 2>"$err" || status=$?
	fi
	log=$(<"$err")
	# Under make check SANITIZE=1 a sanitizer report fails the test that
	# caused it, whatever the test looks at.
	if [[ $log =~ ERROR:\ (Address|Leak)Sanitizer|runtime\ error: ]]; then
		printf 'sanitizer report:\n%s\n' "$log" >&2
		return 1
	fi
	headers=$(awk '{ sub(/\r$/, "") } /^$/ { exit } { print }' "$raw")
	body=$(awk 'f { print; next } { sub(/\r$/, "") } /^$/ { f = 1 }' "$raw")
	output=$headers
}

# open_test_dir: a daemon started as root runs scripts as another user
# (nobody); let it reach, run and write the test's files, as a web server's
# user would need to.  Only private temporary directories are opened.
open_test_dir() {
	local d=$BATS_TEST_TMPDIR
	chmod 1777 "$d"
	while d=$(dirname "$d") && [ "$d" != / ] && [ "$d" != /tmp ]; do
		chmod a+x "$d"
	done
}

# _header_values NAME: the value of each NAME line in the last response, in
# the array hvs.  In bash alone: the assertions call it often, and a fork
# from bats is dear.
_header_values() {
	local n=${1,,} l v
	hvs=()
	while IFS= read -r l || [ -n "$l" ]; do
		l=${l%$'\r'}
		[ -n "$l" ] || break
		[[ $l == *:* ]] || continue
		v=${l%%:*}
		[ "${v,,}" = "$n" ] || continue
		v=${l#*:}
		hvs+=("${v#"${v%%[! $'\t']*}"}")
	done <"$raw"
}

# header NAME: the value of each NAME line in the last response, one per line.
header() {
	local hvs
	_header_values "$1"
	[ ${#hvs[@]} -eq 0 ] || printf '%s\n' "${hvs[@]}"
}

# _header_of NAME: sets hv to what $(header NAME) prints, without the fork.
_header_of() {
	local hvs
	_header_values "$1"
	printf -v hv '%s\n' "${hvs[@]}"
	while [[ $hv == *$'\n' ]]; do hv=${hv%$'\n'}; done
}

# header_count NAME: how many NAME lines the last response had.
header_count() {
	header "$1" | grep -c '' || true
}

assert_header() {
	local hv got
	_header_of "$1"
	got=$hv
	[ "$got" = "$2" ] || {
		printf 'header %s: expected [%s], got [%s]\n--- response ---\n%s\n--- log ---\n%s\n' \
			"$1" "$2" "$got" "$headers" "$log" >&2
		return 1
	}
}

refute_header() {
	local hv got
	_header_of "$1"
	got=$hv
	[ -z "$got" ] || {
		printf 'header %s: expected none, got [%s]\n--- response ---\n%s\n' \
			"$1" "$got" "$headers" >&2
		return 1
	}
}

# no_cors_headers: the last response carries no Access-Control-* field.
no_cors_headers() {
	if [[ $'\n'${headers,,} == *$'\n'access-control-* ]]; then
		printf 'expected no CORS headers\n--- response ---\n%s\n' "$headers" >&2
		return 1
	fi
}

# response_status: the Status of the last response (200 when absent).
response_status() {
	local s l
	s=$(header Status)
	while IFS= read -r l; do
		printf '%s\n' "${l:0:3}"
	done <<<"${s:-200}"
}

assert_status() {
	local hv got= l
	# response_status, without its forks.
	_header_of Status
	while IFS= read -r l; do
		got+=${l:0:3}$'\n'
	done <<<"${hv:-200}"
	while [[ $got == *$'\n' ]]; do got=${got%$'\n'}; done
	[ "$got" = "$1" ] || {
		printf 'status: expected %s, got %s\n--- response ---\n%s\n--- log ---\n%s\n' \
			"$1" "$got" "$headers" "$log" >&2
		return 1
	}
}

# script NAME BODY: an executable script in the test's temp dir; prints its path.
script() {
	local f=$BATS_TEST_TMPDIR/$1
	printf '%s\n' "$2" >"$f"
	chmod 755 "$f"
	printf '%s\n' "$f"
}

# app_script [BODY]: $app, a script that answers BODY (default "hello") and
# leaves $marker behind when it runs, so that a refusal can show it did not.
app_script() {
	marker=$BATS_TEST_TMPDIR/ran
	app=$(script app.cgi "#!/bin/sh
: >'$marker'
printf 'Content-Type: text/plain\r\n\r\n${1:-hello}\n'")
}

# app_req [VAR=VALUE ...]: a request through cors-wrap for /app, answered by
# $prog, default $app.
app_req() {
	cgi CORS_EXEC="${prog:-$app}" REQUEST_URI=/app SCRIPT_NAME=/app "$@"
}

# ini TEXT: write TEXT to a fresh INI file and use it from now on ($INI).
ini() {
	INI=$BATS_TEST_TMPDIR/cors-$((++_ini_count)).ini
	printf '%s\n' "$1" >"$INI"
}

# unit_build NAME: build/tests/NAME, a test program linked with cors-wrap's
# objects, rebuilt only when a source is newer, so that a run of one file
# never relinks the objects of a make check SANITIZE=1 with other flags.
# make check builds it with its own flags; this is not a sub-make of its:
# its jobserver is not ours to use.  For setup_file.
unit_build() {
	local bin=$TOP/build/tests/$1
	if [ ! -x "$bin" ] || [ -n "$(find "$TOP/lib" "$TOP/tests/unit" \
		-newer "$bin" -name '*.[ch]' -print -quit)" ]; then
		env -u MAKEFLAGS -u MFLAGS make -C "$TOP" "build/tests/$1" \
			>"$BATS_FILE_TMPDIR/build.log" 2>&1 || {
			cat "$BATS_FILE_TMPDIR/build.log" >&2
			return 1
		}
	fi
}
