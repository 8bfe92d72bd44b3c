import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { test } from 'node:test';
import { chromium } from 'playwright-core';
import { runTbx } from '../helpers/cli.js';
import { backedUpSite } from '../helpers/story.js';
import { tempDir } from '../helpers/tmp.js';

const CHROMIUM = '/usr/bin/chromium';
// Without the background-networking flags Chromium's own connections are refused on a closed network.
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

test('report page in headless Chromium, offline -> one row per box coloured by phase, sparkline, filter works, no outside requests', { skip: !existsSync(CHROMIUM) && 'Debian\'s chromium is not installed (.ci/debian-packages.txt)' }, async (t) => {
  const root = await tempDir(t);
  const s = await backedUpSite(root);
  const out = join(root, 'report');
  const r = await runTbx(['report', '--out', out], s.env);
  assert.equal(r.exitCode, 0, r.all);
  const html = await readFile(join(out, 'index.html'), 'utf8');
  assert.doesNotMatch(html, /\b(src|href)=["']?(https?:)?\/\//i, 'no external resources');

  const context = await chromium.launchPersistentContext(join(root, 'chromium-profile'), { executablePath: CHROMIUM, headless: true, args: FLAGS, offline: true });
  // Closed before the test's temp dir is removed (after-hooks run in the order they were
  // added): a browser still running writes its profile back while rm walks it, and the dir stays.
  try {
    const page = await context.newPage();
    const outside: string[] = [];
    const errors: string[] = [];
    page.on('request', (req) => {
      if (!req.url().startsWith('file:') && !req.url().startsWith('data:')) outside.push(req.url());
    });
    page.on('pageerror', (e) => errors.push(String(e)));
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    await page.goto(pathToFileURL(join(out, 'index.html')).href);
    assert.equal(await page.title(), 'tbx fleet report');
    assert.equal(await page.locator('#boxes tbody tr').count(), 2);
    const a = page.locator('tr[data-box="tb-a"]');
    assert.equal(await a.getAttribute('class'), 'phase-Succeeded');
    assert.equal(await a.evaluate((el) => (globalThis as unknown as { getComputedStyle(e: unknown): { backgroundColor: string } }).getComputedStyle(el).backgroundColor), 'rgb(227, 246, 232)');
    assert.equal(await a.locator('svg.spark rect').count(), 1);
    assert.match((await a.innerText()).replace(/\s+/g, ' '), /tb-a 10\.165\.98\.230 · rack=b3 Succeeded backup of sda done backup b-1 2026-11-25 10:03Z 2\.0 KiB sda\.gz 512 B stored/);
    assert.match(await page.locator('tr[data-box="tb-b"]').innerText(), /no results yet/);
    assert.equal(await page.locator('#shown').innerText(), '2 of 2 shown');
    await page.fill('#filter', 'rack=b3');
    assert.equal(await page.locator('#shown').innerText(), '1 of 2 shown');
    assert.equal(await page.locator('tr[data-box="tb-b"]').isHidden(), true);
    const data = JSON.parse((await page.locator('#tbx-data').textContent()) ?? '{}') as { boxes: unknown[] };
    assert.equal(data.boxes.length, 2);
    await page.screenshot({ path: join(out, 'screenshot.png'), fullPage: true });
    assert.deepEqual(outside, []);
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
  }
});
