#!/usr/bin/env bats
# cors-wrap judged by a browser: headless Chromium loads a page from origin A,
# http://127.0.0.1:PA (Apache's document root), whose JavaScript calls an API
# on origin B, http://localhost:PORT/b/..., through cors-wrap, and reports
# what the browser let it see (tests/lib/browser/page.js).  One case list,
# run against two setups by the same page, both at once:
#   apache  cors-wrap as a CGI behind Apache (mod_cgid), port PA
#   nginx   the cors-wrap FastCGI daemon behind nginx, port PN
# Both read one policy (tests/lib/browser/policy.ini, a section per case) and
# run one program (api.cgi), which logs what reached it; the servers' access
# logs show the preflights, which cors-wrap answers without the program.
# Each test asserts one behaviour in both setups.

# shellcheck disable=SC2154 # $body and $http_status are set by http (lib/servers.bash)
load lib/common
load lib/servers
load lib/browser

SETUPS='apache nginx'
BLOCKED='blocked TypeError: Failed to fetch'

setup_file() {
	local sock
	browser_check
	TOKEN_apache=a$RANDOM$RANDOM
	TOKEN_nginx=n$RANDOM$RANDOM

	server_init apache
	browser_install_api "$CGI_DIR" cw_apache "$TOKEN_apache"
	browser_install_pages "$DOCROOT"
	apache_start "$BROWSER_FILES/apache.conf"
	PAGE=$BASE
	browser_install_policy "$PAGE"
	ROOT_apache=$SERVER_ROOT
	API_apache=http://localhost:$SERVER_PORT

	server_init nginx
	browser_install_api "$CGI_DIR" cw_nginx "$TOKEN_nginx"
	cp /etc/nginx/fastcgi_params "$SERVER_ROOT/conf/fastcgi_params"
	sock=$(fcgi_dir)/cw.sock
	cors_wrap_start "$sock" -c 2 -t 20 -f
	nginx_start_http "$TOP/etc/nginx/cors-wrap-upstream.conf" SOCKET="$sock" -- \
		"$BROWSER_FILES/nginx.conf"
	browser_install_policy "$PAGE"
	ROOT_nginx=$SERVER_ROOT
	API_nginx=http://localhost:$SERVER_PORT

	export TOKEN_apache TOKEN_nginx PAGE ROOT_apache ROOT_nginx API_apache API_nginx
	browser_run "$PAGE/page.html?apache=$API_apache&nginx=$API_nginx" "$BATS_FILE_TMPDIR/dom.html"
	REPORT=$BATS_FILE_TMPDIR/report
	browser_report "$BATS_FILE_TMPDIR/dom.html" >"$REPORT"
	export REPORT
}

teardown_file() {
	server_stop
}

# use SETUP: sets $setup, $root (its server root), $token (its cookie), and
# BASE and SERVER_LOG for http.
# shellcheck disable=SC2034 # BASE and SERVER_LOG are read by http
use() {
	setup=$1
	case $1 in
	apache) root=$ROOT_apache token=$TOKEN_apache BASE=$API_apache ;;
	nginx) root=$ROOT_nginx token=$TOKEN_nginx BASE=$API_nginx ;;
	esac
	SERVER_LOG=$root/logs/error.log
}

# served 'METHOD /PATH?QUERY' STATUS: how many times the current setup's
# server logged answering that request with STATUS.
served() {
	grep -c -F "\"$1 HTTP/1.1\" $2 " "$root/logs/access.log" || true
}

# ran LINE: how many times the current setup's program logged exactly LINE
# ("METHOD PATH?QUERY origin=[...] session=[...]", PATH without /b).
ran() {
	grep -c -x -F "$1" "$root/var/runs.log" || true
}

# assert_count WHAT EXPECTED GOT: a count, saying which setup it was.
assert_count() {
	[ "$3" = "$2" ] || {
		printf '%s: %s: expected %s, got %s\n--- access log:\n%s\n--- runs.log:\n%s\n' \
			"$setup" "$1" "$2" "$3" "$(cat "$root/logs/access.log")" \
			"$(cat "$root/var/runs.log")" >&2
		return 1
	}
}

@test "Chromium runs the whole case list against both setups" {
	local s c
	grep -qx 'done' "$REPORT" || {
		printf 'the page did not finish; its report:\n%s\n--- Chromium:\n%s\n' \
			"$(cat "$REPORT")" "$(tail -n 30 "$BATS_FILE_TMPDIR/dom.html.log")" >&2
		return 1
	}
	for s in $SETUPS; do
		for c in simple simple-other-origin json-post method-refused header-allowed \
			header-refused login creds creds-off creds-wildcard wildcard expose \
			expose-creds expose-literal \
			error-500 die-502 die-502-no-intercept sleep cache nocache; do
			[ -n "$(outcome "$REPORT" "$s" "$c")" ] || {
				printf 'no outcome for %s %s; the report:\n%s\n' "$s" "$c" "$(cat "$REPORT")" >&2
				return 1
			}
		done
	done
	run ! grep -E '^[a-z]+ error ' "$REPORT"
}

@test "a simple GET from the listed origin is allowed and the page reads the body" {
	for s in $SETUPS; do
		use "$s"
		assert_outcome "$REPORT" "$s" simple \
			'allowed 200 GET /simple session=[] x-allowed=[] body=[]'
	done
}

@test "the same GET from an unlisted origin runs the program, but the browser hides the answer" {
	for s in $SETUPS; do
		use "$s"
		assert_outcome "$REPORT" "$s" simple-other-origin "$BLOCKED"
		assert_count 'GET 200' 1 "$(served 'GET /b/simple?c=other' 200)"
		assert_count 'program runs' 1 \
			"$(ran "GET /simple?c=other origin=[http://other.localhost:${PAGE##*:}] session=[]")"
	done
}

@test "a JSON POST is preflighted, cors-wrap answers the preflight, and the POST is allowed" {
	for s in $SETUPS; do
		use "$s"
		assert_outcome "$REPORT" "$s" json-post \
			'allowed 200 POST /json session=[] x-allowed=[] body=[{"answer":42}]'
		assert_count 'OPTIONS 204' 1 "$(served 'OPTIONS /b/json?c=post' 204)"
		assert_count 'program runs for OPTIONS' 0 "$(grep -c '^OPTIONS ' "$root/var/runs.log" || true)"
	done
}

@test "a method not in methods fails the preflight, and the browser never sends it" {
	for s in $SETUPS; do
		use "$s"
		assert_outcome "$REPORT" "$s" method-refused "$BLOCKED"
		assert_count 'OPTIONS 204' 1 "$(served 'OPTIONS /b/json?c=delete' 204)"
		assert_count 'DELETE requests' 0 "$(grep -c -F '"DELETE ' "$root/logs/access.log" || true)"
	done
}

@test "a request header listed in allow_headers is allowed and reaches the program" {
	for s in $SETUPS; do
		use "$s"
		assert_outcome "$REPORT" "$s" header-allowed \
			'allowed 200 GET /headers session=[] x-allowed=[yes] body=[]'
		assert_count 'OPTIONS 204' 1 "$(served 'OPTIONS /b/headers?c=allowed' 204)"
	done
}

@test "a request header not in allow_headers fails the preflight, and the request is never sent" {
	for s in $SETUPS; do
		use "$s"
		assert_outcome "$REPORT" "$s" header-refused "$BLOCKED"
		assert_count 'OPTIONS 204' 1 "$(served 'OPTIONS /b/headers?c=refused' 204)"
		assert_count 'GET requests' 0 "$(served 'GET /b/headers?c=refused' 200)"
	done
}

@test "credentials with a listed origin and supports_credentials: the cookie reaches the program, the page reads the answer" {
	for s in $SETUPS; do
		use "$s"
		assert_outcome "$REPORT" "$s" login 'allowed 200 logged in'
		assert_outcome "$REPORT" "$s" creds \
			"allowed 200 GET /creds session=[$token] x-allowed=[] body=[]"
	done
}

@test "credentials without supports_credentials: the cookie is sent, but the browser hides the answer" {
	for s in $SETUPS; do
		use "$s"
		assert_outcome "$REPORT" "$s" creds-off "$BLOCKED"
		assert_count 'program runs with the cookie' 1 \
			"$(ran "GET /nocreds?c=creds-off origin=[$PAGE] session=[$token]")"
	done
}

@test "credentials with origins *: the browser hides the answer, which it shows without credentials" {
	for s in $SETUPS; do
		use "$s"
		assert_outcome "$REPORT" "$s" creds-wildcard "$BLOCKED"
		assert_count 'program runs with the cookie' 1 \
			"$(ran "GET /wild?c=creds-wildcard origin=[$PAGE] session=[$token]")"
		assert_outcome "$REPORT" "$s" wildcard \
			'allowed 200 GET /wild session=[] x-allowed=[] body=[]'
	done
}

@test "a response header is readable by the page only when expose_headers lists it" {
	for s in $SETUPS; do
		use "$s"
		assert_outcome "$REPORT" "$s" expose 'allowed 200 expose X-Listed=[listed] X-Unlisted=[null]'
		# The program does send the other one: the browser hid it.
		http GET /b/expose -H "Origin: $PAGE"
		assert_http_status 200
		assert_header X-Unlisted unlisted
		assert_header Access-Control-Expose-Headers X-Listed
	done
}

@test "with expose_headers * and credentials a credentialed fetch reads the header a literal * hides" {
	for s in $SETUPS; do
		use "$s"
		assert_outcome "$REPORT" "$s" expose-creds 'allowed 200 expose X-Custom=[custom]'
		http GET /b/expose-creds -H "Origin: $PAGE"
		assert_header Access-Control-Expose-Headers X-Custom
		# The program's own "*" beside credentials: Chromium hides it.
		assert_outcome "$REPORT" "$s" expose-literal 'allowed 200 expose X-Custom=[null]'
		http GET /b/expose-literal -H "Origin: $PAGE"
		assert_header Access-Control-Expose-Headers '*'
		assert_header X-Custom custom
	done
}

@test "a 500 from the program reaches the page, body and all" {
	for s in $SETUPS; do
		use "$s"
		assert_outcome "$REPORT" "$s" error-500 'allowed 500 the script failed'
	done
}

@test "a program that dies: its 502 reaches the page with intercept_exceptions on, not with it off" {
	for s in $SETUPS; do
		use "$s"
		assert_outcome "$REPORT" "$s" die-502 'allowed 502 502 Bad Gateway'
		assert_outcome "$REPORT" "$s" die-502-no-intercept "$BLOCKED"
		assert_count 'GET 502' 1 "$(served 'GET /b/die-off' 502)"
	done
}

@test "max_age: a second preflighted request 6 s later sends no preflight" {
	local put='allowed 200 PUT /cache session=[] x-allowed=[] body=[]'
	for s in $SETUPS; do
		use "$s"
		assert_outcome "$REPORT" "$s" sleep 'allowed 200 slept'
		assert_outcome "$REPORT" "$s" cache "$put | $put"
		assert_count 'OPTIONS 204' 1 "$(served 'OPTIONS /b/cache' 204)"
		assert_count 'PUT 200' 2 "$(served 'PUT /b/cache' 200)"
	done
}

@test "without max_age the browser preflights again after 6 s: the caching above is max_age's" {
	local put='allowed 200 PUT /nocache session=[] x-allowed=[] body=[]'
	for s in $SETUPS; do
		use "$s"
		assert_outcome "$REPORT" "$s" nocache "$put | $put"
		assert_count 'OPTIONS 204' 2 "$(served 'OPTIONS /b/nocache' 204)"
		assert_count 'PUT 200' 2 "$(served 'PUT /b/nocache' 200)"
	done
}

@test "credentials_origins: a credentialed fetch from a listed origin reads the body; from another allowed origin only an anonymous one does" {
	for s in $SETUPS; do
		use "$s"
		assert_outcome "$REPORT" "$s" credsome \
			"allowed 200 GET /credsome session=[$token] x-allowed=[] body=[]"
		assert_outcome "$REPORT" "$s" credsome-other "$BLOCKED"
		assert_outcome "$REPORT" "$s" credsome-other-anon \
			'allowed 200 GET /credsome session=[] x-allowed=[] body=[]'
		# The program ran for the credentialed one: the browser hid it.
		assert_count 'program runs' 1 "$(grep -c -F 'GET /credsome?c=other-creds ' "$root/var/runs.log" || true)"
	done
}
