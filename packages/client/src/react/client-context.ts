import { createContext, createElement, useContext, type ReactNode } from 'react';
import type { Client } from '../client.js';

const ClientContext = createContext<Client | undefined>(undefined);

/** Makes `client` the one `useProject` and `useConnectionState` use below it. */
export function ClientProvider(props: { client: Client; children?: ReactNode }): ReactNode {
  return createElement(ClientContext.Provider, { value: props.client }, props.children);
}

/** The client of the nearest `ClientProvider`. */
export function useClient(): Client {
  const client = useContext(ClientContext);
  if (client === undefined) throw new Error('useClient() needs a <ClientProvider client={…}> above it');
  return client;
}
