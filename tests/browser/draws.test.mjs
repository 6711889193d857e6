// A release draw's pages in headless Chromium: from the week page to the draw, the entry
// form (with a mistake first), the confirmation with its code, and the result page found
// again with the code and the document; in Spanish with JavaScript on a phone, in English
// without JavaScript on a desktop, and once with the keyboard alone. axe-core (WCAG 2.0/2.1 A and AA) checks every page and
// must find nothing; each page is photographed.
//
// Run last by scripts/browser-tests.sh: it adds a draw release to the demo's Las Palmas
// office through the admin API (weekdays at 23:59, each giving out the date three weeks
// later).
// Environment: CITA_BASE_URL, CITA_STAFF_TOKEN (the demo admin's), CITA_CHROMIUM,
// CITA_SCREENSHOTS.

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
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
const OFFICE = "las-palmas-dni";
const SERVICE = "renovacion-dni";

assert.ok(BASE, "CITA_BASE_URL must name the running server");
assert.ok(TOKEN, "CITA_STAFF_TOKEN must be the demo admin's token");
mkdirSync(SHOTS, { recursive: true });

function dni(n) {
  const number = String(n % 100000000).padStart(8, "0");
  return number + "TRWAGMYFPDXBNJZSQVHLCKE"[Number(number) % 23];
}
const RUN = 10000000 + Math.floor(Math.random() * 80000000);

const checks = [];
let browser;

before(async () => {
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true });
  const demo = readFileSync(path.join(here, "..", "..", "demo", "offices.toml"), "utf8");
  const release = `
  [[office.release]]
  service = "${SERVICE}"
  at = "23:59"
  days = ["mon", "tue", "wed", "thu", "fri"]
  opens = "D+21..D+21"
  draw = true
`;
  const answer = await fetch(`${BASE}/api/v1/admin/config`, {
    method: "PUT",
    headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/toml" },
    body: demo + release,
  });
  assert.equal(answer.status, 200, await answer.text());
});

after(async () => {
  await browser?.close();
  const total = checks.reduce((n, c) => n + c.violations, 0);
  const lines = [
    `axe-core (${AXE_TAGS.join(", ")}), draw pages: ${checks.length} page checks, ${total} violations`,
    "",
    "| journey | page | path | axe violations |",
    "|---|---|---|---|",
  ];
  for (const c of checks) lines.push(`| ${c.journey} | ${c.name} | ${c.path} | ${c.violations} |`);
  writeFileSync(path.join(SHOTS, "axe-report-draws.md"), lines.join("\n") + "\n");
  console.log(lines.join("\n"));
});

/** axe on the page (its HTML as served, when JavaScript is off), a screenshot, no overflow. */
async function check(page, journey, name, js) {
  const overflow = await page.evaluate(
    () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
  );
  assert.ok(overflow <= 0, `${journey} ${name}: wider than the screen by ${overflow} px`);
  let target = page;
  if (!js) {
    const html = await page.content();
    const context = await browser.newContext({ viewport: page.viewportSize() });
    target = await context.newPage();
    await target.route("**/*", (route) => {
      const request = route.request();
      if (request.resourceType() === "document") {
        return route.fulfill({ status: 200, contentType: "text/html; charset=utf-8", body: html });
      }
      if (request.resourceType() === "script") return route.abort();
      return route.continue();
    });
    await target.goto(page.url());
  }
  const result = await new AxeBuilder({ page: target }).withTags(AXE_TAGS).options({ resultTypes: ["violations"] }).analyze();
  if (!js) await target.context().close();
  const url = new URL(page.url());
  checks.push({ journey, name, path: url.pathname, violations: result.violations.length });
  await page.screenshot({ path: path.join(SHOTS, `draw-${journey}-${name}.png`), fullPage: true });
  const detail = result.violations.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(" ")).join(", ")})`);
  assert.deepEqual(detail, [], `axe on ${name} (${url.pathname})`);
}

async function follow(page, locator) {
  const [response] = await Promise.all([page.waitForNavigation(), locator.click()]);
  return response;
}

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
  const wrong = document.slice(0, -1) + (document.at(-1) === "A" ? "B" : "A");
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

/**
 * Presses Tab until the focused element matches `wanted`, checking at each stop that the
 * focus can be seen.
 */
async function tabTo(page, describe, wanted, limit = 60) {
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

async function pressEnter(page) {
  const [response] = await Promise.all([page.waitForNavigation(), page.keyboard.press("Enter")]);
  return response;
}

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
  await pressEnter(page);
  assert.match(page.url(), /\/draw\?id=/);
  await tabTo(page, "the name", (f) => f.id === "name");
  await page.keyboard.type("Lucía Fernández Ruiz");
  await tabTo(page, "the document", (f) => f.id === "document");
  await page.keyboard.type(dni(RUN + 2 * 7919));
  await tabTo(page, "the button", (f) => f.type === "submit");
  const entered = await pressEnter(page);
  assert.equal(entered.status(), 200);
  assert.match(page.url(), /\/draw\/entered$/);
  assert.match(await page.locator(".locator strong").innerText(), /^[0-9A-Z]{8}$/);
  await check(page, journey, "entered", true);
  await tabTo(page, "the result link", (f) => f.href === "/draw/result");
  await pressEnter(page);
  assert.match(await page.locator(".notice").innerText(), /todavía no se ha hecho/);
  await check(page, journey, "result-waiting", true);
  await context.close();
});
