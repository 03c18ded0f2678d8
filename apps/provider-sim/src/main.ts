import { startProviderSim } from './sim-server.js';

// Starts the simulated providers on PROVIDER_SIM_PORT (0 or unset: a free port) and prints one line with the URL.
const raw = process.env['PROVIDER_SIM_PORT'] ?? '0';
const port = Number(raw);
if (!Number.isInteger(port) || port < 0 || port > 65_535) {
  process.stderr.write(`PROVIDER_SIM_PORT: must be a port number (0-65535)\n`);
  process.exit(1);
}
const stepMs =
  process.env['PROVIDER_SIM_STEP_MS'] === undefined ? undefined : Number(process.env['PROVIDER_SIM_STEP_MS']);
const sim = await startProviderSim({
  port,
  host: process.env['PROVIDER_SIM_HOST'] ?? '127.0.0.1',
  runway: stepMs !== undefined && Number.isFinite(stepMs) && stepMs > 0 ? { stepMs } : {},
});
process.stdout.write(`provider simulator listening on ${sim.url}\n`);
const stop = (): void => {
  sim.close().then(
    () => process.exit(0),
    () => process.exit(1),
  );
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
