import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BLOCK, Chunker, MAX_CHUNK, ZERO_RUN_MIN, type Piece } from '../../../imaging/chunked/chunker.js';
import { prng } from '../../helpers/disks.js';

/** Chunk `data` fed in pieces of `feedSize` bytes, as the backup's reader does. */
function chunk(data: Buffer, feedSize: number, start = 0): Piece[] {
  const out: Piece[] = [];
  const c = new Chunker(start, (p) => out.push(p.kind === 'data' ? { ...p, data: Buffer.from(p.data) } : p));
  let carry = Buffer.alloc(0);
  for (let o = 0; o < data.length; o += feedSize) {
    const buf = Buffer.concat([carry, data.subarray(o, o + feedSize)]);
    const keep = c.feed(buf);
    carry = Buffer.from(buf.subarray(buf.length - keep));
  }
  c.finish(carry);
  return out;
}

const cuts = (ps: Piece[]) => ps.map((p) => `${p.kind}@${p.offset}+${p.kind === 'data' ? p.data.length : p.length}`);

test('pieces cover the input exactly, are 4 KiB-aligned and at most MAX_CHUNK long', () => {
  const data = Buffer.concat([prng('a', 3 << 20), Buffer.alloc(1 << 20), prng('b', 1 << 20)]);
  const ps = chunk(data, 1 << 20);
  let pos = 0;
  for (const p of ps) {
    const len = p.kind === 'data' ? p.data.length : p.length;
    assert.equal(p.offset, pos);
    assert.equal(p.offset % BLOCK, 0);
    if (p.kind === 'data') {
      assert.ok(len <= MAX_CHUNK);
      assert.ok(p.data.equals(data.subarray(p.offset, p.offset + len)));
    }
    pos += len;
  }
  assert.equal(pos, data.length);
  const avg = (3 << 20) / ps.filter((p) => p.kind === 'data' && p.offset < 3 << 20).length;
  assert.ok(avg > 32 * 1024 && avg < 128 * 1024, `average chunk ${avg}`);
});

test('cuts do not depend on how the input is fed', () => {
  const data = prng('feed', 2 << 20);
  assert.deepEqual(cuts(chunk(data, 1 << 20)), cuts(chunk(data, 64 * 1024)));
});

test('zero runs of at least ZERO_RUN_MIN become zero pieces; shorter ones stay in data', () => {
  const data = Buffer.concat([prng('x', 64 * 1024), Buffer.alloc(ZERO_RUN_MIN), prng('y', 64 * 1024), Buffer.alloc(ZERO_RUN_MIN - BLOCK), prng('z', 64 * 1024)]);
  const zeros = chunk(data, 1 << 20).filter((p) => p.kind === 'zero');
  assert.deepEqual(zeros.map((p) => [p.offset, p.kind === 'zero' ? p.length : 0]), [[64 * 1024, ZERO_RUN_MIN]]);
});

test('the same data at another 4 KiB-aligned offset is cut the same way (dedup across layouts)', () => {
  const data = prng('shift', 2 << 20);
  const a = chunk(data, 1 << 20).filter((p) => p.kind === 'data').map((p) => (p.kind === 'data' ? p.data.toString('hex', 0, 8) + p.data.length : ''));
  const b = chunk(Buffer.concat([prng('other', 3 * BLOCK), data]), 1 << 20, 0).filter((p) => p.kind === 'data').map((p) => (p.kind === 'data' ? p.data.toString('hex', 0, 8) + p.data.length : ''));
  const same = a.filter((x) => b.includes(x)).length;
  assert.ok(same >= a.length - 3, `${same} of ${a.length} chunks found again`);
});
