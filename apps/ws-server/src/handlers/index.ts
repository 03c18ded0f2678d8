import type { HandlerTable } from './types.js';
import { ping } from './ping.js';
import { promptEnhance } from './prompt-enhance.js';
import { subscribe } from './subscribe.js';
import { unsubscribe } from './unsubscribe.js';
import { videoCancel, videoGenerate, videoList } from './video.js';
import { workspaceCreate, workspaceDelete, workspaceList, workspaceReorder, workspaceUpdate } from './workspace.js';

/** Request type -> handler. The `HandlerTable` type makes the compiler insist on one entry per request type. */
export const HANDLERS: HandlerTable = {
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
};
