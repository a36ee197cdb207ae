# shellcheck shell=bash
#
# browser.sh: run a test/browser/*.spec.js in headless Chromium (Debian's
# chromium, driven by playwright-core from npm) against the portal of
# portal.sh.  Source it instead of portal.sh, then:
#
#	h_browser_require	fail unless chromium, node and
#				playwright-core are installed
#	h_browser_run SPEC [VAR=value ...]	run SPEC with PORTAL_URL,
#				SINK_DIR, SP_PF_DIR, SHOT_DIR, CHROMIUM and the
#				given variables set; fails the test if it
#				fails
#
# Screenshots go to $H_BUILD/screenshots (H_SHOT_DIR).  test/lib/setup.sh
# installs chromium, node and test/browser/node_modules.

if [[ -n ${H_BROWSER_LOADED:-} ]]; then
	return 0
fi
H_BROWSER_LOADED=1

# shellcheck source=portal.sh
source "$(dirname "${BASH_SOURCE[0]}")/portal.sh"

H_BROWSER_DIR=$H_SOURCE/test/browser
H_CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
H_SHOT_DIR=$H_BUILD/screenshots

h_browser_require()
{
	[[ -x $H_CHROMIUM ]] ||
	    h_fail "$H_CHROMIUM not installed (apt-get install chromium; test/lib/setup.sh does it)"
	command -v node >/dev/null ||
	    h_fail "node not installed (apt-get install nodejs npm; test/lib/setup.sh does it)"
	[[ -f $H_BROWSER_DIR/node_modules/playwright-core/package.json ]] ||
	    h_fail "playwright-core missing: run 'npm ci' in $H_BROWSER_DIR (test/lib/setup.sh does it)"
	mkdir -p "$H_SHOT_DIR"
}

h_browser_run()
{
	local spec=$1 rc=0
	shift
	h_log "running test/browser/$spec (node $(node --version))"
	env PORTAL_URL="$H_PORTAL_URL" SINK_DIR="$H_SINK_DIR" SP_PF_DIR="$H_PF" \
	    SHOT_DIR="$H_SHOT_DIR" CHROMIUM="$H_CHROMIUM" \
	    NODE_PATH="$H_BROWSER_DIR/node_modules" "$@" \
	    timeout 600 node "$H_BROWSER_DIR/$spec" </dev/null || rc=$?
	[[ $rc -eq 0 ]] || h_fail "$spec failed (exit $rc; its output is above)"
}
