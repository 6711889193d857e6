// What the browser test files (draws, journeys, mail, mine, queue, staff) share: the
// environment, the documents of a run, the configuration put through the admin API, the
// browser, axe-core on a page (on its HTML as served when JavaScript is off), the check of
// a page that draws.test.mjs and queue.test.mjs make, following links and keys to the next
// page, Tab to an element, the axe report of the staff, draw and waiting room pages, and
// (for mail.test.mjs and mine.test.mjs) a booking with an e-mail made on the citizens'
// pages and the messages the tests' SMTP server received.
// Not a test file: node's test runner is given the *.test.mjs files by name
// (scripts/browser-tests.sh), and importing this runs nothing.
//
// Environment (read here, required by `requireEnv`):
//   CITA_BASE_URL      the running `cita serve --demo` (required)
//   CITA_STAFF_TOKEN   the demo admin's token (required by the files that use the admin API
//                      or the staff's pages)
//   CITA_MAIL_DIR      the folder where the tests' SMTP server (scripts/smtp_sink.py)
//                      writes what it receives (required by mail.test.mjs and mine.test.mjs)
//   CITA_CHROMIUM      the browser (default /usr/bin/chromium; never downloaded)
//   CITA_SCREENSHOTS   where the screenshots and the axe reports go
//                      (default target/browser-screenshots under the repository)

import assert from "node:assert/strict";
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

import { chromium } from "playwright-core";
import { AxeBuilder } from "@axe-core/playwright";

/** This folder, tests/browser. */
export const here = path.dirname(fileURLToPath(import.meta.url));
export const BASE = process.env.CITA_BASE_URL;
export const TOKEN = process.env.CITA_STAFF_TOKEN;
export const MAIL_DIR = process.env.CITA_MAIL_DIR;
export const CHROMIUM = process.env.CITA_CHROMIUM || "/usr/bin/chromium";
export const SHOTS = path.resolve(
  process.env.CITA_SCREENSHOTS || path.join(here, "..", "..", "target", "browser-screenshots"),
);
export const AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"];
// Every rule of those tags runs; passes and incomplete results are summarised (one
// element each), which makes a run faster. Violations are reported in full.
const AXE_OPTIONS = { resultTypes: ["violations"] };

/**
 * Asserts that the environment names the server (with `token`, holds the demo admin's
 * token; with `mail`, names the SMTP server's folder), and makes the screenshots folder.
 */
export function requireEnv({ token = false, mail = false } = {}) {
  assert.ok(BASE, "CITA_BASE_URL must name the running server");
  if (token) assert.ok(TOKEN, "CITA_STAFF_TOKEN must be the demo admin's token");
  if (mail) assert.ok(MAIL_DIR, "CITA_MAIL_DIR must name the folder the SMTP server writes to");
  mkdirSync(SHOTS, { recursive: true });
}

/** Puts `body` as the configuration in force, through the admin API with TOKEN. */
export async function putConfig(body) {
  const answer = await fetch(`${BASE}/api/v1/admin/config`, {
    method: "PUT",
    headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/toml" },
    body,
  });
  assert.equal(answer.status, 200, await answer.text());
}

/** A valid DNI: 8 digits and the check letter. */
export function dni(n) {
  const number = String(n % 100000000).padStart(8, "0");
  return number + "TRWAGMYFPDXBNJZSQVHLCKE"[Number(number) % 23];
}

/** The same number with a wrong check letter. */
export function wrongLetter(valid) {
  const letter = valid.at(-1) === "A" ? "B" : "A";
  return valid.slice(0, -1) + letter;
}

/** A random number for a run's documents, so a run may follow others on the same database. */
export function makeRun() {
  return 10000000 + Math.floor(Math.random() * 80000000);
}

/** Headless Chromium, the one at CITA_CHROMIUM. */
export function launchBrowser() {
  return chromium.launch({ executablePath: CHROMIUM, headless: true });
}

/**
 * Makes `page` answer every document request with `html()` (whatever the address), load no
 * script and everything else as usual: a page's HTML as served, where axe can run.
 */
export async function serveHtml(page, html) {
  await page.route("**/*", (route) => {
    const request = route.request();
    if (request.resourceType() === "document") {
      return route.fulfill({ status: 200, contentType: "text/html; charset=utf-8", body: html() });
    }
    if (request.resourceType() === "script") return route.abort();
    return route.continue();
  });
}

/** axe-core's violations (AXE_TAGS) on the page as it is. */
export async function axeViolations(page) {
  return (await new AxeBuilder({ page }).withTags(AXE_TAGS).options(AXE_OPTIONS).analyze()).violations;
}

/** Each violation and the elements it is on, one line each, for an assertion's message. */
export function describeViolations(violations) {
  return violations.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(" ")).join(", ")})`);
}

/**
 * How wide the page is against its screen: `scroll` (the document's scroll width), `width`
 * (the screen's) and the first three elements that reach past it.
 */
export async function overflowOf(page) {
  return page.evaluate(() => {
    const width = document.documentElement.clientWidth;
    const wide = [...document.querySelectorAll("body *")].filter((el) => el.getBoundingClientRect().right > width + 1);
    return { scroll: document.documentElement.scrollWidth, width, wide: wide.slice(0, 3).map((el) => el.outerHTML.slice(0, 120)) };
  });
}

/**
 * axe on the page (its HTML as served, in a scratch page of `browser`, when JavaScript is
 * off), a screenshot `<prefix>-<journey>-<name>.png`, no overflow; the result is pushed
 * on `checks` as { journey, name, path, violations }.
 */
export async function checkPage(browser, page, { prefix, journey, name, js, checks }) {
  const overflow = await page.evaluate(
    () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
  );
  assert.ok(overflow <= 0, `${journey} ${name}: wider than the screen by ${overflow} px`);
  let target = page;
  if (!js) {
    const html = await page.content();
    const context = await browser.newContext({ viewport: page.viewportSize() });
    target = await context.newPage();
    await serveHtml(target, () => html);
    await target.goto(page.url());
  }
  const violations = await axeViolations(target);
  if (!js) await target.context().close();
  const url = new URL(page.url());
  checks.push({ journey, name, path: url.pathname, violations: violations.length });
  await page.screenshot({ path: path.join(SHOTS, `${prefix}-${journey}-${name}.png`), fullPage: true });
  assert.deepEqual(describeViolations(violations), [], `axe on ${name} (${url.pathname})`);
}

/**
 * Activates a link or button (a click; with `keyboard`, focus and Enter) and waits for the
 * next page; its response.
 */
export async function follow(page, locator, keyboard = false) {
  if (keyboard) await locator.focus();
  const [response] = await Promise.all([
    page.waitForNavigation(),
    keyboard ? page.keyboard.press("Enter") : locator.click(),
  ]);
  return response;
}

/** Presses `key` on the focused element and waits for the page that follows; its response. */
export async function pressAndFollow(page, key = "Enter") {
  const [response] = await Promise.all([page.waitForNavigation(), page.keyboard.press(key)]);
  return response;
}

/**
 * Presses Tab until the focused element ({ id, href, type, text }) matches `wanted`,
 * checking at each stop that the focus can be seen.
 */
export async function tabTo(page, describe, wanted, limit = 60) {
  for (let presses = 0; presses < limit; presses++) {
    await page.keyboard.press("Tab");
    const focused = await page.evaluate(() => {
      const el = document.activeElement;
      if (!el || el === document.body) return null;
      const style = getComputedStyle(el);
      return {
        id: el.id,
        href: el.getAttribute("href"),
        type: el.getAttribute("type"),
        text: el.textContent.trim(),
        visibleFocus:
          (style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0) || style.boxShadow !== "none",
      };
    });
    if (!focused) continue;
    assert.ok(focused.visibleFocus, `no visible focus on ${JSON.stringify(focused)} (${page.url()})`);
    if (wanted(focused)) return;
  }
  assert.fail(`${describe}: not reached with Tab on ${page.url()}`);
}

/**
 * The table of `checks` ({ journey, name, path, violations }) under a line that counts them
 * for `title` ("draw pages"), printed and written to `file` in the screenshots folder.
 */
export function writeAxeReport(checks, title, file) {
  const total = checks.reduce((n, c) => n + c.violations, 0);
  const lines = [
    `axe-core (${AXE_TAGS.join(", ")}), ${title}: ${checks.length} page checks, ${total} violations`,
    "",
    "| journey | page | path | axe violations |",
    "|---|---|---|---|",
  ];
  for (const c of checks) lines.push(`| ${c.journey} | ${c.name} | ${c.path} | ${c.violations} |`);
  writeFileSync(path.join(SHOTS, file), lines.join("\n") + "\n");
  console.log(lines.join("\n"));
}

/** The headings of the booking pages that `bookOnPages` goes through, per language. */
const BOOKING_HEADINGS = {
  es: { details: "Tus datos", check: "Comprueba tu cita", done: "Cita confirmada" },
  en: { details: "Your details", check: "Check your appointment", done: "Appointment confirmed" },
};

/**
 * Books `service` at `office` on the citizens' pages, in `lang` (English through the
 * language switch), as `name` with the DNI `document` and `email`: the first day with free
 * times of the first week shown (with `nextWeek`, of the week after) and its first time
 * (with `lastTime`, its last). What the done page says: { locator, document, name, when,
 * requirements, session } (`session` the visitor's cookies' values).
 */
export async function bookOnPages(context, { lang, email, document, name, office, service, nextWeek = false, lastTime = false }) {
  const w = BOOKING_HEADINGS[lang];
  const page = await context.newPage();
  const heading = async () => (await page.locator("h1").innerText()).trim();
  await page.goto(`${BASE}/`);
  if (lang === "en") await follow(page, page.locator('nav.langs a[hreflang="en"]'));
  await follow(page, page.locator('main a[href="/book"]'));
  await follow(page, page.locator(`a[href="/book/office?service_id=${service}"]`));
  await follow(page, page.locator(`.card a.button[href^="/book/day?"][href*="office_id=${office}"]`));
  if (nextWeek) await follow(page, page.locator("nav.pager a").last());
  await follow(page, page.locator("ul.days a").first());
  const times = page.locator("ul.times button");
  await follow(page, lastTime ? times.last() : times.first());
  assert.equal(await heading(), w.details);
  assert.equal(await page.locator("html").getAttribute("lang"), lang);
  await page.locator("#name").fill(name);
  await page.locator('label[for="document_type-dni"]').click();
  await page.locator("#document").fill(document);
  await page.locator("#email").fill(email);
  await follow(page, page.locator('form[action="/book/details"] button[type="submit"]'));
  assert.equal(await heading(), w.check);
  assert.ok((await page.locator("dl.summary").innerText()).includes(email));
  await follow(page, page.locator('form[action="/book/check"] button'));
  assert.equal(await heading(), w.done, `booked ${service} at ${office}`);
  const locator = (await page.locator(".locator strong").innerText()).trim();
  assert.match(locator, /^[0-9A-Z]{8}$/);
  const when = (await page.locator("dl.summary .row").nth(1).locator("dd").innerText()).trim();
  const requirements = await page.locator("main h2 + ul li").allInnerTexts();
  const session = (await context.cookies()).map((c) => c.value).filter((v) => v.length >= 8);
  await page.close();
  return { locator, document, name, when, requirements, session };
}

/** Every message the SMTP server received for `address`: [{ file, record }], oldest first. */
export function receivedFor(address) {
  return readdirSync(MAIL_DIR)
    .filter((file) => file.endsWith(".json"))
    .sort()
    .map((file) => ({ file, record: JSON.parse(readFileSync(path.join(MAIL_DIR, file), "utf8")) }))
    .filter(({ record }) => record.rcpt_tos.includes(address));
}

/**
 * Waits (up to `seconds`) for a message to `address` that `wanted({ file, record })`
 * accepts (by default any); every such message received so far.
 */
export async function waitForMail(address, seconds = 15, wanted = () => true) {
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    const found = receivedFor(address).filter(wanted);
    if (found.length > 0) return found;
    assert.ok(Date.now() < deadline, `no message to ${address} within ${seconds} s (in ${MAIL_DIR})`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
