#!/usr/bin/env bash
#
# Install the dependencies (Debian 12, as root), build, and run every test:
#  1. ./build: ctest --output-on-failure (unit, fuzz replay, miltertest,
#     end-to-end through a private Postfix);
#  2. ./build-asan (-DSEALPOST_SANITIZE=ON): the unit, fuzz replay, portal and
#     milter tests again under AddressSanitizer + UndefinedBehaviorSanitizer.
# Exits non-zero if any step fails; both test runs always happen.
# Works from any cwd: it runs from the repository root.
# SP_BUILD_DIR / SP_ASAN_DIR override the two build directories.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source test/lib/setup.sh

build=${SP_BUILD_DIR:-build}
asan=${SP_ASAN_DIR:-build-asan}

sp_install_deps

status=0
if sp_build "$build"; then
	sp_log "ctest in $build"
	(cd "$build" && ctest --output-on-failure -j2) || status=1
else
	sp_log "build failed"
	status=1
fi

if sp_build "$asan" -DSEALPOST_SANITIZE=ON; then
	sp_log "ctest in $asan (unit, fuzz, milter, portal)"
	# Abort on the first report so a test cannot pass over one.
	export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1}
	export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
	(cd "$asan" && ctest --output-on-failure -j2 -L 'unit|fuzz|milter|portal') || status=1
else
	sp_log "sanitizer build failed"
	status=1
fi

if [[ $status -eq 0 ]]; then
	sp_log "all tests passed"
else
	sp_log "FAILED"
fi
exit $status
