// The webmail in a real browser against `certa demo`, the whole way of a PEC:
// log in; read the PEC the Rust test sent from the other provider (the message
// inside the envelope, its attachment); write a PEC with an attachment to a
// local and a remote recipient and watch both timelines reach "delivered";
// download the proof bundle (the Rust test checks it with openssl and
// sha256sum); find the message by identificativo; switch to English; log out.
// A screenshot of every page, kept under the build folder.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { args, browser, expect, run, screenshot } from "./lib.mjs";

const { demo, shots, spki } = args();
const [nord, sud] = demo.providers;
const mario = nord.mailboxes[0];
const anna = nord.mailboxes[1];
const luca = sud.mailboxes[0];
// What the Rust test sent to mario from the other provider.
const RECEIVED_SUBJECT = "Parere sul contratto di locazione";
const RECEIVED_TEXT = "in allegato il parere richiesto";
const RECEIVED_ATTACHMENT = "parere-locazione.pdf";
// What this scenario sends.
const SUBJECT = "Diffida ad adempiere, pratica 2026/118";
const ATTACHMENT = { name: "diffida-118.pdf", mimeType: "application/pdf", buffer: Buffer.from("%PDF-1.4\n% diffida 2026/118\n" + "x".repeat(20000) + "\n%%EOF\n") };

const b = await browser(spki);
const context = await b.newContext({ locale: "it-IT", acceptDownloads: true });
const page = await context.newPage();
const url = (path) => new URL(path, nord.web_url).toString();
let identificativo = "";

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
    await page.getByText("Spazio occupato").waitFor();
    await screenshot(page, shots, "folders");
  }],
  ["read the PEC from the other provider: the message inside and its attachment", async () => {
    await page.getByRole("link", { name: /Posta in arrivo/ }).click();
    await page.waitForURL(/\/mail\/\d+/);
    // It arrives through the other provider's relay: wait for it (the page is reloaded).
    for (let i = 0; i < 60 && !(await page.getByRole("link", { name: RECEIVED_SUBJECT }).count()); i++) {
      await page.waitForTimeout(500);
      await page.reload();
    }
    const row = page.getByRole("row").filter({ hasText: RECEIVED_SUBJECT });
    await row.getByText("Messaggio certificato").first().waitFor();
    await screenshot(page, shots, "inbox");
    await page.getByRole("link", { name: RECEIVED_SUBJECT }).click();
    await page.waitForURL(/\/message\/\d+/);
    await page.getByRole("heading", { name: RECEIVED_SUBJECT, level: 1 }).waitFor();
    await page.getByText(RECEIVED_TEXT).waitFor();
    await page.getByText(luca.address).first().waitFor();
    const certification = page.locator("section.certification");
    await certification.getByText("valida, di un gestore dell'indice").waitFor();
    await certification.getByText(/Certa Sud/).first().waitFor();
    await screenshot(page, shots, "message");
    const [download] = await Promise.all([
      page.waitForEvent("download"),
      page.getByRole("link", { name: RECEIVED_ATTACHMENT }).click(),
    ]);
    const file = join(shots, RECEIVED_ATTACHMENT);
    await download.saveAs(file);
    const pdf = readFileSync(file, "latin1");
    expect(pdf.startsWith("%PDF-1.4") && pdf.trimEnd().endsWith("%%EOF"), "the attachment as it was sent");
    await page.getByRole("link", { name: "Cartelle" }).click();
  }],
  ["write a PEC with an attachment to a local and a remote recipient", async () => {
    await page.getByRole("link", { name: "Scrivi" }).click();
    await page.waitForURL(url("/compose"));
    await page.getByLabel("A", { exact: true }).fill(`${anna.address}, Luca Verdi <${luca.address}>`);
    await page.getByLabel("Oggetto").fill(SUBJECT);
    await page.getByLabel("Testo").fill("Egregi,\ncon la presente si diffida ad adempiere entro quindici giorni.\n");
    await page.locator("#attachments").setInputFiles(ATTACHMENT);
    await page.getByLabel(/^Completa/).check();
    await screenshot(page, shots, "compose");
    await page.getByRole("button", { name: "Invia" }).click();
    await page.waitForURL(/\/sent\/[^/?]+\?sent/);
    identificativo = decodeURIComponent(new URL(page.url()).pathname.split("/").pop());
    expect(identificativo.length > 10, `an identificativo in the address (${page.url()})`);
    console.log(`identificativo: ${identificativo}`);
  }],
  ["both timelines reach delivered, live", async () => {
    await page.getByText("Ogni destinatario ha il suo esito finale.").waitFor({ timeout: 60000 });
    const recipients = page.locator("article.recipient");
    expect(await recipients.count() === 2, "two recipients");
    for (const address of [anna.address, luca.address]) {
      const r = recipients.filter({ hasText: address });
      await r.getByText("Consegnato nella casella del destinatario").waitFor();
    }
    await screenshot(page, shots, "timeline");
  }],
  ["the Sent folder says delivered to all", async () => {
    await page.getByRole("link", { name: "Inviati" }).click();
    await page.waitForURL(url("/sent"));
    await page.getByRole("row").filter({ hasText: SUBJECT }).getByText("Consegnato a tutti (2)").waitFor();
    await screenshot(page, shots, "sent");
    await page.getByRole("link", { name: SUBJECT }).click();
    await page.waitForURL(/\/sent\//);
  }],
  ["download the proof bundle", async () => {
    const [download] = await Promise.all([
      page.waitForEvent("download"),
      page.getByRole("link", { name: /prova di invio/ }).click(),
    ]);
    const file = join(shots, "proof-bundle.zip");
    await download.saveAs(file);
    expect(download.suggestedFilename().endsWith(".zip"), `a ZIP (${download.suggestedFilename()})`);
    expect(readFileSync(file).subarray(0, 2).toString() === "PK", "a ZIP file");
  }],
  ["find the message by identificativo", async () => {
    await page.getByRole("link", { name: "Cerca", exact: true }).click();
    await page.waitForURL(url("/search"));
    await page.getByLabel("Identificativo PEC").fill(identificativo);
    await page.getByRole("button", { name: "Cerca", exact: true }).click();
    await page.getByRole("heading", { name: "Risultati" }).waitFor();
    const rows = page.locator("table.messages tbody tr");
    expect(await rows.count() >= 1, "at least the message and its receipts");
    await rows.filter({ hasText: SUBJECT }).first().waitFor();
    await screenshot(page, shots, "search");
  }],
  ["the public verifier checks a delivery receipt", async () => {
    await page.goto(url("/sent/" + encodeURIComponent(identificativo)));
    const receipt = page.locator("article.recipient").filter({ hasText: luca.address })
      .getByRole("link", { name: "ricevuta" }).last();
    const href = await receipt.getAttribute("href");
    // Fetched by the page itself, through the browser's TLS that trusts only the demo.
    const eml = await page.evaluate(async (path) => {
      const r = await fetch(path);
      return { ok: r.ok, type: r.headers.get("content-type"), bytes: Array.from(new Uint8Array(await r.arrayBuffer())) };
    }, href + "/eml");
    expect(eml.ok && eml.type.startsWith("message/rfc822"), `the receipt's .eml (${eml.type})`);
    const file = join(shots, "avvenuta-consegna.eml");
    writeFileSync(file, Buffer.from(eml.bytes));
    await page.getByRole("link", { name: "Verifica una PEC" }).click();
    await page.waitForURL(url("/verify"));
    await page.getByLabel(/File .eml/).setInputFiles(file);
    await page.getByRole("button", { name: "Verifica", exact: true }).click();
    await page.getByRole("status").getByText("Firma valida di un gestore fidato").waitFor();
    await page.getByText(identificativo).first().waitFor();
    await screenshot(page, shots, "verify");
  }],
  ["switch to English", async () => {
    await page.goto(url("/sent/" + encodeURIComponent(identificativo)));
    await page.getByRole("button", { name: /English/ }).click();
    await page.getByText("Every recipient has its final word.").waitFor();
    expect(await page.getAttribute("html", "lang") === "en", "<html lang=en>");
    await screenshot(page, shots, "timeline-en");
    await page.goto(url("/mail"));
    await page.getByRole("heading", { name: "Folders" }).waitFor();
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
