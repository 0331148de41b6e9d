import { fileURLToPath } from 'node:url';
import { defineConfig } from '@playwright/test';
import base from '../../playwright.config.js';

/** The project's own Playwright configuration (browser, launch flags, global setup), aimed at the gate fixtures only. */
export default defineConfig({
  ...base,
  testDir: './fixtures',
  testMatch: '*.gate.spec.ts',
  globalSetup: fileURLToPath(new URL('../../e2e/global-setup.ts', import.meta.url)),
  outputDir: process.env.GATE_OUTPUT_DIR ?? base.outputDir,
  reporter: [['list']],
});
