// The staff's pages in headless Chromium: sign in with the demo admin's token, check in
// the citizen due next (and undo it), book a walk-in at the counter and check them in,
// mark that a citizen did not come (on the demo's past day, through the confirmation),
// see it counted in the statistics and their CSV download and in the activity log, see
// the fairness report (from the menu; the demo has no release of appointments, so it says
// there was none, for the default range and for a year, and its CSV is the header alone),
// create a calendar feed link (copy it, then revoke it after confirming), send the
// configuration page an invalid text (the problems by line) and the text in force
// unchanged, close a day and see how many appointments it cancelled, sign out — with
// JavaScript on (Spanish, 1280 px) and off (English, 360 px), and once with the keyboard
// alone. The CSV is downloaded as a file in all three; the copy button shows (and copies)
// only with JavaScript. axe-core (WCAG 2.0/2.1 A and AA) checks every page and must find
// nothing; no page may be wider than the screen (WCAG 1.4.10): wide tables scroll
// sideways inside their own region.
//
// `serve --demo` books six invented citizens on each office's last open day before
// today (already past, so "Did not come" is offered) and six on its next day with free
// times; each run marks a different one of the past day's as not come.
//
// Environment (read by support.mjs, as for journeys.test.mjs): CITA_BASE_URL,
// CITA_STAFF_TOKEN (the token `serve --demo` printed), CITA_CHROMIUM, CITA_SCREENSHOTS.

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";

import {
  BASE,
  TOKEN,
  axeViolations,
  describeViolations,
  dni,
  follow,
  launchBrowser,
  makeRun,
  overflowOf,
  requireEnv,
  serveHtml,
  SHOTS,
  writeAxeReport,
} from "./support.mjs";

requireEnv({ token: true });
const RUN = makeRun();
let nextDocument = 0;
const newDocument = () => dni(RUN + nextDocument++ * 104729);

const checks = [];
/**
 * Pages known to be wider than a 360 px screen, whose tables do not yet scroll in a
 * region of their own as the statistics', feeds', log's and configuration's do: the
 * agenda's list view (about 660 px), the print view (about 400 px) and the closure
 * preview's list (a few px). They are reported (in the log and the axe report), not
 * failed; any other page wider than the screen fails its test.
 */
let browser;
before(async () => {
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  writeAxeReport(checks, "staff pages", "axe-report-staff.md");
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
    await serveHtml(fresh, () => scratch.html);
    scratches.set(page, scratch);
  }
  scratch.html = await page.content();
  await scratch.page.goto(page.url());
  return scratch.page;
}

/** axe on the page as it is, a screenshot, and no violation allowed. */
async function check(page, journey, name) {
  // Nothing wider than the screen: no sideways scrolling, at 360 px too (WCAG 1.4.10).
  const overflow = await overflowOf(page);
  if (overflow.scroll > overflow.width) {
    const what = `${journey} ${name}: wider than the screen (${overflow.scroll} > ${overflow.width} px)`;
    assert.fail(`${what}: ${overflow.wide.join(" | ")}`);
  }
  const violations = await axeViolations(await axePage(page));
  const url = new URL(page.url());
  checks.push({ journey, name, path: url.pathname + url.search, violations: violations.length });
  await page.screenshot({ path: path.join(SHOTS, `staff-${journey}-${name}.png`), fullPage: true });
  assert.deepEqual(describeViolations(violations), [], `axe on ${name} (${url.pathname})`);
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

  // Madrid today: check in the citizen due next (a demo citizen, or one the journeys
  // booked) and undo it — when there is one still to come today (none on a weekend or
  // a holiday, nor after closing time).
  await page.goto(`${BASE}/staff/agenda?office_id=madrid-extranjeria`);
  const next = page.locator("li.slot.next");
  if ((await next.count()) === 1) {
    const due = (await next.locator(".locator-inline").innerText()).trim();
    const name = (await next.locator(".who").innerText()).replace(due, "").trim();
    assert.ok((await page.locator(".next-due").innerText()).includes(name), "the next citizen is named above the desks");
    await check(page, journey, "agenda-today");
    await press(next.locator("button[value=check-in]"));
    await page.waitForLoadState();
    const flash = await page.locator(".notice.good").innerText();
    assert.ok(flash.includes(name) && flash.includes(due), flash);
    const row = page.locator("li.slot", { has: page.locator(".locator-inline", { hasText: due }) });
    assert.equal(await row.locator(".status").getAttribute("class"), "status checked_in");
    await check(page, journey, "agenda-next-checked-in");
    await press(page.locator(".notice.good button[value=undo-check-in]"));
    await page.waitForLoadState();
    assert.equal(await row.locator(".status").getAttribute("class"), "status booked", "the check-in undone");
  } else {
    console.log(`${journey}: no citizen due later today at Madrid; the next-citizen check-in is skipped`);
  }

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

/** A CSV text's rows (RFC 4180: CRLF lines, quoted fields with doubled quotes). */
function csvRows(text) {
  return text
    .split("\r\n")
    .filter((line) => line !== "")
    .map((line) => {
      const cells = [];
      let cell = "";
      let quoted = false;
      for (let i = 0; i < line.length; i++) {
        const c = line[i];
        if (quoted && c === '"' && line[i + 1] === '"') {
          cell += '"';
          i++;
        } else if (c === '"') {
          quoted = !quoted;
        } else if (c === "," && !quoted) {
          cells.push(cell);
          cell = "";
        } else {
          cell += c;
        }
      }
      cells.push(cell);
      return cells;
    });
}

const CSV_HEADER =
  "date,procedure_id,procedure,booked,attended,no_show,cancelled,used_minutes,capacity_minutes,capacity_share_percent";

/**
 * Madrid's agenda, a day back at a time with "Previous day" from today, until a day has
 * a citizen whose time has passed ("Did not come" offered: the demo's past day); one of
 * them marked as not come through the confirmation. Returns the appointment and its day.
 */
async function markNoShow(page, journey, { keyboard = false } = {}) {
  const press = (locator) => follow(page, locator, keyboard);
  await page.goto(`${BASE}/staff/agenda?office_id=madrid-extranjeria`);
  const today = await page.locator("#date").inputValue();
  const noShow = page.locator("a[href*='action=no-show']");
  for (let back = 0; back < 10 && (await noShow.count()) === 0; back++) {
    await press(page.locator("nav.pager a").first());
    await page.waitForURL(/\/staff\/agenda\?/);
  }
  assert.ok((await noShow.count()) > 0, `no "Did not come" on the 10 days before today (${page.url()})`);
  const date = await page.locator("#date").inputValue();
  assert.ok(date <= today, `${date} is not after today (${today})`);
  const locator = new URL(await noShow.first().getAttribute("href"), BASE).searchParams.get("locator");
  const row = page.locator("li.slot", { has: page.locator(".locator-inline", { hasText: locator }) });
  const procedure = (await row.locator(".what").innerText()).trim();
  const citizen = (await row.locator(".who").innerText()).replace(locator, "").trim();
  await check(page, journey, "agenda-past-day");
  await press(noShow.first());
  assert.match(page.url(), /\/staff\/confirm\?.*action=no-show/);
  assert.ok((await page.locator("main .context").innerText()).includes(locator), "the confirmation names the appointment");
  await check(page, journey, "confirm-no-show");
  await press(page.locator("form[action='/staff/appointment'] button.warning[value=no-show]"));
  await page.waitForURL(/\/staff\/agenda\?/);
  const flash = await page.locator(".notice.good").innerText();
  assert.ok(flash.includes(citizen) && flash.includes(locator), flash);
  assert.match(flash, /no vino|did not come/i);
  assert.equal(await row.locator(".status").getAttribute("class"), "status no_show");
  assert.match(await row.locator(".status").innerText(), /^(No vino|Did not come)$/);
  assert.equal(await row.locator("a[href*='action=no-show'], button").count(), 0, "no action left on a citizen who did not come");
  await check(page, journey, "agenda-no-show");
  // The day's figures as the agenda shows them, for the statistics.
  const ofProcedure = page.locator("li.slot", { has: page.locator(".what", { hasText: procedure }) });
  const booked = await ofProcedure.count();
  const noShows = await ofProcedure.locator(".status.no_show").count();
  return { locator, date, procedure, booked, noShows };
}

/**
 * The statistics: the default range, then the no-show's day alone, its table and the CSV
 * of that day (downloaded as a file, and fetched to see its headers).
 */
async function statistics(page, journey, noShow, { keyboard = false } = {}) {
  const press = (locator) => follow(page, locator, keyboard);
  await page.goto(`${BASE}/staff/statistics?office_id=madrid-extranjeria`);
  assert.equal(await page.locator("figure.chart-figure svg").count(), 1, "the chart");
  await check(page, journey, "statistics");
  await page.locator("#from").fill(noShow.date);
  await page.locator("#to").fill(noShow.date);
  await press(page.locator("form[action='/staff/statistics'] button[type=submit]"));
  assert.match(page.url(), new RegExp(`from=${noShow.date}&to=${noShow.date}`));
  // By procedure: procedure, booked, attended, did not come, cancelled, share.
  const row = page.locator("table[aria-labelledby=by-procedure] tbody tr", {
    has: page.locator("th", { hasText: noShow.procedure }),
  });
  const cells = await row.locator("td").allInnerTexts();
  assert.equal(Number(cells[0]), noShow.booked, `booked on ${noShow.date}: ${cells}`);
  assert.equal(Number(cells[2]), noShow.noShows, `did not come on ${noShow.date}: ${cells}`);
  await check(page, journey, "statistics-day");

  const link = page.locator("a[href^='/staff/statistics.csv']");
  const href = await link.getAttribute("href");
  assert.equal(await link.getAttribute("download"), "", "the link downloads");
  let download;
  if (keyboard) {
    await link.focus();
    [download] = await Promise.all([page.waitForEvent("download"), page.keyboard.press("Enter")]);
  } else {
    [download] = await Promise.all([page.waitForEvent("download"), link.click()]);
  }
  assert.equal(download.suggestedFilename(), `cita-madrid-extranjeria-${noShow.date}-${noShow.date}.csv`);
  const text = readFileSync(await download.path(), "utf8");
  assert.equal(text.split("\r\n")[0], CSV_HEADER);
  assert.ok(text.endsWith("\r\n"), "CRLF line ends, the last line too");
  const rows = csvRows(text);
  assert.ok(rows.every((r) => r.length === 10), "ten fields on every line");
  const line = rows.find((r) => r[0] === noShow.date && r[2] === noShow.procedure);
  assert.ok(line, `a line for ${noShow.date} and ${noShow.procedure}:\n${text}`);
  assert.equal(Number(line[3]), noShow.booked, `booked: ${line}`);
  assert.ok(Number(line[5]) >= 1, `the no-show is counted: ${line}`);
  assert.equal(Number(line[5]), noShow.noShows, `no_show as on the agenda: ${line}`);
  // The same address fetched with the session's cookies: an attachment, CSV, not stored.
  const answer = await page.request.get(`${BASE}${href}`);
  assert.equal(answer.status(), 200);
  assert.match(answer.headers()["content-type"], /^text\/csv/);
  assert.match(answer.headers()["content-disposition"], /^attachment; filename="cita-madrid-extranjeria-/);
  assert.equal(await answer.text(), text);
}

const FAIRNESS_CSV_START = "service,release_at,mode,";
const NO_RELEASES = /^(No hay aperturas de citas en esas fechas\.|There are no releases of appointments in those dates\.)$/

/** An ISO date `days` days after `date` (YYYY-MM-DD). */
function addDays(date, days) {
  const d = new Date(`${date}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

/**
 * The fairness report, reached from the staff menu: the first office and the default range
 * (four weeks around today), then Madrid over the longest range it takes (366 days, the
 * no-show's day among them). The demo configuration has no release of appointments, so
 * both say so and offer no table, chart or download; the CSV of the long range, fetched
 * with the session's cookies, is its header line alone.
 */
async function fairness(page, journey, noShow, { keyboard = false } = {}) {
  const press = (locator) => follow(page, locator, keyboard);
  const menu = page.locator("nav.staff-nav a[href='/staff/fairness']");
  assert.match((await menu.innerText()).trim(), /^(Equidad|Fairness)$/);
  await press(menu);
  assert.match(page.url(), /\/staff\/fairness$/);
  assert.equal(await menu.getAttribute("aria-current"), "page");
  assert.match(await page.locator("h1").innerText(), /^(Equidad de las aperturas|Fairness of releases) · /);
  const office = page.locator("#office_id");
  const offices = await office.locator("option").evaluateAll((options) => options.map((o) => o.value));
  assert.ok(offices.includes("madrid-extranjeria"), `${offices}`);
  assert.equal(await office.inputValue(), offices[0], "the first office by default");
  const from = await page.locator("#from").inputValue();
  const to = await page.locator("#to").inputValue();
  assert.equal(addDays(from, 27), to, `four weeks by default: ${from} to ${to}`);
  assert.ok(from < noShow.date && noShow.date <= to, `${noShow.date} within ${from} to ${to}`);
  const empty = async () => {
    assert.match((await page.locator("main p.notice[role=note]").innerText()).trim(), NO_RELEASES);
    assert.equal(await page.locator("main table").count(), 0, "no table");
    assert.equal(await page.locator("main svg").count(), 0, "no chart");
    assert.equal(await page.locator("a[href^='/staff/fairness.csv']").count(), 0, "nothing to download");
  };
  await empty();
  await check(page, journey, "fairness");

  // Madrid, for a year.
  if (keyboard) {
    await office.focus();
    for (let n = 0; n < offices.length && (await office.inputValue()) !== "madrid-extranjeria"; n++) {
      await page.keyboard.press("ArrowDown");
    }
  } else {
    await office.selectOption("madrid-extranjeria");
  }
  assert.equal(await office.inputValue(), "madrid-extranjeria");
  const first = addDays(to, -365);
  await page.locator("#from").fill(first);
  await page.locator("#to").fill(to);
  const shown = await press(page.locator("form[action='/staff/fairness'] button[type=submit]"));
  assert.equal(shown.status(), 200);
  assert.match(page.url(), new RegExp(`office_id=madrid-extranjeria&from=${first}&to=${to}$`));
  assert.equal(await page.locator("#from").inputValue(), first);
  assert.equal(await page.locator("#to").inputValue(), to);
  await empty();
  await check(page, journey, "fairness-year");

  // The CSV of that range: an attachment, CSV, not stored; the header line alone.
  const answer = await page.request.get(`${BASE}/staff/fairness.csv?office_id=madrid-extranjeria&from=${first}&to=${to}`);
  assert.equal(answer.status(), 200);
  assert.match(answer.headers()["content-type"], /^text\/csv/);
  assert.equal(answer.headers()["content-disposition"], `attachment; filename="cita-fairness-madrid-extranjeria-${first}-${to}.csv"`);
  assert.equal(answer.headers()["cache-control"], "no-store");
  const lines = (await answer.text()).split(/\r?\n/);
  assert.ok(lines[0].startsWith(FAIRNESS_CSV_START), lines[0]);
  assert.deepEqual(lines.slice(1), [""], "no release: the header line alone, ended");
}

/** The activity log: all, then only "did not come", where the no-show just marked is. */
async function auditLog(page, journey, noShow, { keyboard = false } = {}) {
  const press = (locator) => follow(page, locator, keyboard);
  await page.goto(`${BASE}/staff/audit?office_id=madrid-extranjeria`);
  await check(page, journey, "audit");
  // More than a page (50 lines): the older ones, and back to the newest.
  const older = page.locator("nav.pager a[href*='before=']");
  if ((await older.count()) === 1) {
    await press(older);
    await check(page, journey, "audit-older");
    await press(page.locator("nav.pager a:not([href*='before='])"));
    assert.doesNotMatch(page.url(), /before=/);
  }
  if (keyboard) {
    await page.locator("#action").focus();
    for (let n = 0; n < 20 && (await page.locator("#action").inputValue()) !== "no_show"; n++) {
      await page.keyboard.press("ArrowDown");
    }
  } else {
    await page.locator("#action").selectOption("no_show");
  }
  assert.equal(await page.locator("#action").inputValue(), "no_show");
  await press(page.locator("form[action='/staff/audit'] button[type=submit]"));
  assert.match(page.url(), /action=no_show/);
  const actions = await page.locator("table tbody tr td:nth-child(2)").allInnerTexts();
  assert.ok(actions.length >= 1 && actions.every((a) => /^(No vino|Did not come)$/.test(a)), `${actions}`);
  const line = page.locator("table tbody tr", { has: page.locator("td.locator-inline", { hasText: noShow.locator }) });
  assert.equal(await line.count(), 1, `the no-show of ${noShow.locator} is in the log`);
  await check(page, journey, "audit-no-show");
}

/**
 * A calendar link for the whole of Madrid: shown once (it works), copied where there is
 * JavaScript and a clipboard, then revoked after the confirmation (it no longer works).
 */
async function feedLink(page, journey, { keyboard = false, js = true } = {}) {
  const press = (locator) => follow(page, locator, keyboard);
  await page.goto(`${BASE}/staff/feeds?office_id=madrid-extranjeria`);
  await check(page, journey, "feeds");
  const ids = () => page.locator("form[action='/staff/feeds/revoke'] input[name=id]").evaluateAll((inputs) => inputs.map((i) => i.value));
  const before = await ids();
  assert.equal(await page.locator("#desk_id").inputValue(), "", "the whole office by default");
  await press(page.locator("form[action='/staff/feeds'] button.primary"));
  const url = await page.locator("#feed-url").inputValue();
  assert.ok(url.startsWith(`${BASE}/feeds/offices/madrid-extranjeria.ics?token=`), url);
  const feed = await page.request.get(url);
  assert.equal(feed.status(), 200);
  assert.match(feed.headers()["content-type"], /^text\/calendar/);
  assert.ok((await feed.text()).includes("BEGIN:VCALENDAR"));
  const copy = page.locator("button[data-copy='feed-url']");
  if (js) {
    assert.ok(await copy.isVisible(), "with JavaScript and a clipboard, the copy button shows");
    if (keyboard) {
      await copy.focus();
      await page.keyboard.press("Enter");
    } else {
      await copy.click();
    }
    await page.locator(".copy-status", { hasText: /copiado|copied/i }).waitFor();
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), url, "the link is on the clipboard");
  } else {
    assert.equal(await copy.isVisible(), false, "without JavaScript there is no copy button");
  }
  await check(page, journey, "feeds-created");
  const created = (await ids()).filter((id) => !before.includes(id));
  assert.equal(created.length, 1, "the new link is listed");

  await press(page.locator(`form:has(input[name=id][value='${created[0]}']) button[type=submit]`));
  const confirm = page.locator("form[action='/staff/feeds/revoke'] button[name=confirm]");
  assert.ok(await confirm.isVisible(), "revoking asks first");
  assert.ok(await page.locator(".notice.warning h2").isVisible());
  await check(page, journey, "feeds-revoke");
  assert.ok((await ids()).includes(created[0]), "not revoked before confirming");
  await press(confirm);
  await page.waitForURL(/\/staff\/feeds\?office_id=madrid-extranjeria$/);
  assert.match(await page.locator(".notice.good").innerText(), /revocado|revoked/i);
  assert.ok(!(await ids()).includes(created[0]), "the revoked link is no longer listed");
  assert.equal((await page.request.get(url)).status(), 404, "a revoked link finds nothing");
  await check(page, journey, "feeds-revoked");
}

/**
 * The configuration: the text in force shown and in the edit box; an invalid text
 * refused with its problems by line (422); the text in force sent again (typed, or as an
 * uploaded file) changes nothing.
 */
async function configuration(page, journey, { keyboard = false, upload = false } = {}) {
  const press = (locator) => follow(page, locator, keyboard);
  await page.goto(`${BASE}/staff/config`);
  const inForce = await page.locator("#current-title").innerText();
  assert.match(inForce, /\d+\)$/, "the version in force");
  const shown = await page.locator(".config-view").innerText();
  const draft = await page.locator("#toml").inputValue();
  assert.match(draft, /id = "madrid-extranjeria"/);
  assert.equal(draft.trim(), shown.trim(), "the edit box starts as the configuration in force");
  const view = await page.locator(".config-view").evaluate((el) => ({
    scrolls: el.scrollHeight > el.clientHeight,
    role: el.getAttribute("role"),
    tabindex: el.getAttribute("tabindex"),
  }));
  assert.deepEqual(view, { scrolls: true, role: "region", tabindex: "0" }, "a long text scrolls in its own focusable region");
  await check(page, journey, "config");

  const apply = page.locator("main form[action='/staff/config'] button.primary");
  await type(page, "#toml", '[[office]]\nid = "x"\ntimezone = "Mars/Base"', keyboard);
  const refused = await press(apply);
  assert.equal(refused.status(), 422);
  const problems = await page.locator("#toml-problems li").allInnerTexts();
  assert.ok(problems.length >= 1 && problems.every((p) => /^(Línea|Line) \d+( \(.+\))?: \S/.test(p)), problems.join("\n"));
  assert.ok(problems.some((p) => /Mars\/Base/.test(p)), `the unknown time zone is named:\n${problems.join("\n")}`);
  assert.ok(problems.some((p) => p.includes('(timezone = "Mars/Base")')), `the line's text is shown:\n${problems.join("\n")}`);
  assert.equal(await page.locator("#toml").getAttribute("aria-invalid"), "true");
  assert.match(await page.locator("#toml").inputValue(), /Mars\/Base/, "the text sent is kept to be fixed");
  assert.ok(await page.locator(".error-summary").isVisible(), "the error summary");
  assert.equal(await page.locator("#current-title").innerText(), inForce, "nothing applied");
  await check(page, journey, "config-invalid");

  if (upload) {
    // The file wins over the (still invalid) text in the box.
    await page.locator("#file").setInputFiles({ name: "offices.toml", mimeType: "text/plain", buffer: Buffer.from(draft) });
  } else {
    await page.goto(`${BASE}/staff/config`);
  }
  const unchanged = await press(apply);
  assert.equal(unchanged.status(), 200);
  assert.match(page.url(), /\/staff\/config$/);
  assert.match(await page.locator(".notice.good").innerText(), /ya es la configuración vigente|already the configuration in force/);
  assert.equal(await page.locator("#current-title").innerText(), inForce, "the same version");
  await check(page, journey, "config-unchanged");
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
  const counted = /(\d+) (?:citas?|appointments?)/;
  assert.match(preview, counted);
  const toCancel = Number(preview.match(counted)[1]);
  assert.ok(toCancel >= 1, `the walk-in booked on ${day} is among those cancelled: ${preview}`);
  await check(page, journey, "closures-preview");
  await press(page.locator("form[action='/staff/closures/confirm'] button.warning"));
  await page.waitForLoadState();
  const done = await page.locator(".notice.good").innerText();
  assert.match(done, /anulad|cancelled/i);
  assert.equal(Number(done.match(counted)?.[1]), toCancel, `the cancelled count as previewed: ${done}`);
  await check(page, journey, "closures-done");
  await press(page.locator(".sign-out button"));
  await page.waitForURL(/\/staff\/sign-in/);
  await check(page, journey, "signed-out");
  await page.goto(`${BASE}/staff/agenda`);
  assert.match(page.url(), /\/staff\/sign-in/, "signed out: the agenda asks to sign in");
}

/** A no-show, then the pages that see it, the feed links and the configuration. */
async function officeWork(page, journey, { keyboard = false, js = true, upload = false } = {}) {
  const noShow = await markNoShow(page, journey, { keyboard });
  await statistics(page, journey, noShow, { keyboard });
  await fairness(page, journey, noShow, { keyboard });
  await auditLog(page, journey, noShow, { keyboard });
  await feedLink(page, journey, { keyboard, js });
  await configuration(page, journey, { keyboard, upload });
}

test("a day at the counter, JavaScript on, in Spanish, 1280 px", async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: "es-ES" });
  const page = await context.newPage();
  await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: BASE });
  await runDay(page, "js-es");
  await officeWork(page, "js-es");
  await closeAndSignOut(page, "js-es");
  await context.close();
});

test("a day at the counter, JavaScript off, in English, 360 px", async () => {
  const context = await browser.newContext({ viewport: { width: 360, height: 640 }, javaScriptEnabled: false, locale: "en-GB" });
  context._citaJs = false;
  const page = await context.newPage();
  await runDay(page, "nojs-en");
  await officeWork(page, "nojs-en", { js: false, upload: true });
  await closeAndSignOut(page, "nojs-en");
  await context.close();
});

test("a day at the counter with the keyboard alone", async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: "es-ES" });
  const page = await context.newPage();
  await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: BASE });
  await runDay(page, "keyboard", { keyboard: true });
  await officeWork(page, "keyboard", { keyboard: true });
  await closeAndSignOut(page, "keyboard", { keyboard: true });
  await context.close();
});
