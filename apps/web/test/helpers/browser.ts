import { mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Locator, type Page } from 'playwright-core';

/** Debian's Chromium (`.ci/run` installs it): Playwright's own browser download cannot work on these machines. */
export const CHROMIUM_PATH = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';

/** Screenshots of each step: git-ignored test artefacts. */
export const ARTIFACTS_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../../test-artifacts');

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    // Nothing in the background that talks to the network or logs on its own.
    args: [
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-quic',
      '--no-first-run',
      '--disable-dev-shm-usage',
    ],
  });
}

/** A page that records every console error, uncaught exception and CSP violation, for `expect(tab.errors).toEqual([])`. */
export interface Tab {
  readonly page: Page;
  readonly context: BrowserContext;
  readonly errors: string[];
}

export async function openTab(
  browser: Browser,
  url: string,
  viewport: { width: number; height: number } = { width: 1280, height: 800 },
): Promise<Tab> {
  const context = await browser.newContext({ viewport });
  context.setDefaultTimeout(10_000); // a clear failure before the test's own timeout
  // Every Content-Security-Policy violation becomes a console error, so `tab.errors` catches it too.
  await context.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (event) =>
      console.error(`CSP violation: ${event.effectiveDirective} blocked ${event.blockedURI || 'inline'}`),
    );
  });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(`console: ${message.text()}`);
  });
  page.on('pageerror', (error) => errors.push(`pageerror: ${error.message}`));
  await page.goto(url);
  return { page, context, errors };
}

/** Saves a full-page screenshot as `<test>/<step>.png` under test-artifacts/. */
export async function screenshot(page: Page, test: string, step: string): Promise<void> {
  const dir = join(ARTIFACTS_DIR, test);
  mkdirSync(dir, { recursive: true });
  await page.screenshot({ path: join(dir, `${step}.png`), fullPage: true });
}

/** The names on the board, in order (as the inputs show them). */
export function boardNames(page: Page): Promise<string[]> {
  return page.locator('.board .card .name').evaluateAll((inputs) => inputs.map((i) => (i as HTMLInputElement).value));
}

/** The badge's state: connecting, live, reconnecting, offline. */
export function badgeState(page: Page): Promise<string | null> {
  return page.locator('.badge').getAttribute('data-state');
}

/** The card of a workspace, found by the name its store holds (not a draft being typed). */
export function card(page: Page, name: string): Locator {
  const exact = new RegExp(`^${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`);
  return page.locator('.board .card').filter({ has: page.locator('.position > .visually-hidden', { hasText: exact }) });
}
