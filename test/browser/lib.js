/*
 * What the browser specs share (portal.spec.js, compose.spec.js): the
 * environment, the mail caught at the sink, screenshots, byte checks,
 * what each page did (dialogs, console errors, the last POST), and the
 * loop that runs a spec's parts.
 *
 * Environment read here: PORTAL_URL (the portal's origin), SINK_DIR
 * (smtp-sink's directory), SP_PF_DIR (the private Postfix config dir, for
 * postkick; optional), SHOT_DIR (screenshots), CHROMIUM.
 */
'use strict';

const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { execFileSync } = require('node:child_process');

let chromium;
try {
	({ chromium } = require('playwright-core'));
} catch (e) {
	console.error('FAIL: playwright-core is not installed: run "npm ci" in ' +
	    __dirname + ' (test/lib/setup.sh does it)');
	process.exit(1);
}

function env(name, dflt) {
	const v = process.env[name];
	if (v === undefined || v === '') {
		if (dflt !== undefined)
			return dflt;
		console.error(`FAIL: environment variable ${name} is not set`);
		process.exit(1);
	}
	return v;
}

const ORIGIN = env('PORTAL_URL').replace(/\/+$/, '');
const SINK_DIR = env('SINK_DIR');
const PF_DIR = env('SP_PF_DIR', '-');
const SHOT_DIR = env('SHOT_DIR');
const CHROMIUM = env('CHROMIUM', '/usr/bin/chromium');

const PHONE = { width: 360, height: 740 };
const DESKTOP = { width: 1280, height: 800 };

const LAUNCH_ARGS = [
	'--headless', '--no-sandbox', '--disable-gpu', '--disable-quic',
	'--no-first-run', '--disable-background-networking',
	'--disable-component-update', '--disable-sync',
];

const started = Date.now();
function ok(what) {
	console.log(`ok: ${what} [${((Date.now() - started) / 1000).toFixed(1)}s]`);
}

function reQuote(s) {
	return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/* ------------------------------------------------------------ the sink */

function decodeQP(s) {
	const bytes = [];
	const t = s.replace(/=\r?\n/g, '');
	for (let i = 0; i < t.length; i++) {
		if (t[i] === '=' && /^[0-9A-Fa-f]{2}$/.test(t.substr(i + 1, 2))) {
			bytes.push(parseInt(t.substr(i + 1, 2), 16));
			i += 2;
		} else
			bytes.push(t.charCodeAt(i) & 0xff);
	}
	return Buffer.from(bytes).toString('utf8');
}

/*
 * Every portal link matching tail (a regexp source after the origin, one
 * capture group) in mail delivered to addr, oldest first.
 */
function sinkLinks(addr, tail) {
	const re = new RegExp(reQuote(ORIGIN) + tail + '(?![0-9A-Za-z_-])', 'g');
	const files = fs.readdirSync(SINK_DIR)
	    .map((f) => path.join(SINK_DIR, f))
	    .filter((f) => fs.statSync(f).isFile())
	    .sort((a, b) => fs.statSync(a).mtimeMs - fs.statSync(b).mtimeMs);
	const links = [];
	for (const f of files) {
		const s = fs.readFileSync(f, 'latin1');
		const rcpts = [...s.matchAll(/^X-Rcpt-Args: *<([^>]*)>/gim)]
		    .map((m) => m[1].toLowerCase());
		if (!rcpts.includes(addr.toLowerCase()))
			continue;
		const text = s + '\n' + decodeQP(s);
		for (const m of text.matchAll(re)) {
			if (!links.includes(m[0]))
				links.push(m[0]);
		}
	}
	return links;
}

const VERIFY_LINK = '/verify\\?token=([0-9a-f]{64})';
const MESSAGE_LINK = '/m/([A-Za-z0-9_-]{22})';

/* Wait until more than `before` such links reached addr; the newest. */
async function waitSinkLink(addr, tail, before, timeoutMs, what) {
	const end = Date.now() + timeoutMs;
	let n = 0;
	while (Date.now() < end) {
		const links = sinkLinks(addr, tail);
		if (links.length > before)
			return links[links.length - 1];
		/* sendmail -C only signals pickup; kick it now and then. */
		if (PF_DIR !== '-' && n++ % 5 === 0) {
			try {
				execFileSync('postkick', ['-c', PF_DIR, 'public',
				    'pickup', 'W'], { stdio: 'ignore' });
			} catch (e) { /* maildrop may be empty */ }
		}
		await new Promise((r) => setTimeout(r, 300));
	}
	throw new Error(`no ${what} for ${addr} reached the sink ` +
	    `(${SINK_DIR}) within ${timeoutMs / 1000}s`);
}

/* ------------------------------------------------------------ pages */

/* The page must not scroll sideways (readable on a phone). */
async function assertNoSidewaysScroll(page, what) {
	const m = await page.evaluate(() => ({
		sw: document.documentElement.scrollWidth,
		cw: document.documentElement.clientWidth,
	}));
	assert.ok(m.sw <= m.cw + 1, `${what}: the page is ${m.sw}px wide in ` +
	    `a ${m.cw}px viewport (scrolls sideways)`);
}

async function shot(page, size, name) {
	await page.setViewportSize(size);
	/* Let the layout settle after the resize. */
	await page.evaluate(() => new Promise((r) =>
	    requestAnimationFrame(() => requestAnimationFrame(r))));
	const file = path.join(SHOT_DIR, `${name}.png`);
	await page.screenshot({ path: file, fullPage: true });
	await assertNoSidewaysScroll(page, `${name} (${size.width}x${size.height})`);
	await page.setViewportSize(DESKTOP);
	return file;
}

async function sameBytes(file, wantFile, what) {
	const got = fs.readFileSync(file);
	const want = fs.readFileSync(wantFile);
	if (got.equals(want))
		return got.length;
	let i = 0;
	while (i < got.length && i < want.length && got[i] === want[i])
		i++;
	throw new Error(`${what}: ${got.length} bytes, want ${want.length}; ` +
	    `first difference at byte ${i}: got ` +
	    `${JSON.stringify(got.subarray(i, i + 40).toString('latin1'))}, want ` +
	    `${JSON.stringify(want.subarray(i, i + 40).toString('latin1'))}`);
}

/* Click a download link; the saved file must be wantFile's bytes. */
async function downloadSame(page, locator, wantFile, what) {
	const [download] = await Promise.all([
		page.waitForEvent('download'),
		locator.click(),
	]);
	const file = await download.path();
	assert.ok(file, `${what}: download failed: ${await download.failure()}`);
	const n = await sameBytes(file, wantFile, what);
	return { name: download.suggestedFilename(), bytes: n };
}

/*
 * What the pages did: dialogs, console errors (CSP violations are
 * reported there too), uncaught page errors, and the response to the
 * last form POST (to explain a failed step).
 */
function newWatch() {
	return { dialogs: [], consoleErrors: [], lastPost: null };
}

function watch(page, w) {
	page.on('dialog', (d) => {
		w.dialogs.push(`${d.type()}: ${d.message()}`);
		d.dismiss().catch(() => {});
	});
	page.on('console', (m) => {
		if (m.type() !== 'error')
			return;
		const at = m.location() && m.location().url;
		w.consoleErrors.push(`${page.url()}: ${m.text()}` +
		    (at && at !== page.url() ? ` (${at})` : ''));
	});
	page.on('pageerror', (e) => {
		w.consoleErrors.push(`${page.url()}: uncaught ${e.message}`);
	});
	page.on('response', async (r) => {
		const q = r.request();
		if (q.method() !== 'POST')
			return;
		let body = '';
		try {
			body = (await r.text()).replace(/<[^>]*>/g, ' ')
			    .replace(/\s+/g, ' ').trim().slice(0, 300);
		} catch (e) { /* redirect: no body */ }
		w.lastPost = `POST ${new URL(q.url()).pathname} (Origin: ` +
		    `${(await q.allHeaders()).origin || '(none)'}) -> ` +
		    `${r.status()} ${body}`;
	});
}

/* Click, and wait for the navigation it starts to url. */
async function clickTo(page, locator, url) {
	await Promise.all([page.waitForURL(url), locator.click()]);
}

/* ------------------------------------------------------------ accounts */

/*
 * Register addr by clicks: Register -> the form -> the verification link
 * mailed to addr (from the sink) -> set the password.  Leaves the page on
 * "Your password is set".
 */
async function registerByClicks(page, w, addr, password) {
	await page.goto(`${ORIGIN}/`);
	const before = sinkLinks(addr, VERIFY_LINK).length;
	await clickTo(page, page.getByRole('link', { name: 'Register' }),
	    `${ORIGIN}/register`);
	await page.getByLabel('Email address').fill(addr);
	await page.getByRole('button', { name: /send/i }).click();
	try {
		await page.getByRole('heading', { name: /check your email/i })
		    .waitFor({ timeout: 15000 });
	} catch (e) {
		throw new Error(`${addr}: after "Send the link" no "Check your ` +
		    `email" page; the browser sent ${w.lastPost || 'no POST'}`);
	}
	ok(`${addr}: Register link -> form -> "Check your email"`);

	const link = await waitSinkLink(addr, VERIFY_LINK, before, 90000,
	    'verification mail');
	ok(`${addr}: verification mail caught at the sink`);
	const resp = await page.goto(link);
	assert.equal(resp.status(), 200, 'GET the verification link');
	await page.getByLabel('New password', { exact: true }).fill(password);
	await page.getByLabel('New password again').fill(password);
	await page.getByRole('button', { name: /set the password/i }).click();
	try {
		await page.getByRole('heading', { name: /password is set/i })
		    .waitFor({ timeout: 15000 });
	} catch (e) {
		throw new Error(`${addr}: after "Set the password" no "Your ` +
		    'password is set" page; the browser sent ' +
		    `${w.lastPost || 'no POST'}`);
	}
	ok(`${addr}: the link opened the password form; password set`);
}

/* Log in with the form on / (from wherever the page is); ends on /inbox. */
async function logIn(page, w, addr, password) {
	if (new URL(page.url()).pathname !== '/' ||
	    await page.getByLabel('Password').count() === 0)
		await page.goto(`${ORIGIN}/`);
	const email = page.getByLabel('Email address');
	if ((await email.inputValue()) !== addr)
		await email.fill(addr);
	await page.getByLabel('Password').fill(password);
	await page.getByRole('button', { name: 'Log in' }).click();
	try {
		await page.waitForURL(`${ORIGIN}/inbox`, { timeout: 15000 });
	} catch (e) {
		throw new Error(`${addr}: "Log in" did not lead to /inbox; the ` +
		    `browser sent ${w.lastPost}`);
	}
	ok(`${addr}: logged in by the form: /inbox`);
}

/*
 * Run each [name, fn] in turn, even when an earlier one failed; the
 * names of those that failed.
 */
async function runParts(parts) {
	const failed = [];
	for (const [name, fn] of parts) {
		try {
			await fn();
		} catch (e) {
			failed.push(name);
			console.error(`FAIL: ${name}: ${e && e.message ? e.message : e}`);
			const at = (e && e.stack || '').split('\n')
			    .find((l) => /\.spec\.js/.test(l));
			if (at)
				console.error(`  ${at.trim()}`);
		}
	}
	return failed;
}

/* Exit 1 if a part failed. */
function finish(spec, promise) {
	promise.then((failed) => {
		if (failed.length > 0) {
			console.error(`${spec}: FAILED: ${failed.join(', ')}`);
			process.exit(1);
		}
		console.log(`${spec}: all checks passed`);
		process.exit(0);
	}, (e) => {
		console.error(`FAIL: ${e && e.message ? e.message : e}`);
		process.exit(1);
	});
}

module.exports = {
	chromium, env, ok, ORIGIN, SINK_DIR, SHOT_DIR, CHROMIUM, PHONE, DESKTOP,
	LAUNCH_ARGS, sinkLinks, waitSinkLink, VERIFY_LINK, MESSAGE_LINK,
	assertNoSidewaysScroll, shot, sameBytes, downloadSame, newWatch, watch,
	clickTo, registerByClicks, logIn, runParts, finish,
};
