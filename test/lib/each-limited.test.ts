import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { eachLimited } from '../../lib/each-limited.js';

describe('eachLimited', () => {
  test('five tasks, limit 2 -> never more than 2 in flight, all run once, started in order', async () => {
    let active = 0;
    let most = 0;
    const started: number[] = [];
    const release: (() => void)[] = [];
    const run = eachLimited([1, 2, 3, 4, 5], 2, async (n) => {
      started.push(n);
      most = Math.max(most, ++active);
      await new Promise<void>((r) => release.push(r));
      active--;
    });
    // Let the tasks finish one by one, each time after the pool had its chance to start more.
    for (let i = 0; i < 5; i++) {
      await new Promise((r) => setImmediate(r));
      release.shift()!();
    }
    await run;
    assert.equal(most, 2);
    assert.deepEqual(started, [1, 2, 3, 4, 5]);
  });

  test('no items -> resolves at once; a limit above the count -> one call per item', async () => {
    await eachLimited([], 4, async () => assert.fail('not called'));
    const seen: string[] = [];
    await eachLimited(['a', 'b'], 10, async (x) => void seen.push(x));
    assert.deepEqual(seen.sort(), ['a', 'b']);
  });
});
