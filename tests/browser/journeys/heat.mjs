// journeys/heat.mjs — a heat-network connection request, end to end:
//
// The territory is loaded the way an administrator would from the command
// line (communes, the test addresses, network 1701C's trace and row, its
// operator's account). A co-owner tests an address 39 m from the network on
// /eligibilite, sees it is eligible and sends the contact form; the
// operator logs in, finds the request in /operateur/demandes, opens it and
// moves it to "En cours de prise en charge"; the applicant gets the e-mail
// (read from the outbox table).
import path from 'node:path';

import {
  PASSWORD, ROOT, assert, checkProblems, cli, lastMailBody, openPage, shot, sql, step, submit,
} from '../lib.mjs';

const ADDRESS = '1 Rue des Essais La Rochelle';
const APPLICANT = 'copro.heat@exemple.fr';
const OPERATOR = 'exploitant.heat@exemple.fr';

export default async function heat({ base, browser }) {
  await step('territory loaded: communes, addresses, network 1701C and its operator', async () => {
    const geo = path.join(ROOT, 'tests', 'fixtures', 'geo');
    cli('import', 'geojson', 'communes', path.join(geo, 'communes_la_rochelle.geojson'), '--id', 'code');
    cli('import', 'addresses', path.join(ROOT, 'tests', 'fixtures', 'heat', 'adresses-essais-la-rochelle.csv'));
    cli('import', 'geojson', 'heat_networks', path.join(geo, 'reseaux_la_rochelle.geojson'), '--id', 'id');
    cli('user', 'add', OPERATOR, '--password', PASSWORD, '--role', 'operator');
    sql("INSERT INTO heat_networks(sncu_id, name, operator_name, renewable_pct, created_at, updated_at)" +
        " VALUES('1701C', 'Villeneuve les Salines', 'SALINES ENERGIES SERVICES', 73.5, 0, 0);" +
        ` UPDATE heat_networks SET operator_user_id=(SELECT id FROM users WHERE email='${OPERATOR}');`);
  });

  const applicant = await openPage(browser);
  let page = applicant.page;
  await step('the address is eligible on /eligibilite', async () => {
    await page.goto(base + '/eligibilite');
    await page.getByLabel('Adresse du bâtiment').fill(ADDRESS);
    await submit(page, page.getByRole('button', { name: 'Tester l’adresse' }));
    const level = await page.locator('#resultat').getAttribute('data-eligibilite');
    assert(level === 'tres_proche', 'eligibility shown: ' + level);
    await page.getByText('Villeneuve les Salines (1701C)').waitFor();
    await shot(page, 'heat-eligible');
  });

  let ref = null;
  await step('the contact request is sent', async () => {
    await page.getByLabel('Copropriétaire').check();
    await page.getByLabel('Gaz').check();
    await page.getByLabel('Collectif').check();
    await page.getByLabel('Nombre de logements').fill('24');
    await page.getByLabel('Nom', { exact: true }).fill('Martin');
    await page.getByLabel('Prénom').fill('Claire');
    await page.getByLabel('Adresse e-mail').fill(APPLICANT);
    await page.locator('#consentement').check();
    const resp = await submit(page, page.getByRole('button', { name: 'Envoyer ma demande' }));
    assert(resp.status() === 200, 'POST /eligibilite/demande answered ' + resp.status());
    ref = (await page.locator('#reference').textContent()).trim();
    assert(/^\d+$/.test(ref), 'reference ' + ref);
    const routed = sql(`SELECT routed_to FROM heat_requests WHERE id=${ref}`).trim();
    assert(routed === OPERATOR, 'request routed to ' + routed);
    await shot(page, 'heat-request-sent');
  });
  await checkProblems(applicant.problems);

  const operator = await openPage(browser);
  page = operator.page;
  await step('the operator logs in and sees the request in /operateur/demandes', async () => {
    await page.goto(base + '/connexion');
    await page.getByLabel('Adresse e-mail').fill(OPERATOR);
    await page.getByLabel('Mot de passe', { exact: true }).fill(PASSWORD);
    await submit(page, page.locator('main').getByRole('button', { name: 'Se connecter' }));
    await page.goto(base + '/operateur/demandes');
    const link = page.locator(`a[href="/operateur/demandes/${ref}"]`);
    assert(await link.count() === 1, 'the request is not in the table');
    await shot(page, 'heat-operator-table');
    await link.click();
    await page.waitForURL(new RegExp(`/operateur/demandes/${ref}$`));
    assert((await page.locator('#statut-actuel').textContent()).trim() === 'À traiter', 'status is not À traiter');
  });

  await step('the operator moves it to "En cours de prise en charge"', async () => {
    await page.getByLabel('Nouveau statut', { exact: true }).selectOption({ label: 'En cours de prise en charge' });
    await page.getByLabel('Commentaire pour le demandeur').fill('Nous vous appelons cette semaine.');
    await submit(page, page.getByRole('button', { name: 'Enregistrer et prévenir le demandeur' }));
    await page.getByText('Le statut est enregistré').waitFor();
    const shown = (await page.locator('#statut-actuel').textContent()).trim();
    assert(shown === 'En cours de prise en charge', 'status shown: ' + shown);
    await shot(page, 'heat-taken-in-charge');
  });

  await step('the applicant gets the e-mail', async () => {
    const body = await lastMailBody(APPLICANT);
    assert(body.includes('En cours de prise en charge'), 'no status in the mail: ' + body.slice(0, 300));
    assert(body.includes('Nous vous appelons cette semaine.'), 'no comment in the mail');
    assert(body.includes(`référence ${ref}`), 'no reference in the mail');
  });

  await step('the operator\'s map: the request coloured by its status, with and without JavaScript', async () => {
    // Two more requests of 1701C, and one of no network that must not show (all in La Rochelle,
    // where map.mjs counts them).
    sql("INSERT INTO heat_requests(created_at, updated_at, address, commune, lon, lat, profile, energy, heating_mode," +
        " last_name, first_name, email, eligibility, network_id, routed_to, status) VALUES" +
        " (1, 1, '2 Rue des Essais', 'La Rochelle', -1.1400, 46.1580, 'maison', 'gaz', 'individuel', 'A', 'B'," +
        "  'a@exemple.fr', 'proche', (SELECT id FROM heat_networks WHERE sncu_id='1701C'), 'x', 'etude')," +
        " (2, 2, '3 Rue des Essais', 'La Rochelle', -1.1380, 46.1560, 'maison', 'gaz', 'individuel', 'A', 'B'," +
        "  'b@exemple.fr', 'proche', (SELECT id FROM heat_networks WHERE sncu_id='1701C'), 'x', 'realise')," +
        " (3, 3, 'Ailleurs', 'La Rochelle', -1.1390, 46.1570, 'maison', 'gaz', 'individuel', 'A', 'B'," +
        "  'c@exemple.fr', 'proche', NULL, 'x', 'a_traiter');");
    await page.goto(base + '/operateur/demandes?statut=&tri=date&ordre=desc');
    await submit(page, page.locator('#vue-carte'));
    assert(/\/operateur\/demandes\/carte\?/.test(page.url()), 'the tab led to ' + page.url());
    await page.locator('.carte-leaflet path.demande').first().waitFor();
    assert(await page.locator('.carte-leaflet path.demande').count() === 3, 'Leaflet does not show the three requests');
    assert(await page.locator('.carte-leaflet path.demande.st-prise_en_charge').count() === 1, 'status colour missing');
    assert(await page.locator('.carte-leaflet path.reseau.courant').count() === 1, 'the network is not highlighted');
    await shot(page, 'heat-operator-map-leaflet');
    const ctx = await browser.newContext({ javaScriptEnabled: false, viewport: { width: 1100, height: 900 } });
    await ctx.addCookies(await page.context().cookies());
    const nojs = await ctx.newPage();
    await nojs.goto(base + '/operateur/demandes/carte');
    assert(await nojs.locator('#carte > svg circle.demande').count() === 3, 'the SVG does not show the three requests');
    await shot(nojs, 'heat-operator-map-svg');
    await Promise.all([nojs.waitForNavigation(), nojs.locator(`#carte a[href="/operateur/demandes/${ref}"] circle`).click()]);
    assert(nojs.url().endsWith(`/operateur/demandes/${ref}`), 'the point led to ' + nojs.url());
    await ctx.close();
  });
  await checkProblems(operator.problems);
}
