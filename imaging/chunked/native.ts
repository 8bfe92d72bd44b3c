import { createRequire } from 'node:module';

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
  CCtx: new () => { compress(dst: Uint8Array, src: Uint8Array, level: number): number };
  DCtx: new () => { decompress(dst: Uint8Array, src: Uint8Array): number };
  compressBound(n: number): number;
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

/**
 * zstd into the caller's buffers, for worker threads that reuse one output buffer per thread
 * instead of allocating 8 MiB per frame (which fragments the heap and raises RSS). Frames are
 * byte-identical to {@link zstdCompressor}'s. `decompress` throws when `dst` is too small.
 */
export function zstdInto(): { compress(dst: Uint8Array, src: Uint8Array, level: number): number; decompress(dst: Uint8Array, src: Uint8Array): number; bound(n: number): number } {
  const c = new zstdBinding.CCtx();
  const d = new zstdBinding.DCtx();
  return { compress: (dst, src, level) => c.compress(dst, src, level), decompress: (dst, src) => d.decompress(dst, src), bound: (n) => zstdBinding.compressBound(n) };
}
