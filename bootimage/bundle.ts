import { existsSync } from 'node:fs';
import { cp, mkdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { build } from 'esbuild';
import { packageRoot } from '../lib/package-root.js';
import { BootImageError } from './errors.js';
import { NATIVE_PACKAGES } from './native-packages.js';

/** The agent as the image holds it: one JS file (and the imaging worker), plus the native packages beside it. */
export interface AgentBundle {
  /** The bundle, run as `node <file> agent ...`. */
  file: string;
  bytes: number;
  /** Native packages copied into `<dir>/node_modules` (with their dependencies). */
  nativePackages: string[];
}

/**
 * Bundle the whole `tbx` CLI (compiled `dist/cli/main.js`) into `<dir>/tbx.mjs` with
 * esbuild. Packages in {@link NATIVE_PACKAGES} stay external and are copied into
 * `<dir>/node_modules`; any other `.node` file makes esbuild fail, naming it, so a new
 * native dependency cannot slip into the image broken.
 */
export async function bundleAgent(dir: string): Promise<AgentBundle> {
  const root = packageRoot();
  const entry = join(root, 'dist', 'cli', 'main.js');
  if (!existsSync(entry)) throw new BootImageError(`${entry} is missing: run 'npm run build' first`);
  const version = (JSON.parse(await readFile(join(root, 'package.json'), 'utf8')) as { version: string }).version;
  const file = join(dir, 'tbx.mjs');
  await mkdir(dir, { recursive: true });
  try {
    const common = {
      bundle: true,
      platform: 'node' as const,
      format: 'esm' as const,
      target: 'node20',
      external: NATIVE_PACKAGES.flatMap((p) => [p, `${p}/*`]),
      // CommonJS dependencies call require(); an ESM bundle has to provide it.
      banner: { js: `// tbx ${version}: the tbx CLI in one file, for the maintenance image\nimport { createRequire as __tbxCreateRequire } from 'node:module';\nconst require = __tbxCreateRequire(import.meta.url);` },
      legalComments: 'none' as const,
      logLevel: 'silent' as const,
    };
    await build({
      ...common,
      stdin: { contents: `import { main } from ${JSON.stringify(entry)};\nprocess.exitCode = await main(process.argv);\n`, resolveDir: root, sourcefile: 'tbx-image-entry.mjs', loader: 'js' },
      outfile: file,
    });
    // The chunk store's worker threads load `./worker.js` beside the module that starts
    // them (`new URL('./worker.js', import.meta.url)`), which in the image is tbx.mjs.
    await build({ ...common, entryPoints: [join(root, 'dist', 'imaging', 'chunked', 'worker.js')], outfile: join(dir, 'worker.js') });
  } catch (err) {
    throw new BootImageError('bundling the agent with esbuild failed', { cause: err });
  }
  const nativePackages = await copyNativePackages(root, join(dir, 'node_modules'));
  return { file, bytes: (await stat(file)).size, nativePackages };
}

/** Copy each installed native package and its (optional) dependencies, recursively. */
async function copyNativePackages(root: string, target: string): Promise<string[]> {
  const done: string[] = [];
  const visit = async (name: string): Promise<void> => {
    const src = join(root, 'node_modules', name);
    if (done.includes(name) || !existsSync(join(src, 'package.json'))) return;
    done.push(name);
    await cp(src, join(target, name), { recursive: true, dereference: true });
    const pkg = JSON.parse(await readFile(join(src, 'package.json'), 'utf8')) as { dependencies?: Record<string, string>; optionalDependencies?: Record<string, string> };
    for (const dep of Object.keys({ ...pkg.dependencies, ...pkg.optionalDependencies })) await visit(dep);
  };
  for (const name of NATIVE_PACKAGES) await visit(name);
  return done;
}
