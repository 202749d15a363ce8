#!/bin/bash
# tests/deps.sh [SET ...]: installs the Debian packages cors-wrap needs, when
# some are missing.  Sets (default: check):
#   build  compile cors-wrap
#   check  build, plus what the test suite drives (bats, the servers, curl,
#          Debian's Chromium for tests/browser.bats, wrk, ab and valgrind
#          for tests/soak.bats, clang and libFuzzer for tests/fuzz.bats,
#          the public suffix list for tests/checkwarn.bats, python3 for the
#          strict JSON and Prometheus format checks of tests/lib/, Flask and
#          Flask-CORS for tests/flaskdiff.bats) and the package set
#   lint   make lint and make analyze: cppcheck, clang-tidy, scan-build
#   fuzz   make fuzz: clang and libFuzzer
#   package  what tests/package.bats and tests/man.bats need: the Debian
#          package build (dpkg-buildpackage -b), lintian, systemd-analyze,
#          mandoc
#   demo   what etc/demo.sh needs beyond the binary (lighttpd, curl)
#   bench  what make bench drives (bench/run): the servers and fcgiwrap it
#          compares with, wrk, GNU time, valgrind (callgrind), gnuplot
# Nothing missing: returns at once, without apt-get.  Missing, as root:
# apt-get update and install them.  Missing, as anyone else: names them and
# exits 1.  Used by make check, make lint, make analyze, make fuzz, make
# bench, make demo and .ci/run.
set -eu

build='build-essential pkg-config libfcgi-dev libiniparser-dev libpsl-dev'
check="$build bats bats-assert bats-support bats-file apache2 lighttpd nginx
	spawn-fcgi fcgiwrap libfcgi-bin curl procps ca-certificates chromium wrk
	valgrind apache2-utils perl python3 clang libclang-rt-14-dev publicsuffix
	python3-flask python3-flask-cors"
lint="$build clang clang-tools clang-tidy cppcheck"
fuzz="$build clang libclang-rt-14-dev"
demo='lighttpd curl'
package="$build debhelper dpkg-dev lintian systemd mandoc"
bench="$build apache2 nginx fcgiwrap spawn-fcgi curl procps wrk time valgrind
	gnuplot-nox"

[ $# -gt 0 ] || set -- check
want=
for set; do
	case $set in
	build) want="$want $build" ;;
	check) want="$want $check $package" ;;
	package) want="$want $package" ;;
	lint) want="$want $lint" ;;
	fuzz) want="$want $fuzz" ;;
	demo) want="$want $demo" ;;
	bench) want="$want $bench" ;;
	*)
		echo "usage: $0 [build|check|package|lint|fuzz|bench|demo ...]" >&2
		exit 2
		;;
	esac
done

missing=
# shellcheck disable=SC2086 # $want is a list of names
for p in $(printf '%s\n' $want | sort -u); do
	case $(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true) in
	*' installed') ;;
	*) missing="$missing $p" ;;
	esac
done
missing=${missing# }
[ -n "$missing" ] || exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "cors-wrap: missing Debian packages: $missing; run as root or: apt-get install $missing" >&2
	exit 1
fi

echo "cors-wrap: installing $missing" >&2
# The servers' postinst scripts would start system services on port 80; the
# tests need none.  Debian's Docker images already ship such a policy-rc.d.
policy=
if [ ! -e /usr/sbin/policy-rc.d ]; then
	policy=/usr/sbin/policy-rc.d
	printf '#!/bin/sh\n# cors-wrap tests/deps.sh: no service starts during install\nexit 101\n' >"$policy"
	chmod 755 "$policy"
	trap 'rm -f "$policy"' EXIT
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update
# shellcheck disable=SC2086 # a list of package names
apt-get install -y --no-install-recommends $missing
