// The Order's reserved area in a real browser against `certa demo`: Luca
// Verdi, on the roll of the Order kept on the first provider, asks for his
// link with his codice fiscale, reads it in his webmail at the other provider
// (the Order's PEC to the PEC on the roll), enters, sees his record, has a
// CEC-PAC refused in words and communicates his new PEC, which becomes the
// official one with the channel "area riservata". The Rust test then finds it
// in `certa export inipec`. A screenshot of every page.
import { args, browser, expect, run, screenshot } from "./lib.mjs";

const { demo, shots, spki } = args();
const sud = demo.providers[1];
const order = demo.order;
const luca = order.members.find((m) => m.name === "Luca Verdi");
const mailbox = sud.mailboxes.find((m) => m.address === luca.pec);
// The address Luca tells the Order (the Rust test looks for it in INI-PEC).
const NEW_PEC = "luca.verdi.studio@sud.pec.test";

const b = await browser(spki);
const page = await (await b.newContext({ locale: "it-IT" })).newPage();
const webmail = (path) => new URL(path, sud.web_url).toString();
const record = new RegExp(`/area-riservata/${order.code}/scheda$`);
let link = "";

await run([
  ["the Order's reserved area asks for the codice fiscale", async () => {
    expect(luca && mailbox, "Luca Verdi on the roll, his PEC a demo mailbox of the other provider");
    await page.goto(order.reserved_area_url);
    await page.getByRole("heading", { name: "Area riservata degli iscritti" }).waitFor();
    await page.getByText(order.name).waitFor();
    await screenshot(page, shots, "reserved-login");
  }],
  ["ask for the one-time link", async () => {
    await page.getByLabel("Codice fiscale").fill(luca.codice_fiscale);
    await page.getByRole("button", { name: "Ricevi il link di accesso" }).click();
    await page.locator("#link-sent").waitFor();
    await screenshot(page, shots, "reserved-link-sent");
  }],
  ["read the link in Luca's webmail at the other provider", async () => {
    await page.goto(webmail("/login"));
    await page.getByLabel("Indirizzo PEC").fill(mailbox.address);
    await page.getByLabel("Password").fill(mailbox.password);
    await page.getByRole("button", { name: "Accedi" }).click();
    await page.waitForURL(webmail("/mail"));
    await page.getByRole("link", { name: /Posta in arrivo/ }).click();
    await page.waitForURL(/\/mail\/\d+/);
    const subject = /accesso all'area riservata/;
    // It comes from the Order's mailbox through the first provider's relay.
    for (let i = 0; i < 60 && !(await page.getByRole("link", { name: subject }).count()); i++) {
      await page.waitForTimeout(500);
      await page.reload();
    }
    await screenshot(page, shots, "webmail-inbox");
    await page.getByRole("link", { name: subject }).first().click();
    await page.waitForURL(/\/message\/\d+/);
    await page.getByText(order.pec).first().waitFor();
    const found = (await page.content()).match(/https:\/\/[^\s"<]+\/area-riservata\/[^\s"<\/]+\/accesso\/[0-9a-f]{64}/);
    expect(found, "the link in the message's text");
    link = found[0];
    await screenshot(page, shots, "webmail-link");
  }],
  ["open the link: its button enters the reserved area", async () => {
    await page.goto(link);
    await page.getByRole("heading", { name: "Accesso all'area riservata" }).waitFor();
    await screenshot(page, shots, "reserved-enter");
    await page.getByRole("button", { name: "Entra" }).click();
    await page.waitForURL(record);
    await page.locator("#official-pec").getByText(luca.pec).waitFor();
    await page.getByText(luca.codice_fiscale).waitFor();
    expect((await page.locator("#member-status").innerText()) === "attivo", "active on the roll");
    await screenshot(page, shots, "reserved-record");
  }],
  ["the link is used once", async () => {
    const again = await page.context().newPage();
    await again.goto(link);
    await again.getByRole("button", { name: "Entra" }).click();
    await again.getByText("Questo link non è valido").waitFor();
    await screenshot(again, shots, "reserved-link-used");
    await again.close();
  }],
  ["a CEC-PAC is refused in words", async () => {
    await page.getByLabel("Nuovo indirizzo PEC").fill("luca.verdi@postacertificata.gov.it");
    await page.getByRole("button", { name: "Comunica", exact: true }).click();
    await page.getByText("è una CEC-PAC (PEC del cittadino), non valida per INI-PEC").waitFor();
    await screenshot(page, shots, "reserved-refused");
    await page.getByRole("link", { name: "Torna alla sua scheda" }).click();
    await page.waitForURL(record);
  }],
  ["communicate the new PEC: official from today, channel reserved area", async () => {
    await page.getByLabel("Nuovo indirizzo PEC").fill(NEW_PEC);
    await page.getByRole("button", { name: "Comunica", exact: true }).click();
    await page.locator("#recorded").getByText(NEW_PEC).waitFor();
    await screenshot(page, shots, "reserved-recorded");
    await page.getByRole("link", { name: "Torna alla sua scheda" }).click();
    await page.waitForURL(record);
    await page.locator("#official-pec").getByText(NEW_PEC).waitFor();
    const row = page.locator("#pec-history tr").filter({ hasText: NEW_PEC });
    await row.getByText("area riservata").waitFor();
    await row.getByText("ufficiale").waitFor();
    await screenshot(page, shots, "reserved-record-after");
  }],
  ["log out", async () => {
    await page.getByRole("button", { name: "Esci" }).click();
    await page.getByRole("button", { name: "Ricevi il link di accesso" }).waitFor();
  }],
], page, shots);

await b.close();
