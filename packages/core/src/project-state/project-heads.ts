import { createHash } from 'node:crypto';
import { ProtocolError } from '@app/protocol';
import { isDuplicateKey } from '../db/errors.js';
import { databaseEpoch, type Models } from '../db/models.js';

/**
 * The head of each project's log: created (with the log's epoch) before the project's first event,
 * never by a read or a refused write. Until then a read reports the epoch the head will be created with.
 */
export class ProjectHeads {
  /** The database's epoch, read once (see `MetaDoc`). */
  private databaseEpoch: Promise<string> | undefined;

  constructor(private readonly models: Models) {}

  /**
   * The epoch a read reports: the log's; for a project without a log yet, the epoch its log will be
   * created with (derived from the database's epoch), so a subscriber from before its first event
   * resumes in it, while a new database gives the project another one.
   */
  async epochOf(projectId: string, state: { epoch: string | undefined }): Promise<string> {
    return state.epoch ?? this.epochForNewHead(projectId);
  }

  /** Creates the project's head (and its epoch) if it has none; returns the epoch of the head there is. */
  async createProjectHead(projectId: string): Promise<string> {
    const { Project } = this.models;
    const epoch = await this.epochForNewHead(projectId);
    try {
      await Project.collection.updateOne(
        { _id: projectId as never },
        { $setOnInsert: { epoch, seq: 0, order: [], lastSeqs: {}, createdAt: new Date() } },
        { upsert: true },
      );
    } catch (error) {
      if (!isDuplicateKey(error)) throw error;
    }
    const project = await Project.findById(projectId).lean().exec();
    if (project === null) throw new ProtocolError('INTERNAL', 'Internal error');
    return project.epoch;
  }

  /** A UUID-shaped epoch derived from the database's epoch and the project id. */
  private async epochForNewHead(projectId: string): Promise<string> {
    this.databaseEpoch ??= databaseEpoch(this.models).catch((error: unknown) => {
      this.databaseEpoch = undefined;
      throw error;
    });
    const hex = createHash('sha256')
      .update(`${await this.databaseEpoch}\u0000${projectId}`)
      .digest('hex');
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
  }
}
