// The page at /, in Debian's Chromium driven by playwright-core: the founding week's stances as
// chips, the date slider taking the Cairo meeting away, a posted event changing a chip live.
// .ci/run installs Chromium (apt-get) when it is missing; without it this file says so and
// runs nothing.
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { chromium, type Browser, type Page } from 'playwright-core';
import { fixture } from './support/fixtures.js';
import { story } from './support/story.js';
import { TestApp } from './support/test-server.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const founding = fixture('founding-week').events;
const suite = existsSync(CHROMIUM) ? describe : describe.skip;
if (!existsSync(CHROMIUM)) console.warn(`page.e2e-spec: no browser at ${CHROMIUM} (apt-get install chromium; .ci/run does it)`);

suite('the page, in a real browser', () => {
  let app: TestApp;
  let browser: Browser;
  let page: Page;
  const chip = (actor: string, issue: string) => page.locator(`td[data-actor="${actor}"][data-issue="${issue}"] .chip`);

  beforeAll(async () => {
    app = await TestApp.start();
    await story(app).given(founding);
    await app.settled();
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(app.url);
    await page.locator('body[data-ready="true"]').waitFor();
  });
  afterAll(async () => {
    await browser?.close();
    await app?.stop();
  });

  it('shows each stance as a chip', async () => {
    await expect(chip('hamas', 'permanent-ceasefire').textContent()).resolves.toBe('demands');
    await expect(chip('hamas', 'temporary-ceasefire').textContent()).resolves.toBe('opposes');
    await expect(chip('israel', 'permanent-ceasefire').textContent()).resolves.toBe('opposes');
    await expect(chip('us', 'military-operations').textContent()).resolves.toBe('demands');
    await chip('hamas', 'permanent-ceasefire').click();
    await expect(page.locator('#details h3').textContent()).resolves.toContain('demands');
  });

  it('moving the date slider to before the Cairo meeting takes it away', async () => {
    await expect(page.locator('[data-meeting="Cairo"]').count()).resolves.toBe(1);
    const slider = page.locator('#asOf');
    await slider.focus();
    await page.keyboard.press('Home'); // 18 December
    await page.keyboard.press('ArrowRight'); // 19 December
    await expect(page.locator('#asOfLabel').textContent()).resolves.toBe('2023-12-19');
    await page.locator('[data-meeting="Cairo"]').waitFor({ state: 'detached' });
    await expect(page.locator('[data-meeting="Warsaw"]').count()).resolves.toBe(1);
    await page.keyboard.press('End'); // now
    await page.locator('[data-meeting="Cairo"]').waitFor();
  });

  it('changes a chip live when an event is posted through the API', async () => {
    const reply = await app.post('/events', {
      type: 'StatementIssued',
      occurredAt: '2023-12-22',
      sources: [{ outlet: 'Reuters', attribution: 'official' }],
      data: { actor: 'hamas', stances: [{ issue: 'temporary-ceasefire', stance: 'conditional', conditions: ['a longer truce'] }], summary: 'Hamas signals it could accept a longer truce.' },
    });
    expect(reply.status).toBe(201);
    await page.waitForFunction(() => (globalThis as any).document.querySelector('td[data-actor="hamas"][data-issue="temporary-ceasefire"] .chip')?.textContent === 'conditional', undefined, { timeout: 10_000 });
    await mkdir('test/artifacts', { recursive: true });
    await page.screenshot({ path: 'test/artifacts/page.png', fullPage: true });
  });
});
