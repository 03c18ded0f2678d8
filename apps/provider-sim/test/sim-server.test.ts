import { afterEach, expect, it } from 'vitest';
import { startProviderSim, type ProviderSim } from '../src/index.js';

let sim: ProviderSim | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

it('listens on a free loopback port and names both base URLs', async () => {
  sim = await startProviderSim();
  expect(sim.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  expect(sim.runwayBaseUrl).toBe(`${sim.url}/runway`);
  expect(sim.openaiBaseUrl).toBe(`${sim.url}/openai/v1`);
  expect((await fetch(`${sim.url}/nowhere`)).status).toBe(404);
});
