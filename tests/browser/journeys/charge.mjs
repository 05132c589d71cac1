// journeys/charge.mjs — journey 9 of issue #3, "Données de charge":
//
// An installer whose aid request is validated declares the request's
// charging points (IRVE statique CSV, through the page's file input), then
// uploads a sessions file with errors (the row-by-row report comes back on
// the page, and as a CSV), then the clean sessions; the dossier's page shows
// the figures and the occupancy bars (SVG, no script). An instructor opens
// the programme's data page. Screenshots of the report and the summaries
// go to tests/browser/out/.
import fs from 'node:fs';
import path from 'node:path';

import {
  OUT, PASSWORD, ROOT, STEP_TIMEOUT, assert, checkProblems, cli, openPage, shot, sql, step, submit,
} from '../lib.mjs';

const EMAIL = 'bornes.atlantique@exemple.fr';
const STAFF = 'instruction.recharge@exemple.fr';
const FIX = path.join(ROOT, 'tests', 'fixtures', 'irve');

// The top of a long page (the 270 points' table follows the summary).
async function shotTop(page, name) {
  await page.screenshot({ path: path.join(OUT, `charge-${name}.png`), timeout: STEP_TIMEOUT,
    clip: { x: 0, y: 0, width: 1100, height: 1500 } });
}

async function login(page, base, email) {
  await page.goto(base + '/connexion');
  await page.getByLabel('Adresse e-mail').fill(email);
  await page.getByLabel('Mot de passe', { exact: true }).fill(PASSWORD);
  await submit(page, page.locator('main').getByRole('button', { name: 'Se connecter' }));
}

async function uploadFile(page, name, file) {
  await page.locator('input[type=file]#fichier').setInputFiles({
    name, mimeType: 'text/csv', buffer: fs.readFileSync(path.join(FIX, file)),
  });
  return submit(page, page.getByRole('button', { name: 'Déposer le fichier' }));
}

export default async function charge({ base, browser }) {
  const { page, problems } = await openPage(browser);
  let dossier = 0;
  let programme = 0;

  await step('an installer with a validated aid request', async () => {
    cli('user', 'add', EMAIL, '--password', PASSWORD, '--role', 'installer');
    cli('user', 'add', STAFF, '--password', PASSWORD, '--role', 'instructor');
    const now = Math.floor(Date.now() / 1000);
    sql(`INSERT INTO organisations(siret, kind, name, address, postcode, city, contact_email, contact_phone,
           created_at, updated_at) VALUES('41782301000018', 'Entreprise', 'Bornes Atlantique', '1 quai Duperré',
           '17000', 'La Rochelle', '${EMAIL}', '0546000000', ${now}, ${now});
         INSERT INTO org_members(org_id, user_id, role, added_at) SELECT o.id, u.id, 'owner', ${now}
           FROM organisations o, users u WHERE o.siret='41782301000018' AND u.email='${EMAIL}';
         INSERT INTO aid_programmes(name, target, rate_bp, cap_cents, eligible_costs, opens_on, closes_on,
           created_at, updated_at) VALUES('Recharge ouverte au public', 'voirie_publique', 6000, 210000, 'tout',
           '2024-01-01', '2099-12-31', ${now}, ${now});
         INSERT INTO aid_dossiers(number, programme_id, org_id, status, points, cost_cents, amount_cents,
           granted_cents, created_at, updated_at) SELECT 'AV-2026-000417', p.id, o.id, 'validee', 270,
           50000000, 30000000, 30000000, ${now}, ${now} FROM aid_programmes p, organisations o
           WHERE p.name='Recharge ouverte au public' AND o.siret='41782301000018';`);
    dossier = Number(sql("SELECT id FROM aid_dossiers WHERE number='AV-2026-000417'").trim());
    programme = Number(sql("SELECT programme_id FROM aid_dossiers WHERE number='AV-2026-000417'").trim());
    assert(dossier > 0 && programme > 0, 'no dossier');
    await login(page, base, EMAIL);
  });

  await step('declare the 270 points of the request (IRVE statique CSV)', async () => {
    await page.goto(`${base}/aides/dossiers/${dossier}/donnees`);
    await page.getByRole('heading', { name: 'Déclarer les points de recharge' }).waitFor();
    await uploadFile(page, 'pdc-dep17.csv', 'pdc-dep17.csv');
    assert(/\/aides\/donnees\/imports\/\d+$/.test(page.url()), 'after the upload: ' + page.url());
    await page.getByText('Aucune anomalie').waitFor();
    const n = sql(`SELECT count(*) FROM aid_charge_points WHERE dossier_id=${dossier}`).trim();
    assert(n === '270', n + ' points in the table');
  });

  await step('a sessions file with errors: each one reported, valid rows kept', async () => {
    await page.goto(base + '/aides/donnees');
    await uploadFile(page, 'sessions-erreurs.csv', 'sessions-erreurs.csv');
    await page.getByRole('heading', { name: 'Rapport de contrôle' }).waitFor();
    const rows = await page.locator('table.charge-report tbody tr').count();
    assert(rows === 10, rows + ' rows in the report, expected 10');
    await page.getByText('« -3.5 » est inférieur au minimum 0').waitFor();
    await page.getByText('le point de recharge « FRZZZE0000000 » n’est déclaré dans aucune demande').waitFor();
    const link = page.getByRole('link', { name: 'Télécharger le rapport (CSV)' });
    const href = await link.getAttribute('href');
    const resp = await page.request.get(base + href);
    assert(resp.status() === 200 && (await resp.text()).includes('FRZZZE0000000'), 'report CSV');
    await shot(page, 'charge-rapport');
  });

  await step('the clean sessions, then the dossier’s summary with its occupancy bars', async () => {
    await page.goto(base + '/aides/donnees');
    await uploadFile(page, 'sessions-dep17.csv', 'sessions-dep17.csv');
    await page.getByText('Aucune anomalie').waitFor();
    await page.goto(`${base}/aides/dossiers/${dossier}/donnees`);
    const bars = await page.locator('svg rect.bar').count();
    assert(bars >= 3, bars + ' bars');
    await page.getByRole('link', { name: 'par jour' }).click();
    await page.waitForURL(/par=jour$/);
    assert(await page.locator('svg rect.bar').count() > bars, 'no more bars per day');
    await page.setViewportSize({ width: 1100, height: 1500 });
    await shotTop(page, 'synthese-demande');
    await page.getByRole('link', { name: 'FRIOYE462801' }).click();
    await page.getByRole('heading', { name: /Point de recharge/ }).waitFor();
    await shot(page, 'charge-point');
  });

  await step('the instructor sees the programme’s data', async () => {
    const ctx = await browser.newContext({ locale: 'fr-FR', viewport: { width: 1100, height: 900 } });
    const p2 = await ctx.newPage();
    await login(p2, base, STAFF);
    await p2.goto(`${base}/instruction/programmes/${programme}/donnees`);
    await p2.getByRole('link', { name: 'AV-2026-000417' }).waitFor();
    assert(await p2.locator('svg rect.bar').count() >= 3, 'no bars on the programme page');
    await shot(p2, 'charge-synthese-programme');
    await ctx.close();
  });

  await checkProblems(problems);
}
