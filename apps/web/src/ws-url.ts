/**
 * Where the page's WebSocket goes. The server that serves the built page writes the WebSocket port into
 * `<meta name="app-ws-port">` (host as the page's); without one (Vite's dev server) it is `/ws` of the page's
 * own origin, which Vite proxies to the backend.
 */
export function webSocketUrl(
  doc: Pick<Document, 'querySelector'>,
  location: Pick<Location, 'protocol' | 'host' | 'hostname'>,
): string {
  const port = doc.querySelector('meta[name="app-ws-port"]')?.getAttribute('content') ?? '';
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  if (/^\d+$/.test(port)) return `${scheme}//${location.hostname}:${port}/`;
  return `${scheme}//${location.host}/ws`;
}
