import { access, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Option, type Command } from 'commander';
import { collectGarbage } from '../../imaging/chunked/gc.js';
import { listGenerations } from '../../imaging/chunked/generations.js';
import { exportGeneration, exportToFile, importSeedImages } from '../../imaging/chunked/import-export.js';
import { withGeneration } from '../../imaging/chunked/generation-file.js';
import { storeFor } from '../../imaging/chunked/layout.js';
import { boxDirs } from '../../imaging/chunked/references.js';
import { listImages, spaceReport } from '../../imaging/chunked/space.js';
import { verifyImages } from '../../imaging/chunked/verify.js';
import { verifyGzipImages } from '../../imaging/verify-gzip.js';
import { WorkerPool } from '../../imaging/chunked/worker-pool.js';
import { UsageError } from '../../lib/errors.js';
import { isIPv4 } from '../../lib/hex-ip.js';
import type { Logger } from '../../lib/logger.js';
import { assertBackupShare, boxDir } from '../../share/layout.js';
import { numberOption } from '../option-values.js';
import { BACKUP, JSON_OUT, OUTPUT, outputFormat } from '../options.js';
import { isDataFormat, renderData } from '../views/data.js';
import { renderGc, renderImageList, renderSpace, renderVerify } from '../views/image-view.js';

const EXAMPLES = `
Boxes are named by IP (their directory on the share) or by testbox name (as recorded in
their images or the share's finder files).

Examples:
  tbx image ls --backup /srv/testbox-backup
  tbx image ls tb-linux-01 -o json
  tbx image verify                      # re-hash every chunk every image references
  tbx image du
  tbx image gc --dry-run                # what gc would delete; gc waits for no backup
  tbx image import 10.165.98.220        # seed <dev>.gz images -> chunked generations
  tbx image export tb-linux-01 --device sda --generation 2 --format raw --output sda.img
  tbx image export tb-linux-01 --format gz --output - | ssh elsewhere 'cat > sda.gz'`;

/** `tbx image`: housekeeping of the backup share's images (ls, verify, du, gc, import, export). */
export function register(program: Command, logger: () => Logger): void {
  const image = program.command('image').description('list, verify, account, collect, import and export disk images on the backup share').addHelpText('after', EXAMPLES);
  const root = async (opts: Record<string, unknown>) => {
    if (typeof opts.backup !== 'string' || !opts.backup) throw new UsageError('missing --backup (or set TBX_BACKUP_ROOT)');
    await assertBackupShare(opts.backup);
    return opts.backup;
  };
  const withPool = async <T>(fn: (pool: WorkerPool) => Promise<T>) => {
    const pool = new WorkerPool();
    try {
      return await fn(pool);
    } finally {
      await pool.close();
    }
  };
  const print = (opts: Record<string, unknown>, value: unknown, text: string) => {
    const format = outputFormat(opts);
    process.stdout.write(`${isDataFormat(format) ? renderData(value, format) : text}\n`);
  };

  image
    .command('ls')
    .addHelpText('after', `\nExamples:\n  tbx image ls --backup /srv/testbox-backup\n  tbx image ls tb-linux-01 -o json\n`)
    .description('generations with their sizes (logical, stored, new), age, mode and digest')
    .argument('[box]', 'only this box (IP or testbox name)')
    .addOption(BACKUP())
    .addOption(OUTPUT(['table', 'json', 'yaml'])).addOption(JSON_OUT())
    .action(async (box: string | undefined, opts: Record<string, unknown>) => {
      const backup = await root(opts);
      const rows = await listImages(backup, box ? [await resolveBox(backup, box)] : undefined);
      print(opts, rows, renderImageList(rows, new Date()));
    });

  const verify = async (box: string | undefined, opts: Record<string, unknown>) => {
    const backup = await root(opts);
    const ips = box ? [await resolveBox(backup, box)] : undefined;
    const chunked = await withPool((pool) => verifyImages(backup, { ...(ips ? { ips } : {}), pool, log: logger() }));
    const gzip = await verifyGzipImages(backup, ips ?? (await boxDirs(backup)));
    const report = { ...chunked, gzipChecked: gzip.checked, gzipUnchecked: gzip.unchecked, problems: [...chunked.problems, ...gzip.problems] };
    print(opts, report, renderVerify(report));
    if (report.problems.length) process.exitCode = 1;
  };
  const VERIFY_HELP = `\nExamples:\n  tbx verify                      # every image on the share\n  tbx image verify tb-linux-01 --json\n`;
  const VERIFY_WHAT = 're-hash every image of one box or of all (chunks of chunked images, .gz files against their .sha256); exit 1 on any problem';
  image.command('verify').description(VERIFY_WHAT).addHelpText('after', VERIFY_HELP).argument('[box]', 'only this box (IP or testbox name)').addOption(BACKUP()).addOption(OUTPUT(['text', 'json', 'yaml'])).addOption(JSON_OUT()).action(verify);
  // `tbx verify`: the same check at the top level, where an admin looks first.
  program.command('verify').description(`${VERIFY_WHAT} (same as tbx image verify)`).addHelpText('after', VERIFY_HELP).argument('[box]', 'only this box (IP or testbox name)').addOption(BACKUP()).addOption(OUTPUT(['text', 'json', 'yaml'])).addOption(JSON_OUT()).action(verify);

  image
    .command('du')
    .addHelpText('after', `\nExamples:\n  tbx image du --backup /srv/testbox-backup\n  tbx image du --json\n`)
    .description('space per box (unique and shared) and the dedup ratio of the share')
    .addOption(BACKUP())
    .addOption(OUTPUT(['table', 'json', 'yaml'])).addOption(JSON_OUT())
    .action(async (opts: Record<string, unknown>) => {
      const report = await spaceReport(await root(opts));
      print(opts, report, renderSpace(report));
    });

  image
    .command('gc')
    .addHelpText('after', `\nExamples:\n  tbx image gc --dry-run          # what gc would delete\n  tbx image gc --grace 120\n`)
    .description('delete (or repack) chunks no generation references; never runs beside a backup (store lock) and spares young files')
    .addOption(BACKUP())
    .option('--dry-run', 'only report what would be removed')
    .addOption(numberOption(new Option('--grace <minutes>', 'never delete files younger than this').default(60), { unit: 'minutes', zero: true }))
    .addOption(OUTPUT(['text', 'json', 'yaml'])).addOption(JSON_OUT())
    .action(async (opts: Record<string, unknown>) => {
      const backup = await root(opts);
      const grace = opts.grace as number;
      const report = await withPool((pool) => collectGarbage({ backupRoot: backup, pool, log: logger(), graceMs: grace * 60_000, dryRun: opts.dryRun === true }));
      print(opts, report, renderGc(report));
    });

  image
    .command('import')
    .addHelpText('after', `\nExamples:\n  tbx image import 10.165.98.220  # seed <dev>.gz images -> chunked generations\n`)
    .description("turn a box's gzip images (the seed's <dev>.gz, <dev>.raw.gz) into chunked generations, with the disk identity their .disk.json records; the gzip files stay")
    .argument('<box>', 'IP or testbox name')
    .addOption(BACKUP())
    .addOption(OUTPUT(['text', 'json', 'yaml'])).addOption(JSON_OUT())
    .action(async (box: string, opts: Record<string, unknown>) => {
      const backup = await root(opts);
      const ip = await resolveBox(backup, box);
      const out = await withPool((pool) => importSeedImages(boxDir(backup, ip), { pool, log: logger(), ip }));
      const rows = out.map((r) => ({ device: r.header.device, generation: r.generation, importedFrom: r.header.importedFrom, bytes: r.header.disk.size, newStoredBytes: r.newStoredBytes, digest: `blake3-tree:${r.header.digest}` }));
      print(opts, rows, rows.length ? rows.map((r) => `${ip}: ${r.importedFrom} -> ${r.device} generation ${r.generation} (${r.bytes} bytes, ${r.newStoredBytes} new bytes stored)`).join('\n') : `${ip}: no seed images to import`);
    });

  image
    .command('export')
    .addHelpText('after', `\nExamples:\n  tbx image export tb-linux-01 --device sda --generation 2 --format raw --output sda.img\n  tbx image export tb-linux-01 --format gz --output - | ssh elsewhere 'cat > sda.gz'\n`)
    .description('write a generation as a plain raw or gzip disk image any tool can read')
    .argument('<box>', 'IP or testbox name')
    .addOption(BACKUP())
    .option('--device <dev>', 'which disk (default: the only one)')
    .addOption(numberOption(new Option('--generation <n>', 'which generation (default: the newest)'), { whole: true }))
    .addOption(new Option('--format <format>', 'raw or gz').choices(['raw', 'gz']).makeOptionMandatory())
    .requiredOption('--output <file>', "file to create, complete or not at all ('-' for stdout)")
    .action(async (box: string, opts: Record<string, unknown>) => {
      const backup = await root(opts);
      const dir = boxDir(backup, await resolveBox(backup, box));
      let gens = await listGenerations(dir);
      if (opts.device) gens = gens.filter((g) => g.device === opts.device);
      const devices = [...new Set(gens.map((g) => g.device))];
      if (devices.length !== 1) throw new UsageError(devices.length ? `${box} has images of ${devices.join(', ')}: pick one with --device` : `${box} has no chunked image${opts.device ? ` of ${String(opts.device)}` : ''}`);
      const gen = opts.generation ? gens.find((g) => g.generation === opts.generation) : gens.at(-1);
      if (!gen) throw new UsageError(`${box} has no generation ${String(opts.generation)} of ${devices[0]} (it has ${gens.map((g) => g.generation).join(', ')})`);
      await withGeneration(gen.path, (generation) =>
        opts.output === '-' ? exportGeneration(generation, storeFor(dir), opts.format as 'raw' | 'gz', process.stdout) : exportToFile(generation, storeFor(dir), opts.format as 'raw' | 'gz', String(opts.output)),
      );
    });
}

/** A box's IP: given as one, or found by testbox name in its images or finder files. */
async function resolveBox(backup: string, box: string): Promise<string> {
  if (isIPv4(box)) return box;
  for (const ip of await boxDirs(backup)) {
    if (await access(join(backup, ip, box)).then(() => true, () => false)) return ip;
    for (const g of await listGenerations(join(backup, ip))) if (g.header.box.name === box) return ip;
  }
  const known = (await readdir(backup).catch(() => [] as string[])).filter(isIPv4);
  throw new UsageError(`no box called ${JSON.stringify(box)} on the backup share (boxes there: ${known.join(', ') || 'none'}); name it by IP`);
}
