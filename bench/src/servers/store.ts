// The in-memory state both baselines keep so their acks and events look like ours: a workspace
// object per id and a counter per project. No validation and no storage beyond these two maps.
import { randomUUID } from 'node:crypto';

export interface BaselineWorkspace {
  id: string;
  projectId: string;
  name: string;
  position: number;
  version: number;
  data: Record<string, unknown>;
  createdAt: string;
  updatedAt: string;
}

export interface BaselineEvent {
  type: 'workspace.created' | 'workspace.updated';
  projectId: string;
  seq: number;
  data: { workspace: BaselineWorkspace };
}

/** Request data as a client sends it; the baselines trust it (no validation). */
export interface RequestData {
  projectId: string;
  name: string;
  id: string;
  data?: Record<string, unknown>;
  patch?: { name?: string; data?: Record<string, unknown> };
}

export class BaselineStore {
  private readonly workspaces = new Map<string, BaselineWorkspace>();
  private readonly seqs = new Map<string, number>();

  seqOf(projectId: string): number {
    return this.seqs.get(projectId) ?? 0;
  }

  snapshot(projectId: string): BaselineWorkspace[] {
    return [...this.workspaces.values()].filter((workspace) => workspace.projectId === projectId);
  }

  create(data: { projectId: string; name: string; data?: Record<string, unknown> }): BaselineEvent {
    const now = new Date().toISOString();
    const workspace: BaselineWorkspace = {
      id: randomUUID(),
      projectId: data.projectId,
      name: data.name,
      position: this.snapshot(data.projectId).length,
      version: 1,
      data: data.data ?? {},
      createdAt: now,
      updatedAt: now,
    };
    this.workspaces.set(workspace.id, workspace);
    return this.event('workspace.created', workspace);
  }

  /** Undefined when the workspace is unknown. */
  update(data: { id: string; patch?: { name?: string; data?: Record<string, unknown> } }): BaselineEvent | undefined {
    const current = this.workspaces.get(data.id);
    if (current === undefined) return undefined;
    const workspace: BaselineWorkspace = {
      ...current,
      name: data.patch?.name ?? current.name,
      data: data.patch?.data ?? current.data,
      version: current.version + 1,
      updatedAt: new Date().toISOString(),
    };
    this.workspaces.set(workspace.id, workspace);
    return this.event('workspace.updated', workspace);
  }

  private event(type: BaselineEvent['type'], workspace: BaselineWorkspace): BaselineEvent {
    const seq = this.seqOf(workspace.projectId) + 1;
    this.seqs.set(workspace.projectId, seq);
    return { type, projectId: workspace.projectId, seq, data: { workspace } };
  }
}

/** Port from PORT (0: any), always on loopback. */
export function listenOptions(): { port: number; host: string } {
  return { port: Number(process.env['PORT'] ?? 0), host: '127.0.0.1' };
}
