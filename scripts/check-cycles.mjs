#!/usr/bin/env node
// `pnpm lint` part two: no import cycles among source modules, type-only imports included (a type cycle is a
// knot a reader has to untie too; ESLint's import-x/no-cycle skips type imports). Prints each cycle and exits 1.
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SPECIFIER = /(?:^|\n)\s*(?:import|export)\b[^'";]*?\bfrom\s*['"]([^'"]+)['"]|\bimport\(\s*['"]([^'"]+)['"]\s*\)/g;

/** Every `src` directory of a workspace package, by package name. */
function packageSources() {
  const sources = new Map();
  for (const group of ['packages', 'apps']) {
    const groupDir = join(root, group);
    if (!existsSync(groupDir)) continue;
    for (const name of readdirSync(groupDir)) {
      const manifest = join(groupDir, name, 'package.json');
      if (!existsSync(manifest) || !existsSync(join(groupDir, name, 'src'))) continue;
      sources.set(JSON.parse(readFileSync(manifest, 'utf8')).name, join(groupDir, name));
    }
  }
  return sources;
}

function sourceFiles(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return /\.tsx?$/.test(name) && !name.endsWith('.d.ts') ? [path] : [];
  });
}

function asSourceFile(base) {
  const stem = base.replace(/\.(m?js|jsx)$/, '');
  for (const candidate of [`${stem}.ts`, `${stem}.tsx`, join(stem, 'index.ts'), join(stem, 'index.tsx')]) {
    if (existsSync(candidate) && statSync(candidate).isFile()) return candidate;
  }
  return undefined;
}

/** Resolves a specifier to a source file of this repository, or undefined for an external module. */
function resolveSpecifier(from, specifier, packages) {
  if (specifier.startsWith('.')) return asSourceFile(resolve(dirname(from), specifier));
  const match = /^(@app\/[^/]+)(?:\/(.+))?$/.exec(specifier);
  const dir = match && packages.get(match[1]);
  if (!dir) return undefined;
  const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  const entry = manifest.exports?.[match[2] ? `./${match[2]}` : '.'];
  const target = typeof entry === 'object' ? entry['@app/source'] : undefined;
  return target ? asSourceFile(join(dir, target)) : undefined;
}

/** Tarjan's strongly connected components; every component with more than one module (or a self-import) is a cycle. */
function cycles(graph) {
  let index = 0;
  const indices = new Map();
  const low = new Map();
  const stack = [];
  const onStack = new Set();
  const found = [];
  const visit = (node) => {
    indices.set(node, index);
    low.set(node, index++);
    stack.push(node);
    onStack.add(node);
    for (const next of graph.get(node) ?? []) {
      if (!indices.has(next)) {
        visit(next);
        low.set(node, Math.min(low.get(node), low.get(next)));
      } else if (onStack.has(next)) low.set(node, Math.min(low.get(node), indices.get(next)));
    }
    if (low.get(node) !== indices.get(node)) return;
    const component = [];
    let member;
    do {
      member = stack.pop();
      onStack.delete(member);
      component.push(member);
    } while (member !== node);
    if (component.length > 1 || graph.get(node)?.has(node)) found.push(component.reverse());
  };
  for (const node of graph.keys()) if (!indices.has(node)) visit(node);
  return found;
}

const packages = packageSources();
const graph = new Map();
for (const dir of packages.values()) {
  for (const file of sourceFiles(join(dir, 'src'))) {
    const edges = new Set();
    for (const match of readFileSync(file, 'utf8').matchAll(SPECIFIER)) {
      const target = resolveSpecifier(file, match[1] ?? match[2], packages);
      if (target) edges.add(target);
    }
    graph.set(file, edges);
  }
}

const found = cycles(graph);
for (const component of found) {
  console.error(`import cycle among: ${component.map((file) => relative(root, file)).join(', ')}`);
}
console.log(`[check-cycles] ${graph.size} modules, ${found.length} cycle(s)`);
process.exit(found.length > 0 ? 1 : 0);
