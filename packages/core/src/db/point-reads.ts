import type { Model } from 'mongoose';

/** Most primary-key reads in flight for one multi-document read. */
export const POINT_READ_CHUNK = 64;

/**
 * Documents by `_id`, as parallel single-document reads in chunks: every MongoDB-compatible server
 * answers `{_id: <string>}` from its `_id` index (FerretDB v1's SQLite backend pushes down only that,
 * and `_id` `$in` lists with scripts/ferretdb-patches/0002; ranges and other fields are full scans
 * there). Missing ids are left out; the order of `ids` is kept.
 */
export async function findByIds<T>(model: Model<T>, ids: readonly string[]): Promise<T[]> {
  const out: T[] = [];
  for (let start = 0; start < ids.length; start += POINT_READ_CHUNK) {
    const chunk = ids.slice(start, start + POINT_READ_CHUNK);
    const docs = await Promise.all(chunk.map((id) => model.findById(id).lean<T>().exec()));
    for (const doc of docs) if (doc !== null) out.push(doc);
  }
  return out;
}
