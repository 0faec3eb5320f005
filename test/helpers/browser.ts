import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

/** Debian's Chromium (`apt-get install -y chromium`); EDGEMU_CHROMIUM names another binary. */
export const CHROMIUM = process.env.EDGEMU_CHROMIUM ?? '/usr/bin/chromium';

/** Where the browser tests keep their screenshots (gitignored). */
export const ARTIFACTS_DIR = path.resolve('test-artifacts/web');

/** The flags every test browser runs with: headless, no sandbox (root in CI), nothing phoning home. */
export const CHROMIUM_FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export interface TestBrowser {
  context: BrowserContext;
  /** A new page that records console errors and uncaught page errors into `errors`. */
  page(): Promise<{ page: Page; errors: string[] }>;
  screenshot(page: Page, name: string): Promise<string>;
  close(): Promise<void>;
}

/**
 * Starts headless Chromium through playwright-core with a fresh profile. Fails (never skips) when
 * the binary is missing: the web view's acceptance tests need a real browser.
 */
export async function launchTestBrowser(): Promise<TestBrowser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`Chromium not found at ${CHROMIUM}: install it with \`apt-get install -y chromium\` (or set EDGEMU_CHROMIUM); the web view tests need a real browser`);
  }
  const profile = mkdtempSync(path.join(tmpdir(), 'edgemu-chromium-'));
  mkdirSync(ARTIFACTS_DIR, { recursive: true });
  // launchPersistentContext takes the profile directory (it refuses --user-data-dir among the args).
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_FLAGS,
    // The hub's certificate is signed by its own CA (DIR/ca.pem), which this profile does not trust.
    ignoreHTTPSErrors: true,
    viewport: { width: 1200, height: 900 },
  });
  return {
    context,
    async page() {
      const page = await context.newPage();
      const errors: string[] = [];
      page.on('console', (m) => {
        if (m.type() === 'error') errors.push(m.text());
      });
      page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
      return { page, errors };
    },
    async screenshot(page, name) {
      const file = path.join(ARTIFACTS_DIR, `${name}.png`);
      await page.screenshot({ path: file, fullPage: true });
      return file;
    },
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
