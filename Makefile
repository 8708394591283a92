# lua-mautic: `make demo` and `make test` do all the set-up on a fresh Debian 12.
CC      ?= cc
CSTD     = -std=c99 -D_POSIX_C_SOURCE=200809L
WARN     = -Wall -Wextra -Werror
CFLAGS  ?= -O2
LIBS     = -lcurl -lcrypto
SRC      = $(wildcard src/*.c)
HDR      = $(wildcard src/*.h)

PACKAGES = lua5.1 liblua5.1-0-dev lua5.2 liblua5.2-dev lua5.3 liblua5.3-dev lua5.4 liblua5.4-dev \
           luajit2 libluajit2-5.1-dev lua-cjson lua-cjson-dev libcurl4-openssl-dev libssl-dev \
           lua-busted lua-check luarocks nginx libnginx-mod-http-lua \
           lua-resty-core valgrind pkg-config cppcheck curl openssl wrk \
           haproxy redis-server lua-luv python3

# what `make fidelity` needs besides the fake's own nginx: PHP and the PHP client suite's libraries
FIDELITY_PACKAGES = nginx libnginx-mod-http-lua curl python3 php-cli php-curl php-xml php-mbstring phpunit \
           php-guzzlehttp-guzzle php-guzzlehttp-psr7 php-guzzlehttp-promises php-psr-http-client \
           php-psr-http-message php-psr-http-factory php-psr-log
FIDELITY_SHARED  ?= $(abspath $(CURDIR)/..)/shared

# Every Lua ABI the core is built for: each of these whose interpreter and
# headers are installed. Read when make starts, so the targets that install
# packages first (test, demo) build through a second make.
ABIS    := $(foreach l,lua5.1 lua5.2 lua5.3 lua5.4 luajit,$(shell pkg-config --exists $(l) && command -v $(l) >/dev/null && echo $(l)))
CORES    = $(ABIS:%=build/%/mautic/core.so)
CORE_SAN = build/asan/mautic/core.so

.PHONY: all deps build test check demo fake fake-stop bench docs valgrind clean lint sanitize fidelity

all: build

# Install the Debian packages that are missing (uses sudo when not root).
deps:
	@missing=$$(for p in $(PACKAGES); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "installing:" $$missing; \
	  SUDO=; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing; \
	fi

build: $(CORES)
	@[ -n "$(ABIS)" ] || { echo "no Lua with headers found (make deps)"; exit 1; }

# build/<abi>/mautic/core.so: one folder per ABI (a core built for one Lua
# loads into another and misbehaves); never linked with -llua*.
build/%/mautic/core.so: $(SRC) $(HDR)
	@mkdir -p $(@D)
	$(CC) $(CSTD) $(CFLAGS) -fPIC -shared $(WARN) $$(pkg-config --cflags $*) $(SRC) -o $@ $(LIBS)
	@chmod -R a+rX build

$(CORE_SAN): $(SRC) $(HDR)
	@mkdir -p $(@D)
	$(CC) $(CSTD) -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined \
	  -fPIC -shared $(WARN) $$(pkg-config --cflags lua5.4) $(SRC) -o $@ $(LIBS)

# Every spec, under every Lua built for, then the fake server's own specs
# (bin/run-specs: groups of spec files side by side, each against a fake
# server of its own; SPEC_JOBS groups at a time). LUA=lua5.4 (or several,
# LUA="lua5.1 luajit") runs the specs of that Lua only, not the fake's.
LUA ?=
test: deps
	@$(MAKE) --no-print-directory build
	@bin/run-specs $(LUA)

# Static checks and the sanitizer run.
check: deps
	@$(MAKE) --no-print-directory build lint sanitize

lint:
	luacheck --no-color -q lua spec examples bin/gen-docs bin/mautic
	cppcheck --quiet --enable=warning,performance,portability --inline-suppr --suppress=toomanyconfigs --error-exitcode=1 \
	  -I src $$(pkg-config --cflags-only-I lua5.4) src

# The specs under AddressSanitizer/UBSan. The sanitizer runtime is preloaded
# into busted only (SPEC_PRELOAD), never into the nginx servers specs start.
# Lua itself is not instrumented, so leak detection is left to `make valgrind`.
sanitize: $(CORE_SAN)
	@MAUTIC_CORE_DIR=build/asan \
	  SPEC_PRELOAD="$$($(CC) -print-file-name=libasan.so) $$($(CC) -print-file-name=libubsan.so)" \
	  ASAN_OPTIONS=detect_leaks=0 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
	  bin/run-specs asan

# Every spec under valgrind's leak check (Lua 5.4); slow, so not part of `check`.
valgrind: build
	@bin/run-specs valgrind

# The official PHP client's test suite against a fresh fake, compared test by test with its
# results against a real Mautic 5.1 (../shared/peer-suites/mautic-api-library; without
# ../shared it says so and succeeds). See tools/fake/fidelity.
fidelity:
	@if [ -d "$(FIDELITY_SHARED)/peer-suites/mautic-api-library" ]; then \
	  $(MAKE) --no-print-directory deps PACKAGES="$(FIDELITY_PACKAGES)"; fi
	@FIDELITY_SHARED="$(FIDELITY_SHARED)" tools/fake/fidelity

demo: deps
	@$(MAKE) --no-print-directory build
	@bin/demo

fake: deps
	@bin/fake-mautic start

fake-stop:
	@bin/fake-mautic stop

bench: deps
	@$(MAKE) --no-print-directory build
	@bin/bench

docs:
	@lua5.4 bin/gen-docs > doc/REFERENCE.md && echo "doc/REFERENCE.md written"

clean:
	rm -rf build

# libFuzzer (clang, ASan + UBSan) over core.json_decode for FUZZ_TIME seconds;
# not part of `make test`. Corpus and crashing inputs stay in build/fuzz/.
FUZZ_TIME ?= 60
.PHONY: fuzz
fuzz:
	@spec/fuzz/run $(FUZZ_TIME)
