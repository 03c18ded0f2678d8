import { describe, expectTypeOf, it } from 'vitest';
import type {
  AckData,
  JsonObject,
  RequestData,
  RequestType,
  ServerEvent,
  ServerEventOf,
  Workspace,
} from '../src/index.js';

describe('public types', () => {
  it('maps request types to their data and ack types', () => {
    type Update = RequestData<'workspace.update'>;
    expectTypeOf<Update['id']>().toEqualTypeOf<string>();
    expectTypeOf<Update['expectedVersion']>().toEqualTypeOf<number | undefined>();
    expectTypeOf<Update['patch']['name']>().toEqualTypeOf<string | undefined>();
    expectTypeOf<NonNullable<Update['patch']['data']>>().toEqualTypeOf<JsonObject>();
    expectTypeOf<{ id: 'w'; patch: { name: 'x' } }>().toExtend<Update>();
    expectTypeOf<{ id: 'w' }>().not.toExtend<Update>();
    expectTypeOf<AckData<'workspace.create'>>().toEqualTypeOf<{ workspace: Workspace }>();
    expectTypeOf<AckData<'ping'>>().toEqualTypeOf<{ ts: string }>();
    expectTypeOf<AckData<'prompt.enhance'>>().toEqualTypeOf<{ prompt: string; notes?: string | undefined }>();
    expectTypeOf<RequestData<'prompt.enhance'>>().toEqualTypeOf<{
      prompt: string;
      workspaceId?: string | undefined;
      style?: string | undefined;
    }>();
    expectTypeOf<RequestType>().toEqualTypeOf<
      | 'workspace.create'
      | 'workspace.update'
      | 'workspace.delete'
      | 'workspace.reorder'
      | 'workspace.list'
      | 'prompt.enhance'
      | 'video.generate'
      | 'video.cancel'
      | 'video.list'
      | 'subscribe'
      | 'unsubscribe'
      | 'ping'
    >();
  });

  it('discriminates events by type', () => {
    expectTypeOf<ServerEventOf<'workspace.deleted'>['data']>().toEqualTypeOf<{ id: string }>();
    expectTypeOf<ServerEvent['type']>().toEqualTypeOf<
      'workspace.created' | 'workspace.updated' | 'workspace.deleted' | 'workspace.reordered' | 'video.status_update'
    >();
  });
});
