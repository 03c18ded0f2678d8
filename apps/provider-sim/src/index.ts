export { startProviderSim, type ProviderSim, type ProviderSimOptions } from './sim-server.js';
export { runwayRoutes, RUNWAY_VERSION, type RunwaySimOptions, type RunwaySimStats } from './runway.js';
export { RUNWAY_SCENARIOS, scenarioOf, type RunwayScenario } from './runway-scenario.js';
export { OPENAI_SIM_MARKERS, OPENAI_SIM_MISSING_MODEL, openAiRoutes, type OpenAiSimOptions } from './openai.js';
