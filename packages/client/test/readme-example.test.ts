import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { main } from '../examples/basic.js';
import { startFakeServer } from './helpers/fake-server.js';
import type { StubServer } from './helpers/stub-server.js';

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
const example = readFileSync(new URL('../examples/basic.ts', import.meta.url), 'utf8');

let server: StubServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('README example', () => {
  it('is examples/basic.ts, verbatim', () => {
    const block = /<!-- example: examples\/basic\.ts -->\n\n?```ts\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(block).toBe(example);
  });

  it('runs against a server speaking the protocol', async () => {
    server = await startFakeServer();
    const lines: string[] = [];
    const names = await main(server.url, (line) => lines.push(line));
    expect(names).toEqual(['Credits', 'Intro shot']);
    expect(lines).toContain('conflict: someone changed it first');
    expect(lines.filter((l) => l.startsWith('connection:'))).toEqual(['connection: open', 'connection: closed']);
    expect(lines.at(-2)).toMatch(/^server time \d{4}-.*, project at seq 5$/);
  });
});
