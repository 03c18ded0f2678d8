// The `bundle` scenario of `pnpm bench` (also `pnpm --filter @app/bench bundle-size`): a browser bundle of
// @app/client and one of Socket.IO's client, each an app that connects and sends one request, built in the
// same run with esbuild (minify, ESM, browser) and measured minified and gzipped. Sizes are printed with
// their ratio, never asserted (the client's test only checks that its bundle holds no zod).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { BENCH_DIR } from './processes.js';

export interface BundleSize {
  minBytes: number;
  gzipBytes: number;
  /** The largest inputs, by bytes in the minified output. */
  largest: { path: string; bytes: number }[];
}

export interface BundleSizes {
  client: BundleSize;
  socketIo: BundleSize;
  /** client gzip / Socket.IO gzip. */
  ratio: number;
}

const ENTRIES = {
  client: [
    `import { createClient } from '@app/client';`,
    `const client = createClient({ url: 'ws://127.0.0.1:3001/' });`,
    `client.listWorkspaces({ projectId: 'demo' }).then((r) => console.log(r.workspaces.length), console.error);`,
  ],
  socketIo: [
    `import { io } from 'socket.io-client';`,
    `const socket = io('ws://127.0.0.1:3001/', { transports: ['websocket'] });`,
    `socket.emit('workspace.list', { projectId: 'demo' }, (reply) => console.log(reply));`,
  ],
};

async function measure(dir: string, name: keyof typeof ENTRIES): Promise<BundleSize> {
  const entry = join(dir, `${name}.js`);
  writeFileSync(entry, `${ENTRIES[name].join('\n')}\n`);
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    write: false,
    metafile: true,
    // Workspace packages from their sources; both clients resolve from the bench package's dependencies.
    conditions: ['@app/source'],
    nodePaths: [join(BENCH_DIR, 'node_modules')],
    logLevel: 'silent',
  });
  const code = result.outputFiles[0]!.contents;
  const output = Object.values(result.metafile.outputs)[0]!;
  const largest = Object.entries(output.inputs)
    .map(([path, input]) => ({
      path: path.replace(/^(\.\.\/)+/, '').replace(/.*node_modules\//, ''),
      bytes: input.bytesInOutput,
    }))
    .sort((a, b) => b.bytes - a.bytes)
    .slice(0, 5);
  return { minBytes: code.length, gzipBytes: gzipSync(code, { level: 9 }).length, largest };
}

/** Builds both bundles in one run. */
export async function measureBundles(): Promise<BundleSizes> {
  const dir = mkdtempSync(join(tmpdir(), 'app-bench-bundle-'));
  try {
    const client = await measure(dir, 'client');
    const socketIo = await measure(dir, 'socketIo');
    return { client, socketIo, ratio: client.gzipBytes / socketIo.gzipBytes };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Kilobytes of 1000 bytes, as bundle sizes are usually quoted. */
const kb = (bytes: number): string => `${(bytes / 1000).toFixed(1)} KB`;

/** The lines the bench prints for the scenario. */
export function bundleLines(sizes: BundleSizes): string[] {
  const row = (label: string, size: BundleSize): string =>
    `${label.padEnd(18)} ${kb(size.minBytes).padStart(9)} min  ${kb(size.gzipBytes).padStart(8)} min+gzip`;
  return [
    row('@app/client', sizes.client),
    row('socket.io-client', sizes.socketIo),
    `ratio (ours / Socket.IO, min+gzip): ${sizes.ratio.toFixed(2)}; target: @app/client at most 15 KB min+gzip`,
    `largest inputs of @app/client: ${sizes.client.largest.map((i) => `${i.path} ${kb(i.bytes)}`).join(', ')}`,
  ];
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  for (const line of bundleLines(await measureBundles())) console.info(line);
}
