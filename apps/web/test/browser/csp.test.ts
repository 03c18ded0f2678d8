import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { startAppServer, type AppServer } from '../helpers/app-server.js';
import { boardNames, launchChromium, openTab } from '../helpers/browser.js';

const mongodbUri = inject('mongodbUri');
const dbName = `web_csp_${process.pid}`;

let browser: Browser;
let server: AppServer;

beforeAll(async () => {
  [browser, server] = await Promise.all([launchChromium(), startAppServer({ mongodbUri, dbName })]);
});
afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

describe('the built page under its Content-Security-Policy', () => {
  it('is served with the policy and the hardening headers', async () => {
    const res = await fetch(server.httpUrl);
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("style-src 'self'");
    expect(csp).toContain(`connect-src 'self' ws://127.0.0.1:${server.wsPort}`);
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('unsafe-inline');
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    const asset = /src="(\/assets\/[^"]+\.js)"/.exec(await res.text())?.[1];
    expect((await fetch(new URL(asset!, server.httpUrl))).headers.get('x-content-type-options')).toBe('nosniff');
  });

  it('runs the board with no violation, and the policy blocks what it should (inline script, framing)', async () => {
    const tab = await openTab(browser, `${server.httpUrl}?project=csp`);
    try {
      await tab.page.locator('.badge[data-state="live"]').waitFor();
      await tab.page.getByLabel('New workspace').fill('Under policy');
      await tab.page.getByLabel('New workspace').press('Enter');
      await vi.waitFor(async () => expect(await boardNames(tab.page)).toEqual(['Under policy']));
      expect(tab.errors, 'console errors or CSP violations in the page').toEqual([]);

      // The listener works: an injected inline script is blocked, and reported as a violation.
      const ran = await tab.page.evaluate(() => {
        const script = document.createElement('script');
        script.textContent = 'window.__injected = true';
        document.body.append(script); // an inline script runs at once, if it may run at all
        return (window as unknown as { __injected?: boolean }).__injected === true;
      });
      expect(ran).toBe(false);
      await vi.waitFor(() => expect(tab.errors.join('\n')).toMatch(/CSP violation: script-src-elem blocked inline/));
    } finally {
      await tab.context.close();
    }

    // Another origin cannot frame the board (frame-ancestors 'none'): the frame stays empty.
    const framer = await browser.newContext();
    try {
      const page = await framer.newPage();
      await page.route('http://framer.test/', (route) =>
        route.fulfill({ contentType: 'text/html', body: `<iframe src="${server.httpUrl}"></iframe>` }),
      );
      await page.goto('http://framer.test/');
      await vi.waitFor(() => expect(page.frames()).toHaveLength(2));
      // Chromium puts its error page in a frame whose document refused to be framed.
      await vi.waitFor(() => expect(page.frames()[1]!.url()).toMatch(/^chrome-error:/));
    } finally {
      await framer.close();
    }
  });
});
