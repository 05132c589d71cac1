// run.mjs — the browser journeys: Playwright (playwright-core) driving
// Debian's Chromium against the real `guichet serve`.
//
// Starts one server (fresh temporary data directory, GUICHET_BIN or
// build/guichet) and one Chromium, then runs every journeys/*.mjs in name
// order (JOURNEY=name runs one), each in its own browser context with its
// own accounts. Prints one line per step, writes screenshots to
// tests/browser/out/, and ends with exactly "browser: N passed, N failed".
// Exit status 0 only when nothing failed. Every wait is bounded; a watchdog
// ends the run if anything still hangs.
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';

import {
  OUT, ROOT, RUN_TIMEOUT, assert, counts, log, newJourney, serverLog, startServer, step, stopServer,
} from './lib.mjs';

const require = createRequire(import.meta.url);
const { chromium } = require('playwright-core');

let browser = null;

async function cleanup() {
  if (browser) await browser.close().catch(() => {});
  browser = null;
  await stopServer().catch(() => {});
}

function finish(extraFailed) {
  log(`browser: ${counts.passed} passed, ${counts.failed + extraFailed} failed`);
}

async function main() {
  const dir = path.join(ROOT, 'tests', 'browser', 'journeys');
  const only = process.env.JOURNEY;
  const journeys = fs.readdirSync(dir).filter((f) => f.endsWith('.mjs')).sort()
    .filter((f) => !only || f === only + '.mjs');
  const watchdog = setTimeout(async () => {
    log('FAIL watchdog: the run took longer than ' + (RUN_TIMEOUT * journeys.length) / 1000 + ' s');
    counts.failed++;
    await cleanup();
    finish(0);
    process.exit(1);
  }, RUN_TIMEOUT * journeys.length);

  fs.mkdirSync(OUT, { recursive: true });
  for (const f of fs.readdirSync(OUT)) if (f.endsWith('.png')) fs.rmSync(path.join(OUT, f));

  newJourney('setup');
  let base = null;
  await step('server starts on a free port', async () => {
    base = await startServer();
  });
  await step('chromium starts', async () => {
    browser = await chromium.launch({
      executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
        '--disable-background-networking', '--disable-component-update', '--disable-sync'],
      timeout: 30000,
    });
  });
  assert(base && browser, 'setup failed');
  for (const f of journeys) {
    newJourney(f);
    const { default: journey } = await import(path.join(dir, f));
    try {
      await journey({ base, browser });
    } catch (e) {
      counts.failed++;
      log(`FAIL ${f}: unexpected error: ${e && e.stack ? e.stack : e}`);
    }
  }
  clearTimeout(watchdog);
}

for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, async () => {
    log(`FAIL interrupted by ${sig}`);
    await cleanup();
    finish(1);
    process.exit(1);
  });
}

let exitCode = 1;
try {
  await main();
} catch (e) {
  counts.failed++;
  log('FAIL unexpected error: ' + (e && e.stack ? e.stack : e));
} finally {
  if (counts.failed) log('server log (end):\n' + serverLog());
  await cleanup();
  finish(0);
  exitCode = counts.failed ? 1 : 0;
}
process.exit(exitCode);
