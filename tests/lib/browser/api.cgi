#!/bin/sh
# The API of the browser tests (tests/browser.bats), run by cors-wrap as
# CORS_EXEC; tests/lib/browser.bash fills in @COOKIE@, @TOKEN@ and @VAR@.
# Each run appends "METHOD PATH_INFO?QUERY origin=[...] session=[...]" to
# @VAR@/runs.log: what reached the program, whatever the browser then let the
# page see.  session is the value of its own cookie @COOKIE@; the browser
# sends it the other setup's too (cookies ignore ports).
session=$(printf '%s\n' "${HTTP_COOKIE:-}" | tr ';' '\n' | sed -n 's/^ *@COOKIE@=//p')
printf '%s %s?%s origin=[%s] session=[%s]\n' "$REQUEST_METHOD" "${PATH_INFO:-}" \
	"${QUERY_STRING:-}" "${HTTP_ORIGIN:-}" "$session" >>'@VAR@/runs.log'
case ${PATH_INFO:-} in
/creds/login)
	# SameSite=None, else a cross-site fetch never carries it; Secure,
	# which SameSite=None needs (http://localhost counts as secure).
	printf 'Content-Type: text/plain\nSet-Cookie: @COOKIE@=@TOKEN@; Path=/; SameSite=None; Secure\n\n'
	echo 'logged in' ;;
/expose)
	printf 'Content-Type: text/plain\nX-Listed: listed\nX-Unlisted: unlisted\n\nexpose\n' ;;
/expose-creds)
	printf 'Content-Type: text/plain\nX-Custom: custom\n\nexpose\n' ;;
/expose-literal)
	printf 'Content-Type: text/plain\nAccess-Control-Allow-Origin: %s\nAccess-Control-Allow-Credentials: true\nAccess-Control-Expose-Headers: *\nVary: Origin\nX-Custom: custom\n\nexpose\n' \
		"$HTTP_ORIGIN" ;;
/fail)
	printf 'Status: 500 Internal Server Error\nContent-Type: text/plain\n\nthe script failed\n' ;;
/die | /die-off)
	echo 'api.cgi dies without a header block' >&2
	exit 3 ;;
/sleep)
	sleep 6
	printf 'Content-Type: text/plain\n\nslept\n' ;;
*)
	# CONTENT_LENGTH bytes: mod_cgid's stdin is a socket that never ends.
	printf 'Content-Type: text/plain\n\n%s %s session=[%s] x-allowed=[%s] body=[%s]\n' \
		"$REQUEST_METHOD" "${PATH_INFO:-}" "$session" "${HTTP_X_ALLOWED:-}" \
		"$(head -c "${CONTENT_LENGTH:-0}")" ;;
esac
