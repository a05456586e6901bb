// Drives the web console in headless Chromium: enter the key, drop two images, submit, and
// wait for the translation to finish with its result and scores shown. Prints "JOB <id>" as
// soon as the job exists (the Java test then plays the orchestrator) and "DONE" at the end.
// usage: node console-e2e.mjs <chromium> <base-url> <api-key> <source> <reference> <screenshot>
import { chromium } from 'playwright-core';

const [chromiumPath, baseUrl, apiKey, source, reference, screenshot] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: chromiumPath,
  headless: true,
  args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu'],
});
let page;
try {
  page = await browser.newPage({ viewport: { width: 1100, height: 1100 } });
  page.on('console', (message) => console.log('console:', message.type(), message.text()));
  page.on('pageerror', (error) => console.log('pageerror:', error.message));
  await page.goto(baseUrl + '/', { waitUntil: 'load' });
  await page.fill('#api-key', apiKey);
  await page.click('#save-key');
  await page.waitForFunction(() => document.querySelector('#key-status').textContent.startsWith('tenant '));

  await page.setInputFiles('#source-file', source);
  await page.setInputFiles('#reference-file', reference);
  await page.waitForFunction(() => !document.querySelector('#reference-preview').hidden);
  await page.fill('#params', '{"concept_steps": 2, "content_inner_steps": 2, "ddim_steps": 4, "resolution": 64}');
  await page.click('#submit');
  await page.waitForFunction(() => document.querySelector('#job-id').textContent.length > 0, null, { timeout: 30000 });
  const jobId = await page.textContent('#job-id');
  console.log('JOB ' + jobId);

  // Live progress arrives over SSE while the job runs.
  await page.waitForFunction(() => document.querySelector('#job-status').textContent === 'running', null, { timeout: 60000 });
  console.log('SAW running');
  await page.waitForFunction(
    () => document.querySelector('#job-status').textContent === 'succeeded'
      && !document.querySelector('#result-img').hidden
      && document.querySelector('#result-img').naturalWidth > 0
      && document.querySelector('#scores').textContent.includes('LPIPS'),
    null, { timeout: 90000 });
  const stages = await page.$$eval('#stages li', (items) => items.map((li) => li.id + '=' + li.dataset.status));
  console.log('STAGES ' + stages.join(','));
  console.log('SCORES ' + await page.textContent('#scores'));
  await page.waitForSelector(`#history tr[data-id="${jobId}"]`, { timeout: 30000 });
  console.log('HISTORY ' + await page.textContent(`#history tr[data-id="${jobId}"]`));
  await page.screenshot({ path: screenshot, fullPage: true });
  console.log('DONE');
} catch (error) {
  console.log('FAILED ' + error.message);
  if (page) await page.screenshot({ path: screenshot, fullPage: true }).catch(() => {});
  process.exitCode = 1;
} finally {
  await browser.close();
}
