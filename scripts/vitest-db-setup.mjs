// vitest globalSetup shared by every package whose tests need the database.
// Uses MONGODB_URI when set (the root test command sets it once for all packages),
// otherwise starts the embedded server for this run and stops it afterwards.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDatabase } from './embedded-db.mjs';

export default async function setup(project) {
  let dataDir;
  if (!process.env.MONGODB_URI) dataDir = mkdtempSync(join(tmpdir(), 'app-test-db-'));
  const db = await startDatabase({ dataDir });
  project.provide('mongodbUri', db.uri);
  return async () => {
    await db.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  };
}
