#!/usr/bin/env bats
# cors-wrap under a real Apache 2.4 (mod_cgid), configured with the recipes of
# etc/apache/: a ScriptAlias to cors-wrap with a fixed CORS_EXEC (/api), a
# cgi-bin of scripts whose shebang line names cors-wrap (/cgi-bin/), and a
# directory of plain scripts handed to cors-wrap by Action (/scripts/).

# shellcheck disable=SC2154 # $body and $log are set by http (lib/servers.bash)
load lib/common
load lib/servers

APP=https://app.example.com

setup_file() {
	server_init apache
	install_app_cgi "$CGI_DIR"
	cat >"$CGI_BIN/hello.cgi" <<EOF
#!$SERVER_CORS_WRAP /bin/sh
echo "\$REQUEST_METHOD" >>'$SERVER_VAR/shebang.log'
printf 'Content-Type: text/plain\n\nhello from %s\n' "\${0##*/}"
EOF
	chmod 755 "$CGI_BIN/hello.cgi"
	SCRIPT_DIR=$SERVER_ROOT/scripts
	export SCRIPT_DIR
	mkdir "$SCRIPT_DIR"
	cat >"$SCRIPT_DIR/plain.cgi" <<EOF
#!/bin/sh
echo "\$REQUEST_METHOD" >>'$SERVER_VAR/handler.log'
printf 'Content-Type: text/plain\nX-Request-Id: 7\n\n'
printf '%s PATH_INFO=%s QUERY_STRING=%s REDIRECT_URL=%s\n' \
	"\${0##*/}" "\$PATH_INFO" "\$QUERY_STRING" "\$REDIRECT_URL"
EOF
	chmod 755 "$SCRIPT_DIR/plain.cgi"
	# Debian's a2enmod actions, as the recipe says
	echo 'LoadModule actions_module /usr/lib/apache2/modules/mod_actions.so' \
		>"$BATS_FILE_TMPDIR/modules.conf"
	# Two programs under the default policy (origins "*", no
	# credentials): /redir answers with a local redirect to /target.
	cat >"$CGI_DIR/redir.cgi" <<'EOF'
#!/bin/sh
printf 'Location: /target\nAccess-Control-Allow-Credentials: true\n\n'
EOF
	cat >"$CGI_DIR/target.cgi" <<'EOF'
#!/bin/sh
printf 'Content-Type: text/plain\n\nthe user'"'"'s data\n'
EOF
	chmod 755 "$CGI_DIR/redir.cgi" "$CGI_DIR/target.cgi"
	cat >"$BATS_FILE_TMPDIR/redirect.conf" <<EOF
ScriptAlias /redir @CORS_WRAP@
ScriptAlias /target @CORS_WRAP@
<Location /redir>
    Require all granted
    SetEnv CORS_EXEC @CGI_DIR@/redir.cgi
</Location>
<Location /target>
    Require all granted
    SetEnv CORS_EXEC @CGI_DIR@/target.cgi
</Location>
EOF
	apache_start "$BATS_FILE_TMPDIR/modules.conf" \
		"$TOP/etc/apache/cors-wrap-scriptalias.conf" \
		"$TOP/etc/apache/cors-wrap-shebang.conf" \
		"$TOP/etc/apache/cors-wrap-handler.conf" \
		"$BATS_FILE_TMPDIR/redirect.conf" SCRIPT_DIR="$SCRIPT_DIR"
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
	http OPTIONS /api -H "Origin: $APP" -H 'Access-Control-Request-Method: PUT' \
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

@test "preflight from a refused origin gets no CORS headers and does not run the script" {
	local before
	before=$(runs)
	http OPTIONS /api -H 'Origin: https://evil.example.net' \
		-H 'Access-Control-Request-Method: PUT'
	assert_http_status 204
	no_cors_headers
	assert_equal "$(runs)" "$before"
}

@test "GET from an allowed origin gets the CORS headers merged into the script's answer" {
	local before
	before=$(runs)
	http GET /api -H "Origin: $APP"
	assert_http_status 200
	assert_header Access-Control-Allow-Origin "$APP"
	assert_header Access-Control-Allow-Credentials true
	assert_header Access-Control-Expose-Headers X-Request-Id
	assert_vary Origin
	assert_header X-Request-Id 42
	assert_header Content-Type text/plain
	assert_equal "$body" app.cgi
	assert_equal "$(runs)" "$((before + 1))"
}

@test "GET from a subdomain matching https://*.example.org is allowed" {
	http GET /api -H 'Origin: https://api.eu.example.org'
	assert_http_status 200
	assert_header Access-Control-Allow-Origin https://api.eu.example.org
}

@test "GET from a refused origin gets the script's answer without CORS headers" {
	local o
	for o in https://evil.example.net https://example.org https://app.example.com.evil.net; do
		http GET /api -H "Origin: $o"
		assert_http_status 200
		no_cors_headers
		assert_vary Origin
		assert_equal "$body" app.cgi
	done
}

@test "a 1 MB POST body reaches the script intact" {
	local data=$BATS_TEST_TMPDIR/post.bin
	head -c 1048576 /dev/urandom >"$data"
	http POST /api/sha256 -H "Origin: $APP" -H 'Content-Type: application/octet-stream' \
		--data-binary "@$data"
	assert_http_status 200
	assert_header Access-Control-Allow-Origin "$APP"
	assert_equal "$body" "$(sha256sum <"$data" | cut -d' ' -f1)"
}

@test "a script's own Vary is extended with Origin, in one Vary header" {
	http GET /api/vary -H "Origin: $APP"
	assert_http_status 200
	assert_equal "$(header_count Vary)" 1
	assert_vary Accept-Encoding Origin
	assert_equal "$(vary_tokens | grep -cx origin)" 1
	assert_equal "$body" varied
}

@test "query words (ISINDEX) are the arguments of CORS_EXEC, never the program run" {
	local before
	before=$(runs)
	http GET '/api?%2Fbin%2Fsh+-c+id' -H "Origin: $APP"
	assert_http_status 200
	assert_equal "$body" 'app.cgi [/bin/sh] [-c] [id]'
	refute_output --partial 'uid='
	case $body in *uid=*) echo "/bin/sh -c id ran: $body" >&2; return 1 ;; esac
	assert_equal "$(runs)" "$((before + 1))"
}

@test "a script that dies gets a 502 with CORS headers and a log line in the error log" {
	http GET /api/die -H "Origin: $APP"
	assert_http_status 502
	assert_header Access-Control-Allow-Origin "$APP"
	# mod_cgid logs the programs' stderr: the script's own line and cors-wrap's.
	assert_equal "$(printf '%s\n' "$log" | grep -c 'app.cgi dies')" 1
	printf '%s\n' "$log" | grep -q '^cors-wrap: .*app\.cgi' || {
		printf 'no cors-wrap log line naming app.cgi; server log:\n%s\n' "$log" >&2
		return 1
	}
}

@test "a script with a cors-wrap shebang line gets CORS headers on GET" {
	http GET /cgi-bin/hello.cgi -H "Origin: $APP"
	assert_http_status 200
	assert_header Access-Control-Allow-Origin "$APP"
	assert_vary Origin
	assert_equal "$body" 'hello from hello.cgi'
}

@test "a preflight to a shebang script is answered without running it" {
	local before
	before=$(line_count "$SERVER_VAR/shebang.log")
	http OPTIONS /cgi-bin/hello.cgi -H "Origin: $APP" -H 'Access-Control-Request-Method: POST'
	assert_http_status 204
	assert_header Access-Control-Allow-Origin "$APP"
	assert_header Access-Control-Max-Age 600
	assert_equal "$(line_count "$SERVER_VAR/shebang.log")" "$before"
}

@test "handler (Action): a plain .cgi script runs through cors-wrap, with CORS headers, its PATH_INFO and query" {
	local before
	before=$(line_count "$SERVER_VAR/handler.log")
	http GET '/scripts/plain.cgi/x/y?a=b' -H "Origin: $APP"
	assert_http_status 200
	assert_header Access-Control-Allow-Origin "$APP"
	assert_header Access-Control-Expose-Headers X-Request-Id
	assert_vary Origin
	assert_header X-Request-Id 7
	assert_equal "$body" 'plain.cgi PATH_INFO=/x/y QUERY_STRING=a=b REDIRECT_URL=/scripts/plain.cgi/x/y'
	assert_equal "$(line_count "$SERVER_VAR/handler.log")" "$((before + 1))"
}

@test "handler (Action): a preflight is answered by cors-wrap without running the script" {
	local before
	before=$(line_count "$SERVER_VAR/handler.log")
	http OPTIONS /scripts/plain.cgi -H "Origin: $APP" -H 'Access-Control-Request-Method: POST'
	assert_http_status 204
	assert_header Access-Control-Allow-Origin "$APP"
	assert_header Access-Control-Max-Age 600
	assert_equal "$(line_count "$SERVER_VAR/handler.log")" "$before"
}

@test "handler (Action): a refused origin gets the script's answer without CORS headers" {
	http GET /scripts/plain.cgi -H 'Origin: https://evil.example.net'
	assert_http_status 200
	no_cors_headers
	assert_equal "${body%% *}" plain.cgi
}

@test "handler (Action): the action URL is refused when asked for directly, and a missing script is a 404" {
	local before
	before=$(line_count "$SERVER_VAR/handler.log")
	http GET /cors-wrap-action/scripts/plain.cgi -H "Origin: $APP"
	assert_http_status 403
	http GET /scripts/missing.cgi -H "Origin: $APP"
	assert_http_status 404
	assert_equal "$(line_count "$SERVER_VAR/handler.log")" "$before"
}

@test "httpoxy: a client's Proxy: header never reaches the script as HTTP_PROXY" {
	http GET /api/proxy -H "Origin: $APP" -H 'Proxy: http://evil.example:3128'
	assert_http_status 200
	assert_header Access-Control-Allow-Origin "$APP"
	assert_equal "$body" 'HTTP_PROXY unset'
}

@test "a local redirect's credentials never reach the target's answer, where a reflected Origin allowed by \"*\" stands" {
	# Apache keeps the fields of a script's local redirect (its
	# err_headers_out) into the answer of the target.
	http GET /redir -H 'Origin: https://evil.example' -H 'Cookie: session=1'
	assert_http_status 200
	assert_equal "$body" "the user's data"
	assert_header Access-Control-Allow-Origin https://evil.example
	refute_header Access-Control-Allow-Credentials
}
