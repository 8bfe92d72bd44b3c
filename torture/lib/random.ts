import { randomInt } from 'node:crypto';

/** A seeded pseudo-random source, so a failing run can be repeated with its printed seed. */
export interface Random {
  seed: number;
  /** An integer in [0, n). */
  int(n: number): number;
}

/**
 * A random source seeded from `TBX_TORTURE_SEED` when set, else from a fresh random seed
 * (mulberry32: small, fast, plenty for choosing files, offsets and bits).
 */
export function seededRandom(seed = Number(process.env.TBX_TORTURE_SEED ?? randomInt(2 ** 31))): Random {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { seed, int: (n) => Math.floor(next() * n) };
}
