#!/usr/bin/env bats
# Which program runs: argv when it agrees with SCRIPT_FILENAME (lighttpd,
# shebang), CORS_EXEC, CORS_SCRIPT_ROOT, nothing; never a path the client
# chose (Apache's ISINDEX words); the request body and environment the
# program gets; mode = prepend.

load lib/common

setup() {
	T=$(realpath "$BATS_TEST_TMPDIR")
	# app.cgi: the CORS_EXEC program; prints its arguments, one a line.
	app=$(script app.cgi "#!/bin/sh
: >'$T/app.ran'
printf 'Content-Type: text/plain\r\n\r\n'
echo app
for a; do printf '%s\n' \"\$a\"; done")
	# other.cgi: a program that must not run unless argv designates it.
	other=$(script other.cgi "#!/bin/sh
: >'$T/other.ran'
printf 'Content-Type: text/plain\r\n\r\n'
echo other
for a; do printf '%s\n' \"\$a\"; done")
}

# get [VAR=VALUE ...] [-- ARGS]: an actual GET from https://a.example.
get() {
	cgi CORS_ORIGINS=https://a.example HTTP_ORIGIN=https://a.example "$@"
}

# ran NAME / not_ran NAME: whether NAME.cgi ran.
ran() { assert_file_exists "$T/$1.ran"; }
not_ran() { assert_file_not_exists "$T/$1.ran"; }

# --- argv ------------------------------------------------------------------

@test "lighttpd argv (the script, equal to SCRIPT_FILENAME) runs the script without arguments" {
	get SCRIPT_FILENAME="$other" SCRIPT_NAME=/other.cgi REQUEST_URI=/other.cgi \
		-- "$other"
	assert_status 200
	assert_equal "$body" other
	assert_header Access-Control-Allow-Origin https://a.example
	ran other
}

@test "lighttpd argv takes precedence over CORS_EXEC" {
	get SCRIPT_FILENAME="$other" SCRIPT_NAME=/other.cgi REQUEST_URI=/other.cgi \
		CORS_EXEC="$app" -- "$other"
	assert_equal "$body" other
	not_ran app
}

@test "shebang argv (interpreter, then SCRIPT_FILENAME) runs the interpreter on the script" {
	local f=$T/plain.sh
	printf '%s\n' "printf 'Content-Type: text/plain\r\n\r\n'" 'echo "sh:$0:$*"' >"$f"
	chmod 644 "$f"
	get SCRIPT_FILENAME="$f" SCRIPT_NAME=/plain.sh REQUEST_URI=/plain.sh \
		-- /bin/sh "$f"
	assert_status 200
	assert_equal "$body" "sh:$f:"
	assert_header Access-Control-Allow-Origin https://a.example
}

@test "shebang argv passes Apache's query words on as the script's arguments" {
	local f=$T/plain.sh
	printf '%s\n' "printf 'Content-Type: text/plain\r\n\r\n'" 'echo "sh:$0:$*"' >"$f"
	chmod 644 "$f"
	get SCRIPT_FILENAME="$f" SCRIPT_NAME=/plain.sh REQUEST_URI='/plain.sh?foo+bar' \
		QUERY_STRING='foo+bar' -- /bin/sh "$f" foo bar
	assert_equal "$body" "sh:$f:foo bar"
}

@test "argv not matching SCRIPT_FILENAME is not trusted: CORS_EXEC runs" {
	get SCRIPT_FILENAME="$T/elsewhere.cgi" SCRIPT_NAME=/api REQUEST_URI=/api \
		CORS_EXEC="$app" -- "$other"
	assert_status 200
	assert_equal "$(printf '%s\n' "$body" | head -n1)" app
	ran app
	not_ran other
}

@test "argv not matching SCRIPT_FILENAME is not trusted: without CORS_EXEC a 500" {
	get SCRIPT_FILENAME="$T/elsewhere.cgi" SCRIPT_NAME=/api REQUEST_URI=/api \
		-- "$other"
	assert_status 500
	not_ran other
	[[ $log == "cors-wrap: "* ]]
}

@test "argv naming a script without any SCRIPT_FILENAME is not trusted" {
	get SCRIPT_NAME=/api REQUEST_URI=/api -- "$other"
	assert_status 500
	not_ran other
}

@test "shebang-style argv without any SCRIPT_FILENAME is not trusted" {
	get SCRIPT_NAME=/api REQUEST_URI=/api -- /bin/sh "$other"
	assert_status 500
	not_ran other
}

@test "shebang-style argv naming another script than SCRIPT_FILENAME is not trusted" {
	get SCRIPT_FILENAME="$T/elsewhere.cgi" SCRIPT_NAME=/api REQUEST_URI=/api \
		CORS_EXEC="$app" -- /bin/sh "$other"
	assert_equal "$(printf '%s\n' "$body" | head -n1)" app
	not_ran other
}

# --- Apache ISINDEX words --------------------------------------------------

@test "ISINDEX attack: ?/bin/sh -c id runs CORS_EXEC with the words as arguments, never id" {
	get SCRIPT_FILENAME="$CORS_WRAP" SCRIPT_NAME=/api \
		REQUEST_URI='/api?%2Fbin%2Fsh+-c+id' QUERY_STRING='%2Fbin%2Fsh+-c+id' \
		CORS_EXEC="$app" -- /bin/sh -c id
	assert_status 200
	assert_equal "$body" "$(printf 'app\n/bin/sh\n-c\nid')"
	assert_header Access-Control-Allow-Origin https://a.example
	run grep -c 'uid=' "$raw"
	assert_output 0
	[[ $log != *uid=* ]]
}

@test "ISINDEX attack: ?/bin/sh <cors-wrap> does not run /bin/sh on SCRIPT_FILENAME" {
	local q="%2Fbin%2Fsh+${CORS_WRAP//\//%2F}"
	get SCRIPT_FILENAME="$CORS_WRAP" SCRIPT_NAME=/api \
		REQUEST_URI="/api?$q" QUERY_STRING="$q" \
		CORS_EXEC="$app" -- /bin/sh "$CORS_WRAP"
	assert_status 200
	assert_equal "$body" "$(printf 'app\n/bin/sh\n%s' "$CORS_WRAP")"
	ran app
}

@test "ISINDEX attack: ?<cors-wrap> does not make cors-wrap run itself" {
	local q=${CORS_WRAP//\//%2F}
	get SCRIPT_FILENAME="$CORS_WRAP" SCRIPT_NAME=/api \
		REQUEST_URI="/api?$q" QUERY_STRING="$q" \
		CORS_EXEC="$app" -- "$CORS_WRAP"
	assert_status 200
	assert_equal "$body" "$(printf 'app\n%s' "$CORS_WRAP")"
}

@test "ISINDEX attack without CORS_EXEC gets a 500 and runs nothing" {
	local q="%2Fbin%2Fsh+${other//\//%2F}"
	get SCRIPT_FILENAME="$CORS_WRAP" SCRIPT_NAME=/api \
		REQUEST_URI="/api?$q" QUERY_STRING="$q" -- /bin/sh "$other"
	assert_status 500
	not_ran other
}

# --- CORS_EXEC -------------------------------------------------------------

@test "CORS_EXEC gets the request body on stdin intact" {
	local data=$T/post
	head -c 300000 /dev/urandom >"$data"
	local sum
	sum=$(script sum.cgi "#!/bin/sh
printf 'Content-Type: text/plain\r\n\r\n'
sha256sum")
	CGI_STDIN=$data get REQUEST_METHOD=POST CONTENT_LENGTH=300000 \
		CONTENT_TYPE=application/octet-stream SCRIPT_NAME=/api REQUEST_URI=/api \
		CORS_EXEC="$sum"
	assert_status 200
	assert_equal "$body" "$(sha256sum <"$data")"
	assert_header Access-Control-Allow-Origin https://a.example
}

@test "CORS_EXEC runs with the CGI variables in its environment" {
	local envdump
	envdump=$(script env.cgi "#!/bin/sh
printf 'Content-Type: text/plain\r\n\r\n'
env")
	get REQUEST_METHOD=POST CONTENT_LENGTH=0 SCRIPT_NAME=/api PATH_INFO=/x \
		REQUEST_URI='/api/x?a=1&b=2' QUERY_STRING='a=1&b=2' HTTP_X_CUSTOM=yes \
		SERVER_NAME=example.test CORS_EXEC="$envdump"
	assert_status 200
	local v
	for v in REQUEST_METHOD=POST CONTENT_LENGTH=0 SCRIPT_NAME=/api PATH_INFO=/x \
		'REQUEST_URI=/api/x?a=1&b=2' 'QUERY_STRING=a=1&b=2' HTTP_X_CUSTOM=yes \
		HTTP_ORIGIN=https://a.example SERVER_NAME=example.test \
		GATEWAY_INTERFACE=CGI/1.1 SERVER_PROTOCOL=HTTP/1.1; do
		printf '%s\n' "$body" | grep -qxF -- "$v" || {
			printf 'missing %s in:\n%s\n' "$v" "$body" >&2
			return 1
		}
	done
}

# --- CORS_SCRIPT_ROOT ------------------------------------------------------

# root_setup: $root with app.cgi (prints its CGI variables), a non-executable
# data.cgi, a directory sub/ holding x.cgi, and outside.cgi next to $root.
root_setup() {
	root=$T/root
	mkdir -p "$root/sub"
	local show="printf 'Content-Type: text/plain\r\n\r\n'
printf 'PATH_INFO=%s\nSCRIPT_NAME=%s\nSCRIPT_FILENAME=%s\n' \"\$PATH_INFO\" \"\$SCRIPT_NAME\" \"\$SCRIPT_FILENAME\""
	printf '%s\n' "#!/bin/sh" ": >'$T/rootapp.ran'" "$show" >"$root/app.cgi"
	printf '%s\n' "#!/bin/sh" ": >'$T/data.ran'" "$show" >"$root/data.cgi"
	printf '%s\n' "#!/bin/sh" ": >'$T/sub.ran'" "$show" >"$root/sub/x.cgi"
	printf '%s\n' "#!/bin/sh" ": >'$T/outside.ran'" "$show" >"$T/outside.cgi"
	chmod 755 "$root/app.cgi" "$root/sub/x.cgi" "$T/outside.cgi"
	chmod 644 "$root/data.cgi"
}

# rooted PATH_INFO [VAR=VALUE ...]: a GET through cors-wrap ScriptAlias'd at
# /cgi-bin/cors-wrap with CORS_SCRIPT_ROOT=$root.
rooted() {
	local pi=$1
	shift
	get CORS_SCRIPT_ROOT="$root" SCRIPT_FILENAME="$CORS_WRAP" \
		SCRIPT_NAME=/cgi-bin/cors-wrap PATH_INFO="$pi" \
		REQUEST_URI="/cgi-bin/cors-wrap$pi" "$@"
}

@test "CORS_SCRIPT_ROOT runs the script the first PATH_INFO segment names, with adjusted variables" {
	root_setup
	rooted /app.cgi/more
	assert_status 200
	assert_equal "$body" "PATH_INFO=/more
SCRIPT_NAME=/cgi-bin/cors-wrap/app.cgi
SCRIPT_FILENAME=$root/app.cgi"
	assert_header Access-Control-Allow-Origin https://a.example
}

@test "CORS_SCRIPT_ROOT refuses .. in the first segment with 403" {
	root_setup
	rooted /../outside.cgi
	assert_status 403
	not_ran outside
}

@test "CORS_SCRIPT_ROOT refuses a first segment that is only .. with 403" {
	root_setup
	rooted /..
	assert_status 403
}

@test "CORS_SCRIPT_ROOT refuses a symlink leading out of the root with 403" {
	root_setup
	ln -s "$T/outside.cgi" "$root/link.cgi"
	rooted /link.cgi
	assert_status 403
	not_ran outside
}

@test "CORS_SCRIPT_ROOT runs a symlink that stays inside the root" {
	root_setup
	ln -s app.cgi "$root/alias.cgi"
	rooted /alias.cgi
	assert_status 200
	ran rootapp
}

@test "CORS_SCRIPT_ROOT refuses a non-executable file with 403" {
	root_setup
	rooted /data.cgi
	assert_status 403
	not_ran data
}

@test "CORS_SCRIPT_ROOT answers a missing script with 404" {
	root_setup
	rooted /missing.cgi/x
	assert_status 404
}

@test "CORS_SCRIPT_ROOT refuses a directory as the first segment" {
	root_setup
	rooted /sub/x.cgi
	local s
	s=$(response_status)
	[[ $s == 403 || $s == 404 ]] || {
		printf 'status: expected 403 or 404, got %s\n' "$s" >&2
		return 1
	}
	not_ran sub
}

# --- nothing designated ----------------------------------------------------

@test "with no program designated a preflight is still answered with 204" {
	cgi CORS_ORIGINS=https://a.example REQUEST_METHOD=OPTIONS \
		HTTP_ORIGIN=https://a.example HTTP_ACCESS_CONTROL_REQUEST_METHOD=PUT \
		SCRIPT_NAME=/api REQUEST_URI=/api
	assert_status 204
	assert_header Access-Control-Allow-Origin https://a.example
}

@test "with no program designated a GET gets a 500 and a log line" {
	get SCRIPT_NAME=/api REQUEST_URI=/api
	assert_status 500
	[[ $log == "cors-wrap: "* ]] || {
		printf 'expected a log line, got [%s]\n' "$log" >&2
		return 1
	}
}

@test "httpoxy: HTTP_PROXY (a client's Proxy: header) never reaches the script, in merge and prepend mode" {
	local mode
	app=$(script proxy.cgi "#!/bin/sh
printf 'Content-Type: text/plain\r\n\r\n'
echo \"HTTP_PROXY=\${HTTP_PROXY-unset} http_proxy=\${http_proxy-unset}\"")
	for mode in merge prepend; do
		get CORS_MODE=$mode CORS_EXEC="$app" SCRIPT_NAME=/api REQUEST_URI=/api \
			HTTP_PROXY=http://evil.example:3128 http_proxy=http://admin.example:3128
		assert_header Access-Control-Allow-Origin https://a.example
		# The lower-case name, which no request header can give, stays.
		assert_equal "$body" 'HTTP_PROXY=unset http_proxy=http://admin.example:3128'
	done
}

# --- mode = prepend --------------------------------------------------------

# prepend_app: $app writes $T/expected byte for byte and its parent's pid to
# $T/ppid.
prepend_app() {
	printf 'Content-Type: text/plain\r\nX-App: 1\r\n\r\nline 1\n\0binary\377\n' >"$T/expected"
	app=$(script prepend.cgi "#!/bin/sh
echo \"\$PPID\" >'$T/ppid'
exec cat '$T/expected'")
}

@test "mode=prepend writes the CORS headers first, then the script's output byte for byte" {
	prepend_app
	get CORS_MODE=prepend CORS_EXEC="$app" SCRIPT_NAME=/api REQUEST_URI=/api
	local n total
	n=$(stat -c %s "$T/expected")
	total=$(stat -c %s "$raw")
	tail -c "$n" "$raw" | cmp - "$T/expected"
	head -c $((total - n)) "$raw" >"$T/prefix"
	[ -s "$T/prefix" ]
	[ "$(tail -c 1 "$T/prefix" | od -An -c | tr -d ' ')" = '\n' ]
	run grep -cvE $'^(Access-Control-[A-Za-z-]+|Vary): [^\r]+\r?$' "$T/prefix"
	assert_output 0
	run grep -c '^Access-Control-Allow-Origin: https://a.example' "$T/prefix"
	assert_output 1
	assert_header X-App 1
}

@test "mode=prepend sends * where only * allowed the origin: a script's own credentials cannot make it every site's" {
	app=$(script creds.cgi "#!/bin/sh
printf 'Content-Type: text/plain\r\nAccess-Control-Allow-Credentials: true\r\n\r\nok\n'")
	get CORS_MODE=prepend CORS_EXEC="$app" CORS_ORIGINS='*' SCRIPT_NAME=/api REQUEST_URI=/api
	assert_header Access-Control-Allow-Origin '*'
	assert_header Vary Origin
}

@test "mode=prepend still reflects an origin listed beside *, whatever the script's credentials" {
	app=$(script creds.cgi "#!/bin/sh
printf 'Content-Type: text/plain\r\nAccess-Control-Allow-Credentials: true\r\n\r\nok\n'")
	# A listed origin is still reflected.
	get CORS_MODE=prepend CORS_EXEC="$app" CORS_ORIGINS='*,https://a.example' SCRIPT_NAME=/api REQUEST_URI=/api
	assert_header Access-Control-Allow-Origin https://a.example
}

@test "mode=prepend execs the script in place of cors-wrap" {
	prepend_app
	get CORS_MODE=prepend CORS_EXEC="$app" SCRIPT_NAME=/api REQUEST_URI=/api
	assert_equal "$(cat "$T/ppid")" "$BASHPID"
}

@test "mode=merge runs the script as a child of cors-wrap" {
	prepend_app
	get CORS_EXEC="$app" SCRIPT_NAME=/api REQUEST_URI=/api
	assert_header X-App 1
	[ "$(cat "$T/ppid")" != "$BASHPID" ]
}

# sig_app: a script that prints the signals it ignores and blocks.
sig_app() {
	app=$(script sigs.cgi "#!/bin/sh
printf 'Content-Type: text/plain\r\n\r\n'
exec grep -E '^Sig(Ign|Blk):' /proc/self/status")
}

# ignoring_get MODE: a GET from a server that ignores SIGPIPE, SIGUSR1 and
# SIGHUP and starts cors-wrap with posix_spawn (glibc's signals 32 and 33
# then arrive ignored too); checks first that a program started that way
# does inherit all five.
ignoring_get() {
	local spawn=$BATS_TEST_TMPDIR/spawnign check=$BATS_TEST_TMPDIR/spawngrep mask
	cc -O2 -DPROG="\"$CORS_WRAP\"" -o "$spawn" "$TOP/tests/lib/spawnign.c"
	cc -O2 -DPROG='"/bin/grep"' -o "$check" "$TOP/tests/lib/spawnign.c"
	trap '' PIPE USR1 HUP
	mask=0x$("$check" '^SigIgn:' /proc/self/status | cut -f2)
	(((mask & 0x180001201) == 0x180001201)) || {
		trap - PIPE USR1 HUP
		echo "a program started this way ignores only $mask" >&2
		return 1
	}
	CORS_WRAP=$spawn get CORS_MODE="$1" CORS_EXEC="$app" SCRIPT_NAME=/api \
		REQUEST_URI=/api
	trap - PIPE USR1 HUP
	assert_status 200
}

@test "mode=merge: the script starts with no signal ignored or blocked, whatever the server ignored" {
	sig_app
	ignoring_get merge
	assert_equal "$body" "$(printf 'SigBlk:\t0000000000000000\nSigIgn:\t0000000000000000')"
}

@test "mode=prepend: the script starts with no signal ignored or blocked, whatever the server ignored" {
	sig_app
	ignoring_get prepend
	assert_equal "$body" "$(printf 'SigBlk:\t0000000000000000\nSigIgn:\t0000000000000000')"
}

@test "SIGTERM from the server stops the script and what it started, when cors-wrap leads its process group" {
	local pids=$BATS_TEST_TMPDIR/pids
	prog=$(script hang.cgi "#!/bin/sh
sleep 300 &
echo \"\$\$ \$!\" >'$pids'
wait")
	setsid env -i PATH=/usr/bin:/bin GATEWAY_INTERFACE=CGI/1.1 REQUEST_METHOD=GET \
		CORS_EXEC="$prog" "$CORS_WRAP" </dev/null >/dev/null 2>&1 3>&- &
	local cw=$!
	for _ in $(seq 50); do [ -s "$pids" ] && break; sleep 0.1; done
	[ -s "$pids" ]
	kill -TERM "$cw"
	wait "$cw" || true
	local p
	for p in $(cat "$pids"); do
		for _ in $(seq 30); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
		if kill -0 "$p" 2>/dev/null; then
			echo "process $p survived" >&2
			kill -KILL $(cat "$pids")
			return 1
		fi
	done
}

# --- the relay (merging mode) -------------------------------------------------

@test "merging mode relays a 3 MiB body byte for byte into a pipe, a socket and an append-mode file" {
	local data=$T/data got=$T/got out=$T/out big
	head -c 3145728 /dev/urandom >"$data"
	big=$(script big.cgi "#!/bin/sh
printf 'Content-Type: application/octet-stream\r\n\r\n'
exec cat '$data'")
	local -a run=(env -i PATH=/usr/bin:/bin GATEWAY_INTERFACE=CGI/1.1
		SERVER_PROTOCOL=HTTP/1.1 REQUEST_METHOD=GET CORS_ORIGINS=https://a.example
		HTTP_ORIGIN=https://a.example CORS_EXEC="$big" "$CORS_WRAP")
	# body_of FILE: what follows the header block, which must hold the
	# CORS answer.
	body_of() {
		grep -aq $'^Access-Control-Allow-Origin: https://a.example\r$' "$1"
		perl -0777 -pe 's/\A.*?\r\n\r\n//s' "$1"
	}
	# A pipe (lighttpd): the script's socket spliced straight in.
	"${run[@]}" </dev/null | cat >"$out"
	body_of "$out" >"$got"
	cmp "$data" "$got"
	# A socket (mod_cgid): through a pipe of cors-wrap's own.
	perl -MSocket -e '
		socketpair(my $r, my $w, AF_UNIX, SOCK_STREAM, 0) or die "socketpair: $!";
		defined(my $pid = fork) or die "fork: $!";
		if ($pid == 0) {
			close $r;
			open(STDOUT, ">&", $w) or die "dup: $!";
			exec @ARGV or die "exec: $!";
		}
		close $w;
		binmode STDOUT;
		print while sysread($r, $_, 65536);
		waitpid $pid, 0;
		exit($? != 0);
	' "${run[@]}" </dev/null >"$out"
	body_of "$out" >"$got"
	cmp "$data" "$got"
	# An append-mode file, which splice(2) refuses: read and write.
	printf 'before\n' >"$out"
	"${run[@]}" </dev/null >>"$out"
	assert_equal "$(head -n 1 "$out")" before
	tail -n +2 "$out" >"$out.2"
	body_of "$out.2" >"$got"
	cmp "$data" "$got"
}

@test "mode=merge: a script killed by a signal after its header block: cors-wrap passes on what came, logs it and exits non-zero" {
	local killed exits
	killed=$(script killed.cgi "#!/bin/sh
printf 'Content-Type: text/plain\n\nfirst part\n'
kill -9 \$\$")
	get CORS_EXEC="$killed" SCRIPT_NAME=/api REQUEST_URI=/api
	assert_equal "$status" 1
	assert_header Access-Control-Allow-Origin https://a.example
	assert_equal "$body" 'first part'
	[[ $log == *"cors-wrap: error: $killed: killed by signal 9 (Killed) during its answer"* ]]
}

@test "mode=merge: a script that exits 3 after its answer is a warning and exit 0" {
	local exits
	exits=$(script exits.cgi "#!/bin/sh
printf 'Content-Type: text/plain\n\nwhole\n'
exit 3")
	get CORS_EXEC="$exits" SCRIPT_NAME=/api REQUEST_URI=/api
	assert_equal "$status" 0
	assert_equal "$body" whole
	[[ $log == *"cors-wrap: warn: $exits: exited with status 3 after its answer"* ]]
}
