import { createHash } from 'node:crypto';
import { mkdtemp, readdir, rm, utimes, writeFile } from 'node:fs/promises';
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

it('refuses an empty video and one over the size cap, storing nothing and leaving no temporary file', async () => {
  await expect(storage.put('empty', Readable.from([]))).rejects.toThrow(/empty/);
  await expect(
    storage.put('big', Readable.from(['x'.repeat(600), 'y'.repeat(600)]), { maxBytes: 1_000 }),
  ).rejects.toThrow(/larger than 1000/);
  expect(await storage.size('empty')).toBeUndefined();
  expect(await storage.size('big')).toBeUndefined();
  expect(await readdir(join(dir, 'videos'))).toEqual([]);
  expect((await storage.put('fits', Readable.from(['z'.repeat(1_000)]), { maxBytes: 1_000 })).bytes).toBe(1_000);
});

it('removes the .part files a crash left behind, older than the given age, and nothing else', async () => {
  await storage.put('kept', Readable.from(['video']));
  const videos = join(dir, 'videos');
  await writeFile(join(videos, '.job-9.0f1e.part'), 'half');
  const old = new Date(Date.now() - 60_000);
  await utimes(join(videos, '.job-9.0f1e.part'), old, old);
  await writeFile(join(videos, '.job-8.aa11.part'), 'in progress');
  expect(await storage.removeLeftovers(30_000)).toBe(1);
  expect((await readdir(videos)).sort()).toEqual(['.job-8.aa11.part', 'kept.mp4']);
});
