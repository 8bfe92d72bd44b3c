import { createRequire } from 'node:module';
import type { ZstdParams } from './compression.js';

/**
 * The two native addons the chunk store uses, loaded by package name (a bundler copies them
 * beside its output): BLAKE3 from @napi-rs/blake-hash and zstd from zstd-napi.
 */
const require = createRequire(import.meta.url);

interface Blake3Module {
  blake3(input: Uint8Array): Buffer;
  Blake3Hasher: new () => { update(input: Uint8Array): unknown; digestBuffer(): Buffer };
}
interface ZstdModule {
  Compressor: new () => { setParameters(p: { compressionLevel?: number; checksumFlag?: boolean }): void; compress(input: Uint8Array): Buffer };
  Decompressor: new () => { decompress(input: Uint8Array): Buffer };
}

interface ZstdBinding {
  CCtx: new () => { setParameter(param: number, value: number): void; compress2(dst: Uint8Array, src: Uint8Array): number };
  DCtx: new () => { decompress(dst: Uint8Array, src: Uint8Array): number };
  compressBound(n: number): number;
  CParameter: { compressionLevel: number; hashLog: number; chainLog: number };
}

const blakeHash = require('@napi-rs/blake-hash') as Blake3Module;
const zstdNapi = require('zstd-napi') as ZstdModule;
const zstdBinding = require('zstd-napi/binding') as ZstdBinding;

/** BLAKE3-256 of `data` (32 bytes). */
export function blake3(data: Uint8Array): Buffer {
  return blakeHash.blake3(data);
}

/** An incremental BLAKE3-256 hasher. */
export function blake3Hasher(): { update(input: Uint8Array): unknown; digestBuffer(): Buffer } {
  return new blakeHash.Blake3Hasher();
}

/** A reusable zstd compressor at `level` (one per thread). */
export function zstdCompressor(level: number): (input: Uint8Array) => Buffer {
  const c = new zstdNapi.Compressor();
  c.setParameters({ compressionLevel: level });
  return (input) => c.compress(input);
}

/** A reusable zstd decompressor (frames carry their content size). */
export function zstdDecompressor(): (input: Uint8Array) => Buffer {
  const d = new zstdNapi.Decompressor();
  return (input) => d.decompress(input);
}

/** The most a zstd frame of `n` raw bytes can take. */
export function zstdBound(n: number): number {
  return zstdBinding.compressBound(n);
}

/**
 * zstd into the caller's buffers, for worker threads that reuse their buffers instead of
 * allocating 8 MiB per frame (which fragments the heap and raises RSS). `decompress` throws
 * when `dst` is too small.
 */
export function zstdInto(): { compress(dst: Uint8Array, src: Uint8Array, params: ZstdParams): number; decompress(dst: Uint8Array, src: Uint8Array): number } {
  const c = new zstdBinding.CCtx();
  const d = new zstdBinding.DCtx();
  let set = '';
  return {
    compress: (dst, src, params) => {
      // Parameters stick to the context (compress2 keeps them across frames): set them when they change.
      const key = `${params.level}/${params.hashLog ?? 0}/${params.chainLog ?? 0}`;
      if (key !== set) {
        const P = zstdBinding.CParameter;
        c.setParameter(P.compressionLevel, params.level);
        c.setParameter(P.hashLog, params.hashLog ?? 0); // 0: the level's default
        c.setParameter(P.chainLog, params.chainLog ?? 0);
        set = key;
      }
      return c.compress2(dst, src);
    },
    decompress: (dst, src) => d.decompress(dst, src),
  };
}
