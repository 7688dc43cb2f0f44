// Two-factor login in a real browser against `certa demo`: turn it on from
// the security page (the QR code drawn, the key read as a person would type
// it, the code computed as an authenticator app does), an app password made,
// then a login that asks for the second factor and takes a recovery code.
import { createHmac } from "node:crypto";
import { args, browser, expect, run, screenshot } from "./lib.mjs";

const { demo, shots, spki } = args();
const nord = demo.providers[0];
const mario = nord.mailboxes[0];
const b = await browser(spki);
const page = await (await b.newContext({ locale: "it-IT" })).newPage();
const url = (path) => new URL(path, nord.web_url).toString();

// RFC 4648 base32 and RFC 6238 TOTP (SHA-1, 30 s, 6 digits), as the apps do.
function base32(text) {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  let bits = "";
  for (const c of text.replace(/[\s=]/g, "").toUpperCase()) {
    bits += alphabet.indexOf(c).toString(2).padStart(5, "0");
  }
  const bytes = [];
  for (let i = 0; i + 8 <= bits.length; i += 8) bytes.push(parseInt(bits.slice(i, i + 8), 2));
  return Buffer.from(bytes);
}
function totp(secret, seconds = Date.now() / 1000) {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(seconds / 30)));
  const mac = createHmac("sha1", base32(secret)).update(counter).digest();
  const offset = mac[mac.length - 1] & 0x0f;
  return String((mac.readUInt32BE(offset) & 0x7fffffff) % 1000000).padStart(6, "0");
}

let recovery = [];
await run([
  ["log in and open the security page", async () => {
    await page.goto(url("/login"));
    await page.getByLabel("Indirizzo PEC").fill(mario.address);
    await page.getByLabel("Password").fill(mario.password);
    await page.getByRole("button", { name: "Accedi" }).click();
    await page.waitForURL(url("/mail"));
    await page.getByRole("link", { name: "Sicurezza" }).click();
    await page.getByRole("heading", { name: "Sicurezza" }).waitFor();
    await screenshot(page, shots, "security");
  }],
  ["turn two-step verification on with the app's code", async () => {
    await page.getByRole("button", { name: "Attiva la verifica in due passaggi" }).click();
    const qr = page.getByAltText("Codice QR per l'app di autenticazione");
    await qr.waitFor();
    expect(await qr.evaluate((img) => img.complete && img.naturalWidth > 0), "the QR code drawn under the page's CSP");
    await screenshot(page, shots, "security-enrol");
    const key = await page.locator("#totp-secret").innerText();
    await page.getByLabel("Codice di verifica").fill(totp(key));
    await page.getByRole("button", { name: "Conferma e attiva" }).click();
    await page.getByText("Verifica in due passaggi attivata.").waitFor();
    recovery = await page.locator(".recovery-codes code").allInnerTexts();
    expect(recovery.length === 10, "ten recovery codes");
    await screenshot(page, shots, "security-recovery-codes");
  }],
  ["make an app password", async () => {
    await page.getByLabel("Nome (programma o dispositivo)").fill("Thunderbird");
    await page.getByRole("button", { name: "Crea password" }).click();
    const shown = await page.locator("#new-app-password").innerText();
    expect(/^[a-z]{4}(-[a-z]{4}){3}$/.test(shown), `an app password in four groups, not ${shown}`);
    await page.getByRole("button", { name: "Revoca: Thunderbird" }).waitFor();
  }],
  ["log out; the password alone leads to the code's page", async () => {
    await page.getByRole("button", { name: "Esci" }).click();
    await page.getByText("Uscita effettuata.").waitFor();
    await page.getByLabel("Indirizzo PEC").fill(mario.address);
    await page.getByLabel("Password").fill(mario.password);
    await page.getByRole("button", { name: "Accedi" }).click();
    await page.waitForURL(/\/login\/totp/);
    await page.getByLabel("Codice di verifica").waitFor();
    await screenshot(page, shots, "login-totp");
    await page.goto(url("/mail"));
    await page.waitForURL(/\/login\/totp/);
  }],
  ["a recovery code completes the login", async () => {
    await page.getByRole("link", { name: "Usa un codice di recupero" }).click();
    await page.getByLabel("Codice di recupero").fill(recovery[0]);
    await page.getByRole("button", { name: "Verifica" }).click();
    await page.waitForURL(url("/mail"));
    await page.getByRole("link", { name: /Posta in arrivo/ }).waitFor();
  }],
], page, shots);
await b.close();
