import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DigestTable, PENDING } from '../../../imaging/chunked/digest-table.js';
import { blake3 } from '../../../imaging/chunked/native.js';

const digest = (i: number) => blake3(Buffer.from(`chunk ${i}`));

test('200 000 digests: each found with its value, absent ones not found, through many growths', () => {
  const t = new DigestTable();
  for (let i = 0; i < 200_000; i++) t.insert(digest(i), 0, i % 1000);
  assert.equal(t.size, 200_000);
  for (let i = 0; i < 200_000; i += 7) {
    const h = t.first(digest(i));
    assert.ok(h >= 0, `digest ${i} found`);
    assert.equal(t.value(h), i % 1000);
    assert.equal(t.next(h), -1);
  }
  for (let i = 200_000; i < 210_000; i++) assert.equal(t.first(digest(i)), -1);
  assert.ok(t.bytes < 200_000 * 32, `${t.bytes} bytes for 200 000 entries`);
});

test('every copy of a digest is visited, in insertion order, also after the table grew', () => {
  const t = new DigestTable();
  t.insert(digest(1), 0, 10);
  t.insert(digest(2), 0, 20);
  t.insert(digest(1), 0, 11);
  for (let i = 100; i < 50_000; i++) t.insert(digest(i), 0, 0);
  t.insert(digest(1), 0, PENDING);
  const values: number[] = [];
  for (let h = t.first(digest(1)); h >= 0; h = t.next(h)) values.push(t.value(h));
  assert.deepEqual(values, [10, 11, PENDING]);
});

test('a digest is keyed by its own bytes at any offset; flags and the extra word stay with their entry', () => {
  const t = new DigestTable();
  const buf = Buffer.concat([Buffer.alloc(16), digest(5), digest(6)]);
  t.insert(buf, 16, 1);
  t.insert(buf, 48, 2);
  t.enableAux();
  const h = t.first(digest(6));
  assert.equal(t.value(h), 2);
  t.setFlag(h, 3);
  t.setAux(h, 0xffffffff);
  for (let i = 0; i < 20_000; i++) t.insert(digest(1000 + i), 0, 3);
  const again = t.first(buf, 48);
  assert.ok(t.flag(again, 3));
  assert.equal(t.getAux(again), 0xffffffff);
  assert.ok(!t.flag(t.first(digest(5)), 3));
  assert.ok(t.flagAll(digest(5), 0, 0));
  assert.ok(t.flag(t.first(digest(5)), 0));
  t.clearFlag(again, 3);
  assert.ok(!t.flag(again, 3));
  assert.equal(t.flagAll(digest(99_999_999), 0, 0), false);
});
