# Helpers for suites that talk FastCGI to a cors-wrap daemon directly, with
# tests/lib/fcgi.pl, and watch its worker.  Load after common.bash and
# servers.bash; start the daemon with cors_wrap_start (-c 1: one worker).
#
#   setup_file() { server_init NAME; FCGI_SOCK=...; cors_wrap_start "$FCGI_SOCK" -c 1 ...
#                  worker_init; }

FCGI_PL=$TOP/tests/lib/fcgi.pl

# fcgi_words NAME=VALUE...: the arguments as fcgi.pl build words, every
# byte that is not printable ASCII (blanks included) or a backslash as \xHH.
fcgi_words() {
	perl -e 'print join(" ", map { s/([^\x21-\x5b\x5d-\x7e])/sprintf("\\x%02x", ord $1)/ger } @ARGV)' -- "$@"
}

# fcgi_talk SPEC [TALK_ARG ...]: sends the records SPEC describes (fcgi.pl
# build) to $FCGI_SOCK.  Afterwards, as cgi (common.bash) leaves them:
#   $headers $body $raw  the FCGI_STDOUT bytes, as a CGI answer
#   $log                 the FCGI_STDERR bytes
#   $talk                fcgi.pl's report, a line per record
#   $end                 its last line: END, EOF, RESET, TIMEOUT, READ_MAX
fcgi_talk() {
	printf '%s\n' "$1" >"$BATS_TEST_TMPDIR/fcgi.spec"
	shift
	_fcgi_talk --spec "$@" <"$BATS_TEST_TMPDIR/fcgi.spec"
}

# fcgi_request [NAME=VALUE ...] [-- TALK_ARG ...]: request 1 with these
# params (and GATEWAY_INTERFACE, SERVER_PROTOCOL and REQUEST_METHOD=GET
# unless given) and an empty body, unless a --body TALK_ARG streams one;
# afterwards as fcgi_talk.
fcgi_request() {
	fcgi_request_bg "$BATS_TEST_TMPDIR/fcgi" "$@"
	fcgi_wait "$fcgi_pid" || return 1
	fcgi_result "$BATS_TEST_TMPDIR/fcgi"
}

# fcgi_request_bg PREFIX [NAME=VALUE ...] [-- TALK_ARG ...]: the same in the
# background ($fcgi_pid, for fcgi_wait); fcgi_result PREFIX once it is done.
fcgi_request_bg() {
	local prefix=$1 d
	local -a params=()
	shift
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		params+=("$1")
		shift
	done
	[ $# -eq 0 ] || shift
	for d in GATEWAY_INTERFACE=CGI/1.1 SERVER_PROTOCOL=HTTP/1.1 REQUEST_METHOD=GET; do
		[[ " ${params[*]}" == *" ${d%%=*}="* ]] || params=("$d" "${params[@]}")
	done
	: >"$prefix.out"
	: >"$prefix.err"
	if [ -n "${FCGI_SESSION_PID:-}" ]; then
		fcgi_session talk "$FCGI_SOCK" --out "$prefix" --timeout 10 "$@" \
			--params "${params[@]}"
		fcgi_pid=$REPLY
		return
	fi
	perl "$FCGI_PL" talk "$FCGI_SOCK" --out "$prefix" --timeout 10 "$@" \
		--params "${params[@]}" </dev/null >"$prefix.talk" 3>&- &
	fcgi_pid=$!
}

# fcgi_wait PID: waits for the talk fcgi_request_bg started; its status.
fcgi_wait() {
	[ -n "${FCGI_SESSION_PID:-}" ] || {
		wait "$1"
		return
	}
	fcgi_session wait "$1"
	return "$REPLY"
}

# fcgi_session_start: until fcgi_session_stop, fcgi_request and
# fcgi_request_bg fork their talks from one fcgi.pl session (a coprocess)
# rather than start a perl each: for tests of many requests, where
# starting perl took most of the time.
fcgi_session_start() {
	coproc FCGI_SESSION { exec perl "$FCGI_PL" session 3>&-; }
	FCGI_SESSION_IN=${FCGI_SESSION[1]} FCGI_SESSION_OUT=${FCGI_SESSION[0]}
}

# fcgi_session CMD [WORD ...]: one command of fcgi.pl session; its answer in
# $REPLY.  Words are escaped as fcgi.pl reads them.
fcgi_session() {
	local w line=
	for w; do
		w=${w//\\/\\\\}
		w=${w// /\\s}
		w=${w//$'\t'/\\x09}
		w=${w//$'\n'/\\x0a}
		line+=" $w"
	done
	printf '%s\n' "${line# }" >&"$FCGI_SESSION_IN"
	IFS= read -r REPLY <&"$FCGI_SESSION_OUT" || {
		echo "fcgi.pl session $FCGI_SESSION_PID is gone" >&2
		return 1
	}
}

# fcgi_session_stop: ends the session; the talks it started run on.
fcgi_session_stop() {
	[ -n "${FCGI_SESSION_PID:-}" ] || return 0
	exec {FCGI_SESSION_IN}>&- {FCGI_SESSION_OUT}<&-
	wait "$FCGI_SESSION_PID" 2>/dev/null || true
	FCGI_SESSION_PID=
}

_fcgi_talk() {
	local out=$BATS_TEST_TMPDIR/fcgi
	: >"$out.out"
	: >"$out.err"
	perl "$FCGI_PL" talk "$FCGI_SOCK" --out "$out" --timeout 10 "$@" >"$out.talk" || return 1
	fcgi_result "$out"
}

# fcgi_result PREFIX: sets the variables fcgi_talk describes from the files
# of a talk with --out PREFIX.
fcgi_result() {
	IFS= read -r -d '' talk <"$1.talk" || true
	talk=${talk%$'\n'}
	end=${talk##*$'\n'}
	raw=$1.out
	IFS= read -r -d '' log <"$1.err" || true
	log=${log%$'\n'}
	# What cgi (common.bash) gets from its two awks, in bash alone: tests
	# of many requests spent most of their time forking.
	local l in_body=
	headers= body=
	while IFS= read -r l || [ -n "$l" ]; do
		if [ -n "$in_body" ]; then
			body+=$l$'\n'
			continue
		fi
		l=${l%$'\r'}
		if [ -z "$l" ]; then
			in_body=1
		else
			headers+=$l$'\n'
		fi
	done <"$raw"
	headers=${headers%$'\n'}
	while [[ $body == *$'\n' ]]; do body=${body%$'\n'}; done
	output=$headers
}

# has_record LINE: fcgi.pl reported LINE (an ERE matching a whole line).
has_record() {
	[[ $'\n'$talk$'\n' =~ $'\n'($1)$'\n' ]] || {
		printf 'no record [%s] in:\n%s\n' "$1" "$talk" >&2
		return 1
	}
}

# in_log PATTERN: $log has a line matching PATTERN (ERE).
in_log() {
	local l
	while IFS= read -r l; do
		[[ $l =~ $1 ]] && return 0
	done <<<"$log"
	{
		printf 'no line matching [%s] in the log:\n%s\n' "$1" "$log" >&2
		return 1
	}
}

# worker_init: $WORKER, the daemon's one worker, and $WORKER_FDS, its
# descriptors when idle.
worker_init() {
	local i
	for ((i = 0; i < 50; i++)); do
		WORKER=$(ps --ppid "$CW_PID" -o pid= | tr -d ' ' | head -n 1)
		[ -z "$WORKER" ] || break
		sleep 0.1
	done
	[ -n "$WORKER" ] || {
		echo "no worker under cors-wrap pid $CW_PID" >&2
		return 1
	}
	WORKER_FDS=$(fd_count "$WORKER")
	export WORKER WORKER_FDS
}

fd_count() {
	find "/proc/$1/fd" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l
}

# offspring PID: PID's children, zombies included, as "pid state command".
offspring() {
	ps --ppid "$1" -o pid=,stat=,comm= || true
}

# settled [SECONDS]: within SECONDS (default 5) the worker has no child
# left, running or zombie, and as many descriptors as when idle at the
# start; then it still serves an ordinary request.
settled() {
	local i left fds
	for ((i = 0; i <= ${1:-5} * 10; i++)); do
		left=$(offspring "$WORKER")
		fds=$(fd_count "$WORKER")
		[ -n "$left" ] || [ "$fds" != "$WORKER_FDS" ] || break
		sleep 0.1
	done
	[ -z "$left" ] || {
		printf 'the worker still has children after %s s:\n%s\n' "${1:-5}" "$left" >&2
		return 1
	}
	[ "$fds" = "$WORKER_FDS" ] || {
		printf 'the worker has %s descriptors, %s when idle:\n' "$fds" "$WORKER_FDS" >&2
		ls -l "/proc/$WORKER/fd" >&2
		return 1
	}
	alive "$WORKER" || {
		echo "the worker $WORKER is gone" >&2
		return 1
	}
	served
}

# served: an ordinary GET of hello.cgi gets its answer with CORS headers.
served() {
	fcgi_request REQUEST_URI=/hello SCRIPT_NAME=/hello SCRIPT_FILENAME="$CGI_BIN/hello.cgi" \
		HTTP_ORIGIN=https://a.example
	assert_status 200
	assert_header Access-Control-Allow-Origin https://a.example
	assert_equal "$body" hello
	assert_equal "$end" EOF
	has_record 'END 1 0 0'
}
