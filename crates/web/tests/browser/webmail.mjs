// The webmail in a real browser against `certa demo`: log in, the folders, the
// language switch, log out. Screenshots of each page.
import { args, browser, expect, run, screenshot } from "./lib.mjs";

const { demo, shots, spki } = args();
const nord = demo.providers[0];
const mario = nord.mailboxes[0];
const b = await browser(spki);
const page = await (await b.newContext({ locale: "it-IT" })).newPage();
const url = (path) => new URL(path, nord.web_url).toString();

await run([
  ["the login page", async () => {
    await page.goto(url("/login"));
    expect(await page.locator("h1").innerText() === "Accesso alla casella PEC", "the Italian login title");
    await screenshot(page, shots, "login");
  }],
  ["a wrong password is refused", async () => {
    await page.getByLabel("Indirizzo PEC").fill(mario.address);
    await page.getByLabel("Password").fill("not-the-password");
    await page.getByRole("button", { name: "Accedi" }).click();
    await page.getByText("Indirizzo o password errati.").waitFor();
  }],
  ["log in with the keyboard", async () => {
    await page.getByLabel("Indirizzo PEC").fill(mario.address);
    await page.getByLabel("Password").fill(mario.password);
    await page.getByLabel("Password").press("Enter");
    await page.waitForURL(url("/mail"));
    await page.getByText(mario.address).waitFor();
    await page.getByRole("link", { name: /Posta in arrivo/ }).waitFor();
    await screenshot(page, shots, "folders");
  }],
  ["switch to English and back", async () => {
    await page.getByRole("button", { name: /English/ }).click();
    await page.getByRole("heading", { name: "Folders" }).waitFor();
    expect(await page.getAttribute("html", "lang") === "en", "<html lang=en>");
    await screenshot(page, shots, "folders-en");
    await page.getByRole("button", { name: /Italiano/ }).click();
    await page.getByRole("heading", { name: "Cartelle" }).waitFor();
  }],
  ["log out", async () => {
    await page.getByRole("button", { name: "Esci" }).click();
    await page.getByText("Uscita effettuata.").waitFor();
    await page.goto(url("/mail"));
    await page.waitForURL(/\/login/);
  }],
], page, shots);
await b.close();
