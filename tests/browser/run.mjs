// run.mjs — the browser journey: Playwright (playwright-core) driving
// Debian's Chromium against the real `guichet serve`.
//
// One applicant goes through what a company does on its first day:
// sign up, confirm the address from the e-mail (read from the outbox table),
// log in, turn on two-factor login, log out, log in again with the code, and
// complete "Mon compte" (personal information, company with an invalid SIRET
// first, then the Kbis extract and the identity card) until the page says
// "Compte complet". Along the way it checks that no page breaks the CSP or
// throws.
//
// The script starts its own server (fresh temporary data directory,
// GUICHET_BIN or build/guichet), prints one line per step, writes
// screenshots to tests/browser/out/, and ends with exactly
// "browser: N passed, N failed". Exit status 0 only when nothing failed.
// Every wait is bounded; a watchdog ends the run if anything still hangs.
import { spawn, execFileSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { chromium } = require('playwright-core');

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const OUT = path.join(ROOT, 'tests', 'browser', 'out');
const BIN = path.resolve(ROOT, process.env.GUICHET_BIN || path.join('build', 'guichet'));
// The common-password list made by `make all` next to the binary (build/ or
// build-asan/), else build/'s.
const PASSWORDS = [path.join(path.dirname(BIN), 'common-passwords.txt'), path.join(ROOT, 'build', 'common-passwords.txt')]
  .find((p) => fs.existsSync(p)) || path.join(ROOT, 'build', 'common-passwords.txt');

const STEP_TIMEOUT = 15000;   // any single browser action or navigation
const TOTP_WAIT_MAX = 32000;  // at most one 30-s step plus a margin
const RUN_TIMEOUT = 240000;   // the whole run, as a last resort

const EMAIL = 'claire.martin@exemple.fr';
const PASSWORD = 'Correct-Horse-42!';

// Smallest valid files of each type (the same as tests/http/harness.py).
const PDF = Buffer.from(
  '%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n' +
  'trailer<</Root 1 0 R>>\n%%EOF\n');
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==', 'base64');

let passed = 0;
let failed = 0;
let server = null;
let browser = null;
let dataDir = null;

// ------------------------------------------------------------------ helpers

function log(line) { process.stdout.write(line + '\n'); }

function base32Decode(s) {
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
function totp(secret, step) {
  const msg = Buffer.alloc(8);
  msg.writeBigUInt64BE(BigInt(step));
  const mac = createHmac('sha1', base32Decode(secret)).update(msg).digest();
  const o = mac[mac.length - 1] & 15;
  const code = (mac.readUInt32BE(o) & 0x7fffffff) % 1000000;
  return String(code).padStart(6, '0');
}

const totpStep = () => Math.floor(Date.now() / 1000 / 30);

const sleep = (ms) => new Promise((res) => setTimeout(res, ms));

function assert(cond, msg) {
  if (!cond) throw new Error(msg);
}

function sql(query) {
  return execFileSync('sqlite3', ['-cmd', '.timeout 5000', path.join(dataDir, 'guichet.db'), query],
    { encoding: 'utf8', timeout: 10000 });
}

// The newest outbox message to an address, polled for a few seconds.
async function lastMailBody(to) {
  const deadline = Date.now() + 5000;
  for (;;) {
    const body = sql(`SELECT body FROM outbox WHERE to_addr='${to.replace(/'/g, "''")}' ORDER BY id DESC LIMIT 1`);
    if (body.trim() || Date.now() > deadline) return body;
    await sleep(100);
  }
}

// ------------------------------------------------------------------- server

function startServer() {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'guichet-browser-'));
  const conf = path.join(dataDir, 'none.conf');
  fs.writeFileSync(conf, '');
  const env = {
    ...process.env,
    GUICHET_DATA_DIR: dataDir,
    GUICHET_PORT: '0',
    GUICHET_SEED: '0',
    GUICHET_ACCESS_LOG: '0',
    GUICHET_PASSWORDS_FILE: PASSWORDS,
    GUICHET_THREADS: '2',
    GUICHET_CONFIG: conf,
  };
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

function serverLog() {
  try { return fs.readFileSync(path.join(dataDir, 'server.log'), 'utf8').slice(-2000); } catch { return ''; }
}

async function stopServer() {
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

async function cleanup() {
  if (browser) await browser.close().catch(() => {});
  browser = null;
  await stopServer().catch(() => {});
}

// ------------------------------------------------------------------- steps

let shotN = 0;
async function shot(page, name) {
  shotN++;
  const file = path.join(OUT, `${String(shotN).padStart(2, '0')}-${name}.png`);
  await page.screenshot({ path: file, fullPage: true, timeout: STEP_TIMEOUT });
}

// Runs one counted step; after the first failure of a journey the remaining
// steps of that journey are reported as not run (and counted as failed, so
// the total is the same on every run).
let journeyBroken = false;
async function step(name, fn, { independent = false } = {}) {
  if (journeyBroken) {
    failed++;
    log(`FAIL ${name} (not run: an earlier step failed)`);
    return;
  }
  try {
    await fn();
    passed++;
    log(`ok   ${name}`);
  } catch (e) {
    failed++;
    if (!independent) journeyBroken = true;
    log(`FAIL ${name}: ${(e && e.message ? e.message : String(e)).split('\n').slice(0, 6).join('\n     ')}`);
  }
}

// Submits the form holding `button` and waits for the page it leads to.
async function submit(page, buttonLocator) {
  const [resp] = await Promise.all([
    page.waitForNavigation({ timeout: STEP_TIMEOUT }),
    buttonLocator.click({ timeout: STEP_TIMEOUT }),
  ]);
  return resp;
}

async function main() {
  const watchdog = setTimeout(async () => {
    log('FAIL watchdog: the run took longer than ' + RUN_TIMEOUT / 1000 + ' s');
    failed++;
    await cleanup();
    log(`browser: ${passed} passed, ${failed} failed`);
    process.exit(1);
  }, RUN_TIMEOUT);

  fs.mkdirSync(OUT, { recursive: true });
  for (const f of fs.readdirSync(OUT)) if (f.endsWith('.png')) fs.rmSync(path.join(OUT, f));

  let base = null;
  await step('server starts on a free port', async () => {
    assert(fs.existsSync(BIN), `${BIN} not found: run make all`);
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

  // Problems the user would not see but that mean the page is broken:
  // CSP violations, script errors, sub-resources that fail.
  const problems = [];
  let page = null;
  if (browser) {
    const ctx = await browser.newContext({ locale: 'fr-FR', viewport: { width: 1100, height: 900 } });
    ctx.setDefaultTimeout(STEP_TIMEOUT);
    ctx.setDefaultNavigationTimeout(STEP_TIMEOUT);
    page = await ctx.newPage();
    page.on('console', (m) => {
      if (m.type() !== 'error') return;
      // Chromium asks for /favicon.ico by itself; the layout declares no icon
      // and the server has none: a 404 the user never sees.
      if (/\/favicon\.ico$/.test(m.location()?.url || '')) return;
      // Pages answered with an error status on purpose (422 redisplay).
      if (/status of (401|403|422)/.test(m.text())) return;
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
  }

  // ---------------------------------------------------------------- sign-up
  await step('sign-up form (/inscription) sends a confirmation e-mail', async () => {
    await page.goto(base + '/inscription');
    await page.getByLabel('Adresse e-mail').fill(EMAIL);
    await page.locator('#password').fill(PASSWORD);
    await page.locator('#password2').fill(PASSWORD);
    await shot(page, 'inscription');
    const resp = await submit(page, page.getByRole('button', { name: 'Créer mon compte' }));
    assert(resp.status() === 200, `POST /inscription answered ${resp.status()}`);
    await page.getByText('Vérifiez votre boîte').first().waitFor();
    await shot(page, 'inscription-envoyee');
  });

  let confirmLink = null;
  await step('confirmation link from the outbox activates the account', async () => {
    const body = await lastMailBody(EMAIL);
    const m = body.match(/https?:\/\/[^\s/]+(\/inscription\/confirmer\/\S+)/);
    assert(m, 'no confirmation link in the mail: ' + JSON.stringify(body.slice(0, 300)));
    confirmLink = m[1];
    await page.goto(base + confirmLink);
    assert(new URL(page.url()).pathname === '/connexion', 'confirmation did not lead to /connexion but ' + page.url());
    const status = sql(`SELECT status FROM users WHERE email='${EMAIL}'`).trim();
    assert(status === 'active', 'users.status is ' + status);
    await shot(page, 'confirmee');
  });

  await step('log in with the password', async () => {
    await page.getByLabel('Adresse e-mail').fill(EMAIL);
    await page.getByLabel('Mot de passe', { exact: true }).fill(PASSWORD);
    await submit(page, page.locator('main').getByRole('button', { name: 'Se connecter' }));
    assert(new URL(page.url()).pathname === '/compte', 'after login the page is ' + page.url());
    await page.getByRole('heading', { name: 'Mon compte', level: 1 }).waitFor();
    await page.locator('#account-status').getByText('pas encore complet').waitFor();
  });

  // ------------------------------------------------------------ two-factor
  let secret = null;
  let enrolStep = 0;
  await step('enable two-factor login on /compte/2fa with a TOTP code', async () => {
    await page.getByRole('link', { name: 'Connexion en deux étapes' }).click();
    await page.waitForURL(/\/compte\/2fa$/);
    assert(await page.locator('.qr svg').count() === 1, 'no QR code on /compte/2fa');
    secret = (await page.locator('#totp-secret').textContent()).trim();
    assert(/^[A-Z2-7]{16,}$/.test(secret), 'unexpected secret ' + secret);
    await shot(page, '2fa-activation');
    enrolStep = totpStep();
    await page.getByLabel('Code à 6 chiffres').fill(totp(secret, enrolStep));
    await submit(page, page.getByRole('button', { name: 'Activer' }));
    await page.getByRole('heading', { name: 'La connexion en deux étapes est activée' }).waitFor();
    const codes = await page.locator('#recovery-codes li').count();
    assert(codes === 10, `${codes} recovery codes shown, expected 10`);
    await shot(page, '2fa-codes-secours');
    const on = sql(`SELECT totp_secret IS NOT NULL FROM users WHERE email='${EMAIL}'`).trim();
    assert(on === '1', 'users.totp_secret not set');
  });

  await step('log out', async () => {
    await page.getByRole('link', { name: 'J’ai noté mes codes' }).click();
    await page.waitForURL(/\/compte$/);
    await submit(page, page.getByRole('button', { name: 'Se déconnecter' }));
    await page.goto(base + '/compte');
    assert(new URL(page.url()).pathname === '/connexion', 'after logout /compte shows ' + page.url());
  });

  await step('log in again: password, then the TOTP code', async () => {
    await page.getByLabel('Adresse e-mail').fill(EMAIL);
    await page.getByLabel('Mot de passe', { exact: true }).fill(PASSWORD);
    await submit(page, page.locator('main').getByRole('button', { name: 'Se connecter' }));
    assert(new URL(page.url()).pathname === '/connexion/2fa', 'password alone led to ' + page.url());
    await shot(page, 'connexion-2fa');
    // The enrolment code's step cannot be used again: wait for the next one.
    const waitUntil = Date.now() + TOTP_WAIT_MAX;
    while (totpStep() <= enrolStep && Date.now() < waitUntil) await sleep(250);
    assert(totpStep() > enrolStep, 'the TOTP step did not advance');
    await page.getByLabel('Code de vérification').fill(totp(secret, totpStep()));
    await submit(page, page.getByRole('button', { name: 'Valider' }));
    assert(new URL(page.url()).pathname === '/compte', 'after the code the page is ' + page.url());
    await page.locator('li', { hasText: 'Connexion en deux étapes' }).getByText('activée').waitFor();
  });

  // ------------------------------------------------------------ Mon compte
  await step('personal information form (civilité, nom, prénom, téléphone)', async () => {
    await page.getByLabel('Madame').check();
    await page.getByLabel('Nom', { exact: true }).fill('Martin');
    await page.getByLabel('Prénom').fill('Claire');
    await page.getByLabel('Téléphone', { exact: true }).fill('06 12 34 56 78');
    await submit(page, page.getByRole('button', { name: 'Enregistrer mes informations' }));
    await page.getByRole('status').getByText('Vos informations personnelles sont enregistrées').waitFor();
    assert(await page.getByLabel('Madame').isChecked(), 'civilité not kept');
    assert(await page.getByLabel('Nom', { exact: true }).inputValue() === 'Martin', 'nom not kept');
    const row = sql(`SELECT civility||'|'||last_name||'|'||first_name||'|'||phone FROM users WHERE email='${EMAIL}'`).trim();
    assert(row === 'Mme|Martin|Claire|06 12 34 56 78', 'users row: ' + row);
    await shot(page, 'compte-personnel');
  });

  const company = {
    kind: 'Entreprise',
    name: 'Martin Rénovation SARL',
    address: '12 rue des Lilas',
    postcode: '69003',
    city: 'Lyon',
    contact_email: 'contact@martin-renovation.fr',
    contact_phone: '04 72 00 00 00',
  };
  async function fillCompany(siret) {
    await page.getByLabel('Numéro SIRET').fill(siret);
    await page.getByLabel('Type de structure').selectOption(company.kind);
    await page.getByLabel('Raison sociale').fill(company.name);
    await page.getByLabel('Adresse', { exact: true }).fill(company.address);
    await page.getByLabel('Code postal').fill(company.postcode);
    await page.getByLabel('Ville').fill(company.city);
    await page.getByLabel('E-mail de contact').fill(company.contact_email);
    await page.getByLabel('Téléphone de contact').fill(company.contact_phone);
  }

  let summaryLinks = -1;
  await step('invalid SIRET: French error next to the field, typed values kept', async () => {
    await fillCompany('73282932000075');
    const resp = await submit(page, page.getByRole('button', { name: 'Enregistrer l’entreprise' }));
    assert(resp.status() === 422, `invalid SIRET answered ${resp.status()}`);
    const err = page.locator('#siret-err');
    await err.waitFor();
    const text = (await err.textContent()).trim();
    assert(/SIRET n’est pas valide/.test(text), 'error text: ' + text);
    // "Next to the field": inside the same .field block, described by it.
    const sameField = await page.locator('.field', { has: page.locator('#siret') }).locator('#siret-err').count();
    assert(sameField === 1, 'the SIRET error is not in the SIRET field block');
    assert(await page.locator('#siret').getAttribute('aria-invalid') === 'true', 'SIRET not aria-invalid');
    assert(await page.locator('#siret').getAttribute('aria-describedby') === 'siret-err', 'SIRET not described by its error');
    assert(await page.locator('#siret').inputValue() === '73282932000075', 'typed SIRET lost');
    const kept = {
      kind: await page.locator('#kind').inputValue(),
      name: await page.locator('#name').inputValue(),
      address: await page.locator('#address').inputValue(),
      postcode: await page.locator('#postcode').inputValue(),
      city: await page.locator('#city').inputValue(),
      contact_email: await page.locator('#contact_email').inputValue(),
      contact_phone: await page.locator('#contact_phone').inputValue(),
    };
    for (const k of Object.keys(company)) assert(kept[k] === company[k], `${k} not kept: ${JSON.stringify(kept[k])}`);
    // The other form on the page still shows the saved personal values.
    assert(await page.getByLabel('Madame').isChecked(), 'civilité lost on the redisplay');
    assert(await page.locator('#last_name').inputValue() === 'Martin', 'nom lost on the redisplay');
    const n = sql('SELECT count(*) FROM organisations').trim();
    assert(n === '0', 'an organisation was created anyway');
    await page.locator('#siret').scrollIntoViewIfNeeded();
    await shot(page, 'siret-invalide');
    summaryLinks = await page.locator('.alert[role=alert] a[href="#siret"]').count();
  });

  // The page's error summary (account.html: {{#has_errors}}) lists each error
  // with a link to its field, as on the sign-up page. Independent of the
  // journey: a missing summary does not stop the account from being filled.
  await step('invalid SIRET: the error summary at the top links to the field', async () => {
    assert(summaryLinks === 1, 'no "Le formulaire contient des erreurs" summary with a link to #siret on /compte');
  }, { independent: true });

  await step('company form with a valid SIRET', async () => {
    await page.getByLabel('Numéro SIRET').fill('732 829 320 00074');
    await submit(page, page.getByRole('button', { name: 'Enregistrer l’entreprise' }));
    await page.getByRole('status').getByText('Les informations de l’entreprise sont enregistrées').waitFor();
    assert(await page.locator('#siret').inputValue() === '73282932000074', 'stored SIRET shown: ' +
      await page.locator('#siret').inputValue());
    assert(await page.locator('#kind').inputValue() === 'Entreprise', 'type de structure not kept');
    const row = sql("SELECT siret||'|'||name||'|'||city FROM organisations").trim();
    assert(row === '73282932000074|Martin Rénovation SARL|Lyon', 'organisations row: ' + row);
    await shot(page, 'compte-entreprise');
  });

  await step('upload a PDF as "Extrait Kbis"', async () => {
    await page.getByLabel('Type de document').selectOption('kbis');
    await page.locator('input[type=file]#file').setInputFiles({ name: 'kbis.pdf', mimeType: 'application/pdf', buffer: PDF });
    await submit(page, page.getByRole('button', { name: 'Déposer le document' }));
    await page.getByRole('status').getByText('Document « Extrait Kbis » enregistré').waitFor();
    await page.getByRole('row', { name: /Extrait Kbis.*kbis\.pdf/ }).waitFor();
  });

  await step('upload a PNG as "Pièce d’identité"', async () => {
    await page.getByLabel('Type de document').selectOption('identity');
    await page.locator('input[type=file]#file').setInputFiles({ name: 'identite.png', mimeType: 'image/png', buffer: PNG });
    await submit(page, page.getByRole('button', { name: 'Déposer le document' }));
    await page.getByRole('status').getByText('Document « Pièce d’identité du dirigeant » enregistré').waitFor();
    await page.getByRole('row', { name: /Pièce d’identité.*identite\.png/ }).waitFor();
    const rows = sql("SELECT kind||':'||mime FROM documents ORDER BY kind").trim().split('\n');
    assert(rows.join(',') === 'identity:image/png,kbis:application/pdf', 'documents rows: ' + rows.join(','));
  });

  await step('the account is complete ("Compte complet")', async () => {
    await page.goto(base + '/compte');
    await page.locator('#account-status').getByText('Compte complet').waitFor();
    assert(await page.getByText('pas encore complet').count() === 0, 'the page still lists missing items');
    await shot(page, 'compte-complet');
  });

  await step('uploaded document downloads with the same bytes', async () => {
    const href = await page.getByRole('link', { name: 'kbis.pdf' }).getAttribute('href');
    const resp = await page.request.get(base + href, { timeout: STEP_TIMEOUT });
    assert(resp.status() === 200, `GET ${href} answered ${resp.status()}`);
    assert(Buffer.compare(await resp.body(), PDF) === 0, 'downloaded bytes differ from the upload');
  });

  await step('no CSP violation, script error or failed sub-resource on any page', async () => {
    assert(problems.length === 0, problems.slice(0, 5).join('\n'));
  });

  clearTimeout(watchdog);
}

for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, async () => {
    log(`FAIL interrupted by ${sig}`);
    await cleanup();
    log(`browser: ${passed} passed, ${failed + 1} failed`);
    process.exit(1);
  });
}

let exitCode = 1;
try {
  await main();
} catch (e) {
  failed++;
  log('FAIL unexpected error: ' + (e && e.stack ? e.stack : e));
} finally {
  if (failed && dataDir) log('server log (end):\n' + serverLog());
  await cleanup();
  log(`browser: ${passed} passed, ${failed} failed`);
  exitCode = failed ? 1 : 0;
}
process.exit(exitCode);
