import type { Readable } from 'node:stream';

/** What `put` stored. */
export interface StoredVideo {
  bytes: number;
  /** SHA-256 of the content, hex. */
  sha256: string;
}

/** An inclusive byte range, as HTTP Range requests name it. */
export interface ByteRange {
  start: number;
  end: number;
}

/**
 * Where finished videos live: a directory by default (FileVideoStorage), an object store later. Keys are
 * job ids; `put` replaces a key atomically (a reader never sees half a file).
 */
/** What `put` checks of the content. */
export interface PutOptions {
  /** More bytes than this fail the put (nothing is stored). */
  maxBytes?: number | undefined;
}

export interface VideoStorage {
  /** Stores the content under the key, atomically; fails (storing nothing) when it is empty or too large. */
  put(key: string, content: Readable | AsyncIterable<Uint8Array>, options?: PutOptions): Promise<StoredVideo>;
  /** Size of a stored video, or undefined when there is none. */
  size(key: string): Promise<number | undefined>;
  /** Reads the whole video or one range of it; undefined when there is none. */
  open(key: string, range?: ByteRange): Promise<Readable | undefined>;
  remove(key: string): Promise<void>;
}
