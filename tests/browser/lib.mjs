// lib.mjs — what every browser journey shares: the server under test (a
// fresh data directory, GUICHET_BIN or build/guichet), the counted steps,
// screenshots, the outbox and the database, and a page that records what
// would break silently (CSP violations, script errors, failed sub-resources).
// run.mjs starts the server and Chromium once and runs each file of
// journeys/ in name order; a journey exports
//   export default async function (j) { … }   with j = { base, browser }
// and uses the helpers below. Each journey uses its own accounts.
import { spawn, execFileSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';


export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const OUT = path.join(ROOT, 'tests', 'browser', 'out');
export const BIN = path.resolve(ROOT, process.env.GUICHET_BIN || path.join('build', 'guichet'));
// The common-password list made by `make all` next to the binary (build/ or
// build-asan/), else build/'s.
export const PASSWORDS = [path.join(path.dirname(BIN), 'common-passwords.txt'), path.join(ROOT, 'build', 'common-passwords.txt')]
  .find((p) => fs.existsSync(p)) || path.join(ROOT, 'build', 'common-passwords.txt');

export const STEP_TIMEOUT = 15000;   // any single browser action or navigation
export const TOTP_WAIT_MAX = 32000;  // at most one 30-s step plus a margin
export const RUN_TIMEOUT = 240000;   // the whole run, as a last resort

// The password of the accounts journeys create with cli('user', 'add', …).
export const PASSWORD = 'Correct-Horse-42!';

// Smallest valid files of each type (the same as tests/http/harness.py).
export const PDF = Buffer.from(
  '%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n' +
  'trailer<</Root 1 0 R>>\n%%EOF\n');
export const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==', 'base64');

export const counts = { passed: 0, failed: 0 };
let server = null;
let dataDir = null;

// ------------------------------------------------------------------ helpers

export function log(line) { process.stdout.write(line + '\n'); }

export function base32Decode(s) {
  const alpha = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = 0, value = 0;
  const out = [];
  for (const ch of s.replace(/=+$/, '').toUpperCase()) {
    const i = alpha.indexOf(ch);
    if (i < 0) throw new Error('bad base32 character ' + ch);
    value = (value << 5) | i;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 255);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}

// RFC 6238: HMAC-SHA-1, 30-s steps, 6 digits.
export function totp(secret, step) {
  const msg = Buffer.alloc(8);
  msg.writeBigUInt64BE(BigInt(step));
  const mac = createHmac('sha1', base32Decode(secret)).update(msg).digest();
  const o = mac[mac.length - 1] & 15;
  const code = (mac.readUInt32BE(o) & 0x7fffffff) % 1000000;
  return String(code).padStart(6, '0');
}

export const totpStep = () => Math.floor(Date.now() / 1000 / 30);

export const sleep = (ms) => new Promise((res) => setTimeout(res, ms));

export function assert(cond, msg) {
  if (!cond) throw new Error(msg);
}

// Runs the guichet command against the server's data directory
// (e.g. cli('user', 'add', email, '--password', PASSWORD, '--role', 'instructor')).
export function cli(...args) {
  return execFileSync(BIN, args, { cwd: ROOT, env: serverEnv(), encoding: 'utf8', timeout: 60000 });
}

export function sql(query) {
  return execFileSync('sqlite3', ['-cmd', '.timeout 5000', path.join(dataDir, 'guichet.db'), query],
    { encoding: 'utf8', timeout: 10000 });
}

// The newest outbox message to an address, polled for a few seconds.
export async function lastMailBody(to) {
  const deadline = Date.now() + 5000;
  for (;;) {
    const body = sql(`SELECT body FROM outbox WHERE to_addr='${to.replace(/'/g, "''")}' ORDER BY id DESC LIMIT 1`);
    if (body.trim() || Date.now() > deadline) return body;
    await sleep(100);
  }
}

// ------------------------------------------------------------------- server

function serverEnv() {
  return {
    ...process.env,
    GUICHET_DATA_DIR: dataDir,
    GUICHET_PORT: '0',
    GUICHET_SEED: '0',
    GUICHET_ACCESS_LOG: '0',
    GUICHET_PASSWORDS_FILE: PASSWORDS,
    GUICHET_THREADS: '2',
    GUICHET_CONFIG: path.join(dataDir, 'none.conf'),
  };
}

export function startServer() {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'guichet-browser-'));
  fs.writeFileSync(path.join(dataDir, 'none.conf'), '');
  const env = serverEnv();
  const errLog = fs.openSync(path.join(dataDir, 'server.log'), 'w');
  server = spawn(BIN, ['serve'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', errLog] });
  fs.closeSync(errLog);
  return new Promise((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => reject(new Error('server did not start within 20 s: ' + seen)), 20000);
    server.stdout.setEncoding('utf8');
    server.stdout.on('data', (chunk) => {
      seen += chunk;
      const m = seen.match(/http:\/\/127\.0\.0\.1:(\d+)\//);
      if (m) {
        clearTimeout(timer);
        resolve(`http://127.0.0.1:${m[1]}`);
      }
    });
    server.on('exit', (code, sig) => {
      clearTimeout(timer);
      reject(new Error(`server exited (${code ?? sig}): ${serverLog()}`));
    });
    server.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
  });
}

export function serverLog() {
  try { return fs.readFileSync(path.join(dataDir, 'server.log'), 'utf8').slice(-2000); } catch { return ''; }
}

export async function stopServer() {
  if (server && server.exitCode === null && server.signalCode === null) {
    const gone = new Promise((res) => server.once('exit', res));
    server.kill('SIGTERM');
    const t = setTimeout(() => server.kill('SIGKILL'), 10000);
    await gone;
    clearTimeout(t);
  }
  server = null;
  if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  dataDir = null;
}

// ------------------------------------------------------------------- steps

let shotN = 0;
export async function shot(page, name) {
  shotN++;
  const file = path.join(OUT, `${String(shotN).padStart(2, '0')}-${name}.png`);
  await page.screenshot({ path: file, fullPage: true, timeout: STEP_TIMEOUT });
}

// Runs one counted step; after the first failure of a journey the remaining
// steps of that journey are reported as not run (and counted as failed, so
// the total is the same on every run).
let journeyBroken = false;
export function newJourney(name) {
  journeyBroken = false;
  log(`--- ${name}`);
}
export async function step(name, fn, { independent = false } = {}) {
  if (journeyBroken) {
    counts.failed++;
    log(`FAIL ${name} (not run: an earlier step failed)`);
    return;
  }
  try {
    await fn();
    counts.passed++;
    log(`ok   ${name}`);
  } catch (e) {
    counts.failed++;
    if (!independent) journeyBroken = true;
    log(`FAIL ${name}: ${(e && e.message ? e.message : String(e)).split('\n').slice(0, 6).join('\n     ')}`);
  }
}

// Submits the form holding `button` and waits for the page it leads to.
export async function submit(page, buttonLocator) {
  const [resp] = await Promise.all([
    page.waitForNavigation({ timeout: STEP_TIMEOUT }),
    buttonLocator.click({ timeout: STEP_TIMEOUT }),
  ]);
  return resp;
}

// A new browser context and page that records what would break silently:
// CSP violations, script errors, sub-resources that fail. Returns
// { page, problems }; a journey ends with checkProblems(problems).
export async function openPage(browser) {
  const problems = [];
  const ctx = await browser.newContext({ locale: 'fr-FR', viewport: { width: 1100, height: 900 } });
  ctx.setDefaultTimeout(STEP_TIMEOUT);
  ctx.setDefaultNavigationTimeout(STEP_TIMEOUT);
  const page = await ctx.newPage();
  page.on('console', (m) => {
    if (m.type() !== 'error') return;
    // Chromium asks for /favicon.ico by itself; the layout declares no icon
    // and the server has none: a 404 the user never sees.
    if (/\/favicon\.ico$/.test(m.location()?.url || '')) return;
    // Pages answered with an error status on purpose (422 redisplay).
    if (/status of (401|403|404|409|422)/.test(m.text())) return;
    problems.push(`console on ${page.url()}: ${m.text()} (${m.location()?.url || '?'})`);
  });
  page.on('pageerror', (e) => problems.push(`script error on ${page.url()}: ${e.message}`));
  // A sub-resource the browser cancels itself (the page moved on before the
  // favicon arrived) is not a failure of the app.
  page.on('requestfailed', (r) => {
    if (r.failure()?.errorText === 'net::ERR_ABORTED') return;
    problems.push(`request failed: ${r.url()} ${r.failure()?.errorText}`);
  });
  page.on('response', (r) => {
    if (r.request().resourceType() !== 'document' && r.status() >= 400)
      problems.push(`sub-resource ${r.url()} answered ${r.status()}`);
  });
  return { page, problems };
}

export async function checkProblems(problems) {
  await step('no CSP violation, script error or failed sub-resource on any page', async () => {
    assert(problems.length === 0, problems.slice(0, 5).join('\n'));
  }, { independent: true });
}
