#!/usr/bin/env bats
# cors-wrap as a FastCGI responder behind a real Apache 2.4 (mod_proxy_fcgi),
# configured with the recipe of etc/apache/cors-wrap-fastcgi.conf: a fixed
# CORS_EXEC under /api/ (ProxyPass) and a directory of scripts under
# /fcgi-bin/ (SetHandler), both to one cors-wrap -s unix:... -f daemon; and
# /noreuse/, as /api/ without enablereuse (a connection per request, which
# Apache writes the request body to after cors-wrap may have answered).

# shellcheck disable=SC2154 # $body and $log are set by http (lib/servers.bash)
load lib/common
load lib/servers

APP=https://app.example.com

setup_file() {
	server_init apache
	install_app_cgi "$CGI_DIR"
	cat >"$CGI_BIN/hello.cgi" <<EOF2
#!/bin/sh
echo "\$REQUEST_METHOD" >>'$SERVER_VAR/hello.log'
printf 'Content-Type: text/plain\n\nhello from %s [%s]\n' "\${0##*/}" "\${PATH_INFO:-}"
EOF2
	cat >"$CGI_BIN/crash.cgi" <<'EOF2'
#!/bin/sh
kill -SEGV $$
EOF2
	cat >"$CGI_DIR/outside.cgi" <<EOF2
#!/bin/sh
echo ran >>'$SERVER_VAR/outside.log'
printf 'Content-Type: text/plain\n\noutside\n'
EOF2
	chmod 755 "$CGI_BIN"/*.cgi "$CGI_DIR/outside.cgi"
	ln -s "$CGI_DIR/outside.cgi" "$CGI_BIN/escape.cgi"
	local sock
	sock=$(fcgi_dir)/cw.sock
	cors_wrap_start "$sock" -c 2 -f
	printf 'LoadModule %s_module /usr/lib/apache2/modules/mod_%s.so\n' proxy proxy \
		proxy_fcgi proxy_fcgi >"$BATS_FILE_TMPDIR/modules.conf"
	cat >"$BATS_FILE_TMPDIR/noreuse.conf" <<'EOF2'
<Location "/noreuse/">
    ProxyPass "unix:@SOCKET@|fcgi://noreuse/"
    SetEnv CORS_EXEC @CGI_DIR@/app.cgi
    SetEnv CORS_ORIGINS https://app.example.com
</Location>
EOF2
	apache_start "$BATS_FILE_TMPDIR/modules.conf" "$TOP/etc/apache/cors-wrap-fastcgi.conf" \
		"$BATS_FILE_TMPDIR/noreuse.conf" SOCKET="$sock"
}

teardown_file() {
	server_stop
}

runs() {
	line_count "$SERVER_VAR/${1:-runs}.log"
}

@test "apache: a preflight to /api/ is answered by cors-wrap without running the program" {
	local before
	before=$(runs)
	http OPTIONS /api/x -H "Origin: $APP" -H 'Access-Control-Request-Method: PUT' \
		-H 'Access-Control-Request-Headers: content-type,authorization'
	assert_http_status 204
	assert_header Access-Control-Allow-Origin "$APP"
	assert_header Access-Control-Allow-Credentials true
	assert_header Access-Control-Allow-Methods 'DELETE, GET, POST, PUT'
	assert_header Access-Control-Allow-Headers 'authorization, content-type'
	assert_header Access-Control-Max-Age 600
	assert_vary Origin Access-Control-Request-Method Access-Control-Request-Headers
	assert_equal "$(runs)" "$before"
}

@test "apache: SetEnv CORS_* reaches cors-wrap as params: GET through /api/ gets the CORS headers merged" {
	local before
	before=$(runs)
	http GET /api/hello -H "Origin: $APP"
	assert_http_status 200
	assert_header Access-Control-Allow-Origin "$APP"
	assert_header Access-Control-Allow-Credentials true
	assert_header Access-Control-Expose-Headers X-Request-Id
	assert_equal "$(header_count Access-Control-Allow-Origin)" 1
	assert_vary Origin
	assert_header X-Request-Id 42
	assert_equal "$body" app.cgi
	assert_equal "$(runs)" "$((before + 1))"
	# ProxyFCGISetEnvIf made PATH_INFO the part after /api.
	assert_equal "$(tail -n 1 "$SERVER_VAR/runs.log")" 'GET /hello'
}

@test "apache: GET from a refused origin gets the program's answer with Vary but no CORS headers" {
	http GET /api/x -H 'Origin: https://evil.example.net'
	assert_http_status 200
	no_cors_headers
	assert_vary Origin
	assert_equal "$body" app.cgi
}

@test "apache: a 1 MB POST body reaches the program intact" {
	local data=$BATS_TEST_TMPDIR/post.bin
	head -c 1048576 /dev/urandom >"$data"
	http POST /api/sha256 -H 'Origin: https://eu.example.org' \
		-H 'Content-Type: application/octet-stream' --data-binary "@$data"
	assert_http_status 200
	assert_header Access-Control-Allow-Origin https://eu.example.org
	assert_equal "$body" "$(sha256sum <"$data" | cut -d' ' -f1)"
}

@test "apache: a program that dies gets 502 with CORS headers and a cors-wrap line in the error log" {
	http GET /api/die -H "Origin: $APP"
	assert_http_status 502
	assert_header Access-Control-Allow-Origin "$APP"
	printf '%s\n' "$log" | grep -q 'cors-wrap: error: .*app\.cgi.*exited with status 3' || {
		printf 'no cors-wrap line naming app.cgi in the error log:\n%s\n' "$log" >&2
		return 1
	}
}

@test "apache: /fcgi-bin/ runs the script the URL names (ProxyFCGIBackendType GENERIC)" {
	http GET /fcgi-bin/hello.cgi/p -H "Origin: $APP"
	assert_http_status 200
	assert_header Access-Control-Allow-Origin "$APP"
	assert_vary Origin
	assert_equal "$body" 'hello from hello.cgi [/p]'
}

@test "apache: a preflight to /fcgi-bin/ runs no script" {
	local before
	before=$(runs hello)
	http OPTIONS /fcgi-bin/hello.cgi -H "Origin: $APP" -H 'Access-Control-Request-Method: POST'
	assert_http_status 204
	assert_header Access-Control-Allow-Origin "$APP"
	assert_header Access-Control-Max-Age 600
	assert_equal "$(runs hello)" "$before"
}

@test "apache: a script killed by SIGSEGV gets 502 with CORS headers and a log line naming the signal" {
	http GET /fcgi-bin/crash.cgi -H "Origin: $APP"
	assert_http_status 502
	assert_header Access-Control-Allow-Origin "$APP"
	printf '%s\n' "$log" | grep -q 'cors-wrap: error: .*crash\.cgi.*signal 11' || {
		printf 'no cors-wrap line naming the signal in the error log:\n%s\n' "$log" >&2
		return 1
	}
}

@test "apache: a symlink in the script root leading outside it gets 403 and runs nothing" {
	local before
	before=$(runs outside)
	http GET /fcgi-bin/escape.cgi -H "Origin: $APP"
	assert_http_status 403
	assert_header Access-Control-Allow-Origin "$APP"
	assert_equal "$(runs outside)" "$before"
}

@test "apache: 30 preflights in a row are all answered" {
	local loc i codes
	local -a urls=()
	for loc in api noreuse; do
		urls=()
		for ((i = 0; i < 30; i++)); do urls+=(-o /dev/null "$BASE/$loc/x"); done
		codes=$(curl -sS --noproxy '*' --max-time 20 -X OPTIONS -H "Origin: $APP" \
			-H 'Access-Control-Request-Method: PUT' -w '%{http_code}\n' "${urls[@]}" |
			sort | uniq -c | awk '{ print $2 "x" $1 }' | paste -sd' ')
		assert_equal "/$loc/ $codes" "/$loc/ 204x30"
	done
}

@test "apache: an answer cors-wrap gives before reading a 1 MB request body (403, a preflight) reaches the client" {
	local data=$BATS_TEST_TMPDIR/post.bin
	head -c 1048576 /dev/urandom >"$data"
	http POST /fcgi-bin/escape.cgi -H "Origin: $APP" --data-binary "@$data"
	assert_http_status 403
	assert_header Access-Control-Allow-Origin "$APP"
	# Apache writes the body on a connection of its own: cors-wrap must
	# read it (and drop it), not close the connection while Apache writes.
	http POST /noreuse/x -H "Origin: $APP" -H 'Access-Control-Request-Method: PUT' \
		-X OPTIONS --data-binary "@$data"
	assert_http_status 204
	assert_header Access-Control-Allow-Origin "$APP"
}
