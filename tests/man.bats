#!/usr/bin/env bats
# The manual pages of man/, as mandoc(1) checks them.

load lib/common

@test "man: mandoc -Tlint -Wwarning finds nothing in cors-wrap.1 and cors-wrap.ini.5" {
	run mandoc -Tlint -Wwarning "$TOP/man/cors-wrap.1" "$TOP/man/cors-wrap.ini.5"
	assert_success
	assert_output ''
}

@test "man: mandoc -Tlint has no style remark either, but for pages this machine lacks" {
	# Which manuals exist depends on the machine (cors-wrap's own are not
	# installed), as does the state of its mandoc.db.
	run bash -c 'mandoc -Tlint "$1"/man/cors-wrap.1 "$1"/man/cors-wrap.ini.5 2>&1 |
		grep -v -e "STYLE: referenced manual not found" -e "outdated mandoc.db"' _ "$TOP"
	assert_output ''
}
