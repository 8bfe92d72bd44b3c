import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { buildProgram } from '../../cli/main.js';
import { manPages } from '../../cli/man-pages.js';
import { packageRoot } from '../../lib/package-root.js';

test('every command has --help with examples', async () => {
  for (const p of manPages(await buildProgram())) {
    if (p.file === 'tbx.1.md') continue;
    assert.match(p.text, /^Examples:$/m, `${p.file} has no Examples in its --help`);
  }
});

test('docs/tbx*.1.md match the command tree (regenerate with: node bin/tbx.js man --out docs)', async () => {
  const prev = process.env.TBX_CONFIG;
  delete process.env.TBX_CONFIG;
  try {
    for (const p of manPages(await buildProgram())) {
      assert.equal(await readFile(join(packageRoot(), 'docs', p.file), 'utf8'), p.text, `docs/${p.file} is out of date`);
    }
  } finally {
    if (prev !== undefined) process.env.TBX_CONFIG = prev;
  }
});

test('a command run loads only its own module; help and unknown words load every command', async () => {
  const names = (p: Awaited<ReturnType<typeof buildProgram>>) => p.commands.map((c) => c.name()).filter((n) => n !== 'man');
  assert.deepEqual(names(await buildProgram(['node', 'tbx', '--log-level', 'warn', 'status', '--json'])), ['status']);
  assert.deepEqual(names(await buildProgram(['node', 'tbx', 'verify'])), ['image', 'verify']);
  const all = names(await buildProgram());
  assert.ok(all.length >= 16, all.join(' '));
  for (const argv of [['node', 'tbx'], ['node', 'tbx', 'status', '--help'], ['node', 'tbx', 'help', 'status'], ['node', 'tbx', 'stauts'], ['node', 'tbx', 'completion', 'bash']]) {
    assert.deepEqual(names(await buildProgram(argv)), all, argv.join(' '));
  }
});
