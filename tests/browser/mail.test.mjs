// The e-mail a citizen gets, and the staff's page of messages that could not be sent, in
// headless Chromium. An appointment is booked on the citizens' pages with an e-mail
// address, in Spanish (JavaScript on, 360 px) and in English (JavaScript off, 1280 px),
// each with its own document; the confirmation the SMTP server received is read back
// (subject and language, the locator, day, time and what to bring as the done page said,
// the invitation, no document number and no token anywhere in it) and its HTML part is
// opened in Chromium at 360×640 and 1280×800: nothing wider than the screen, no text
// under 16 px, axe-core's verdict and a screenshot. Then an appointment is booked with an
// address the SMTP server refuses (it contains "reject": a permanent 550, so the message
// is dead after one attempt) and the demo admin finds it on the unsent messages page
// (from the staff menu, with JavaScript off in English at 360 px, then on in Spanish at
// 1280 px with the keyboard alone), sends it again with Tab and Enter, sees the notice and
// the message back once the server refused it again; and the page's empty state for
// another office. axe-core (WCAG 2.0/2.1 A and AA) checks every page and the e-mail and
// must find nothing.
//
// Run by scripts/browser-tests.sh, which starts the SMTP server (scripts/smtp_sink.py)
// and gives the demo server --smtp-url and --mail-from (node's test runner takes the
// files in alphabetical order: after journeys.test.mjs, before queue.test.mjs; it uses the
// demo's Madrid office as configured, and leaves the configuration alone).
// Environment (read by support.mjs): CITA_BASE_URL, CITA_STAFF_TOKEN (the demo admin's),
// CITA_MAIL_DIR (where the SMTP server writes each message: <pid>-<n>.eml and .json, the
// JSON with the envelope, subject, decoded parts and parsed calendars), CITA_CHROMIUM,
// CITA_SCREENSHOTS.

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";

import { AxeBuilder } from "@axe-core/playwright";

import {
  AXE_TAGS,
  BASE,
  MAIL_DIR,
  SHOTS,
  TOKEN,
  bookOnPages,
  checkPage,
  describeViolations,
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
const OFFICE = "madrid-extranjeria";
const OTHER_OFFICE = "barcelona-extranjeria";
const SERVICE = "huellas-tie";
const FROM = "Cita previa <citas@example.es>";

requireEnv({ token: true, mail: true });
const RUN = makeRun();
let nextDocument = 0;
const newDocument = () => dni(RUN + nextDocument++ * 15485863);
/** This run's e-mail addresses: `<who>.<n>@example.es`, n shorter than a document's number. */
const address = (who) => `${who}.${RUN % 1000003}@example.es`;

/** Every check of the run: { journey, name, path, violations }. */
const checks = [];
let browser;
before(async () => {
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  writeAxeReport(checks, "e-mail and unsent messages pages", "axe-report-mail.md");
});

const WORDS = {
  es: {
    subject: /^Cita confirmada: Toma de huellas \(TIE\), \S.* a las \d{1,2}:\d{2}$/,
    greeting: "Hola, ",
    labels: ["Trámite", "Oficina", "Dirección", "Día", "Hora", "Localizador"],
  },
  en: {
    subject: /^Appointment confirmed: Toma de huellas \(TIE\), \S.* at \S+/,
    greeting: "Hello ",
    labels: ["Procedure", "Office", "Address", "Day", "Time", "Locator"],
  },
};

async function heading(page) {
  return (await page.locator("h1").innerText()).trim();
}

/**
 * Books the first free time of the procedure at Madrid on the citizens' pages, in `lang`,
 * with `email` and a new document (support.mjs's bookOnPages); what the done page says.
 */
function book(context, { lang, email }) {
  const name = lang === "es" ? "Carmen Ortega Vidal" : "Mary Jones Baker";
  return bookOnPages(context, { lang, email, document: newDocument(), name, office: OFFICE, service: SERVICE });
}

/**
 * axe-core's violations of the WCAG 2.0/2.1 A and AA rules alone (AXE_TAGS), for the
 * e-mail. support.mjs's axeViolations runs every rule, best practices too: its
 * AxeBuilder's .options() comes after .withTags() and replaces the runOnly that set.
 * A message has no landmarks and need not have a level-one heading of its own (a mail
 * client shows it inside its own page, under the subject), so those best practices
 * ("region", "landmark-one-main", "page-has-heading-one") do not apply to it.
 */
async function wcagViolations(page) {
  const results = await new AxeBuilder({ page }).options({ resultTypes: ["violations"] }).withTags(AXE_TAGS).analyze();
  return results.violations;
}

/**
 * The e-mail's HTML in Chromium at a phone's and a desktop's size: nothing wider than the
 * screen, no text smaller than 16 px, axe-core, a screenshot.
 */
async function checkMailHtml(html, lang, name) {
  for (const [size, viewport] of [["360", PHONE], ["1280", DESKTOP]]) {
    const context = await browser.newContext({ viewport });
    const page = await context.newPage();
    await page.setContent(html, { waitUntil: "load" });
    assert.equal(await page.locator("html").getAttribute("lang"), lang, "the e-mail's language");
    const overflow = await overflowOf(page);
    assert.ok(overflow.scroll <= overflow.width, `mail ${lang} at ${size} px: wider than the screen (${overflow.scroll} > ${overflow.width} px): ${overflow.wide.join(" | ")}`);
    const small = await page.evaluate(() =>
      [...document.body.querySelectorAll("*")]
        .filter((el) => [...el.childNodes].some((n) => n.nodeType === Node.TEXT_NODE && n.textContent.trim() !== ""))
        .map((el) => ({ text: el.textContent.trim().slice(0, 40), size: parseFloat(getComputedStyle(el).fontSize) }))
        .filter((t) => t.size < 16),
    );
    assert.deepEqual(small, [], `mail ${lang}: text under 16 px`);
    const violations = await wcagViolations(page);
    checks.push({ journey: `mail-${lang}`, name: `${name}-${size}`, path: "(e-mail, text/html part)", violations: violations.length });
    await page.screenshot({ path: path.join(SHOTS, `mail-${lang}-${name}-${size}.png`), fullPage: true });
    await context.close();
    assert.deepEqual(describeViolations(violations), [], `axe on the ${lang} e-mail at ${size} px`);
  }
}

/** The booked appointment's confirmation: as the SMTP server received it, then in Chromium. */
async function confirmationMail(lang, { js, viewport }) {
  const w = WORDS[lang];
  const email = address(`mail.${lang}`);
  const context = await browser.newContext({ viewport, javaScriptEnabled: js, locale: "es-ES" });
  const booked = await book(context, { lang, email });
  await context.close();
  const received = await waitForMail(email);
  // Sent once: a second look a moment later finds no other message.
  await new Promise((resolve) => setTimeout(resolve, 1500));
  assert.equal(receivedFor(email).length, 1, `one message to ${email}`);
  const { file, record } = received[0];
  assert.deepEqual(record.rcpt_tos, [email]);
  assert.equal(record.from, FROM);
  assert.equal(record.to, email);
  assert.match(record.subject, w.subject);
  const part = (type) => record.parts.find((p) => p.content_type === type)?.body;
  const html = part("text/html");
  const text = part("text/plain");
  assert.ok(html && text, `a text and an HTML part: ${record.parts.map((p) => p.content_type)}`);
  writeFileSync(path.join(SHOTS, `mail-${lang}-booked.html`), html);

  // The invitation: REQUEST, this appointment's UID, the attendee.
  assert.equal(record.calendars.length, 2, "the invitation as an alternative and as an attached file");
  for (const calendar of record.calendars) {
    assert.equal(calendar.method, "REQUEST");
    assert.equal(calendar.events.length, 1);
    assert.ok(calendar.events[0].uid.startsWith(`${booked.locator}@`), calendar.events[0].uid);
    assert.match(calendar.events[0].attendee, new RegExp(email.replace(/\./g, "\\.")));
  }

  // In the language booked in, naming the citizen, with the appointment as the done page
  // said it.
  assert.match(html, new RegExp(`<html lang="${lang}">`));
  assert.ok(text.startsWith(`${w.greeting}${booked.name}`), text.slice(0, 80));
  const tmp = await browser.newPage();
  await tmp.setContent(html);
  const rows = Object.fromEntries(
    await tmp.locator("table tr").evaluateAll((trs) => trs.map((tr) => [tr.querySelector("th").textContent.trim(), tr.querySelector("td").textContent.trim()])),
  );
  const bring = await tmp.locator("ul li").allInnerTexts();
  const links = await tmp.locator("a").evaluateAll((as) => as.map((a) => a.getAttribute("href")));
  await tmp.close();
  assert.deepEqual(Object.keys(rows), w.labels);
  assert.equal(rows[w.labels[5]], booked.locator);
  assert.ok(booked.when.includes(rows[w.labels[3]]) && booked.when.includes(rows[w.labels[4]]), `day and time ${JSON.stringify(rows)} as the done page said: ${booked.when}`);
  assert.ok(record.subject.includes(rows[w.labels[3]]) && record.subject.includes(rows[w.labels[4]]), record.subject);
  assert.deepEqual(bring.slice(1), booked.requirements, "what to bring, as the done page said");
  assert.deepEqual(links, [`${BASE}/manage`], "one link, to the page that finds the appointment, with nothing in it");
  assert.ok(text.includes(booked.locator) && text.includes(`${BASE}/manage`));

  // No document number and no token, in any part, the subject or the raw message.
  const raw = readFileSync(path.join(MAIL_DIR, file.replace(/\.json$/, ".eml")), "utf8");
  const everything = [record.subject, raw, ...record.parts.map((p) => p.body)];
  const digits = booked.document.slice(0, 8);
  for (const body of everything) {
    assert.ok(!body.includes(digits), `the document number (${booked.document}) is in the message`);
    assert.ok(!body.includes(TOKEN), "the staff token is in the message");
    for (const value of booked.session) assert.ok(!body.includes(value), "a session cookie's value is in the message");
  }
  for (const body of [html, text]) {
    assert.doesNotMatch(body, /token|[?&][a-z_]+=/i, "no token nor query string in the message");
    // Nothing opaque and long (a token, a signature): the longest run of letters and
    // digits is a word or a locator.
    assert.doesNotMatch(body, /[A-Za-z0-9_-]{24,}/, "a long opaque string is in the message");
  }

  await checkMailHtml(html, lang, "booked");
}

test("the confirmation e-mail in Spanish: received, readable and accessible", () =>
  confirmationMail("es", { js: true, viewport: PHONE }));

test("the confirmation e-mail in English: received, readable and accessible", () =>
  confirmationMail("en", { js: false, viewport: DESKTOP }));

/** The appointment whose confirmation the SMTP server refused: { locator, address }. */
let refused;

test("a message the mail server refuses is left for the staff, without a second attempt", async () => {
  const email = address("reject.test");
  const context = await browser.newContext({ viewport: PHONE, locale: "es-ES" });
  const booked = await book(context, { lang: "es", email });
  await context.close();
  refused = { locator: booked.locator, address: email };
  // Refused at RCPT: the SMTP server writes nothing for it.
  await new Promise((resolve) => setTimeout(resolve, 3000));
  assert.deepEqual(receivedFor(email), [], "nothing was delivered to the refused address");
});

/** Signs in with the demo admin's token (typed with the keyboard, or filled). */
async function signIn(page, keyboard) {
  await page.goto(`${BASE}/staff/sign-in`);
  const field = page.locator("#token");
  if (keyboard) {
    await tabTo(page, "the key field", (f) => f.id === "token");
    await page.keyboard.type(TOKEN);
    await tabTo(page, "sign in", (f) => f.type === "submit");
    await pressAndFollow(page, "Enter");
  } else {
    await field.fill(TOKEN);
    await follow(page, page.locator("form[action='/staff/sign-in'] button[type=submit]"));
  }
  await page.waitForURL(/\/staff\/agenda/);
}

/** Chooses `office` in the office list with the arrow keys and shows it (Tab, Enter). */
async function chooseOffice(page, office) {
  const select = page.locator("#office_id");
  const values = await select.locator("option").evaluateAll((options) => options.map((o) => o.value));
  assert.ok(values.includes(office), `${office} among ${values}`);
  await page.evaluate(() => document.activeElement?.blur());
  await tabTo(page, "the office", (f) => f.id === "office_id");
  const key = values.indexOf(office) > values.indexOf(await select.inputValue()) ? "ArrowDown" : "ArrowUp";
  for (let n = 0; n < values.length && (await select.inputValue()) !== office; n++) await page.keyboard.press(key);
  assert.equal(await select.inputValue(), office);
  await tabTo(page, "show", (f) => f.type === "submit");
  await pressAndFollow(page, "Enter");
  assert.match(page.url(), new RegExp(`/staff/messages\\?office_id=${office}$`));
}

/** The refused message's row, reloading the page until it is there (up to `seconds`). */
async function refusedRow(page, seconds = 15) {
  const row = page.locator("main table tbody tr", { has: page.locator("td", { hasText: refused.locator }) });
  const deadline = Date.now() + seconds * 1000;
  while ((await row.count()) === 0) {
    assert.ok(Date.now() < deadline, `${refused.locator} is not listed within ${seconds} s (${page.url()})`);
    await new Promise((resolve) => setTimeout(resolve, 500));
    await page.reload();
  }
  return row;
}

/** The row's cells: what, channel, locator, since, attempts, last error (and the action's). */
async function assertRefusedRow(row, lang) {
  const cells = (await row.locator("td").allInnerTexts()).map((c) => c.trim());
  assert.equal(cells[0], lang === "es" ? "Confirmación" : "Confirmation", `${cells}`);
  assert.equal(cells[1], lang === "es" ? "Correo" : "E-mail", `${cells}`);
  assert.equal(cells[2], refused.locator);
  assert.match(cells[3], /\d{1,2}:\d{2}/);
  assert.equal(cells[4], "1", "dead after one attempt");
  assert.match(cells[5], /550/);
  assert.ok(!(await row.innerText()).includes(refused.address), "the address is not shown (the server's answer quoted it)");
}

test("unsent messages, JavaScript off, in English, 360 px: listed, and the empty state", async () => {
  assert.ok(refused, "the refused booking was made");
  const context = await browser.newContext({ viewport: PHONE, javaScriptEnabled: false, locale: "en-GB" });
  const page = await context.newPage();
  await signIn(page, false);
  const menu = page.locator("nav.staff-nav a[href='/staff/messages']");
  assert.equal((await menu.innerText()).trim(), "Unsent messages");
  await follow(page, menu);
  assert.equal(await menu.getAttribute("aria-current"), "page");
  assert.match(await heading(page), /^Unsent messages · /);
  if ((await page.locator("#office_id").inputValue()) !== OFFICE) {
    await page.locator("#office_id").selectOption(OFFICE);
    await follow(page, page.locator("form.day-picker button[type=submit]"));
  }
  assert.match(page.url(), new RegExp(`office_id=${OFFICE}$|/staff/messages$`));
  const row = await refusedRow(page);
  await assertRefusedRow(row, "en");
  await checkPage(browser, page, { prefix: "mail", journey: "staff-nojs-en", name: "messages", js: false, checks });

  await page.locator("#office_id").selectOption(OTHER_OFFICE);
  await follow(page, page.locator("form.day-picker button[type=submit]"));
  assert.match(page.url(), new RegExp(`office_id=${OTHER_OFFICE}$`));
  assert.ok((await page.locator("main").innerText()).includes("There are no unsent messages."));
  assert.equal(await page.locator("main table").count(), 0, "no table");
  await checkPage(browser, page, { prefix: "mail", journey: "staff-nojs-en", name: "messages-empty", js: false, checks });
  await context.close();
});

test("unsent messages with the keyboard alone, in Spanish, 1280 px: sent again", async () => {
  assert.ok(refused, "the refused booking was made");
  const context = await browser.newContext({ viewport: DESKTOP, locale: "es-ES" });
  const page = await context.newPage();
  await signIn(page, true);
  await tabTo(page, "the unsent messages in the menu", (f) => f.href === "/staff/messages");
  await pressAndFollow(page, "Enter");
  assert.match(await heading(page), /^Mensajes no enviados · /);
  if ((await page.locator("#office_id").inputValue()) !== OFFICE) await chooseOffice(page, OFFICE);
  const row = await refusedRow(page);
  await assertRefusedRow(row, "es");
  await checkPage(browser, page, { prefix: "mail", journey: "staff-keyboard-es", name: "messages", js: true, checks });

  // "Enviar de nuevo" on that row, with Tab and Enter: its name says which message.
  await page.evaluate(() => document.activeElement?.blur());
  await tabTo(page, "send again", (f) => f.type === "submit" && f.text.startsWith("Enviar de nuevo") && f.text.includes(refused.locator), 120);
  const sent = await pressAndFollow(page, "Enter");
  assert.equal(sent.status(), 200);
  assert.match(page.url(), new RegExp(`/staff/messages\\?office_id=${OFFICE}$`));
  assert.equal((await page.locator(".notice.good[role=status]").innerText()).trim(), "El mensaje se enviará de nuevo en unos segundos.");
  await checkPage(browser, page, { prefix: "mail", journey: "staff-keyboard-es", name: "messages-sent-again", js: true, checks });

  // The server refuses it again: back on the list after one more attempt, and still
  // nothing delivered.
  await assertRefusedRow(await refusedRow(page), "es");
  assert.deepEqual(receivedFor(refused.address), []);

  // Another office has none.
  await chooseOffice(page, OTHER_OFFICE);
  assert.match(page.url(), new RegExp(`office_id=${OTHER_OFFICE}$`));
  assert.ok((await page.locator("main").innerText()).includes("No hay mensajes sin enviar."));
  assert.equal(await page.locator("main table").count(), 0, "no table");
  await checkPage(browser, page, { prefix: "mail", journey: "staff-keyboard-es", name: "messages-empty", js: true, checks });
  await context.close();
});
