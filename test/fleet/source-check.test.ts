import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readDesired } from '../../fleet/read-desired.js';
import { box, makeFleetRepo, seedSite } from '../helpers/fleet-repo.js';
import { tempDir } from '../helpers/tmp.js';

test('a restore source that names no testbox is an error on that line; a valid one passes', async (t) => {
  const root = await tempDir(t);
  const repo = await makeFleetRepo(root, {
    'fleet.yaml': seedSite({ keepGenerations: 5 }),
    'testboxes/golden.yaml': box('golden', '10.165.98.10'),
    'testboxes/good.yaml': box('good', '10.165.98.11', { action: 'restore', request: 'r1', source: 'golden@2' }),
    'testboxes/bad.yaml': box('bad', '10.165.98.12', { action: 'restore', request: 'r1', source: 'nosuchbox' }),
  });
  const d = await readDesired(repo.work);
  assert.equal(d.site?.policy.keepGenerations, 5);
  assert.equal(d.site?.policy.imageFormat, 'chunked');
  const errors = d.diagnostics.filter((x) => x.severity === 'error');
  assert.deepEqual(errors.map((e) => [e.file, e.rule]), [['testboxes/bad.yaml', 'unknown-source']]);
  assert.ok(errors[0]!.line > 0);
  assert.deepEqual(d.boxes.map((b) => b.name), ['golden', 'good']);
});
