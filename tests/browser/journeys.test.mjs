// The citizens' pages in headless Chromium: the whole journey (book → confirmation →
// manage → reschedule → cancel) in Spanish and English, with JavaScript on and off, at
// 360×640 and 1280×800, and once with the keyboard alone; the error states and the
// information pages. axe-core (WCAG 2.0/2.1 A and AA) checks every page visited and must
// find nothing; each page is photographed (full page) into the screenshots folder.
//
// Run by scripts/browser-tests.sh, which starts the server. Environment (read by
// support.mjs, which also holds the helpers this file shares with the others):
//   CITA_BASE_URL      the running `cita serve --demo` (required)
//   CITA_CHROMIUM      the browser (default /usr/bin/chromium; never downloaded)
//   CITA_SCREENSHOTS   where the screenshots and the axe report go
//                      (default target/browser-screenshots under the repository)

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";

import {
  AXE_TAGS,
  BASE,
  SHOTS,
  axeViolations,
  dni,
  follow,
  launchBrowser,
  makeRun,
  overflowOf,
  pressAndFollow,
  requireEnv,
  serveHtml,
  wrongLetter,
} from "./support.mjs";

const PHONE = { width: 360, height: 640 };
const DESKTOP = { width: 1280, height: 800 };

requireEnv();

// Documents of this run: fresh numbers, so the suite may run again on the same database
// (one appointment per procedure and document).
const RUN = makeRun();
let nextDocument = 0;
const newDocument = () => dni(RUN + nextDocument++ * 7919);

/** Every axe check of the run: { journey, name, path, lang, viewport, violations }. */
const checks = [];
/** Headless Chromium, one for the run; each visitor has its own context. */
let browser;

before(async () => {
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  writeReport();
});

/** One visitor: a browser context with its settings, its pages counted and checked. */
class Visitor {
  constructor(name, { lang, js = true, viewport = PHONE }) {
    this.name = name;
    this.lang = lang;
    this.js = js;
    this.viewport = viewport;
    this.step = 0;
    /** Console errors and page errors (a refused script or style shows up here). */
    this.problems = [];
  }

  async open() {
    this.context = await browser.newContext({
      baseURL: BASE,
      viewport: this.viewport,
      javaScriptEnabled: this.js,
      // A browser set to Spanish: the English journeys switch language on the start page.
      locale: "es-ES",
      acceptDownloads: true,
    });
    this.page = await this.context.newPage();
    this.page.on("console", (message) => {
      // A problem page's own status (404, 403) is logged too; anything else is a problem.
      if (message.type() !== "error") return;
      if (message.text().startsWith("Failed to load resource") && message.location().url === this.page.url()) return;
      this.problems.push(`console: ${message.text()} (${message.location().url})`);
    });
    this.page.on("pageerror", (error) => this.problems.push(`page error: ${error.message}`));
    return this.page;
  }

  async close() {
    await this.context?.close();
    await this.scratch?.context().close();
    assert.deepEqual(this.problems, [], `${this.name}: the browser reported problems`);
  }

  /**
   * Checks the page in view: its language, axe's verdict (recorded for the report), and
   * a full-page screenshot named after the step.
   */
  async check(name, { lang = this.lang, status } = {}) {
    const page = this.page;
    await page.waitForLoadState("load");
    const url = new URL(page.url());
    const htmlLang = await page.locator("html").getAttribute("lang");
    assert.equal(htmlLang, lang, `${this.name} ${name}: page language (${url.pathname})`);
    // Nothing wider than the screen: no sideways scrolling, at 360 px too (WCAG 1.4.10).
    const overflow = await overflowOf(page);
    assert.ok(overflow.scroll <= overflow.width, `${this.name} ${name}: wider than the screen (${overflow.scroll} > ${overflow.width} px): ${overflow.wide.join(" | ")}`);
    const axeStarted = Date.now();
    const violations = await this.axe();
    const axeMs = Date.now() - axeStarted;
    const entry = {
      journey: this.name,
      name,
      path: url.pathname,
      lang: htmlLang,
      js: this.js,
      viewport: `${this.viewport.width}×${this.viewport.height}`,
      status,
      violations: violations.length,
    };
    checks.push(entry);
    console.log(
      `axe ${String(violations.length).padStart(2)} violations  ${entry.lang}  ${entry.path.padEnd(22)} ${name}  (${this.name}; axe ${axeMs} ms)`,
    );
    for (const v of violations) {
      console.log(`    ${v.id} [${v.impact}] ${v.help}`);
      for (const node of v.nodes.slice(0, 5)) console.log(`      at ${node.target.join(" ")}: ${node.failureSummary?.split("\n").join(" ")}`);
    }
    this.step += 1;
    const file = `${this.name}-${String(this.step).padStart(2, "0")}-${name}.png`;
    await page.screenshot({ path: path.join(SHOTS, file), fullPage: true });
    assert.equal(violations.length, 0, `${this.name} ${name} (${url.pathname}): axe violations: ${violations.map((v) => v.id).join(", ")}`);
  }

  /**
   * axe's violations on the page in view. With JavaScript off axe cannot run in the page
   * itself: the page's HTML, as served (no script has run on it), is checked in a scratch
   * page with JavaScript on, at the same size and address, whose scripts are not loaded.
   */
  async axe() {
    if (this.js) {
      return axeViolations(this.page);
    }
    const html = await this.page.content();
    const url = this.page.url();
    if (!this.scratch) {
      const context = await browser.newContext({ viewport: this.viewport, baseURL: BASE });
      this.scratch = await context.newPage();
      await serveHtml(this.scratch, () => this.scratchHtml);
    }
    this.scratchHtml = html;
    await this.scratch.goto(url);
    return axeViolations(this.scratch);
  }
}

/**
 * Others book `start` through the API until no desk is left at that time: the time is
 * taken while the page is open.
 */
async function takeMeanwhile(officeId, serviceId, start) {
  for (let desks = 0; desks < 10; desks++) {
    const answer = await fetch(`${BASE}/api/v1/appointments`, {
      method: "POST",
      headers: { "content-type": "application/json", "idempotency-key": `browser-${RUN}-${nextDocument}` },
      body: JSON.stringify({
        office_id: officeId,
        service_id: serviceId,
        start,
        citizen: { name: "Otra Persona", document: newDocument() },
      }),
    });
    const body = await answer.text();
    if (answer.status === 409 && body.includes("slot_unavailable")) return;
    assert.equal(answer.status, 201, body);
  }
  assert.fail(`${start} is still free after 10 bookings`);
}

/** Texts each language's pages say. */
const WORDS = {
  es: {
    procedure: "¿Qué trámite quieres hacer?",
    office: "¿En qué oficina?",
    day: "¿Qué día?",
    time: "¿A qué hora?",
    details: "Tus datos",
    check: "Comprueba tu cita",
    done: "Cita confirmada",
    find: "Buscar mi cita",
    manage: "Tu cita",
    moved: "Hemos cambiado tu cita",
    cancel: "¿Seguro que quieres anular la cita?",
    cancelled: "Cita anulada",
    taken: "Esa hora se acaba de ocupar",
    letter: "La letra no corresponde al número",
    emptyName: "Escribe tu nombre y apellidos",
    notFound: "No hay ninguna cita con ese localizador",
    extended: "unos minutos más",
    rescheduleNote: "el localizador no cambia",
  },
  en: {
    procedure: "What do you need to do?",
    office: "Which office?",
    day: "Which day?",
    time: "At what time?",
    details: "Your details",
    check: "Check your appointment",
    done: "Appointment confirmed",
    find: "Find my appointment",
    manage: "Your appointment",
    moved: "We have changed your appointment",
    cancel: "Are you sure you want to cancel the appointment?",
    cancelled: "Appointment cancelled",
    taken: "That time was just taken",
    letter: "The letter does not match the number",
    emptyName: "Write your full name",
    notFound: "There is no appointment with that locator and that document",
    extended: "a few more minutes",
    rescheduleNote: "the locator stays the same",
  },
};

/**
 * The error summary has the focus (with JavaScript), lists the problems in the order of
 * their fields on the page, and each of its links takes the focus to its field.
 */
async function assertErrorSummary(page, js) {
  if (js) {
    // The script moves the focus to the list of problems.
    assert.equal(await page.evaluate(() => document.activeElement?.className), "error-summary");
  }
  const targets = await page.locator(".error-summary a").evaluateAll((links) => links.map((a) => a.getAttribute("href").slice(1)));
  const fields = await page.locator("main input[aria-invalid=true]").evaluateAll((inputs) => inputs.map((i) => i.id));
  assert.deepEqual(targets, fields, "the summary follows the fields' order");
  for (const [n, id] of targets.entries()) {
    await page.locator(".error-summary a").nth(n).click();
    assert.equal(await page.evaluate(() => document.activeElement?.id), id);
  }
}

async function heading(page) {
  return (await page.locator("h1").innerText()).trim();
}

/**
 * The whole journey with a pointer: book, see the confirmation and its calendar file,
 * find the appointment, reschedule it and cancel it. `extras` adds the error states.
 */
async function journey(name, { lang, js, viewport, service = "renovacion-dni", officeQuery, extras = false }) {
  const w = WORDS[lang];
  const visitor = new Visitor(name, { lang, js, viewport });
  const page = await visitor.open();
  const idDocument = newDocument();
  const fullName = lang === "es" ? "Ana García López" : "John Smith Brown";

  // Start, in Spanish; English through the language switch.
  await page.goto("/");
  await visitor.check("start", { lang: "es" });
  if (lang === "en") {
    await follow(page, page.locator('nav.langs a[hreflang="en"]'));
    await visitor.check("start");
  }
  await follow(page, page.locator('main a[href="/book"]'));
  assert.equal(await heading(page), w.procedure);
  if (extras) await page.locator("details summary").first().click();
  await visitor.check("procedure");

  await follow(page, page.locator(`a[href="/book/office?service_id=${service}"]`));
  assert.equal(await heading(page), w.office);
  if (officeQuery) {
    await page.locator("#q").fill(officeQuery);
    await follow(page, page.locator("form.filter button"));
    await visitor.check("office-filtered");
    assert.equal(await page.locator(".card").count(), 1);
  } else {
    await visitor.check("office");
  }
  await follow(page, page.locator('.card a.button[href^="/book/day?"]').first());

  assert.equal(await heading(page), w.day);
  await visitor.check("day");
  if (extras) {
    // A date that is not one: the week again, with the problem explained.
    await follow(page, page.locator("form.typed-date button"));
    assert.equal(await page.locator(".error-summary").count(), 1);
    await visitor.check("day-error-no-date");
    await assertErrorSummary(page, js);
  }
  if (extras) {
    // The time taken meanwhile must leave others that day: late in the afternoon today's
    // last times may all go with it, so this journey books in the next week, whose days
    // are whole.
    await follow(page, page.locator("nav.pager a").last());
    assert.equal(await heading(page), w.day);
  }
  await follow(page, page.locator("ul.days a").first());

  assert.equal(await heading(page), w.time);
  await visitor.check("time");
  const first = page.locator("ul.times button").first();
  if (extras) {
    // Someone else books the first time while this page is open.
    const url = new URL(page.url());
    await takeMeanwhile(url.searchParams.get("office_id"), url.searchParams.get("service_id"), await first.getAttribute("value"));
    await follow(page, first);
    assert.match(await page.locator(".notice").innerText(), new RegExp(w.taken));
    await visitor.check("time-taken");
    await follow(page, page.locator("ul.times button.near").first());
  } else {
    await follow(page, first);
  }

  assert.equal(await heading(page), w.details);
  await visitor.check("details");
  if (extras) {
    await follow(page, page.locator('form[action="/book/extend"] button'));
    assert.match(await page.locator("#hold").innerText(), new RegExp(w.extended));
    await visitor.check("details-extended");
    // An empty name and a wrong check letter.
    await page.locator("#name").fill(" ");
    await page.locator("#document").fill(wrongLetter(idDocument));
    await follow(page, page.locator('form[action="/book/details"] button[type="submit"]'));
    const summary = page.locator(".error-summary");
    assert.match(await summary.innerText(), new RegExp(w.letter));
    assert.match(await summary.innerText(), new RegExp(w.emptyName));
    await visitor.check("details-errors");
    await assertErrorSummary(page, js);
  }
  await page.locator("#name").fill(fullName);
  await page.locator('label[for="document_type-dni"]').click();
  await page.locator("#document").fill(idDocument.toLowerCase());
  await page.locator("#email").fill("someone@example.es");
  await follow(page, page.locator('form[action="/book/details"] button[type="submit"]'));

  assert.equal(await heading(page), w.check);
  const summary = await page.locator("dl.summary").innerText();
  assert.ok(summary.includes(fullName) && summary.includes(idDocument), summary);
  await visitor.check("check");
  await follow(page, page.locator('form[action="/book/check"] button'));

  assert.equal(await heading(page), w.done);
  const locator = (await page.locator(".locator strong").innerText()).trim();
  assert.match(locator, /^[0-9A-Z]{8}$/);
  await visitor.check("done");
  // The calendar file: text/calendar, a VCALENDAR with this appointment.
  const ics = page.locator("a[download]");
  const answer = await page.request.get(await ics.getAttribute("href"));
  assert.equal(answer.status(), 200);
  assert.match(answer.headers()["content-type"], /^text\/calendar/);
  const body = await answer.text();
  assert.ok(body.includes("BEGIN:VCALENDAR") && body.includes(`UID:${locator}@`), body);
  if (js) {
    const [download] = await Promise.all([page.waitForEvent("download"), ics.click()]);
    assert.equal(download.suggestedFilename(), `cita-${locator}.ics`);
    assert.ok(readFileSync(await download.path(), "utf8").includes("BEGIN:VCALENDAR"));
    assert.equal(await page.locator(".js-print").isVisible(), true, "the print button shows with JavaScript");
  } else {
    assert.equal(await page.locator(".js-print").isVisible(), false, "no print button without JavaScript");
  }

  // Manage: find it (a wrong locator first), reschedule it, cancel it.
  await follow(page, page.locator('main a[href="/manage"]'));
  assert.equal(await heading(page), w.find);
  await visitor.check("manage-find");
  if (extras) {
    await page.locator("#locator").fill("ZZZZZZZZ");
    await page.locator("#document").fill(idDocument);
    await follow(page, page.locator('form[action="/manage"] button'));
    assert.match(await page.locator("main").innerText(), new RegExp(w.notFound));
    await visitor.check("manage-find-not-found");
    await assertErrorSummary(page, js);
  }
  await page.locator("#locator").fill(locator.toLowerCase());
  await page.locator("#document").fill(idDocument);
  await follow(page, page.locator('form[action="/manage"] button'));

  assert.equal(await heading(page), w.manage);
  assert.equal((await page.locator(".locator-inline").innerText()).trim(), locator);
  const before = await page.locator("dl.summary").innerText();
  await visitor.check("manage-appointment");
  await follow(page, page.locator('a[href="/manage/day"]'));
  await visitor.check("manage-day");
  // Another day if the week has one.
  const days = page.locator("ul.days a");
  await follow(page, days.nth((await days.count()) > 1 ? 1 : 0));
  assert.match(await page.locator("main").innerText(), new RegExp(w.rescheduleNote));
  await visitor.check("manage-time");
  await follow(page, page.locator("ul.times button").last());

  assert.match(await page.locator(".notice").innerText(), new RegExp(w.moved));
  assert.notEqual(await page.locator("dl.summary").innerText(), before);
  await visitor.check("manage-moved");
  await follow(page, page.locator('a[href="/manage/cancel"]'));
  assert.equal(await heading(page), w.cancel);
  await visitor.check("manage-cancel");
  await follow(page, page.locator('form[action="/manage/cancel"] button'));
  assert.equal(await heading(page), w.cancelled);
  await visitor.check("manage-cancelled");

  await visitor.close();
}

test("es, JavaScript on, 360×640: the whole journey with every error state", () =>
  journey("es-js-360", { lang: "es", js: true, viewport: PHONE, extras: true }));

test("en, JavaScript off, 1280×800: the whole journey, an office found by town", () =>
  journey("en-nojs-1280", { lang: "en", js: false, viewport: DESKTOP, service: "huellas-tie", officeQuery: "Barcelona" }));

test("es, JavaScript off, 360×640: the whole journey with every error state", () =>
  journey("es-nojs-360", { lang: "es", js: false, viewport: PHONE, extras: true }));

test("en, JavaScript on, 1280×800: the whole journey with every error state", () =>
  journey("en-js-1280", { lang: "en", js: true, viewport: DESKTOP, service: "huellas-tie", extras: true }));

/**
 * Presses Tab (or Shift+Tab) until the focused element matches `wanted`, checking at
 * each stop that the focus can be seen. Returns what has the focus.
 */
async function tabTo(page, describe, wanted, { back = false, limit = 80 } = {}) {
  for (let presses = 0; presses < limit; presses++) {
    await page.keyboard.press(back ? "Shift+Tab" : "Tab");
    const focused = await page.evaluate(() => {
      const el = document.activeElement;
      if (!el || el === document.body) return null;
      const style = getComputedStyle(el);
      return {
        tag: el.tagName.toLowerCase(),
        id: el.id,
        href: el.getAttribute("href"),
        type: el.getAttribute("type"),
        name: el.getAttribute("name"),
        value: el.getAttribute("value"),
        text: (el.innerText || el.value || "").trim(),
        className: el.className,
        visibleFocus:
          (style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0) || style.boxShadow !== "none",
      };
    });
    if (!focused) continue;
    assert.ok(focused.visibleFocus, `no visible focus on ${JSON.stringify(focused)} (${page.url()})`);
    if (wanted(focused)) return focused;
  }
  throw new Error(`${describe}: not reached with ${back ? "Shift+Tab" : "Tab"} on ${page.url()}`);
}

test("es, keyboard only, 360×640: the whole journey with Tab, Shift+Tab, Enter and Space", async () => {
  const w = WORDS.es;
  const visitor = new Visitor("es-keyboard-360", { lang: "es", js: true, viewport: PHONE });
  const page = await visitor.open();
  const idDocument = newDocument();
  await page.goto("/");
  await visitor.check("start");

  // The first stop is the skip link, which moves the focus to the content.
  await tabTo(page, "skip link", (f) => f.className === "skip", { limit: 1 });
  await page.keyboard.press("Enter");
  assert.equal(await page.evaluate(() => document.activeElement?.id), "main");

  await tabTo(page, "book", (f) => f.href === "/book");
  await pressAndFollow(page, "Enter");
  assert.equal(await heading(page), w.procedure);
  await tabTo(page, "procedure", (f) => f.href === "/book/office?service_id=renovacion-dni");
  await pressAndFollow(page, "Enter");
  assert.equal(await heading(page), w.office);
  await tabTo(page, "office", (f) => f.href?.startsWith("/book/day?"));
  await pressAndFollow(page, "Enter");
  assert.equal(await heading(page), w.day);
  await tabTo(page, "a day", (f) => f.href?.startsWith("/book/time?"));
  await pressAndFollow(page, "Enter");
  assert.equal(await heading(page), w.time);
  await tabTo(page, "a time", (f) => f.name === "start");
  await pressAndFollow(page, "Space");

  assert.equal(await heading(page), w.details);
  await visitor.check("details");
  await tabTo(page, "name", (f) => f.id === "name");
  await page.keyboard.type("Lucía Fernández Ruiz");
  await tabTo(page, "document type", (f) => f.name === "document_type");
  await tabTo(page, "document", (f) => f.id === "document");
  await page.keyboard.type(idDocument);
  await tabTo(page, "continue", (f) => f.tag === "button" && f.type === "submit" && f.text === "Continuar");
  // Back to the optional e-mail, forgotten.
  await tabTo(page, "email", (f) => f.id === "email", { back: true });
  await page.keyboard.type("lucia@example.es");
  await tabTo(page, "continue", (f) => f.tag === "button" && f.type === "submit" && f.text === "Continuar");
  await pressAndFollow(page, "Enter");

  assert.equal(await heading(page), w.check);
  assert.ok((await page.locator("dl.summary").innerText()).includes("lucia@example.es"));
  await tabTo(page, "confirm", (f) => f.tag === "button" && f.type === "submit");
  await pressAndFollow(page, "Space");

  assert.equal(await heading(page), w.done);
  const locator = (await page.locator(".locator strong").innerText()).trim();
  await tabTo(page, "manage", (f) => f.href === "/manage" && f.text !== "");
  await pressAndFollow(page, "Enter");

  assert.equal(await heading(page), w.find);
  await tabTo(page, "locator", (f) => f.id === "locator");
  await page.keyboard.type(locator);
  await tabTo(page, "document", (f) => f.id === "document");
  await page.keyboard.type(idDocument);
  await page.keyboard.press("Enter"); // submits the form from its last field
  await page.waitForURL("**/manage/appointment");

  assert.equal(await heading(page), w.manage);
  await tabTo(page, "reschedule", (f) => f.href === "/manage/day");
  await pressAndFollow(page, "Enter");
  await tabTo(page, "a new day", (f) => f.href?.startsWith("/manage/time?"));
  await pressAndFollow(page, "Enter");
  // The last time of that day.
  const times = await page.locator("ul.times button").count();
  let seen = 0;
  await tabTo(page, "the last time", (f) => f.name === "start" && ++seen === times, { limit: 200 });
  await pressAndFollow(page, "Enter");
  assert.match(await page.locator(".notice").innerText(), new RegExp(w.moved));

  await tabTo(page, "cancel", (f) => f.href === "/manage/cancel");
  await pressAndFollow(page, "Enter");
  assert.equal(await heading(page), w.cancel);
  await tabTo(page, "confirm the cancellation", (f) => f.tag === "button");
  await pressAndFollow(page, "Space");
  assert.equal(await heading(page), w.cancelled);
  await visitor.check("manage-cancelled");
  await visitor.close();
});

test("the information pages, the problem pages and an expired form, in both languages", async () => {
  for (const lang of ["es", "en"]) {
    const visitor = new Visitor(`${lang}-pages-360`, { lang, js: true, viewport: PHONE });
    const page = await visitor.open();
    const q = lang === "en" ? "?lang=en" : "";
    await page.goto(`/${q}`);
    await visitor.check("start");
    await page.goto("/accesibilidad");
    await visitor.check("accessibility");
    await page.goto("/privacidad");
    await visitor.check("privacy");
    let answer = await page.goto("/no-such-page");
    assert.equal(answer.status(), 404);
    await visitor.check("not-found", { status: 404 });
    answer = await page.goto("/book/office?service_id=nothing");
    assert.equal(answer.status(), 404);
    await visitor.check("not-found-procedure", { status: 404 });
    // The search expired: back to the search, with a notice.
    await page.goto("/manage/appointment");
    assert.match(page.url(), /\/manage\?notice=expired$/);
    await visitor.check("manage-find-expired");
    // The session is gone while a form is open: the form has expired (403).
    await visitor.context.clearCookies({ name: "cita_session" });
    await page.locator("#locator").fill("ABCD2345");
    await page.locator("#document").fill(dni(1));
    const [expired] = await Promise.all([page.waitForNavigation(), page.locator('form[action="/manage"] button').click()]);
    assert.equal(expired.status(), 403);
    await visitor.check("form-expired", { status: 403 });
    await visitor.close();
  }
});

/** The per-page table of axe results, printed last and written next to the screenshots. */
function writeReport() {
  const rows = new Map();
  for (const c of checks) {
    const key = `${c.path}\t${c.name}\t${c.lang}`;
    const row = rows.get(key) || { path: c.path, name: c.name, lang: c.lang, checks: 0, violations: 0, modes: new Set() };
    row.checks += 1;
    row.violations += c.violations;
    row.modes.add(`${c.js ? "JS" : "no JS"} ${c.viewport}`);
    rows.set(key, row);
  }
  const sorted = [...rows.values()].sort((a, b) => a.path.localeCompare(b.path) || a.name.localeCompare(b.name) || a.lang.localeCompare(b.lang));
  const total = checks.reduce((n, c) => n + c.violations, 0);
  const lines = [
    `axe-core (${AXE_TAGS.join(", ")}): ${checks.length} page checks, ${total} violations`,
    "",
    "| page | state | lang | checks | as | violations |",
    "| --- | --- | --- | ---: | --- | ---: |",
    ...sorted.map((r) => `| \`${r.path}\` | ${r.name} | ${r.lang} | ${r.checks} | ${[...r.modes].sort().join("; ")} | ${r.violations} |`),
  ];
  writeFileSync(path.join(SHOTS, "axe-report.md"), lines.join("\n") + "\n");
}
