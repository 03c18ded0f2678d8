import type { z } from 'zod';
import { ping } from './ping.js';
import { promptEnhance } from './prompt-enhance.js';
import { subscribe } from './subscribe.js';
import { unsubscribe } from './unsubscribe.js';
import { workspaceCreate } from './workspace-create.js';
import { workspaceDelete } from './workspace-delete.js';
import { workspaceList } from './workspace-list.js';
import { workspaceReorder } from './workspace-reorder.js';
import { videoCancel } from './video-cancel.js';
import { videoGenerate } from './video-generate.js';
import { MAX_VIDEO_LIST_LENGTH, videoList } from './video-list.js';
import { workspaceUpdate } from './workspace-update.js';

export {
  ping,
  promptEnhance,
  subscribe,
  unsubscribe,
  workspaceCreate,
  workspaceDelete,
  workspaceList,
  workspaceReorder,
  workspaceUpdate,
};
export { videoGenerate, videoCancel, videoList, MAX_VIDEO_LIST_LENGTH };
export * from './events.js';
export * from './server-frames.js';

/** Every request type: the one table both server and client use. Adding a type touches one file and this list. */
export const REQUESTS = {
  'workspace.create': workspaceCreate,
  'workspace.update': workspaceUpdate,
  'workspace.delete': workspaceDelete,
  'workspace.reorder': workspaceReorder,
  'workspace.list': workspaceList,
  'prompt.enhance': promptEnhance,
  'video.generate': videoGenerate,
  'video.cancel': videoCancel,
  'video.list': videoList,
  subscribe,
  unsubscribe,
  ping,
} as const;

export type RequestType = keyof typeof REQUESTS;
export const REQUEST_TYPES = Object.keys(REQUESTS) as RequestType[];

export { MUTATION_TYPES, type MutationType } from './mutation-types.js';

/** What the caller sends as `data` for a request type. */
export type RequestData<TType extends RequestType> = z.input<(typeof REQUESTS)[TType]['data']>;
/** `data` of a request after validation. */
export type ParsedRequestData<TType extends RequestType> = z.output<(typeof REQUESTS)[TType]['data']>;
/** What the ack (or, for `ping`, the pong) carries as `data`. */
export type AckData<TType extends RequestType> = z.output<(typeof REQUESTS)[TType]['ack']>;

export function isRequestType(type: string): type is RequestType {
  return Object.hasOwn(REQUESTS, type);
}
