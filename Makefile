# shualian -- one GNU Makefile for the library, the program, tests, benches.
#
#   make                 library (static + shared), build/shualian and
#                        build/shualian-dev (dev tools: benches, crash test)
#   make test            unit + differential tests (build/shualian-tests)
#   make check           every test layer (scripts/check.sh): what CI runs
#   make bench           all benchmarks (bench/)
#   make SANITIZER=address test   ASan+UBSan build in build-asan/
#   make fuzz            libFuzzer targets (clang) in build-fuzz/
#   make install [PREFIX=/usr/local] [DESTDIR=]
#   make clean
#
# Sources are discovered: every src/<module>/*.c goes into libshualian,
# cli/*.c (library tools: public API only) and app/*.c (the server's commands:
# the composition root that wires the internal modules) into the program,
# dev/*.c (+ cli/util.c, face_opts.c) into the development
# program shualian-dev (not installed), tests/unit/*.c into the test binary.
# Files named *_avx2.c / *_avx512.c are compiled with those instruction sets
# enabled (on x86-64) and are only called after sl_cpu_features() says the
# CPU has them.

VERSION  := 0.1.0
PREFIX   ?= /usr/local
CC       ?= cc
SANITIZER ?=
XNNPACK  ?= 1

ifeq ($(SANITIZER),address)
  BUILD  ?= build-asan
  SANFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
  OPT    ?= -O1
else ifeq ($(SANITIZER),fuzzer)
  # libFuzzer build (make fuzz): clang, ASan+UBSan, no XNNPACK (the fuzz
  # targets exercise parsers), warnings reported but not fatal under clang.
  BUILD  ?= build-fuzz
  CC     := clang
  SANFLAGS := -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer
  OPT    ?= -O1
  XNNPACK := 0
  FUZZ_NOWERROR := -Wno-error
else ifeq ($(SANITIZER),thread)
  BUILD  ?= build-tsan
  SANFLAGS := -fsanitize=thread
  OPT    ?= -O1
else
  BUILD  ?= build
  SANFLAGS :=
  OPT    ?= -O2
endif

WARN     := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wvla \
            -Wformat=2 -Werror=implicit-function-declaration
CFLAGS   ?= $(OPT) -g
# libpq's header directory (the server store, src/store/pg.c)
PG_INCLUDE ?= $(shell pg_config --includedir 2>/dev/null || echo /usr/include/postgresql)
ALL_CFLAGS := -std=c17 -D_GNU_SOURCE $(WARN) $(FUZZ_NOWERROR) $(CFLAGS) $(SANFLAGS) -fPIC \
            -fvisibility=hidden -Iinclude -Isrc -I$(PG_INCLUDE) -MMD -MP \
            -DSL_VERSION='"$(VERSION)"'
LDFLAGS  ?=
LIBS     := -ljpeg -lpng16 -lz -ljansson -lsodium -lcrypto -lpthread -lm
# the server store (src/store/): SQLite and PostgreSQL (libpq)
LIBS     += -lsqlite3 -lpq
# the HTTP server (src/http)
LIBS     += -lmicrohttpd
# printables (src/print): PDF via cairo + pango, QR codes via libqrencode
PRINT_PKGS := pangocairo libqrencode
ALL_CFLAGS += $(patsubst -I%,-isystem %,$(shell pkg-config --cflags $(PRINT_PKGS)))
LIBS     += $(shell pkg-config --libs $(PRINT_PKGS))
# identity-code QR: render (libqrencode) and read from a camera frame (libzbar)
LIBS     += -lqrencode -lzbar
ifeq ($(XNNPACK),1)
  ALL_CFLAGS += -DSL_HAVE_XNNPACK=1
  LIBS     += -lXNNPACK -lpthreadpool
endif

# The target architecture decides the ISA files: *_avx2.c / *_avx512.c get
# their -m flags only on x86-64 (elsewhere they compile to nothing: their
# contents are under #if defined(__x86_64__)), *_neon.c are built only on
# aarch64. `make CC=aarch64-linux-gnu-gcc XNNPACK=0` cross-builds for ARM
# (tests/suites/16-aarch64.sh).
TARGET_ARCH_NAME := $(firstword $(subst -, ,$(shell $(CC) -dumpmachine 2>/dev/null)))
ifeq ($(TARGET_ARCH_NAME),x86_64)
  AVX2_FLAGS   := -mavx2 -mfma -mf16c
  AVX512_FLAGS := $(AVX2_FLAGS) -mavx512f -mavx512bw -mavx512dq -mavx512vl -mavx512vnni
else
  AVX2_FLAGS   :=
  AVX512_FLAGS :=
endif

LIB_SRC  := $(sort $(wildcard src/*/*.c))
ifneq ($(TARGET_ARCH_NAME),aarch64)
  LIB_SRC := $(filter-out %_neon.c,$(LIB_SRC))
endif
ifneq ($(XNNPACK),1)
  LIB_SRC := $(filter-out %_xnnpack.c,$(LIB_SRC))
endif
CLI_SRC  := $(sort $(wildcard cli/*.c))
APP_SRC  := $(sort $(wildcard app/*.c))
DEV_SRC  := $(sort $(wildcard dev/*.c))
TEST_SRC := $(sort $(wildcard tests/unit/*.c))
LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/%.o) $(BUILD)/gen/calendar_data.o
CLI_OBJ  := $(CLI_SRC:%.c=$(BUILD)/%.o)
APP_OBJ  := $(APP_SRC:%.c=$(BUILD)/%.o)
DEV_OBJ  := $(DEV_SRC:%.c=$(BUILD)/%.o) $(BUILD)/cli/util.o $(BUILD)/cli/face_opts.o \
            $(BUILD)/cli/progress.o
TEST_OBJ := $(TEST_SRC:%.c=$(BUILD)/%.o)

.PHONY: all lib test check bench bench-id bench-img bench-nn bench-index bench-face bench-serve bench-hall install uninstall clean fuzz fuzz-targets
all: $(BUILD)/shualian $(BUILD)/shualian-dev $(BUILD)/libshualian.so $(BUILD)/shualian-tests

lib: $(BUILD)/libshualian.a $(BUILD)/libshualian.so

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c $< -o $@

$(BUILD)/%_avx2.o: %_avx2.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(AVX2_FLAGS) -c $< -o $@

$(BUILD)/%_avx512.o: %_avx512.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(AVX512_FLAGS) -c $< -o $@

$(BUILD)/libshualian.a: $(LIB_OBJ)
	@rm -f $@
	$(AR) rcs $@ $^

$(BUILD)/libshualian.so: $(LIB_OBJ)
	$(CC) -shared $(SANFLAGS) $(LDFLAGS) -Wl,-soname,libshualian.so.0 -o $@ $^ $(LIBS)

$(BUILD)/shualian: $(CLI_OBJ) $(APP_OBJ) $(BUILD)/libshualian.a
	$(CC) $(SANFLAGS) $(LDFLAGS) -o $@ $(CLI_OBJ) $(APP_OBJ) $(BUILD)/libshualian.a $(LIBS)

# shualian-dev links the server's commands (app/) too: `hall serve` runs
# cmd_serve with a bench step (dev/hall_serve.c); shualian has none of dev/.
$(BUILD)/shualian-dev: $(DEV_OBJ) $(APP_OBJ) $(BUILD)/libshualian.a
	$(CC) $(SANFLAGS) $(LDFLAGS) -o $@ $(DEV_OBJ) $(APP_OBJ) $(BUILD)/libshualian.a $(LIBS)

# The test table is generated from every SL_TEST(module, name) in tests/unit.
$(BUILD)/gen/tests.def: $(TEST_SRC)
	@mkdir -p $(dir $@)
	@grep -ho '^SL_TEST([a-z0-9_]*, *[a-z0-9_]*)' $(TEST_SRC) | \
	  sed 's/^SL_TEST/SL_TEST_ENTRY/' > $@.tmp && mv $@.tmp $@

# The shipped working-day calendar, compiled in (sl_calendar_builtin).
$(BUILD)/gen/calendar_data.c: share/shualian/calendar-cn.txt
	@mkdir -p $(dir $@)
	@{ echo '/* Generated from $< by the Makefile. */'; \
	   echo '#include <stddef.h>'; \
	   echo 'const char sl__calendar_cn[] = {'; \
	   od -An -v -tx1 $< | sed 's/\([0-9a-f][0-9a-f]\)/0x\1,/g'; \
	   echo '0 };'; \
	   echo 'const size_t sl__calendar_cn_len = sizeof sl__calendar_cn - 1;'; } > $@.tmp && mv $@.tmp $@

$(BUILD)/gen/calendar_data.o: $(BUILD)/gen/calendar_data.c
	$(CC) $(ALL_CFLAGS) -c $< -o $@

# where the installed face calibration table is looked up (pipeline_calib.c)
$(BUILD)/src/face/pipeline_calib.o $(BUILD)/app/cmd_matters.o $(BUILD)/app/cmd_serve.o $(BUILD)/app/demo.o $(BUILD)/src/gov/app.o: ALL_CFLAGS += -DSL_DATADIR='"$(PREFIX)/share"'

$(BUILD)/tests/unit/main.o: $(BUILD)/gen/tests.def
$(BUILD)/tests/unit/%.o: ALL_CFLAGS += -I$(BUILD)/gen -Itests/unit

$(BUILD)/shualian-tests: $(TEST_OBJ) $(BUILD)/libshualian.a
	$(CC) $(SANFLAGS) $(LDFLAGS) -o $@ $(TEST_OBJ) $(BUILD)/libshualian.a $(LIBS)

# ONNX's own node tests against the engine (tests/suites/55-onnx-node.sh);
# a separate program because it uses internal symbols (sl__nn_*).
ONNX_NODE_SRC := $(sort $(wildcard tests/onnx_node/*.c))
$(BUILD)/onnx-node-test: $(ONNX_NODE_SRC:%.c=$(BUILD)/%.o) $(BUILD)/libshualian.a
	$(CC) $(SANFLAGS) $(LDFLAGS) -o $@ $(ONNX_NODE_SRC:%.c=$(BUILD)/%.o) $(BUILD)/libshualian.a $(LIBS)

test: $(BUILD)/shualian-tests $(BUILD)/shualian
	SL_ROOT=$(CURDIR) $(BUILD)/shualian-tests

check:
	scripts/check.sh

# Benchmarks (bench/): each writes its section of docs/BENCHMARKS.md.
bench: bench-img bench-nn bench-index bench-face bench-id

bench-img: $(BUILD)/shualian $(BUILD)/shualian-dev
	bench/img.sh

# ONNX engine vs onnxruntime-node; writes docs/BENCHMARKS.md section "nn".
bench-nn: $(BUILD)/shualian $(BUILD)/shualian-dev
	node bench/nn_bench.js --bin $(BUILD)/shualian --dev $(BUILD)/shualian-dev --write

# Face pipeline vs the npm package's processing on onnxruntime-node;
# writes docs/BENCHMARKS.md section "face".
bench-face: $(BUILD)/shualian $(BUILD)/shualian-dev
	bench/face.sh

# libFuzzer targets: one per tests/fuzz/fuzz_*.c, built by clang into
# build-fuzz/ with the same per-file ISA rules and header dependencies.
FUZZ_SRC := $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_OBJ := $(FUZZ_SRC:%.c=$(BUILD)/%.o)
fuzz:
	$(MAKE) SANITIZER=fuzzer fuzz-targets
fuzz-targets: $(FUZZ_SRC:tests/fuzz/%.c=$(BUILD)/%)
$(BUILD)/fuzz_%: $(BUILD)/tests/fuzz/fuzz_%.o $(BUILD)/libshualian.a
	$(CC) $(SANFLAGS) -fsanitize=fuzzer $(LDFLAGS) -o $@ $< $(BUILD)/libshualian.a $(LIBS)

install: $(BUILD)/shualian $(BUILD)/libshualian.a $(BUILD)/libshualian.so
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib/pkgconfig \
	  $(DESTDIR)$(PREFIX)/include/shualian $(DESTDIR)$(PREFIX)/share/man/man1
	install -m 755 $(BUILD)/shualian $(DESTDIR)$(PREFIX)/bin/shualian
	install -m 644 $(BUILD)/libshualian.a $(DESTDIR)$(PREFIX)/lib/
	install -m 755 $(BUILD)/libshualian.so $(DESTDIR)$(PREFIX)/lib/libshualian.so.$(VERSION)
	ln -sf libshualian.so.$(VERSION) $(DESTDIR)$(PREFIX)/lib/libshualian.so.0
	ln -sf libshualian.so.0 $(DESTDIR)$(PREFIX)/lib/libshualian.so
	install -m 644 include/shualian/*.h $(DESTDIR)$(PREFIX)/include/shualian/
	install -d $(DESTDIR)$(PREFIX)/share/shualian
	install -m 644 share/shualian/face-calib.json share/shualian/calendar-cn.txt $(DESTDIR)$(PREFIX)/share/shualian/
	install -d $(DESTDIR)$(PREFIX)/share/shualian/matters
	install -m 644 share/shualian/matters/*.json $(DESTDIR)$(PREFIX)/share/shualian/matters/
	install -d $(DESTDIR)$(PREFIX)/share/shualian/exchange
	install -m 644 share/shualian/exchange/*.json share/shualian/exchange/README.md $(DESTDIR)$(PREFIX)/share/shualian/exchange/
	install -d $(DESTDIR)$(PREFIX)/share/shualian/demo
	install -m 644 share/shualian/demo/*.json share/shualian/demo/README.md $(DESTDIR)$(PREFIX)/share/shualian/demo/
	install -m 644 man/shualian.1 $(DESTDIR)$(PREFIX)/share/man/man1/
	install -d $(DESTDIR)$(PREFIX)/share/shualian/systemd $(DESTDIR)$(PREFIX)/share/shualian/nginx
	sed -e 's|/usr/local/bin/shualian|$(PREFIX)/bin/shualian|' share/shualian/systemd/shualian.service \
	  > $(DESTDIR)$(PREFIX)/share/shualian/systemd/shualian.service
	install -m 644 share/shualian/nginx/shualian.conf $(DESTDIR)$(PREFIX)/share/shualian/nginx/
	sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@VERSION@|$(VERSION)|g' \
	  -e 's|@LIBS@|$(LIBS)|g' scripts/shualian.pc.in > $(DESTDIR)$(PREFIX)/lib/pkgconfig/shualian.pc

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/shualian $(DESTDIR)$(PREFIX)/lib/libshualian.* \
	  $(DESTDIR)$(PREFIX)/lib/pkgconfig/shualian.pc $(DESTDIR)$(PREFIX)/share/man/man1/shualian.1
	rm -rf $(DESTDIR)$(PREFIX)/include/shualian $(DESTDIR)$(PREFIX)/share/shualian

clean:
	rm -rf build build-asan build-tsan build-fuzz build-aarch64

-include $(LIB_OBJ:.o=.d) $(CLI_OBJ:.o=.d) $(APP_OBJ:.o=.d) $(DEV_OBJ:.o=.d) $(TEST_OBJ:.o=.d) $(FUZZ_OBJ:.o=.d)

# The index benchmark table (bench/index.sh; docs/BENCHMARKS.md "index").
bench-index: $(BUILD)/shualian-dev
	bench/index.sh

# The server: /healthz req/s, /v1/faces/compare with 2 workers vs the
# in-process engine on the same images (bench/serve.sh; needs wrk).
$(BUILD)/bench-verify: bench/verify_inproc.c $(BUILD)/libshualian.a
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $< $(BUILD)/libshualian.a $(LIBS)
bench-serve: $(BUILD)/shualian $(BUILD)/bench-verify
	S=$(BUILD)/shualian bench/serve.sh
# The hall: exact watchlist check at 300,000 entries, the library search at
# SL_HALL_N persons (default 100,000; IVF from 200,000) with recall@1 and the
# cache load, identify over HTTP (bench/hall_http.sh), the cache load from a
# store filled with SL_HALL_LOAD_SIZES persons (bench/hall_load.sh); docs/BENCHMARKS.md.
bench-hall: $(BUILD)/shualian-tests $(BUILD)/shualian $(BUILD)/shualian-dev
	SL_SLOW=1 $(BUILD)/shualian-tests hall/watch_scan_cost
	SL_SLOW=1 $(BUILD)/shualian-tests hall/ident_scan_cost
	S=$(BUILD)/shualian D=$(BUILD)/shualian-dev bench/hall_http.sh
	S=$(BUILD)/shualian D=$(BUILD)/shualian-dev bench/hall_load.sh

# Cost per call of each src/crypto operation, both suites (bench/crypto_bench.c;
# numbers quoted in docs/crypto.md).
$(BUILD)/crypto-bench: $(BUILD)/bench/crypto_bench.o $(BUILD)/libshualian.a
	$(CC) $(SANFLAGS) $(LDFLAGS) -o $@ $< $(BUILD)/libshualian.a $(LIBS)
bench-crypto: $(BUILD)/crypto-bench
	$(BUILD)/crypto-bench

# Applications auto-approved per second over HTTP (SQLite, PostgreSQL) and
# calendar arithmetic per second (bench/gov.sh; numbers in docs/matters.md).
$(BUILD)/gov-cal-bench: $(BUILD)/bench/gov_cal_bench.o $(BUILD)/libshualian.a
	$(CC) $(SANFLAGS) $(LDFLAGS) -o $@ $< $(BUILD)/libshualian.a $(LIBS)
bench-gov: $(BUILD)/shualian $(BUILD)/gov-cal-bench
	bench/gov.sh
# Identity codes issued and checked per second, both suites
# (bench/idcode_bench.c; numbers in docs/BENCHMARKS.md "identity codes").
$(BUILD)/idcode-bench: $(BUILD)/bench/idcode_bench.o $(BUILD)/libshualian.a
	$(CC) $(SANFLAGS) $(LDFLAGS) -o $@ $< $(BUILD)/libshualian.a $(LIBS)
.PHONY: bench-idcode
bench-idcode: $(BUILD)/idcode-bench
	$(BUILD)/idcode-bench
# Registry import rate, the window first visit and the 5-frame verification
# session through HTTP (2 workers), identity codes per second (bench/id.sh;
# numbers in docs/BENCHMARKS.md "id").
bench-id: $(BUILD)/shualian $(BUILD)/idcode-bench
	S=$(BUILD)/shualian bench/id.sh
