import type { AckData } from '@app/protocol';
import type { Handler } from './types.js';

/**
 * Joins the project's room first (live events are held from here), then answers with a snapshot or
 * the replay of stored events after `sinceSeq` (streamed from the log at the pace the peer reads,
 * outside the project's queue); live delivery starts after the ack went out.
 */
export const subscribe: Handler<'subscribe'> = async (data, ctx) => {
  const { session, service } = ctx;
  const subscription = session.subscribe(data.projectId);
  try {
    let ack: AckData<'subscribe'>;
    if (data.sinceSeq === undefined) {
      const snapshot = await service.snapshot(data.projectId, ctx.mutation);
      ack = { epoch: snapshot.epoch, seq: snapshot.seq, snapshot: snapshot.workspaces };
    } else {
      const replay = await service.replay(data.projectId, data.sinceSeq, data.epoch, ctx.mutation);
      if (replay.resync === true) {
        ack = replay;
      } else {
        await subscription.catchUp(data.sinceSeq, replay.seq);
        ack = { epoch: replay.epoch, seq: replay.seq, replayed: replay.seq - data.sinceSeq };
      }
    }
    ctx.afterReply(() => subscription.start(ack.seq));
    return ack;
  } catch (error) {
    session.unsubscribe(data.projectId, subscription);
    throw error;
  }
};
