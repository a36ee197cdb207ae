#!/usr/bin/env node
/*
 * sealpost-portal in headless Chromium (Debian's /usr/bin/chromium, driven
 * by playwright-core).  Run by test/integration/t-browser.sh, which starts
 * Postfix + sealpost-milter + sealpost-portal, sends the messages and
 * passes everything through the environment:
 *
 *   PORTAL_URL      http://127.0.0.1:PORT (the portal's origin)
 *   SINK_DIR        smtp-sink's directory (the verification mail)
 *   SP_PF_DIR       the private Postfix config dir (postkick), optional
 *   USER_EMAIL      the recipient who registers by clicks (alice)
 *   USER_PASSWORD   the password she chooses
 *   READER_EMAIL    a second recipient of both messages, registered by
 *                   the shell with curl (bob)
 *   READER_COOKIE   his session cookie, "name=value"
 *   MSG_ID          a message with an attachment, to both
 *   MSG_SUBJECT     its subject as the inbox shows it
 *   MSG_BODY_MARK   a sentence of its text body
 *   MSG_RAW         file: the original as sent (CRLF), what /raw must be
 *   ATT_NAME        the attachment's file name
 *   ATT_FILE        file: the attachment's bytes
 *   XSS_ID          an HTML message full of XSS and remote-content
 *                   payloads and one cid: inline image, to both
 *   XSS_SUBJECT     its subject
 *   SHOT_DIR        where the screenshots go ($SEALPOST_BUILD/screenshots)
 *   CHROMIUM        the browser (default /usr/bin/chromium)
 *
 * Three parts, each run even when an earlier one failed (the exit status
 * is 1 if any failed):
 * (c) screenshots of the login page at 360x740 and 1280x800;
 * (b) as bob (his session cookie set in the browser): open the HTML
 *     message from the inbox; no dialog ever opens, window.__xss (set by
 *     every payload) is undefined in every frame, no request leaves the
 *     portal's origin, and the cid: inline image shows; then
 *     screenshots of the other message's page at both sizes;
 * (a) as alice, by clicks: register -> the verification link from the
 *     caught mail -> set the password -> log in -> open the message from
 *     the inbox -> download the .eml and the attachment (download
 *     events); the bytes must be what was sent.
 * No page may scroll sideways (checked with every screenshot).
 *
 * Prints "ok: ..." per check and "FAIL: ..." per failed part.
 */
'use strict';

const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const {
	chromium, env, ok, ORIGIN, SHOT_DIR, CHROMIUM, PHONE, DESKTOP,
	LAUNCH_ARGS, shot, sameBytes, newWatch, watch, clickTo, registerByClicks,
	logIn, runParts, finish,
} = require('./lib.js');

const USER = env('USER_EMAIL');
const PASSWORD = env('USER_PASSWORD');
const READER = env('READER_EMAIL');
const READER_COOKIE = env('READER_COOKIE');
const MSG_ID = env('MSG_ID');
const MSG_SUBJECT = env('MSG_SUBJECT');
const MSG_BODY_MARK = env('MSG_BODY_MARK');
const MSG_RAW = env('MSG_RAW');
const ATT_NAME = env('ATT_NAME');
const ATT_FILE = env('ATT_FILE');
const XSS_ID = env('XSS_ID');
const XSS_SUBJECT = env('XSS_SUBJECT');

/* What the browser did, for every part. */
const requests = [];
const seen = newWatch();
const dialogs = seen.dialogs;
const consoleErrors = seen.consoleErrors;

/* ------------------------------------------------------------ parts */

/* (c) the login page, no session. */
async function partLoginPage(page) {
	const resp = await page.goto(`${ORIGIN}/`);
	assert.equal(resp.status(), 200, 'GET / status');
	await page.getByLabel('Email address').waitFor();
	await page.getByLabel('Password').waitFor();
	ok('GET / is the login form (labelled email and password fields)');
	await shot(page, PHONE, 'login-phone');
	await shot(page, DESKTOP, 'login-desktop');
	ok(`screenshots login-phone.png, login-desktop.png in ${SHOT_DIR}; no sideways scroll`);
}

/* (b) the hostile HTML message, and the screenshots of a message page. */
async function partHostileHtml(context, page) {
	const eq = READER_COOKIE.indexOf('=');
	await context.clearCookies();
	await context.addCookies([{
		name: READER_COOKIE.slice(0, eq),
		value: READER_COOKIE.slice(eq + 1),
		url: `${ORIGIN}/`,
		httpOnly: true,
		sameSite: 'Strict',
	}]);
	await page.goto(`${ORIGIN}/inbox`);
	assert.equal(new URL(page.url()).pathname, '/inbox',
	    `${READER}'s session cookie does not open /inbox (now at ${page.url()})`);

	requests.length = 0;
	dialogs.length = 0;
	await clickTo(page, page.getByRole('link', { name: XSS_SUBJECT }),
	    `${ORIGIN}/m/${XSS_ID}`);
	const iframe = page.locator('iframe');
	assert.equal(await iframe.count(), 1, 'the HTML message has one iframe');
	/* Sandboxed without scripts, forms, popups, modals or top
	 * navigation; allow-same-origin alone runs nothing. */
	const sandbox = await iframe.getAttribute('sandbox');
	assert.ok(sandbox !== null, 'the HTML body\'s iframe has no sandbox attribute');
	const extra = sandbox.split(/\s+/).filter((t) => t && t !== 'allow-same-origin');
	assert.deepEqual(extra, [], `iframe sandbox="${sandbox}" allows too much`);
	await iframe.scrollIntoViewIfNeeded();
	const frame = await (await iframe.elementHandle()).contentFrame();
	assert.ok(frame, 'the iframe has a frame');
	await frame.waitForLoadState('load');
	await frame.getByText('END-OF-PAYLOADS').waitFor({ state: 'attached' });
	ok(`opened "${XSS_SUBJECT}" from ${READER}'s inbox: the body is in an iframe with sandbox="${sandbox}"`);

	/* Hand event handlers every chance: hover and click what is there
	 * (the javascript: links, SVG, details), then wait. */
	for (const sel of ['#jslink', 'a', 'svg', 'details', 'summary', 'img', 'button']) {
		const els = frame.locator(sel);
		const count = Math.min(await els.count(), 10);
		for (let i = 0; i < count; i++) {
			const href = await els.nth(i).getAttribute('href').catch(() => null);
			/* Never follow a remote link: only clicks that stay. */
			if (href && !/^(javascript:|#)/i.test(href.trim()))
				continue;
			await els.nth(i).hover({ timeout: 2000 }).catch(() => {});
			await els.nth(i).click({ timeout: 2000, noWaitAfter: true }).catch(() => {});
		}
	}
	await page.waitForTimeout(1500);
	await shot(page, DESKTOP, 'xss-desktop');

	assert.deepEqual(dialogs, [], `dialogs opened: ${dialogs.join(' | ')}`);
	ok('no dialog opened (alert payloads did not run)');

	const frames = page.frames();
	const flags = [];
	for (const f of frames) {
		let v;
		try {
			v = await f.evaluate(() => typeof window.__xss);
		} catch (e) {
			/* A frame without scripting may refuse even DevTools:
			 * then no payload ran there either. */
			v = `not evaluable: ${e.message.split('\n')[0]}`;
		}
		flags.push(`${f.url() || '(about:blank)'}: ${v}`);
		if (v !== 'undefined' && !v.startsWith('not evaluable'))
			throw new Error(`window.__xss is ${v} in frame ${f.url()}: a payload ran`);
	}
	ok(`window.__xss undefined in all ${frames.length} frames (${flags.join('; ')})`);

	for (const r of requests)
		console.log(`  request: ${r.what}`);
	const outside = requests.filter((r) => !r.url.startsWith(ORIGIN + '/'));
	assert.deepEqual(outside.map((r) => r.what), [], `requests outside ${ORIGIN}`);
	ok(`all ${requests.length} requests (listed above) went to ${ORIGIN}`);
	const csp = consoleErrors.filter((t) => /Content Security Policy/i.test(t));
	if (csp.length > 0)
		console.log(`note: the CSP blocked ${csp.length} loads (the ` +
		    `sanitiser let them through): ${csp.slice(0, 5).join(' | ')}`);
	else
		console.log('note: no CSP violation reported: the sanitiser removed every payload');
	await page.getByRole('heading', { name: XSS_SUBJECT }).waitFor();
	ok('the read page still shows its heading after the payloads');

	/* The message page at both sizes (the plain message, as bob). */
	await page.goto(`${ORIGIN}/inbox`);
	await clickTo(page, page.getByRole('link', { name: MSG_SUBJECT }),
	    `${ORIGIN}/m/${MSG_ID}`);
	await page.getByText(MSG_BODY_MARK).waitFor();
	await shot(page, PHONE, 'message-phone');
	await shot(page, DESKTOP, 'message-desktop');
	ok('screenshots message-phone.png, message-desktop.png; no sideways scroll');

	/* Last, as it may fail on its own: SPEC "Read" shows inline images.
	 * The sandboxed frame gets no cookie, so the portal inlines the cid:
	 * image as a data: URL (allowed by the frame's CSP); it must render. */
	await page.goto(`${ORIGIN}/m/${XSS_ID}`);
	await page.locator('iframe').scrollIntoViewIfNeeded();
	const f2 = await (await page.locator('iframe').elementHandle()).contentFrame();
	await f2.waitForLoadState('load');
	const inline = await f2.evaluate(() =>
	    [...document.images].filter((i) => i.alt === 'inline logo' &&
		/^data:image\/png;base64,/.test(i.getAttribute('src')))
		.map((i) => ({ src: i.getAttribute('src'), w: i.naturalWidth })));
	assert.ok(inline.length === 1, 'want one inline (cid:) image in the ' +
	    `HTML body, got ${JSON.stringify(inline)}`);
	assert.ok(inline[0].w === 1, 'the inlined image did not render in the ' +
	    `sandboxed frame (naturalWidth ${inline[0].w})`);
	ok(`the cid: inline image shows (${inline[0].src.slice(0, 40)}...)`);
}

/* (a) alice, by clicks. */
async function partRegisterAndRead(context, page) {
	await context.clearCookies();
	await registerByClicks(page, seen, USER, PASSWORD);
	await clickTo(page, page.getByRole('link', { name: /log in/i }), `${ORIGIN}/`);
	await logIn(page, seen, USER, PASSWORD);

	await clickTo(page, page.getByRole('link', { name: MSG_SUBJECT }),
	    `${ORIGIN}/m/${MSG_ID}`);
	await page.getByText(MSG_BODY_MARK).waitFor();
	ok(`opened "${MSG_SUBJECT}" from the inbox: /m/${MSG_ID} shows the body`);

	let [download] = await Promise.all([
		page.waitForEvent('download'),
		page.getByRole('link', { name: /download original/i }).click(),
	]);
	let file = await download.path();
	assert.ok(file, `download failed: ${await download.failure()}`);
	assert.match(download.suggestedFilename(), /\.eml$/, 'the original downloads as .eml');
	let n = await sameBytes(file, MSG_RAW, '/m/ID/raw download');
	ok(`"Download original" saved ${download.suggestedFilename()}: ` +
	    `${n} bytes, the original byte for byte`);

	[download] = await Promise.all([
		page.waitForEvent('download'),
		page.getByRole('link', { name: ATT_NAME }).click(),
	]);
	file = await download.path();
	assert.ok(file, `download failed: ${await download.failure()}`);
	n = await sameBytes(file, ATT_FILE, `attachment ${ATT_NAME}`);
	ok(`the attachment link saved ${download.suggestedFilename()}: ${n} bytes, byte for byte`);
}

/* ------------------------------------------------------------ main */

async function main() {
	fs.mkdirSync(SHOT_DIR, { recursive: true });
	const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'sealpost-chromium-'));
	const downloads = fs.mkdtempSync(path.join(os.tmpdir(), 'sealpost-dl-'));
	let context;

	try {
		context = await chromium.launchPersistentContext(profile, {
			executablePath: CHROMIUM,
			headless: true,
			acceptDownloads: true,
			downloadsPath: downloads,
			viewport: DESKTOP,
			args: LAUNCH_ARGS,
		});
		context.on('request', (r) => {
			let from = '';
			try {
				from = r.frame().parentFrame() ? ' from the iframe' : '';
			} catch (e) { /* not from a frame */ }
			requests.push({ url: r.url(),
			    what: `${r.method()} ${r.url()} (${r.resourceType()}${from})` });
		});
		const page = context.pages()[0] || await context.newPage();
		watch(page, seen);
		context.on('page', (p) => watch(p, seen));
		page.setDefaultTimeout(30000);
		ok(`Chromium ${context.browser() ? context.browser().version() : ''} ` +
		    'started headless with a fresh profile');

		return await runParts([
			['(c) login page', () => partLoginPage(page)],
			['(b) hostile HTML message', () => partHostileHtml(context, page)],
			['(a) register and read by clicks',
			    () => partRegisterAndRead(context, page)],
		]);
	} finally {
		if (context)
			await context.close().catch(() => {});
		fs.rmSync(profile, { recursive: true, force: true });
		fs.rmSync(downloads, { recursive: true, force: true });
	}
}

finish('portal.spec.js', main());
