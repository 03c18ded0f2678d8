import mongoose, { type Connection } from 'mongoose';

/** How often the driver checks the server (mongoose reports it disconnected after two missed checks). */
export const DB_HEARTBEAT_MS = 1_000;

export interface ConnectOptions {
  uri: string;
  dbName: string;
  /** How long one operation may wait for a server before failing with UNAVAILABLE. */
  timeoutMs: number;
}

/**
 * Opens a dedicated mongoose connection. Commands are never buffered: while the database is down,
 * operations fail fast (UNAVAILABLE) instead of queueing in memory.
 */
export async function connectDatabase(options: ConnectOptions): Promise<Connection> {
  const connection = mongoose.createConnection(options.uri, {
    dbName: options.dbName,
    bufferCommands: false,
    autoIndex: false,
    autoCreate: false,
    serverSelectionTimeoutMS: options.timeoutMs,
    connectTimeoutMS: options.timeoutMs,
    heartbeatFrequencyMS: DB_HEARTBEAT_MS,
    maxPoolSize: 20,
    writeConcern: { w: 'majority', j: true },
  });
  connection.on('error', () => {
    // Connectivity is reported through readyState and per-operation errors; never crash on this event.
  });
  await connection.asPromise();
  return connection;
}
