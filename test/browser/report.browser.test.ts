/**
 * End to end: `kvmcheck check guest-mode --variant rfc-1-6 --out DIR` writes the report, and the
 * report works in headless Chromium (Debian's /usr/bin/chromium, driven by playwright-core) with
 * every network request refused: the page loads, the SVG is there, the step control moves.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type BrowserContext, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../cli/main.ts';
import type { ReportFiles } from '../../cli/report.ts';
import type { RunResult } from '../../cli/runSpec.ts';
import { itfProblems } from '../report/itfShape.ts';

const CHROMIUM = '/usr/bin/chromium';

/** The part of the browser's DOM the SVG check uses (the test is typed without the DOM library). */
interface BrowserGlobals {
  DOMParser: new () => {
    parseFromString(
      text: string,
      type: string,
    ): { getElementsByTagName(name: string): { length: number }; documentElement: { nodeName: string }; querySelectorAll(selector: string): ArrayLike<{ id: string }> & Iterable<{ id: string }> };
  };
}

/** Runs the CLI in-process; returns its exit status and the runs of its --json output. */
function check(...argv: string[]): { code: number; runs: (RunResult & { files: ReportFiles })[] } {
  const out: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => {
    out.push(a.join(' '));
  });
  try {
    const code = main(['check', ...argv, '--json']);
    return { code, runs: JSON.parse(out.join('\n')) };
  } finally {
    log.mockRestore();
  }
}

describe('kvmcheck check guest-mode --variant rfc-1-6 --out DIR', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kvmcheck-report-'));
  const profile = mkdtempSync(join(tmpdir(), 'kvmcheck-chromium-'));
  let context: BrowserContext;
  const offline: string[] = []; // every non-file request the pages made (all refused)
  let run: RunResult & { files: ReportFiles };

  beforeAll(async () => {
    const result = check('guest-mode', '--variant', 'rfc-1-6', '--out', dir);
    expect(result.code).toBe(0);
    run = result.runs[0]!;
    expect(existsSync(CHROMIUM), `${CHROMIUM} is missing: .ci/run installs Debian's chromium package`).toBe(true);
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    await context.route('**/*', (route) => {
      const url = route.request().url();
      if (url.startsWith('file:')) return route.continue();
      offline.push(url);
      return route.abort();
    });
  });

  afterAll(async () => {
    await context?.close();
    rmSync(dir, { recursive: true, force: true });
    rmSync(profile, { recursive: true, force: true });
  });

  it('writes NAME.txt, .itf.json, .dot, .svg, .html and index.html, and --json gives their paths', () => {
    const name = 'guest-mode-rfc-1-6-no-missed-wait';
    expect(run.verdict).toBe('violated');
    expect(run.files).toEqual({
      txt: join(dir, `${name}.txt`),
      itf: join(dir, `${name}.itf.json`),
      dot: join(dir, `${name}.dot`),
      svg: join(dir, `${name}.svg`),
      html: join(dir, `${name}.html`),
      graphDot: null,
      graphJson: null,
    });
    for (const f of [run.files.txt, run.files.itf, run.files.dot, run.files.svg, run.files.html, join(dir, 'index.html')]) expect(existsSync(f!), f!).toBe(true);
    expect(readFileSync(run.files.txt!, 'utf8')).toContain('no-missed-wait violated');
  });

  it('the ITF file validates and holds every state of the counterexample', () => {
    const itf = JSON.parse(readFileSync(run.files.itf!, 'utf8')) as { states: unknown[] };
    expect(itfProblems(itf)).toEqual([]);
    expect(itf.states).toHaveLength(run.counterexample!.steps.length + 1);
  });

  it('the SVG parses as XML and has one lane per thread of the trace', async () => {
    const page = await context.newPage();
    const svg = readFileSync(run.files.svg!, 'utf8');
    const parsed = await page.evaluate((text) => {
      const { DOMParser } = globalThis as unknown as BrowserGlobals;
      const doc = new DOMParser().parseFromString(text, 'image/svg+xml');
      return {
        error: doc.getElementsByTagName('parsererror').length,
        root: doc.documentElement.nodeName,
        lanes: [...doc.querySelectorAll('g.node.lane')].map((g) => g.id),
        steps: doc.querySelectorAll('g.node[id^="step-"]').length,
      };
    }, svg);
    const threads = [...new Set(run.counterexample!.steps.map((s) => s.thread))];
    expect(parsed.error).toBe(0);
    expect(parsed.root).toBe('svg');
    expect(parsed.lanes.sort()).toEqual(threads.map((t) => `lane-${t}`).sort());
    expect(parsed.steps).toBe(run.counterexample!.steps.length);
    await page.close();
  });

  it('the counterexample page loads offline, shows the SVG, and the step control moves', async () => {
    const page = await context.newPage();
    await page.goto(pathToFileURL(run.files.html!).href);
    const steps = run.counterexample!.steps;
    const label = page.locator('#step-label');
    await expect.poll(() => label.textContent()).toBe(`Step 0 of ${steps.length}: the initial state`);
    expect(await page.locator('#graph svg g.node.lane').count()).toBe(new Set(steps.map((s) => s.thread)).size);
    await page.click('#next');
    expect(await label.textContent()).toBe(`Step 1 of ${steps.length}: ${steps[0]!.thread} ${steps[0]!.action}`);
    expect(await page.locator('#slider').inputValue()).toBe('1');
    expect(await page.locator('#graph g.current').getAttribute('id')).toBe('step-1');
    expect(await page.locator('#threads tr.changed td').first().textContent()).toBe(steps[0]!.thread);
    await page.click('#next');
    await page.click('#prev');
    expect(await label.textContent()).toBe(`Step 1 of ${steps.length}: ${steps[0]!.thread} ${steps[0]!.action}`);
    await page.close();
  });

  it('index.html summarizes the run and links to the counterexample page', async () => {
    const page = await context.newPage();
    await page.goto(pathToFileURL(join(dir, 'index.html')).href);
    const row = page.locator('tbody tr', { hasText: 'rfc-1-6' });
    expect(await row.count()).toBe(1);
    await row.locator('a').click();
    await page.waitForURL((url) => url.pathname.endsWith(basename(run.files.html!)));
    expect(await page.locator('#step-label').textContent()).toMatch(/^Step 0 of /);
    await page.close();
    expect(offline).toEqual([]);
  });
});
