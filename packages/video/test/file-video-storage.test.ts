import { createHash } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { FileVideoStorage } from '../src/index.js';

let dir: string;
let storage: FileVideoStorage;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'storage-'));
  storage = new FileVideoStorage(join(dir, 'videos'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

it('stores a stream with its size and SHA-256, reads it whole or by range, and removes it', async () => {
  const content = '0123456789'.repeat(100);
  const stored = await storage.put('job-1', Readable.from([content.slice(0, 300), content.slice(300)]));
  expect(stored).toEqual({ bytes: 1000, sha256: createHash('sha256').update(content).digest('hex') });
  expect(await storage.size('job-1')).toBe(1000);
  expect(await text((await storage.open('job-1'))!)).toBe(content);
  expect(await text((await storage.open('job-1', { start: 10, end: 19 }))!)).toBe('0123456789');
  await storage.remove('job-1');
  expect(await storage.size('job-1')).toBeUndefined();
  expect(await storage.open('job-1')).toBeUndefined();
});

it('a failed write leaves no file behind and the old content in place', async () => {
  await storage.put('job-1', Readable.from(['old']));
  const failing = new Readable({
    read() {
      this.push('partial');
      this.destroy(new Error('connection reset'));
    },
  });
  await expect(storage.put('job-1', failing)).rejects.toThrow('connection reset');
  expect(await text((await storage.open('job-1'))!)).toBe('old');
  expect(await readdir(join(dir, 'videos'))).toEqual(['job-1.mp4']);
});

it('refuses keys that are not plain ids (no path can leave the directory)', async () => {
  await expect(storage.put('../escape', Readable.from(['x']))).rejects.toThrow('invalid video storage key');
  await expect(storage.size('a/b')).rejects.toThrow('invalid video storage key');
});
