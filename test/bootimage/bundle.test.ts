import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { execa } from 'execa';
import { bundleAgent } from '../../bootimage/bundle.js';
import { makeShares } from '../helpers/shares.js';
import { tempDir } from '../helpers/tmp.js';

test('bundled CLI -> runs alone with its native packages and imaging worker (import, then export, bit-identical)', async (t) => {
  const root = await tempDir(t);
  const bundle = await bundleAgent(join(root, 'opt', 'tbx'));
  assert.ok(existsSync(join(root, 'opt', 'tbx', 'worker.js')), 'the imaging worker is bundled beside tbx.mjs');
  for (const p of ['zstd-napi', '@napi-rs/blake-hash']) assert.ok(bundle.nativePackages.includes(p), `${p} is copied into the image`);

  const shares = await makeShares(root);
  const ip = '10.0.0.5';
  await mkdir(join(shares.backup, ip), { recursive: true });
  const disk = Buffer.concat([randomBytes(3 << 20), Buffer.alloc(2 << 20)]);
  await writeFile(join(shares.backup, ip, 'sda.gz'), gzipSync(disk));

  // Run from a directory without tbx's node_modules: the bundle must not reach back into the repo.
  // Pretty logs, as on a testbox's serial console (a TTY): every module the logger loads must be in the bundle.
  const env = { ...process.env, NODE_PATH: '', TBX_LOG_FORMAT: 'pretty', NO_COLOR: '1' };
  const run = (...args: string[]) => execa('node', [bundle.file, ...args], { cwd: root, env, reject: false });
  const imported = await run('image', 'import', ip, '--backup', shares.backup);
  assert.equal(imported.exitCode, 0, imported.stderr);
  assert.match(imported.stdout, /sda\.gz -> sda generation 1/);
  assert.match(imported.stderr, /^\[\d\d:\d\d:\d\d\] INFO: imported gzip image /m);
  const out = join(root, 'export.raw');
  const exported = await run('image', 'export', ip, '--backup', shares.backup, '--format', 'raw', '--output', out);
  assert.equal(exported.exitCode, 0, exported.stderr);
  assert.ok((await readFile(out)).equals(disk), 'the exported image is the disk, bit for bit');
});
