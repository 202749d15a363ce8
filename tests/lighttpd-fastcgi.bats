#!/usr/bin/env bats
# cors-wrap as a FastCGI responder behind a real lighttpd (mod_fastcgi),
# configured with the recipe of etc/lighttpd/cors-wrap-fastcgi.conf: /api to a
# cors-wrap -s unix:... daemon with the policy from setenv.add-environment,
# and /spawned to a cors-wrap lighttpd starts itself (bin-path, the socket on
# fd 0) with the policy from bin-environment.

# shellcheck disable=SC2154 # $body and $log are set by http (lib/servers.bash)
load lib/common
load lib/servers

APP=https://app.example.com

setup_file() {
	server_init lighttpd
	install_app_cgi "$CGI_DIR"
	local sock
	sock=$(fcgi_dir)/cw.sock
	cors_wrap_start "$sock" -f
	lighttpd_start "$TOP/etc/lighttpd/cors-wrap-fastcgi.conf" SOCKET="$sock"
}

teardown_file() {
	server_stop
}

runs() {
	line_count "$SERVER_VAR/runs.log"
}

@test "lighttpd: a preflight to /api is answered by cors-wrap without running the program" {
	local before
	before=$(runs)
	http OPTIONS /api/x -H "Origin: $APP" -H 'Access-Control-Request-Method: PUT' \
		-H 'Access-Control-Request-Headers: x-b, content-type'
	assert_http_status 204
	assert_header Access-Control-Allow-Origin "$APP"
	assert_header Access-Control-Allow-Methods 'DELETE, GET, HEAD, OPTIONS, PATCH, POST, PUT'
	assert_header Access-Control-Allow-Headers 'content-type, x-b'
	assert_header Access-Control-Max-Age 600
	assert_vary Origin Access-Control-Request-Method Access-Control-Request-Headers
	assert_equal "$(runs)" "$before"
}

@test "lighttpd: setenv.add-environment reaches cors-wrap as params: GET through /api gets the CORS headers merged" {
	local before
	before=$(runs)
	http GET /api/hello -H 'Origin: https://x.example.org'
	assert_http_status 200
	assert_header Access-Control-Allow-Origin https://x.example.org
	assert_header Access-Control-Expose-Headers X-Request-Id
	assert_equal "$(header_count Access-Control-Allow-Origin)" 1
	assert_vary Origin
	assert_header X-Request-Id 42
	assert_equal "$body" app.cgi
	assert_equal "$(runs)" "$((before + 1))"
	assert_equal "$(tail -n 1 "$SERVER_VAR/runs.log")" 'GET /hello'
}

@test "lighttpd: GET from a refused origin gets the program's answer without CORS headers" {
	http GET /api/x -H 'Origin: https://evil.example.net'
	assert_http_status 200
	no_cors_headers
	assert_vary Origin
	assert_equal "$body" app.cgi
}

@test "lighttpd: a 1 MB POST body reaches the program intact" {
	local data=$BATS_TEST_TMPDIR/post.bin
	head -c 1048576 /dev/urandom >"$data"
	http POST /api/sha256 -H "Origin: $APP" -H 'Content-Type: application/octet-stream' \
		--data-binary "@$data"
	assert_http_status 200
	assert_header Access-Control-Allow-Origin "$APP"
	assert_equal "$body" "$(sha256sum <"$data" | cut -d' ' -f1)"
}

@test "lighttpd: a program that dies gets 502 with CORS headers and a cors-wrap line in the error log" {
	http GET /api/die -H "Origin: $APP"
	assert_http_status 502
	assert_header Access-Control-Allow-Origin "$APP"
	printf '%s\n' "$log" | grep -q 'cors-wrap: error: .*app\.cgi.*exited with status 3' || {
		printf 'no cors-wrap line naming app.cgi in the error log:\n%s\n' "$log" >&2
		return 1
	}
}

@test "lighttpd: cors-wrap started by lighttpd (bin-path) takes the socket on fd 0 and the policy from bin-environment" {
	local before
	before=$(runs)
	http OPTIONS /spawned/x -H "Origin: $APP" -H 'Access-Control-Request-Method: PUT'
	assert_http_status 204
	assert_header Access-Control-Allow-Origin "$APP"
	assert_equal "$(runs)" "$before"
	http GET /spawned/hello -H "Origin: $APP"
	assert_http_status 200
	assert_header Access-Control-Allow-Origin "$APP"
	assert_equal "$body" app.cgi
	assert_equal "$(tail -n 1 "$SERVER_VAR/runs.log")" 'GET /hello'
	http GET /spawned/hello -H 'Origin: https://x.example.org'
	assert_http_status 200
	no_cors_headers
}

@test "lighttpd: 30 preflights in a row are all answered" {
	local i codes
	local -a urls=()
	for ((i = 0; i < 30; i++)); do urls+=(-o /dev/null "$BASE/api/x"); done
	codes=$(curl -sS --noproxy '*' --max-time 20 -X OPTIONS -H "Origin: $APP" \
		-H 'Access-Control-Request-Method: PUT' -w '%{http_code}\n' "${urls[@]}" |
		sort | uniq -c | awk '{ print $2 "x" $1 }' | paste -sd' ')
	assert_equal "$codes" 204x30
}

@test "lighttpd: a preflight cors-wrap answers before reading an 8 MB request body reaches the client" {
	local data=$BATS_TEST_TMPDIR/post.bin i
	head -c 8388608 /dev/urandom >"$data"
	for ((i = 0; i < 3; i++)); do
		http OPTIONS /api/x -H "Origin: $APP" -H 'Access-Control-Request-Method: PUT' \
			--data-binary "@$data"
		assert_http_status 204
		assert_header Access-Control-Allow-Origin "$APP"
	done
}
