import { execFileSync } from 'node:child_process';
import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { packageRoot } from '../lib/package-root.js';

/**
 * The imaging benchmark (`npm run bench:imaging [-- --runs N]`): builds the 4 GiB test disks
 * once (bench/make-disks.sh, cached in $TBX_BENCH_DIR or $TMPDIR/tbx-bench), then runs the
 * seed's pipelines and tbx's chunk store interleaved, round after round, and prints each
 * figure as the median over the rounds, with the baseline of the same run and the ratio.
 * Results also go to bench/results.json (git-ignored). Not a test: nothing here asserts.
 */
const pkg = packageRoot();
const runs = Number(process.argv[process.argv.indexOf('--runs') + 1] || 3) || 3;
const cache = process.env.TBX_BENCH_DIR ?? join(tmpdir(), 'tbx-bench');
const work = join(cache, 'work');
const img = (n: string) => join(cache, `${n}.img`);
const MiB = 1024 * 1024;

type Sample = Record<string, number>;
const samples: Sample[] = [];

async function timed(cmd: string): Promise<number> {
  const t = process.hrtime.bigint();
  await execa('bash', ['-o', 'pipefail', '-c', cmd], { stdio: 'inherit' });
  return Number(process.hrtime.bigint() - t) / 1e9;
}

async function ours(op: 'backup' | 'restore', share: string, ip: string, disk: string): Promise<{ seconds: number; rss: number; r: Record<string, number | string> }> {
  const t = process.hrtime.bigint();
  const { stdout } = await execa(process.execPath, [join(pkg, 'dist', 'bench', 'imaging-op.js'), op, share, ip, disk]);
  const seconds = Number(process.hrtime.bigint() - t) / 1e9;
  const r = JSON.parse(stdout) as Record<string, number | string>;
  return { seconds, rss: Number(r.maxRssKiB) / 1024, r };
}

const size = async (p: string) => (await stat(p)).size;
/**
 * A restore target as the copy of `from`, flushed to the host's disk before any timing starts:
 * otherwise the copy's 4 GiB of dirty pages are written back during the next timed command
 * (seed pipeline or tbx alike), which then pays for a copy it did not make. A testbox's disk
 * has no such backlog.
 */
const fresh = async (from: string, to: string) => {
  execFileSync('cp', ['--sparse=never', from, to]);
  execFileSync('sync', [to]);
};

async function round(n: number, gzipSizes: Record<string, number>): Promise<Sample> {
  const s: Sample = {};
  const log = (m: string) => process.stderr.write(`[round ${n}] ${m}\n`);
  const shareA = join(work, 'share-os');
  const shareU = join(work, 'share-used');
  await rm(shareA, { recursive: true, force: true });
  await rm(shareU, { recursive: true, force: true });
  const target = join(work, 'target.img');

  log('backup, mostly empty OS disk: dd | gzip, zstd -3 -T0, tbx');
  s.gzipOsSeconds = await timed(`dd if=${img('os')} bs=256K status=none | gzip -c > ${work}/os.gz && sync ${work}/os.gz`);
  s.gzipOsBytes = await size(`${work}/os.gz`);
  s.zstdOsSeconds = await timed(`zstd -3 -T0 -q -f ${img('os')} -o ${work}/os.zst && sync ${work}/os.zst`);
  s.zstdOsBytes = await size(`${work}/os.zst`);
  let o = await ours('backup', shareA, '10.0.0.1', img('os'));
  Object.assign(s, { oursOsSeconds: o.seconds, oursOsBytes: Number(o.r.storedBytes), rssBackup: o.rss });

  log('backup, used disk (random data in free space)');
  s.gzipUsedSeconds = await timed(`dd if=${img('used')} bs=256K status=none | gzip -c > ${work}/used.gz && sync ${work}/used.gz`);
  s.gzipUsedBytes = await size(`${work}/used.gz`);
  o = await ours('backup', shareU, '10.0.0.1', img('used'));
  Object.assign(s, { oursUsedSeconds: o.seconds, oursUsedBytes: Number(o.r.storedBytes), rssBackupUsed: o.rss });

  log('backup, used NTFS disk (the same tree, random data in free space)');
  const shareN = join(work, 'share-ntfs');
  await rm(shareN, { recursive: true, force: true });
  o = await ours('backup', shareN, '10.0.0.1', img('ntfs-used'));
  Object.assign(s, { oursNtfsSeconds: o.seconds, oursNtfsBytes: Number(o.r.storedBytes), rssBackupNtfs: o.rss, oursNtfsUsedBlocks: o.r.mode === 'used-blocks' ? 1 : 0 });
  await rm(shareN, { recursive: true, force: true });

  log('full restore onto a garbage disk');
  await fresh(img('garbage'), target);
  s.gunzipFullSeconds = await timed(`gunzip -c ${work}/os.gz | dd of=${target} bs=256K iflag=fullblock conv=notrunc,fsync status=none`);
  await fresh(img('garbage'), target);
  o = await ours('restore', shareA, '10.0.0.1', target);
  Object.assign(s, { oursFullSeconds: o.seconds, oursFullWritten: Number(o.r.bytes), rssRestore: o.rss });
  if (n === 1) s.fullRestoreIdentical = (await execa('cmp', ['-s', target, img('os')], { reject: false })).exitCode === 0 ? 1 : 0;

  log('differential restore onto the next week\'s disk');
  await fresh(img('week2'), target);
  s.gunzipDiffSeconds = await timed(`gunzip -c ${work}/os.gz | dd of=${target} bs=256K iflag=fullblock conv=notrunc,fsync status=none`);
  await fresh(img('week2'), target);
  o = await ours('restore', shareA, '10.0.0.1', target);
  Object.assign(s, { oursDiffSeconds: o.seconds, oursDiffWritten: Number(o.r.bytes), rssRestoreDiff: o.rss });
  if (n === 1) s.diffRestoreIdentical = (await execa('cmp', ['-s', target, img('os')], { reject: false })).exitCode === 0 ? 1 : 0;

  log('backup-again after ~3 % change, and a second box with the same OS');
  o = await ours('backup', shareA, '10.0.0.1', img('week2'));
  Object.assign(s, { oursAgainSeconds: o.seconds, oursAgainBytes: Number(o.r.storedBytes), rssAgain: o.rss });
  o = await ours('backup', shareA, '10.0.0.2', img('other'));
  Object.assign(s, { oursOtherSeconds: o.seconds, oursOtherBytes: Number(o.r.storedBytes), rssOther: o.rss });
  // The OS-disk backup again with the disk's pages out of the cache, as on a testbox whose disk
  // was never read since it booted (informational, no target).
  log('backup, OS disk, not in the page cache: zstd -3 -T0, tbx');
  evict(img('os'));
  s.zstdColdSeconds = await timed(`zstd -3 -T0 -q -f ${img('os')} -o ${work}/os.zst && sync ${work}/os.zst`);
  evict(img('os'));
  const shareC = join(work, 'share-cold');
  await rm(shareC, { recursive: true, force: true });
  s.oursColdSeconds = (await ours('backup', shareC, '10.0.0.1', img('os'))).seconds;
  await rm(shareC, { recursive: true, force: true });
  s.gzipWeek2Bytes = gzipSizes.week2!;
  s.gzipOtherBytes = gzipSizes.other!;
  s.gzipNtfsBytes = gzipSizes['ntfs-used']!;
  s.gzipNtfsSeconds = gzipSizes.ntfsSeconds!;
  s.diskBytes = await size(img('os'));
  return s;
}

/** Drop a file's pages from the page cache (posix_fadvise DONTNEED through GNU dd). */
function evict(path: string): void {
  execFileSync('dd', [`if=${path}`, 'iflag=nocache', 'count=0', 'status=none']);
}

function median(key: string): number {
  const v = samples.map((s) => s[key]!).filter((x) => x !== undefined).sort((a, b) => a - b);
  return v.length % 2 ? v[(v.length - 1) / 2]! : (v[v.length / 2 - 1]! + v[v.length / 2]!) / 2;
}

/** A ratio with two decimals, so one just under its target never prints as the target (13.96x, not 14.0x). */
const x = (v: number) => `${v.toFixed(2)}x`;

function report(): { rows: string[][]; figures: Record<string, unknown> } {
  const m = median;
  const mbps = (bytes: number, s: number) => `${(bytes / MiB / s).toFixed(0)} MiB/s`;
  const disk = m('diskBytes');
  const rss = Math.max(...samples.flatMap((s) => [s.rssBackup!, s.rssBackupUsed!, s.rssRestore!, s.rssRestoreDiff!, s.rssAgain!, s.rssOther!, s.rssBackupNtfs!]));
  const f = {
    backupOsSpeedup: m('gzipOsSeconds') / m('oursOsSeconds'),
    backupOsVsZstd: m('zstdOsSeconds') / m('oursOsSeconds'),
    backupUsedSpeedup: m('gzipUsedSeconds') / m('oursUsedSeconds'),
    firstBackupBytesRatio: m('oursOsBytes') / m('gzipOsBytes'),
    againBytesRatio: m('oursAgainBytes') / m('gzipWeek2Bytes'),
    otherBoxBytesRatio: m('oursOtherBytes') / m('gzipOtherBytes'),
    fullRestoreSpeedup: m('gunzipFullSeconds') / m('oursFullSeconds'),
    diffRestoreSpeedup: m('gunzipDiffSeconds') / m('oursDiffSeconds'),
    diffRestoreWrittenShare: m('oursDiffWritten') / disk,
    peakRssMiB: rss,
  };
  const ok = (c: boolean) => (c ? 'met' : 'MISSED');
  const rows = [
    ['figure', 'tbx', 'baseline (same run)', 'ratio', 'target', ''],
    ['backup, OS disk: time', `${m('oursOsSeconds').toFixed(2)} s (${mbps(disk, m('oursOsSeconds'))})`, `dd|gzip ${m('gzipOsSeconds').toFixed(1)} s (${mbps(disk, m('gzipOsSeconds'))}); zstd -3 -T0 ${m('zstdOsSeconds').toFixed(1)} s`, `${x(f.backupOsSpeedup)}; ${x(f.backupOsVsZstd)} zstd`, '>= 14x, >= 1x zstd', ok(f.backupOsSpeedup >= 14 && f.backupOsVsZstd >= 1)],
    ['backup, OS disk, not cached: time', `${m('oursColdSeconds').toFixed(2)} s`, `zstd -3 -T0 ${m('zstdColdSeconds').toFixed(1)} s`, `${(m('zstdColdSeconds') / m('oursColdSeconds')).toFixed(2)}x zstd`, '(information)', ''],
    ['backup, used disk: time', `${m('oursUsedSeconds').toFixed(2)} s (${mbps(disk, m('oursUsedSeconds'))})`, `dd|gzip ${m('gzipUsedSeconds').toFixed(1)} s (${mbps(disk, m('gzipUsedSeconds'))})`, x(f.backupUsedSpeedup), '>= 6x', ok(f.backupUsedSpeedup >= 6)],
    ['first backup: bytes stored', `${(m('oursOsBytes') / MiB).toFixed(1)} MiB`, `gzip ${(m('gzipOsBytes') / MiB).toFixed(1)} MiB; zstd -3 ${(m('zstdOsBytes') / MiB).toFixed(1)} MiB`, `${f.firstBackupBytesRatio.toFixed(3)}x`, '<= 0.92x', ok(f.firstBackupBytesRatio <= 0.92)],
    ['used disk: bytes stored', `${(m('oursUsedBytes') / MiB).toFixed(1)} MiB`, `gzip ${(m('gzipUsedBytes') / MiB).toFixed(1)} MiB`, `${(m('oursUsedBytes') / m('gzipUsedBytes')).toFixed(3)}x`, '(stretch: ~1/6)', ''],
    ['used NTFS disk: time / bytes stored', `${m('oursNtfsSeconds').toFixed(2)} s, ${(m('oursNtfsBytes') / MiB).toFixed(1)} MiB`, `dd|gzip ${m('gzipNtfsSeconds').toFixed(1)} s, ${(m('gzipNtfsBytes') / MiB).toFixed(1)} MiB (once)`, `${x(m('gzipNtfsSeconds') / m('oursNtfsSeconds'))} / ${(m('oursNtfsBytes') / m('gzipNtfsBytes')).toFixed(3)}x`, '(stretch: ~1/6)', m('oursNtfsUsedBlocks') === 1 ? '' : 'READ WHOLE'],
    ['backup-again, ~3 % changed: new bytes', `${(m('oursAgainBytes') / MiB).toFixed(1)} MiB in ${m('oursAgainSeconds').toFixed(2)} s`, `full gzip image ${(m('gzipWeek2Bytes') / MiB).toFixed(1)} MiB`, `${f.againBytesRatio.toFixed(3)}x`, '<= 0.07x', ok(f.againBytesRatio <= 0.07)],
    ['second box, same OS, shifted: new bytes', `${(m('oursOtherBytes') / MiB).toFixed(1)} MiB in ${m('oursOtherSeconds').toFixed(2)} s`, `its gzip image ${(m('gzipOtherBytes') / MiB).toFixed(1)} MiB`, `${f.otherBoxBytesRatio.toFixed(3)}x`, '<= 0.07x', ok(f.otherBoxBytesRatio <= 0.07)],
    ['full restore onto garbage: time', `${m('oursFullSeconds').toFixed(2)} s`, `gunzip|dd ${m('gunzipFullSeconds').toFixed(1)} s`, x(f.fullRestoreSpeedup), '>= 7x', ok(f.fullRestoreSpeedup >= 7)],
    ['differential restore: time / written', `${m('oursDiffSeconds').toFixed(2)} s, ${(m('oursDiffWritten') / MiB).toFixed(0)} MiB`, `gunzip|dd ${m('gunzipDiffSeconds').toFixed(1)} s, ${(disk / MiB).toFixed(0)} MiB`, `${x(f.diffRestoreSpeedup)} / ${(f.diffRestoreWrittenShare * 100).toFixed(1)} %`, '>= 12x / <= 5 %', ok(f.diffRestoreSpeedup >= 12 && f.diffRestoreWrittenShare <= 0.05)],
    ['peak RSS, any tbx operation', `${rss.toFixed(0)} MiB`, '', '', '<= 512 MiB', ok(rss <= 512)],
  ];
  return { rows, figures: f };
}

/** The timed figures of each round (s), tbx against its baselines: how far the rounds spread around the median. */
function perRound(): string[] {
  const r = (tbx: number, baseline: number) => `${baseline.toFixed(2)}/${tbx.toFixed(2)} (${x(baseline / tbx)})`;
  return [
    'per round, baseline/tbx seconds (ratio): OS backup vs dd|gzip, vs zstd -3 -T0; full restore; differential restore',
    ...samples.map((s, i) => `  round ${i + 1}: ${r(s.oursOsSeconds!, s.gzipOsSeconds!)}, ${r(s.oursOsSeconds!, s.zstdOsSeconds!)}; ${r(s.oursFullSeconds!, s.gunzipFullSeconds!)}; ${r(s.oursDiffSeconds!, s.gunzipDiffSeconds!)}`),
  ];
}

async function main(): Promise<void> {
  await execa('bash', [join(pkg, 'bench', 'make-disks.sh'), cache], { stdio: 'inherit' });
  await mkdir(work, { recursive: true });
  // "v3 4096": disks as make-images.sh built them, plus the NTFS used disk; "v3-nobase": without the debootstrap root.
  const disks = (await readFile(join(cache, 'disks.done'), 'utf8')).trim();
  process.stderr.write('gzip sizes of the next week\'s disk and the second box (sizes only, not timed)\n');
  const gzipSizes: Record<string, number> = {};
  for (const n of ['week2', 'other']) gzipSizes[n] = Number((await execa('bash', ['-o', 'pipefail', '-c', `gzip -c ${img(n)} | wc -c`])).stdout.trim());
  // The NTFS disk's row is for information: its dd | gzip baseline runs once, not every round.
  process.stderr.write('dd | gzip of the used NTFS disk, once\n');
  gzipSizes.ntfsSeconds = await timed(`dd if=${img('ntfs-used')} bs=256K status=none | gzip -c | wc -c > ${work}/ntfs-used.gz-bytes`);
  gzipSizes['ntfs-used'] = Number((await readFile(`${work}/ntfs-used.gz-bytes`, 'utf8')).trim());
  for (let n = 1; n <= runs; n++) samples.push(await round(n, gzipSizes));
  const { rows, figures } = report();
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  const text = rows.map((r) => `| ${r.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`);
  text.splice(1, 0, `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  const cpu = execFileSync('nproc').toString().trim();
  process.stdout.write(`\ntbx imaging benchmark: median of ${runs} interleaved runs, ${cpu} cores, disks of ${(median('diskBytes') / MiB).toFixed(0)} MiB (${disks})\n${text.join('\n')}\n`);
  process.stdout.write(`bit-identical after full restore: ${samples[0]!.fullRestoreIdentical ? 'yes' : 'NO'}; after differential restore: ${samples[0]!.diffRestoreIdentical ? 'yes' : 'NO'}\n`);
  process.stdout.write(`${perRound().join('\n')}\n`);
  await writeFile(join(pkg, 'bench', 'results.json'), `${JSON.stringify({ at: new Date().toISOString(), runs, cores: Number(cpu), disks, figures, samples }, null, 2)}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
