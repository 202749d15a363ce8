# cors-wrap — see README.md.  GNU make.

PREFIX	?= /usr/local
BINDIR	?= $(PREFIX)/bin
LIBEXECDIR ?= $(PREFIX)/libexec
MANDIR	?= $(PREFIX)/share/man
DOCDIR	?= $(PREFIX)/share/doc/cors-wrap
SYSCONFDIR ?= /etc

CC	?= cc
VERSION	 = 0.1

# Hardening is part of the build, not an option: FORTIFY, stack
# protector, PIE, full RELRO, non-executable stack.
WARN	 = -Wall -Wextra -Werror -Wshadow -Wpointer-arith -Wstrict-prototypes \
	   -Wmissing-prototypes -Wformat=2 -Wno-format-nonliteral
CFLAGS	?= -O2 -g
CPPFLAGS += -D_GNU_SOURCE -D_FORTIFY_SOURCE=2 -DVERSION='"$(VERSION)"' \
	   -I/usr/include/iniparser
ALL_CFLAGS = -std=c11 $(WARN) -fPIE -fstack-protector-strong $(CFLAGS)
LDFLAGS	+= -Wl,-z,relro,-z,now -Wl,-z,noexecstack -Wl,--as-needed

# iniparser is linked statically: the CGI path starts a process per
# request, and every shared library is a cost at each start.
LIBS	 = -l:libiniparser.a

# So is cors-wrap as a whole (static-pie: still PIE, full RELRO).  In a
# dynamically linked one, the loader (mapping libc, relocating it,
# binding every symbol for -z now) makes a tenth of a CGI request's page
# faults, each tens of microseconds on a virtual machine
# (bench/README.md).  User and group names, which a static glibc cannot
# look up through the system's NSS modules, are asked of getent(1)
# (lib/account.h).  Sanitizers cannot be linked statically, and valgrind
# and LD_PRELOAD shims cannot see into a static binary:
# build/cors-wrap-shared is the same objects linked against the shared
# libc, for the tests that use them.  PIE=-pie links cors-wrap that way.
PIE	?= -static-pie

# Undefined behaviour aborts, as an ASan report does: a worker of the
# FastCGI daemon that hits it dies, and the test that caused it fails.
ifdef SANITIZE
ALL_CFLAGS += -fsanitize=address,undefined -fno-sanitize-recover=all \
	      -fno-omit-frame-pointer
LDFLAGS	+= -fsanitize=address,undefined
PIE	 = -pie
CPPFLAGS := $(filter-out -D_FORTIFY_SOURCE=2,$(CPPFLAGS))
endif

# Link order is layout: what a CGI request runs comes first, so that it
# spans fewer pages of text (each one a page fault in a process that lives
# for one request).  The INI reader, explain mode, the FastCGI daemon and --check's warnings
# come last.
LIB_SRCS = lib/cgi.c lib/launch.c lib/config.c lib/configtype.c lib/configlist.c \
	   lib/request.c lib/exchange.c lib/policy.c lib/origin.c lib/token.c lib/pattern.c lib/response.c \
	   lib/script.c lib/child.c lib/cgiheader.c lib/io.c lib/log.c lib/diag.c \
	   lib/ratelimit.c lib/inifile.c lib/confcache.c lib/explain.c \
	   lib/fcgiconn.c lib/fcgireq.c lib/fcgichild.c lib/fcgipipe.c \
	   lib/fcgiloop.c lib/fcgirec.c lib/spool.c lib/daemon.c lib/orphans.c \
	   lib/metrics.c lib/account.c lib/configcheck.c \
	   lib/pslquery.c
SRCS	 = cors-wrap.c $(LIB_SRCS)
OBJS	 = $(SRCS:.c=.o)

all: cors-wrap cors-wrap-psl

# Objects are rebuilt when the flags change (SANITIZE=1, CC=clang, ...).
FLAGS_NOW = $(CC) $(CPPFLAGS) $(ALL_CFLAGS) $(LDFLAGS) $(PIE) $(LIBS)
.flags: FORCE
	@[ "$$(cat $@ 2>/dev/null)" = '$(FLAGS_NOW)' ] || echo '$(FLAGS_NOW)' >$@

cors-wrap: $(OBJS)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) $(PIE) -o $@ $(OBJS) $(LIBS)

# What --check asks about the public suffix list (lib/pslquery.h): libpsl,
# linked dynamically into a program of its own.  Linked into cors-wrap,
# libpsl.a with the libidn2, libunistring and locale tables it needs added
# 430 kB and a page or two that every CGI request relocated: 1.7 more page
# faults a merging-mode request (mean of 60, counted as bench/run counts
# them), where this costs none.  make install puts it in
# LIBEXECDIR/cors-wrap, which cors-wrap finds as ../libexec/cors-wrap from
# its own directory: keep BINDIR and LIBEXECDIR in one PREFIX.
cors-wrap-psl: cors-wrap-psl.c .flags
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) $(LDFLAGS) -pie -o $@ cors-wrap-psl.c -lpsl

build/cors-wrap-shared: $(OBJS)
	@mkdir -p build
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -pie -o $@ $(OBJS) $(LIBS)

%.o: %.c .flags
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

-include $(OBJS:.o=.d)

deps-build:
	@bash tests/deps.sh build

check: deps-check
	$(MAKE) cors-wrap cors-wrap-psl build/cors-wrap-shared build/tests/decide_cases \
	    build/tests/metrics_check
	bash tests/run

deps-check:
	@bash tests/deps.sh check

# The performance comparison of bench/README.md (bench/run): real
# servers on 127.0.0.1, minutes of load.  Never part of check.  The
# bench-only programs are built with cors-wrap's flags.  The references
# (the exec wrapper, the libfcgi responder) are linked as a C program is
# by default, dynamically; execwrap-static is the same wrapper linked as
# cors-wrap is, and the floors of cors-wrap's two CGI designs, relaywrap
# (merging) and prefixwrap (prepend), are linked as cors-wrap is too.
BENCH_BIN = build/bench/execwrap build/bench/execwrap-static build/bench/relaywrap \
	    build/bench/prefixwrap build/bench/fcgi204 build/bench/stream \
	    build/bench/decide_bench build/bench/spawn
LIB_OBJS = $(LIB_SRCS:.c=.o)

bench: deps-bench cors-wrap $(BENCH_BIN)
	bash bench/run

deps-bench:
	@bash tests/deps.sh bench

build/bench/execwrap: bench/execwrap.c .flags
	@mkdir -p build/bench
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) $(LDFLAGS) -pie -o $@ bench/execwrap.c

build/bench/execwrap-static: bench/execwrap.c .flags
	@mkdir -p build/bench
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) $(LDFLAGS) $(PIE) -o $@ bench/execwrap.c

build/bench/relaywrap: bench/relaywrap.c .flags
	@mkdir -p build/bench
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) $(LDFLAGS) $(PIE) -o $@ bench/relaywrap.c

build/bench/prefixwrap: bench/execwrap.c .flags
	@mkdir -p build/bench
	$(CC) $(CPPFLAGS) -DPREFIX_LINES $(ALL_CFLAGS) $(LDFLAGS) $(PIE) -o $@ \
	    bench/execwrap.c

build/bench/spawn: bench/spawn.c .flags
	@mkdir -p build/bench
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) $(LDFLAGS) -pie -o $@ bench/spawn.c

build/bench/fcgi204: bench/fcgi204.c .flags
	@mkdir -p build/bench
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) $(LDFLAGS) -pie -o $@ bench/fcgi204.c -lfcgi

# Static: the scripts' own memory stays out of the wrapper's peak RSS.
build/bench/stream: bench/stream.c .flags
	@mkdir -p build/bench
	$(CC) $(CPPFLAGS) -std=c11 $(WARN) -O2 -static -o $@ bench/stream.c

build/bench/decide_bench: bench/decide_bench.c $(LIB_OBJS) .flags
	@mkdir -p build/bench
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) $(LDFLAGS) -pie -o $@ bench/decide_bench.c \
	    $(LIB_OBJS) $(LIBS)

# The table-driven test of the decision (tests/unit/decide_cases.c), linked
# with cors-wrap's own objects; tests/decide.bats builds and runs it.
UNIT_SRCS = tests/unit/decide_cases.c tests/unit/decide_table.c

build/tests/decide_cases: $(UNIT_SRCS) tests/unit/decide_cases.h $(LIB_OBJS) .flags
	@mkdir -p build/tests
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) $(LDFLAGS) -pie -o $@ $(UNIT_SRCS) \
	    $(LIB_OBJS) $(LIBS)

# The counters' unit check (tests/unit/metrics_check.c), run by
# tests/metrics.bats.
build/tests/metrics_check: tests/unit/metrics_check.c $(LIB_OBJS) .flags
	@mkdir -p build/tests
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) $(LDFLAGS) -pie -o $@ \
	    tests/unit/metrics_check.c $(LIB_OBJS) $(LIBS)

unit: build/tests/decide_cases
	build/tests/decide_cases

demo:
	@bash tests/deps.sh build demo
	$(MAKE) cors-wrap
	bash etc/demo.sh

install: cors-wrap cors-wrap-psl
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 \
	    $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(DOCDIR)/examples \
	    $(DESTDIR)$(LIBEXECDIR)/cors-wrap
	install -m 755 cors-wrap $(DESTDIR)$(BINDIR)/cors-wrap
	install -m 755 cors-wrap-psl $(DESTDIR)$(LIBEXECDIR)/cors-wrap/cors-wrap-psl
	install -m 644 man/cors-wrap.1 $(DESTDIR)$(MANDIR)/man1/cors-wrap.1
	install -m 644 man/cors-wrap.ini.5 \
	    $(DESTDIR)$(MANDIR)/man5/cors-wrap.ini.5
	install -m 644 etc/cors-wrap.ini $(DESTDIR)$(DOCDIR)/examples/
	cp -R etc/apache etc/lighttpd etc/nginx etc/systemd \
	    $(DESTDIR)$(DOCDIR)/examples/
	# The man pages, recipes and units name the paths of the default
	# PREFIX: make them name the installed ones.
	find $(DESTDIR)$(DOCDIR)/examples $(DESTDIR)$(MANDIR)/man1/cors-wrap.1 \
	    $(DESTDIR)$(MANDIR)/man5/cors-wrap.ini.5 -type f -exec sed -i \
	    -e 's|/usr/local/bin/cors-wrap|$(BINDIR)/cors-wrap|g' \
	    -e 's|/usr/local/share/doc/cors-wrap|$(DOCDIR)|g' \
	    -e 's|/usr/local/libexec/cors-wrap|$(LIBEXECDIR)/cors-wrap|g' {} +

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/cors-wrap \
	    $(DESTDIR)$(MANDIR)/man1/cors-wrap.1 \
	    $(DESTDIR)$(MANDIR)/man5/cors-wrap.ini.5
	rm -rf $(DESTDIR)$(DOCDIR) $(DESTDIR)$(LIBEXECDIR)/cors-wrap

# Static analysis: both clean, or each waiver justified in .clang-tidy.
lint: deps-lint
	cppcheck -q --enable=warning,performance,portability --std=c11 \
	    -D_GNU_SOURCE --inline-suppr --error-exitcode=1 cors-wrap.c \
	    cors-wrap-psl.c lib/*.c
	clang-tidy --quiet cors-wrap.c cors-wrap-psl.c lib/*.c -- -std=c11 -D_GNU_SOURCE \
	    -I/usr/include/iniparser
	cppcheck -q --enable=warning,performance,portability --std=c11 \
	    -D_GNU_SOURCE --inline-suppr --error-exitcode=1 -Ilib \
	    tests/fuzz/*.c tests/unit/*.c
	clang-tidy --quiet tests/fuzz/*.c tests/unit/*.c -- -std=c11 -D_GNU_SOURCE \
	    -I/usr/include/iniparser -iquote lib

# scan-build (clang's static analyser) over the normal build, every file
# compiled again (-B); any report fails, its HTML kept in build/analyze/.
# CC stays unset here: scan-build passes its own through the environment
# and runs clang behind it.  The default checkers and two stable optional
# ones; the alpha bounds checkers (ArrayBoundV2, cstring.OutOfBounds) were
# tried and report only bounds that earlier checks establish.
analyze: deps-lint
	scan-build --status-bugs --use-cc=clang -o build/analyze \
	    -enable-checker optin.portability.UnixAPI \
	    -enable-checker security.FloatLoopCounter \
	    $(MAKE) -B cors-wrap

deps-lint:
	@bash tests/deps.sh lint

# libFuzzer harnesses (tests/fuzz/README.md), built with clang, ASan and
# UBSan into build/fuzz/.  make fuzz runs each for FUZZ_SECONDS; the corpus
# they grow is build/fuzz/corpus/NAME, never the committed seeds.
FUZZ_CC		?= clang
FUZZ_SECONDS	?= 60
FUZZ_DIR	 = build/fuzz
FUZZERS		 = request origin decide cgiheader config
FUZZ_SAN	 = -fsanitize=address,undefined -fno-sanitize-recover=all \
		   -fno-omit-frame-pointer
FUZZ_CFLAGS	 = -std=c11 $(WARN) -g -O1 $(FUZZ_SAN) -D_GNU_SOURCE \
		   -I/usr/include/iniparser
# What the harnesses reach: the parsers and the decision, no I/O.
FUZZ_LIB_SRCS	 = lib/cgiheader.c lib/config.c lib/configtype.c lib/configlist.c \
		   lib/exchange.c lib/diag.c lib/inifile.c lib/log.c lib/origin.c lib/pattern.c \
		   lib/policy.c lib/ratelimit.c lib/request.c lib/response.c \
		   lib/script.c lib/token.c
FUZZ_LIB_OBJS	 = $(FUZZ_LIB_SRCS:lib/%.c=$(FUZZ_DIR)/lib/%.o)
FUZZ_BINS	 = $(FUZZERS:%=$(FUZZ_DIR)/fuzz_%)

FUZZ_FLAGS_NOW	 = $(FUZZ_CC) $(FUZZ_CFLAGS) $(LIBS)
$(FUZZ_DIR)/.flags: FORCE
	@mkdir -p $(@D)
	@[ "$$(cat $@ 2>/dev/null)" = '$(FUZZ_FLAGS_NOW)' ] || \
	    echo '$(FUZZ_FLAGS_NOW)' >$@

$(FUZZ_DIR)/lib/%.o: lib/%.c $(FUZZ_DIR)/.flags
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -MMD -MP \
	    -c -o $@ $<

$(FUZZ_DIR)/libcors.a: $(FUZZ_LIB_OBJS)
	rm -f $@
	ar rcs $@ $(FUZZ_LIB_OBJS)

# -iquote: lib's headers are for #include "...", never <...>.
$(FUZZ_DIR)/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_DIR)/libcors.a
	$(FUZZ_CC) $(FUZZ_CFLAGS) -iquote lib -fsanitize=fuzzer -MMD -MP \
	    -MF $@.d -o $@ $< $(FUZZ_DIR)/libcors.a $(LIBS)

-include $(FUZZ_LIB_OBJS:.o=.d) $(FUZZ_BINS:=.d)

fuzz-build: $(FUZZ_BINS)

fuzz: deps-fuzz
	$(MAKE) fuzz-build
	bash tests/fuzz/run -t $(FUZZ_SECONDS) $(FUZZERS)

deps-fuzz:
	@bash tests/deps.sh fuzz

# The fuzzers' grown corpora and findings (build/fuzz/corpus, findings)
# stay: make distclean removes them.
clean:
	rm -f cors-wrap cors-wrap-psl .flags $(OBJS) $(OBJS:.o=.d)
	rm -rf $(FUZZ_DIR)/lib $(FUZZ_DIR)/libcors.a $(FUZZ_DIR)/.flags \
	    $(FUZZ_BINS) $(FUZZ_BINS:=.d) build/bench build/tests build/cors-wrap-shared

distclean: clean
	rm -rf build

.PHONY: all analyze bench check deps-bench deps-build deps-check deps-fuzz \
	deps-lint demo distclean fuzz fuzz-build install lint uninstall unit \
	clean FORCE
