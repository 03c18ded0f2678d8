import type { Browser } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { startAppServer, type AppServer } from '../helpers/app-server.js';
import { badgeState, boardNames, card, launchChromium, openTab, screenshot, type Tab } from '../helpers/browser.js';

const mongodbUri = inject('mongodbUri');
const dbName = `web_board_${process.pid}`;
/** Another tab's change on the board (issue: "within a second"; generous here, the bench measures it). */
const SEEN_MS = 5_000;

let browser: Browser;
let server: AppServer;
const tabs: Tab[] = [];

beforeAll(async () => {
  [browser, server] = await Promise.all([launchChromium(), startAppServer({ mongodbUri, dbName })]);
});
afterEach(async () => {
  const opened = tabs.splice(0);
  for (const tab of opened) expect(tab.errors, 'console errors in the page').toEqual([]);
  await Promise.all(opened.map((tab) => tab.context.close()));
});
afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

async function open(projectId: string, viewport?: { width: number; height: number }): Promise<Tab> {
  const tab = await openTab(browser, `${server.httpUrl}?project=${projectId}`, viewport);
  tabs.push(tab);
  await tab.page.locator('.badge[data-state="live"]').waitFor();
  return tab;
}

async function add(tab: Tab, name: string): Promise<void> {
  await tab.page.getByLabel('New workspace').fill(name);
  await tab.page.getByLabel('New workspace').press('Enter');
}

async function rename(tab: Tab, from: string, to: string): Promise<void> {
  const input = card(tab.page, from).getByLabel('Name');
  await input.fill(to);
  await input.press('Enter');
}

describe('the project page in Chromium, two tabs on one project', () => {
  it('each tab sees the other’s create, rename, reorder (keyboard and drag) and delete', async () => {
    const a = await open('collab');
    const b = await open('collab');
    await screenshot(a.page, 'collab', '01-empty');

    await add(a, 'Intro');
    await vi.waitFor(async () => expect(await boardNames(b.page)).toEqual(['Intro']), { timeout: SEEN_MS });
    await add(b, 'Outro');
    await vi.waitFor(async () => expect(await boardNames(a.page)).toEqual(['Intro', 'Outro']), { timeout: SEEN_MS });
    await screenshot(b.page, 'collab', '02-created');

    await rename(b, 'Intro', 'Intro shot');
    await vi.waitFor(async () => expect(await boardNames(a.page)).toEqual(['Intro shot', 'Outro']), {
      timeout: SEEN_MS,
    });
    await screenshot(a.page, 'collab', '03-renamed');

    // Keyboard: the move handle of the first card, arrow down; focus stays on the moved card's handle.
    const handle = card(a.page, 'Intro shot').getByRole('button', { name: /^Move Intro shot/ });
    await handle.focus();
    await handle.press('ArrowDown');
    expect(await boardNames(a.page)).toEqual(['Outro', 'Intro shot']);
    await vi.waitFor(async () => expect(await boardNames(b.page)).toEqual(['Outro', 'Intro shot']), {
      timeout: SEEN_MS,
    });
    expect(await a.page.evaluate(() => document.activeElement?.getAttribute('aria-label'))).toMatch(
      /^Move Intro shot, position 2 of 2/,
    );
    await screenshot(b.page, 'collab', '04-reordered-by-keyboard');

    // Drag: b drags "Intro shot" onto the first card.
    await card(b.page, 'Intro shot')
      .getByRole('button', { name: /^Move Intro shot/ })
      .dragTo(card(b.page, 'Outro'));
    await vi.waitFor(async () => expect(await boardNames(a.page)).toEqual(['Intro shot', 'Outro']), {
      timeout: SEEN_MS,
    });
    await screenshot(a.page, 'collab', '05-reordered-by-drag');

    // Prompt and settings travel too.
    const prompt = card(a.page, 'Outro').getByLabel('Prompt');
    await prompt.fill('a red fox at dawn');
    await prompt.blur();
    await card(a.page, 'Outro').getByLabel('Aspect ratio').selectOption('720:1280');
    await vi.waitFor(
      async () => {
        expect(await card(b.page, 'Outro').getByLabel('Prompt').inputValue()).toBe('a red fox at dawn');
        expect(await card(b.page, 'Outro').getByLabel('Aspect ratio').inputValue()).toBe('720:1280');
      },
      { timeout: SEEN_MS },
    );

    await card(b.page, 'Intro shot').getByRole('button', { name: 'Delete Intro shot' }).click();
    await vi.waitFor(async () => expect(await boardNames(a.page)).toEqual(['Outro']), { timeout: SEEN_MS });
    await screenshot(a.page, 'collab', '06-deleted');
    // Every change confirmed: nothing left marked as saving.
    await vi.waitFor(async () => expect(await a.page.locator('.card-pending').count()).toBe(0));
  });

  it('a rename saved over someone else’s shows a conflict; "Overwrite with mine" wins, "Reload" keeps theirs', async () => {
    const a = await open('conflict');
    const b = await open('conflict');
    await add(a, 'Scene');
    await vi.waitFor(async () => expect(await boardNames(b.page)).toEqual(['Scene']), { timeout: SEEN_MS });

    // a starts typing; b saves a rename first; a's draft stays, and the store follows b.
    // The only card: found by position, as its name changes under the locator.
    const input = a.page.locator('.board .card').first().getByLabel('Name');
    await input.fill('Scene by A');
    await rename(b, 'Scene', 'Scene by B');
    await card(a.page, 'Scene by B').waitFor({ timeout: SEEN_MS });
    expect(await input.inputValue()).toBe('Scene by A');
    await input.press('Enter');

    const notice = a.page.locator('.notice[data-code="CONFLICT"]');
    await notice.waitFor({ timeout: SEEN_MS });
    expect(await notice.textContent()).toContain('Someone else changed it first.');
    expect(await boardNames(a.page)).toEqual(['Scene by B']); // rolled back to theirs
    await screenshot(a.page, 'conflict', '01-conflict');

    await notice.getByRole('button', { name: 'Overwrite with mine' }).click();
    await vi.waitFor(async () => expect(await boardNames(b.page)).toEqual(['Scene by A']), { timeout: SEEN_MS });
    expect(await notice.count()).toBe(0);
    await screenshot(b.page, 'conflict', '02-overwritten');

    // The other way: b's stale edit, then "Reload their version" drops it.
    const inputB = b.page.locator('.board .card').first().getByLabel('Name');
    await inputB.fill('Stale');
    await rename(a, 'Scene by A', 'Final');
    await card(b.page, 'Final').waitFor({ timeout: SEEN_MS });
    await inputB.press('Enter');
    const noticeB = b.page.locator('.notice[data-code="CONFLICT"]');
    await noticeB.getByRole('button', { name: 'Reload their version' }).click();
    expect(await noticeB.count()).toBe(0);
    expect(await boardNames(b.page)).toEqual(['Final']);
    expect(await boardNames(a.page)).toEqual(['Final']);
  });

  it('looks right at phone width: one column, nothing wider than the screen', async () => {
    const phone = await open('phone', { width: 390, height: 844 });
    await add(phone, 'A rather long name for a workspace on a small screen');
    await add(phone, 'Second');
    await vi.waitFor(async () => expect(await boardNames(phone.page)).toHaveLength(2));
    const widths = await phone.page.evaluate(() => ({
      page: document.documentElement.scrollWidth,
      card: document.querySelector('.card')!.getBoundingClientRect().width,
    }));
    expect(widths.page).toBeLessThanOrEqual(390);
    expect(widths.card).toBeGreaterThan(300);
    await screenshot(phone.page, 'phone', '01-board');
    expect(await badgeState(phone.page)).toBe('live');
  });
});
