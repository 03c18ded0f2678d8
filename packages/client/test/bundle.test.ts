import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';

const here = dirname(fileURLToPath(import.meta.url));

/** The files a minified browser bundle of `entry` is built from (esbuild's metafile). */
async function bundleInputs(entry: string): Promise<string[]> {
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'browser',
    write: false,
    metafile: true,
    conditions: ['@app/source'],
    logLevel: 'silent',
  });
  return Object.keys(result.metafile.inputs);
}

const isZod = (path: string): boolean => /(^|\/)node_modules\/(\.pnpm\/zod@[^/]+\/node_modules\/)?zod\//.test(path);

describe('browser bundle of @app/client', () => {
  it('imports no zod at all: frames are checked by the schemas compiled from it (ADR 0009)', async () => {
    const inputs = await bundleInputs(join(here, '../src/index.ts'));
    expect(inputs.filter(isZod)).toEqual([]);
    // It does hold the compiled checks and the client itself.
    expect(inputs.some((path) => path.endsWith('protocol/src/lite/compiled-schemas.ts'))).toBe(true);
    expect(inputs.some((path) => path.endsWith('src/client.ts'))).toBe(true);
  });

  it('would notice zod: a bundle of the full protocol entry holds it', async () => {
    const inputs = await bundleInputs(join(here, '../../protocol/src/index.ts'));
    expect(inputs.filter(isZod).length).toBeGreaterThan(10);
  });
});
