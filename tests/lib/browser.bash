# Headless Chromium for tests/browser.bats: a page of one origin calls the
# API of another through cors-wrap, and reports what the browser let it see.
# The page, its scripts, the API program, the policy and the server snippets
# are in tests/lib/browser/.  Load after common.bash and servers.bash.

BROWSER_FILES=$TOP/tests/lib/browser
CHROMIUM=/usr/bin/chromium
# Seconds one browser run may take; the page needs about 7.
BROWSER_TIMEOUT=60

# browser_install_api DIR COOKIE TOKEN: DIR/api.cgi, the API program, whose
# login sets the cookie COOKIE=TOKEN and which logs every run to
# $SERVER_VAR/runs.log.
browser_install_api() {
	local text
	text=$(cat "$BROWSER_FILES/api.cgi") || return 1
	text=${text//@COOKIE@/"$2"}
	text=${text//@TOKEN@/"$3"}
	text=${text//@VAR@/"$SERVER_VAR"}
	printf '%s\n' "$text" >"$1/api.cgi"
	chmod 755 "$1/api.cgi"
}

# browser_install_policy PAGE_ORIGIN: $SERVER_ROOT/conf/policy.ini, for the
# page of that origin.  cors-wrap reads it at each request (CGI) or when it
# changed (FastCGI), so it can follow the server's start, which picks ports.
browser_install_policy() {
	local text
	text=$(cat "$BROWSER_FILES/policy.ini") || return 1
	printf '%s\n' "${text//@PAGE@/"$1"}" >"$SERVER_ROOT/conf/policy.ini"
	chmod 644 "$SERVER_ROOT/conf/policy.ini"
}

# browser_install_pages DIR: the page and its scripts into DIR.
browser_install_pages() {
	cp "$BROWSER_FILES"/page.html "$BROWSER_FILES"/page.js "$BROWSER_FILES"/call.js \
		"$BROWSER_FILES"/other.html "$1/"
}

# browser_check: Chromium is there; says how to get it when not.
browser_check() {
	[ -x "$CHROMIUM" ] || {
		printf 'browser: %s is missing (run: bash tests/deps.sh check)\n' "$CHROMIUM" >&2
		return 1
	}
}

# browser_run URL OUT: loads URL in a headless Chromium of its own (a fresh
# profile), lets its JavaScript run until it has nothing left to wait for,
# and writes the resulting DOM to OUT, Chromium's stderr to OUT.log.  Fails,
# saying why, when Chromium is missing, fails or takes over $BROWSER_TIMEOUT s.
# Chromium runs in a process group of its own, which server_stop kills too.
browser_run() {
	local url=$1 out=$2 profile pid rc=0
	browser_check || return 1
	profile=$(mktemp -d "$BATS_FILE_TMPDIR/chromium.XXXXXX")
	mkdir "$profile/Default" "$profile/home"
	# Cookies: the page (127.0.0.1) and the API (localhost) are different
	# sites, so the API's cookie is a third-party cookie, which this
	# Chromium blocks by default in headless mode, whatever the cookie says;
	# no --disable-features switch changed that (TrackingProtection3pcd,
	# ThirdPartyStoragePartitioning and the like tried, Chromium 156), and
	# cookie_controls_mode 1 (block in incognito only) blocks too.
	# cookie_controls_mode 0, a profile preference (chrome://settings/cookies,
	# "Allow third-party cookies"), lets them through; the cookie must still
	# be SameSite=None (else Lax, never sent cross-site) and Secure (else
	# SameSite=None is rejected), which http://localhost may set.
	printf '{"profile":{"cookie_controls_mode":0}}\n' >"$profile/Default/Preferences"
	local -a flags=(--headless --no-sandbox --disable-gpu --disable-quic --no-first-run
		--disable-background-networking --disable-component-update --disable-sync
		"--user-data-dir=$profile"
		# The DOM once virtual time has run out; virtual time stands still
		# while a request is open, and runs at once when nothing is pending.
		--dump-dom --virtual-time-budget=60000
		# localhost and *.localhost are loopback to Chromium, ::1 tried
		# first; the servers listen on 127.0.0.1 only, and another
		# process may hold the port on ::1.
		'--host-resolver-rules=MAP localhost 127.0.0.1, MAP *.localhost 127.0.0.1')
	# fd 3 is bats' TAP stream: a process holding it keeps bats waiting.
	HOME=$profile/home setsid timeout -k 5 "$BROWSER_TIMEOUT" "$CHROMIUM" "${flags[@]}" \
		"$url" </dev/null >"$out" 2>"$out.log" 3>&- &
	pid=$!
	_server_track "$pid" chromium
	wait "$pid" || rc=$?
	# Anything of it left (a helper process): its group, by the leader's pid.
	kill -KILL -- "-$pid" 2>/dev/null || true
	if [ "$rc" -ne 0 ]; then
		if [ "$rc" -eq 124 ]; then
			printf 'browser: Chromium did not finish within %s s\n' "$BROWSER_TIMEOUT" >&2
		else
			printf 'browser: Chromium exited with status %s\n' "$rc" >&2
		fi
		printf -- '--- %s\n' "$url" >&2
		tail -n 30 "$out.log" >&2
		return 1
	fi
	grep -q '<pre id="report">' "$out" || {
		printf 'browser: the page did not load: %s\n--- DOM:\n' "$url" >&2
		head -c 4000 "$out" >&2
		printf -- '\n--- stderr:\n' >&2
		tail -n 30 "$out.log" >&2
		return 1
	}
}

# browser_report DOM: the text of the page's <pre id="report">, one line per
# outcome, the HTML escapes of the dump undone.
browser_report() {
	awk '/<pre id="report">/ { f = 1; sub(/.*<pre id="report">/, "") }
		f && /<\/pre>/ { sub(/<\/pre>.*/, ""); if ($0 != "") print; exit }
		f { print }' "$1" |
		sed -e 's/&lt;/</g' -e 's/&gt;/>/g' -e 's/&quot;/"/g' -e 's/&nbsp;/ /g' -e 's/&amp;/\&/g'
}

# outcome REPORT SETUP CASE: what the page reported for CASE in SETUP.
outcome() {
	awk -v s="$2" -v c="$3" '$1 == s && $2 == c {
		sub(/^[^ ]+ [^ ]+ /, ""); print; exit }' "$1"
}

# assert_outcome REPORT SETUP CASE EXPECTED: the page saw exactly EXPECTED.
assert_outcome() {
	local got
	got=$(outcome "$1" "$2" "$3")
	[ "$got" = "$4" ] || {
		printf '%s, case %s:\n  expected [%s]\n  got      [%s]\n--- the page'\''s report:\n%s\n' \
			"$2" "$3" "$4" "$got" "$(cat "$1")" >&2
		return 1
	}
}
