import assert from 'node:assert/strict';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { makeAgentBox, requestAction, runAgent } from '../../helpers/agent-box.js';
import { runTbx } from '../../helpers/cli.js';
import { makeShares } from '../../helpers/shares.js';
import { tempDir } from '../../helpers/tmp.js';

async function flipBit(file: string, at: number): Promise<void> {
  const bytes = await readFile(file);
  bytes[Math.floor(bytes.length * at)]! ^= 0x10;
  await writeFile(file, bytes);
}

test('tbx verify: a chunked and a gzip box are good; one flipped bit in either -> exit 1 naming it', async (t) => {
  const root = await tempDir(t);
  const shares = await makeShares(root, { withDefault: true });
  const chunked = await makeAgentBox(root, 'tb-c', '10.0.0.11', { sda: 4 });
  const gzip = await makeAgentBox(root, 'tb-g', '10.0.0.12', { sda: 4 });
  await requestAction(chunked, shares, 'backup', 'r1');
  await requestAction(gzip, shares, 'backup', 'r1', 'gzip');
  for (const b of [chunked, gzip]) assert.equal((await runAgent(b, shares)).exitCode, 0);

  const good = await runTbx(['verify', '--backup', shares.backup]);
  assert.equal(good.exitCode, 0, good.all);
  assert.match(good.stdout, /1 generation\(s\).*; 1 gzip image\(s\) checked against their \.sha256: all good/);

  await flipBit(join(shares.backup, '10.0.0.12', 'sda.gz'), 0.5);
  const gz = await runTbx(['verify', '--backup', shares.backup]);
  assert.equal(gz.exitCode, 1);
  assert.match(gz.stdout, /10\.0\.0\.12\/sda\.gz is damaged/);
  assert.equal((await runTbx(['verify', '10.0.0.11', '--backup', shares.backup])).exitCode, 0, 'only the damaged box fails');

  const packs = join(shares.backup, '.tbx-chunks', 'packs');
  const sub = (await readdir(packs))[0]!;
  await flipBit(join(packs, sub, (await readdir(join(packs, sub))).find((n) => n.endsWith('.pack'))!), 0.5);
  const ch = await runTbx(['image', 'verify', '10.0.0.11', '--backup', shares.backup, '--json']);
  assert.equal(ch.exitCode, 1);
  const report = JSON.parse(ch.stdout) as { problems: string[] };
  assert.ok(report.problems.length >= 1, ch.stdout);
});
