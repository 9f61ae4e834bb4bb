// The page at /, in Debian's Chromium driven by playwright-core: the founding week's stances as
// chips, the date slider taking the Cairo meeting away, a posted event changing a chip live, and
// the v2 record (an agreement and its phase, the ceasefire's kind and violations, a claim about
// an actor beside its chip, a disputed report set apart).
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
  });

  it('shows the v2 record: the agreement and its phase, the ceasefire and its violation, a claim, a dispute', async () => {
    const agreementId = 'truce-2023-12';
    const posted = await story(app).given([
      {
        type: 'AgreementReached',
        occurredAt: '2023-12-24',
        sources: [{ outlet: 'Reuters', attribution: 'official' }],
        data: {
          agreementId,
          status: 'announced',
          parties: ['israel', 'hamas'],
          mediators: ['qatar'],
          terms: { hostagesReleased: { count: 33 }, prisonersReleased: { count: { min: 1000, max: 1900 } } },
          phases: [
            { phase: 1, durationDays: 42, summary: 'A pause; 33 hostages for prisoners.' },
            { phase: 2, summary: 'The remaining hostages; a lasting calm.' },
          ],
          summary: 'Qatar announces a phased truce between Israel and Hamas.',
        },
      },
      { type: 'CeasefireStarted', occurredAt: '2023-12-25', sources: [{ outlet: 'AP', attribution: 'named' }], data: { agreementId, phase: 1, summary: 'The first phase of the truce takes effect.' } },
      { type: 'CeasefireViolated', occurredAt: '2023-12-26', sources: [{ outlet: 'Times of Israel', attribution: 'named' }], data: { agreementId, by: 'hamas', summary: 'A rocket is fired from Rafah; no one is hurt.' } },
      {
        type: 'PositionClaimed',
        occurredAt: '2023-12-23',
        sources: [{ outlet: 'CNN', attribution: 'named' }],
        data: {
          claimant: 'us',
          about: ['hamas'],
          speaker: { name: 'John Kirby', title: 'NSC spokesman' },
          stances: [{ issue: 'negotiations', stance: 'supports' }, { issue: 'military-operations', stance: 'opposes' }],
          summary: 'The White House says Hamas is ready to return to the talks and to hold its fire.',
        },
      },
      {
        type: 'StatementIssued',
        occurredAt: '2023-12-23',
        sources: [{ outlet: 'Asharq Al-Awsat', attribution: 'anonymous' }],
        data: { actor: 'egypt', stances: [{ issue: 'humanitarian-aid', stance: 'demands' }], summary: 'An Egyptian official, unnamed, says Cairo demands the Rafah crossing stay open.' },
      },
    ]);
    const disputedId: string = posted[4].body.id;
    const dispute = await app.post('/events', {
      type: 'ReportDisputed',
      occurredAt: '2023-12-24',
      sources: [{ outlet: 'Ahram Online', attribution: 'official' }],
      data: { eventId: disputedId, by: 'egypt', reason: "Egypt's foreign ministry denies the report." },
    });
    expect(dispute.status).toBe(201);

    // The page follows the stream; each read model catches up on its own, so wait for each.
    for (const selector of [
      'td[data-actor="egypt"][data-issue="humanitarian-aid"] .chip.disputed',
      'td[data-actor="hamas"][data-issue="military-operations"] .claim[data-by="us"]',
      '#ceasefire .violations li',
      `[data-agreement="${agreementId}"] .phases li[aria-current="step"]`,
      `#timeline li[data-event="${disputedId}"] .confidence.disputed`,
    ]) await page.locator(selector).waitFor({ timeout: 15_000 });

    // The agreement: status, who is in it, its phases, the phase in effect.
    const agreement = page.locator(`[data-agreement="${agreementId}"]`);
    await expect(agreement.locator('.status').textContent()).resolves.toBe('announced');
    const card = (await agreement.textContent())!;
    expect(card).toContain('Israel, Hamas');
    expect(card).toContain('Qatar');
    expect(card).toContain('phase 1');
    expect(card).toContain('not yet'); // ratified by no one
    await expect(agreement.locator('.phases li[aria-current="step"]').getAttribute('data-phase')).resolves.toBe('1');
    await expect(agreement.locator('.phases li[data-phase="1"]').textContent()).resolves.toContain('in effect');
    await expect(agreement.locator('.phases li[data-phase="2"]').textContent()).resolves.not.toContain('in effect');

    // The ceasefire: kind, phase, the violation.
    await expect(page.locator('#ceasefire [data-kind]').textContent()).resolves.toBe('agreed');
    await expect(page.locator('#ceasefire .ceasefire-state').textContent()).resolves.toContain('phase 1');
    const violation = (await page.locator('#ceasefire .violations li').textContent())!;
    expect(violation).toContain('2023-12-26');
    expect(violation).toContain('Hamas');
    expect(violation).toContain('A rocket is fired from Rafah');

    // The claim: beside hamas's own (conditional) stance on talks, and alone where it has none.
    const talks = page.locator('td[data-actor="hamas"][data-issue="negotiations"]');
    await expect(talks.locator('.chip').textContent()).resolves.toBe('conditional');
    await expect(talks.locator('.claim[data-by="us"]').textContent()).resolves.toBe('claimed by United States: supports');
    await expect(talks.locator('button.claims').getAttribute('aria-label')).resolves.toContain('claimed by United States: supports');
    const war = page.locator('td[data-actor="hamas"][data-issue="military-operations"]');
    await expect(war.locator('.chip').count()).resolves.toBe(0);
    await expect(war.locator('.claim[data-by="us"]').textContent()).resolves.toBe('claimed by United States: opposes');
    await talks.locator('button.claims').click();
    await expect(page.locator('#details h3').textContent()).resolves.toContain('conditional');
    await expect(page.locator('#details .claim-list li[data-by="us"]').textContent()).resolves.toContain('ready to return to the talks');

    // The dispute: the chip, its label, the timeline and the evidence, apart from the rest.
    const disputedChip = chip('egypt', 'humanitarian-aid');
    await expect(disputedChip.getAttribute('aria-label')).resolves.toContain('disputed');
    const entry = page.locator(`#timeline li[data-event="${disputedId}"] .confidence`);
    await expect(entry.getAttribute('class')).resolves.toBe('confidence disputed');
    await expect(entry.textContent()).resolves.toContain('disputed');
    const colours = await page.evaluate(() => {
      const doc = (globalThis as any).document;
      const colour = (selector: string) => (globalThis as any).getComputedStyle(doc.querySelector(selector)).color as string;
      return { disputed: colour('#timeline .confidence.disputed'), other: colour('#timeline .confidence:not(.disputed)') };
    });
    expect(colours.disputed).not.toBe(colours.other);
    await disputedChip.click();
    await page.locator('#details .dispute').waitFor();
    await expect(page.locator('#details .dispute').textContent()).resolves.toContain('Disputed by Egypt');
    await expect(page.locator('#details h3 + p + p .confidence').getAttribute('class')).resolves.toBe('confidence disputed');

    // Back to hamas on talks, for the picture.
    await talks.locator('button.claims').click();
    await mkdir('test/artifacts', { recursive: true });
    await page.screenshot({ path: 'test/artifacts/page.png', fullPage: true });
  });
});
