// The console end to end, in a real headless Chromium, as two states'
// officers use it. Run by tests/tests/federation/console_browser.rs, which starts the
// nodes and passes a JSON file naming the consoles, the officers'
// certificates and where screenshots go. Every page is screenshotted and
// checked with axe-core; a serious or critical violation fails the run.
//
//   node console.e2e.mjs CONFIG.json

import { chromium } from 'playwright-core';
import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const axeSource = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
const config = JSON.parse(readFileSync(process.argv[2], 'utf8'));
mkdirSync(config.screenshots, { recursive: true });

const failures = [];
const browser = await chromium.launch({
  executablePath: config.chromium,
  args: ['--no-sandbox'],
});

/** A browser context holding one officer's certificate, in one language. */
async function officer(state, role, locale = 'en-GB') {
  const console_ = config.consoles[state];
  const { cert, key } = console_.officers[role];
  const context = await browser.newContext({
    ignoreHTTPSErrors: true, // the node's certificate is from the state's own CA
    locale,
    clientCertificates: [{ origin: console_.url, certPath: cert, keyPath: key }],
  });
  const page = await context.newPage();
  const who = `${state} ${role}`;
  page.on('pageerror', (e) => failures.push(`${who}: a script error: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' && /Content Security Policy/.test(m.text())) {
      failures.push(`${who}: the page broke its own CSP: ${m.text()}`);
    }
  });
  page.on('dialog', async (d) => {
    failures.push(`${who}: a dialog opened (${d.message()}): a script ran`);
    await d.dismiss();
  });
  return { page, base: console_.url.replace(/\/$/, ''), context };
}

let shots = 0;
/** A screenshot of the page as a test artifact, and the accessibility check. */
async function check(page, name) {
  shots += 1;
  const file = `${config.screenshots}/${String(shots).padStart(2, '0')}-${name}.png`;
  await page.screenshot({ path: file, fullPage: true });
  await page.evaluate(axeSource);
  const result = await page.evaluate(() => window.axe.run(document, { resultTypes: ['violations'] }));
  for (const v of result.violations) {
    if (v.impact === 'serious' || v.impact === 'critical') {
      const where = v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join('; ');
      failures.push(`${name}: axe ${v.impact} ${v.id}: ${v.help} at ${where}`);
    }
  }
  console.log(`page ${name}: axe ${result.passes.length} rules passed, ${result.violations.length} violated; screenshot ${file}`);
}

/** Loads `path` until its text contains `text` (a delivery between nodes). */
async function until(who, path, text, what) {
  const deadline = Date.now() + 30_000;
  for (;;) {
    await who.page.goto(who.base + path);
    if ((await who.page.textContent('body')).includes(text)) return;
    if (Date.now() > deadline) throw new Error(`${what}: "${text}" not on ${path} within 30 s`);
    await who.page.waitForTimeout(250); // polling for a delivery, not letting time pass
  }
}

/** Fails with the page's message when the console answered with an error. */
async function refusedIfError(page, what) {
  await page.waitForLoadState();
  const error = page.locator('.error');
  if ((await error.count()) > 0) {
    throw new Error(`${what} was refused: ${(await error.first().textContent()).trim()}`);
  }
}

function ensure(condition, message) {
  if (!condition) throw new Error(message);
}

async function step(name, body) {
  try {
    await body();
    console.log(`step ok: ${name}`);
  } catch (e) {
    failures.push(`${name}: ${e.message}`);
    console.log(`step FAILED: ${name}`);
    // What each open page showed, for whoever reads the failure.
    for (const [i, page] of browser.contexts().flatMap((c) => c.pages()).entries()) {
      const file = `${config.screenshots}/failed-${i}.png`;
      await page.screenshot({ path: file, fullPage: true }).catch(() => {});
      const text = await page.textContent('body').catch(() => '');
      console.log(`  page ${page.url()} (${file}):\n    ${text.replace(/\s+/g, ' ').slice(0, 600)}`);
    }
    throw e;
  }
}

const scenario = config.scenario;
/** A photograph of the rifle (a 1×1 PNG: what matters is that it displays). */
const PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==';
let traceId = '';

try {
  const gha = await officer('GHA', 'poc');
  const bel = await officer('BEL', 'poc');

  await step('1. GHA composes a request, sees its plan, and sends it', async () => {
    const { page, base } = gha;
    await page.goto(`${base}/compose`);
    await check(page, 'compose');
    for (const [name, value] of Object.entries(scenario.request)) {
      await page.locator(`[name="${name}"]`).first().fill(value);
    }
    for (const [id, value] of Object.entries(scenario.items)) {
      await page.locator(`#${id}`).fill(value);
    }
    for (const [id, value] of Object.entries(scenario.choices)) {
      await page.locator(`#${id}`).selectOption(value);
    }
    await page.locator('#item0_photo_file').setInputFiles({
      name: 'exhibit-14.png',
      mimeType: 'image/png',
      buffer: Buffer.from(PNG, 'base64'),
    });
    // The plan and the completeness hints follow what is typed, before
    // anything is sent (the page's script asks for them).
    await page.locator('#plan').waitFor({ timeout: 15_000 });
    const live = await page.locator('#plan').textContent();
    ensure(live.includes(scenario.plan), `the live plan does not name ${scenario.plan}: ${live}`);
    await check(page, 'compose-live-plan');
    // "Check" shows the same without script (and keeps the photograph).
    await page.locator('#compose-check').click();
    await refusedIfError(page, 'the check');
    const plan = await page.locator('#plan').textContent();
    ensure(plan.includes(scenario.plan), `the plan does not name ${scenario.plan}: ${plan}`);
    await check(page, 'compose-checked');
    await page.locator('#compose-send').click();
    await page.waitForURL(/\/case\//);
    const sent = await page.textContent('body');
    for (const expected of scenario.items_sent) {
      ensure(sent.includes(expected), `"${expected}" not in the request sent`);
    }
    traceId = page.url().split('/case/')[1];
    ensure(traceId, 'no case after sending');
    await check(page, 'case-sent');
  });

  await step("2. BEL sees it in the inbox and acknowledges it", async () => {
    await until(bel, '/', traceId.slice(-8), "BEL's inbox");
    await check(bel.page, 'inbox');
    await bel.page.goto(`${bel.base}/case/${traceId}`);
    // GHA's photograph, fetched by BEL's node from GHA's, displayed.
    const photo = bel.page.locator('img[src^="/photo/"]');
    ensure((await photo.count()) >= 1, 'the photograph is not on the case page');
    await bel.page.waitForFunction(
      () => [...document.images].some((i) => i.src.includes('/photo/') && i.complete && i.naturalWidth > 0),
      null,
      { timeout: 30_000 },
    );
    await check(bel.page, 'case-received');
    await bel.page.getByRole('button', { name: scenario.acknowledge }).click();
    await until(bel, `/case/${traceId}`, scenario.acknowledged, 'the acknowledgement');
    await check(bel.page, 'case-acknowledged');
  });

  await step('3. BEL responds "exported to NGA", its commercial section PROPRIETARY', async () => {
    const { page, base } = bel;
    await page.goto(`${base}/case/${traceId}`);
    await page.getByRole('link', { name: scenario.respond }).click();
    await check(page, 'respond');
    for (const [id, value] of Object.entries(scenario.response)) {
      await page.locator(`#${id}`).fill(value);
    }
    await page.locator(`#${scenario.proprietary}`).check();
    await page.locator('#respond-export').getByRole('button', { name: scenario.send }).click();
    await refusedIfError(page, 'the response');
    await until(bel, `/case/${traceId}`, scenario.responded, "BEL's case");
    await check(page, 'case-responded');
  });

  await step('4. GHA sees the timeline and the drafted follow-up, each field with its origin', async () => {
    await until(gha, `/case/${traceId}`, scenario.draft, "GHA's drafted follow-up");
    const text = await gha.page.textContent('body');
    for (const expected of scenario.draft_origins) {
      ensure(text.includes(expected), `"${expected}" not on GHA's case`);
    }
    await check(gha.page, 'case-drafted');
  });

  await step("5. BEL's script typed into a free-text field is inert at GHA", async () => {
    // Shown as text: the characters are on the page, no element was made
    // of them, and no dialog opened (a dialog is recorded as a failure).
    const text = await gha.page.textContent('body');
    ensure(text.includes(scenario.xss), 'the payload is not shown as text');
    ensure((await gha.page.locator('img[src="x"]').count()) === 0, 'an <img> was made of the payload');
    ensure((await gha.page.locator('script').count()) === 0, 'a <script> is in the page');
  });

  await step("6. GHA's analyst sees the personal data withheld, and why", async () => {
    const analyst = await officer('GHA', 'analyst');
    await analyst.page.goto(`${analyst.base}/case/${traceId}`);
    const text = await analyst.page.textContent('body');
    for (const expected of [scenario.withheld, scenario.withheld_rule]) {
      ensure(text.includes(expected), `"${expected}" not on the analyst's page`);
    }
    ensure(!text.includes(scenario.personal), 'personal data shown to the analyst');
    await check(analyst.page, 'case-analyst');
    await analyst.context.close();
  });

  await step('7. the French console shows the same case with coded values in French', async () => {
    const fr = await officer('GHA', 'poc', 'fr-FR');
    await fr.page.goto(`${fr.base}/case/${traceId}`);
    ensure((await fr.page.getAttribute('html', 'lang')) === 'fr', 'the page is not in French');
    const text = await fr.page.textContent('body');
    for (const word of scenario.french) {
      ensure(text.includes(word), `"${word}" not on the French page`);
    }
    ensure(text.includes(scenario.request.requester_reference), 'free text not shown as written');
    await check(fr.page, 'case-fr');
    await fr.page.goto(`${fr.base}/`);
    await check(fr.page, 'inbox-fr');
    await fr.context.close();
  });

  await step("8. every other page of the officer's and the admin's passes the checks", async () => {
    for (const path of ['/overdue', '/report', '/audit', '/audit?verify=1', '/hub']) {
      await gha.page.goto(gha.base + path);
      await check(gha.page, path.slice(1).replace(/[?=]/g, '-'));
    }
    const admin = await officer('GHA', 'admin');
    await admin.page.goto(`${admin.base}/admin`);
    ensure((await admin.page.textContent('body')).includes('BEL'), 'BEL not among the peers');
    await check(admin.page, 'admin');
    await admin.context.close();
  });
} catch (e) {
  // Recorded by its step; the pages after it depend on it.
} finally {
  await browser.close();
}

if (failures.length > 0) {
  console.log('FAILURES');
  for (const f of failures) console.log(`  ${f}`);
  process.exit(1);
}
console.log('all steps passed');
