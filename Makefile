# cors-wrap — see README.md.  GNU make.

PREFIX	?= /usr/local
BINDIR	?= $(PREFIX)/bin
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
LDFLAGS	+= -pie -Wl,-z,relro,-z,now -Wl,-z,noexecstack -Wl,--as-needed

# iniparser is linked statically: the CGI path starts a process per
# request, and every shared library is a cost at each start.
LIBS	 = -Wl,-Bstatic -liniparser -Wl,-Bdynamic

ifdef SANITIZE
ALL_CFLAGS += -fsanitize=address,undefined -fno-omit-frame-pointer
LDFLAGS	+= -fsanitize=address,undefined
CPPFLAGS := $(filter-out -D_FORTIFY_SOURCE=2,$(CPPFLAGS))
endif

LIB_SRCS = lib/cgi.c lib/cgiheader.c lib/confcache.c lib/config.c lib/daemon.c \
	   lib/decide.c lib/diag.c lib/explain.c lib/fastcgi.c lib/fcgirec.c lib/inifile.c \
	   lib/io.c lib/launch.c lib/log.c lib/origin.c lib/policy.c \
	   lib/request.c lib/response.c lib/ratelimit.c lib/script.c lib/spool.c lib/token.c
SRCS	 = cors-wrap.c $(LIB_SRCS)
OBJS	 = $(SRCS:.c=.o)

all: cors-wrap

# Objects are rebuilt when the flags change (SANITIZE=1, CC=clang, ...).
FLAGS_NOW = $(CC) $(CPPFLAGS) $(ALL_CFLAGS) $(LDFLAGS) $(LIBS)
.flags: FORCE
	@[ "$$(cat $@ 2>/dev/null)" = '$(FLAGS_NOW)' ] || echo '$(FLAGS_NOW)' >$@

cors-wrap: $(OBJS)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $(OBJS) $(LIBS)

%.o: %.c .flags
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

-include $(OBJS:.o=.d)

deps-build:
	@bash tests/deps.sh build

check: deps-check
	$(MAKE) cors-wrap
	bash tests/run

deps-check:
	@bash tests/deps.sh check

# The performance comparison of README "Performance" (bench/run): real
# servers on 127.0.0.1, minutes of load.  Never part of check.  The
# bench-only programs are built like cors-wrap (same flags and linking),
# so that what differs between them is the work each does.
BENCH_BIN = build/bench/execwrap build/bench/fcgi204 build/bench/stream \
	    build/bench/decide_bench
LIB_OBJS = $(LIB_SRCS:.c=.o)

bench: deps-bench cors-wrap $(BENCH_BIN)
	bash bench/run

deps-bench:
	@bash tests/deps.sh bench

build/bench/execwrap: bench/execwrap.c .flags
	@mkdir -p build/bench
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) $(LDFLAGS) -o $@ bench/execwrap.c

build/bench/fcgi204: bench/fcgi204.c .flags
	@mkdir -p build/bench
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) $(LDFLAGS) -o $@ bench/fcgi204.c -lfcgi

# Static: the scripts' own memory stays out of the wrapper's peak RSS.
build/bench/stream: bench/stream.c .flags
	@mkdir -p build/bench
	$(CC) $(CPPFLAGS) -std=c11 $(WARN) -O2 -static -o $@ bench/stream.c

build/bench/decide_bench: bench/decide_bench.c $(LIB_OBJS) .flags
	@mkdir -p build/bench
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) $(LDFLAGS) -o $@ bench/decide_bench.c \
	    $(LIB_OBJS) $(LIBS)

demo:
	@bash tests/deps.sh build demo
	$(MAKE) cors-wrap
	bash etc/demo.sh

install: cors-wrap
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 \
	    $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(DOCDIR)/examples
	install -m 755 cors-wrap $(DESTDIR)$(BINDIR)/cors-wrap
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
	    -e 's|/usr/local/share/doc/cors-wrap|$(DOCDIR)|g' {} +

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/cors-wrap \
	    $(DESTDIR)$(MANDIR)/man1/cors-wrap.1 \
	    $(DESTDIR)$(MANDIR)/man5/cors-wrap.ini.5
	rm -rf $(DESTDIR)$(DOCDIR)

# Static analysis: both clean, or each waiver justified in .clang-tidy.
lint:
	cppcheck -q --enable=warning,performance,portability --std=c11 \
	    -D_GNU_SOURCE --inline-suppr --error-exitcode=1 cors-wrap.c lib/*.c
	clang-tidy --quiet cors-wrap.c lib/*.c -- -std=c11 -D_GNU_SOURCE \
	    -I/usr/include/iniparser

clean:
	rm -f cors-wrap .flags $(OBJS) $(OBJS:.o=.d)
	rm -rf build/bench

.PHONY: all bench check deps-bench deps-build deps-check demo install lint \
	uninstall clean FORCE
