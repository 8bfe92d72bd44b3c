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

/** The TFTP requests of each boot, in order: a boot starts when the firmware fetches `pxelinux.0`. */
export function bootsOf(files: string[]): string[][] {
  const boots: string[][] = [];
  for (const f of files) {
    if (f === 'pxelinux.0' || !boots.length) boots.push([]);
    // A client resends a request that got no answer in time: count it once.
    if (boots.at(-1)!.at(-1) !== f) boots.at(-1)!.push(f);
  }
  return boots;
}

/**
 * What PXELINUX did with config file `name` in one boot's requests: `served` when the file
 * was there (its next request is no other config name: it went on to what the file said),
 * `missing` when it fell back to the next candidate name, `not asked` when it never asked.
 */
export function configOutcome(boot: string[], name: string): 'served' | 'missing' | 'not asked' {
  const i = boot.indexOf(name);
  if (i < 0) return 'not asked';
  return boot[i + 1]?.startsWith('pxelinux.cfg/') ? 'missing' : 'served';
}
