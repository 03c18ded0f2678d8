// A raw WebSocket client (the `ws` package, no project code) typed only by the models modelina generated
// from docs/asyncapi.json (generated/models.ts): subscribe, create a workspace, then its event and its ack.
import WebSocket from 'ws';
import type {
  ErrorFrame,
  Hello,
  Page,
  Socket,
  Subscribe,
  SubscribeReply,
  SubscribeReplyDataSnapshot,
  WorkspaceCreate,
  WorkspaceCreateReply,
  WorkspaceCreated,
} from './generated/models.js';

/** What the server may send on this flow: `Socket` is the union of every event. */
type ServerFrame = Hello | SubscribeReply | WorkspaceCreateReply | Page | ErrorFrame | Socket;

export interface WsFlowResult {
  hello: Hello;
  subscribed: SubscribeReplyDataSnapshot;
  event: WorkspaceCreated;
  ack: WorkspaceCreateReply;
  /** The order the two arrived in. */
  order: ('event' | 'ack')[];
}

/** Frames as they arrive, read one at a time. */
function frames(socket: WebSocket): () => Promise<ServerFrame> {
  const queue: ServerFrame[] = [];
  const waiting: ((frame: ServerFrame) => void)[] = [];
  socket.on('message', (data: WebSocket.RawData) => {
    const frame = JSON.parse(String(data)) as ServerFrame;
    const next = waiting.shift();
    if (next === undefined) queue.push(frame);
    else next(frame);
  });
  return () => {
    const frame = queue.shift();
    return frame === undefined ? new Promise<ServerFrame>((resolve) => waiting.push(resolve)) : Promise.resolve(frame);
  };
}

function send(socket: WebSocket, frame: Subscribe | WorkspaceCreate): void {
  socket.send(JSON.stringify(frame));
}

export async function wsFlow(url: string, projectId: string): Promise<WsFlowResult> {
  const socket = new WebSocket(url);
  const next = frames(socket);
  try {
    const hello = await next();
    if (hello.type !== 'hello') throw new Error(`expected hello, got ${hello.type}`);

    send(socket, { type: 'subscribe', id: 's1', data: { projectId } });
    let subscribed: SubscribeReplyDataSnapshot | undefined;
    while (subscribed === undefined) {
      const frame = await next();
      if (frame.type === 'error') throw new Error(`subscribe: ${frame.code} ${frame.message}`);
      if (frame.type === 'ack' && frame.id === 's1') {
        const data = (frame as SubscribeReply).data;
        if (!('snapshot' in data)) throw new Error('subscribe without sinceSeq answers a snapshot');
        subscribed = data;
      }
    }

    const create: WorkspaceCreate = {
      type: 'workspace.create',
      id: 'c1',
      data: { projectId, name: 'Typed by modelina', data: { prompt: 'a calm sea', tags: ['sea', 'calm'] } },
    };
    send(socket, create);
    const order: WsFlowResult['order'] = [];
    let event: WorkspaceCreated | undefined;
    let ack: WorkspaceCreateReply | undefined;
    while (event === undefined || ack === undefined) {
      const frame = await next();
      if (frame.type === 'error') throw new Error(`workspace.create: ${frame.code} ${frame.message}`);
      if (frame.type === 'workspace.created') {
        event = frame;
        order.push('event');
      } else if (frame.type === 'ack' && frame.id === 'c1') {
        ack = frame as WorkspaceCreateReply;
        order.push('ack');
      }
    }
    return { hello, subscribed, event, ack, order };
  } finally {
    socket.close();
  }
}
