import { createHash, randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, open as openFile, readdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ByteRange, PutOptions, StoredVideo, VideoStorage } from './video-storage.js';

const KEY = /^[A-Za-z0-9_-]{1,128}$/;
const PART = /^\..+\.part$/;

function checkedKey(key: string): string {
  // Keys become file names: anything but a plain id could climb out of the directory.
  if (!KEY.test(key)) throw new Error('invalid video storage key');
  return key;
}

/**
 * Videos as `<dir>/<key>.mp4` (DATA_DIR/videos by default). Written to a temporary `.part` name, checked
 * (not empty, not over the size cap), flushed to disk, then renamed: a reader never sees half a file.
 */
export class FileVideoStorage implements VideoStorage {
  constructor(readonly dir: string) {}

  private pathOf(key: string): string {
    return join(this.dir, `${checkedKey(key)}.mp4`);
  }

  async put(
    key: string,
    content: Readable | AsyncIterable<Uint8Array>,
    options: PutOptions = {},
  ): Promise<StoredVideo> {
    const path = this.pathOf(key);
    await mkdir(this.dir, { recursive: true });
    const temporary = join(this.dir, `.${key}.${randomUUID()}.part`);
    const hash = createHash('sha256');
    const maxBytes = options.maxBytes ?? Infinity;
    let bytes = 0;
    const count = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        bytes += chunk.length;
        if (bytes > maxBytes) {
          done(new Error(`video is larger than ${maxBytes} bytes`));
          return;
        }
        hash.update(chunk);
        done(null, chunk);
      },
    });
    try {
      await pipeline(content, count, createWriteStream(temporary, { flags: 'wx' }));
      if (bytes === 0) throw new Error('video is empty');
      const handle = await openFile(temporary, 'r+');
      try {
        await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(temporary, path);
    } catch (error) {
      await rm(temporary, { force: true });
      throw error;
    }
    return { bytes, sha256: hash.digest('hex') };
  }

  /**
   * Removes `.part` files left by a process that died mid-download (older than `olderThanMs`, so another
   * node's download in progress in a shared directory is left alone). Returns how many were removed.
   */
  async removeLeftovers(olderThanMs: number): Promise<number> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 0;
      throw error;
    }
    let removed = 0;
    for (const name of names.filter((entry) => PART.test(entry))) {
      const path = join(this.dir, name);
      const info = await stat(path).catch(() => undefined);
      if (info === undefined || Date.now() - info.mtimeMs < olderThanMs) continue;
      await rm(path, { force: true });
      removed += 1;
    }
    return removed;
  }

  async size(key: string): Promise<number | undefined> {
    try {
      return (await stat(this.pathOf(key))).size;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  }

  async open(key: string, range?: ByteRange): Promise<Readable | undefined> {
    if ((await this.size(key)) === undefined) return undefined;
    return createReadStream(this.pathOf(key), range === undefined ? {} : { start: range.start, end: range.end });
  }

  async remove(key: string): Promise<void> {
    await rm(this.pathOf(key), { force: true });
  }
}
