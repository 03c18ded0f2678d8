import { createClient } from '@app/client';
import { ClientProvider } from '@app/client/react';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './app.js';
import { webSocketUrl } from './ws-url.js';
import './styles.css';

const client = createClient({ url: webSocketUrl(document, location) });
const root = document.getElementById('root');
if (root === null) throw new Error('index.html has no #root element');
createRoot(root).render(
  <StrictMode>
    <ClientProvider client={client}>
      <App />
    </ClientProvider>
  </StrictMode>,
);
