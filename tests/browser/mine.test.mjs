// "Mis citas" (/my) in headless Chromium: a citizen's appointments in every office, opened
// with a link mailed to the address given at booking. Three appointments are booked on the
// citizens' pages with one document: two with one e-mail address (Madrid, and Las Palmas
// de Gran Canaria) and one with another address (Madrid, another procedure, the week
// after). Then, in Spanish with JavaScript on at 360×640 and in English with JavaScript
// off at 1280×800: the start page's link to /my, the form sent empty (the errors at the
// fields), then with the document and the first address ("check your e-mail", the same
// whatever matched); the link as the SMTP server received it, opened in the browser (it
// leaves the address bar at once); both appointments listed and not the other address's;
// a calendar link made (shown whole, where the page opens), its feed fetched
// (text/calendar with both appointments' UIDs), turned off with the keyboard alone (Tab,
// Enter) and then refused; and the page closed (the form again, saying so).
// And a link that is not one: the 404 page with the form. axe-core (WCAG 2.0/2.1 A and
// AA) checks every state of the page and must find nothing; each is photographed, and
// none is wider than the screen (the English calendar link at 360 px too).
//
// Run by scripts/browser-tests.sh, which starts the SMTP server (scripts/smtp_sink.py)
// and gives the demo server --smtp-url and --mail-from (node's test runner takes the
// files in alphabetical order: after mail.test.mjs, before queue.test.mjs; it books at the
// demo's Madrid and Las Palmas offices as configured, and leaves the configuration alone).
// Environment (read by support.mjs): CITA_BASE_URL, CITA_MAIL_DIR, CITA_CHROMIUM,
// CITA_SCREENSHOTS.

import { after, before, test } from "node:test";
import assert from "node:assert/strict";

import {
  BASE,
  bookOnPages,
  checkPage,
  dni,
  follow,
  launchBrowser,
  makeRun,
  overflowOf,
  pressAndFollow,
  receivedFor,
  requireEnv,
  tabTo,
  waitForMail,
  writeAxeReport,
} from "./support.mjs";

const PHONE = { width: 360, height: 640 };
const DESKTOP = { width: 1280, height: 800 };

requireEnv({ mail: true });
const RUN = makeRun();
/** The document of this run's three appointments. */
const DOCUMENT = dni(RUN + 104729);
/** This run's addresses: `<who>.<n>@example.es`. */
const address = (who) => `${who}.${RUN % 1000003}@example.es`;
const EMAIL = address("mine");
const OTHER_EMAIL = address("mine.other");

/** Every check of the run: { journey, name, path, violations }. */
const checks = [];
let browser;
before(async () => {
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  writeAxeReport(checks, "\"Mis citas\" pages", "axe-report-mine.md");
});

const WORDS = {
  es: {
    start: "Ver todas mis citas",
    title: "Mis citas",
    listTitle: "Tus citas",
    errors: "Hay un problema",
    fieldErrors: ["Escribe el número de tu documento.", "Escribe tu correo electrónico."],
    sent: "Revisa tu correo",
    subject: "Tus citas: el enlace que pediste",
    create: "Crear un enlace de calendario",
    created: /^Enlace de calendario creado/,
    revoke: "Desactivar este enlace",
    revoked: /^El enlace de calendario ya no funciona/,
    leave: "Cerrar",
    left: /^Has cerrado tus citas en este dispositivo/,
    expired: /^Este enlace ha caducado o no es válido/,
  },
  en: {
    start: "See all my appointments",
    title: "My appointments",
    listTitle: "Your appointments",
    errors: "There is a problem",
    fieldErrors: ["Write your document number.", "Write your e-mail address."],
    sent: "Check your e-mail",
    subject: "Your appointments: the link you asked for",
    create: "Make a calendar link",
    created: /^Calendar link made/,
    revoke: "Turn off this link",
    revoked: /^The calendar link no longer works/,
    leave: "Close",
    left: /^Your appointments are closed on this device/,
    expired: /^This link has expired or is not valid/,
  },
};

/** The appointments booked for the run: { madrid, lasPalmas, other } (what the done pages said). */
let booked;

async function heading(page) {
  return (await page.locator("h1").innerText()).trim();
}

/** axe on the page (its HTML as served, when JavaScript is off), a screenshot, no overflow. */
const check = (page, journey, name, js) => checkPage(browser, page, { prefix: "mine", journey, name, js, checks });

test("three appointments with one document: two with one address in two offices, one with another", async () => {
  const context = await browser.newContext({ viewport: PHONE, locale: "es-ES" });
  const who = { document: DOCUMENT, name: "Rosario Molina Gil" };
  // Times that cannot overlap (one document never holds two at once): Madrid's first
  // free time; Las Palmas's last of its first day (from 13:00 Canary time, 14:00 in
  // Madrid, when Madrid is closed); the other procedure at Madrid a week later.
  const madrid = await bookOnPages(context, { ...who, lang: "es", email: EMAIL, office: "madrid-extranjeria", service: "huellas-tie" });
  const lasPalmas = await bookOnPages(context, { ...who, lang: "es", email: EMAIL, office: "las-palmas-dni", service: "renovacion-dni", lastTime: true });
  const other = await bookOnPages(context, { ...who, lang: "en", email: OTHER_EMAIL, office: "madrid-extranjeria", service: "asilo", nextWeek: true });
  await context.close();
  booked = { madrid, lasPalmas, other };
  assert.equal(new Set([madrid.locator, lasPalmas.locator, other.locator]).size, 3);
  // Their confirmations, so the link's message is told apart from them below.
  await waitForMail(EMAIL, 15, ({ record }) => record.subject.startsWith("Cita confirmada"));
});

/** The text/plain part of a message's JSON summary. */
const plainText = (record) => record.parts.find((p) => p.content_type === "text/plain")?.body ?? "";

/**
 * Asks for the link on the page in view (document and address typed), and waits for the
 * message that carries it, not one of those received before: the link.
 */
async function askForLink(page, lang, journey, js) {
  const w = WORDS[lang];
  const before = new Set(receivedFor(EMAIL).map(({ file }) => file));
  await page.locator("#document").fill(DOCUMENT);
  await page.locator("#email").fill(EMAIL);
  const sent = await follow(page, page.locator('form[action="/my"] button[type="submit"]'));
  assert.equal(sent.status(), 200);
  assert.equal(await heading(page), w.title);
  const panel = page.locator(".panel.confirmed[role=status]");
  assert.equal((await panel.locator("strong").innerText()).trim(), w.sent);
  assert.equal(await page.locator("#document").count(), 0, "the form is gone");
  await check(page, journey, "sent", js);

  const [{ record }] = await waitForMail(EMAIL, 15, ({ file, record }) => !before.has(file) && plainText(record).includes("/my/open?token="));
  assert.deepEqual(record.rcpt_tos, [EMAIL]);
  assert.equal(record.subject, w.subject, "in the language the link was asked for in");
  const text = plainText(record);
  const link = text.match(/^(\S+\/my\/open\?token=\S+)$/m)?.[1];
  assert.ok(link, `a line with the link in the text part:\n${text}`);
  assert.ok(link.startsWith(`${BASE}/my/open?token=`), link);
  for (const part of record.parts) assert.ok(!part.body.includes(DOCUMENT.slice(0, 8)), "the document number is in the message");
  return link;
}

/** The page after the link was opened: both appointments of that address, not the other's. */
async function assertListed(page, lang) {
  const w = WORDS[lang];
  assert.equal(await heading(page), w.listTitle);
  const listed = page.locator("ul.appointments > li");
  assert.equal(await listed.count(), 2, await page.locator("main").innerText());
  const text = await page.locator("ul.appointments").innerText();
  for (const one of [booked.madrid, booked.lasPalmas]) assert.ok(text.includes(one.locator), `${one.locator} listed:\n${text}`);
  assert.ok(!text.includes(booked.other.locator), "the other address's appointment is not listed");
  assert.ok(text.includes("Madrid") && text.includes("Las Palmas de Gran Canaria"), text);
  assert.ok(text.includes("Toma de huellas (TIE)") && text.includes("Renovación del DNI"), text);
}

/** Makes a calendar link and fetches its feed; the feed's URL. */
async function makeCalendarLink(page, lang, journey, js) {
  const w = WORDS[lang];
  const create = page.locator('form[action="/my/calendar"] button[type="submit"]');
  assert.equal((await create.innerText()).trim(), w.create);
  await follow(page, create);
  // Where the page opens, above the appointments: the link, whole (it wraps).
  const created = page.locator(".panel.confirmed");
  assert.match((await created.innerText()).trim(), w.created);
  assert.ok(await created.evaluate((el) => el.compareDocumentPosition(document.querySelector("ul.appointments")) & Node.DOCUMENT_POSITION_FOLLOWING), "the new link comes before the list");
  const field = page.locator("#feed-url");
  assert.equal(await field.getAttribute("readonly"), "");
  const url = await field.inputValue();
  const fits = await field.evaluate((el) => ({ scroll: [el.scrollWidth, el.scrollHeight], client: [el.clientWidth, el.clientHeight] }));
  assert.ok(fits.scroll[0] <= fits.client[0] + 1 && fits.scroll[1] <= fits.client[1] + 1, `the whole link is in view: ${JSON.stringify(fits)}`);
  assert.match(url, new RegExp(`^${BASE.replace(/[.]/g, "\\.")}/feeds/citizens/[^/?]+\\.ics\\?token=\\S+$`));
  const webcal = await page.locator('a[href^="webcal://"]').getAttribute("href");
  assert.equal(webcal, url.replace(/^https?:\/\//, "webcal://"));
  assert.equal(await page.locator("ul.feeds > li").count(), 1, "one link in use");
  await check(page, journey, "calendar-link", js);

  const feed = await page.request.get(url);
  assert.equal(feed.status(), 200);
  assert.match(feed.headers()["content-type"], /^text\/calendar/);
  const body = await feed.text();
  for (const one of [booked.madrid, booked.lasPalmas]) assert.match(body, new RegExp(`^UID:${one.locator}@`, "m"), `${one.locator}'s event in the feed`);
  assert.ok(!body.includes(booked.other.locator), "the other address's appointment is not in the feed");
  return url;
}

/** Revokes the one calendar link with Tab and Enter; the feed is then refused. */
async function revokeByKeyboard(page, lang, journey, js, url) {
  const w = WORDS[lang];
  await page.evaluate(() => document.activeElement?.blur());
  await tabTo(page, "revoke", (f) => f.type === "submit" && f.text.startsWith(w.revoke), 80);
  const answer = await pressAndFollow(page, "Enter");
  assert.equal(answer.status(), 200);
  assert.match(new URL(page.url()).pathname, /^\/my$/);
  assert.match((await page.locator(".notice[role=status]").innerText()).trim(), w.revoked);
  assert.equal(await page.locator("ul.feeds").count(), 0, "no link in use");
  await assertListed(page, lang);
  await check(page, journey, "calendar-link-revoked", js);
  const gone = await page.request.get(url);
  assert.equal(gone.status(), 404, "a revoked link's feed");
}

/** The whole visit to /my, from the start page to "Close". */
async function visit(lang, { js, viewport }) {
  const w = WORDS[lang];
  const journey = `${js ? "js" : "nojs"}-${lang}-${viewport.width}`;
  const context = await browser.newContext({ viewport, javaScriptEnabled: js, locale: "es-ES" });
  const page = await context.newPage();
  await page.goto(`${BASE}/`);
  if (lang === "en") await follow(page, page.locator('nav.langs a[hreflang="en"]'));
  const start = page.locator('main a[href="/my"]');
  assert.equal((await start.innerText()).trim(), w.start);
  await follow(page, start);
  assert.equal(await heading(page), w.title);
  assert.equal(await page.locator("html").getAttribute("lang"), lang);
  await check(page, journey, "form", js);

  // Sent empty: 422, each field with its error, the summary linking to them.
  const empty = await follow(page, page.locator('form[action="/my"] button[type="submit"]'));
  assert.equal(empty.status(), 422);
  assert.equal((await page.locator("#error-summary-title").innerText()).trim(), w.errors);
  assert.deepEqual(await page.locator(".error-summary a").evaluateAll((as) => as.map((a) => a.getAttribute("href"))), ["#document", "#email"]);
  assert.deepEqual((await page.locator(".error-summary a").allInnerTexts()).map((t) => t.trim()), w.fieldErrors);
  for (const id of ["document", "email"]) {
    const field = page.locator(`#${id}`);
    assert.equal(await field.getAttribute("aria-invalid"), "true", id);
    assert.match(await field.getAttribute("aria-describedby"), new RegExp(`${id}-error`));
    assert.ok(await page.locator(`#${id}-error`).isVisible(), `${id}'s error`);
  }
  assert.match(await page.title(), /^Error: /);
  await check(page, journey, "form-errors", js);

  const link = await askForLink(page, lang, journey, js);
  const opened = await page.goto(link);
  const redirected = opened.request().redirectedFrom();
  assert.ok(redirected, "the link redirects");
  assert.equal((await redirected.response()).status(), 303);
  assert.equal(new URL(page.url()).pathname + new URL(page.url()).search, "/my", "the token has left the address bar");
  await assertListed(page, lang);
  await check(page, journey, "list", js);

  const url = await makeCalendarLink(page, lang, journey, js);
  if (viewport.width > PHONE.width) {
    // The link is long: at 360 px it must still fit.
    await page.setViewportSize(PHONE);
    const overflow = await overflowOf(page);
    assert.ok(overflow.scroll <= overflow.width, `calendar link at 360 px: ${overflow.wide.join(" | ")}`);
    const fits = await page.locator("#feed-url").evaluate((el) => el.scrollWidth <= el.clientWidth + 1 && el.scrollHeight <= el.clientHeight + 1);
    assert.ok(fits, "the whole link is in view at 360 px");
    await check(page, journey, "calendar-link-360", js);
    await page.setViewportSize(viewport);
  }
  await revokeByKeyboard(page, lang, journey, js, url);

  const leave = page.locator('form[action="/my/leave"] button[type="submit"]');
  assert.equal((await leave.innerText()).trim(), w.leave);
  await follow(page, leave);
  assert.equal(new URL(page.url()).pathname, "/my");
  assert.equal(await heading(page), w.title);
  assert.match((await page.locator(".notice[role=status]").innerText()).trim(), w.left);
  assert.equal(await page.locator("ul.appointments").count(), 0, "closed: nothing listed");
  assert.equal(await page.locator("#document").count(), 1, "closed: the form again");
  await check(page, journey, "closed", js);
  await context.close();
}

test("Mis citas in Spanish, JavaScript on, 360 px: the link asked for, opened, a calendar link made and revoked", async () => {
  assert.ok(booked, "the appointments were booked");
  await visit("es", { js: true, viewport: PHONE });
});

test("My appointments in English, JavaScript off, 1280 px: the same", async () => {
  assert.ok(booked, "the appointments were booked");
  await visit("en", { js: false, viewport: DESKTOP });
});

test("a link that is not one: 404, the form and the reason", async () => {
  for (const [lang, js, viewport] of [["es", true, PHONE], ["en", false, DESKTOP]]) {
    const w = WORDS[lang];
    const journey = `${js ? "js" : "nojs"}-${lang}-${viewport.width}`;
    const context = await browser.newContext({ viewport, javaScriptEnabled: js, locale: "es-ES" });
    const page = await context.newPage();
    if (lang === "en") {
      await page.goto(`${BASE}/`);
      await follow(page, page.locator('nav.langs a[hreflang="en"]'));
    }
    const answer = await page.goto(`${BASE}/my/open?token=x`);
    assert.equal(answer.status(), 404);
    assert.equal(await heading(page), w.title);
    assert.match((await page.locator(".notice[role=status]").innerText()).trim(), w.expired);
    assert.equal(await page.locator('form[action="/my"] #document').count(), 1, "the form");
    assert.equal(await page.locator('form[action="/my"] #email').count(), 1, "the form");
    await check(page, journey, "invalid-link", js);
    await context.close();
  }
});
