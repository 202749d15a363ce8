#!/usr/bin/env bats
# The libFuzzer harnesses (tests/fuzz/README.md), briefly: they build, every
# seed and regression input runs clean, a few seconds of fuzzing each finds
# nothing, and none of it writes into the committed corpora.  make fuzz
# runs them for longer.

load lib/common

# Seconds of fuzzing per harness, one after the other; libFuzzer stops in
# the second after -max_total_time, so 4 is about 5 s each.
FUZZ_SECONDS=${CW_FUZZ_SECONDS:-4}

# fingerprint: names and checksums of the committed corpora and regression
# inputs.
fingerprint() {
	(cd "$TOP/tests/fuzz" && find corpus regress -type f -print0 |
		sort -z | xargs -0 sha256sum)
}

setup_file() {
	# clang and libFuzzer come from tests/deps.sh check; without them the
	# build fails here and every test of this file with it.  Not a
	# sub-make of make check's: its jobserver is not ours to use.
	env -u MAKEFLAGS -u MFLAGS make -C "$TOP" -j2 fuzz-build \
		>"$BATS_FILE_TMPDIR/build.log" 2>&1 || {
		cat "$BATS_FILE_TMPDIR/build.log" >&2
		return 1
	}
	fingerprint >"$BATS_FILE_TMPDIR/before"
}

# fuzz NAME: NAME's harness fuzzes for FUZZ_SECONDS from the committed seeds
# without a finding; what it grows stays in the test's directory.
fuzz() {
	run bash "$TOP/tests/fuzz/run" -t "$FUZZ_SECONDS" -w "$BATS_TEST_TMPDIR" "$1"
	assert_success
	assert_output --partial "fuzz $1: stat::number_of_executed_units:"
}

@test "every seed and regression input of every harness runs without a finding" {
	run bash "$TOP/tests/fuzz/run" -r
	assert_success
	for name in request origin decide cgiheader config; do
		assert_output --partial "fuzz $name: replaying"
	done
}

@test "fuzzing request validation finds nothing" {
	fuzz request
}

@test "fuzzing origin matching finds nothing" {
	fuzz origin
}

@test "fuzzing the whole decision finds nothing" {
	fuzz decide
}

@test "fuzzing the CGI header parser and merger finds nothing" {
	fuzz cgiheader
}

@test "fuzzing the configuration loader finds nothing" {
	fuzz config
}

@test "fuzzing never writes into the committed corpora" {
	fingerprint >"$BATS_TEST_TMPDIR/after"
	run diff "$BATS_FILE_TMPDIR/before" "$BATS_TEST_TMPDIR/after"
	assert_success
}
