#!/usr/bin/env bats
# cors-wrap --check's warnings (lib/configcheck.c): what browsers make of a
# configuration cors-wrap accepts.  Each names where the value was set and
# the key; --check still exits 0, --check --strict exits 1.

load lib/common

setup() {
	INI=
}

# check [--strict] [VAR=VALUE ...]: cors-wrap --check with $INI (when set)
# and the variables given, in an otherwise empty environment.
check() {
	local -a opt=() v=(PATH=/usr/bin:/bin)
	if [ "${1-}" = --strict ]; then
		opt=(--strict)
		shift
	fi
	[ -z "$INI" ] || opt+=(--config "$INI")
	# A hung --check fails the test instead of the suite.
	run timeout 60 env -i "${v[@]}" "$@" "$CORS_WRAP" --check "${opt[@]}"
}

# warning WHERE KEY TEXT [VAR=VALUE ...]: --check exits 0 and prints a
# warning naming WHERE (FILE:LINE, or "environment CORS_X") and KEY, whose
# text holds TEXT; --check --strict prints it too and exits 1.
warning() {
	local where=$1 key=$2 text=$3 strict
	shift 3
	for strict in '' --strict; do
		check $strict "$@"
		assert_line --regexp "^cors-wrap: warning: $(re "$where"): (\[[^]]*\] )?$key: .*$(re "$text")"
		if [ -z "$strict" ]; then
			assert_success
			assert_line --regexp '^cors-wrap: configuration test successful, [0-9]+ warnings?$'
		else
			assert_failure 1
			assert_line --regexp '^cors-wrap: configuration test failed, [0-9]+ warnings? \(--strict\)$'
		fi
	done
}

# no_warning [VAR=VALUE ...]: --check and --check --strict pass without a
# warning.
no_warning() {
	check "$@"
	assert_success
	refute_line --partial 'warning'
	assert_line 'cors-wrap: configuration test successful'
	check --strict "$@"
	assert_success
	assert_line 'cors-wrap: configuration test successful'
}

# re TEXT: TEXT as an extended regular expression matching itself.
re() {
	printf '%s' "$1" | sed 's/[][\.*^$+?(){}|/]/\\&/g'
}

# --- max_age ---------------------------------------------------------------

@test "max_age over 600 s warns that WebKit caps it at 600 s and Chromium at 7200 s" {
	ini 'origins = https://a.example
max_age = 1d'
	warning "$INI:2" max_age 'WebKit (Safari) caps it at 600 s, Chromium at 7200 s'
	refute_output --partial Firefox
}

@test "max_age over a day warns that every engine caps it, Firefox at 86400 s" {
	ini 'origins = https://a.example
max_age = 2d'
	warning "$INI:2" max_age 'longer than any browser'
	assert_output --partial 'Firefox at 86400 s'
}

@test "max_age of 600 s, what every browser keeps, gives no warning" {
	ini 'origins = https://a.example
max_age = 10m'
	no_warning
}

@test "CORS_MAX_AGE over 600 s warns naming the variable" {
	warning 'environment CORS_MAX_AGE' max_age 'caps it at 600 s' CORS_MAX_AGE=3600
}

# --- sections --------------------------------------------------------------

@test "a warning about a section's own value names the section" {
	ini 'origins = https://a.example
[api]
path = /api/*
max_age = 1h'
	warning "$INI:4" max_age 'caps it at 600 s'
	assert_line --partial "$INI:4: [api] max_age:"
}

@test "a global value every section inherits is warned about once, without a section" {
	ini 'origins = https://a.example
max_age = 1h
[api]
path = /api/*
[web]
path = /web/*'
	warning "$INI:2" max_age 'caps it at 600 s'
	assert_equal "$(grep -c '^cors-wrap: warning:' <<<"$output")" 1
	assert_line --partial "$INI:2: max_age:"
}

@test "a global allow_headers = * with a section's credentials warns naming both lines and the section" {
	ini 'origins = https://a.example
allow_headers = *
[account]
path = /account/*
supports_credentials = yes'
	warning "$INI:2" allow_headers "supports_credentials, $INI:5"
	assert_line --partial "$INI:2: [account] allow_headers:"
}

# --- "*" with credentials ----------------------------------------------------

@test "allow_headers = * with credentials warns that * is no wildcard there and never covers Authorization" {
	ini 'origins = https://a.example
supports_credentials = true
allow_headers = *'
	warning "$INI:3" allow_headers 'never covers Authorization; cors-wrap answers a preflight with the names it asks for instead'
}

@test "CORS_ALLOW_HEADERS=* with credentials warns naming the variable" {
	warning 'environment CORS_ALLOW_HEADERS' allow_headers 'never covers Authorization' \
		CORS_ORIGINS=https://a.example CORS_SUPPORTS_CREDENTIALS=true CORS_ALLOW_HEADERS='*'
}

@test "credentials with the default allow_headers, which nobody wrote as *, give no warning" {
	ini 'origins = https://a.example
supports_credentials = true'
	no_warning
}

@test "allow_headers = * without credentials gives no warning" {
	ini 'origins = https://a.example
allow_headers = *
expose_headers = *'
	no_warning
}

@test "expose_headers = * with credentials in merge mode warns that cors-wrap lists the script's header names" {
	ini 'origins = https://a.example
supports_credentials = true
expose_headers = X-Id, *'
	warning "$INI:3" expose_headers "cors-wrap lists the names of the script's own response header fields instead"
}

@test "expose_headers = * with credentials in prepend mode warns that cors-wrap cannot list them" {
	ini 'mode = prepend
origins = https://a.example
supports_credentials = true
expose_headers = *'
	warning "$INI:4" expose_headers "prepend mode cannot see the script's header fields, so only the names listed beside"
}

# --- origins -----------------------------------------------------------------

@test "a subdomain glob on a private public suffix (https://*.github.io) warns" {
	ini 'origins = https://a.example https://*.github.io'
	warning "$INI:1" origins '"https://*.github.io": github.io is a public suffix'
}

@test "a subdomain glob on a country's public suffix (https://*.co.uk) warns" {
	ini 'origins = https://*.CO.uk:8443'
	warning "$INI:1" origins 'co.uk is a public suffix'
}

@test "a section's own subdomain glob on a public suffix warns naming the section" {
	ini 'origins = https://*.example.com
[pages]
path = /pages/*
origins = https://*.github.io'
	warning "$INI:4" origins 'github.io is a public suffix'
	assert_line --partial "$INI:4: [pages] origins:"
}

@test "a subdomain glob on a registered domain gives no warning" {
	ini 'origins = https://*.example.com https://*.alice.github.io http://*.localhost'
	no_warning
}

@test "a subdomain glob with the public suffix list missing warns that it was not checked" {
	ini 'origins = https://*.example.com'
	warning "$INI:1" origins "not checked against the public suffix list: $BATS_TEST_TMPDIR/none.dafsa" \
		CORS_PSL_FILE="$BATS_TEST_TMPDIR/none.dafsa"
}

# alone: a copy of cors-wrap in $bin, without cors-wrap-psl beside it; a
# glob to check in $INI.
alone() {
	bin=$BATS_TEST_TMPDIR/bin
	mkdir -p "$bin"
	cp "$CORS_WRAP" "$bin/cors-wrap"
	ini 'origins = https://*.github.io'
}

@test "a subdomain glob with cors-wrap-psl missing warns that it was not checked" {
	local bin
	alone
	CORS_WRAP=$bin/cors-wrap warning "$INI:1" origins "not checked against the public suffix list: cors-wrap-psl is neither in $bin nor in $bin/../libexec/cors-wrap"
}

@test "cors-wrap-psl is found in ../libexec/cors-wrap, where make install puts it" {
	local root=$BATS_TEST_TMPDIR/root
	mkdir -p "$root/bin" "$root/libexec/cors-wrap"
	cp "$CORS_WRAP" "$root/bin/cors-wrap"
	cp "$(dirname "$CORS_WRAP")/cors-wrap-psl" "$root/libexec/cors-wrap/"
	ini 'origins = https://*.github.io'
	CORS_WRAP=$root/bin/cors-wrap warning "$INI:1" origins 'github.io is a public suffix'
}

@test "no subdomain glob: a missing public suffix list is not read and gives no warning" {
	ini 'origins = https://a.example'
	no_warning CORS_PSL_FILE="$BATS_TEST_TMPDIR/none.dafsa"
}

@test "an http:// origin with credentials warns" {
	ini 'origins = https://a.example http://b.example:8080
supports_credentials = yes'
	warning "$INI:1" origins '"http://b.example:8080" with credentials (supports_credentials'
}

@test "an http:// subdomain glob with credentials warns" {
	ini 'origins = http://*.example.com
supports_credentials = yes'
	warning "$INI:1" origins '"http://*.example.com" with credentials'
}

@test "http:// origins of the machine itself with credentials give no warning" {
	ini 'origins = http://localhost:3000 http://127.0.0.1:8080 http://[::1] http://*.localhost
supports_credentials = yes'
	no_warning
}

@test "an http:// origin without credentials gives no warning" {
	ini 'origins = http://b.example null'
	no_warning
}

@test "null with credentials warns" {
	ini 'origins = https://a.example null
supports_credentials = yes'
	warning "$INI:1" origins '"null" with credentials'
}

# --- allow_private_network ---------------------------------------------------

@test "allow_private_network warns that it is legacy since Chrome 142's Local Network Access" {
	ini 'allow_private_network = on'
	warning "$INI:1" allow_private_network 'legacy: Chrome replaced Private Network Access with the Local Network Access permission (Chrome 142, 2025)'
}

# --- clean configurations ----------------------------------------------------

@test "preflight_cache_control with vary_header = false warns that a shared cache gives one origin's preflight answer to another" {
	ini 'origins = https://a.example, https://b.example
preflight_cache_control = public, max-age=600
vary_header = false'
	warning "$INI:2" preflight_cache_control 'without Vary (vary_header, '"$INI"':3)'
	ini 'origins = https://a.example, https://b.example
preflight_cache_control = public, max-age=600'
	no_warning
}

@test "the defaults give no warning" {
	no_warning
}

@test "the sample etc/cors-wrap.ini, with and without its example sections, gives no warning" {
	INI=$TOP/etc/cors-wrap.ini
	no_warning
	INI=$BATS_TEST_TMPDIR/all.ini
	sed 's/^;//' "$TOP/etc/cors-wrap.ini" >"$INI"
	no_warning
}

@test "--strict without --check is a usage error" {
	run env -i PATH=/usr/bin:/bin "$CORS_WRAP" --strict
	assert_failure 1
	assert_line 'cors-wrap: --strict goes with --check'
}

# --- credentials_origins: the entries that get credentials --------------------

@test "with credentials_origins, an http:// entry of it warns, even beside a regex in origins" {
	ini 'origins = ~https?://[a-z]+\.example\.com
credentials_origins = http://app.example.com'
	warning "$INI:2" credentials_origins '"http://app.example.com" with credentials (credentials_origins'
}

@test "with credentials_origins, null and http:// origins it leaves out get no credentials and no warning" {
	ini 'origins = null http://b.example https://app.example.com
credentials_origins = https://app.example.com'
	no_warning
}

@test "a subdomain glob on a public suffix in credentials_origins warns" {
	ini 'origins = ~https://[a-z]+\.github\.io
credentials_origins = https://*.github.io'
	warning "$INI:2" credentials_origins '"https://*.github.io": github.io is a public suffix'
}

@test "with cors-wrap-psl missing, the warning says where it goes, not to install a public suffix list" {
	local bin
	alone
	CORS_WRAP=$bin/cors-wrap warning "$INI:1" origins "(where make install and the package put it)"
	refute_line --partial 'publicsuffix package'
	# A list it cannot read says what to do about the list.
	warning "$INI:1" origins "(install Debian's publicsuffix package, or name the list in CORS_PSL_FILE)" \
		CORS_PSL_FILE="$BATS_TEST_TMPDIR/none.dafsa"
}

# broken PROGRAM: a cors-wrap-psl beside a copy of cors-wrap in $bin that
# runs PROGRAM (sh) instead of answering.
broken() {
	alone
	printf '#!/bin/sh\n%s\n' "$1" >"$bin/cors-wrap-psl"
	chmod 755 "$bin/cors-wrap-psl"
}

@test "a cors-wrap-psl that writes without end is stopped: --check ends and says so" {
	local bin
	broken 'exec yes github.io'
	CORS_WRAP=$bin/cors-wrap warning "$INI:1" origins \
		"not checked against the public suffix list: $bin/cors-wrap-psl wrote more than 65536 bytes; stopped"
}

@test "a cors-wrap-psl that never ends (a child of its own holds the pipe) is stopped after 5 s, its child too: --check ends and says so" {
	local bin pid gone=yes
	broken "sleep 60 & echo \$! >'$BATS_TEST_TMPDIR/sleep.pid'; exit 0"
	CORS_WRAP=$bin/cors-wrap check
	pid=$(cat "$BATS_TEST_TMPDIR/sleep.pid")
	sleep 0.2
	# Killed, it may stay a zombie: an init that reaps nothing.
	if kill -0 "$pid" 2>/dev/null && [[ $(ps -o stat= -p "$pid") != Z* ]]; then
		gone=no
		kill "$pid"
	fi
	assert_success
	assert_line --partial "not checked against the public suffix list: $bin/cors-wrap-psl did not end within 5000 ms; stopped"
	assert_equal "$gone" yes
}

@test "a cors-wrap-psl that closes its output and then never ends is stopped after 5 s too: --check ends and says so" {
	local bin
	broken 'exec >&- 2>&- sleep 60'
	SECONDS=0
	CORS_WRAP=$bin/cors-wrap check
	assert_success
	assert_line --partial "not checked against the public suffix list: $bin/cors-wrap-psl did not end within 5000 ms; stopped"
	[ "$SECONDS" -lt 30 ]
}

@test "a cors-wrap-psl that exits 0 with words beside the domain is no answer: --check says the glob was not checked, not that it is safe" {
	local bin
	broken 'echo "libpsl: the list is old" >&2; echo github.io'
	CORS_WRAP=$bin/cors-wrap warning "$INI:1" origins \
		"not checked against the public suffix list: $bin/cors-wrap-psl answered neither the domain nor nothing"
}
