import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import type { Guest } from './qemu-guest.js';

/** SHA-256 of a file, or of its gunzipped content. */
export async function sha256Of(path: string, options: { gunzip?: boolean } = {}): Promise<string> {
  const h = createHash('sha256');
  const sink = async (source: AsyncIterable<Buffer>) => {
    for await (const b of source) h.update(b);
  };
  if (options.gunzip) await pipeline(createReadStream(path), createGunzip(), sink);
  else await pipeline(createReadStream(path), sink);
  return h.digest('hex');
}

/** Assert that `expected` occurs in `actual` in this order (other entries may come between). */
export function assertInOrder(actual: string[], expected: string[], what: string): void {
  let i = 0;
  for (const a of actual) if (a === expected[i]) i++;
  assert.equal(i, expected.length, `${what}: expected ${JSON.stringify(expected)} in this order, got ${JSON.stringify(actual)}`);
}

/** One line with the timeline of a boot: when the guest fetched its files and printed its markers (after `since` s, if given). */
export function timeline(guest: Guest, marks: Record<string, RegExp>, since = -1): string {
  const parts: string[] = [];
  for (const [name, re] of Object.entries(marks)) {
    const hit = guest.serial.find((l) => l.at > since && re.test(l.text)) ?? guest.tftp.find((l) => l.at > since && re.test(l.text));
    if (hit) parts.push(`${name} ${hit.at.toFixed(1)} s`);
  }
  return parts.join(', ');
}
