#!/usr/bin/env bats
# The FastCGI daemon's configuration as an operator changes it under a
# running worker: an INI file that failed to load (missing for a moment,
# unreadable) is tried again once it is back, without SIGHUP.  Each test
# starts its own daemon (one worker, so one cache) and talks FastCGI to it
# directly (tests/lib/fcgi.pl).

# shellcheck disable=SC2154 # $status, $body, $log, ... are set by the helpers
load lib/common
load lib/servers
load lib/fcgi

O=https://a.example

setup_file() {
	server_init reload
	cat >"$CGI_BIN/hello.cgi" <<'EOF'
#!/bin/sh
printf 'Content-Type: text/plain\n\nhello\n'
EOF
	chmod 755 "$CGI_BIN"/*.cgi
	FCGI_SOCK=$(fcgi_dir)/reload.sock
	# Root's, not the server user's as $SERVER_VAR is: the daemon runs as
	# the server user, and a file of mode 0600 here is one it cannot read.
	INI_DIR=$SERVER_ROOT/ini
	mkdir -p "$INI_DIR"
	chmod 755 "$INI_DIR"
	export FCGI_SOCK INI_DIR
}

teardown_file() {
	server_stop
}

teardown() {
	# shellcheck disable=SC2086 # the daemon's pid
	stop_daemons ${CW_PID:-}
	if grep -E 'Sanitizer|runtime error' "$SERVER_ROOT/logs/cors-wrap.log" >&2; then
		return 1
	fi
}

# write_ini MAX_AGE: the INI file, readable by the daemon.
write_ini() {
	printf 'origins = %s\nmax_age = %d\n' "$O" "$1" >"$INI_DIR/cw.ini"
	chmod 644 "$INI_DIR/cw.ini"
}

# preflight: a preflight for hello.cgi; the answer as fcgi_request leaves it.
preflight() {
	fcgi_request REQUEST_METHOD=OPTIONS SCRIPT_FILENAME="$CGI_BIN/hello.cgi" \
		HTTP_ORIGIN=$O HTTP_ACCESS_CONTROL_REQUEST_METHOD=PUT
}

# max_age_is N: a preflight gets 204 with Max-Age N.
max_age_is() {
	preflight
	assert_status 204
	assert_header Access-Control-Allow-Origin $O
	assert_header Access-Control-Max-Age "$1"
}

# fails_closed: a request gets 500 without a CORS header.
fails_closed() {
	preflight
	assert_status 500
	no_cors_headers
}

@test "reload: an INI file missing when a request came (an editor or a deploy replacing it) applies again once it is back, without SIGHUP" {
	write_ini 11
	cors_wrap_start "$FCGI_SOCK" -c 1 --config "$INI_DIR/cw.ini"
	max_age_is 11
	rm "$INI_DIR/cw.ini"
	fails_closed
	fails_closed
	write_ini 22
	max_age_is 22
}

@test "reload: a CORS_CONFIG param naming an INI file that did not exist yet applies once the file is created" {
	cors_wrap_start "$FCGI_SOCK" -c 1
	fcgi_request REQUEST_METHOD=OPTIONS SCRIPT_FILENAME="$CGI_BIN/hello.cgi" \
		CORS_CONFIG="$INI_DIR/late.ini" HTTP_ORIGIN=$O HTTP_ACCESS_CONTROL_REQUEST_METHOD=PUT
	assert_status 500
	no_cors_headers
	printf 'origins = %s\nmax_age = 33\n' "$O" >"$INI_DIR/late.ini"
	chmod 644 "$INI_DIR/late.ini"
	fcgi_request REQUEST_METHOD=OPTIONS SCRIPT_FILENAME="$CGI_BIN/hello.cgi" \
		CORS_CONFIG="$INI_DIR/late.ini" HTTP_ORIGIN=$O HTTP_ACCESS_CONTROL_REQUEST_METHOD=PUT
	assert_status 204
	assert_header Access-Control-Max-Age 33
}

@test "reload: an INI file the daemon could not read applies once its mode is fixed, though its contents and mtime are the same" {
	[ "$(id -u)" -eq 0 ] || skip "needs root: the daemon runs as the server user"
	write_ini 11
	cors_wrap_start "$FCGI_SOCK" -c 1 --config "$INI_DIR/cw.ini"
	max_age_is 11
	# A deploy that writes the file with the wrong mode, then fixes it.
	write_ini 44
	touch -d @1700000000 "$INI_DIR/cw.ini"
	chmod 600 "$INI_DIR/cw.ini"
	fails_closed
	fails_closed
	chmod 644 "$INI_DIR/cw.ini"
	max_age_is 44
}

@test "reload: a script_root moved in the daemon's INI file applies after SIGHUP: its scripts run, the old root's are refused" {
	local d
	for d in old new; do
		mkdir -p "$SERVER_ROOT/$d"
		cp "$CGI_BIN/hello.cgi" "$SERVER_ROOT/$d/hello.cgi"
	done
	printf 'origins = %s\nscript_root = %s\n' "$O" "$SERVER_ROOT/old" >"$INI_DIR/cw.ini"
	chmod 644 "$INI_DIR/cw.ini"
	cors_wrap_start "$FCGI_SOCK" -c 1 --config "$INI_DIR/cw.ini"
	fcgi_request SCRIPT_FILENAME="$SERVER_ROOT/old/hello.cgi" HTTP_ORIGIN=$O
	assert_status 200
	printf 'origins = %s\nscript_root = %s\n' "$O" "$SERVER_ROOT/new" >"$INI_DIR/cw.ini"
	kill -HUP "$CW_PID"
	sleep 0.5
	fcgi_request SCRIPT_FILENAME="$SERVER_ROOT/new/hello.cgi" HTTP_ORIGIN=$O
	assert_status 200
	assert_equal "$body" hello
	fcgi_request SCRIPT_FILENAME="$SERVER_ROOT/old/hello.cgi" HTTP_ORIGIN=$O
	assert_status 403
}
