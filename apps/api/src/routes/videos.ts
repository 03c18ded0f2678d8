import type { Request, Response } from 'express';
import { Router } from 'express';
import { pipeline } from 'node:stream/promises';
import { ProtocolError } from '@app/protocol';
import type { ByteRange, VideoJob, VideoStorage } from '@app/video';
import { readContext } from '../validation.js';

/** What serving videos needs: the job (for its workspace's project and checksum) and the stored file. */
export interface ApiVideos {
  /** The job as the project's log shows it (its decided outcome, before its document follows). */
  jobs: { view(jobId: string): Promise<Pick<VideoJob, 'projectId' | 'status' | 'sha256'> | undefined> };
  storage: VideoStorage;
}

const FILE = /^([A-Za-z0-9_-]{1,64})\.mp4$/;

/**
 * `bytes=a-b`, `bytes=a-`, `bytes=-n` against `size`; null: unsatisfiable (416); undefined: no usable
 * Range (send all). A range whose last byte comes before its first (`bytes=5-3`) is invalid, and RFC
 * 9110 (section 14.2) says to ignore an invalid Range: the whole file, 200.
 */
export function parseRange(header: string | undefined, size: number): ByteRange | null | undefined {
  if (header === undefined) return undefined;
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (match === null) return undefined; // several ranges or another unit: answer with the whole file (RFC 9110 allows it)
  const [, first, last] = match as unknown as [string, string, string];
  if (first === '' && last === '') return undefined;
  if (first === '') {
    const suffix = Number(last);
    if (suffix === 0 || size === 0) return null;
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(first);
  if (last !== '' && Number(last) < start) return undefined;
  const end = last === '' ? size - 1 : Math.min(Number(last), size - 1);
  if (start >= size) return null;
  return { start, end };
}

/**
 * Whether `If-None-Match` names the current representation (RFC 9110 section 13.1.2: `*`, or any of
 * its entity tags by weak comparison, so `W/"x"` matches `"x"`).
 */
export function noneMatchHits(header: string | undefined, etag: string | undefined): boolean {
  if (header === undefined || etag === undefined) return false;
  if (header.trim() === '*') return true;
  const opaque = (tag: string): string => tag.trim().replace(/^W\//, '');
  return header.split(',').some((tag) => opaque(tag) === opaque(etag));
}

/**
 * `GET` / `HEAD /videos/<jobId>.mp4`: a finished video from our storage, with Range requests (206, 416)
 * and revalidation (`If-None-Match` with its ETag, the file's SHA-256: 304).
 * Authorised like the workspace's other reads: a caller without access to its project gets the same
 * 404 as for a job that does not exist.
 */
export function videosRouter(videos: ApiVideos): Router {
  const router = Router();
  const serve = async (req: Request, res: Response): Promise<void> => {
    const jobId = FILE.exec(String(req.params['file']))?.[1];
    const notFound = new ProtocolError('NOT_FOUND', 'No such video');
    if (jobId === undefined) throw notFound;
    const job = await videos.jobs.view(jobId);
    if (job === undefined || job.status !== 'succeeded') throw notFound;
    try {
      readContext(res).authorize?.(job.projectId);
    } catch (error) {
      if (error instanceof ProtocolError && error.code === 'FORBIDDEN') throw notFound;
      throw error;
    }
    const size = await videos.storage.size(jobId);
    if (size === undefined) throw notFound;
    res.set({
      'Accept-Ranges': 'bytes',
      'Content-Type': 'video/mp4',
      'Cache-Control': 'private, max-age=3600',
      ...(job.sha256 === undefined ? {} : { ETag: `"${job.sha256}"` }),
    });
    if (noneMatchHits(req.get('if-none-match'), job.sha256 === undefined ? undefined : `"${job.sha256}"`)) {
      // The client has this file already; If-None-Match is evaluated before Range (RFC 9110 section 13.2.2).
      res.status(304).end();
      return;
    }
    const range = parseRange(req.get('range'), size);
    if (range === null) {
      res.status(416).set('Content-Range', `bytes */${size}`).end();
      return;
    }
    if (range !== undefined) {
      res.status(206).set('Content-Range', `bytes ${range.start}-${range.end}/${size}`);
    }
    res.set('Content-Length', String(range === undefined ? size : range.end - range.start + 1));
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    const stream = await videos.storage.open(jobId, range);
    if (stream === undefined) throw notFound;
    await pipeline(stream, res).catch(() => {
      // The client went away mid-file (players do that when seeking): nothing to answer.
    });
  };
  router.get('/:file', serve); // Express answers HEAD with the GET route, without a body
  return router;
}
