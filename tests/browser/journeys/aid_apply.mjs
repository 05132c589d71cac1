// journeys/aid_apply.mjs — an installer files an aid request:
//
// An installer whose company has a complete account and a validated label
// opens "Mes demandes d'aide", starts a request on an open programme, makes
// a mistake at step 1 (the errors come back next to the fields, the form
// filled in), fills the four steps (the contact prefilled from Mon compte,
// two documents uploaded), reads the aid amount computed by the programme's
// rule at step 4, submits, and finds the dossier "Déposée" with its history
// and the confirmation e-mail in the outbox.
import {
  PASSWORD, PDF, PNG, assert, checkProblems, cli, lastMailBody, openPage, shot, sql, step, submit,
} from '../lib.mjs';

const EMAIL = 'poseur.bornes@exemple.fr';

function setup() {
  cli('user', 'add', EMAIL, '--password', PASSWORD, '--role', 'installer');
  const now = Math.floor(Date.now() / 1000);
  const day = (d) => new Date(Date.now() + d * 86400000).toISOString().slice(0, 10);
  sql(`UPDATE users SET civility='M.', last_name='Moreau', first_name='Hugo', phone='05 46 11 22 33'
         WHERE email='${EMAIL}';
       INSERT INTO organisations(siret, kind, name, address, postcode, city, contact_email, contact_phone,
         created_at, updated_at) VALUES('88293183000005', 'Entreprise', 'Bornes de l''Atlantique', '2 quai Valin',
         '17000', 'La Rochelle', 'contact@bornes.example', '05 46 00 00 01', ${now}, ${now});
       INSERT INTO org_members(org_id, user_id, role, added_at) SELECT o.id, u.id, 'owner', ${now}
         FROM organisations o, users u WHERE o.siret='88293183000005' AND u.email='${EMAIL}';
       INSERT INTO documents(org_id, user_id, kind, filename, mime, size, hash, created_at)
         SELECT m.org_id, m.user_id, k.kind, 'doc.pdf', 'application/pdf', 10, '${'a'.repeat(64)}', ${now}
         FROM org_members m JOIN users u ON u.id=m.user_id, (SELECT 'kbis' AS kind UNION SELECT 'identity') k
         WHERE u.email='${EMAIL}';
       INSERT INTO aid_labels(org_id, user_id, status, name, departements, parking, housing, company, created_at,
         updated_at) SELECT m.org_id, m.user_id, 'validee', 'Recharge Copro Sereine', '17', 'residentiel_collectif',
         'collectif', 0, ${now}, ${now} FROM org_members m JOIN users u ON u.id=m.user_id WHERE u.email='${EMAIL}';
       INSERT INTO aid_programmes(name, target, rate_bp, cap_cents, bonus_cents, bonus_label, eligible_costs,
         budget_cents, opens_on, closes_on, active, documents, fields, created_at, updated_at)
         VALUES('Copropriétés — point individuel', 'residentiel_collectif', 5000, 60000, 36000,
         'pilotage intelligent', 'Fourniture et pose HT du point de recharge.', 50000000, '${day(-30)}',
         '${day(300)}', 1, 'Devis signé et daté' || char(10) || 'RIB du bénéficiaire',
         '[{"name":"parking","label":"Type de parking","type":"choice","required":true,"choices":["souterrain","aérien"]}]',
         ${now}, ${now});`);
}

export default async function aidApply({ base, browser }) {
  const { page, problems } = await openPage(browser);
  await step('an installer with a validated label logs in and opens "Mes demandes d’aide"', async () => {
    setup();
    await page.goto(base + '/connexion');
    await page.getByLabel('Adresse e-mail').fill(EMAIL);
    await page.getByLabel('Mot de passe', { exact: true }).fill(PASSWORD);
    await submit(page, page.locator('main').getByRole('button', { name: 'Se connecter' }));
    await page.getByRole('link', { name: 'Mes demandes d’aide' }).click();
    await page.waitForURL(/\/aides$/);
    await page.getByText('Aucune demande pour l’instant').waitFor();
    assert(await page.locator('#a-faire').count() === 0, 'the home page says something is missing');
    await shot(page, 'aides-accueil');
  });

  await step('starts a request on the open programme', async () => {
    await page.getByRole('link', { name: 'Déposer une demande' }).click();
    await page.getByText('Devis signé et daté').waitFor();
    await submit(page, page.getByRole('button', { name: 'Commencer la demande' }));
    assert(/\/aides\/dossiers\/\d+\/etape\/1$/.test(page.url()), 'not on step 1: ' + page.url());
  });

  await step('step 1 with mistakes comes back with the errors next to the fields, filled in', async () => {
    await page.locator('#label_id').selectOption({ label: 'Recharge Copro Sereine' });
    await page.locator('#site_address').fill('8 rue des Mouettes');
    await page.locator('#site_postcode').fill('1700');
    await page.getByLabel('Commune').fill('La Rochelle');
    await page.getByLabel('Nombre de points de recharge').fill('6');
    await page.locator('#cost').fill('9 000 euros');
    const resp = await submit(page, page.getByRole('button', { name: /^Continuer/ }));
    assert(resp.status() === 422, 'step 1 with errors answered ' + resp.status());
    await page.locator('#site_postcode-err').getByText('Le code postal compte 5 chiffres.').waitFor();
    await page.locator('#cost-err').getByText('Indiquez le coût éligible HT en euros').waitFor();
    assert(await page.getByLabel('Commune').inputValue() === 'La Rochelle', 'the city was not kept');
    await shot(page, 'aides-etape1-erreurs');
    await page.locator('#site_postcode').fill('17000');
    await page.locator('#cost').fill('9 000');
    await page.getByLabel(/condition du bonus/).check();
    await submit(page, page.getByRole('button', { name: /^Continuer/ }));
    assert(/\/etape\/2$/.test(page.url()), 'not on step 2: ' + page.url());
  });

  await step('step 2: the contact comes from Mon compte, the beneficiary is typed', async () => {
    assert(await page.getByLabel('Nom et prénom').inputValue() === 'Hugo Moreau', 'contact not prefilled');
    await page.getByLabel('Type de bénéficiaire').selectOption('copropriete');
    await page.getByLabel('Nom ou raison sociale').fill('Syndicat de la résidence Les Mouettes');
    await page.getByLabel('E-mail du bénéficiaire').fill('syndic.mouettes@exemple.fr');
    await page.locator('#beneficiary_address').fill('8 rue des Mouettes, 17000 La Rochelle');
    await submit(page, page.getByRole('button', { name: /^Continuer/ }));
    assert(/\/etape\/3$/.test(page.url()), 'not on step 3: ' + page.url());
  });

  await step('step 3: the programme’s documents and extra field', async () => {
    await page.getByLabel('Devis signé et daté').setInputFiles({ name: 'devis.pdf', mimeType: 'application/pdf', buffer: PDF });
    await page.getByLabel('RIB du bénéficiaire').setInputFiles({ name: 'rib.png', mimeType: 'image/png', buffer: PNG });
    await page.getByLabel('Type de parking').selectOption('souterrain');
    await submit(page, page.getByRole('button', { name: /^Continuer/ }));
    assert(/\/etape\/4$/.test(page.url()), 'not on step 4: ' + page.url());
  });

  await step('step 4 shows the amount of the programme’s rule, then the request is filed', async () => {
    // min(50 % × 9 000 €, 600 € × 6) + 360 € × 6 = 3 600 € + 2 160 €.
    const amount = (await page.locator('#montant').innerText()).replace(/\s/g, ' ');
    assert(amount === '5 760,00 €', 'amount shown: ' + amount);
    assert(await page.locator('#missing').count() === 0, 'step 4 says something is missing');
    await shot(page, 'aides-etape4');
    await page.getByLabel(/J’atteste sur l’honneur/).check();
    await submit(page, page.getByRole('button', { name: 'Déposer la demande' }));
    assert(/\/aides\/dossiers\/\d+$/.test(page.url()), 'not on the dossier page: ' + page.url());
    await page.locator('#statut').getByText('Déposée').waitFor();
    await page.getByText('Brouillon → Déposée').waitFor();
    await shot(page, 'aides-dossier');
    const mail = await lastMailBody(EMAIL);
    assert(/est maintenant : Déposée/.test(mail), 'no confirmation e-mail: ' + mail.slice(0, 200));
  });

  await step('asked for a document, the applicant uploads it, answers and sends the complements', async () => {
    const id = page.url().match(/\/aides\/dossiers\/(\d+)$/)[1];
    const now = Math.floor(Date.now() / 1000);
    sql(`UPDATE aid_dossiers SET status='complements' WHERE id=${id};
         INSERT INTO aid_doc_requests(dossier_id, label, requested_at) VALUES(${id}, 'Photo du tableau électrique', ${now});
         INSERT INTO aid_messages(dossier_id, from_staff, body, created_at)
           VALUES(${id}, 1, 'Merci de joindre une photo du tableau électrique.', ${now});`);
    await page.reload();
    await page.getByText('Merci de joindre une photo du tableau électrique.').waitFor();
    await page.locator('#pieces-demandees input[type=file]').setInputFiles({ name: 'tableau.png', mimeType: 'image/png', buffer: PNG });
    await submit(page, page.locator('#pieces-demandees').getByRole('button', { name: 'Déposer' }));
    await page.getByLabel('Votre message').fill('Voici la photo demandée.');
    await submit(page, page.getByRole('button', { name: 'Envoyer le message' }));
    await page.getByText('Voici la photo demandée.').waitFor();
    await shot(page, 'aides-dossier-complements');
    await submit(page, page.getByRole('button', { name: 'Transmettre les compléments' }));
    await page.locator('#statut').getByText('En instruction').waitFor();
  });

  await step('the home page lists it', async () => {
    await page.getByRole('link', { name: 'Mes demandes d’aide' }).first().click();
    await page.locator('#liste-demandes').getByText('En instruction').waitFor();
    await page.locator('#liste-demandes').getByText('5 760,00 €').waitFor();
    await shot(page, 'aides-accueil-liste');
  });
  await checkProblems(problems);
}
