# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
OUTPUT := .output
CLANG ?= clang
BPFTOOL ?= bpftool
CC ?= cc
ARCH ?= $(shell uname -m | sed 's/x86_64/x86/' | sed 's/aarch64/arm64/' \
			 | sed 's/ppc64le/powerpc/' | sed 's/mips.*/mips/' \
			 | sed 's/riscv64/riscv/' | sed 's/loongarch64/loongarch/')
VMLINUX := vmlinux/$(ARCH)/vmlinux.h
VERSION := 0.1.0

WERROR ?= -Werror
CFLAGS ?= -g -O2
CFLAGS += -Wall -Wextra $(WERROR) -std=gnu11 -D_GNU_SOURCE -DTCPWT_VERSION=\"$(VERSION)\"
INCLUDES := -I$(OUTPUT) -Ibpf -Isrc
LIBS := -lbpf -lelf -lz -lmnl -lmicrohttpd -lcap -lpthread
# The unit tests parse our JSON back with a real parser.
TEST_LIBS := $(LIBS) -ljansson
BPF_CFLAGS := -g -O2 -Wall $(WERROR) -target bpf -D__TARGET_ARCH_$(ARCH) \
	      -I$(dir $(VMLINUX)) -Ibpf

# Everything but main.c, so unit tests link the same objects.
CORE_SRCS := cli hist table addrpool tracker snapshot agg owner sockdiag jsonw report export http privs delivery merge
CORE_OBJS := $(patsubst %,$(OUTPUT)/%.o,$(CORE_SRCS))
TEST_SRCS := $(wildcard tests/unit/*.c)

ifeq ($(V),1)
	Q =
	msg =
else
	Q = @
	msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

.PHONY: all clean test unit bench soak deps fuzz
all: tcpwaittrace $(OUTPUT)/tcpwl

deps:
	$(Q)tools/install-deps.sh

$(OUTPUT):
	$(call msg,MKDIR,$@)
	$(Q)mkdir -p $@

# BPF objects and their skeletons: the tracer's, and the benchmark's empty
# calibration programs.
$(OUTPUT)/%.bpf.o: bpf/%.bpf.c bpf/tcpwaittrace.h $(VMLINUX) | $(OUTPUT)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $(@:.o=.tmp.o)
	$(Q)$(BPFTOOL) gen object $@ $(@:.o=.tmp.o)

$(OUTPUT)/%.skel.h: $(OUTPUT)/%.bpf.o | $(OUTPUT)
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name $*_bpf > $@

$(OUTPUT)/bench-empty: tools/bench-empty.c $(OUTPUT)/empty.skel.h
	$(call msg,BINARY,$@)
	$(Q)$(CC) $(CFLAGS) $(INCLUDES) $< $(LIBS) -o $@

# Only the loader includes the skeleton.
$(OUTPUT)/loader.o: src/loader.c $(OUTPUT)/tcpwaittrace.skel.h
$(OUTPUT)/%.o: src/%.c $(wildcard src/*.h) bpf/tcpwaittrace.h | $(OUTPUT)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $(INCLUDES) -c $< -o $@

tcpwaittrace: $(OUTPUT)/main.o $(OUTPUT)/loader.o $(CORE_OBJS)
	$(call msg,BINARY,$@)
	$(Q)$(CC) $(CFLAGS) $^ $(LIBS) -o $@

$(OUTPUT)/tcpwl: tools/tcpwl.c | $(OUTPUT)
	$(call msg,CC,$@)
	$(Q)$(CC) $(filter-out -D_GNU_SOURCE,$(CFLAGS)) -pthread $< -o $@

$(OUTPUT)/unit-tests: $(TEST_SRCS) $(CORE_OBJS) $(wildcard tests/unit/*.h)
	$(call msg,BINARY,$@)
	$(Q)$(CC) $(CFLAGS) $(INCLUDES) -Itests/unit $(TEST_SRCS) $(CORE_OBJS) $(TEST_LIBS) -o $@

$(OUTPUT)/bench-report: tools/bench-report.c $(CORE_OBJS)
	$(call msg,BINARY,$@)
	$(Q)$(CC) $(CFLAGS) $(INCLUDES) $^ $(LIBS) -o $@

$(OUTPUT)/bench-memory: tools/bench-memory.c $(CORE_OBJS)
	$(call msg,BINARY,$@)
	$(Q)$(CC) $(CFLAGS) $(INCLUDES) $^ $(LIBS) -o $@

bench: all $(OUTPUT)/bench-report $(OUTPUT)/bench-empty $(OUTPUT)/bench-memory
	$(Q)tools/bench.sh

SOAK_SECS ?= 3600
soak: all
	$(Q)tools/soak.sh $(SOAK_SECS)

# The unit tests again under ASan and UBSan, every source compiled in.
SAN_FLAGS := -g -O1 -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
$(OUTPUT)/unit-tests-san: $(TEST_SRCS) $(patsubst %,src/%.c,$(CORE_SRCS)) $(wildcard src/*.h) $(wildcard tests/unit/*.h) | $(OUTPUT)
	$(call msg,BINARY,$@)
	$(Q)clang $(SAN_FLAGS) -Wall -Wextra $(WERROR) -std=gnu11 -D_GNU_SOURCE $(INCLUDES) -Itests/unit \
		$(TEST_SRCS) $(patsubst %,src/%.c,$(CORE_SRCS)) $(TEST_LIBS) -o $@

# libFuzzer harnesses: make fuzz runs each for FUZZ_SECS on top of its corpus.
FUZZ_SECS ?= 30
$(OUTPUT)/fuzz_%: tests/fuzz/fuzz_%.c $(patsubst %,src/%.c,$(CORE_SRCS)) $(wildcard src/*.h) | $(OUTPUT)
	$(call msg,FUZZER,$@)
	$(Q)clang -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -std=gnu11 \
		-D_GNU_SOURCE $(INCLUDES) $< $(patsubst %,src/%.c,$(CORE_SRCS)) $(LIBS) -o $@

fuzz: $(OUTPUT)/fuzz_events $(OUTPUT)/fuzz_cli
	$(Q)tests/fuzz/run.sh $(FUZZ_SECS)

unit: $(OUTPUT)/unit-tests
	$(Q)$(OUTPUT)/unit-tests

test: all $(OUTPUT)/unit-tests
	$(Q)tests/run.sh

clean:
	$(call msg,CLEAN)
	$(Q)rm -rf $(OUTPUT) tcpwaittrace

.DELETE_ON_ERROR:
.SECONDARY:
