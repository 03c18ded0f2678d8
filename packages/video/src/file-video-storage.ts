import { createHash, randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ByteRange, StoredVideo, VideoStorage } from './video-storage.js';

const KEY = /^[A-Za-z0-9_-]{1,128}$/;

function checkedKey(key: string): string {
  // Keys become file names: anything but a plain id could climb out of the directory.
  if (!KEY.test(key)) throw new Error('invalid video storage key');
  return key;
}

/** Videos as `<dir>/<key>.mp4` (DATA_DIR/videos by default). Written to a temporary name, then renamed. */
export class FileVideoStorage implements VideoStorage {
  constructor(readonly dir: string) {}

  private pathOf(key: string): string {
    return join(this.dir, `${checkedKey(key)}.mp4`);
  }

  async put(key: string, content: Readable | AsyncIterable<Uint8Array>): Promise<StoredVideo> {
    const path = this.pathOf(key);
    await mkdir(this.dir, { recursive: true });
    const temporary = join(this.dir, `.${key}.${randomUUID()}.part`);
    const hash = createHash('sha256');
    let bytes = 0;
    const count = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        hash.update(chunk);
        bytes += chunk.length;
        done(null, chunk);
      },
    });
    try {
      await pipeline(content, count, createWriteStream(temporary, { flags: 'wx' }));
      await rename(temporary, path);
    } catch (error) {
      await rm(temporary, { force: true });
      throw error;
    }
    return { bytes, sha256: hash.digest('hex') };
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
