import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { openAiRoutes, type OpenAiSimOptions } from './openai.js';
import { runwayRoutes, type RunwaySimOptions } from './runway.js';

export interface ProviderSimOptions {
  host?: string;
  /** 0 (the default): a free port. */
  port?: number;
  runway?: RunwaySimOptions;
  openai?: OpenAiSimOptions;
}

export interface ProviderSim {
  /** `http://host:port` of the simulator. */
  readonly url: string;
  /** The `baseURL` for `@runwayml/sdk` (RUNWAYML_BASE_URL). */
  readonly runwayBaseUrl: string;
  /** The `baseURL` for the `openai` SDK (OPENAI_BASE_URL). */
  readonly openaiBaseUrl: string;
  close(): Promise<void>;
}

/** Starts both simulated providers on one loopback HTTP server. */
export async function startProviderSim(options: ProviderSimOptions = {}): Promise<ProviderSim> {
  const app = express();
  app.disable('x-powered-by');
  app.use('/runway', runwayRoutes(options.runway));
  app.use('/openai/v1', openAiRoutes(options.openai));
  const server = createServer(app);
  server.listen(options.port ?? 0, options.host ?? '127.0.0.1');
  await once(server, 'listening');
  const { address, port } = server.address() as AddressInfo;
  const url = `http://${address.includes(':') ? `[${address}]` : address}:${port}`;
  return {
    url,
    runwayBaseUrl: `${url}/runway`,
    openaiBaseUrl: `${url}/openai/v1`,
    close: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
  };
}
