// Checks .ics files with Mozilla ical.js (the parser inside Thunderbird).
//
// Usage: node check_ics.mjs FILE...   (normally run by check_ics.sh)
// Prints one tab-separated line per VEVENT on stdout; problems on stderr.
// Exit: 0 valid; 1 a file is invalid; 3 ical.js is not installed.
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';

let ICAL;
try {
  // ical.js 2.x ships an ES module with a default export; 1.x is CommonJS.
  const mod = await import('ical.js');
  ICAL = mod.default ?? mod;
} catch (e) {
  console.error(`UNAVAILABLE: ical.js cannot be imported: ${e.message}`);
  process.exit(3);
}

function utcIso(time, what) {
  if (!time) throw new Error(`${what} missing`);
  if (time.isDate) throw new Error(`${what} is a date, not a date-time`);
  // A floating time (no Z, no known zone) would be shown in the viewer's local zone.
  if (!time.zone || time.zone.tzid !== 'UTC') {
    throw new Error(`${what} is not UTC (zone ${time.zone ? time.zone.tzid : 'none'})`);
  }
  return time.toJSDate().toISOString();
}

try {
  const pkg = JSON.parse(
    readFileSync(new URL('./node_modules/ical.js/package.json', import.meta.url), 'utf8'));
  console.log(`# ical.js ${pkg.version}`);
} catch {
  // Resolved from elsewhere (a global install): the version is only informative.
}

const files = process.argv.slice(2);
if (files.length === 0) {
  console.error('usage: node check_ics.mjs FILE...');
  process.exit(2);
}

let failed = false;
for (const path of files) {
  const name = basename(path);
  try {
    const jcal = ICAL.parse(readFileSync(path, 'utf8'));
    const roots = Array.isArray(jcal[0]) ? jcal : [jcal];
    for (const root of roots) {
      const calendar = new ICAL.Component(root);
      if (calendar.name !== 'vcalendar') throw new Error(`root is ${calendar.name}`);
      for (const vevent of calendar.getAllSubcomponents('vevent')) {
        const event = new ICAL.Event(vevent);
        if (!event.uid) throw new Error('VEVENT without UID');
        const fields = [
          'ical.js',
          name,
          `uid=${event.uid}`,
          `start=${utcIso(event.startDate, `${event.uid} DTSTART`)}`,
          `end=${utcIso(event.endDate, `${event.uid} DTEND`)}`,
          `status=${vevent.getFirstPropertyValue('status') ?? ''}`,
          `sequence=${vevent.getFirstPropertyValue('sequence') ?? ''}`,
          `summary=${JSON.stringify(event.summary ?? '')}`,
        ];
        console.log(fields.join('\t'));
      }
    }
  } catch (e) {
    console.error(`FAIL ${name}: ical.js: ${e.message}`);
    failed = true;
  }
}
process.exit(failed ? 1 : 0);
