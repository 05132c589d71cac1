// journeys/account.mjs — a company's first day:
//
// One applicant goes through what a company does on its first day:
// sign up, confirm the address from the e-mail (read from the outbox table),
// log in, turn on two-factor login, log out, log in again with the code, and
// complete "Mon compte" (personal information, company with an invalid SIRET
// first, then the Kbis extract and the identity card) until the page says
// "Compte complet". Along the way it checks that no page breaks the CSP or
// throws.
import {
  PASSWORD, PDF, PNG, STEP_TIMEOUT, TOTP_WAIT_MAX, assert, checkProblems, lastMailBody, openPage, shot, sleep,
  sql, step, submit, totp, totpStep,
} from '../lib.mjs';

const EMAIL = 'claire.martin@exemple.fr';

export default async function account({ base, browser }) {
  const { page, problems } = await openPage(browser);
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

  await checkProblems(problems);
  await page.context().close();
}
