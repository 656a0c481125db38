# Tapster — the two commands the README names:
#   make run     build (release) and start the control plane on 127.0.0.1:7380 with ./tapster-data, and this
#                host's agent in the same process (tapster serve --with-agent)
#   make test    install what tests need, check the OpenAPI document, build, and run every test
#                (PostgreSQL is started on 127.0.0.1:55432 for the store tests, and Podman's API service for the
#                container tests, scripts/podman-for-tests.sh, and containerd's CRI for the pod tests,
#                scripts/containerd-for-tests.sh, and Keystone for the Keystone token tests,
#                scripts/keystone-for-tests.sh; all are stopped afterwards)
#
# Variables (override on the command line, e.g. `make run ARGS="--listen 127.0.0.1:9090"`):
#   SCRATCH      SwiftPM build folder, outside the clone so builds are reused (default /var/cache/tapster/build,
#                or ./.build when that is not writable)
#   BIN          where the release executable is (default $(SCRATCH)/release)
#   DATA_DIR     `make run`'s data directory (default ./tapster-data)
#   ARGS         more arguments for `tapster serve`
#   JOBS         parallel compile jobs (default: number of cores)
#   TEST_FILTER  only the tests matching this (swift test --filter), e.g. TEST_FILTER=PacketKitTests
#   TEST_FLAGS   more arguments for `swift test`
#   TEST_POSTGRES_URL  the PostgreSQL the tests use, exported as TAPSTER_TEST_POSTGRES_URL (default: the one
#                scripts/postgres-for-tests.sh starts, postgres://postgres@127.0.0.1:55432/postgres)

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
# Prerequisites run in the order written (deps, then checks, then builds), even under make -j.
.NOTPARALLEL:

ifneq ($(wildcard /opt/swift/usr/bin/swift),)
export PATH := /opt/swift/usr/bin:$(PATH)
endif

SWIFT ?= swift
DEFAULT_SCRATCH := /var/cache/tapster/build
ifeq ($(origin SCRATCH),undefined)
SCRATCH := $(shell mkdir -p $(DEFAULT_SCRATCH) 2>/dev/null && test -w $(DEFAULT_SCRATCH) && echo $(DEFAULT_SCRATCH) || echo $(CURDIR)/.build)
endif
BIN ?= $(SCRATCH)/release
DATA_DIR ?= ./tapster-data
ARGS ?=
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
TEST_FILTER ?=
TEST_FLAGS ?=
TEST_POSTGRES_URL ?=

SWIFT_FLAGS := --scratch-path $(SCRATCH) --jobs $(JOBS)
# Release builds: the Swift runtime and Foundation linked statically, lld with packed relative relocations, function
# sections placed by scripts/agent-symbol-order.txt and scripts/agent-text.lds (scripts/release-swift-flags says why;
# the same flags in scripts/build-image.sh and the benchmarks).
RELEASE_FLAGS := -c release $(shell grep -v '^\#' scripts/release-swift-flags)

.PHONY: help run build build-debug test build-tests check-openapi deps deps-run clean distclean

help:
	@echo "make run      build and start tapster serve (ARGS=... for more options)"
	@echo "make test     install test dependencies and run every test"
	@echo "make build    release build of the tapster and tapster-agent executables into $(BIN)"
	@echo "make clean    remove build products (keeps fetched packages); distclean removes $(SCRATCH)"

deps-run:
	@scripts/install-deps.sh --run

deps:
	@scripts/install-deps.sh

# A release build of one product, after removing executables older than the link inputs SwiftPM does not track
# (scripts/drop-stale-release.sh).
BUILD_PRODUCT := scripts/drop-stale-release.sh $(BIN) && $(SWIFT) build $(RELEASE_FLAGS) $(SWIFT_FLAGS) --product

# Both executables: `tapster`, and `tapster-agent` (the agent alone, for the hosts; Package.swift says why).
build: deps-run
	$(BUILD_PRODUCT) tapster
	$(BUILD_PRODUCT) tapster-agent

build-debug: deps-run
	$(SWIFT) build $(SWIFT_FLAGS)

# `tapster serve --with-agent` runs its agent in the same process: only `tapster` is built.
run: deps-run
	$(BUILD_PRODUCT) tapster
	exec $(BIN)/tapster serve --data-dir $(DATA_DIR) --with-agent $(ARGS)

check-openapi:
	@scripts/check-openapi.sh

build-tests: deps
	$(SWIFT) build --build-tests $(SWIFT_FLAGS)

# PostgreSQL runs only while the tests do; it is stopped whatever happens (failure, Ctrl-C),
# and the tests' exit status is what `make test` exits with.
test: deps check-openapi build-tests
	@stop_postgres() { scripts/postgres-for-tests.sh stop >/dev/null 2>&1 || true; }; \
	stop_podman() { scripts/podman-for-tests.sh stop >/dev/null 2>&1 || true; }; \
	stop_containerd() { scripts/containerd-for-tests.sh stop >/dev/null 2>&1 || true; }; \
	stop_oidc() { scripts/oidc-provider-for-tests.sh stop >/dev/null 2>&1 || true; }; \
	stop_keystone() { scripts/keystone-for-tests.sh stop >/dev/null 2>&1 || true; }; \
	trap 'stop_postgres; stop_podman; stop_containerd; stop_oidc; stop_keystone' EXIT; trap 'exit 130' INT; trap 'exit 143' TERM; \
	url=$$(scripts/postgres-for-tests.sh start); \
	podman_socket=$$(scripts/podman-for-tests.sh start); \
	echo "Podman for the tests (Docker Engine API): unix://$$podman_socket"; \
	export TAPSTER_TEST_CONTAINERD_SOCKET=$$(scripts/containerd-for-tests.sh start); \
	echo "containerd for the tests (CRI): unix://$$TAPSTER_TEST_CONTAINERD_SOCKET"; \
	export TAPSTER_TEST_OIDC_ISSUER=$$(scripts/oidc-provider-for-tests.sh start); \
	echo "OpenID Provider for the tests (oidc-provider-mock): $$TAPSTER_TEST_OIDC_ISSUER"; \
	export TAPSTER_TEST_KEYSTONE_URL=$$(scripts/keystone-for-tests.sh start); \
	echo "Keystone for the tests: $$TAPSTER_TEST_KEYSTONE_URL"; \
	export TAPSTER_TEST_POSTGRES_URL='$(TEST_POSTGRES_URL)'; \
	[[ -n $$TAPSTER_TEST_POSTGRES_URL ]] || TAPSTER_TEST_POSTGRES_URL=$$url; \
	echo "PostgreSQL for the tests: $$TAPSTER_TEST_POSTGRES_URL"; \
	echo "$(SWIFT) test --skip-build $(SWIFT_FLAGS) $(if $(TEST_FILTER),--filter '$(TEST_FILTER)') $(TEST_FLAGS)"; \
	status=0; log=$$(mktemp /tmp/tapster-swift-test-XXXXXX.log); \
	$(SWIFT) test --skip-build $(SWIFT_FLAGS) $(if $(TEST_FILTER),--filter '$(TEST_FILTER)') $(TEST_FLAGS) 2>&1 | tee "$$log" || status=$$?; \
	$(if $(TEST_FILTER),,SCRATCH='$(SCRATCH)' scripts/portal-tests.sh || status=$$?;) \
	$(if $(TEST_FILTER),,SCRATCH='$(SCRATCH)' scripts/schemathesis-tests.sh || status=$$?;) \
	if grep -aqE '^✘ (Test|Suite)' "$$log"; then \
		echo; echo "Swift tests that failed (the whole log is above):"; \
		grep -aE '^✘ Test .*(recorded an issue|failed after)|^✘ Test run' "$$log" | tail -n 60; \
	fi; \
	rm -f "$$log"; \
	exit $$status

clean:
	$(SWIFT) package clean --scratch-path $(SCRATCH)

distclean:
	rm -rf $(SCRATCH)
