import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { chunkedSite } from '../helpers/chunked-site.js';
import { runTbx } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

test('report after a backup-again of an unchanged disk -> the image shows the disk size and the 0 B it stored, labelled', async (t) => {
  const root = await tempDir(t);
  const s = await chunkedSite(root);
  const out = join(root, 'report');
  const r = await runTbx(['report', '--out', out], s.env);
  assert.equal(r.exitCode, 0, r.all);
  const html = await readFile(join(out, 'index.html'), 'utf8');
  assert.match(html, new RegExp(`<code>images/sda/0+2\\.tbxi</code> gen 2 <span class="small">4\\.0 MiB disk, ${s.second.storedBytes} B stored</span>`));
  const report = JSON.parse(await readFile(join(out, 'report.json'), 'utf8')) as { boxes: { name: string; backupBytes: number | null; backupStoredBytes: number | null }[] };
  const a = report.boxes.find((b) => b.name === 'tb-a')!;
  assert.deepEqual([a.backupBytes, a.backupStoredBytes], [s.diskBytes, s.second.storedBytes]);
});
