#!/usr/bin/env bats
# The decision in-process: tests/unit/decide_cases runs every row of
# tests/unit/decide_table.c (configuration, request, documented answer)
# through config_load, request_read and decide, in milliseconds.  The other
# suites prove the same rules against real servers; this one covers every
# option and hostile input row by row.

load lib/common

DECIDE_CASES=$TOP/build/tests/decide_cases

setup_file() {
	unit_build decide_cases
}

# Under make check SANITIZE=1 the program is built with ASan and UBSan.
decide_sanitized() {
	grep -q '__asan_init' "$DECIDE_CASES"
}

@test "every row of the decision table gets its documented answer" {
	run "$DECIDE_CASES"
	# On a mismatch the output shows each row's want and got, field by
	# field, with its configuration and request.
	assert_success
	assert_line --regexp '^[0-9]+ cases, 0 failed, [0-9]+ disagree with the documentation$'
	refute_output --partial 'ERROR: AddressSanitizer'
	refute_output --partial 'runtime error:'
}

@test "the decision table holds hundreds of cases" {
	run "$DECIDE_CASES"
	[[ ${lines[-1]} =~ ^([0-9]+)\ cases ]]
	[ "${BASH_REMATCH[1]}" -ge 250 ]
}

@test "the decision table names each row it ran with -v" {
	run "$DECIDE_CASES" -v
	assert_success
	assert_line 'ok credentials with origins * is an error'
	assert_line 'ok send_wildcard: null gets *'
}

@test "the decision table runs clean under valgrind (ASan and LeakSanitizer in a SANITIZE=1 build): no invalid access, no leak" {
	if decide_sanitized; then
		# valgrind cannot run an ASan binary; the sanitizers are the check.
		ASAN_OPTIONS=detect_leaks=1:exitcode=99 run "$DECIDE_CASES"
		assert_success
		assert_line --regexp '^[0-9]+ cases, 0 failed,'
		return
	fi
	run valgrind -q --error-exitcode=99 --leak-check=full \
		--errors-for-leak-kinds=definite,indirect "$DECIDE_CASES"
	assert_success
	assert_line --regexp '^[0-9]+ cases, 0 failed,'
}
