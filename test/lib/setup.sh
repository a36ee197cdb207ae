# shellcheck shell=bash
#
# setup.sh: install what sealpost needs on Debian 12 and build it.
# Sourced by test/run-tests.sh and test/demo.sh (from the repo root):
#
#	sp_install_deps		apt-get install the packages below (once)
#	sp_build DIR [CMAKE_ARGS...]	cmake + make -j2 in DIR
#
# Installing is skipped when every package is already installed; tests
# are never skipped.

SP_ROOT=${SP_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}

# Build: compiler, CMake, the libraries.  Tests: cmocka, Postfix (private
# instances, smtp-sink, smtp-source), swaks, miltertest (its own package in Debian 12),
# jq, clang (libFuzzer), iproute2 (ss: free-port checks), perl (MIME
# decoding in the harness).  Portal tests: curl (t-portal-e2e), chromium
# and a font for its screenshots (t-browser; node and playwright-core come
# from sp_install_browser), faketime (t-retention runs sealpost-admin
# purge days ahead under libfaketime).
SP_PACKAGES=(
	build-essential cmake pkg-config
	libmilter-dev libssl-dev libsodium-dev liblmdb-dev libgmime-3.0-dev
	libevent-dev libcmocka-dev
	postfix swaks miltertest opendkim-tools jq clang iproute2 perl procps
	curl chromium fonts-dejavu-core faketime
)

sp_log()
{
	printf '==> %s\n' "$*" >&2
}

sp_missing_packages()
{
	local p
	for p in "${SP_PACKAGES[@]}"; do
		if ! dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null |
		    grep -q '^install ok installed$'; then
			printf '%s\n' "$p"
		fi
	done
}

sp_install_deps()
{
	local -a missing
	mapfile -t missing < <(sp_missing_packages)
	if [[ ${#missing[@]} -eq 0 ]]; then
		sp_log "all packages present, skipping apt-get"
		sp_install_browser
		return
	fi
	if [[ $(id -u) -ne 0 ]]; then
		sp_log "missing packages: ${missing[*]}; run as root to install them"
		return 1
	fi
	sp_log "installing: ${missing[*]}"
	# Postfix with no system configuration: the tests run private
	# instances and never touch /etc/postfix/main.cf.
	echo "postfix postfix/main_mailer_type select No configuration" |
	    debconf-set-selections
	export DEBIAN_FRONTEND=noninteractive
	# Another apt run may hold the dpkg lock: wait for it (10 min).
	sp_apt update -q || return 1
	sp_apt install -y -q --no-install-recommends "${missing[@]}" || return 1
	sp_install_browser
}

# node, npm and test/browser/node_modules (playwright-core, pinned by
# package-lock.json) for t-browser.  Debian's nodejs and npm when there is
# no node at all; a node from elsewhere (e.g. NodeSource, which bundles
# npm and conflicts with Debian's npm package) is kept.  npm ci runs when
# node_modules is missing or older than the lock file.
sp_install_browser()
{
	local dir=$SP_ROOT/test/browser
	export DEBIAN_FRONTEND=noninteractive
	if ! command -v node >/dev/null 2>&1; then
		sp_log "installing nodejs and npm"
		sp_apt install -y -q --no-install-recommends nodejs npm || return 1
	elif ! command -v npm >/dev/null 2>&1; then
		sp_log "installing npm"
		sp_apt install -y -q --no-install-recommends npm || return 1
	fi
	if [[ -f $dir/node_modules/.package-lock.json &&
	    ! $dir/package-lock.json -nt $dir/node_modules/.package-lock.json ]]; then
		return 0
	fi
	sp_log "npm ci in $dir"
	(cd "$dir" && npm ci --no-audit --no-fund) || return 1
}

# apt-get, waiting for the dpkg lock, and tried again after a failure
# (a lock held by another run).
sp_apt()
{
	local i
	for i in 1 2 3; do
		apt-get -o DPkg::Lock::Timeout=600 "$@" && return 0
		sp_log "apt-get $1 failed (try $i of 3)"
		sleep 20
	done
	return 1
}

# sp_build DIR [CMAKE_ARGS...]
sp_build()
{
	local dir=$1
	shift
	sp_log "building in $dir $*"
	cmake -S "$SP_ROOT" -B "$dir" "$@" || return 1
	cmake --build "$dir" -j2 || return 1
}
