#!/usr/bin/env node
/*
 * Writing in sealpost-portal by clicks, in headless Chromium: Reply,
 * Compose, Reply all and Forward, with files attached through the real
 * <input type=file>.  Run by test/integration/t-browser-compose.sh, which
 * starts Postfix + sealpost-milter + sealpost-portal, sends one [secure]
 * message with an attachment from SENDER to GUEST and READER, registers
 * those two with curl, and passes (besides PORTAL_URL, SINK_DIR,
 * SP_PF_DIR, SHOT_DIR, CHROMIUM; test/browser/lib.js):
 *
 *   SENDER, SENDER_PASSWORD   the original's sender, an internal
 *                             (professional) address without an account:
 *                             registers here by clicks
 *   GUEST, GUEST_PASSWORD     a recipient (guest), with an account
 *   READER, READER_PASSWORD   a second recipient, with an account
 *   NEWCOMER, NEWCOMER_PASSWORD  an address that took part in nothing:
 *                             the professional writes to it
 *   MSG_ID, MSG_SUBJECT, MSG_BODY_MARK   the original, its subject as
 *                             shown, a sentence of its body
 *   ATT_NAME, ATT_FILE        the original's attachment and its bytes
 *   REPLY_ATT, COMPOSE_ATT    files to attach (their names are shown)
 *
 * Parts (each runs even when an earlier one failed; exit 1 if any did):
 * (1) the guest logs in, opens the message, clicks Reply (To is the
 *     sender), types, attaches REPLY_ATT, sends; the sender's
 *     notification reaches the sink; the sender registers by clicks, sees
 *     the reply in the inbox, opens it: the text, the quoted original,
 *     the conversation (the original, linked), and the attachment,
 *     downloaded byte for byte;
 * (2) the sender (professional) clicks "New secure message", fills To,
 *     Subject, Message, attaches COMPOSE_ATT, sends; the newcomer's
 *     notification reaches the sink; the newcomer registers by clicks,
 *     follows the mailed link and downloads the attachment byte for byte;
 * (3) the guest clicks Reply all (To the sender, Cc the reader) and
 *     Forward (to the reader); the reader logs in, sees both, and the
 *     forward carries the original's attachment, byte for byte.
 * Screenshots reply-{phone,desktop}.png and compose-{phone,desktop}.png
 * (no sideways scroll).  Every page: no console error, no CSP violation,
 * no uncaught error, no dialog.  Every send must reach the new message's
 * page, else the error the portal showed fails the part.
 */
'use strict';

const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const {
	chromium, env, ok, ORIGIN, SHOT_DIR, CHROMIUM, PHONE, DESKTOP,
	LAUNCH_ARGS, sinkLinks, waitSinkLink, MESSAGE_LINK, shot,
	downloadSame, newWatch, watch, clickTo, registerByClicks, logIn,
	runParts, finish,
} = require('./lib.js');

const SENDER = env('SENDER');
const SENDER_PASSWORD = env('SENDER_PASSWORD');
const GUEST = env('GUEST');
const GUEST_PASSWORD = env('GUEST_PASSWORD');
const READER = env('READER');
const READER_PASSWORD = env('READER_PASSWORD');
const NEWCOMER = env('NEWCOMER');
const NEWCOMER_PASSWORD = env('NEWCOMER_PASSWORD');
const MSG_ID = env('MSG_ID');
const MSG_SUBJECT = env('MSG_SUBJECT');
const MSG_BODY_MARK = env('MSG_BODY_MARK');
const ATT_NAME = env('ATT_NAME');
const ATT_FILE = env('ATT_FILE');
const REPLY_ATT = env('REPLY_ATT');
const COMPOSE_ATT = env('COMPOSE_ATT');

const REPLY_MARK = 'Thanks, the figures look right. REPLY-MARK-5521';
const COMPOSE_SUBJECT = 'Board meeting papers';
const COMPOSE_MARK = 'Please read the attached deck before Friday. COMPOSE-MARK-8841';
const REPLY_ALL_MARK = 'Adding everyone: agreed. REPLY-ALL-MARK-3390';
const FORWARD_MARK = 'For your records. FORWARD-MARK-7017';

const seen = newWatch();
let browser;
let downloads;

/* One user's own browser window (cookies apart from the others'). */
async function userPage() {
	const context = await browser.newContext({
		acceptDownloads: true,
		viewport: DESKTOP,
	});
	/* Chromium logs CSP violations as console errors; report them from
	 * the page too, in case a version does not. */
	await context.addInitScript(() => {
		document.addEventListener('securitypolicyviolation', (e) =>
		    console.error(`CSP violation: ${e.violatedDirective} ` +
			`blocked ${e.blockedURI || '(inline)'}`));
	});
	const page = await context.newPage();
	page.setDefaultTimeout(30000);
	watch(page, seen);
	return page;
}

/* Nothing went wrong on any page so far (and start afresh). */
function assertClean(what) {
	const errs = seen.consoleErrors.splice(0);
	const dialogs = seen.dialogs.splice(0);
	assert.deepEqual(errs, [], `${what}: console errors: ${errs.join(' | ')}`);
	assert.deepEqual(dialogs, [], `${what}: dialogs: ${dialogs.join(' | ')}`);
	ok(`${what}: no console error, CSP violation or dialog`);
}

/* The <details> whose summary is exactly name, opened by a click. */
async function openAnswer(page, name) {
	const details = page.locator('details')
	    .filter({ has: page.locator('summary', { hasText: new RegExp(`^${name}$`) }) });
	assert.equal(await details.count(), 1, `one "${name}" on the page`);
	await details.locator('summary').click();
	const form = details.locator('form');
	await form.getByLabel('Message', { exact: true }).waitFor({ state: 'visible' });
	return form;
}

/*
 * Click "Send securely" in form; the portal must answer with the new
 * message's page (303 to /m/NEW).  Its id.
 */
async function send(page, form, what) {
	const from = page.url();
	await form.getByRole('button', { name: 'Send securely' }).click();
	try {
		await page.waitForURL((u) => /^\/m\/[A-Za-z0-9_-]{22}$/
		    .test(u.pathname) && u.href !== from, { timeout: 30000 });
	} catch (e) {
		const err = await page.locator('.error').allTextContents()
		    .catch(() => []);
		throw new Error(`${what}: "Send securely" did not lead to the ` +
		    `new message (now at ${page.url()}; the page says ` +
		    `${JSON.stringify(err.join(' '))}; the browser sent ` +
		    `${seen.lastPost || 'no POST'})`);
	}
	const id = new URL(page.url()).pathname.slice(3);
	assert.notEqual(id, MSG_ID, `${what}: back on the original`);
	return id;
}

/* The message page shows this text in its body. */
async function bodyText(page) {
	return (await page.locator('pre.body').first().textContent()) || '';
}

/* A header row of the message page (From, To, Cc). */
async function headerRow(page, name) {
	const row = page.locator('table.headers tr')
	    .filter({ has: page.locator('th', { hasText: new RegExp(`^${name}$`) }) });
	return (await row.locator('td').textContent()) || '';
}

/* In the inbox, open message id by clicking its subject. */
async function openFromInbox(page, subject, id) {
	if (new URL(page.url()).pathname !== '/inbox')
		await clickTo(page, page.getByRole('link', { name: 'Inbox', exact: true }),
		    `${ORIGIN}/inbox`);
	const link = page.getByRole('link', { name: subject })
	    .and(page.locator(`[href="/m/${id}"]`));
	assert.equal(await link.count(), 1,
	    `the inbox lists "${subject}" (/m/${id}) once`);
	await clickTo(page, link, `${ORIGIN}/m/${id}`);
}

/* ------------------------------------------------------------ parts */

let guestPage, senderPage;
let replyId;

/* (1) the guest replies with a file; the sender reads it. */
async function partReply() {
	guestPage = await userPage();
	const page = guestPage;
	await page.goto(`${ORIGIN}/`);
	await logIn(page, seen, GUEST, GUEST_PASSWORD);
	await openFromInbox(page, MSG_SUBJECT, MSG_ID);
	await page.getByText(MSG_BODY_MARK).waitFor();
	ok(`${GUEST} opened "${MSG_SUBJECT}" from the inbox`);

	const form = await openAnswer(page, 'Reply');
	assert.equal(await form.getByLabel('To', { exact: true }).inputValue(), SENDER,
	    'Reply: To is the sender');
	const subject = await form.getByLabel('Subject', { exact: true }).inputValue();
	assert.ok(subject.startsWith('Re: ') && subject.includes(MSG_SUBJECT),
	    `Reply: the subject "${subject}" is "Re: " + the original's`);
	await form.getByLabel('Message', { exact: true }).fill(REPLY_MARK);
	await form.getByLabel(/attach files/i).setInputFiles(REPLY_ATT);
	ok(`clicked Reply: To ${SENDER}, Subject "${subject}"; typed and attached ${path.basename(REPLY_ATT)}`);
	await shot(page, PHONE, 'reply-phone');
	await shot(page, DESKTOP, 'reply-desktop');
	ok('screenshots reply-phone.png, reply-desktop.png; no sideways scroll');

	const notices = sinkLinks(SENDER, MESSAGE_LINK).length;
	replyId = await send(page, form, 'Reply');
	await page.getByRole('heading', { name: subject }).waitFor();
	assert.ok((await bodyText(page)).includes(REPLY_MARK), 'the sent reply shows its text');
	await page.getByRole('link', { name: path.basename(REPLY_ATT) }).waitFor();
	ok(`sent: /m/${replyId} shows "${subject}", the text and the attachment`);

	const link = await waitSinkLink(SENDER, MESSAGE_LINK, notices, 90000,
	    'notification of the reply');
	assert.equal(link, `${ORIGIN}/m/${replyId}`, 'the notification links the reply');
	ok(`${SENDER}'s notification reached the sink: ${link}`);

	senderPage = await userPage();
	const sp = senderPage;
	await registerByClicks(sp, seen, SENDER, SENDER_PASSWORD);
	await logIn(sp, seen, SENDER, SENDER_PASSWORD);
	await openFromInbox(sp, subject, replyId);
	const text = await bodyText(sp);
	assert.ok(text.includes(REPLY_MARK), `the reply's text is shown: ${text}`);
	assert.match(text, /^On .+ wrote:$/m, 'the reply has an "On ..., ... wrote:" line');
	assert.ok(text.includes(`> ${MSG_BODY_MARK}`),
	    `the original is quoted ("> ${MSG_BODY_MARK}") in: ${text}`);
	assert.ok((await headerRow(sp, 'From')).includes(GUEST), 'From is the guest');
	ok(`${SENDER} opened the reply from the inbox: its text and the quoted original`);

	await sp.getByRole('heading', { name: 'Conversation' }).waitFor();
	const thread = sp.locator('ol.thread');
	await thread.locator(`a[href="/m/${MSG_ID}"]`, { hasText: MSG_SUBJECT }).waitFor();
	await thread.locator('li[aria-current="page"]').waitFor();
	ok(`the conversation lists the original (/m/${MSG_ID}, linked) and this message`);

	const got = await downloadSame(sp,
	    sp.getByRole('link', { name: path.basename(REPLY_ATT) }),
	    REPLY_ATT, 'the reply\'s attachment');
	ok(`downloaded ${got.name}: ${got.bytes} bytes, byte for byte the file attached`);
	assertClean('(1) reply');
}

/* (2) the professional composes to a newcomer, with a file. */
async function partCompose() {
	if (senderPage === undefined)
		throw new Error('the sender did not log in in (1)');
	const page = senderPage;
	await clickTo(page, page.getByRole('link', { name: 'Inbox', exact: true }),
	    `${ORIGIN}/inbox`);
	await clickTo(page, page.getByRole('link', { name: 'New secure message' }),
	    `${ORIGIN}/compose`);
	await page.getByRole('heading', { name: 'New secure message' }).waitFor();
	const form = page.locator('form[action="/compose"]');
	await form.getByLabel('To', { exact: true }).fill(NEWCOMER);
	await form.getByLabel('Subject', { exact: true }).fill(COMPOSE_SUBJECT);
	await form.getByLabel('Message', { exact: true }).fill(COMPOSE_MARK);
	await form.getByLabel(/attach files/i).setInputFiles(COMPOSE_ATT);
	ok(`${SENDER} clicked "New secure message", filled To, Subject, Message, attached ${path.basename(COMPOSE_ATT)}`);
	await shot(page, PHONE, 'compose-phone');
	await shot(page, DESKTOP, 'compose-desktop');
	ok('screenshots compose-phone.png, compose-desktop.png; no sideways scroll');

	const notices = sinkLinks(NEWCOMER, MESSAGE_LINK).length;
	const id = await send(page, form, 'Compose');
	await page.getByRole('heading', { name: COMPOSE_SUBJECT }).waitFor();
	assert.ok((await bodyText(page)).includes(COMPOSE_MARK), 'the sent message shows its text');
	assert.ok((await headerRow(page, 'To')).includes(NEWCOMER), 'To is the newcomer');
	ok(`sent: /m/${id}`);

	const link = await waitSinkLink(NEWCOMER, MESSAGE_LINK, notices, 90000,
	    'notification of the new message');
	assert.equal(link, `${ORIGIN}/m/${id}`, 'the notification links the message');
	ok(`${NEWCOMER}'s notification reached the sink: ${link}`);

	const np = await userPage();
	await registerByClicks(np, seen, NEWCOMER, NEWCOMER_PASSWORD);
	await logIn(np, seen, NEWCOMER, NEWCOMER_PASSWORD);
	await np.goto(link);
	await np.getByRole('heading', { name: COMPOSE_SUBJECT }).waitFor();
	assert.ok((await bodyText(np)).includes(COMPOSE_MARK), 'the newcomer reads the text');
	assert.ok((await headerRow(np, 'From')).includes(SENDER), 'From is the sender');
	const got = await downloadSame(np,
	    np.getByRole('link', { name: path.basename(COMPOSE_ATT) }),
	    COMPOSE_ATT, 'the composed message\'s attachment');
	ok(`${NEWCOMER} followed the mailed link, read the message, downloaded ${got.name}: ${got.bytes} bytes, byte for byte`);
	await np.context().close();
	assertClean('(2) compose');
}

/* (3) Reply all and Forward by the guest; the reader gets both. */
async function partReplyAllForward() {
	if (guestPage === undefined)
		throw new Error('the guest did not log in in (1)');
	const page = guestPage;
	await openFromInbox(page, MSG_SUBJECT, MSG_ID);

	let form = await openAnswer(page, 'Reply all');
	assert.equal(await form.getByLabel('To', { exact: true }).inputValue(), SENDER,
	    'Reply all: To is the sender');
	const cc = await form.getByLabel('Cc', { exact: true }).inputValue();
	assert.ok(cc.split(/,\s*/).includes(READER) && !cc.includes(GUEST),
	    `Reply all: Cc "${cc}" is the other recipient, not the guest`);
	const allSubject = await form.getByLabel('Subject', { exact: true }).inputValue();
	await form.getByLabel('Message', { exact: true }).fill(REPLY_ALL_MARK);
	const senderNotices = sinkLinks(SENDER, MESSAGE_LINK).length;
	const readerNotices = sinkLinks(READER, MESSAGE_LINK).length;
	const allId = await send(page, form, 'Reply all');
	assert.ok((await bodyText(page)).includes(REPLY_ALL_MARK), 'the sent reply shows its text');
	assert.ok((await headerRow(page, 'Cc')).includes(READER), 'the reply\'s Cc is the reader');
	ok(`Reply all (To ${SENDER}, Cc ${cc}) sent: /m/${allId}`);
	for (const [who, n] of [[SENDER, senderNotices], [READER, readerNotices]]) {
		const link = await waitSinkLink(who, MESSAGE_LINK, n, 90000,
		    'notification of the reply to all');
		assert.equal(link, `${ORIGIN}/m/${allId}`, `${who}'s notification links the reply to all`);
	}
	ok(`notifications of /m/${allId} reached the sink for ${SENDER} and ${READER}`);

	await openFromInbox(page, MSG_SUBJECT, MSG_ID);
	form = await openAnswer(page, 'Forward');
	assert.equal(await form.getByLabel('To', { exact: true }).inputValue(), '', 'Forward: To starts empty');
	const fwdSubject = await form.getByLabel('Subject', { exact: true }).inputValue();
	assert.ok(fwdSubject.startsWith('Fwd: '), `Forward: subject "${fwdSubject}"`);
	await form.getByLabel('To', { exact: true }).fill(READER);
	await form.getByLabel('Message', { exact: true }).fill(FORWARD_MARK);
	const fwdId = await send(page, form, 'Forward');
	assert.ok((await bodyText(page)).includes(FORWARD_MARK), 'the forward shows its text');
	await page.getByRole('link', { name: ATT_NAME }).waitFor();
	ok(`Forward to ${READER} sent: /m/${fwdId} lists the original's ${ATT_NAME}`);

	const rp = await userPage();
	await rp.goto(`${ORIGIN}/`);
	await logIn(rp, seen, READER, READER_PASSWORD);
	await openFromInbox(rp, fwdSubject, fwdId);
	const text = await bodyText(rp);
	assert.ok(text.includes(FORWARD_MARK) && text.includes(MSG_BODY_MARK),
	    `the forward has its text and the original's: ${text}`);
	const got = await downloadSame(rp, rp.getByRole('link', { name: ATT_NAME }),
	    ATT_FILE, 'the forwarded attachment');
	ok(`${READER} opened the forward and downloaded ${got.name}: ${got.bytes} bytes, the original's attachment byte for byte`);
	await openFromInbox(rp, allSubject, allId);
	assert.ok((await bodyText(rp)).includes(REPLY_ALL_MARK), 'the reader reads the reply to all');
	ok(`${READER} opened the reply to all from the inbox`);
	await rp.context().close();
	assertClean('(3) reply all and forward');
}

/* ------------------------------------------------------------ main */

async function main() {
	fs.mkdirSync(SHOT_DIR, { recursive: true });
	downloads = fs.mkdtempSync(path.join(os.tmpdir(), 'sealpost-dl-'));
	try {
		browser = await chromium.launch({
			executablePath: CHROMIUM,
			headless: true,
			downloadsPath: downloads,
			args: LAUNCH_ARGS,
		});
		ok(`Chromium ${browser.version()} started headless`);
		return await runParts([
			['(1) reply with an attachment', partReply],
			['(2) compose with an attachment', partCompose],
			['(3) reply all and forward', partReplyAllForward],
		]);
	} finally {
		if (browser)
			await browser.close().catch(() => {});
		fs.rmSync(downloads, { recursive: true, force: true });
	}
}

finish('compose.spec.js', main());
