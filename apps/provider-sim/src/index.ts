export { startProviderSim, type ProviderSim, type ProviderSimOptions } from './sim-server.js';
export { runwayRoutes, type RunwaySimOptions } from './runway.js';
export { openAiRoutes, type OpenAiSimOptions } from './openai.js';
