// journeys/aid_instruction.mjs — an instructor's morning (issue #3, journey 7):
//
// Three dossiers wait, filed as the applicant's pages file them. The
// instructor opens the work list, narrows it to one département, opens a
// dossier, asks for a missing document (the applicant gets the list by
// e-mail), sees the dossier come back "compléments reçus" once the
// applicant has answered, and validates it: the amount is committed on the
// programme's envelope and the list says so.
import { PASSWORD, assert, checkProblems, cli, lastMailBody, openPage, shot, sql, step, submit } from '../lib.mjs';

const INSTRUCTOR = 'ines.instructrice@exemple.fr';
const APPLICANT = 'paul.poseur@exemple.fr';

export default async function aidInstruction({ base, browser }) {
  const { page, problems } = await openPage(browser);
  let pid = 0;
  const ids = [];

  await step('dossiers filed by an installer wait for instruction', async () => {
    cli('user', 'add', INSTRUCTOR, '--password', PASSWORD, '--role', 'instructor');
    cli('user', 'add', APPLICANT, '--password', PASSWORD, '--role', 'applicant');
    const now = Math.floor(Date.now() / 1000);
    sql(`INSERT INTO organisations(siret, kind, name, address, postcode, city, contact_email, contact_phone, created_at,
         updated_at) VALUES('55208131766522', 'entreprise', 'Bornes Océanes', '2 quai Valin', '17000', 'La Rochelle',
         'contact@exemple.fr', '0546000000', ${now}, ${now});
         INSERT INTO org_members(org_id, user_id, role, added_at) SELECT o.id, u.id, 'owner', ${now}
         FROM organisations o, users u WHERE o.siret='55208131766522' AND u.email='${APPLICANT}';
         INSERT INTO aid_programmes(name, target, rate_bp, cap_cents, eligible_costs, budget_cents, opens_on, closes_on,
         active, documents, created_at, updated_at) VALUES('Copropriétés — parcours instructeur', 'residentiel_collectif',
         5000, 60000, 'Fourniture et pose HT', 5000000, '2020-01-01', '2099-12-31', 1,
         'Devis signé et daté' || char(10) || 'Attestation de vote en assemblée générale' || char(10) || 'RIB du bénéficiaire',
         ${now}, ${now});`);
    pid = Number(sql(`SELECT id FROM aid_programmes WHERE name='Copropriétés — parcours instructeur'`).trim());
    const rows = [['17', 'Résidence Les Minimes', 4, 480000], ['17', 'Copropriété Le Gabut', 2, 200000],
      ['79', 'Résidence du Donjon', 6, 900000]];
    rows.forEach(([dept, name, points, cost], i) => {
      const amount = Math.min(Math.floor(cost / 2), 60000 * points);
      const at = now - (10 - i) * 86400;
      sql(`INSERT INTO aid_dossiers(programme_id, org_id, user_id, status, step, site_address, site_postcode, site_city,
           departement, points, cost_cents, contact_name, contact_email, beneficiary_kind, beneficiary_name, amount_cents,
           created_at, updated_at, submitted_at) SELECT ${pid}, o.id, u.id, 'deposee', 4, '3 rue des Mouettes',
           '${dept}000', 'La Rochelle', '${dept}', ${points}, ${cost}, 'Paul Poseur', '${APPLICANT}', 'copropriete',
           '${name}', ${amount}, ${at}, ${at}, ${at} FROM organisations o, users u
           WHERE o.siret='55208131766522' AND u.email='${APPLICANT}';
           UPDATE aid_dossiers SET number=printf('AV-2026-%06d', id) WHERE number IS NULL;`);
      ids.push(Number(sql(`SELECT max(id) FROM aid_dossiers`).trim()));
    });
    assert(ids.length === 3 && ids[2] > 0, 'dossiers not created');
  });

  await step('the instructor logs in and sees the three dossiers to process', async () => {
    await page.goto(base + '/connexion');
    await page.getByLabel('Adresse e-mail').fill(INSTRUCTOR);
    await page.getByLabel('Mot de passe', { exact: true }).fill(PASSWORD);
    await submit(page, page.locator('main').getByRole('button', { name: 'Se connecter' }));
    await page.getByRole('link', { name: 'Instruction' }).first().click();
    await page.waitForURL(/\/instruction$/);
    await page.getByRole('heading', { name: 'Instruction des demandes d’aide' }).waitFor();
    await page.locator('#programme').selectOption(String(pid));
    await submit(page, page.getByRole('button', { name: 'Filtrer' }));
    for (const id of ids) await page.locator(`#dossier-${id}`).waitFor();
    await shot(page, 'instruction-liste');
  });

  await step('filtering on a département keeps only its dossiers', async () => {
    await page.locator('#departement').fill('17');
    await submit(page, page.getByRole('button', { name: 'Filtrer' }));
    const rows = await page.locator('table.worklist tbody tr').count();
    assert(rows === 2, `${rows} rows after the filter, expected 2`);
    assert(await page.locator(`#dossier-${ids[2]}`).count() === 0, 'the dossier of the 79 is still listed');
    assert((await page.locator('#count').textContent()).includes('2 dossier(s)'), 'count line wrong');
  });

  await step('the dossier page shows the request, the rule and the actions', async () => {
    await page.locator(`#dossier-${ids[0]}`).getByRole('link').first().click();
    await page.waitForURL(new RegExp(`/instruction/dossiers/${ids[0]}`));
    await page.locator('#montant-regle').waitFor();
    const rule = (await page.locator('#montant-regle').textContent()).replace(/\s/g, ' ');
    assert(rule.includes('2 400,00 €'), 'rule amount shown: ' + rule);
    await page.locator('#valider').waitFor();
    await shot(page, 'instruction-dossier');
  });

  await step('asking for a missing document e-mails the list to the applicant', async () => {
    await page.locator('#pieces-bloc summary').click();
    await page.getByLabel('RIB du bénéficiaire').check();
    await page.locator('#autre_piece').fill('Photo du tableau électrique');
    await submit(page, page.getByRole('button', { name: 'Demander ces pièces' }));
    await page.locator('#statut').getByText('Compléments demandés').waitFor();
    const st = sql(`SELECT status FROM aid_dossiers WHERE id=${ids[0]}`).trim();
    assert(st === 'complements', 'status is ' + st);
    const body = await lastMailBody(APPLICANT);
    assert(body.includes('- RIB du bénéficiaire') && body.includes('- Photo du tableau électrique'),
      'the e-mail does not list the documents: ' + body.slice(0, 400));
    await shot(page, 'instruction-pieces-demandees');
  });

  await step('once the applicant has answered, the dossier is back "compléments reçus"', async () => {
    // What the applicant's page does when the documents are in (aid_dossier_move → en_instruction).
    const now = Math.floor(Date.now() / 1000);
    sql(`UPDATE aid_doc_requests SET fulfilled_at=${now} WHERE dossier_id=${ids[0]};
         UPDATE aid_dossiers SET status='en_instruction', updated_at=${now} WHERE id=${ids[0]};
         INSERT INTO aid_dossier_events(dossier_id, at, user_id, kind, from_status, to_status)
         SELECT ${ids[0]}, ${now}, id, 'status', 'complements', 'en_instruction' FROM users WHERE email='${APPLICANT}';`);
    await page.goto(base + `/instruction?programme=${pid}`);
    await page.locator(`#dossier-${ids[0]}`).getByText('compléments reçus').waitFor();
  });

  await step('validating commits the amount on the envelope and returns to the list', async () => {
    await page.locator(`#dossier-${ids[0]}`).getByRole('link').first().click();
    await submit(page, page.locator('#valider'));
    assert(/\/instruction\?/.test(page.url()), 'after validation the page is ' + page.url());
    await page.getByText(/AV-2026-\d+ : validé/).waitFor();
    const [st, committed] = sql(`SELECT d.status || ' ' || p.committed_cents FROM aid_dossiers d
      JOIN aid_programmes p ON p.id=d.programme_id WHERE d.id=${ids[0]}`).trim().split(' ');
    assert(st === 'validee' && committed === '240000', `status ${st}, committed ${committed}`);
    await shot(page, 'instruction-apres-validation');
  });

  await checkProblems(problems);
}
