// journeys/map.mjs — the public map /carte, with and without JavaScript:
// without it, the SVG the server draws (networks, communes, the number of
// requests per commune); with it, Leaflet (served from the binary) replaces
// it with the same layers from /api/v1/carte, under the site's CSP, with
// no script error and no failed sub-resource. The server runs without
// background tiles (lib.mjs), as the machine is offline.
import path from 'node:path';

import { ROOT, assert, checkProblems, cli, openPage, shot, sql, step } from '../lib.mjs';

export default async function map({ base, browser }) {
  await step('territory loaded: communes, the networks of La Rochelle, one request', async () => {
    const geo = path.join(ROOT, 'tests', 'fixtures', 'geo');
    cli('import', 'geojson', 'communes', path.join(geo, 'communes_la_rochelle.geojson'), '--id', 'code', '--replace');
    cli('import', 'geojson', 'heat_networks', path.join(geo, 'reseaux_la_rochelle.geojson'), '--id', 'id', '--replace');
    sql("INSERT INTO heat_networks(sncu_id, name, operator_name, created_at, updated_at)" +
        " VALUES('1701C', 'Villeneuve les Salines', 'SALINES ENERGIES SERVICES', 0, 0) ON CONFLICT(sncu_id) DO NOTHING;" +
        " INSERT INTO heat_requests(created_at, updated_at, address, commune, lon, lat, profile, energy, heating_mode," +
        " last_name, first_name, email, eligibility, routed_to, status) VALUES(0, 0, 'carte', 'La Rochelle'," +
        " -1.140582, 46.158759, 'maison', 'gaz', 'individuel', 'Carte', 'Essai', 'carte@exemple.fr', 'tres_proche'," +
        " 'x', 'a_traiter');");
  });

  await step('without JavaScript: the server-drawn SVG map', async () => {
    const ctx = await browser.newContext({ javaScriptEnabled: false, viewport: { width: 1100, height: 900 } });
    const page = await ctx.newPage();
    await page.goto(base + '/carte');
    const svg = page.locator('#carte > svg.carte-svg');
    assert(await svg.isVisible(), 'the SVG map is not shown');
    assert(await page.locator('#carte > svg path.reseau').count() >= 3, 'networks missing from the SVG');
    assert(await page.locator('#carte > svg path.commune').count() === 5, 'communes missing from the SVG');
    // Every request lies in La Rochelle (this one, and the heat journey's when it ran before).
    const drawn = (await page.locator('#carte > svg text.demandes-nombre').allTextContents()).map(Number);
    const total = Number(sql('SELECT count(*) FROM heat_requests').trim());
    assert(drawn.length === 1 && drawn[0] === total, `requests drawn ${drawn}, ${total} in the database`);
    assert(await page.locator('.carte-leaflet').count() === 0, 'Leaflet ran without JavaScript');
    await shot(page, 'map-without-js');
    await ctx.close();
  });

  const visitor = await openPage(browser);
  const page = visitor.page;
  await step('with JavaScript: Leaflet shows the same layers', async () => {
    await page.goto(base + '/carte');
    await page.locator('.carte-leaflet path.reseau').first().waitFor();
    assert(await page.locator('.carte-leaflet path.reseau').count() >= 3, 'networks missing from Leaflet');
    assert(await page.locator('.carte-leaflet path.commune').count() === 5, 'communes missing from Leaflet');
    assert(await page.locator('.carte-leaflet .leaflet-control-layers-overlays label').count() === 4,
      'the layer control does not list the four layers');
    assert(!(await page.locator('#carte > svg.carte-svg').isVisible()), 'the SVG is still shown under Leaflet');
    assert(await page.locator('.leaflet-tile').count() === 0, 'tiles requested although none are configured');
    await shot(page, 'map-leaflet');
  });
  await checkProblems(visitor.problems);
}
