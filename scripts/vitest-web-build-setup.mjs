// Vitest global setup: builds apps/web/dist once, before test files start `pnpm start` (which would
// otherwise build it from several processes at once) or load the page in a browser.
import { ensureWebBuilt } from './build-web.mjs';

export default function setup() {
  ensureWebBuilt({ log: () => {} });
}
