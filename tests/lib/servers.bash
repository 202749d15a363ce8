# Real web servers for the bats suites: Apache, lighttpd or nginx on 127.0.0.1,
# each with a private root under $BATS_FILE_TMPDIR and a complete minimal
# configuration of its own (nothing under /etc is read), which includes recipe
# snippets from etc/ after placeholder substitution.  Load after common.bash.
#
#   setup_file()    { server_init apache; ...write scripts...; apache_start SNIPPET...; }
#   teardown_file() { server_stop; }
#
# bats runs setup_file and teardown_file in one shell, and teardown_file also
# when setup_file or a test failed; server_stop reads the pid list, so every
# process started here is stopped whatever happened.
#
# Placeholders in snippets: @PORT@, @ROOT@, @CORS_WRAP@, @CGI_DIR@, @CGI_BIN@,
# @DOCROOT@, @VAR@ (the variables below) and any NAME given as NAME=VALUE to
# *_start.  A placeholder left unsubstituted is an error.
#
# As root, workers and CGI programs run as www-data (nobody without it): Apache
# refuses to serve as root, and a test that passes only because the script ran
# as root proves nothing.  The server root is then made readable to that user,
# var/, tmp/ and logs/ are given to it, and the binary is copied into the root so a
# checkout under /root works too.  As any other user the servers run as that
# user; nothing here needs root.

case ":$PATH:" in
*:/usr/sbin:*) ;;
*) PATH=$PATH:/usr/sbin:/sbin ;; # apache2, lighttpd, nginx; not on a user's PATH
esac

# free_port: prints a TCP port of 127.0.0.1 that nothing uses now.  It is
# drawn below the kernel's ephemeral range, so no outgoing connection can hold
# it, and checked against /proc/net/tcp{,6} (every socket, listening or not;
# no ss or netstat needed) and by connecting with bash's /dev/tcp.  Something
# may still take it before the server binds: *_start retries then.
free_port() {
	local lo=20000 hi=32767 eph port tries
	if read -r eph _ </proc/sys/net/ipv4/ip_local_port_range 2>/dev/null &&
		[ "$eph" -gt $((lo + 1000)) ] && [ "$eph" -le "$hi" ]; then
		hi=$((eph - 1))
	fi
	for ((tries = 0; tries < 200; tries++)); do
		port=$((lo + (RANDOM * 32768 + RANDOM) % (hi - lo + 1)))
		if [ -r /proc/net/tcp ] && cat /proc/net/tcp /proc/net/tcp6 2>/dev/null |
			awk -v p="$(printf '%04X' "$port")" '
				{ n = split($2, a, ":"); if (a[n] == p) f = 1 } END { exit !f }'; then
			continue
		fi
		if (: <>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
			continue
		fi
		printf '%s\n' "$port"
		return 0
	done
	printf 'free_port: no free port found in %s-%s\n' "$lo" "$hi" >&2
	return 1
}

# server_user: the user workers and CGI programs run as when we are root.
server_user() {
	if id -u www-data >/dev/null 2>&1; then echo www-data; else echo nobody; fi
}

# server_init KIND: a fresh server root.  Exports
#   SERVER_ROOT       the root; logs/ holds the logs
#   SERVER_CORS_WRAP  the binary the server runs (for shebang lines)
#   SERVER_CORS_WRAP_SHARED  the same, linked against the shared libc: for
#                     valgrind and LD_PRELOAD shims (see Makefile, PIE)
#   CGI_DIR           a directory for programs named by CORS_EXEC
#   CGI_BIN           a directory of scripts (Apache's cgi-bin)
#   DOCROOT           the document root (lighttpd's .cgi files go here)
#   SERVER_VAR        a directory the CGI programs may write to
# *_start calls it when the test has not.
server_init() {
	local n=0
	local f
	for f in "$CORS_WRAP" "$CORS_WRAP_SHARED"; do
		[ -x "$f" ] || {
			printf 'servers: %s is missing; build it with make check\n' "$f" >&2
			return 1
		}
	done
	while [ -e "$BATS_FILE_TMPDIR/$1.$n" ]; do n=$((n + 1)); done
	SERVER_KIND=$1
	SERVER_ROOT=$BATS_FILE_TMPDIR/$1.$n
	mkdir -p "$SERVER_ROOT"/{bin,conf,logs,run,htdocs,cgi,cgi-bin,var,tmp}
	cp "$CORS_WRAP" "$SERVER_ROOT/bin/cors-wrap"
	SERVER_CORS_WRAP=$SERVER_ROOT/bin/cors-wrap
	cp "$CORS_WRAP_SHARED" "$SERVER_ROOT/bin/cors-wrap-shared"
	SERVER_CORS_WRAP_SHARED=$SERVER_ROOT/bin/cors-wrap-shared
	CGI_DIR=$SERVER_ROOT/cgi
	CGI_BIN=$SERVER_ROOT/cgi-bin
	DOCROOT=$SERVER_ROOT/htdocs
	SERVER_VAR=$SERVER_ROOT/var
	SERVER_LOG=$SERVER_ROOT/logs/error.log
	: >"$SERVER_LOG"
	export SERVER_KIND SERVER_ROOT SERVER_CORS_WRAP SERVER_CORS_WRAP_SHARED CGI_DIR CGI_BIN DOCROOT SERVER_VAR SERVER_LOG
}

# apache_start SNIPPET... [NAME=VALUE ...]: Apache 2.4 with mod_cgid (with
# APACHE_CGI=cgi in the environment: mod_cgi under prefork).
# Exports BASE (http://127.0.0.1:PORT), SERVER_PORT and SERVER_LOG (the error
# log, where mod_cgid puts the programs' stderr).
apache_start() {
	_server_start apache _apache_conf "$@"
}

# lighttpd_start SNIPPET... [NAME=VALUE ...]: lighttpd 1.4.  Run in the
# foreground, it leaves the CGI programs' stderr on its own, which goes to
# SERVER_LOG like every server's.
lighttpd_start() {
	_server_start lighttpd _lighttpd_conf "$@"
}

# nginx_start SNIPPET... [NAME=VALUE ...]: nginx; the snippets go inside the
# server block.  nginx has no CGI: start the FastCGI side with server_spawn.
nginx_start() {
	_server_start nginx _nginx_conf "$@"
}

# server_spawn LOGFILE CMD [ARG ...]: runs CMD in the background, in its own
# process group, with stdin from /dev/null and stdout and stderr appended to
# LOGFILE; server_stop stops it.  Exports SPAWN_PID.
server_spawn() {
	local logfile=$1
	shift
	# fd 3 is bats' TAP stream: a process holding it keeps bats waiting.
	setsid "$@" </dev/null >>"$logfile" 2>&1 3>&- &
	SPAWN_PID=$!
	export SPAWN_PID
	_server_track "$SPAWN_PID" "$1"
}

# wait_for_path PATH [SECONDS]: waits until PATH exists (a socket, a pid file).
wait_for_path() {
	local i
	for ((i = 0; i < ${2:-10} * 10; i++)); do
		[ -e "$1" ] && return 0
		sleep 0.1
	done
	printf 'servers: %s did not appear within %s s\n' "$1" "${2:-10}" >&2
	return 1
}

# server_stop: stops every process started through this file, by pid: SIGTERM,
# up to 5 s to exit, then SIGKILL; then SIGKILL to what is left of its process
# group (say, a CGI program that hangs).  Safe to call when nothing runs.
server_stop() {
	local list=$BATS_FILE_TMPDIR/servers.pids pid group name i
	[ -f "$list" ] || return 0
	while read -r pid group name; do
		kill -TERM "$pid" 2>/dev/null || true
		for ((i = 0; i < 50; i++)); do
			_alive "$pid" || break
			sleep 0.1
		done
		if _alive "$pid"; then
			printf 'servers: %s (pid %s) ignored SIGTERM; killing it\n' "$name" "$pid" >&2
			kill -KILL "$pid" 2>/dev/null || true
		fi
		if [ "$group" = own ]; then
			kill -KILL -- "-$pid" 2>/dev/null || true
		fi
		wait "$pid" 2>/dev/null || true
	done < <(tac "$list")
	rm -f "$list"
}

# http METHOD PATH [CURL_ARG ...]: one request to $BASE$PATH.  Afterwards
#   $http_status  the status code (000 when curl got no answer)
#   $headers      the response header block, status line first, LF line ends
#   $body         the body as $(...) gives it; $body_file holds it exactly
#   $raw          the header file that header/assert_header/header_count read
#   $log          the lines the server log gained during the request
# shellcheck disable=SC2034 # the variables are for the caller
http() {
	local method=$1 path=$2 before=0 dump=$BATS_TEST_TMPDIR/http.dump
	shift 2
	local -a how=(-X "$method")
	[ "$method" != HEAD ] || how=(--head)
	raw=$BATS_TEST_TMPDIR/http.headers
	body_file=$BATS_TEST_TMPDIR/http.body
	before=$(line_count "$SERVER_LOG")
	: >"$dump"
	: >"$body_file"
	http_status=$(curl -sS -g --noproxy '*' --max-time 10 "${how[@]}" \
		-D "$dump" -o "$body_file" -w '%{http_code}' "$@" "$BASE$path") || true
	# curl writes a block per response, a 100 Continue included: keep the last.
	awk '/^HTTP\// { s = "" } { s = s $0 "\n" } END { printf "%s", s }' "$dump" >"$raw"
	headers=$(awk '{ sub(/\r$/, "") } /^$/ { exit } { print }' "$raw")
	body=$(cat "$body_file")
	log=$(tail -n +"$((before + 1))" "$SERVER_LOG" 2>/dev/null || true)
	output=$headers
}

assert_http_status() {
	[ "$http_status" = "$1" ] || {
		printf 'HTTP status: expected %s, got %s\n--- response ---\n%s\n--- body ---\n%s\n--- server log ---\n%s\n' \
			"$1" "$http_status" "$headers" "$(head -c 2000 "$body_file")" "$log" >&2
		return 1
	}
}

# vary_tokens: the field names of every Vary line of the last response, lower
# case, one per line.
vary_tokens() {
	header Vary | tr ',' '\n' | tr -d ' \t' | tr '[:upper:]' '[:lower:]' | grep -v '^$' || true
}

# assert_vary NAME...: the last response varies on each NAME.
assert_vary() {
	local t
	for t; do
		vary_tokens | grep -qxi -- "$t" || {
			printf 'Vary: expected %s among [%s]\n--- response ---\n%s\n' \
				"$t" "$(header Vary | paste -sd'|')" "$headers" >&2
			return 1
		}
	done
}

# line_count FILE: how many lines FILE has; 0 when it does not exist.
line_count() {
	if [ -f "$1" ]; then wc -l <"$1" | tr -d ' '; else echo 0; fi
}

# install_app_cgi DIR: DIR/app.cgi, the test application.  Each run appends
# "METHOD PATH_INFO" to $SERVER_VAR/runs.log, then by PATH_INFO:
#   /sha256  prints the SHA-256 of the request body (CONTENT_LENGTH bytes:
#            mod_cgid's stdin is a socket that never reaches EOF)
#   /vary    sets Vary: Accept-Encoding
#   /die     writes "app.cgi dies" to stderr and exits 3 without output
#   /proxy   prints "HTTP_PROXY=[value]", or "HTTP_PROXY unset" (httpoxy)
#   else     prints "app.cgi" and its arguments, each in brackets
install_app_cgi() {
	cat >"$1/app.cgi" <<EOF
#!/bin/sh
printf '%s %s\n' "\$REQUEST_METHOD" "\${PATH_INFO:-}" >>'$SERVER_VAR/runs.log'
case \${PATH_INFO:-} in
/sha256)
	printf 'Content-Type: text/plain\n\n'
	head -c "\${CONTENT_LENGTH:-0}" | sha256sum | cut -d' ' -f1 ;;
/vary)
	printf 'Content-Type: text/plain\nVary: Accept-Encoding\n\nvaried\n' ;;
/die)
	echo 'app.cgi dies' >&2
	exit 3 ;;
/proxy)
	printf 'Content-Type: text/plain\n\n'
	if [ "\${HTTP_PROXY+set}" ]; then printf 'HTTP_PROXY=[%s]\n' "\$HTTP_PROXY"
	else echo 'HTTP_PROXY unset'; fi ;;
*)
	printf 'Content-Type: text/plain\nX-Request-Id: 42\n\n'
	printf 'app.cgi'
	for a; do printf ' [%s]' "\$a"; done
	printf '\n' ;;
esac
EOF
	chmod 755 "$1/app.cgi"
}

# --- internals ---------------------------------------------------------------

_alive() {
	local s
	if [ -r "/proc/$1/stat" ]; then
		{ IFS= read -r s <"/proc/$1/stat"; } 2>/dev/null || return 1
		s=${s##*) }
		[ "${s%% *}" != Z ] # a zombie has exited
	else
		kill -0 "$1" 2>/dev/null
	fi
}

# _server_track PID NAME: records PID for server_stop, which kills its process
# group at the end too.  Every caller starts PID under setsid, so the group is
# its own; not read from /proc here: read at once, before setsid(2) had run, it
# was bats' group, and fcgiwrap -c N's children outlived the bench (they keep
# its socket and its CPU).  A group is killed by PID's number, which is never
# bats' group's.
_server_track() {
	local group=own
	printf '%s %s %s\n' "$1" "$group" "$2" >>"$BATS_FILE_TMPDIR/servers.pids"
}

# _server_start KIND CONF_FN SNIPPET... [NAME=VALUE ...]
_server_start() {
	local kind=$1 conf_fn=$2 rc a _
	shift 2
	local -a snippets=() vars=()
	for a; do
		if [[ $a =~ ^[A-Z_][A-Z0-9_]*= ]]; then vars+=("$a"); else snippets+=("$a"); fi
	done
	if [ "${SERVER_KIND:-}" != "$kind" ] || [ -e "$SERVER_ROOT/run/started" ]; then
		server_init "$kind" || return 1
	fi
	: >"$SERVER_ROOT/run/started"
	_server_permissions || return 1
	for _ in 1 2 3; do
		SERVER_PORT=$(free_port) || return 1
		BASE=http://127.0.0.1:$SERVER_PORT
		export SERVER_PORT BASE
		_server_render "${snippets[@]}" -- "${vars[@]}" >"$SERVER_ROOT/conf/snippets.conf" ||
			return 1
		"$conf_fn" >"$SERVER_ROOT/conf/$kind.conf"
		rc=0
		_server_launch "$kind" || rc=$?
		[ "$rc" -eq 2 ] || return "$rc"
		printf 'servers: port %s was taken; trying another\n' "$SERVER_PORT" >&2
	done
	return 1
}

# _server_render SNIPPET... -- NAME=VALUE...: the snippets, substituted.
_server_render() {
	local -a snippets=() vars=(PORT="$SERVER_PORT" ROOT="$SERVER_ROOT"
		CORS_WRAP="$SERVER_CORS_WRAP" CGI_DIR="$CGI_DIR" CGI_BIN="$CGI_BIN"
		DOCROOT="$DOCROOT" VAR="$SERVER_VAR")
	while [ $# -gt 0 ] && [ "$1" != -- ]; do snippets+=("$1"); shift; done
	[ $# -eq 0 ] || shift
	vars+=("$@")
	local f text v left
	for f in "${snippets[@]}"; do
		text=$(cat "$f") || return 1
		for v in "${vars[@]}"; do
			# quoted replacement: bash 5.2 would otherwise expand & in it
			text=${text//"@${v%%=*}@"/"${v#*=}"}
		done
		left=$(printf '%s\n' "$text" | grep -o '@[A-Z_][A-Z0-9_]*@' | sort -u | paste -sd' ')
		if [ -n "$left" ]; then
			printf 'servers: %s: no value for %s\n' "$f" "$left" >&2
			return 1
		fi
		printf '# ---- %s\n%s\n' "$f" "$text"
	done
}

# _server_permissions: as root, lets the server user reach the root (bats
# makes its temp dirs private) and write var/, tmp/ and logs/ (lighttpd opens
# its logs after dropping privileges).
_server_permissions() {
	[ "$(id -u)" -eq 0 ] || return 0
	local user d
	user=$(server_user)
	chmod -R go+rX "$SERVER_ROOT"
	chown -R "$user:$(id -gn "$user")" "$SERVER_VAR" "$SERVER_ROOT/tmp" "$SERVER_ROOT/logs"
	d=$SERVER_ROOT
	while [ -n "${BATS_RUN_TMPDIR:-}" ] && d=$(dirname "$d") &&
		[[ $d == "$BATS_RUN_TMPDIR" || $d == "$BATS_RUN_TMPDIR"/* ]]; do
		chmod go+x "$d"
	done
	runuser -u "$user" -- test -x "$SERVER_CORS_WRAP" -a -w "$SERVER_VAR" -a -w "$SERVER_LOG" || {
		printf 'servers: user %s cannot reach %s; point TMPDIR at a directory it can traverse\n' \
			"$user" "$SERVER_ROOT" >&2
		return 1
	}
}

# _server_launch KIND: starts the server, waits up to 10 s for its port.
# Returns 2 when the port was taken meanwhile, 1 on any other failure, after
# printing the logs.
_server_launch() {
	local kind=$1 pid i
	local conf=$SERVER_ROOT/conf/$kind.conf
	local -a cmd
	case $kind in
	apache) cmd=(apache2 -d "$SERVER_ROOT" -f "$conf" -DFOREGROUND) ;;
	lighttpd) cmd=(lighttpd -D -f "$conf") ;;
	nginx) cmd=(nginx -p "$SERVER_ROOT/" -c "$conf" -e "$SERVER_LOG") ;;
	esac
	command -v "${cmd[0]}" >/dev/null || {
		printf 'servers: %s is not installed (run: bash tests/deps.sh check)\n' "${cmd[0]}" >&2
		return 1
	}
	# Its stdout and stderr too: what it says before it opens its own log,
	# and the CGI programs' stderr when it does not redirect it.
	server_spawn "$SERVER_LOG" "${cmd[@]}"
	pid=$SPAWN_PID
	for ((i = 0; i < 100; i++)); do
		if ! _alive "$pid"; then
			wait "$pid" 2>/dev/null || true
			if grep -qi 'address already in use' "$SERVER_LOG"; then
				return 2
			fi
			_server_failed "$kind exited during startup"
			return 1
		fi
		if (: <>"/dev/tcp/127.0.0.1/$SERVER_PORT") 2>/dev/null; then
			return 0
		fi
		sleep 0.1
	done
	_server_failed "$kind did not answer on port $SERVER_PORT within 10 s"
	return 1
}

_server_failed() {
	printf 'servers: %s\n--- %s\n' "$1" "${cmd[*]}" >&2
	printf -- '--- %s:\n' "$SERVER_LOG" >&2
	tail -n 40 "$SERVER_LOG" >&2 || true
	printf -- '--- configuration:\n' >&2
	cat -n "$SERVER_ROOT/conf/$SERVER_KIND.conf" "$SERVER_ROOT/conf/snippets.conf" >&2 || true
}

_apache_conf() {
	local user
	cat <<EOF
ServerRoot "$SERVER_ROOT"
ServerName 127.0.0.1
Listen 127.0.0.1:$SERVER_PORT
PidFile "$SERVER_ROOT/run/apache2.pid"
DefaultRuntimeDir "$SERVER_ROOT/run"
Mutex file:$SERVER_ROOT/run default
ErrorLog "$SERVER_LOG"
LogLevel warn
LogFormat "%h %l %u %t \"%r\" %>s %b" common
CustomLog "$SERVER_ROOT/logs/access.log" common
Timeout 20

LoadModule authz_core_module /usr/lib/apache2/modules/mod_authz_core.so
LoadModule alias_module /usr/lib/apache2/modules/mod_alias.so
LoadModule env_module /usr/lib/apache2/modules/mod_env.so
EOF
	# APACHE_CGI=cgi: mod_cgi under prefork, where each child runs its
	# scripts itself, on pipes; by default mod_cgid under event.
	if [ "${APACHE_CGI:-cgid}" = cgi ]; then
		cat <<EOF
LoadModule mpm_prefork_module /usr/lib/apache2/modules/mod_mpm_prefork.so
LoadModule cgi_module /usr/lib/apache2/modules/mod_cgi.so
StartServers 4
MaxRequestWorkers 16
EOF
	else
		cat <<EOF
LoadModule mpm_event_module /usr/lib/apache2/modules/mod_mpm_event.so
LoadModule cgid_module /usr/lib/apache2/modules/mod_cgid.so
ScriptSock "$SERVER_ROOT/run/cgid.sock"
StartServers 1
ServerLimit 2
ThreadsPerChild 16
MaxRequestWorkers 32
MinSpareThreads 4
MaxSpareThreads 32
EOF
	fi
	if [ "$(id -u)" -eq 0 ]; then
		user=$(server_user)
		printf 'User %s\nGroup %s\n' "$user" "$(id -gn "$user")"
	fi
	cat <<EOF

<Directory />
    AllowOverride None
    Require all denied
</Directory>
DocumentRoot "$DOCROOT"
<Directory "$DOCROOT">
    Require all granted
</Directory>

Include "$SERVER_ROOT/conf/snippets.conf"
EOF
}

_lighttpd_conf() {
	local user
	cat <<EOF
server.document-root = "$DOCROOT"
server.bind = "127.0.0.1"
server.port = $SERVER_PORT
server.pid-file = "$SERVER_ROOT/run/lighttpd.pid"
server.errorlog = "$SERVER_LOG"
server.upload-dirs = ( "$SERVER_ROOT/tmp" )
server.modules = ( "mod_accesslog" )
accesslog.filename = "$SERVER_ROOT/logs/access.log"
EOF
	if [ "$(id -u)" -eq 0 ]; then
		user=$(server_user)
		printf 'server.username = "%s"\nserver.groupname = "%s"\n' "$user" "$(id -gn "$user")"
	fi
	printf 'include "%s"\n' "$SERVER_ROOT/conf/snippets.conf"
}

_nginx_conf() {
	local user t
	cat <<EOF
daemon off;
master_process on;
worker_processes 1;
pid $SERVER_ROOT/run/nginx.pid;
error_log $SERVER_LOG warn;
EOF
	if [ "$(id -u)" -eq 0 ]; then
		user=$(server_user)
		printf 'user %s %s;\n' "$user" "$(id -gn "$user")"
	fi
	printf 'events {\n    worker_connections 64;\n}\nhttp {\n'
	printf '    access_log %s;\n' "$SERVER_ROOT/logs/access.log"
	# The compiled-in temp paths are under /var/lib/nginx: not ours.
	for t in client_body fastcgi proxy uwsgi scgi; do
		printf '    %s_temp_path %s;\n' "$t" "$SERVER_ROOT/tmp/$t"
	done
	cat <<EOF
    default_type application/octet-stream;
    server {
        listen 127.0.0.1:$SERVER_PORT;
        server_name localhost;
        root $DOCROOT;
        include $SERVER_ROOT/conf/snippets.conf;
    }
}
EOF
}

# --- FastCGI ------------------------------------------------------------------
#
# The cors-wrap daemon (and fcgiwrap, its peer) beside a server: started as
# the server user when we are root, on a socket the server's workers can
# reach, tracked for server_stop like the servers.  Load after common.bash.
#
#   setup_file() {
#       server_init nginx
#       cors_wrap_start "$SERVER_ROOT/fcgi/cw.sock" -c 2 -t 2 -f
#       nginx_start SNIPPET... SOCKET="$SERVER_ROOT/fcgi/cw.sock"
#   }

# server_run_as: the words that run a command as the server user when we
# are root (setpriv execs: the pid stays the command's), none otherwise.
server_run_as() {
	[ "$(id -u)" -eq 0 ] || return 0
	local user
	user=$(server_user)
	printf '%s\n' setpriv "--reuid=$user" "--regid=$(id -gn "$user")" --init-groups --
}

# fcgi_dir: $SERVER_ROOT/fcgi, a directory of sockets the server user may
# create files in (the daemons run as that user); prints its path.
fcgi_dir() {
	local d=$SERVER_ROOT/fcgi
	mkdir -p "$d"
	if [ "$(id -u)" -eq 0 ]; then
		_server_permissions || return 1
		chown "$(server_user):$(id -gn "$(server_user)")" "$d"
	fi
	printf '%s\n' "$d"
}

# unix_listening PATH: a unix socket bound to PATH listens (it is bound,
# chmod'ed and chown'ed before it listens).
unix_listening() {
	# /proc/net/unix: Num RefCount Protocol Flags Type St Inode Path;
	# flag 00010000 is __SO_ACCEPTCON, a listening socket.
	awk -v p="$1" '$8 == p && $4 == "00010000" { f = 1 } END { exit !f }' /proc/net/unix
}

# wait_for_listener PATH [SECONDS]: waits until the unix socket PATH listens.
wait_for_listener() {
	local i
	for ((i = 0; i < ${2:-10} * 10; i++)); do
		unix_listening "$1" && return 0
		sleep 0.1
	done
	printf 'servers: nothing listens on %s after %s s\n' "$1" "${2:-10}" >&2
	return 1
}

# fcgi_spawn SOCKET LOGFILE CMD [ARG ...]: runs CMD as the server user with
# server_spawn (stdout and stderr to LOGFILE) and waits up to 10 s for it to
# listen on the unix socket SOCKET; prints the log when it does not.  Exports
# SPAWN_PID.  CMD may start with env VAR=VALUE.
fcgi_spawn() {
	local sock=$1 logfile=$2 as
	shift 2
	local -a prefix=()
	while IFS= read -r as; do prefix+=("$as"); done < <(server_run_as)
	rm -f "$sock"
	: >>"$logfile"
	server_spawn "$logfile" "${prefix[@]}" "$@"
	local i
	for ((i = 0; i < 100; i++)); do
		unix_listening "$sock" && return 0
		if ! _alive "$SPAWN_PID"; then
			break
		fi
		sleep 0.1
	done
	printf 'servers: %s did not create %s\n--- %s\n' "$*" "$sock" "$logfile" >&2
	cat "$logfile" >&2
	return 1
}

# cors_wrap_start SOCKET [VAR=VALUE ...] [ARG ...]: the cors-wrap daemon
# binding SOCKET itself (-s unix:SOCKET), with VARs in its environment and
# ARGs as options; its stderr goes to $SERVER_ROOT/logs/cors-wrap.log.  Its
# environment is PATH and the VARs only, as under systemd (the suites' own
# CORS_WRAP would be an unknown CORS_* variable).  Exports CW_PID (the
# master's pid).
cors_wrap_start() {
	local sock=$1
	shift
	local -a vars=()
	while [ $# -gt 0 ] && [[ $1 =~ ^[A-Z_][A-Z0-9_]*= ]]; do vars+=("$1"); shift; done
	fcgi_dir >/dev/null || return 1
	fcgi_spawn "$sock" "$SERVER_ROOT/logs/cors-wrap.log" \
		env -i PATH=/usr/local/bin:/usr/bin:/bin "${vars[@]}" \
		"$SERVER_CORS_WRAP" -s "unix:$sock" "$@" || return 1
	CW_PID=$SPAWN_PID
	export CW_PID
}

# spawn_fcgi_start SOCKET CMD [ARG ...]: CMD behind spawn-fcgi, which binds
# SOCKET (mode 0660, owned by the server user), hands it over as fd 0 and
# drops to the server user; -n keeps it in the foreground, so the pid is
# CMD's.  The environment is PATH only.  Exports SPAWN_PID.
spawn_fcgi_start() {
	local sock=$1
	shift
	local -a who=()
	if [ "$(id -u)" -eq 0 ]; then
		local user group
		user=$(server_user)
		group=$(id -gn "$user")
		who=(-u "$user" -g "$group" -U "$user" -G "$group")
	fi
	fcgi_dir >/dev/null || return 1
	rm -f "$sock"
	: >>"$SERVER_ROOT/logs/spawn-fcgi.log"
	server_spawn "$SERVER_ROOT/logs/spawn-fcgi.log" env -i PATH=/usr/local/bin:/usr/bin:/bin \
		spawn-fcgi -n -s "$sock" -M 0660 "${who[@]}" -- "$@"
	wait_for_listener "$sock" || {
		cat "$SERVER_ROOT/logs/spawn-fcgi.log" >&2
		return 1
	}
}

# nginx_start_http HTTP_SNIPPET... [NAME=VALUE ...] -- SNIPPET... [NAME=VALUE ...]:
# nginx_start, with HTTP_SNIPPETs (upstream blocks) in the http block, outside
# the server.  The NAME=VALUEs before -- apply to the HTTP_SNIPPETs only, and
# there win over those after it.
nginx_start_http() {
	_nginx_http_snippets=()
	_nginx_http_vars=()
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		if [[ $1 =~ ^[A-Z_][A-Z0-9_]*= ]]; then
			_nginx_http_vars+=("$1")
		else
			_nginx_http_snippets+=("$1")
		fi
		shift
	done
	[ $# -eq 0 ] || shift
	_server_start nginx _nginx_http_conf "$@"
}

# children PID: the pids of PID's child processes, one per line.  Read in
# bash alone: a cat for each of the machine's processes took seconds.
children() {
	local f s
	for f in /proc/[0-9]*/stat; do
		{ IFS= read -r s <"$f"; } 2>/dev/null || continue
		s=${s##*) }
		# shellcheck disable=SC2086 # the fields after the name
		set -- "$1" $s
		if [ "$3" = "$1" ] && [ "$2" != Z ]; then
			f=${f#/proc/}
			printf '%s\n' "${f%/stat}"
		fi
	done
}

# stop_daemons PID...: each daemon a test started, and what is left of its
# process group: SIGTERM, up to 5 s to exit, then SIGKILL to the group.
stop_daemons() {
	local pid
	for pid; do
		kill -TERM "$pid" 2>/dev/null || true
		wait_gone 5 "$pid" 2>/dev/null || true
		kill -KILL -- "-$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
}

# alive PID: PID is a running process (not a zombie).
alive() {
	_alive "$1"
}

# wait_gone SECONDS PID...: waits until no PID runs; lists the survivors and
# fails after SECONDS.
wait_gone() {
	local secs=$1 i p left
	shift
	for ((i = 0; i <= secs * 10; i++)); do
		left=
		for p; do
			! _alive "$p" || left="$left $p"
		done
		[ -n "$left" ] || return 0
		sleep 0.1
	done
	printf 'still running after %s s:%s\n' "$secs" "$left" >&2
	for p in $left; do
		printf '  %s: %s\n' "$p" "$(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null)" >&2
	done
	return 1
}

_nginx_http_conf() {
	local -a v=()
	local a
	# the NAME=VALUE arguments of _server_start (its locals are visible here)
	for a in "${vars[@]}"; do v+=("$a"); done
	_server_render "${_nginx_http_snippets[@]}" -- "${_nginx_http_vars[@]}" "${v[@]}" \
		>"$SERVER_ROOT/conf/http-snippets.conf" || return 1
	_nginx_conf | awk -v inc="    include $SERVER_ROOT/conf/http-snippets.conf;" \
		'{ print } /^http \{$/ { print inc }'
}
