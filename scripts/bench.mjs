#!/usr/bin/env node
// `pnpm bench [--quick] [--name=value ...]`: runs the benchmark driver of the @app/bench package
// (bench/src/driver.ts), which starts the embedded database (or uses MONGODB_URI), the servers
// and the load generator processes itself. Not part of `pnpm test`. `pnpm bench --help` lists sizes.
// `pnpm bench web` runs the web app's scenario instead (bench/src/web.ts).
import { spawn } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const benchDir = join(resolve(dirname(fileURLToPath(import.meta.url)), '..'), 'bench');
const args = process.argv.slice(2).filter((arg) => arg !== '--');
// `pnpm bench web [...]`: the web app's scenario (bench/src/web.ts: initial JavaScript, paint latency in Chromium).
const script = args[0] === 'web' ? 'src/web.ts' : 'src/driver.ts';
if (args[0] === 'web') args.shift();
// The `video` scenario imports @app/client and @app/provider-sim from source (no build needed).
const child = spawn(process.execPath, ['--conditions=@app/source', '--import', 'tsx', script, ...args], {
  cwd: benchDir,
  stdio: 'inherit',
});
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
