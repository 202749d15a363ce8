#!/usr/bin/env bats
# Long answers and cut-off answers of the FastCGI daemon, behind each server
# that speaks FastCGI to it: nginx without fastcgi_keep_conn (/nk/, its
# default recipe) and with it (/ka/, a keep-alive upstream), Apache
# mod_proxy_fcgi (/ap/, enablereuse as in its recipe) and lighttpd
# mod_fastcgi (/li/, streaming; /lb/, its default buffering).  Two daemons,
# each as the server user:
#   T  cors-wrap -t 2            silence limited, life not
#   L  cors-wrap -t 2 -T 3       and life limited (/nl/, nginx)
# A cut-off answer must reach the client as an error (curl: 18, partial
# file; 52 or 56, the connection ended) or a 5xx, never as a clean end.

load lib/common
load lib/servers
load lib/fcgi

APP=https://app.example.com
SCRIPTS_LIST='events cut killed whole'

setup_file() {
	server_init nginx
	local dir
	dir=$(fcgi_dir)
	SCRIPTS=$CGI_BIN
	VAR=$SERVER_VAR
	SOCK_T=$dir/t.sock
	SOCK_L=$dir/l.sock
	export SCRIPTS VAR SOCK_T SOCK_L
	_scripts
	cp /etc/nginx/fastcgi_params "$SERVER_ROOT/conf/fastcgi_params"
	cors_wrap_start "$SOCK_T" -c 1 -t 2
	cors_wrap_start "$SOCK_L" -c 1 -t 2 -T 3

	_nginx_http >"$BATS_FILE_TMPDIR/http.conf"
	_nginx_locations >"$BATS_FILE_TMPDIR/nginx.conf"
	nginx_start_http "$BATS_FILE_TMPDIR/http.conf" -- "$BATS_FILE_TMPDIR/nginx.conf" \
		SCRIPTS="$SCRIPTS" SOCK_T="$SOCK_T" SOCK_L="$SOCK_L"
	# shellcheck disable=SC2153 # BASE is set by nginx_start_http (lib/servers.bash)
	NGINX_BASE=$BASE NGINX_LOG=$SERVER_LOG

	_apache_locations >"$BATS_FILE_TMPDIR/apache.conf"
	apache_start "$BATS_FILE_TMPDIR/apache.conf" SCRIPTS="$SCRIPTS" SOCK_T="$SOCK_T"
	APACHE_BASE=$BASE APACHE_LOG=$SERVER_LOG

	_lighttpd_locations >"$BATS_FILE_TMPDIR/lighttpd.conf"
	lighttpd_start "$BATS_FILE_TMPDIR/lighttpd.conf" SCRIPTS="$SCRIPTS" SOCK_T="$SOCK_T"
	LIGHTTPD_BASE=$BASE LIGHTTPD_LOG=$SERVER_LOG
	export NGINX_BASE NGINX_LOG APACHE_BASE APACHE_LOG LIGHTTPD_BASE LIGHTTPD_LOG
}

teardown_file() {
	server_stop
}

_scripts() {
	# An event stream: an event every half second, ten in all (a quarter
	# of -t between them, a margin for a loaded machine).
	cat >"$SCRIPTS/events.cgi" <<'EOF'
#!/bin/sh
printf 'Content-Type: text/event-stream\nCache-Control: no-cache\nX-Accel-Buffering: no\n\n'
for i in 1 2 3 4 5 6 7 8 9 10; do
	printf 'data: %s\n\n' "$i"
	sleep 0.5
done
EOF
	# Its header block and a first part, then silence.
	cat >"$SCRIPTS/cut.cgi" <<EOF
#!/bin/sh
echo \$\$ >'$VAR/cut.pid'
printf 'Content-Type: text/plain\n\nfirst part\n'
exec sleep 300
EOF
	# Its header block and a first part, then a crash.
	cat >"$SCRIPTS/killed.cgi" <<'EOF'
#!/bin/sh
printf 'Content-Type: text/plain\n\nfirst part\n'
sleep 0.5
kill -9 $$
EOF
	# Reads its body, silent, then counts it.
	cat >"$SCRIPTS/slowread.cgi" <<'EOF'
#!/bin/sh
n=$(wc -c)
printf 'Content-Type: text/plain\n\n%s\n' "$n"
EOF
	cat >"$SCRIPTS/whole.cgi" <<'EOF'
#!/bin/sh
printf 'Content-Type: text/plain\n\nfirst part\n'
sleep 0.5
printf 'the rest\n'
EOF
	chmod 755 "$SCRIPTS"/*.cgi
}

_nginx_http() {
	cat <<'EOF'
upstream cw_t {
    server unix:@SOCK_T@;
    keepalive 2;
}
EOF
}

_nginx_locations() {
	local name pass
	for name in nk ka nl; do
		case $name in
		nk) pass='fastcgi_pass unix:@SOCK_T@;' ;;
		ka) pass='fastcgi_pass cw_t; fastcgi_keep_conn on;' ;;
		nl) pass='fastcgi_pass unix:@SOCK_L@;' ;;
		esac
		cat <<EOF
location ~ ^/$name/(\\w+)\$ {
    include fastcgi_params;
    fastcgi_param SCRIPT_FILENAME @SCRIPTS@/\$1.cgi;
    fastcgi_param CORS_SCRIPT_ROOT @SCRIPTS@;
    fastcgi_param CORS_ORIGINS $APP;
    $pass
}
EOF
	done
}

_apache_locations() {
	local s
	printf 'LoadModule %s_module /usr/lib/apache2/modules/mod_%s.so\n' proxy proxy \
		proxy_fcgi proxy_fcgi
	for s in $SCRIPTS_LIST; do
		cat <<EOF
<Location "/ap/$s">
    ProxyPass "unix:@SOCK_T@|fcgi://localhost/" enablereuse=on
    SetEnv CORS_EXEC @SCRIPTS@/$s.cgi
    SetEnv CORS_ORIGINS $APP
</Location>
EOF
	done
}

_lighttpd_locations() {
	local s
	echo 'server.modules += ( "mod_fastcgi", "mod_setenv" )'
	# A prefix per script: lighttpd matches $HTTP["url"] against the
	# prefix alone (the rest is PATH_INFO).  With its default
	# server.stream-response-body = 0 lighttpd holds the whole answer and
	# sends what came of a cut-off one as complete: streaming it is what
	# lets the client see the cut.
	for s in $SCRIPTS_LIST; do
		cat <<EOF
fastcgi.server += (
    "/li/$s" => ((
        "socket"      => "@SOCK_T@",
        "check-local" => "disable",
    )),
)
\$HTTP["url"] == "/li/$s" {
    server.stream-response-body = 2
    setenv.add-environment = (
        "CORS_EXEC"    => "@SCRIPTS@/$s.cgi",
        "CORS_ORIGINS" => "$APP",
    )
}
EOF
	done
	# /lb/cut: the same with lighttpd's default buffering.
	cat <<EOF
fastcgi.server += (
    "/lb/cut" => ((
        "socket"      => "@SOCK_T@",
        "check-local" => "disable",
    )),
)
\$HTTP["url"] == "/lb/cut" {
    setenv.add-environment = (
        "CORS_EXEC"    => "@SCRIPTS@/cut.cgi",
        "CORS_ORIGINS" => "$APP",
    )
}
EOF
}

# fetch SERVER PATH: GET $PATH from SERVER (nginx, apache, lighttpd) with an
# Origin.  Sets $code (curl's exit status), $got (the HTTP status), $elapsed
# (seconds), $body and $log (the lines the server's log gained).
fetch() {
	local base logf before t0
	case $1 in
	nginx) base=$NGINX_BASE logf=$NGINX_LOG ;;
	apache) base=$APACHE_BASE logf=$APACHE_LOG ;;
	lighttpd) base=$LIGHTTPD_BASE logf=$LIGHTTPD_LOG ;;
	esac
	before=$(line_count "$logf")
	t0=$SECONDS
	code=0
	: >"$BATS_TEST_TMPDIR/body"
	got=$(curl -sS --noproxy '*' --max-time 20 -H "Origin: $APP" \
		-o "$BATS_TEST_TMPDIR/body" -w '%{http_code}' "$base$2" 2>"$BATS_TEST_TMPDIR/curl.err") ||
		code=$?
	elapsed=$((SECONDS - t0))
	body=$(cat "$BATS_TEST_TMPDIR/body")
	log=$(tail -n +"$((before + 1))" "$logf")
}

show() {
	printf 'curl exit %s, HTTP %s, %s s; %s\n--- body ---\n%s\n--- log ---\n%s\n' "$code" "$got" \
		"$elapsed" "$(cat "$BATS_TEST_TMPDIR/curl.err")" "$body" "$log" >&2
}

# assert_cut_off: the client saw the answer fail: curl's transfer failed
# (18, 52 or 56), or the server answered 5xx.
assert_cut_off() {
	case $code in
	18 | 52 | 56) return 0 ;;
	0) [[ $got == 5?? ]] && return 0 ;;
	esac
	echo 'the answer looks complete:' >&2
	show
	return 1
}

assert_complete() {
	if [ "$code" -ne 0 ] || [ "$got" != 200 ] || [ "$body" != "$1" ]; then
		echo 'not a complete answer:' >&2
		show
		return 1
	fi
}

# has_line PATTERN: $log has a line matching PATTERN (ERE).
has_line() {
	grep -Eq -- "$1" <<<"$log" || {
		printf 'no line matching [%s]\n' "$1" >&2
		show
		return 1
	}
}

@test "cutoff: an event stream writing every half second runs past -t 2 to its end through the daemon" {
	fetch nginx /nk/events
	assert_complete "$(printf 'data: %s\n\n' 1 2 3 4 5 6 7 8 9 10)"
	[ "$elapsed" -ge 4 ] || { show; return 1; }
	! grep -q 'timed out' <<<"$log" || { show; return 1; }
}

@test "cutoff: a script silent for -t 2 is stopped, its answer cut off, with a log line" {
	rm -f "$VAR/cut.pid"
	fetch nginx /nk/cut
	assert_cut_off
	has_line "cors-wrap: error: .*/cut\.cgi: timed out, silent for 2 s; stopping it"
	# 2 s, well under the script's 300 s and nginx's 60 s
	[ "$elapsed" -le 15 ] || { show; return 1; }
	wait_gone 5 "$(cat "$VAR/cut.pid")"
}

@test "cutoff: a script reading a body that arrives over 4 s, silent meanwhile, is not stopped at -t 2" {
	# shellcheck disable=SC2034 # read by fcgi_request (lib/fcgi.bash)
	local FCGI_SOCK=$SOCK_T t0=$SECONDS
	fcgi_request SCRIPT_FILENAME="$SCRIPTS/slowread.cgi" CORS_SCRIPT_ROOT="$SCRIPTS" \
		CORS_ORIGINS=$APP HTTP_ORIGIN=$APP REQUEST_METHOD=POST CONTENT_LENGTH=36864 \
		CONTENT_TYPE=application/octet-stream -- --timeout 30 --pace 500 --body 1:36864
	assert_status 200
	assert_equal "$body" 36864
	has_record 'END 1 0 0'
	[ $((SECONDS - t0)) -ge 4 ]
}

@test "cutoff: -T 3 stops a chatty script at its life limit, its answer cut off, with a log line" {
	fetch nginx /nl/events
	assert_cut_off
	has_line "cors-wrap: error: .*/events\.cgi: timed out, ran for 3 s \(-T\); stopping it"
	[[ $body == *'data: 1'* ]] || { show; return 1; }
	[[ $body != *'data: 10'* ]] || { show; return 1; }
}

@test "cutoff: nginx without fastcgi_keep_conn: an answer cut off at -t, or by a crash after its headers, fails at the client; a whole one ends cleanly" {
	fetch nginx /nk/cut
	assert_cut_off
	fetch nginx /nk/killed
	assert_cut_off
	has_line "cors-wrap: error: .*/killed\.cgi: killed by signal 9 \(Killed\) during its answer; cutting it off"
	fetch nginx /nk/whole
	assert_complete "$(printf 'first part\nthe rest')"
}

@test "cutoff: nginx with fastcgi_keep_conn: an answer cut off at -t, or by a crash after its headers, fails at the client; a whole one ends cleanly" {
	fetch nginx /ka/cut
	assert_cut_off
	fetch nginx /ka/killed
	assert_cut_off
	fetch nginx /ka/whole
	assert_complete "$(printf 'first part\nthe rest')"
	fetch nginx /ka/whole
	assert_complete "$(printf 'first part\nthe rest')"
}

@test "cutoff: Apache mod_proxy_fcgi: an answer cut off at -t, or by a crash after its headers, fails at the client; a whole one ends cleanly" {
	fetch apache /ap/cut
	assert_cut_off
	fetch apache /ap/killed
	assert_cut_off
	fetch apache /ap/whole
	assert_complete "$(printf 'first part\nthe rest')"
}

@test "cutoff: lighttpd mod_fastcgi: an answer cut off at -t, or by a crash after its headers, fails at the client; a whole one ends cleanly" {
	fetch lighttpd /li/cut
	assert_cut_off
	fetch lighttpd /li/killed
	assert_cut_off
	fetch lighttpd /li/whole
	assert_complete "$(printf 'first part\nthe rest')"
}

@test "cutoff: lighttpd with its default server.stream-response-body = 0 sends a cut-off answer as complete, as the man page warns" {
	fetch lighttpd /lb/cut
	if [ "$code" != 0 ] || [ "$got" != 200 ] || [ "$body" != 'first part' ]; then
		echo 'lighttpd no longer hides the cut: update the man page' >&2
		show
		return 1
	fi
	has_line 'response already sent out, but backend returned error'
}
