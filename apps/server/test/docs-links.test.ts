import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { markdownAnchors } from './helpers/markdown-anchors.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

function filesEndingWith(dir: string, pattern: RegExp): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    if (entry.name === 'node_modules' || entry.name === 'dist' || entry.name.startsWith('.')) return [];
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return filesEndingWith(path, pattern);
    return pattern.test(entry.name) ? [path] : [];
  });
}

const markdownFiles = (dir: string): string[] => filesEndingWith(dir, /\.md$/);
/** Source files whose comments cite docs: TypeScript and JavaScript of every package, app and script. */
const sourceFiles = (): string[] =>
  ['packages', 'apps', 'scripts', 'bench'].flatMap((dir) => filesEndingWith(join(root, dir), /\.(ts|tsx|mjs|cjs|js)$/));

const anchorsOf = new Map<string, Set<string>>();
/** Whether `anchor` is a heading (or `<a id>`) of the Markdown file at `path`. */
function hasAnchor(path: string, anchor: string): boolean {
  let anchors = anchorsOf.get(path);
  if (anchors === undefined) {
    anchors = markdownAnchors(readFileSync(path, 'utf8'));
    anchorsOf.set(path, anchors);
  }
  return anchors.has(anchor);
}

/** What is wrong with one cited `path#anchor` (the path already resolved), or undefined when it exists. */
function citationProblem(path: string, anchor: string | undefined): string | undefined {
  if (!existsSync(path)) return 'no such file';
  if (anchor === undefined || anchor === '' || !path.endsWith('.md')) return undefined;
  return hasAnchor(path, anchor) ? undefined : `no heading #${anchor}`;
}

/** `docs/<path>.md` and `docs/<path>.md#<anchor>` as cited in comments and prose, relative to the repository root. */
const DOCS_CITATION = /(?<![\w./-])docs\/[\w./-]*\w\.md(?:#([\w-]+))?/g;

describe('documentation', () => {
  it('every relative link in the repository docs points at an existing path', () => {
    const broken: string[] = [];
    for (const file of markdownFiles(root)) {
      for (const match of readFileSync(file, 'utf8').matchAll(/\]\(([^)#\s]+)(#[^)]*)?\)/g)) {
        const target = match[1]!;
        if (/^[a-z]+:/i.test(target)) continue;
        if (!existsSync(resolve(dirname(file), target))) broken.push(`${file.slice(root.length + 1)} -> ${target}`);
      }
    }
    expect(broken).toEqual([]);
  });

  it('every #anchor a Markdown link points at is a heading of its target', () => {
    const broken: string[] = [];
    for (const file of markdownFiles(root)) {
      for (const match of readFileSync(file, 'utf8').matchAll(/\]\(([^)#\s]*)#([^)\s]+)\)/g)) {
        const [, target = '', anchor = ''] = match;
        if (/^[a-z]+:/i.test(target)) continue;
        const problem = citationProblem(target === '' ? file : resolve(dirname(file), target), anchor);
        if (problem !== undefined) broken.push(`${file.slice(root.length + 1)} -> ${target}#${anchor}: ${problem}`);
      }
    }
    expect(broken).toEqual([]);
  });

  it('every docs/….md#anchor cited in source comments and Markdown prose exists (GitHub heading anchors)', () => {
    const broken: string[] = [];
    for (const file of [...sourceFiles(), ...markdownFiles(root)]) {
      for (const match of readFileSync(file, 'utf8').matchAll(DOCS_CITATION)) {
        const [citation, anchor] = match;
        const problem = citationProblem(join(root, citation.split('#')[0]!), anchor);
        if (problem !== undefined) broken.push(`${file.slice(root.length + 1)}: ${citation}: ${problem}`);
      }
    }
    expect(broken).toEqual([]);
  });

  it('finds the anchors GitHub makes of headings', () => {
    const anchors = markdownAnchors(
      [
        '# Title',
        '## 7. Liveness, limits and close codes',
        '```bash',
        '# not a heading',
        '```',
        '## `page` frames',
        '## Title',
        '<a id="custom"></a>',
      ].join('\n'),
    );
    expect([...anchors]).toEqual(['title', '7-liveness-limits-and-close-codes', 'page-frames', 'title-1', 'custom']);
  });

  it('the README opens with the start and test commands, and .ci/run runs the same test command', () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const firstBlock = /```bash\n([\s\S]*?)```/.exec(readme)?.[1] ?? '';
    expect(firstBlock).toContain('pnpm start');
    expect(firstBlock).toContain('pnpm test');
    expect(readFileSync(join(root, '.ci/run'), 'utf8')).toMatch(/^pnpm test$/m);
  });
});
