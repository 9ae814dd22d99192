// Lighthouse 12.2.3 (mobile preset, simulated throttling) against a live URL with Debian's Chromium.
//
//   node bench/lighthouse.mjs http://127.0.0.1:8000/login [--chrome /usr/bin/chromium]
//
// Prints one JSON line: {url, lighthouse, performance, accessibility, metrics, failing, opportunities}: `failing`
// lists the accessibility audits that did not pass, `opportunities` the estimated performance savings.
// bench/pwa.py runs it; it asserts nothing.
import { execFileSync } from 'node:child_process'
import * as chromeLauncher from 'chrome-launcher'
import lighthouse from 'lighthouse'

const url = process.argv[2]
if (!url) {
  console.error('usage: node bench/lighthouse.mjs URL [--chrome PATH]')
  process.exit(2)
}
const chromeArg = process.argv.indexOf('--chrome')
const chromePath = chromeArg > 0 ? process.argv[chromeArg + 1]
  : process.env.CHROME_PATH || execFileSync('sh', ['-c', 'command -v chromium'], { encoding: 'utf8' }).trim()

const chrome = await chromeLauncher.launch({
  chromePath,
  chromeFlags: ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--no-first-run'],
})
try {
  // The default config is the mobile preset: Moto G Power viewport, 4x CPU slowdown, slow 4G (simulated).
  const result = await lighthouse(url, {
    port: chrome.port, output: 'json', logLevel: 'error', onlyCategories: ['performance', 'accessibility'],
  })
  const lhr = result.lhr
  const score = (id) => (lhr.categories[id]?.score == null ? null : Math.round(lhr.categories[id].score * 100))
  const metric = (id) => lhr.audits[id]?.numericValue ?? null
  const failing = lhr.categories.accessibility.auditRefs
    .map((ref) => lhr.audits[ref.id])
    .filter((a) => a && a.score !== null && a.score < 1 && a.scoreDisplayMode !== 'notApplicable')
    .map((a) => ({ id: a.id, title: a.title, items: a.details?.items?.length ?? 0 }))
  // Performance audits that estimate a saving (what to fix first), largest first.
  const opportunities = Object.values(lhr.audits)
    .filter((a) => a.details?.type === 'opportunity' && (a.details.overallSavingsMs ?? 0) >= 50)
    .map((a) => ({ id: a.id, ms: a.details.overallSavingsMs, bytes: a.details.overallSavingsBytes ?? 0 }))
    .sort((x, y) => y.ms - x.ms)
  console.log(JSON.stringify({
    url, lighthouse: lhr.lighthouseVersion, userAgent: lhr.environment?.hostUserAgent,
    performance: score('performance'), accessibility: score('accessibility'),
    metrics: {
      fcp_ms: metric('first-contentful-paint'), lcp_ms: metric('largest-contentful-paint'),
      tbt_ms: metric('total-blocking-time'), cls: metric('cumulative-layout-shift'), si_ms: metric('speed-index'),
    },
    runtimeError: lhr.runtimeError?.message ?? null,
    warnings: lhr.runWarnings ?? [],
    failing,
    opportunities,
  }))
} finally {
  await chrome.kill()
}
