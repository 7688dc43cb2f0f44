// What the browser scenarios share: Debian's chromium driven by playwright-core
// (never a browser download), a step runner that names the failing step, and a
// screenshot of every page visited (kept as artefacts under the build folder).
import { chromium } from "playwright-core";
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

export function args() {
  const [demoJson, shots, spki] = process.argv.slice(2);
  if (!demoJson || !shots) {
    console.error("usage: node SCENARIO.mjs DEMO.JSON SCREENSHOT-DIR [SPKI-SHA256,...]");
    process.exit(64);
  }
  mkdirSync(shots, { recursive: true });
  return { demo: JSON.parse(readFileSync(demoJson, "utf8")), shots, spki: spki || "" };
}

// Headless chromium that trusts exactly the demo's TLS keys (by their SPKI
// hash), nothing else, and talks to no one but the demo.
export async function browser(spki) {
  const flags = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
  ];
  if (spki) flags.push(`--ignore-certificate-errors-spki-list=${spki}`);
  return chromium.launch({ executablePath: "/usr/bin/chromium", headless: true, args: flags });
}

let shot = 0;
export async function screenshot(page, shots, name) {
  shot += 1;
  const file = join(shots, `${String(shot).padStart(2, "0")}-${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

// Runs the steps in order; the first failure names its step, is photographed
// (when a page is given) and ends the run.
export async function run(steps, page, shots) {
  for (const [name, step] of steps) {
    const started = Date.now();
    try {
      await step();
      console.log(`ok   ${name} (${Date.now() - started} ms)`);
    } catch (e) {
      console.log(`FAIL ${name}: ${e.stack || e}`);
      if (page && shots) {
        const file = await screenshot(page, shots, "FAILED").catch(() => "none");
        console.log(`     at ${page.url()}, screenshot ${file}`);
        console.log((await page.content().catch(() => "")).slice(0, 3000));
      }
      process.exitCode = 1;
      return false;
    }
  }
  return true;
}

export function expect(condition, what) {
  if (!condition) throw new Error(`expected ${what}`);
}
