#!/usr/bin/env bats
# The Debian package of debian/: built once, with dpkg-buildpackage, from a
# copy of the tree (the work tree gets no build artefact), then read with
# dpkg-deb, unpacked with dpkg -x (no installation on this machine), its
# maintainer scripts run against stubs, and checked by lintian.

load lib/common

setup_file() {
	PKG_DIR=$BATS_FILE_TMPDIR
	PKG_SRC=$PKG_DIR/src
	PKG_LOG=$PKG_DIR/build.log
	PKG_ROOT=$PKG_DIR/root
	PKG_VERSION=$(sed -n 's/^VERSION[[:space:]]*=[[:space:]]*//p' "$TOP/Makefile")
	PKG_ARCH=$(dpkg --print-architecture)
	PKG_DEB=$PKG_DIR/cors-wrap_${PKG_VERSION}_$PKG_ARCH.deb
	export PKG_DIR PKG_SRC PKG_LOG PKG_ROOT PKG_VERSION PKG_DEB
	ls -A "$TOP/debian" >"$PKG_DIR/debian.before"
	mkdir "$PKG_SRC"
	source_files | tar -C "$TOP" --null -T - -cf - | tar -C "$PKG_SRC" -xf -
	# The package is built as Debian builds it, whatever make check was
	# given (SANITIZE=1 reaches sub-makes through MAKEFLAGS).
	(cd "$PKG_SRC" && env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u SANITIZE \
		dpkg-buildpackage -us -uc -b -jauto) </dev/null >"$PKG_LOG" 2>&1 3>&- || true
	if [ -f "$PKG_DEB" ]; then
		dpkg -x "$PKG_DEB" "$PKG_ROOT"
	fi
}

# source_files: the tree as it is, NUL-separated, uncommitted changes
# included, without what git ignores (the binary, objects, build/).  Outside
# git: everything but .git and build/; the build's clean step removes the rest.
source_files() {
	if git -C "$TOP" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
		local f
		git -C "$TOP" ls-files -z --cached --others --exclude-standard |
			while IFS= read -r -d '' f; do
				# a tracked file deleted in the work tree stays out
				if [ -e "$TOP/$f" ] || [ -L "$TOP/$f" ]; then printf '%s\0' "$f"; fi
			done
	else
		(cd "$TOP" && find . -path ./.git -prune -o -path ./build -prune -o \
			\( -type f -o -type l \) -print0)
	fi
}

# built: the package exists; otherwise failure, with the end of the build
# log the first time.
built() {
	[ -f "$PKG_DEB" ] && return 0
	printf 'no %s\n' "$PKG_DEB" >&2
	if [ ! -e "$PKG_DIR/log.shown" ]; then
		: >"$PKG_DIR/log.shown"
		printf 'dpkg-buildpackage said:\n' >&2
		tail -n 25 "$PKG_LOG" >&2
	fi
	return 1
}

# clean_env CMD...: CMD with PATH only, as a service starts it: cors-wrap
# reads every CORS_* variable (the suite's CORS_WRAP too) as configuration.
clean_env() {
	env -i PATH=/usr/bin:/bin "$@"
}

@test "package: dpkg-buildpackage -us -uc -b builds cors-wrap_VERSION_ARCH.deb, the Makefile's VERSION, in a copy of the tree" {
	built
	run dpkg-deb -f "$PKG_DEB" Package Version
	assert_output "Package: cors-wrap
Version: $PKG_VERSION"
	# debian/changelog names the version the binary reports.
	run clean_env "$PKG_ROOT/usr/bin/cors-wrap" --version
	assert_success
	assert_output "cors-wrap $PKG_VERSION"
}

@test "package: the binary is a static PIE with full RELRO, and Built-Using names the glibc and iniparser it holds" {
	built
	local bin=$PKG_ROOT/usr/bin/cors-wrap
	run readelf -lhd "$bin"
	assert_line --regexp 'Type: +DYN'
	assert_line --regexp '^ +GNU_RELRO '
	assert_line --regexp '\(FLAGS_1\) +Flags: NOW PIE'
	refute_line --partial 'INTERP'
	refute_line --partial '(NEEDED)'
	run dpkg-deb -f "$PKG_DEB" Built-Using
	assert_output "$(dpkg-query -W -f='${source:Package} (= ${source:Version}), ' \
		libc6-dev libiniparser-dev | sed 's/, $//')"
	assert_output --regexp '^glibc \(= [^)]+\), iniparser \(= [^)]+\)$'
}

@test "package: the build leaves no artefact in the work tree's debian/ nor beside it" {
	built
	ls -A "$TOP/debian" >"$PKG_DIR/debian.after"
	run diff "$PKG_DIR/debian.before" "$PKG_DIR/debian.after"
	assert_success
	for f in cors-wrap .debhelper files debhelper-build-stamp cors-wrap.substvars; do
		assert_not_exist "$TOP/debian/$f"
	done
	# the copy's debian/ did get them: the check above looks at the right names
	assert_exist "$PKG_SRC/debian/files"
	run find "$(dirname "$TOP")" -maxdepth 1 -name "cors-wrap_${PKG_VERSION}_*"
	assert_output ''
}

@test "package: the .deb holds the binary, both man pages, the units, the recipes and the conffile /etc/cors-wrap.ini" {
	built
	run dpkg-deb -c "$PKG_DEB"
	local f
	for f in ./usr/bin/cors-wrap ./usr/libexec/cors-wrap/cors-wrap-psl \
		./usr/share/man/man1/cors-wrap.1.gz \
		./usr/share/man/man5/cors-wrap.ini.5.gz ./etc/cors-wrap.ini \
		./lib/systemd/system/cors-wrap.service ./lib/systemd/system/cors-wrap.socket \
		./usr/share/doc/cors-wrap/copyright ./usr/share/doc/cors-wrap/README.Debian \
		./usr/share/doc/cors-wrap/examples/cors-wrap.ini; do
		printf '%s\n' "$output" | awk -v f="$f" '$NF == f { found = 1 } END { exit !found }' || {
			printf 'missing from the package: %s\n%s\n' "$f" "$output" >&2
			return 1
		}
	done
	assert_line --regexp '^-rwxr-xr-x root/root .* \./usr/bin/cors-wrap$'
	# every recipe of etc/ (the units are installed, not examples)
	for f in "$TOP"/etc/apache/*.conf "$TOP"/etc/lighttpd/*.conf "$TOP"/etc/nginx/*.conf; do
		f=${f#"$TOP"/etc/}
		assert_line --regexp " \./usr/share/doc/cors-wrap/examples/$f\$"
	done
	refute_line --partial examples/systemd
	run dpkg-deb -I "$PKG_DEB" conffiles
	assert_success
	assert_output /etc/cors-wrap.ini
	run cmp "$PKG_ROOT/etc/cors-wrap.ini" "$TOP/etc/cors-wrap.ini"
	assert_success
}

@test "package: the unpacked binary runs --version and accepts the shipped /etc/cors-wrap.ini with --check" {
	built
	run clean_env "$PKG_ROOT/usr/bin/cors-wrap" --version
	assert_success
	run clean_env "$PKG_ROOT/usr/bin/cors-wrap" --check --config "$PKG_ROOT/etc/cors-wrap.ini"
	assert_success
	assert_output --partial 'configuration test successful'
	assert_output --partial 'origins = *'
}

@test "package: the unpacked cors-wrap --check asks /usr/libexec/cors-wrap/cors-wrap-psl, and the package depends on libpsl and the list" {
	built
	printf 'origins = https://*.github.io\n' >"$BATS_TEST_TMPDIR/psl.ini"
	run clean_env "$PKG_ROOT/usr/bin/cors-wrap" --check --config "$BATS_TEST_TMPDIR/psl.ini"
	assert_success
	assert_line --partial 'github.io is a public suffix'
	run dpkg-deb -f "$PKG_DEB" Depends
	assert_output --regexp '(^|, )libpsl5( |,|$)'
	assert_output --regexp '(^|, )publicsuffix(,|$)'
}

@test "package: the installed recipes, units and man pages name /usr/bin/cors-wrap, never /usr/local" {
	built
	run grep -rl '/usr/local/bin/cors-wrap\|/usr/local/share' "$PKG_ROOT/usr/share/doc" \
		"$PKG_ROOT/lib" "$PKG_ROOT/etc"
	assert_output ''
	run zgrep -c '/usr/local/bin/cors-wrap' "$PKG_ROOT/usr/share/man/man1/cors-wrap.1.gz"
	assert_output 0
	run grep -c '^ScriptAlias /api /usr/bin/cors-wrap$' <(zcat "$PKG_ROOT/usr/share/man/man1/cors-wrap.1.gz")
	assert_output 1
	run grep -x 'ExecStart=.*' "$PKG_ROOT/lib/systemd/system/cors-wrap.service"
	assert_output 'ExecStart=/usr/bin/cors-wrap -c 4 -f'
}

@test "package: the systemd units pass systemd-analyze verify with the unpacked binary" {
	built
	local d=$BATS_TEST_TMPDIR/units
	mkdir "$d"
	cp "$PKG_ROOT/lib/systemd/system/cors-wrap.socket" "$d/"
	# verify checks that ExecStart exists: the unpacked one stands in.
	sed "s|^ExecStart=/usr/bin/cors-wrap |ExecStart=$PKG_ROOT/usr/bin/cors-wrap |" \
		"$PKG_ROOT/lib/systemd/system/cors-wrap.service" >"$d/cors-wrap.service"
	run grep -c "^ExecStart=$PKG_ROOT/usr/bin/cors-wrap " "$d/cors-wrap.service"
	assert_output 1
	run systemd-analyze verify --man=no "$d/cors-wrap.socket" "$d/cors-wrap.service"
	assert_success
	assert_output ''
}

@test "package: a first install enables and starts no unit; an upgrade only try-restarts" {
	built
	local ctl=$BATS_TEST_TMPDIR/control stubs=$BATS_TEST_TMPDIR/stubs
	local calls=$BATS_TEST_TMPDIR/calls
	dpkg-deb -e "$PKG_DEB" "$ctl"
	mkdir "$stubs"
	# deb-systemd-helper as on a machine that never had the package: the
	# units are not debian-installed, and was-enabled is true, its default
	# for units it has no state of (what makes debhelper enable by default).
	for c in deb-systemd-helper deb-systemd-invoke systemctl; do
		printf '#!/bin/sh\necho "%s $*" >>"%s"\ncase "$*" in *debian-installed*) exit 1 ;; esac\nexit 0\n' \
			"$c" "$calls" >"$stubs/$c"
		chmod 755 "$stubs/$c"
	done
	: >"$calls"
	PATH=$stubs:$PATH sh "$ctl/postinst" configure
	run cat "$calls"
	assert_line 'deb-systemd-helper update-state cors-wrap.socket'
	assert_line 'deb-systemd-helper update-state cors-wrap.service'
	refute_line --regexp 'deb-systemd-helper (--quiet )?enable'
	refute_line --partial 'deb-systemd-invoke'
	refute_line --regexp 'systemctl .*(start|enable)'
	# No start of any kind is in the scripts; an upgrade restarts what runs.
	run grep -h 'deb-systemd-invoke\|systemctl' "$ctl/postinst" "$ctl/prerm" "$ctl/postrm"
	refute_line --regexp '(invoke|systemctl)[^|]* (start|restart|enable) '
	assert_line --partial "deb-systemd-invoke try-restart 'cors-wrap.service' 'cors-wrap.socket'"
	assert_line --partial 'deb-systemd-invoke stop cors-wrap.socket cors-wrap.service'
	assert_not_exist "$ctl/preinst"
}

@test "package: lintian reports no error (warnings and notes listed here)" {
	built
	local changes=$PKG_DIR/cors-wrap_${PKG_VERSION}_$(dpkg --print-architecture).changes
	assert_exist "$changes"
	run lintian --pedantic "$changes"
	# lintian exits 1 on an error, 2 when it cannot run
	local lines
	lines=$(printf '%s\n' "$output" | grep -v '^running with root privileges' || true)
	if [ -n "$lines" ]; then
		printf '%s\n' "$lines" | sed 's/^/# lintian: /' >&3
	fi
	printf '%s\n' "$lines" | grep '^E: ' >&2 && return 1
	assert_equal "$status" 0
}
