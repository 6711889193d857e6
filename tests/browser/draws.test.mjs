// A release draw's pages in headless Chromium: from the week page to the draw, the entry
// form (with a mistake first), the confirmation with its code, and the result page found
// again with the code and the document; in Spanish with JavaScript on a phone, in English
// without JavaScript on a desktop, and once with the keyboard alone. axe-core (WCAG
// 2.0/2.1 A and AA) checks every page and must find nothing; each page is photographed.
//
// Run by scripts/browser-tests.sh (node's test runner takes the files in alphabetical
// order: this one first): it adds a draw release to the demo's Las Palmas office through
// the admin API (weekdays at 23:59, each giving out the date three weeks later).
// Environment (read by support.mjs, which also holds the page check, the axe report and
// the helpers this file shares with the others): CITA_BASE_URL, CITA_STAFF_TOKEN (the
// demo admin's), CITA_CHROMIUM, CITA_SCREENSHOTS.

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";

import {
  BASE,
  checkPage,
  dni,
  follow,
  here,
  launchBrowser,
  makeRun,
  pressAndFollow,
  putConfig,
  requireEnv,
  tabTo,
  writeAxeReport,
  wrongLetter,
} from "./support.mjs";

const OFFICE = "las-palmas-dni";
const SERVICE = "renovacion-dni";

requireEnv({ token: true });
const RUN = makeRun();

const checks = [];
let browser;

before(async () => {
  browser = await launchBrowser();
  const demo = readFileSync(path.join(here, "..", "..", "demo", "offices.toml"), "utf8");
  const release = `
  [[office.release]]
  service = "${SERVICE}"
  at = "23:59"
  days = ["mon", "tue", "wed", "thu", "fri"]
  opens = "D+21..D+21"
  draw = true
`;
  await putConfig(demo + release);
});

after(async () => {
  await browser?.close();
  writeAxeReport(checks, "draw pages", "axe-report-draws.md");
});

/** axe on the page (its HTML as served, when JavaScript is off), a screenshot, no overflow. */
const check = (page, journey, name, js) => checkPage(browser, page, { prefix: "draw", journey, name, js, checks });

/**
 * The draws taking entries, once the server has run the past ones (a release added today
 * has a month of past draws, with no entries, to run first: until then their dates stay
 * closed).
 */
async function openDraws() {
  for (let tries = 0; tries < 300; tries++) {
    const answer = await fetch(`${BASE}/api/v1/offices/${OFFICE}/services/${SERVICE}/draws`);
    assert.equal(answer.status, 200);
    const draws = await answer.json();
    const open = draws.filter((d) => d.state === "open");
    if (open.length > 0 && !draws.some((d) => d.state === "closed")) return open;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  assert.fail("no draw is taking entries, or past ones have not run");
}

async function enterAndLookUp(journey, { lang, js, viewport, words, document }) {
  const context = await browser.newContext({ baseURL: BASE, viewport, javaScriptEnabled: js, locale: "es-ES" });
  const page = await context.newPage();
  const problems = [];
  page.on("pageerror", (error) => problems.push(error.message));
  // The first open draw whose date the office is open on (a holiday shows as such).
  let day;
  for (const draw of await openDraws()) {
    await page.goto(`/book/day?office_id=${OFFICE}&service_id=${SERVICE}&week=${draw.first_date}&lang=${lang}`);
    day = page.locator(`a[href="/draw?id=${encodeURIComponent(draw.id)}"]`);
    if ((await day.count()) === 1) break;
  }
  assert.equal(await day.count(), 1, "a day of the week page leads to its draw");
  await check(page, journey, "week", js);
  assert.match(await day.innerText(), words.drawDay);
  await follow(page, day);
  assert.match(await page.locator("h1").innerText(), words.title);
  await check(page, journey, "form", js);

  // A mistake first: the check letter.
  await page.fill("#name", "Ana García Pérez");
  const wrong = wrongLetter(document);
  await page.fill("#document", wrong);
  await page.check("#part_of_day-morning");
  const refused = await follow(page, page.locator("main form button[type=submit]"));
  assert.equal(refused.status(), 422);
  assert.equal(await page.locator("#document").getAttribute("aria-invalid"), "true");
  assert.equal(await page.locator("#name").inputValue(), "Ana García Pérez", "what was typed is kept");
  assert.ok(await page.locator("#part_of_day-morning").isChecked(), "the choice is kept");
  await check(page, journey, "form-error", js);

  await page.fill("#document", document);
  const entered = await follow(page, page.locator("main form button[type=submit]"));
  assert.equal(entered.status(), 200);
  assert.match(page.url(), /\/draw\/entered$/);
  const code = (await page.locator(".locator strong").innerText()).trim();
  assert.match(code, /^[0-9A-Z]{8}$/);
  assert.ok(!page.url().includes(document), "no document in the address");
  await check(page, journey, "entered", js);

  // The result, from another device: the code and the document.
  const other = await browser.newContext({ baseURL: BASE, viewport, javaScriptEnabled: js, locale: "es-ES" });
  const result = await other.newPage();
  await result.goto(`/draw/result?lang=${lang}`);
  await check(result, journey, "result-form", js);
  await result.fill("#entry_code", code.toLowerCase());
  await result.fill("#document", document);
  const found = await follow(result, result.locator("main form button[type=submit]"));
  assert.equal(found.status(), 200);
  assert.match(await result.locator(".notice").innerText(), words.waiting);
  await check(result, journey, "result-waiting", js);
  await other.close();
  await context.close();
  assert.deepEqual(problems, [], "the page reported errors");
}

test("a person enters a draw and finds the result again, in Spanish on a phone", async () => {
  await enterAndLookUp("es-phone", {
    lang: "es",
    js: true,
    viewport: { width: 360, height: 640 },
    document: dni(RUN),
    words: { drawDay: /Se sortea/, title: /Sorteo de citas/, waiting: /todavía no se ha hecho/ },
  });
});

test("the same in English without JavaScript on a desktop", async () => {
  await enterAndLookUp("en-nojs", {
    lang: "en",
    js: false,
    viewport: { width: 1280, height: 800 },
    document: dni(RUN + 7919),
    words: { drawDay: /Given out by a draw/, title: /Appointment draw/, waiting: /has not taken place yet/ },
  });
});

test("with the keyboard alone: from the week page to the draw, signed up, the result", async () => {
  const journey = "es-keyboard";
  const context = await browser.newContext({ baseURL: BASE, viewport: { width: 360, height: 640 }, locale: "es-ES" });
  const page = await context.newPage();
  let target;
  for (const draw of await openDraws()) {
    await page.goto(`/book/day?office_id=${OFFICE}&service_id=${SERVICE}&week=${draw.first_date}&lang=es`);
    if ((await page.locator(`a[href="/draw?id=${encodeURIComponent(draw.id)}"]`).count()) === 1) {
      target = draw;
      break;
    }
  }
  assert.ok(target, "a day of the week page leads to its draw");
  const href = `/draw?id=${encodeURIComponent(target.id)}`;
  await tabTo(page, "the draw's day", (f) => f.href === href);
  await pressAndFollow(page);
  assert.match(page.url(), /\/draw\?id=/);
  await tabTo(page, "the name", (f) => f.id === "name");
  await page.keyboard.type("Lucía Fernández Ruiz");
  await tabTo(page, "the document", (f) => f.id === "document");
  await page.keyboard.type(dni(RUN + 2 * 7919));
  await tabTo(page, "the button", (f) => f.type === "submit");
  const entered = await pressAndFollow(page);
  assert.equal(entered.status(), 200);
  assert.match(page.url(), /\/draw\/entered$/);
  assert.match(await page.locator(".locator strong").innerText(), /^[0-9A-Z]{8}$/);
  await check(page, journey, "entered", true);
  await tabTo(page, "the result link", (f) => f.href === "/draw/result");
  await pressAndFollow(page);
  assert.match(await page.locator(".notice").innerText(), /todavía no se ha hecho/);
  await check(page, journey, "result-waiting", true);
  await context.close();
});
