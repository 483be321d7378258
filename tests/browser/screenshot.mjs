// A screenshot of a running console (the README's, from `iti-node demo --serve`):
//   node screenshot.mjs CONSOLE_URL FILE.p12 PASSWORD OUT.png [PATH]
// Without PATH it opens the first case of the inbox.
import { chromium } from 'playwright-core';
import { readFileSync } from 'node:fs';
const [url, p12, passphrase, out, path] = process.argv.slice(2);
const b = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
const ctx = await b.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1100, height: 900 },
  clientCertificates: [{ origin: url.replace(/\/$/, ''), pfxPath: p12, passphrase }] });
const page = await ctx.newPage();
await page.goto(url + (path || ''));
const link = page.locator('a[href^="/case/"]').first();
if (!path && await link.count()) { await link.click(); }
await page.screenshot({ path: out, fullPage: false });
console.log(page.url());
await b.close();
