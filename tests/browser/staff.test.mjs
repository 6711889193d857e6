// The staff's pages in headless Chromium: sign in with the demo admin's token, book a
// walk-in at the counter, check the citizen in (and undo it), close a day after seeing
// what it cancels, sign out — with JavaScript on and off, and once with the keyboard
// alone. axe-core (WCAG 2.0/2.1 A and AA) checks every page and must find nothing.
// "Did not come" needs an appointment whose time has passed, which a live demo cannot
// book: the Rust handler tests (tests/api/staff_pages.rs) cover it on a manual clock.
//
// Environment: CITA_BASE_URL, CITA_STAFF_TOKEN (the token `serve --demo` printed),
// CITA_CHROMIUM, CITA_SCREENSHOTS (as journeys.test.mjs).

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

import { chromium } from "playwright-core";
import { AxeBuilder } from "@axe-core/playwright";

const here = path.dirname(fileURLToPath(import.meta.url));
const BASE = process.env.CITA_BASE_URL;
const TOKEN = process.env.CITA_STAFF_TOKEN;
const CHROMIUM = process.env.CITA_CHROMIUM || "/usr/bin/chromium";
const SHOTS = path.resolve(
  process.env.CITA_SCREENSHOTS || path.join(here, "..", "..", "target", "browser-screenshots"),
);
const AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"];
assert.ok(BASE, "CITA_BASE_URL must name the running server");
assert.ok(TOKEN, "CITA_STAFF_TOKEN must hold the demo admin's token");
mkdirSync(SHOTS, { recursive: true });

function dni(n) {
  const number = String(n % 100000000).padStart(8, "0");
  return number + "TRWAGMYFPDXBNJZSQVHLCKE"[Number(number) % 23];
}
const RUN = 10000000 + Math.floor(Math.random() * 80000000);
let nextDocument = 0;
const newDocument = () => dni(RUN + nextDocument++ * 104729);

const checks = [];
let browser;
before(async () => {
  browser = await chromium.launch({ executablePath: CHROMIUM });
});
after(async () => {
  await browser?.close();
  const lines = ["| journey | page | path | axe violations |", "|---|---|---|---|"];
  for (const c of checks) lines.push(`| ${c.journey} | ${c.name} | ${c.path} | ${c.violations} |`);
  writeFileSync(path.join(SHOTS, "axe-report-staff.md"), lines.join("\n") + "\n");
  console.log(lines.join("\n"));
});

/**
 * The page axe runs on. With JavaScript off axe cannot run in the page itself: its HTML as
 * served is loaded into a scratch page with JavaScript on (its own scripts not loaded), at
 * the same size and address.
 */
const scratches = new WeakMap();
async function axePage(page) {
  if (page.context()._citaJs !== false) return page;
  let scratch = scratches.get(page);
  if (!scratch) {
    const context = await browser.newContext({ viewport: page.viewportSize() });
    const fresh = await context.newPage();
    scratch = { page: fresh, html: "" };
    await fresh.route("**/*", (route) => {
      const request = route.request();
      if (request.resourceType() === "document") {
        return route.fulfill({ status: 200, contentType: "text/html; charset=utf-8", body: scratch.html });
      }
      if (request.resourceType() === "script") return route.abort();
      return route.continue();
    });
    scratches.set(page, scratch);
  }
  scratch.html = await page.content();
  await scratch.page.goto(page.url());
  return scratch.page;
}

/** axe on the page as it is, a screenshot, and no violation allowed. */
async function check(page, journey, name) {
  const result = await new AxeBuilder({ page: await axePage(page) })
    .withTags(AXE_TAGS)
    .options({ resultTypes: ["violations"] })
    .analyze();
  const url = new URL(page.url());
  checks.push({ journey, name, path: url.pathname + url.search, violations: result.violations.length });
  await page.screenshot({ path: path.join(SHOTS, `staff-${journey}-${name}.png`), fullPage: true });
  const detail = result.violations.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(" ")).join(", ")})`);
  assert.deepEqual(detail, [], `axe on ${name} (${url.pathname})`);
}

/** Activates a link or button (a click, or focus and Enter) and waits for the next page. */
async function follow(page, locator, keyboard) {
  if (!keyboard) return Promise.all([page.waitForNavigation(), locator.click()]);
  await locator.focus();
  return Promise.all([page.waitForNavigation(), page.keyboard.press("Enter")]);
}

/** Types into a field: with the keyboard alone, by focusing it with Tab order's help. */
async function type(page, selector, text, keyboard) {
  const field = page.locator(selector);
  if (!keyboard) return field.fill(text);
  await field.focus();
  await page.keyboard.press("Control+A");
  await page.keyboard.type(text);
}

/** The day a walk-in got, from the done page's agenda link. */
async function runDay(page, journey, { keyboard = false } = {}) {
  const press = (locator) => follow(page, locator, keyboard);
  await page.goto(`${BASE}/staff/sign-in`);
  await check(page, journey, "sign-in");
  await type(page, "#token", "not-a-token", keyboard);
  await press(page.locator("form[action='/staff/sign-in'] button[type=submit]"));
  await page.waitForLoadState();
  assert.match(await page.locator(".error-summary").innerText(), /clave|key/i);
  await check(page, journey, "sign-in-error");
  await type(page, "#token", TOKEN, keyboard);
  await press(page.locator("form[action='/staff/sign-in'] button[type=submit]"));
  await page.waitForURL(/\/staff\/agenda/);
  await check(page, journey, "agenda");

  // A walk-in at Madrid: procedure, the next free times, the citizen, book.
  await page.goto(`${BASE}/staff/walk-in?office_id=madrid-extranjeria&service_id=huellas-tie`);
  await check(page, journey, "walk-in");
  await press(page.locator("form[action='/staff/walk-in'][method=post] button.primary"));
  await page.waitForLoadState();
  assert.ok(await page.locator(".error-summary").isVisible(), "an empty form shows the error summary");
  await check(page, journey, "walk-in-errors");
  const first = page.locator("input[name=start]").first();
  if (keyboard) {
    await first.focus();
    await page.keyboard.press("Space");
  } else {
    await first.check();
  }
  await type(page, "#name", "Pilar Gómez Ruiz", keyboard);
  await type(page, "#document", newDocument(), keyboard);
  await press(page.locator("form[action='/staff/walk-in'][method=post] button.primary"));
  await page.waitForURL(/\/staff\/walk-in\/done/);
  const locator = (await page.locator(".locator").innerText()).trim();
  assert.match(locator, /^[0-9A-Z]{8}$/);
  await check(page, journey, "walk-in-done");

  // The agenda of that day: check in, undo, check in again.
  await press(page.locator("a[href^='/staff/agenda?']").last());
  await page.waitForURL(/\/staff\/agenda\?/);
  const agendaUrl = page.url();
  const checkIn = page.locator(`form:has(input[name=locator][value='${locator}']) button[value=check-in]`);
  await press(checkIn);
  await page.waitForLoadState();
  assert.match(await page.locator(".notice.good").innerText(), new RegExp(locator));
  await check(page, journey, "agenda-checked-in");
  await press(page.locator(".notice.good button[value=undo-check-in]"));
  await page.waitForLoadState();
  await press(checkIn);
  await page.waitForLoadState();
  await check(page, journey, "agenda-again");
  await page.goto(agendaUrl + "&view=list");
  await check(page, journey, "agenda-list");

  // Cancel asks first: the confirmation page, then back without cancelling.
  await page.goto(agendaUrl);
  await press(page.locator(`a[href*='locator=${locator}'][href*='action=cancel']`));
  assert.match(page.url(), /\/staff\/confirm\?/);
  await check(page, journey, "confirm-cancel");
  await press(page.locator("main a.button.secondary[href^='/staff/agenda']"));
  assert.ok(await checkIn.count() === 0, "still checked in: no check-in button");

  // The print view, a holiday, and a page that does not exist.
  await page.goto(agendaUrl.replace("/staff/agenda?", "/staff/agenda/print?"));
  assert.match(await page.locator("main").innerText(), new RegExp(locator));
  await check(page, journey, "print");
  const christmas = `${new Date().getFullYear()}-12-25`;
  await page.goto(`${BASE}/staff/agenda?office_id=madrid-extranjeria&date=${christmas}`);
  assert.match(await page.locator(".notice.warning").innerText(), /festivo|holiday/i);
  await check(page, journey, "agenda-holiday");
  const missing = await page.goto(`${BASE}/staff/no-such-page`);
  assert.equal(missing.status(), 404);
  await check(page, journey, "not-found");
}

async function closeAndSignOut(page, journey, { keyboard = false } = {}) {
  const press = (locator) => follow(page, locator, keyboard);
  // Book the first free time at Las Palmas, then close that day: the preview lists it.
  await page.goto(`${BASE}/staff/walk-in?office_id=las-palmas-dni&service_id=renovacion-dni`);
  const time = page.locator("input[name=start]").first();
  const value = await time.getAttribute("value");
  if (keyboard) {
    await time.focus();
    await page.keyboard.press("Space");
  } else {
    await time.check();
  }
  await type(page, "#name", "Juan Pérez Díaz", keyboard);
  await type(page, "#document", newDocument(), keyboard);
  await press(page.locator("form[action='/staff/walk-in'][method=post] button.primary"));
  await page.waitForURL(/\/staff\/walk-in\/done/);
  const day = value.slice(0, 10);
  await page.goto(`${BASE}/staff/closures?office_id=las-palmas-dni`);
  await check(page, journey, "closures");
  // Date fields take their value directly: typed keys follow the browser's own date
  // format, not the page's.
  await page.locator("#from").fill(day);
  await page.locator("#to").fill(day);
  await press(page.locator("form[action='/staff/closures'] button.primary"));
  await page.waitForLoadState();
  assert.ok(await page.locator(".error-summary").isVisible(), "no reason: the error summary");
  await check(page, journey, "closures-errors");
  await type(page, "#reason", "Huelga", keyboard);
  await press(page.locator("form[action='/staff/closures'] button.primary"));
  await page.waitForLoadState();
  const preview = await page.locator(".notice.warning").innerText();
  assert.match(preview, /\d+ (citas|appointments?)|1 (cita|appointment)/);
  await check(page, journey, "closures-preview");
  await press(page.locator("form[action='/staff/closures/confirm'] button.warning"));
  await page.waitForLoadState();
  const done = await page.locator(".notice.good").innerText();
  assert.match(done, /anulad|cancelled/i);
  await check(page, journey, "closures-done");
  await press(page.locator(".sign-out button"));
  await page.waitForURL(/\/staff\/sign-in/);
  await check(page, journey, "signed-out");
  await page.goto(`${BASE}/staff/agenda`);
  assert.match(page.url(), /\/staff\/sign-in/, "signed out: the agenda asks to sign in");
}

test("a day at the counter, JavaScript on, in Spanish, 1280 px", async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: "es-ES" });
  const page = await context.newPage();
  await runDay(page, "js-es");
  await closeAndSignOut(page, "js-es");
  await context.close();
});

test("a day at the counter, JavaScript off, in English, 360 px", async () => {
  const context = await browser.newContext({ viewport: { width: 360, height: 640 }, javaScriptEnabled: false, locale: "en-GB" });
  context._citaJs = false;
  const page = await context.newPage();
  await runDay(page, "nojs-en");
  await closeAndSignOut(page, "nojs-en");
  await context.close();
});

test("a day at the counter with the keyboard alone", async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: "es-ES" });
  const page = await context.newPage();
  await runDay(page, "keyboard", { keyboard: true });
  await closeAndSignOut(page, "keyboard", { keyboard: true });
  await context.close();
});
