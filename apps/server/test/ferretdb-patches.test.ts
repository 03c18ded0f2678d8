// The embedded database is built with the patches in scripts/ferretdb-patches applied; a patch that
// no longer applies must stop the build with its name, never build an unpatched server.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const { applyFerretDbPatches, FERRETDB_PATCHES } = (await import(
  pathToFileURL(join(root, 'scripts', 'embedded-db.mjs')).href
)) as {
  applyFerretDbPatches(src: string, options?: { patches?: string[] }): void;
  FERRETDB_PATCHES: string[];
};

/** The files a unified diff expects, rebuilt from its context and removed lines (`-` and ` ` lines). */
function originalsOf(patch: string): Map<string, string> {
  const files = new Map<string, string>();
  let current: string[] | undefined;
  for (const line of readFileSync(patch, 'utf8').split('\n')) {
    if (line.startsWith('--- a/')) {
      current = [];
      files.set(line.slice('--- a/'.length), '');
    } else if (line.startsWith('+++ ') || line.startsWith('@@')) {
      continue;
    } else if (current !== undefined && (line.startsWith(' ') || line.startsWith('-'))) {
      current.push(line.slice(1));
      files.set([...files.keys()].at(-1)!, `${current.join('\n')}\n`);
    }
  }
  return files;
}

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function sourceTree(files: Map<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'ferretdb-src-'));
  dirs.push(dir);
  for (const [path, text] of files) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

describe('FerretDB patches', () => {
  it('there is at least the _id index patch, and each applies to the source it was made for', () => {
    expect(FERRETDB_PATCHES.map((file) => file.split('/').at(-1))).toContain(
      '0001-sqlite-id-lookups-use-the-id-index.patch',
    );
    for (const patch of FERRETDB_PATCHES) {
      const files = originalsOf(patch);
      const src = sourceTree(files);
      applyFerretDbPatches(src, { patches: [patch] });
      for (const path of files.keys()) expect(readFileSync(join(src, path), 'utf8')).not.toBe(files.get(path));
    }
    const metadata = readFileSync(
      join(sourceTree(originalsOf(FERRETDB_PATCHES[0]!)), 'internal/backends/sqlite/metadata/metadata.go'),
      'utf8',
    );
    expect(metadata).toContain(`IDColumn = DefaultColumn + "->'$._id'"`);
  });

  it('a patch that does not apply fails the build, naming the patch', () => {
    const patch = FERRETDB_PATCHES[0]!;
    const files = originalsOf(patch);
    const changed = new Map(
      [...files].map(([path, text]) => [path, text.replace(/IDColumn = .*/, 'IDColumn = "something else"')]),
    );
    const src = sourceTree(changed);
    expect(() => applyFerretDbPatches(src, { patches: [patch] })).toThrow(
      /FerretDB patch 0001-sqlite-id-lookups-use-the-id-index\.patch does not apply/,
    );
  });
});
