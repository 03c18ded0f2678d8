import { useSyncExternalStore } from 'react';
import type { ConnectionSnapshot } from '../connection-store.js';
import { useClient } from './client-context.js';

/** The client's connection: state, time of the next attempt while reconnecting, failed attempts. */
export function useConnectionState(): ConnectionSnapshot {
  const store = useClient().connection();
  return useSyncExternalStore(store.subscribe, store.getSnapshot, store.getSnapshot);
}
