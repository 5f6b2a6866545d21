// A walk through every screen and state of the dashboard against the real
// chain, shared by the screenshot run (screens.e2e.ts) and the
// accessibility run (a11y.e2e.ts): at each stop the caller looks (a
// screenshot in each theme and width, axe) and the walk goes on.
import type { Page } from 'playwright-core';
import { connectedPage, newSession, pasteImages, png, sendPrompt, Stack } from './harness';

export type Width = 'desk' | 'phone';
export const WIDTHS: Record<Width, { width: number; height: number }> = {
  desk: { width: 1280, height: 800 },
  phone: { width: 390, height: 844 },
};

export interface Stop {
  /** A short name: the file names and the contact sheet's rows. */
  name: string;
  /** What a person sees there. */
  what: string;
  /** The widths it exists at (both unless said). */
  widths?: Width[];
  /** Run after each change of width, before looking (the phone drawer opens at phone width). */
  prepare?: (page: Page, width: Width) => Promise<void>;
}

export type Look = (page: Page, stop: Stop) => Promise<void>;

const kontask = {
  title: 'Release notes drafted',
  description: 'What changed in 0.9, for the changelog',
  output: '<h2>Konui 0.9</h2><p>Stop now stops Claude. Sessions resume after a restart.</p><ul><li>One-row header</li><li>Design system</li></ul>',
  choices: [
    { label: 'Publish them', value: 'Publish the release notes', primary: true },
    { label: 'Shorten', value: 'Make the release notes shorter' },
  ],
  scope: 'konui',
  tags: ['release', 'docs'],
};

const idle = (page: Page) => page.getByTestId('send').waitFor();

/**
 * Waits until the turn just sent has ended: the transcript's last row (the
 * view follows the end, so it is rendered) is a turn's footer and no turn runs.
 */
async function turnOver(page: Page): Promise<void> {
  await page.waitForFunction(
    () => {
      const rows = [...document.querySelectorAll<HTMLElement>('[data-testid="transcript"] [data-index]')];
      const last = rows.sort((a, b) => Number(b.dataset.index) - Number(a.dataset.index))[0];
      return !!last?.querySelector('[data-testid="turn-end"]') && !document.querySelector('[data-testid="turn-state"]');
    },
    undefined,
    { timeout: 60_000 },
  );
}

/** Goes to a view of the app's header. */
async function view(page: Page, name: 'Console' | 'Kontasks' | 'History' | 'Usage' | 'Settings'): Promise<void> {
  await page.getByRole('navigation', { name: 'Views' }).getByRole('button', { name: new RegExp(`^${name}`) }).click();
}

/** Walks every screen, calling look at each stop. The stack must be started. */
export async function tour(stack: Stack, look: Look): Promise<void> {
  const page = await connectedPage(stack);

  await look(page, { name: 'start', what: 'The first screen: no session yet' });
  await view(page, 'Kontasks');
  await look(page, { name: 'kontasks-empty', what: 'Kontasks before any arrived' });
  await view(page, 'Usage');
  await page.getByTestId('usage-table').waitFor();
  await look(page, { name: 'usage-empty', what: 'Usage before any turn' });
  await view(page, 'Console');

  await newSession(page, stack);
  await look(page, { name: 'session-new', what: 'A new session, nothing said yet' });

  await sendPrompt(page, 'Summarise what this project does [[usage 12000 800 30000 2000]]');
  await turnOver(page);
  await look(page, { name: 'answer', what: 'A prompt and its answer with the turn footer' });

  await sendPrompt(page, '[[long 3000]]');
  await page.getByTestId('assistant-msg').filter({ hasText: 'word5' }).waitFor();
  await look(page, { name: 'streaming', what: 'Claude answering: the turn state and Stop in the prompt box' });
  await page.getByTestId('stop').click();
  await turnOver(page);
  await idle(page);
  await look(page, { name: 'interrupted', what: 'A turn stopped by the person' });

  await sendPrompt(page, '[[bash: echo tour-ran > tour.txt; cat tour.txt]]');
  const perm = page.getByTestId('permission').last();
  await perm.and(page.locator('[data-state="pending"]')).waitFor();
  await look(page, { name: 'permission', what: 'A request to run a command, waiting' });
  await perm.getByTestId('allow').click();
  await turnOver(page);
  await page.getByTestId('tool-card').last().locator('summary').click();
  await look(page, { name: 'tool-card', what: 'An allowed command and its output' });

  await sendPrompt(page, `[[kontask: ${JSON.stringify(kontask)}]]`);
  await page.getByTestId('toast').filter({ hasText: kontask.title }).waitFor();
  await look(page, { name: 'kontask-toast', what: 'A kontask arriving' });
  await turnOver(page);
  await look(page, { name: 'kontask-delivered', what: 'The transcript where the kontask was delivered' });

  await page.getByTestId('mode').selectOption('plan');
  await page.getByTestId('change-marker').last().waitFor();
  await sendPrompt(page, '[[tool ExitPlanMode: {"plan":"# Tidy the project\\n1. Write **notes.txt**\\n2. Run the tests"}]]');
  const plan = page.getByTestId('plan-card').last();
  await plan.and(page.locator('[data-state="pending"]')).waitFor();
  await look(page, { name: 'plan', what: 'A plan to approve, and the marker of the mode change' });
  await plan.getByTestId('plan-accept-edits').click();
  await turnOver(page);

  await sendPrompt(
    page,
    '[[tool AskUserQuestion: {"questions":[{"question":"Which colour should the button be?","header":"Colour","options":[{"label":"Red","description":"warm, loud"},{"label":"Blue","description":"calm"}],"multiSelect":false}]}]]',
  );
  const question = page.getByTestId('question-card').last();
  await question.and(page.locator('[data-state="pending"]')).waitFor();
  await look(page, { name: 'question', what: 'A question from Claude' });
  await question.getByTestId('question-option').filter({ hasText: 'Blue' }).click();
  if (await question.getByTestId('question-send').isVisible()) await question.getByTestId('question-send').click();
  await turnOver(page);

  const box = page.getByTestId('prompt');
  await box.fill('/');
  await page.getByTestId('slash-menu').waitFor();
  await look(page, { name: 'slash-menu', what: 'The slash commands' });
  await box.press('Escape');
  await box.fill('');

  await pasteImages(page, [png(64, 48, [220, 90, 40]), png(48, 64, [40, 120, 220])]);
  await page.getByTestId('attachment').nth(1).waitFor();
  await look(page, { name: 'attachments', what: 'Images to send, in the prompt box' });
  while (await page.getByTestId('remove-attachment').count()) await page.getByTestId('remove-attachment').first().click();

  await sendPrompt(page, '[[long 200 40]]');
  await page.getByTestId('turn-state').waitFor();
  await sendPrompt(page, 'and then list the open questions');
  await page.getByTestId('queued-item').first().waitFor();
  await look(page, { name: 'queue', what: 'A prompt waiting while Claude works' });
  await page.getByTestId('queue').waitFor({ state: 'detached', timeout: 60_000 });
  await page.getByTestId('assistant-msg').filter({ hasText: 'Echo: and then list the open questions' }).waitFor({ timeout: 60_000 });
  await idle(page);

  await page.getByTestId('session-menu').click();
  await look(page, {
    name: 'session-menu',
    what: 'The session menu: totals, downloads, archive',
    prepare: async (p) => {
      if (!(await p.getByRole('menu').isVisible())) await p.getByTestId('session-menu').click();
    },
  });
  await page.keyboard.press('Escape');

  await page.getByTestId('model').selectOption({ label: 'Other model…' });
  await look(page, { name: 'model-other', what: 'Naming a model the list does not have' });
  await page.getByTestId('model-input').press('Escape');

  await page.getByTestId('changes-toggle').click();
  await page.getByTestId('changes-panel').waitFor();
  await look(page, { name: 'changes', what: 'The Changes panel' });
  await page.getByTestId('changes-toggle').click();
  await page.getByTestId('info-toggle').click();
  await page.getByTestId('session-info').waitFor();
  await look(page, { name: 'session-info', what: 'The session info panel' });
  await page.getByTestId('info-toggle').click();

  await page.keyboard.press('?');
  await page.getByTestId('shortcuts').waitFor();
  await look(page, { name: 'shortcuts', what: 'The keyboard shortcuts (?)' });
  await page.keyboard.press('Escape');
  await page.getByTestId('shortcuts').waitFor({ state: 'hidden' });

  await page.keyboard.press('Control+k');
  await page.getByTestId('switcher').waitFor();
  await look(page, { name: 'switcher', what: 'The session switcher (Ctrl+K)' });
  await page.keyboard.press('Escape');

  await page.getByTestId('search').fill('project');
  await page.getByTestId('search-hit').first().waitFor();
  await look(page, { name: 'search', what: 'Search across sessions', widths: ['desk'] });
  await page.getByTestId('search').fill('');

  await look(page, {
    name: 'drawer',
    what: 'The sessions drawer on a phone',
    widths: ['phone'],
    prepare: async (p) => {
      if ((await p.getByTestId('drawer-toggle').getAttribute('aria-expanded')) !== 'true') await p.getByTestId('drawer-toggle').click();
      await p.waitForFunction(() => document.querySelector('[data-testid="drawer"]')!.getBoundingClientRect().x >= 0);
    },
  });
  await page.setViewportSize(WIDTHS.desk);
  await page.evaluate(() => ((document.querySelector('[data-testid="drawer-close"]') as HTMLElement | null)?.click()));

  await view(page, 'Kontasks');
  await page.getByTestId('kontask-item').first().waitFor();
  await look(page, { name: 'kontasks', what: 'The kontasks list' });
  await page.getByTestId('kontask-item').first().click();
  await page.getByTestId('kontask-detail').waitFor();
  await look(page, { name: 'kontask-detail', what: 'A kontask opened' });

  await view(page, 'History');
  await page.getByTestId('history-item').first().waitFor({ timeout: 30_000 });
  await look(page, { name: 'history', what: 'Claude Code history' });
  await page.getByTestId('history-item').first().click();
  await page.getByTestId('history-messages').locator('li').first().waitFor();
  await look(page, { name: 'history-conversation', what: 'A conversation from the history' });

  await view(page, 'Usage');
  await page.getByTestId('usage-row').first().waitFor();
  await look(page, { name: 'usage', what: 'Usage by day' });

  await view(page, 'Settings');
  await look(page, { name: 'settings', what: 'Settings' });

  await view(page, 'Console');
  await stack.killKonsole();
  await page.locator('[data-testid="konsole-state"]:not([data-state="connected"])').waitFor();
  await look(page, { name: 'konsole-down', what: 'Konsole gone: the state and what happens to prompts' });
  await stack.startKonsole();
  await page.locator('[data-testid="konsole-state"][data-state="connected"]').waitFor({ timeout: 30_000 });
}
