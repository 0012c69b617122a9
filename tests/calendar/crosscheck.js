// crosscheck.js -- our working-day calendar against two independent
// open-source calendars (npm holiday-calendar and chinese-days, both MIT,
// installed as test tooling only): for every day of 2019-2026 the three
// must agree on "working day or not". Weekend days that a package lists as
// holidays and we do not (or the other way round) are rest days either
// way, so the comparison is on the working/rest status, not on names.
// usage: node crosscheck.js <shualian binary>
'use strict';
const { execFileSync } = require('child_process');
const path = require('path');
const fs = require('fs');
const bin = process.argv[2];
const nm = path.join(__dirname, '..', 'node_modules');
const cd = JSON.parse(fs.readFileSync(path.join(nm, 'chinese-days', 'dist', 'chinese-days.json')));
let pass = 0, fail = 0;
for (let y = 2019; y <= 2026; y++) {
  const ours = JSON.parse(execFileSync(bin, ['calendar', 'year', String(y)]));
  const hcOff = new Set(), hcWork = new Set();
  for (const f of [y, y + 1]) {   // a year's notice may list days of the year before
    const p = path.join(nm, 'holiday-calendar', 'data', 'CN', `${f}.json`);
    if (!fs.existsSync(p)) continue;
    for (const d of JSON.parse(fs.readFileSync(p)).dates) {
      if (d.type === 'public_holiday') hcOff.add(d.date);
      if (d.type === 'transfer_workday') hcWork.add(d.date);
    }
  }
  let bad = [];
  for (const day of ours.days) {
    const wd = !['Sat', 'Sun'].includes(day.weekday);
    const a = cd.workdays[day.date] !== undefined ? true : cd.holidays[day.date] !== undefined ? false : wd;
    const b = hcWork.has(day.date) ? true : hcOff.has(day.date) ? false : wd;
    if (day.working !== a || day.working !== b)
      bad.push(`${day.date} ours=${day.working} chinese-days=${a} holiday-calendar=${b}`);
  }
  if (bad.length === 0) { pass++; console.log(`ok   calendar ${y}: ${ours.days.length} days agree with chinese-days and holiday-calendar`); }
  else { fail++; console.log(`FAIL calendar ${y}:\n  ${bad.slice(0, 10).join('\n  ')}`); }
}
console.log(`${pass} passed, ${fail} failed`);
process.exit(fail ? 1 : 0);
