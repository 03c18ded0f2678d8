import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startProviderSim, type ProviderSim } from '@app/provider-sim';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { startAppServer, type AppServer } from '../helpers/app-server.js';
import { card, launchChromium, openTab, screenshot, type Tab } from '../helpers/browser.js';

const mongodbUri = inject('mongodbUri');
const dbName = `web_video_${process.pid}`;
/** The simulated task: PENDING, then RUNNING in this many steps of this length (progress 0 to 1), SUCCEEDED. */
const SIM_STEP_MS = 400;
const SIM_RUNNING_STEPS = 5;
/** Generous for a loaded machine: the simulated task itself takes a few steps. */
const VIDEO_DONE_MS = 30_000;

let browser: Browser;
let sim: ProviderSim;
let server: AppServer;
let videoDir: string;
const tabs: Tab[] = [];

beforeAll(async () => {
  videoDir = mkdtempSync(join(tmpdir(), 'web-videos-'));
  sim = await startProviderSim({ runway: { stepMs: SIM_STEP_MS, runningSteps: SIM_RUNNING_STEPS } });
  [browser, server] = await Promise.all([
    launchChromium(),
    startAppServer({
      mongodbUri,
      dbName,
      env: {
        // The pipeline runs against the simulator this test started (as `pnpm start` does without keys).
        RUNWAYML_API_SECRET: 'key_test',
        RUNWAYML_BASE_URL: sim.runwayBaseUrl,
        // Poll often and send every progress step, so the bar moves within the simulator's short steps.
        VIDEO_POLL_MS: '100',
        VIDEO_STATUS_INTERVAL_MS: '0',
        VIDEO_STORAGE_DIR: videoDir,
      },
    }),
  ]);
});
afterEach(async () => {
  const opened = tabs.splice(0);
  for (const tab of opened) expect(tab.errors, 'console errors in the page').toEqual([]);
  await Promise.all(opened.map((tab) => tab.context.close()));
});
afterAll(async () => {
  await browser?.close();
  await server?.stop();
  await sim?.close();
  if (videoDir !== undefined) rmSync(videoDir, { recursive: true, force: true });
});

async function open(projectId: string): Promise<Tab> {
  const tab = await openTab(browser, `${server.httpUrl}?project=${projectId}`);
  tabs.push(tab);
  await tab.page.locator('.badge[data-state="live"]').waitFor();
  return tab;
}

/** Records every value the page's progress bars take (attribute changes and bars added), in order. */
async function recordProgress(page: Page): Promise<void> {
  await page.evaluate(() => {
    const seen: number[] = [];
    (window as unknown as { progressSeen: number[] }).progressSeen = seen;
    const note = (element: Element): void => {
      const value = element.getAttribute('value');
      if (value !== null) seen.push(Number(value));
    };
    new MutationObserver((mutations) => {
      for (const mutation of mutations) {
        if (mutation.type === 'attributes' && mutation.target instanceof HTMLProgressElement) note(mutation.target);
        for (const node of mutation.addedNodes) {
          if (node instanceof Element) node.querySelectorAll('progress').forEach(note);
        }
      }
    }).observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ['value'] });
  });
}

function progressSeen(page: Page): Promise<number[]> {
  return page.evaluate(() => (window as unknown as { progressSeen: number[] }).progressSeen);
}

/** The finished video of a card: how far it loaded (HTMLMediaElement.readyState) and whether it plays. */
function videoState(page: Page, name: string): Promise<{ readyState: number; paused: boolean; currentTime: number }> {
  return card(page, name)
    .locator('video')
    .evaluate((video: HTMLVideoElement) => ({
      readyState: video.readyState,
      paused: video.paused,
      currentTime: video.currentTime,
    }));
}

describe('videos on the project page in Chromium, two tabs on one project', () => {
  it("a generated video's progress advances in both tabs and the finished video plays in both", async () => {
    const a = await open('video');
    const b = await open('video');
    await a.page.getByLabel('New workspace').fill('Fox');
    await a.page.getByLabel('New workspace').press('Enter');
    const prompt = card(a.page, 'Fox').getByLabel('Prompt', { exact: true });
    await prompt.fill('a red fox running through snow at dawn');
    await prompt.press('Control+Enter');
    await vi.waitFor(
      async () =>
        expect(await card(b.page, 'Fox').getByLabel('Prompt', { exact: true }).inputValue()).toBe(
          'a red fox running through snow at dawn',
        ),
      { timeout: 5_000 },
    );
    await Promise.all([recordProgress(a.page), recordProgress(b.page)]);

    await card(a.page, 'Fox').getByRole('button', { name: 'Generate video' }).click();
    await card(b.page, 'Fox').locator('progress').waitFor();
    await screenshot(b.page, 'video', '01-progress-in-the-other-tab');

    for (const tab of [a, b]) {
      await vi.waitFor(
        async () => {
          const state = await videoState(tab.page, 'Fox');
          expect(state.readyState).toBeGreaterThanOrEqual(2); // HAVE_CURRENT_DATA: a frame can be shown
          expect(state.paused).toBe(false);
        },
        { timeout: VIDEO_DONE_MS, interval: 200 },
      );
    }
    await expect.poll(() => card(a.page, 'Fox').getByRole('status').textContent()).toBe('Video ready');
    // It plays from a signed link: no token in the URL.
    expect(await card(a.page, 'Fox').locator('video').getAttribute('src')).toMatch(
      /^\/videos\/[\w-]+\.mp4\?expires=\d+&signature=[\w-]+$/,
    );
    for (const tab of [a, b]) {
      const seen = await progressSeen(tab.page);
      // The bar moved forward: more than one value, never backwards, and it got past the start.
      expect(new Set(seen).size, `progress values seen: ${seen.join(', ')}`).toBeGreaterThanOrEqual(2);
      expect(seen).toEqual([...seen].sort((x, y) => x - y));
      expect(Math.max(...seen)).toBeGreaterThan(Math.min(...seen));
    }
    await screenshot(a.page, 'video', '02-playing');
    await screenshot(b.page, 'video', '03-playing-in-the-other-tab');
  });

  it('offers model, length and ratio per model from the catalogue, counts the prompt and names the limit when refused', async () => {
    const a = await open('video-rules');
    await a.page.getByLabel('New workspace').fill('Rules');
    await a.page.getByLabel('New workspace').press('Enter');
    const fox = card(a.page, 'Rules');
    const options = (label: string) =>
      fox
        .getByLabel(label)
        .locator('option')
        .evaluateAll((all) => all.map((o) => (o as HTMLOptionElement).value));
    expect(await options('Model')).toEqual(['gen4.5', 'veo3.1', 'veo3.1_fast']);
    expect(await options('Length')).toEqual(['2', '3', '4', '5', '6', '7', '8', '9', '10']);
    expect(await options('Aspect ratio')).toEqual(['1280:720', '720:1280']);
    // Veo takes 4, 6 or 8 s and four ratios; the length follows to Veo's default.
    await fox.getByLabel('Model').selectOption('veo3.1');
    await expect.poll(() => options('Length')).toEqual(['4', '6', '8']);
    expect(await options('Aspect ratio')).toEqual(['1280:720', '720:1280', '1080:1920', '1920:1080']);
    expect(await fox.getByLabel('Length').inputValue()).toBe('8');

    const prompt = fox.getByLabel('Prompt', { exact: true });
    await prompt.fill('a fox');
    await expect.poll(() => fox.locator('.prompt-count').textContent()).toBe('5 / 1000 characters');
    await prompt.fill('x'.repeat(1001));
    await prompt.press('Control+Enter');
    await expect
      .poll(() => fox.locator('.prompt-count').textContent())
      .toBe('1001 characters: too long, Veo 3.1 takes at most 1000');
    await fox.getByRole('button', { name: 'Generate video' }).click();
    await expect
      .poll(() => fox.getByRole('alert').textContent())
      .toBe('The video was not started: Prompt is 1001 characters; veo3.1 takes at most 1000.');
    await screenshot(a.page, 'video', '04-prompt-too-long');
  });
});
