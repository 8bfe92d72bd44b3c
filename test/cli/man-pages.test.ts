import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { buildProgram } from '../../cli/main.js';
import { manPages } from '../../cli/man-pages.js';
import { packageRoot } from '../../lib/package-root.js';

test('every command has --help with examples', () => {
  for (const p of manPages(buildProgram())) {
    if (p.file === 'tbx.1.md') continue;
    assert.match(p.text, /^Examples:$/m, `${p.file} has no Examples in its --help`);
  }
});

test('docs/tbx*.1.md match the command tree (regenerate with: node bin/tbx.js man --out docs)', async () => {
  const prev = process.env.TBX_CONFIG;
  delete process.env.TBX_CONFIG;
  try {
    for (const p of manPages(buildProgram())) {
      assert.equal(await readFile(join(packageRoot(), 'docs', p.file), 'utf8'), p.text, `docs/${p.file} is out of date`);
    }
  } finally {
    if (prev !== undefined) process.env.TBX_CONFIG = prev;
  }
});
