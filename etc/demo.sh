#!/bin/bash
# etc/demo.sh, run by "make demo": serves etc/examples/hello.cgi with lighttpd
# on 127.0.0.1, behind cors-wrap by the recipe etc/lighttpd/cors-wrap-cgi.conf,
# shows a preflight, an allowed and a refused cross-origin request with curl,
# then serves until Ctrl-C.  DEMO_ONESHOT=1 stops after the requests.
# Needs the built binary (CORS_WRAP, default ./cors-wrap); installs lighttpd
# and curl when run as root, names them otherwise.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
wrap=${CORS_WRAP:-$top/cors-wrap}
origin=https://app.example.com

[ -x "$wrap" ] || {
	echo "demo: $wrap is missing; build it with make" >&2
	exit 1
}
bash "$top/tests/deps.sh" demo
PATH=$PATH:/usr/sbin:/sbin

tmp=$(mktemp -d "${TMPDIR:-/tmp}/cors-wrap-demo.XXXXXX")
pid=
# shellcheck disable=SC2317 # called by the EXIT trap
cleanup() {
	local stopped=
	if [ -n "$pid" ]; then
		kill "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
		stopped=1
	fi
	rm -rf "$tmp"
	# Last: with stdout a closed pipe (demo.sh | head) this write kills us.
	[ -z "$stopped" ] || echo "demo: lighttpd stopped"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# A port below the kernel's ephemeral range that nothing listens on.
port=
for _ in $(seq 100); do
	p=$((20000 + RANDOM % 12000))
	if ! (: <>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
		port=$p
		break
	fi
done
[ -n "$port" ] || {
	echo "demo: no free port found" >&2
	exit 1
}

# As root lighttpd serves as www-data, which must reach everything: the copy
# of the binary spares it the path to the work tree.
mkdir "$tmp/htdocs"
cp "$wrap" "$tmp/cors-wrap"
cp "$top/etc/examples/hello.cgi" "$tmp/htdocs/hello.cgi"
: >"$tmp/error.log"
recipe=$(cat "$top/etc/lighttpd/cors-wrap-cgi.conf")
printf '%s\n' "${recipe//"@CORS_WRAP@"/"$tmp/cors-wrap"}" >"$tmp/cors-wrap-cgi.conf"
{
	printf 'server.document-root = "%s"\n' "$tmp/htdocs"
	printf 'server.bind = "127.0.0.1"\nserver.port = %s\n' "$port"
	printf 'server.errorlog = "%s"\n' "$tmp/error.log"
	if [ "$(id -u)" -eq 0 ]; then
		printf 'server.username = "www-data"\nserver.groupname = "www-data"\n'
	fi
	printf 'include "%s"\n' "$tmp/cors-wrap-cgi.conf"
} >"$tmp/lighttpd.conf"
if [ "$(id -u)" -eq 0 ]; then
	chmod -R go+rX "$tmp"
	chown www-data:www-data "$tmp/error.log" # opened after dropping root
fi

lighttpd -D -f "$tmp/lighttpd.conf" </dev/null >>"$tmp/error.log" 2>&1 &
pid=$!
for _ in $(seq 100); do
	if ! kill -0 "$pid" 2>/dev/null; then
		wait "$pid" || true
		pid=
		echo "demo: lighttpd did not start:" >&2
		cat "$tmp/error.log" >&2
		exit 1
	fi
	(: <>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
	sleep 0.1
done
url=http://127.0.0.1:$port/hello.cgi
echo "demo: lighttpd (pid $pid) on http://127.0.0.1:$port/, every .cgi behind cors-wrap:"
grep -E '^[[:space:]]*(cgi\.assign|"CORS_)' "$tmp/cors-wrap-cgi.conf" | sed 's/^ */    /'

# show COMMENT CURL_ARG...: prints the command, then runs it.
show() {
	local a line="curl -i"
	printf '\n# %s\n' "$1"
	shift
	for a; do
		case $a in
		*[[:space:]]*) line="$line '$a'" ;;
		*) line="$line $a" ;;
		esac
	done
	printf '$ %s\n' "$line"
	curl -sS -i --noproxy '*' --max-time 10 "$@"
}

show "A preflight: cors-wrap answers it, hello.cgi does not run." \
	-X OPTIONS -H "Origin: $origin" -H 'Access-Control-Request-Method: POST' \
	-H 'Access-Control-Request-Headers: content-type' "$url"
show "A request from the allowed origin: hello.cgi's answer, CORS headers merged in." \
	-H "Origin: $origin" "$url"
show "A request from another origin: the same answer, no Access-Control-* header." \
	-H 'Origin: https://evil.example.net' "$url"

if [ -n "${DEMO_ONESHOT:-}" ] && [ "$DEMO_ONESHOT" != 0 ]; then
	exit 0
fi
printf '\ndemo: serving on %s — Ctrl-C to stop\n' "$url"
wait "$pid" || true
pid=
echo "demo: lighttpd exited:" >&2
tail -n 20 "$tmp/error.log" >&2
exit 1
