import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
// @ts-expect-error plain ES module without types
import { freePort } from '../../../../scripts/embedded-db.mjs';
import { startAppServer, type AppServer } from '../helpers/app-server.js';
import { boardNames, launchChromium, openTab, screenshot, type Tab } from '../helpers/browser.js';

const mongodbUri = inject('mongodbUri');
const dbName = `web_restart_${process.pid}`;
const projectId = 'restart';

let browser: Browser;
const servers: AppServer[] = [];
const tabs: Tab[] = [];

beforeAll(async () => {
  browser = await launchChromium();
});
afterAll(async () => {
  await Promise.all(tabs.map((tab) => tab.context.close()));
  await browser?.close();
  await Promise.all(servers.map((server) => server.kill()));
});

async function start(ports: { httpPort: number; wsPort: number }): Promise<AppServer> {
  const server = await startAppServer({ mongodbUri, dbName, ...ports });
  servers.push(server);
  return server;
}

interface StoredWorkspace {
  name: string;
  version: number;
  data: { prompt?: string };
}

async function stored(server: AppServer): Promise<StoredWorkspace[]> {
  const response = await fetch(`${server.httpUrl}api/projects/${projectId}/workspaces`);
  return ((await response.json()) as { workspaces: StoredWorkspace[] }).workspaces;
}

/** Every state the badge shows from now on, recorded in the page as it changes (none is missed by polling). */
async function recordBadge(tab: Tab): Promise<void> {
  await tab.page.evaluate(() => {
    const history: string[] = [];
    (window as unknown as { badgeHistory: string[] }).badgeHistory = history;
    const badge = document.querySelector('.badge')!;
    new MutationObserver(() => {
      const state = badge.getAttribute('data-state') ?? '';
      if (history.at(-1) !== state) history.push(state);
    }).observe(badge, { attributes: true, attributeFilter: ['data-state'] });
  });
}

const badgeHistory = (tab: Tab): Promise<string[]> =>
  tab.page.evaluate(() => (window as unknown as { badgeHistory: string[] }).badgeHistory);

describe('the project page across a server restart', () => {
  it('shows reconnecting then live, and what was typed meanwhile is applied once and in order', async () => {
    const ports = { httpPort: (await freePort()) as number, wsPort: (await freePort()) as number };
    let server = await start(ports);
    const tab = await openTab(browser, `${server.httpUrl}?project=${projectId}`);
    tabs.push(tab);
    const { page } = tab;
    await page.locator('.badge[data-state="live"]').waitFor();
    await page.getByLabel('New workspace').fill('Take');
    await page.getByLabel('New workspace').press('Enter');
    await vi.waitFor(async () => expect(await stored(server)).toMatchObject([{ name: 'Take', version: 1 }]));
    await vi.waitFor(async () => expect(await page.locator('.card-pending').count()).toBe(0));
    await recordBadge(tab);

    // SIGTERM: a graceful shutdown closes the page's connection with 1001.
    expect(await server.stop()).toBe(0);
    await page.locator('.badge[data-state="reconnecting"], .badge[data-state="offline"]').waitFor();
    await screenshot(page, 'restart', '01-server-gone');

    // Typed while the server is away: four saves, shown at once and queued.
    const name = page.locator('.board .card').first().getByLabel('Name');
    for (const text of ['Take 1', 'Take 2', 'Take 3']) {
      await name.fill(text);
      await name.press('Enter');
    }
    const prompt = page.locator('.board .card').first().getByLabel('Prompt');
    await prompt.fill('a slow pan across the bay');
    await prompt.blur();
    expect(await boardNames(page)).toEqual(['Take 3']);
    await vi.waitFor(async () => expect(await page.locator('.badge').textContent()).toContain('4 changes queued'));
    await screenshot(page, 'restart', '02-typed-while-away');

    server = await start(ports);
    await page.locator('.badge[data-state="live"]').waitFor({ timeout: 15_000 });
    await vi.waitFor(async () => expect(await page.locator('.card-pending').count()).toBe(0));
    await screenshot(page, 'restart', '03-live-again');
    const history = await badgeHistory(tab);
    expect(history[0]).toBe('reconnecting');
    expect(history.at(-1)).toBe('live');

    // Applied once and in order (the last name and the prompt won): the first save, then the three typed after
    // it, which waited for its ack and went as one update (version 1 + 2 updates).
    expect(await stored(server)).toMatchObject([
      { name: 'Take 3', version: 3, data: { prompt: 'a slow pan across the bay' } },
    ]);
    const other = await openTab(browser, `${server.httpUrl}?project=${projectId}`);
    tabs.push(other);
    await vi.waitFor(async () => expect(await boardNames(other.page)).toEqual(['Take 3']));
    expect(await other.page.locator('.card').first().getByLabel('Prompt').inputValue()).toBe(
      'a slow pan across the bay',
    );

    expect(other.errors).toEqual([]);
    // While the server was away each failed attempt is a network error the browser logs on its own
    // ("WebSocket connection to … failed"); the page itself logs nothing.
    expect(tab.errors.filter((e) => !/WebSocket connection to 'ws:\/\/127\.0\.0\.1:\d+\/' failed/.test(e))).toEqual([]);
  });
});
