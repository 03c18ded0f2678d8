// `@app/client/react`: hooks over the client's stores. The only part of @app/client that imports React.
export { ClientProvider, useClient } from './client-context.js';
export { useProject } from './use-project.js';
export { useConnectionState } from './use-connection-state.js';
