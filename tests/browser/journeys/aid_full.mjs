// journeys/aid_full.mjs — the browser test (issue #3), end to end
// through the pages only:
//
// A territory admin creates a programme in the back office and reads its
// committed amount on the dashboard. An installer whose company account is
// complete asks for a label; an instructor validates it; the label page
// then leads the installer to a request, filed through its steps. The
// instructor finds it in the work list and asks for a document; the
// installer sees the request on the dossier's page, adds the document and
// sends it back; the instructor validates. Both dossier pages (the
// installer's and the instructor's) now link to its charging data, and the
// dashboard's committed amount of the programme (and of the period) has
// moved by exactly the dossier's amount.
//
// Only the company account is set up outside the pages (the account
// journey covers Mon compte); the database is otherwise only read, to
// check what the pages said, and the outbox for the e-mails.
import {
  PASSWORD, PDF, PNG, assert, checkProblems, cli, lastMailBody, openPage, shot, sql, step, submit,
} from '../lib.mjs';

const ADMIN = 'agathe.territoire@exemple.fr';
const INSTRUCTOR = 'ivan.instructeur@exemple.fr';
const INSTALLER = 'nina.installatrice@exemple.fr';
const SIRET = '51203748000013';
const PROGRAMME = 'Copropriétés — parcours complet';
const OFFER = 'Borne Copro Horizon';

// An installer whose Mon compte is complete: the person, the company and
// its two documents (what the account journey does through the pages).
function setupAccounts() {
  cli('user', 'add', ADMIN, '--password', PASSWORD, '--role', 'territory_admin');
  cli('user', 'add', INSTRUCTOR, '--password', PASSWORD, '--role', 'instructor');
  cli('user', 'add', INSTALLER, '--password', PASSWORD, '--role', 'installer');
  const now = Math.floor(Date.now() / 1000);
  sql(`UPDATE users SET civility='Mme', last_name='Lefèvre', first_name='Nina', phone='05 49 11 22 33'
         WHERE email='${INSTALLER}';
       INSERT INTO organisations(siret, kind, name, address, postcode, city, contact_email, contact_phone,
         created_at, updated_at) VALUES('${SIRET}', 'Entreprise', 'Horizon Recharge', '4 rue du Minage',
         '79000', 'Niort', 'contact@horizon.example', '05 49 00 00 01', ${now}, ${now});
       INSERT INTO org_members(org_id, user_id, role, added_at) SELECT o.id, u.id, 'owner', ${now}
         FROM organisations o, users u WHERE o.siret='${SIRET}' AND u.email='${INSTALLER}';
       INSERT INTO documents(org_id, user_id, kind, filename, mime, size, hash, created_at)
         SELECT m.org_id, m.user_id, k.kind, 'piece.pdf', 'application/pdf', 10, '${'b'.repeat(64)}', ${now}
         FROM org_members m JOIN users u ON u.id=m.user_id, (SELECT 'kbis' AS kind UNION SELECT 'identity') k
         WHERE u.email='${INSTALLER}';`);
}

async function login(page, base, email) {
  await page.goto(base + '/connexion');
  await page.getByLabel('Adresse e-mail').fill(email);
  await page.getByLabel('Mot de passe', { exact: true }).fill(PASSWORD);
  await submit(page, page.locator('main').getByRole('button', { name: 'Se connecter' }));
  assert(new URL(page.url()).pathname !== '/connexion', 'login refused for ' + email);
}

// "2 400,00 €" (any kind of space) → 240000 cents.
function cents(text) {
  const t = text.replace(/[\s\u00a0\u202f]/g, '').replace('€', '');
  const m = t.match(/^(-?\d+)(?:,(\d{2}))?$/);
  assert(m, 'not an amount: ' + JSON.stringify(text));
  return Number(m[1]) * 100 + Number(m[2] || 0);
}

// The dashboard's committed amounts: the programme's row of the envelopes
// table and the period's "engagés" card.
async function dashboardFigures(page, base) {
  await page.goto(base + '/admin/aides/tableau-de-bord');
  await page.getByRole('heading', { name: 'Tableau de bord des aides', level: 1 }).waitFor();
  const row = page.locator('#tableau-enveloppes tbody tr').filter({ has: page.getByRole('rowheader', { name: PROGRAMME }) });
  assert(await row.count() === 1, 'the programme is not in the envelopes table');
  const programme = cents(await row.locator('td').nth(1).innerText());
  const card = page.locator('#chiffres li').filter({ hasText: 'engagés' });
  const period = cents(await card.locator('.big').innerText());
  return { programme, period };
}

export default async function aidFull({ base, browser }) {
  const admin = await openPage(browser);
  const installer = await openPage(browser);
  const instructor = await openPage(browser);
  let pid = 0, labelId = 0, did = 0, number = '', amount = 0, before = null;

  await step('a territory admin creates the programme in the back office', async () => {
    setupAccounts();
    const p = admin.page;
    await login(p, base, ADMIN);
    await p.goto(base + '/admin/programmes/nouveau');
    await p.getByLabel('Nom du programme').fill(PROGRAMME);
    await p.locator('#target').selectOption('residentiel_collectif');
    await p.locator('#rate').fill('50');
    await p.locator('#cap').fill('600');
    await p.locator('#eligible_costs').fill('Fourniture et pose HT du point de recharge.');
    await p.locator('#budget').fill('200 000');
    const closes = new Date(Date.now() + 200 * 86400000).toISOString().slice(0, 10);
    await p.locator('#closes_on').fill(closes);
    await p.locator('#documents').fill('Devis signé et daté');
    await submit(p, p.getByRole('button', { name: 'Créer le programme' }));
    pid = Number(sql(`SELECT id FROM aid_programmes WHERE name='${PROGRAMME}'`).trim());
    assert(pid > 0, 'the programme was not created; page ' + p.url());
    await shot(p, 'parcours-programme');
  });

  await step('the dashboard shows the programme with nothing committed yet', async () => {
    before = await dashboardFigures(admin.page, base);
    assert(before.programme === 0, 'committed before any decision: ' + before.programme);
    await shot(admin.page, 'parcours-tableau-avant');
  });

  await step('the installer, account complete, asks for a label', async () => {
    const p = installer.page;
    await login(p, base, INSTALLER);
    await p.getByRole('link', { name: 'Mes demandes d’aide' }).click();
    await p.locator('#a-faire').getByRole('link', { name: 'Demander un label' }).click();
    await p.waitForURL(/\/aides\/labels$/);
    await p.locator('main').getByRole('link', { name: 'Demander un label' }).click();
    await p.getByLabel('Nom de l’offre commerciale').fill(OFFER);
    await p.locator('#departements').fill('79, 17');
    await p.locator('#parking').selectOption('residentiel_collectif');
    await p.getByLabel('Résidence collective', { exact: true }).check();
    await p.locator('input[name=company][value=non]').check();
    await p.locator('#description').fill('Points individuels pilotables en copropriété, pose et maintenance.');
    await shot(p, 'parcours-label-formulaire');
    await submit(p, p.getByRole('button', { name: 'Déposer la demande de label' }));
    const m = p.url().match(/\/aides\/labels\/(\d+)$/);
    assert(m, 'not on the label page: ' + p.url());
    labelId = Number(m[1]);
    await p.locator('#statut').getByText('Déposée').waitFor();
    assert(await p.locator('#deposer').count() === 0, 'a pending label already offers a request');
  });

  await step('an instructor validates the label; the installer is told by e-mail', async () => {
    const p = instructor.page;
    await login(p, base, INSTRUCTOR);
    await p.getByRole('link', { name: 'Instruction' }).first().click();
    await p.locator('.admin-nav').getByRole('link', { name: /Labels/ }).click();
    await p.locator(`#label-${labelId}`).getByRole('link', { name: OFFER }).click();
    await p.waitForURL(new RegExp(`/instruction/labels/${labelId}$`));
    await p.getByLabel('Message au demandeur').fill('Offre conforme.');
    await shot(p, 'parcours-label-instruction');
    await submit(p, p.getByRole('button', { name: 'Valider', exact: true }));
    await p.locator('#statut').getByText('Validée').waitFor();
    const mail = await lastMailBody(INSTALLER);
    assert(mail.includes(OFFER), 'no e-mail about the label: ' + mail.slice(0, 200));
  });

  await step('from the validated label, the installer files a request through the steps', async () => {
    const p = installer.page;
    await p.reload();
    await p.locator('#statut').getByText('Validée').waitFor();
    await p.locator('#deposer').getByRole('link', { name: 'Déposer une demande' }).click();
    await p.waitForURL(/\/aides#programmes$/);
    await p.locator(`#programme-${pid}`).getByRole('link', { name: 'Déposer une demande' }).click();
    await submit(p, p.getByRole('button', { name: 'Commencer la demande' }));
    assert(/\/etape\/1$/.test(p.url()), 'not on step 1: ' + p.url());
    // 1. Offer, site, points, costs.
    await p.locator('#label_id').selectOption({ label: OFFER });
    await p.locator('#site_address').fill('14 avenue de Limoges');
    await p.locator('#site_postcode').fill('79000');
    await p.getByLabel('Commune').fill('Niort');
    await p.getByLabel('Nombre de points de recharge').fill('4');
    await p.locator('#cost').fill('8 000');
    await submit(p, p.getByRole('button', { name: /^Continuer/ }));
    assert(/\/etape\/2$/.test(p.url()), 'not on step 2: ' + p.url());
    // 2. The applicant (from Mon compte) and the beneficiary.
    assert(await p.getByLabel('Nom et prénom').inputValue() === 'Nina Lefèvre', 'contact not prefilled');
    await p.getByLabel('Type de bénéficiaire').selectOption('copropriete');
    await p.getByLabel('Nom ou raison sociale').fill('Syndicat de la résidence Horizon');
    await p.getByLabel('E-mail du bénéficiaire').fill('syndic.horizon@exemple.fr');
    await p.locator('#beneficiary_address').fill('14 avenue de Limoges, 79000 Niort');
    await submit(p, p.getByRole('button', { name: /^Continuer/ }));
    assert(/\/etape\/3$/.test(p.url()), 'not on step 3: ' + p.url());
    // 3. The programme's document.
    await p.getByLabel('Devis signé et daté').setInputFiles({ name: 'devis.pdf', mimeType: 'application/pdf', buffer: PDF });
    await submit(p, p.getByRole('button', { name: /^Continuer/ }));
    assert(/\/etape\/4$/.test(p.url()), 'not on step 4: ' + p.url());
    // 4. Review: min(50 % × 8 000 €, 600 € × 4) = 2 400 €; submit.
    amount = cents(await p.locator('#montant').innerText());
    assert(amount === 240000, 'amount shown at step 4: ' + amount);
    await shot(p, 'parcours-etape4');
    await p.getByLabel(/J’atteste sur l’honneur/).check();
    await submit(p, p.getByRole('button', { name: 'Déposer la demande' }));
    const m = p.url().match(/\/aides\/dossiers\/(\d+)$/);
    assert(m, 'not on the dossier page: ' + p.url());
    did = Number(m[1]);
    await p.locator('#statut').getByText('Déposée').waitFor();
    number = (await p.locator('h1').innerText()).match(/AV-\d{4}-\d+/)[0];
    assert(await p.locator('#lien-donnees').count() === 0, 'a filed request already links to charging data');
    await shot(p, 'parcours-dossier-depose');
  });

  await step('the instructor finds it in the work list and asks for a document', async () => {
    const p = instructor.page;
    await p.locator('.admin-nav').getByRole('link', { name: 'Demandes d’aide' }).click();
    await p.waitForURL(/\/instruction$/);
    await p.locator('#q').fill(number);
    await submit(p, p.getByRole('button', { name: 'Filtrer' }));
    await p.locator(`#dossier-${did}`).getByRole('link', { name: number }).click();
    await p.waitForURL(new RegExp(`/instruction/dossiers/${did}`));
    await p.locator('#montant-regle').getByText('2 400,00').waitFor();
    await p.locator('#pieces-bloc summary').click();
    await p.locator('#autre_piece').fill('Plan des places équipées');
    await shot(p, 'parcours-instruction-pieces');
    await submit(p, p.getByRole('button', { name: 'Demander ces pièces' }));
    await p.locator('#statut').getByText('Compléments demandés').waitFor();
    const mail = await lastMailBody(INSTALLER);
    assert(mail.includes('- Plan des places équipées') && mail.includes(number),
      'the e-mail does not list the document: ' + mail.slice(0, 300));
  });

  await step('the installer sees the request on the dossier page, adds the document and sends it', async () => {
    const p = installer.page;
    await p.getByRole('link', { name: 'Mes demandes d’aide' }).first().click();
    await p.locator('#liste-demandes').getByRole('link', { name: number }).click();
    await p.locator('#statut').getByText('Compléments demandés').waitFor();
    const item = p.locator('#pieces-demandees li').filter({ hasText: 'Plan des places équipées' });
    await item.getByText('à déposer').waitFor();
    assert(await p.getByRole('button', { name: 'Transmettre les compléments' }).isDisabled(),
      'the complements can be sent before the document is in');
    await item.locator('input[type=file]').setInputFiles({ name: 'plan.png', mimeType: 'image/png', buffer: PNG });
    await submit(p, item.getByRole('button', { name: 'Déposer' }));
    await p.locator('#pieces-demandees li').filter({ hasText: 'Plan des places équipées' }).getByText('plan.png').waitFor();
    await shot(p, 'parcours-complements');
    await submit(p, p.getByRole('button', { name: 'Transmettre les compléments' }));
    await p.locator('#statut').getByText('En instruction').waitFor();
  });

  await step('the instructor sees the compléments back and validates', async () => {
    const p = instructor.page;
    await p.goto(base + `/instruction?q=${encodeURIComponent(number)}`);
    await p.locator(`#dossier-${did}`).getByText('compléments reçus').waitFor();
    await p.locator(`#dossier-${did}`).getByRole('link', { name: number }).click();
    await p.locator('#pieces-demandees').getByText('reçue', { exact: true }).waitFor();
    await submit(p, p.locator('#valider'));
    await p.getByText(new RegExp(`${number} : validé`)).waitFor();
    await shot(p, 'parcours-valide');
    const st = sql(`SELECT status || ' ' || granted_cents FROM aid_dossiers WHERE id=${did}`).trim();
    assert(st === 'validee 240000', 'dossier after validation: ' + st);
  });

  await step('the installer’s dossier is validated and leads to its charging data', async () => {
    const p = installer.page;
    await p.reload();
    await p.locator('#statut').getByText('Validée').waitFor();
    assert(cents(await p.locator('#montant-accorde').innerText()) === amount, 'granted amount differs');
    await p.locator('#lien-donnees').getByRole('link', { name: 'Données de charge de cette demande' }).click();
    await p.waitForURL(new RegExp(`/aides/dossiers/${did}/donnees$`));
    await p.getByRole('heading', { name: /Données de charge/, level: 1 }).waitFor();
    await p.getByRole('heading', { name: 'Déclarer les points de recharge' }).waitFor();
    await shot(p, 'parcours-donnees');
    const mail = await lastMailBody(INSTALLER);
    assert(/est maintenant : Validée/.test(mail), 'no validation e-mail: ' + mail.slice(0, 200));
  });

  await step('the instructor’s dossier page leads to the same charging data', async () => {
    const p = instructor.page;
    await p.locator(`#dossier-${did}`).getByRole('link', { name: number }).click();
    await p.locator('#lien-donnees').click();
    await p.waitForURL(new RegExp(`/instruction/dossiers/${did}/donnees$`));
    await p.getByRole('heading', { name: /Données de charge/, level: 1 }).waitFor();
  });

  await step('the dashboard’s committed amount moved by exactly the dossier’s amount', async () => {
    const after = await dashboardFigures(admin.page, base);
    assert(after.programme - before.programme === amount,
      `programme committed ${before.programme} → ${after.programme}, expected +${amount}`);
    assert(after.period - before.period === amount,
      `period committed ${before.period} → ${after.period}, expected +${amount}`);
    await admin.page.locator('#tableau-enveloppes').scrollIntoViewIfNeeded();
    await shot(admin.page, 'parcours-tableau-apres');
  });

  await checkProblems([...admin.problems, ...installer.problems, ...instructor.problems]);
  for (const x of [admin, installer, instructor]) await x.page.context().close();
}
