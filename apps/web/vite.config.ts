import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// The backend `pnpm start` runs: HTTP API and WebSocket server (README: PORT and WS_PORT).
const apiTarget = `http://127.0.0.1:${process.env['PORT'] ?? '3000'}`;
const wsTarget = `ws://127.0.0.1:${process.env['WS_PORT'] ?? '3001'}`;

export default defineConfig({
  plugins: [react()],
  // Workspace packages are bundled from their TypeScript sources: no build of @app/client needed first.
  resolve: { conditions: ['@app/source', 'module', 'browser', 'development|production'] },
  server: {
    host: '127.0.0.1',
    port: 5173,
    // The page opens its WebSocket on /ws of its own origin when no port is given (see src/ws-url.ts).
    // The backend without authentication takes requests only for its own names (Host) and WebSockets only
    // from its own page (Origin): the proxy names the backend, and speaks for the page it serves.
    proxy: {
      '/ws': {
        target: wsTarget,
        ws: true,
        changeOrigin: true,
        rewrite: () => '/',
        configure: (proxy) => proxy.on('proxyReqWs', (request) => request.setHeader('origin', apiTarget)),
      },
      '/api': { target: apiTarget, changeOrigin: true },
      // Finished videos (GET /videos/<jobId>.mp4) come from the API's storage.
      '/videos': { target: apiTarget, changeOrigin: true },
    },
  },
  build: { outDir: 'dist', sourcemap: true },
});
