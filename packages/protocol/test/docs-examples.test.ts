import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { isRequestType, parseClientMessage, parseServerMessage } from '../src/index.js';

const docPath = join(dirname(fileURLToPath(import.meta.url)), '../../../docs/protocol.md');
const blocks = [...readFileSync(docPath, 'utf8').matchAll(/```json\n([\s\S]*?)```/g)].map((m) => m[1]!.trim());

describe('docs/protocol.md examples', () => {
  it('has examples of every message kind', () => {
    expect(blocks.length).toBeGreaterThan(20);
  });

  it.each(blocks.map((block, i) => [i + 1, block] as const))(
    'example %i parses with the protocol schemas',
    (_i, block) => {
      const value = JSON.parse(block) as { type: string };
      const result = isRequestType(value.type) ? parseClientMessage(block) : parseServerMessage(block);
      expect(result.ok ? 'ok' : JSON.stringify(result.error.details ?? result.error.message)).toBe('ok');
    },
  );
});
