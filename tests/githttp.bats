#!/usr/bin/env bats
# git http-backend behind lighttpd (mod_cgi, streaming answers) through
# cors-wrap in merging mode, the real program the outside review measured:
# a clone and a push of a repository with a large blob arrive whole, the CORS
# fields are merged into git's own answers, and while git moves the pack
# lighttpd keeps answering other requests.  (A push sends its pack chunked,
# which mod_cgi takes only with lighttpd's default
# server.stream-request-body = 0: a CGI needs CONTENT_LENGTH.)

load lib/common
load lib/servers

APP=https://app.example.com
# The blob: big enough that git streams its pack for a while, small enough
# for the suite.
BLOB_MB=24

setup_file() {
	local user seed=$BATS_FILE_TMPDIR/seed
	# The repository belongs to the server's user; the checks read it.
	export GIT_CONFIG_COUNT=1 GIT_CONFIG_KEY_0=safe.directory GIT_CONFIG_VALUE_0='*'
	command -v git >/dev/null || {
		echo 'githttp: git is missing (apt-get install git)' >&2
		return 1
	}
	BACKEND=$(git --exec-path)/git-http-backend
	[ -x "$BACKEND" ] || {
		echo "githttp: $BACKEND is missing" >&2
		return 1
	}
	server_init lighttpd
	GIT_ROOT=$SERVER_ROOT/git
	mkdir -p "$GIT_ROOT"
	git init -q --bare "$GIT_ROOT/repo.git"
	git -C "$GIT_ROOT/repo.git" config http.receivepack true
	git init -q "$seed"
	head -c $((BLOB_MB << 20)) /dev/urandom >"$seed/big.bin"
	git -C "$seed" add big.bin
	git -C "$seed" -c user.name=t -c user.email=t@example.com commit -qm big
	git -C "$seed" push -q "$GIT_ROOT/repo.git" HEAD:refs/heads/main
	git -C "$GIT_ROOT/repo.git" symbolic-ref HEAD refs/heads/main
	if [ "$(id -u)" -eq 0 ]; then
		user=$(server_user)
		chown -R "$user:$(id -gn "$user")" "$GIT_ROOT"
	fi
	echo static >"$DOCROOT/static.txt"
	cat >"$BATS_FILE_TMPDIR/git.conf" <<EOF
server.modules += ( "mod_alias" )
server.stream-response-body = 2
alias.url += ( "/git" => "$BACKEND" )
\$HTTP["url"] =~ "^/git" {
    cgi.assign = ( "" => "@CORS_WRAP@" )
    setenv.add-environment += (
        "GIT_PROJECT_ROOT" => "$GIT_ROOT",
        "GIT_HTTP_EXPORT_ALL" => "1",
        "REMOTE_USER" => "tester",
    )
}
EOF
	lighttpd_start "$TOP/etc/lighttpd/cors-wrap-cgi.conf" "$BATS_FILE_TMPDIR/git.conf"
	export GIT_ROOT BACKEND
}

teardown_file() {
	server_stop
}

teardown() {
	if [ -n "${PROBE_PID:-}" ]; then
		kill "$PROBE_PID" 2>/dev/null || true
		wait "$PROBE_PID" 2>/dev/null || true
	fi
}

# probe OUT: fetches static.txt every 50 ms until killed, writing each
# request's total time in seconds to OUT.
probe() {
	local out=$1
	: >"$out"
	(
		while :; do
			curl -sS --noproxy '*' --max-time 20 -o /dev/null \
				-w '%{time_total}\n' "$BASE/static.txt" >>"$out" 2>/dev/null ||
				echo 99 >>"$out"
			sleep 0.05
		done
	) 3>&- &
	PROBE_PID=$!
}

# probe_done OUT: stops the probe; fails when a static fetch during the
# transfer took a second or more (a stalled lighttpd; unstalled they take
# milliseconds).
probe_done() {
	local out=$1 max
	kill "$PROBE_PID" 2>/dev/null || true
	wait "$PROBE_PID" 2>/dev/null || true
	PROBE_PID=
	[ "$(line_count "$out")" -gt 0 ] || {
		echo 'the probe made no request' >&2
		return 1
	}
	max=$(sort -n "$out" | tail -n 1)
	echo "static fetches during the transfer: $(line_count "$out"), slowest ${max} s" >&3
	awk -v m="$max" 'BEGIN { exit !(m < 1) }' || {
		echo "a static fetch took ${max} s while git ran behind cors-wrap" >&2
		return 1
	}
}

@test "githttp: git's ref advertisement gets the CORS fields merged, git's own fields kept" {
	http GET '/git/repo.git/info/refs?service=git-upload-pack' -H "Origin: $APP"
	assert_http_status 200
	assert_header Access-Control-Allow-Origin "$APP"
	assert_header Content-Type application/x-git-upload-pack-advertisement
	assert_vary Origin
}

@test "githttp: a clone through cors-wrap arrives whole while lighttpd keeps serving others" {
	local dst=$BATS_TEST_TMPDIR/clone lat=$BATS_TEST_TMPDIR/lat
	probe "$lat"
	git clone -q "$BASE/git/repo.git" "$dst"
	probe_done "$lat"
	assert_equal "$(git -C "$dst" rev-parse HEAD)" \
		"$(git -C "$GIT_ROOT/repo.git" rev-parse main)"
	assert_equal "$(git -C "$dst" hash-object big.bin)" \
		"$(git -C "$GIT_ROOT/repo.git" rev-parse main:big.bin)"
	git -C "$dst" fsck --no-progress
}

@test "githttp: a push through cors-wrap lands whole while lighttpd keeps serving others" {
	local src=$BATS_TEST_TMPDIR/src lat=$BATS_TEST_TMPDIR/lat
	git clone -q "$BASE/git/repo.git" "$src"
	head -c $((BLOB_MB << 20)) /dev/urandom >"$src/big2.bin"
	git -C "$src" add big2.bin
	git -C "$src" -c user.name=t -c user.email=t@example.com commit -qm big2
	probe "$lat"
	git -C "$src" push -q origin HEAD:refs/heads/pushed
	probe_done "$lat"
	assert_equal "$(git -C "$GIT_ROOT/repo.git" rev-parse pushed)" \
		"$(git -C "$src" rev-parse HEAD)"
	assert_equal "$(git -C "$GIT_ROOT/repo.git" rev-parse pushed:big2.bin)" \
		"$(git -C "$src" hash-object big2.bin)"
	git -C "$GIT_ROOT/repo.git" fsck --no-progress
}
