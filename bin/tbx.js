#!/usr/bin/env node
// Entry point of the `tbx` command: runs the compiled CLI (npm install builds it via `prepare`).
import { existsSync } from 'node:fs';

const entry = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(entry)) {
  process.stderr.write('tbx: not built yet; run `npm install` (or `npm run build`) in the tbx directory first\n');
  process.exit(1);
}
const { main } = await import(entry.href);
process.exitCode = await main(process.argv);
