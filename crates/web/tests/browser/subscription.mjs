// The holder's subscription page in a real browser against `certa demo`
// (mario's mailbox, subscribed under the demo convention): the page with its
// facts, the holder's data saved, the mailbox saved as an archive (progress,
// then the download), the cancellation explained, confirmed and sent as a PEC
// from the mailbox, then recorded at its legal time, the PEC found in Sent;
// and the password changed.
import { existsSync, statSync } from "node:fs";
import { join } from "node:path";
import { args, browser, expect, run, screenshot } from "./lib.mjs";

const { demo, shots, spki } = args();
const nord = demo.providers[0];
const mario = nord.mailboxes[0];
const b = await browser(spki);
const context = await b.newContext({ locale: "it-IT", acceptDownloads: true });
const page = await context.newPage();
const url = (path) => new URL(path, nord.web_url).toString();

let legalTime = "";
await run([
  ["log in and open the subscription page from the menu", async () => {
    await page.goto(url("/login"));
    await page.getByLabel("Indirizzo PEC").fill(mario.address);
    await page.getByLabel("Password").fill(mario.password);
    await page.getByRole("button", { name: "Accedi" }).click();
    await page.waitForURL(url("/mail"));
    await page.getByRole("link", { name: "Abbonamento" }).click();
    await page.waitForURL(url("/abbonamento"));
    await page.getByRole("heading", { name: "Il mio abbonamento" }).waitFor();
    const facts = await page.locator("#subscription-facts").innerText();
    expect(facts.includes(mario.address), `the mailbox in ${facts}`);
    expect(facts.includes("OMCEO-AL-0056"), `the convention in ${facts}`);
    expect((await page.locator("#subscription-state").innerText()) === "attiva", "the mailbox active");
    await page.getByRole("heading", { name: "Storia dell'abbonamento" }).waitFor();
    await screenshot(page, shots, "subscription");
  }],
  ["a bad reference e-mail is named, a good one saved", async () => {
    await page.getByLabel("Indirizzo di fatturazione").fill("Via Roma 1, 15121 Alessandria");
    const email = page.getByLabel("E-mail di riferimento (per gli avvisi)");
    // The browser's own check first (type=email), then the server's for what it lets through.
    await email.fill("mario@localhost");
    await page.getByRole("button", { name: "Salva i dati" }).click();
    await page.locator("#holder-problem").waitFor();
    expect((await page.locator("#holder-problem").innerText()).includes("is not an e-mail address"), "the server's reason");
    await page.getByLabel("E-mail di riferimento (per gli avvisi)").fill("mario.rossi@example.com");
    await page.getByRole("button", { name: "Salva i dati" }).click();
    await page.getByText("Dati del titolare salvati.").waitFor();
  }],
  ["save the mailbox: the archive prepared, then downloaded", async () => {
    await page.getByRole("link", { name: "Salva la casella" }).first().click();
    await page.waitForURL(url("/abbonamento/archivio"));
    await page.getByRole("button", { name: "Prepara l'archivio" }).click();
    await page.getByText("Archivio pronto").waitFor({ timeout: 30000 });
    await screenshot(page, shots, "archive");
    const [download] = await Promise.all([
      page.waitForEvent("download"),
      page.locator("#archive-download").click(),
    ]);
    const name = download.suggestedFilename();
    expect(name.startsWith(mario.address) && name.endsWith(".tar.gz"), `an archive named after the mailbox, not ${name}`);
    const file = join(shots, "mailbox-archive.tar.gz");
    await download.saveAs(file);
    expect(existsSync(file) && statSync(file).size > 100, "the archive saved");
  }],
  ["the cancellation explains its consequences and asks for confirmation", async () => {
    await page.goto(url("/abbonamento"));
    await page.locator("#cancel-start").click();
    await page.waitForURL(url("/abbonamento/disdetta"));
    await page.getByRole("heading", { name: "Cosa succede" }).waitFor();
    const letter = await page.locator("#letter-text").innerText();
    expect(letter.includes(mario.address) && letter.includes("disdetta"), `the letter names the mailbox: ${letter}`);
    await screenshot(page, shots, "cancel-confirm");
    // Not ticked: the browser does not send it.
    await page.getByRole("button", { name: "Invia la disdetta" }).click();
    expect(page.url() === url("/abbonamento/disdetta"), "nothing sent without the confirmation");
  }],
  ["confirmed: sent as a PEC and recorded at its legal time", async () => {
    await page.getByLabel("Confermo la disdetta della casella e l'invio di questa PEC al gestore").check();
    await page.getByRole("button", { name: "Invia la disdetta" }).click();
    await page.waitForURL(/\/abbonamento\?fatto=disdetta/);
    // The page polls until the provider has recorded it.
    await page.locator("#cancel-recorded").waitFor({ timeout: 60000 });
    legalTime = await page.locator("#cancel-legal-time").innerText();
    expect(/^\d{2}\/\d{2}\/\d{4} \d{2}:\d{2}:\d{2}/.test(legalTime), `a legal time, not ${legalTime}`);
    expect((await page.locator("#service-ends").innerText()).length > 0, "when the service ends");
    expect((await page.locator("#contents-deleted").innerText()).length > 0, "when the contents are deleted");
    // The page itself, opened again, says the same and has it in its history.
    await page.goto(url("/abbonamento"));
    expect((await page.locator("#cancel-legal-time").innerText()) === legalTime, "the same legal time");
    expect((await page.locator("#timeline").innerText()).includes("disdetta registrata"), "the cancellation in the history");
    await screenshot(page, shots, "cancelled");
  }],
  ["the cancellation PEC is in Sent with its acceptance", async () => {
    await page.getByRole("link", { name: "Inviati" }).click();
    const row = page.getByRole("link", { name: /Disdetta della casella PEC/ });
    await row.first().click();
    await page.getByText("Accettato il").first().waitFor();
    await screenshot(page, shots, "cancellation-sent");
  }],
  ["a second cancellation is refused in words", async () => {
    await page.goto(url("/abbonamento/disdetta"));
    const problem = await page.locator(".problem").first().innerText();
    expect(problem.includes("already recorded at legal time"), `the refusal, not ${problem}`);
  }],
  ["the password changes with the current one", async () => {
    await page.goto(url("/abbonamento"));
    await page.getByLabel("Password attuale").fill(mario.password);
    await page.getByLabel("Nuova password (almeno 8 caratteri)").fill("una nuova password lunga");
    await page.getByLabel("Ripeti la nuova password").fill("una nuova password lunga");
    await page.getByRole("button", { name: "Cambia password" }).click();
    await page.getByText("Password cambiata").waitFor();
  }],
], page, shots);

await b.close();
