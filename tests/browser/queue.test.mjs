// A release's waiting room in headless Chromium: from the week page (the day says it opens
// "con sala de espera" and leads to the room) to the room's page (how it works, the form
// to enter, a POST with its CSRF field; when it asks for the document, a mistaken one
// first), a place taken, and the page that says so and reloads itself every 30 seconds by
// an HTTP `Refresh` header, no JavaScript needed; in Spanish with JavaScript on a phone, in
// English without JavaScript on a desktop, and once with the keyboard alone. A second room,
// whose release instant comes within a minute and a half, is entered first and watched past
// its instant: the place is let in, the page says it is your turn and leads to the dates,
// whose times open and can be held. axe-core (WCAG 2.0/2.1 A and AA) checks every page and
// must find nothing; each page is photographed.
//
// Run by scripts/browser-tests.sh (node's test runner takes the files in alphabetical
// order: after draws.test.mjs and journeys.test.mjs, before staff.test.mjs). Through the
// admin API it puts the demo configuration plus two first-come releases with a waiting room
// at the demo's Las Palmas office (so the draws test's release goes), timed from the clock
// in Atlantic/Canary: one 3 to 4 minutes ahead and one 25 to 85 seconds ahead (the last
// test waits for it), each giving out one working day two or three weeks later; and puts
// the demo configuration back at the end, so the files after it see the demo's.
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
const ZONE = "Atlantic/Canary";
const DEMO_DIR = path.join(here, "..", "..", "demo");

requireEnv({ token: true });
const RUN = makeRun();

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

/** `ms` on the office's clock: its date, wall time and weekday as the configuration spells them. */
function canary(ms) {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat("en-GB", {
      timeZone: ZONE,
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      weekday: "short",
      hourCycle: "h23",
    })
      .formatToParts(new Date(ms))
      .map((p) => [p.type, p.value]),
  );
  return {
    date: `${parts.year}-${parts.month}-${parts.day}`,
    time: `${parts.hour}:${parts.minute}`,
    weekday: parts.weekday.toLowerCase().slice(0, 3),
  };
}

function addDays(date, n) {
  return new Date(Date.parse(`${date}T00:00:00Z`) + n * DAY).toISOString().slice(0, 10);
}

/** The demo's holidays (national ones from its .ics, yearly or dated; every listed local date). */
function holidays() {
  const yearly = new Set();
  const dated = new Set();
  const ics = readFileSync(path.join(DEMO_DIR, "es-holidays.ics"), "utf8");
  for (const event of ics.split("BEGIN:VEVENT").slice(1)) {
    const start = event.match(/DTSTART[^:]*:(\d{4})(\d{2})(\d{2})/);
    if (!start) continue;
    if (/RRULE:FREQ=YEARLY/.test(event)) yearly.add(`${start[2]}-${start[3]}`);
    else dated.add(`${start[1]}-${start[2]}-${start[3]}`);
  }
  const toml = readFileSync(path.join(DEMO_DIR, "offices.toml"), "utf8");
  for (const line of toml.split("\n").filter((l) => /^\s*dates\s*=/.test(l))) {
    for (const date of line.match(/\d{4}-\d{2}-\d{2}/g) ?? []) dated.add(date);
  }
  return (date) => dated.has(date) || yearly.has(date.slice(5));
}

/**
 * A release of the Las Palmas procedure with a waiting room, at the first whole minute at
 * least `leadMs` from now (the room opens 15 minutes before, so it is taking places now,
 * whatever the hour or the day); it gives out one working day (Monday to Friday, no
 * holiday) `minDays` days or more after the release day, and none of `taken`.
 */
function roomRelease(leadMs, minDays, taken = []) {
  const instant = Math.ceil((Date.now() + leadMs) / MINUTE) * MINUTE;
  const at = canary(instant);
  const holiday = holidays();
  let offset = minDays;
  for (; ; offset++) {
    const date = addDays(at.date, offset);
    const weekday = new Date(`${date}T00:00:00Z`).getUTCDay();
    if (weekday >= 1 && weekday <= 5 && !holiday(date) && !taken.includes(date)) break;
  }
  const date = addDays(at.date, offset);
  return {
    instant,
    date,
    id: `${OFFICE}.${SERVICE}.${at.date.replaceAll("-", "")}T${at.time.replace(":", "")}`,
    toml: `
  [[office.release]]
  service = "${SERVICE}"
  at = "${at.time}"
  days = ["${at.weekday}"]
  opens = "D+${offset}..D+${offset}"
  waiting_room = true
`,
  };
}

const checks = [];
let browser;
let demo;
// Walked through before its instant (about three minutes ahead: the walks take seconds).
let later;
// Entered first, then watched past its instant (about a minute ahead).
let soon;
// The page that entered `soon`, left open to reload itself.
let watching;

const joinForm = (page) => page.locator('main form[action="/queue"]');

/**
 * Fills the join form's document, if it asks for one (a place per document); the document
 * typed, or null when the form is just the button (a place per address).
 */
async function fillDocument(page, document) {
  if ((await joinForm(page).locator("#document").count()) === 0) return null;
  await page.fill("#document", document);
  return document;
}

before(async () => {
  browser = await launchBrowser();
  demo = readFileSync(path.join(DEMO_DIR, "offices.toml"), "utf8");
  soon = roomRelease(25_000, 14);
  later = roomRelease(170_000, 14, [soon.date]);
  assert.notEqual(soon.id, later.id);
  await putConfig(demo + soon.toml + later.toml);
});

after(async () => {
  await watching?.context().close();
  await browser?.close();
  // Back to the demo configuration, so that the order of the test files does not matter.
  await putConfig(demo);
  writeAxeReport(checks, "waiting room pages", "axe-report-queue.md");
});

/** axe on the page (its HTML as served, when JavaScript is off), a screenshot, no overflow. */
const check = (page, journey, name, js) => checkPage(browser, page, { prefix: "queue", journey, name, js, checks });

const queueHref = (room) => `/queue?room=${encodeURIComponent(room.id)}`;
const weekPath = (room, lang) =>
  `/book/day?office_id=${OFFICE}&service_id=${SERVICE}&week=${room.date}&lang=${lang}`;

const WORDS = {
  es: {
    day: /con sala de espera/,
    how: "Cómo funciona",
    join: "Entrar en la sala de espera",
    lead: /Entra en la sala para recibir tu turno/,
    inside: /Ya estás dentro\. A las \d\d:\d\d .*recibirás tu turno al azar/,
    refresh: /se actualiza sola cada 30 segundos/,
    turn: /Ya es tu turno/,
    go: "Elegir fecha y hora",
  },
  en: {
    day: /with a waiting room/,
    how: "How it works",
    join: "Enter the waiting room",
    lead: /Enter the room to get your place in line/,
    inside: /You are in\. At \d\d:\d\d .*you will get your place in line at random/,
    refresh: /updates itself every 30 seconds/,
    turn: /It is your turn/,
    go: "Choose a date and time",
  },
};

/** The room's page before entering: how it works, and the form with the button. */
async function assertBeforeJoining(page, response, words) {
  assert.equal(response.status(), 200);
  assert.equal(response.headers()["refresh"], undefined, "no Refresh before entering");
  assert.match(await page.locator("h1").innerText(), /Sala de espera|Waiting room/);
  assert.match(await page.locator("main [role=status]").innerText(), words.lead);
  assert.equal(await page.locator("main h2", { hasText: words.how }).count(), 1, "how the room works");
  const form = page.locator('main form[action="/queue"]');
  assert.equal(await form.count(), 1, "one form to enter the room");
  assert.equal(await form.getAttribute("method"), "post");
  assert.ok((await form.locator('input[type=hidden][name="csrf"]').inputValue()).length > 0, "a CSRF field");
  assert.equal(await form.locator('input[type=hidden][name="room"]').inputValue(), later.id);
  assert.equal((await form.locator("button[type=submit]").innerText()).trim(), words.join);
}

/** The page after entering, before the release instant: the POST answered with a redirect to it. */
async function assertInside(page, response, words) {
  assert.equal(response.status(), 200);
  assert.equal(response.request().redirectedFrom()?.method(), "POST", "entering is a POST, then a redirect");
  assert.equal(new URL(page.url()).pathname + new URL(page.url()).search, queueHref(later));
  assert.equal(response.headers()["refresh"], "30", "the browser reloads the page by itself");
  assert.match(await page.locator("main [role=status]").innerText(), words.inside);
  assert.match(await page.locator("main [role=status] .hint").innerText(), words.refresh);
  assert.equal(await page.locator('main form[action="/queue"]').count(), 0, "no button once inside");
  assert.ok(Date.now() < later.instant, "still before the release instant");
}

async function walk(journey, { lang, js, viewport, document }) {
  const words = WORDS[lang];
  const context = await browser.newContext({ baseURL: BASE, viewport, javaScriptEnabled: js, locale: "es-ES" });
  const page = await context.newPage();
  const problems = [];
  page.on("pageerror", (error) => problems.push(error.message));

  await page.goto(weekPath(later, lang));
  const day = page.locator(`main a[href="${queueHref(later)}"]`);
  assert.equal(await day.count(), 1, "the released day leads to its waiting room");
  assert.match(await day.innerText(), words.day);
  await check(page, journey, "week", js);

  const room = await follow(page, day);
  await assertBeforeJoining(page, room, words);
  await check(page, journey, "room", js);

  const button = joinForm(page).locator("button[type=submit]");
  const wrong = wrongLetter(document);
  if (await fillDocument(page, wrong)) {
    // A mistake first: the check letter.
    const refused = await follow(page, button);
    assert.equal(refused.status(), 422);
    assert.equal(await page.locator("#document").getAttribute("aria-invalid"), "true");
    assert.equal(await page.locator("#document").inputValue(), wrong, "what was typed is kept");
    assert.equal(await joinForm(page).locator('input[name="room"]').inputValue(), later.id);
    await check(page, journey, "room-error", js);
    await fillDocument(page, document);
  }
  const inside = await follow(page, button);
  await assertInside(page, inside, words);
  await check(page, journey, "inside", js);

  // The week page still leads to the room, not to the times.
  await page.goto(weekPath(later, lang));
  assert.equal(await page.locator(`main a[href="${queueHref(later)}"]`).count(), 1);
  await context.close();
  assert.deepEqual(problems, [], "the page reported errors");
}

test("waiting room: a place taken a minute before the release instant, without JavaScript", async () => {
  assert.ok(Date.now() < soon.instant - 5_000, "the release instant is still ahead");
  const context = await browser.newContext({
    baseURL: BASE,
    viewport: { width: 1280, height: 800 },
    javaScriptEnabled: false,
    locale: "es-ES",
  });
  const page = await context.newPage();
  await page.goto(queueHref(soon));
  const document = await fillDocument(page, dni(RUN + 3 * 7919));
  const inside = await follow(page, joinForm(page).locator("button[type=submit]"));
  assert.equal(inside.headers()["refresh"], "30");
  assert.match(await page.locator("main [role=status]").innerText(), WORDS.es.inside);
  // Every load of the page from now on: it reloads itself (no JavaScript on this page).
  const loads = [];
  page.on("response", (r) => {
    if (r.request().isNavigationRequest() && new URL(r.url()).pathname === "/queue") loads.push(Date.now());
  });
  watching = { page, joinedAt: Date.now(), loads, document, context: () => context };
});

test("waiting room: from the week page to a place in line, in Spanish on a phone", async () => {
  await walk("es-phone", { lang: "es", js: true, viewport: { width: 360, height: 640 }, document: dni(RUN) });
});

test("waiting room: the same in English without JavaScript on a desktop", async () => {
  await walk("en-nojs", {
    lang: "en",
    js: false,
    viewport: { width: 1280, height: 800 },
    document: dni(RUN + 7919),
  });
});

test("waiting room: with the keyboard alone, from the week page to a place in line", async () => {
  const journey = "es-keyboard";
  const context = await browser.newContext({ baseURL: BASE, viewport: { width: 360, height: 640 }, locale: "es-ES" });
  const page = await context.newPage();
  await page.goto(weekPath(later, "es"));
  await tabTo(page, "the day with a waiting room", (f) => f.href === queueHref(later));
  const room = await pressAndFollow(page);
  await assertBeforeJoining(page, room, WORDS.es);
  if ((await joinForm(page).locator("#document").count()) === 1) {
    await tabTo(page, "the document", (f) => f.id === "document");
    await page.keyboard.type(dni(RUN + 2 * 7919));
  }
  await tabTo(page, "the button", (f) => f.type === "submit" && f.text === WORDS.es.join);
  const inside = await pressAndFollow(page);
  await assertInside(page, inside, WORDS.es);
  await check(page, journey, "inside", true);
  await context.close();
});

test("waiting room: past the release instant the place is let in and leads to the dates", async (t) => {
  if (!watching) {
    t.skip("needs the test that takes a place a minute before the instant");
    return;
  }
  const { page, joinedAt, loads, document } = watching;
  const journey = "es-nojs-turn";
  // Bounded: the instant was at most 85 s ahead when the releases were put.
  const wait = soon.instant + 1_500 - Date.now();
  assert.ok(wait < 90_000, `the release instant is ${wait} ms away`);
  if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
  // A reload of its own may be under way: wait for it, then look again.
  await page.waitForLoadState();
  let response;
  for (let tries = 0; ; tries++) {
    try {
      response = await page.reload();
      break;
    } catch (error) {
      if (tries >= 2) throw error;
      await page.waitForLoadState();
    }
  }
  if (Date.now() - joinedAt > 32_000) {
    assert.ok(loads.length >= 2, `the page did not reload itself in ${Date.now() - joinedAt} ms`);
  }
  assert.equal(response.status(), 200);
  assert.equal(response.headers()["refresh"], undefined, "no more reloading once let in");
  assert.match(await page.locator("main [role=status]").innerText(), WORDS.es.turn);
  const go = page.locator("main a.button", { hasText: WORDS.es.go });
  assert.equal(await go.count(), 1, "a link to the dates");
  assert.equal(
    await go.getAttribute("href"),
    `/book/day?office_id=${OFFICE}&service_id=${SERVICE}&week=${soon.date}`,
  );
  await check(page, journey, "turn", false);

  // Let in: the released day leads to its times, not back to the room.
  await follow(page, go);
  const day = page.locator(`main a[href*="date=${soon.date}"]`);
  assert.equal(await day.count(), 1, "the released day leads to its times");
  assert.match(await day.getAttribute("href"), /^\/book\/time\?/);
  assert.equal(await page.locator(`main a[href="${queueHref(soon)}"]`).count(), 0);
  await check(page, journey, "week", false);
  await follow(page, day);
  assert.equal(new URL(page.url()).pathname, "/book/time", "the times, not the room");
  const time = page.locator('main form button[name="start"]').first();
  assert.equal(await time.count(), 1, "times to choose");
  await check(page, journey, "times", false);

  // A time is held for the one let in: on to the details, not back to the room.
  await follow(page, time);
  assert.equal(new URL(page.url()).pathname, "/book/details");
  if (document) {
    assert.equal(await page.locator("#document").inputValue(), document, "the document let in is filled in");
  }
  await check(page, journey, "details", false);
});
