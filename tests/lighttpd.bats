#!/usr/bin/env bats
# cors-wrap under a real lighttpd (mod_cgi), configured with the recipe of
# etc/lighttpd/: cgi.assign runs every .cgi file through cors-wrap.

# shellcheck disable=SC2154 # $body and $log are set by http (lib/servers.bash)
load lib/common
load lib/servers

APP=https://app.example.com

setup_file() {
	server_init lighttpd
	install_app_cgi "$DOCROOT"
	lighttpd_start "$TOP/etc/lighttpd/cors-wrap-cgi.conf"
}

teardown_file() {
	server_stop
}

runs() {
	line_count "$SERVER_VAR/runs.log"
}

@test "preflight is answered with 204 and the policy, without running the script" {
	local before
	before=$(runs)
	http OPTIONS /app.cgi -H "Origin: $APP" -H 'Access-Control-Request-Method: PUT' \
		-H 'Access-Control-Request-Headers: x-b, content-type'
	assert_http_status 204
	assert_header Access-Control-Allow-Origin "$APP"
	assert_header Access-Control-Allow-Methods 'DELETE, GET, HEAD, OPTIONS, PATCH, POST, PUT'
	assert_header Access-Control-Allow-Headers 'content-type, x-b'
	assert_header Access-Control-Max-Age 600
	refute_header Access-Control-Allow-Credentials
	assert_vary Origin Access-Control-Request-Method Access-Control-Request-Headers
	assert_equal "$(runs)" "$before"
}

@test "preflight from a refused origin gets no CORS headers and does not run the script" {
	local before
	before=$(runs)
	http OPTIONS /app.cgi -H 'Origin: https://evil.example.net' \
		-H 'Access-Control-Request-Method: GET'
	assert_http_status 204
	no_cors_headers
	assert_equal "$(runs)" "$before"
}

@test "GET from an allowed origin gets the CORS headers merged into the script's answer" {
	local before
	before=$(runs)
	http GET /app.cgi -H "Origin: $APP"
	assert_http_status 200
	assert_header Access-Control-Allow-Origin "$APP"
	assert_header Access-Control-Expose-Headers X-Request-Id
	assert_equal "$(header_count Access-Control-Allow-Origin)" 1
	assert_vary Origin
	assert_header X-Request-Id 42
	assert_header Content-Type text/plain
	assert_equal "$(runs)" "$((before + 1))"
}

@test "cgi.assign runs the requested script itself, with no arguments" {
	http GET /app.cgi -H "Origin: $APP"
	assert_http_status 200
	assert_equal "$body" app.cgi
}

@test "GET from a refused origin gets the script's answer without CORS headers" {
	http GET /app.cgi -H 'Origin: https://evil.example.net'
	assert_http_status 200
	no_cors_headers
	assert_vary Origin
	assert_equal "$body" app.cgi
}

@test "a 1 MB POST body reaches the script intact" {
	local data=$BATS_TEST_TMPDIR/post.bin
	head -c 1048576 /dev/urandom >"$data"
	http POST /app.cgi/sha256 -H "Origin: $APP" -H 'Content-Type: application/octet-stream' \
		--data-binary "@$data"
	assert_http_status 200
	assert_header Access-Control-Allow-Origin "$APP"
	assert_equal "$body" "$(sha256sum <"$data" | cut -d' ' -f1)"
}

@test "a script's own Vary is extended with Origin, in one Vary header" {
	# lighttpd, unlike Apache, does not fold repeated header lines.
	http GET /app.cgi/vary -H "Origin: $APP"
	assert_http_status 200
	assert_equal "$(header_count Vary)" 1
	assert_vary Accept-Encoding Origin
	assert_equal "$(vary_tokens | grep -cx origin)" 1
	assert_equal "$body" varied
}

@test "a script that dies gets a 502 with CORS headers and a log line in the error log" {
	http GET /app.cgi/die -H "Origin: $APP"
	assert_http_status 502
	assert_header Access-Control-Allow-Origin "$APP"
	assert_equal "$(printf '%s\n' "$log" | grep -c 'app.cgi dies')" 1
	printf '%s\n' "$log" | grep -q '^cors-wrap: .*app\.cgi' || {
		printf 'no cors-wrap log line naming app.cgi; server log:\n%s\n' "$log" >&2
		return 1
	}
}

@test "httpoxy: a client's Proxy: header never reaches the script as HTTP_PROXY" {
	http GET /app.cgi/proxy -H "Origin: $APP" -H 'Proxy: http://evil.example:3128'
	assert_http_status 200
	assert_header Access-Control-Allow-Origin "$APP"
	assert_equal "$body" 'HTTP_PROXY unset'
}
