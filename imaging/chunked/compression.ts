/**
 * How new frames are compressed. Any zstd decoder reads the frames whatever these are; the
 * parameters only trade compression CPU for bytes stored.
 */
export interface ZstdParams {
  level: number;
  /** log2 of the match-finder's hash table (zstd's default for level 3 on large input: 17). */
  hashLog?: number;
  /** log2 of its second table (for level 3's dfast strategy: 16). */
  chainLog?: number;
}

/**
 * Level 3 with smaller match tables: on the benchmark's OS data in 8 MiB frames this is ~14 %
 * less compression CPU than plain level 3 for ~2 % more bytes, still ~0.91x the seed's gzip
 * image (docs/imaging.md, "Choices"). Frames are small enough that the smaller tables lose little.
 */
export const DEFAULT_ZSTD: ZstdParams = { level: 3, hashLog: 16, chainLog: 14 };

/** The parameters as recorded in a generation's header, e.g. `zstd-3 hashLog=16 chainLog=14`. */
export function describeZstd(p: ZstdParams): string {
  return [`zstd-${p.level}`, ...(p.hashLog ? [`hashLog=${p.hashLog}`] : []), ...(p.chainLog ? [`chainLog=${p.chainLog}`] : [])].join(' ');
}
