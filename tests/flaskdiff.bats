#!/usr/bin/env bats
# Differential test against Flask-CORS: tests/lib/flaskdiff.py sends a matrix
# of requests, under a matrix of the configurations both share, through
# Debian's Flask-CORS (python3-flask-cors, in Flask's test client) and through
# cors-wrap as a CGI, and fails on any difference in the Access-Control-*
# fields or Vary that its exception list (README's "Differences from
# Flask-CORS") does not name.  CGI only: the decision is the same code in both
# modes.

load lib/common

# Debian's Python, whose dist-packages hold the Flask-CORS tests/deps.sh
# installs; another interpreter may find another Flask-CORS first.
PY=${FLASKDIFF_PYTHON:-/usr/bin/python3}

setup() {
	app=$(script app.cgi "#!/bin/sh
printf 'Content-Type: text/plain\r\n\r\nhello\n'")
}

# flaskdiff BINARY [CONFIGURATION]: runs the comparison against BINARY.
flaskdiff() {
	run "$PY" "$TOP/tests/lib/flaskdiff.py" "$1" "$app" "${@:2}"
}

@test "cors-wrap answers as Flask-CORS does wherever README's Differences table does not say otherwise" {
	flaskdiff "$CORS_WRAP"
	[ "$status" -eq 0 ] || {
		printf '%s\n' "$output" >&2
		return 1
	}
	# Hundreds of cases were compared, not none.
	assert_output --regexp ': [1-9][0-9]{2,} cases, .* 0 with an unexplained difference'
}

@test "a cors-wrap answer the exception list does not name fails the comparison, naming the case and field" {
	# cors-wrap under a configuration Flask-CORS is not given: one more
	# exposed header on every allowed answer.
	local wrong
	wrong=$(script wrong-cors-wrap "#!/bin/sh
CORS_EXPOSE_HEADERS=X-Extra exec '$CORS_WRAP' \"\$@\"")
	flaskdiff "$wrong" 'one origin'
	assert_failure 1
	assert_output --partial "DIFFERENCE [one origin] GET Origin='https://app.example.com'"
	assert_output --partial "access-control-expose-headers: Flask-CORS None, cors-wrap ('x-extra',)"
}
