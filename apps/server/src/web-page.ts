import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import express, { type Router } from 'express';
import { pageSecurityHeaders } from '@app/api';

export interface WebPageOptions {
  /** The built page (apps/web/dist): index.html and assets/. */
  distDir: string;
  /** The WebSocket port the page connects to, on the host it was loaded from. */
  wsPort: number;
}

/**
 * Serves the built web app: `/` is index.html with the WebSocket port written into it (the page cannot
 * know WS_PORT otherwise), `/assets/` are Vite's content-hashed files, cached for good.
 * Returns undefined when the page is not built.
 */
export function webPage(options: WebPageOptions): Router | undefined {
  const indexFile = join(options.distDir, 'index.html');
  if (!existsSync(indexFile)) return undefined;
  const html = readFileSync(indexFile, 'utf8').replace(
    /<meta name="app-ws-port" content="[^"]*"/,
    `<meta name="app-ws-port" content="${options.wsPort}"`,
  );
  const router = express.Router();
  // The page runs under a Content-Security-Policy: its own scripts, styles and WebSocket only, never framed.
  const headers = pageSecurityHeaders({ wsPort: options.wsPort });
  router.get(['/', '/index.html'], headers, (_req, res) => {
    res.set({ 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-cache' }).send(html);
  });
  router.use(
    '/assets',
    headers,
    express.static(join(options.distDir, 'assets'), { immutable: true, maxAge: '1y', index: false }),
  );
  return router;
}
