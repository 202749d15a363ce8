#!/bin/bash
# tests/fuzz/seeds.sh: writes the seed corpora tests/fuzz/corpus/NAME/ from
# the readable definitions below (the encodings are in tests/fuzz/README.md).
# The files are committed; run this after changing a definition, and commit
# the result.  Values go through printf's %b: \r, \n, \x01 are escapes.
set -eu

top=$(cd "$(dirname "$0")/../.." && pwd)
corpus=$top/tests/fuzz/corpus

# req HARNESS FILE VAR=VALUE ...: the request encoding of fuzz.h.  VAR is
# one of the short names below; byte 0 says which are present, then the
# values in this order, separated by NUL bytes.
vars=(method origin acrm acrh acrpn uri sn pi)
req() {
	local h=$1 f=$2 mask=0 i v name
	local -A val=()
	shift 2
	for v; do
		val[${v%%=*}]=${v#*=}
	done
	for i in "${!vars[@]}"; do
		[ -n "${val[${vars[i]}]+x}" ] && mask=$((mask | (1 << i)))
	done
	mkdir -p "$corpus/$h"
	{
		printf "\\x$(printf %02x "$mask")"
		local first=1
		for i in "${!vars[@]}"; do
			name=${vars[i]}
			[ -n "${val[$name]+x}" ] || continue
			[ $first = 1 ] || printf '\0'
			first=0
			printf '%b' "${val[$name]}"
		done
	} >"$corpus/$h/$f"
}

# Requests: fuzz_request and fuzz_decide share them.
requests() {
	local h=$1
	req "$h" get-allowed method=GET origin=https://app.example.com uri=/api/x
	req "$h" get-no-origin method=GET uri=/
	req "$h" preflight-put-headers method=OPTIONS \
		origin=https://app.example.com acrm=PUT \
		'acrh=Content-Type, X-Requested-With' uri=/api/v1/items
	req "$h" preflight-patch-lower-case method=OPTIONS \
		origin=https://a.example acrm=patch uri=/
	req "$h" preflight-private-network method=OPTIONS \
		origin=http://localhost:8080 acrm=GET acrpn=true uri=/private
	req "$h" preflight-no-method method=OPTIONS origin=https://a.example \
		acrm= uri=/
	req "$h" preflight-invalid-method method=OPTIONS \
		origin=https://a.example 'acrm=PU T' uri=/
	req "$h" origin-null method=OPTIONS origin=null acrm=GET uri=/private
	req "$h" origin-crlf method=GET \
		'origin=https://a.example\r\nSet-Cookie: x=1' uri=/
	req "$h" origin-trailing-slash method=GET origin=https://a.example/ uri=/
	req "$h" origin-userinfo method=GET origin=https://u:p@a.example uri=/
	req "$h" origin-bad-port method=GET origin=https://a.example:99999 uri=/
	req "$h" origin-ipv6 method=GET 'origin=http://[::1]:3000' uri=/
	req "$h" origin-subdomain method=OPTIONS \
		origin=https://deep.sub.example.org acrm=DELETE uri=/api/x
	req "$h" origin-regex method=GET origin=https://x-1.regex.test:8443 uri=/
	req "$h" origin-non-ascii method=GET 'origin=https://b\xc3\xbccher.example' \
		uri=/
	req "$h" acrh-invalid-token method=OPTIONS origin=https://a.example \
		acrm=POST 'acrh=x-a, bad header, (x)' uri=/
	req "$h" acrh-empty-elements method=OPTIONS origin=https://a.example \
		acrm=POST 'acrh=, ,x-a,,\t,X-API-Key' uri=/api/
	# 0x01 COUNT LEN SEP: COUNT synthetic names of LEN bytes (fuzz.h).
	req "$h" acrh-too-many-names method=OPTIONS origin=https://a.example \
		acrm=POST 'acrh=\x01\xc8\x08\x01' uri=/
	req "$h" acrh-too-long method=OPTIONS origin=https://a.example \
		acrm=POST 'acrh=\x01\x64\x3c\x01-' uri=/
	req "$h" path-encoded-dot-dot method=GET origin=https://admin.example \
		'uri=/api/%2e%2e/private?x=1'
	req "$h" path-bad-escape method=GET origin=https://a.example uri=/api/%zz
	req "$h" path-script-name method=GET origin=https://www.files.test \
		sn=/cgi-bin/app.cgi pi=/files/a.json
	req "$h" path-files-json method=OPTIONS origin=https://files.test \
		acrm=HEAD 'acrh=x-custom-12' uri=/files/x.json
}

# raw HARNESS FILE BYTES: BYTES through %b.
raw() {
	mkdir -p "$corpus/$1"
	printf '%b' "$3" >"$corpus/$1/$2"
}

rm -rf "$corpus"
requests request
requests decide

# fuzz_origin: ENTRY NUL ORIGIN.
raw origin any-matches '*\0https://a.example'
raw origin any-not-null '*\0null'
raw origin null-matches-null 'null\0null'
raw origin exact-other-case 'https://a.example:8443\0HTTPS://A.Example:8443'
raw origin exact-other-port 'https://a.example\0https://a.example:444'
raw origin subdomain-one-label 'https://*.example.com\0https://x.example.com'
raw origin subdomain-not-apex 'https://*.example.com\0https://example.com'
raw origin subdomain-not-suffix 'https://*.example.com\0https://evil-example.com'
raw origin subdomain-port 'https://*.example.com:8443\0https://a.b.example.com:8443'
raw origin subdomain-not-ipv6 'http://*.example\0http://[::1]'
raw origin regex-alternative '~https://(a|b)\\.example\\.com\0https://b.example.com'
raw origin regex-whole-origin '~https://.*\\.example\\.com\0https://x.example.com.evil.net'
raw origin exact-ipv6 'http://[::1]:3000\0http://[::1]:3000'
raw origin entry-trailing-slash 'https://a.example/\0https://a.example'
raw origin entry-bad-glob 'https://a.*.example\0https://a.b.example'
raw origin entry-bad-regex '~https://(a\0https://a'

# fuzz_cgiheader: FLAGS [OFFSET] BLOCK; FLAGS bit 0 eof, bits 1-2 the
# answer (0 allowed GET, 1 allowed preflight, 2 refused, 3 wildcard), bit 3
# repeats BLOCK to about 64 KiB.
raw cgiheader lf-block '\x00Content-Type: text/plain\nX-A: 1\n\nbody'
raw cgiheader crlf-block '\x03Content-Type: text/html\r\nX-A:  spaced  \r\n\r\n<p>'
raw cgiheader status-404 '\x01Status: 404 Not Found\nContent-Type: text/plain\n\n'
raw cgiheader nph-status-line '\x01HTTP/1.1 201 Created\r\nLocation: https://x/\r\n\r\n'
raw cgiheader script-sets-acao '\x01Access-Control-Allow-Origin: *\nVary: Accept\n\n'
raw cgiheader script-sets-expose '\x01Access-Control-Expose-Headers: X-Mine\n\n'
raw cgiheader local-redirect '\x01Location: /other\n\n'
raw cgiheader redirect-302 '\x01Status: 302 Found\nLocation: /x\n\n'
raw cgiheader vary-extended '\x03Vary: Accept-Encoding, origin\r\n\r\n'
raw cgiheader vary-star '\x05Vary: *\n\n'
raw cgiheader vary-empty '\x01Vary:\n\n'
raw cgiheader refused-adds-vary '\x05Content-Type: text/plain\n\n'
raw cgiheader wildcard '\x07Content-Type: text/plain\n\n'
raw cgiheader no-colon '\x01no colon here\n\n'
raw cgiheader stray-cr '\x01X-A: a\rb\n\n'
raw cgiheader nul-in-value '\x01X-A: a\0b\n\n'
raw cgiheader bad-status '\x01Status: 99 x\n\n'
raw cgiheader eof-before-blank-line '\x01Content-Type: text/plain\n'
raw cgiheader empty-output '\x01'
raw cgiheader too-big '\x09\x05X-Pad: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n'
raw cgiheader too-many-lines '\x09\x00X:\n'

# fuzz_config: INI text [%env NAME=VALUE lines].
raw config empty ''
raw config env-only '%env\nCORS_ORIGINS=https://a.example https://*.example.org\nCORS_SUPPORTS_CREDENTIALS=true\nCORS_MAX_AGE=10m'
cp "$top/etc/cors-wrap.ini" "$corpus/config/sample-ini"
raw config readme-example '; /etc/cors-wrap.ini\norigins = "https://app.example.com https://*.example.org"\nsupports_credentials = yes\nmax_age = 10m\n\n[public]\npath = /api/public/*\norigins = *\nsupports_credentials = no\n'
raw config sections-specificity '[a]\npath = /api/*\norigins = https://a.example\n[b]\npath = /api/v1/*\nmethods = GET\n[c]\npath = /api/v1/items\nallow_headers = X-A ~x-custom-[0-9]+\n[d]\npath = /files/*.json\nexpose_headers = ETag, X-Total\n'
raw config global-section '[global]\norigins = null ~https://(a|b)\\.test\nsend_wildcard = off\nalways_send = 0\nvary_header = NO\n[x]\npath = /x\npreflight_status = 200\n'
raw config quoted-values 'origins = "https://a.example ; not a comment"\nmethods = '"'"'GET # too'"'"'\nallow_headers = X-A ; a comment\n'
raw config continuation 'origins = https://a.example \\\n  https://b.example\nmax_age = 1d\n'
raw config crlf-lines 'origins = https://a.example\r\n[s]\r\npath = /s\r\nmax_age = 60s\r\n'
raw config global-keys 'mode = prepend\nexec = /srv/app.cgi\nscript_root = /srv/cgi\nlog_level = debug\nlog_refused = warn\nlog_rate = 0\n'
raw config env-overrides-ini 'origins = https://a.example\n[s]\npath = /s/*\norigins = https://s.example\n%env\nCORS_ORIGINS=https://env.example\nCORS_HEADERS=X-A\nCORS_VARY_HEADER=false\nCORS_CONFIG=/ignored\n'
raw config error-credentials-any 'origins = *\nsupports_credentials = true\n'
raw config error-duplicate-key 'origins = *\nORIGINS = null\n'
raw config error-duplicate-section '[a]\npath = /a\n[A]\npath = /b\n'
raw config error-unknown-key 'origin = https://a.example\n'
raw config error-bad-bool '%env\nCORS_ALWAYS_SEND=maybe\n'
raw config error-global-key-in-section '[s]\npath = /s\nexec = /bin/sh\n'
raw config error-section-without-path '[s]\norigins = *\n'
raw config error-bad-regex 'origins = ~https://(a\n'
raw config error-alias-twice 'headers = X-A\nallow_headers = X-B\n'
raw config error-unknown-variable '%env\nCORS_ORIGIN=https://a.example\n'
