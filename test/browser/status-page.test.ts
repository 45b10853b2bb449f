/**
 * The status page in a real browser: Debian's chromium (never a downloaded one) driven by
 * playwright-core against a running agent on a leaky simulated host. The page's numbers must equal
 * /metrics of the same collection (scrape mode with --collection.min-interval=1h keeps the host still between the two
 * reads), its table and charts must render without console errors, and axe-core must find no serious
 * or critical accessibility violation. Screenshots go to build/test-artifacts/.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentProcess } from '../fixtures/agent-process.js';
import { Exposition } from '../fixtures/exposition.js';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = resolve(import.meta.dirname, '../../build/test-artifacts');
const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const LEAKY_HOST = ['--simulate.profile=leaky', '--simulate.advance=3h', '--simulate.seed=5', '--simulate.speed=1', '--zombie.grace-period=0s', '--collection.mode=scrape', '--collection.min-interval=1h'];

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: unknown[] }[];
}

/** playwright-core gives every launch a fresh profile directory of its own (it refuses --user-data-dir). */
async function launch(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/** Opens the page and waits until the script has filled it in from the API. */
async function openStatusPage(browser: Browser, url: string, viewport: { width: number; height: number }): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.newPage({ viewport });
  const errors: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text());
  });
  page.on('pageerror', (error) => errors.push(error.message));
  page.on('requestfailed', (request) => errors.push(`request failed: ${request.url()}`));
  await page.goto(url);
  await page.waitForSelector('body[data-loaded]', { timeout: 15_000 });
  return { page, errors };
}

describe('status page in chromium', () => {
  let agent: AgentProcess;
  let browser: Browser;

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    agent = await AgentProcess.start(LEAKY_HOST);
    browser = await launch();
  });
  afterAll(async () => {
    await browser?.close();
    await agent?.stop();
  });

  it('shows the same numbers as /metrics of the same collection, with its table and charts', async () => {
    const { page, errors } = await openStatusPage(browser, `${agent.url}/`, { width: 1366, height: 768 });
    const read = async (selector: string) => (await page.locator(selector).textContent()) ?? '';
    const bars = page.locator('#leaks-svg g.bar');
    const shown = {
      highest: await read('#highest-session-id'),
      present: await read('#sessions-present'),
      zombies: await read('#zombie-count'),
      leaked: await read('#leaked-handles'),
      zombieRows: await page.locator('#zombies tbody tr').count(),
      logonIds: await page.locator('#zombies tbody th').allTextContents(),
      headers: await page.locator('#zombies thead th').allTextContents(),
      bars: await Promise.all((await bars.all()).map(async (g) => [await g.getAttribute('data-process'), Number(await g.getAttribute('data-leaked'))] as const)),
      historyLines: await page.locator('#history-svg polyline').count(),
      banner: await read('.banner'),
    };
    const metrics = new Exposition(await agent.metrics());

    expect(Number(shown.highest)).toBe(metrics.value('rdsleak_session_id_highest'));
    expect(Number(shown.present)).toBe(metrics.sum('rdsleak_sessions'));
    const zombies = metrics.sum('rdsleak_zombie_logon_sessions');
    expect(zombies).toBeGreaterThan(0);
    expect(Number(shown.zombies)).toBe(zombies);
    expect(shown.zombieRows).toBe(zombies);
    expect(Number(shown.leaked)).toBe(metrics.sum('rdsleak_leaked_token_handles'));
    const leakedPerProcess = metrics.series('rdsleak_leaked_token_handles').filter((s) => s.value > 0).map((s) => [s.labels.process, s.value]);
    expect(Object.fromEntries(shown.bars)).toEqual(Object.fromEntries(leakedPerProcess));
    // Logon ids as Sysinternals prints them; the zombie info series name the same ones.
    for (const id of shown.logonIds) expect(id).toMatch(/^[0-9a-f]{8}:[0-9a-f]{8}$/);
    expect(new Set(shown.logonIds)).toEqual(new Set(metrics.series('rdsleak_zombie_logon_session_info').map((s) => s.labels.logon_id)));
    expect(shown.headers).not.toContain('User');
    expect(shown.historyLines).toBe(2);
    expect(shown.banner).toContain('Simulated farm');
    expect(errors).toEqual([]);
    expect(await page.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth')).toBeLessThanOrEqual(0);
    await page.screenshot({ path: join(ARTIFACTS, 'status-page-1366x768.png') });
    await page.close();
  });

  it('fits a phone and passes axe-core with no serious or critical violation', async () => {
    const { page, errors } = await openStatusPage(browser, `${agent.url}/`, { width: 390, height: 844 });
    const overflow = await page.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth');
    expect(overflow).toBeLessThanOrEqual(0);
    await page.screenshot({ path: join(ARTIFACTS, 'status-page-390x844.png'), fullPage: true });
    await page.addScriptTag({ content: AXE_SOURCE });
    const violations = await page.evaluate<AxeViolation[]>('axe.run(document).then((result) => result.violations)');
    const serious = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id} (${v.impact}): ${v.help} at ${JSON.stringify(v.nodes.map((n) => n.target))}`);
    expect(serious).toEqual([]);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('shows the services of a holder when the data has them', async () => {
    const page = await browser.newPage({ viewport: { width: 1366, height: 768 } });
    // The same answer with services on the first holder, as a source that knows them gives it.
    await page.route('**/api/v1/analysis', async (route) => {
      const response = await route.fetch();
      const doc = (await response.json()) as { zombies: { holders: { services?: string[] }[] }[] };
      doc.zombies[0]!.holders[0]!.services = ['Schedule', 'ProfSvc'];
      await route.fulfill({ response, json: doc });
    });
    await page.goto(`${agent.url}/`);
    await page.waitForSelector('body[data-loaded]', { timeout: 15_000 });
    expect(await page.locator('#zombies tbody tr').first().locator('li').first().textContent()).toMatch(/^\S+ \d+ \(Schedule, ProfSvc\): \d+$/);
    await page.close();
  });

  it('names users only when the agent runs with --metrics.include-user-names', async () => {
    const named = await AgentProcess.start([...LEAKY_HOST, '--metrics.include-user-names']);
    try {
      const { page, errors } = await openStatusPage(browser, `${named.url}/`, { width: 1366, height: 768 });
      expect(await page.locator('#zombies thead th').allTextContents()).toContain('User');
      const users = await page.locator('#zombies tbody td:nth-child(5)').allTextContents();
      expect(users.length).toBeGreaterThan(0);
      for (const user of users) expect(user).toMatch(/^[^\\]+\\[^\\]+$/);
      expect(await page.locator('#user-names').textContent()).toMatch(/^yes/);
      expect(errors).toEqual([]);
      await page.close();
    } finally {
      await named.stop();
    }
  });

  it('refreshes from the API without reloading the page', async () => {
    const { page } = await openStatusPage(browser, `${agent.url}/`, { width: 1366, height: 768 });
    await page.evaluate("window.marker = 1; document.body.removeAttribute('data-loaded')");
    // The page asks again after data-refresh-seconds; the marker survives only if it did not reload.
    await page.waitForSelector('body[data-loaded]', { timeout: 20_000 });
    expect(await page.evaluate('window.marker')).toBe(1);
    await page.close();
  });
});
