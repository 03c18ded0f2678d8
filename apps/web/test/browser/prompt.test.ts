import { startProviderSim, type ProviderSim } from '@app/provider-sim';
import type { Browser } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { startAppServer, type AppServer } from '../helpers/app-server.js';
import { card, launchChromium, openTab, screenshot, type Tab } from '../helpers/browser.js';

const mongodbUri = inject('mongodbUri');
const dbName = `web_prompt_${process.pid}`;
/** Another tab's change on the board (generous here, the bench measures it). */
const SEEN_MS = 5_000;

let browser: Browser;
let sim: ProviderSim;
let server: AppServer;
const tabs: Tab[] = [];

beforeAll(async () => {
  // The prompt helper talks to the simulated OpenAI this test starts (as `pnpm start` does without a key).
  sim = await startProviderSim();
  [browser, server] = await Promise.all([
    launchChromium(),
    startAppServer({ mongodbUri, dbName, env: { OPENAI_API_KEY: 'sk-test', OPENAI_BASE_URL: sim.openaiBaseUrl } }),
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
});

async function open(projectId: string): Promise<Tab> {
  const tab = await openTab(browser, `${server.httpUrl}?project=${projectId}`);
  tabs.push(tab);
  await tab.page.locator('.badge[data-state="live"]').waitFor();
  return tab;
}

async function addWithPrompt(tab: Tab, name: string, prompt: string): Promise<void> {
  await tab.page.getByLabel('New workspace').fill(name);
  await tab.page.getByLabel('New workspace').press('Enter');
  const field = card(tab.page, name).getByLabel('Prompt', { exact: true });
  await field.fill(prompt);
  await field.press('Control+Enter');
}

describe('"Enhance prompt" in Chromium, two tabs on one project', () => {
  it('offers a better prompt; "Use this prompt" saves it and the other tab sees it', async () => {
    const a = await open('enhance');
    const b = await open('enhance');
    await addWithPrompt(a, 'Fox', 'a red fox at dawn');
    const promptOfB = card(b.page, 'Fox').getByLabel('Prompt', { exact: true });
    await vi.waitFor(async () => expect(await promptOfB.inputValue()).toBe('a red fox at dawn'), { timeout: SEEN_MS });

    await card(a.page, 'Fox').getByRole('button', { name: 'Enhance prompt' }).click();
    const suggestion = card(a.page, 'Fox').getByRole('region', { name: 'Suggested prompt' });
    // The simulated model keeps the text and adds to it.
    const suggested = (await suggestion.locator('blockquote').textContent()) ?? '';
    expect(suggested).toMatch(/^a red fox at dawn, \S/);
    // Nothing is saved until it is accepted.
    expect(await card(a.page, 'Fox').getByLabel('Prompt', { exact: true }).inputValue()).toBe('a red fox at dawn');
    await screenshot(a.page, 'enhance', '01-suggested');

    await suggestion.getByRole('button', { name: 'Use this prompt' }).click();
    expect(await card(a.page, 'Fox').getByLabel('Prompt', { exact: true }).inputValue()).toBe(suggested);
    await vi.waitFor(async () => expect(await promptOfB.inputValue()).toBe(suggested), { timeout: SEEN_MS });
    await expect(suggestion.count()).resolves.toBe(0);
    await screenshot(b.page, 'enhance', '02-accepted-seen-by-the-other-tab');
  });

  it('"Keep mine" drops the suggestion; a failure of the helper reads as a sentence and changes nothing', async () => {
    const a = await open('enhance-refused');
    // The simulated model refuses prompts with this marker: the helper answers PROVIDER_ERROR.
    await addWithPrompt(a, 'Storm', 'a storm at sea [sim:refusal]');
    const theCard = card(a.page, 'Storm');
    await theCard.getByRole('button', { name: 'Enhance prompt' }).click();
    await expect(theCard.getByRole('alert').textContent()).resolves.toBe(
      'The prompt helper gave an answer that cannot be used. Try again.',
    );
    expect(await theCard.getByLabel('Prompt', { exact: true }).inputValue()).toBe('a storm at sea [sim:refusal]');
    await screenshot(a.page, 'enhance', '03-refused');

    const prompt = theCard.getByLabel('Prompt', { exact: true });
    await prompt.fill('a calm sea');
    await prompt.press('Control+Enter');
    await theCard.getByRole('button', { name: 'Enhance prompt' }).click();
    const suggestion = theCard.getByRole('region', { name: 'Suggested prompt' });
    await suggestion.getByRole('button', { name: 'Keep mine' }).click();
    await expect(suggestion.count()).resolves.toBe(0);
    expect(await prompt.inputValue()).toBe('a calm sea');
  });
});
