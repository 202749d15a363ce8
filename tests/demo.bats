#!/usr/bin/env bats
# make demo's script, run non-interactively (DEMO_ONESHOT=1).

load lib/common

setup_file() {
	export DEMO_OUT=$BATS_FILE_TMPDIR/demo.out
	DEMO_STATUS=0
	DEMO_ONESHOT=1 CORS_WRAP=$CORS_WRAP timeout 60 bash "$TOP/etc/demo.sh" \
		</dev/null >"$DEMO_OUT" 2>&1 3>&- || DEMO_STATUS=$?
	export DEMO_STATUS
}

# The demo stops its lighttpd itself (a test checks it); should it fail to,
# stop it here by the pid it printed.
teardown_file() {
	local pid
	pid=$(sed -n 's|^demo: lighttpd (pid \([0-9]*\)).*|\1|p' "$DEMO_OUT")
	if [ -n "$pid" ] && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = lighttpd ]; then
		kill "$pid"
	fi
}

demo_output() {
	tr -d '\r' <"$DEMO_OUT"
}

@test "the demo runs to completion with DEMO_ONESHOT=1" {
	run demo_output
	[ "$DEMO_STATUS" -eq 0 ] || {
		printf 'demo exited %s\n%s\n' "$DEMO_STATUS" "$output" >&2
		return 1
	}
	assert_line 'demo: lighttpd stopped'
}

@test "the demo shows a preflight answered with 204 and the allowed origin" {
	run demo_output
	assert_line 'HTTP/1.1 204 No Content'
	assert_line 'Access-Control-Allow-Origin: https://app.example.com'
	assert_line 'Access-Control-Max-Age: 600'
}

@test "the demo shows hello.cgi's JSON with CORS headers for the allowed origin only" {
	run demo_output
	assert_line --partial '{"hello": "world", "method": "GET"}'
	assert_line 'Access-Control-Expose-Headers: X-Request-Id'
	# preflight and allowed GET: two; the refused origin's GET: none
	assert_equal "$(grep -c '^Access-Control-Allow-Origin:' <<<"$output")" 2
}

@test "the demo stops its lighttpd and removes its temp dir" {
	local port dir
	port=$(sed -n 's|^demo: lighttpd (pid [0-9]*) on http://127.0.0.1:\([0-9]*\)/.*|\1|p' "$DEMO_OUT")
	[ -n "$port" ] || {
		cat "$DEMO_OUT" >&2
		return 1
	}
	if (: <>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
		echo "port $port still answers" >&2
		return 1
	fi
	dir=$(sed -n 's|.*"\(/[^"]*\)/cors-wrap" ).*|\1|p' "$DEMO_OUT")
	[ -n "$dir" ]
	assert_not_exist "$dir"
}
