import { execFile } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { openApiDocument } from '@app/api/openapi';
import { asyncApiDocument } from '@app/protocol/artifacts';
import { describe, expect, it } from 'vitest';
import { GENERATED, generatedClientFiles } from '../src/generate-clients.js';

const examples = join(dirname(fileURLToPath(import.meta.url)), '..');
const run = promisify(execFile);

// Generated from the documents the zod schemas give now (not the committed docs/*.json): a schema change
// that `pnpm generate` was not run for fails here, in the clients, as well as in the documents' own tests.
const generated = await generatedClientFiles({ asyncapi: asyncApiDocument(), openapi: openApiDocument() });

describe('generated clients are up to date with the zod schemas (run pnpm generate)', () => {
  it.each([...generated.keys()])('%s', (path) => {
    const file = join(examples, path);
    const onDisk = existsSync(file) ? readFileSync(file, 'utf8') : undefined;
    expect(
      onDisk === generated.get(path),
      `examples/${path} differs from what the schemas generate: run pnpm generate`,
    ).toBe(true);
  });

  it(`${GENERATED.goModels} holds no model that the schemas no longer have`, () => {
    const onDisk = readdirSync(join(examples, GENERATED.goModels)).map((name) => `${GENERATED.goModels}/${name}`);
    expect(onDisk.sort()).toEqual([...generated.keys()].filter((p) => p.startsWith(`${GENERATED.goModels}/`)).sort());
  });

  it('names the models after the protocol (no AnonymousSchema)', () => {
    const models = generated.get(GENERATED.models)!;
    for (const name of [
      'WorkspaceCreate',
      'WorkspaceCreateReply',
      'Workspace',
      'VideoStatusUpdate',
      'ErrorFrame',
      'Hello',
    ]) {
      expect(models).toMatch(new RegExp(`export (interface|type) ${name}\\b`));
    }
    expect([...generated.values()].join('\n')).not.toMatch(/Anonymous/i);
  });
});

describe('the TypeScript clients compile', () => {
  it('with strict (tsc -p examples/typescript)', async () => {
    const tsc = join(examples, 'node_modules/typescript/bin/tsc');
    const result = await run(process.execPath, [tsc, '-p', join(examples, 'typescript/tsconfig.json')]).catch(
      (error: { stdout?: string; code?: number }) => ({ stdout: error.stdout ?? String(error), code: error.code }),
    );
    expect(result.stdout).toBe('');
    const config = JSON.parse(readFileSync(join(examples, 'typescript/tsconfig.json'), 'utf8')) as {
      compilerOptions: { strict?: boolean };
    };
    expect(config.compilerOptions.strict).toBe(true);
  });
});
