import { createClient } from '@app/client';
import { ClientProvider } from '@app/client/react';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './app.js';
import { webSocketUrl } from './ws-url.js';
import './styles.css';

// A person watches the badge's countdown: after a restart, retry within seconds rather than the default 30 s.
const client = createClient({ url: webSocketUrl(document, location), reconnect: { maxDelayMs: 5_000 } });
const root = document.getElementById('root');
if (root === null) throw new Error('index.html has no #root element');
createRoot(root).render(
  <StrictMode>
    <ClientProvider client={client}>
      <App />
    </ClientProvider>
  </StrictMode>,
);
