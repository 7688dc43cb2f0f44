// The Order's reserved area in a real browser against `certa demo`: Luca
// Verdi, on the roll of the Order kept on the first provider, asks for his
// link with his codice fiscale, reads it in his webmail at the other provider
// (the Order's PEC to the PEC on the roll), enters, sees his record, has a
// CEC-PAC refused in words and communicates his new PEC, a mailbox of the
// first provider: the Order asks him to confirm it from there, he does in that
// mailbox's webmail, and it becomes the official one with the channel "area
// riservata". The Rust test then finds it in `certa export inipec`. A
// screenshot of every page.
import { args, browser, expect, run, screenshot } from "./lib.mjs";

const { demo, shots, spki } = args();
const [nord, sud] = demo.providers;
const order = demo.order;
const luca = order.members.find((m) => m.name === "Luca Verdi");
const mailbox = sud.mailboxes.find((m) => m.address === luca.pec);
// The address Luca tells the Order (the Rust test looks for it in INI-PEC):
// his new mailbox on the first provider.
const NEW_PEC = luca.new_mailbox.address;

const b = await browser(spki);
const page = await (await b.newContext({ locale: "it-IT" })).newPage();
const webmail = (path, provider = sud) => new URL(path, provider.web_url).toString();

// Logs in to a webmail and opens the message whose subject matches, waiting for it.
async function readMessage(provider, box, subject, name) {
  await page.goto(webmail("/login", provider));
  await page.getByLabel("Indirizzo PEC").fill(box.address);
  await page.getByLabel("Password").fill(box.password);
  await page.getByRole("button", { name: "Accedi" }).click();
  await page.waitForURL(webmail("/mail", provider));
  await page.getByRole("link", { name: /Posta in arrivo/ }).click();
  await page.waitForURL(/\/mail\/\d+/);
  for (let i = 0; i < 60 && !(await page.getByRole("link", { name: subject }).count()); i++) {
    await page.waitForTimeout(500);
    await page.reload();
  }
  await screenshot(page, shots, `${name}-inbox`);
  await page.getByRole("link", { name: subject }).first().click();
  await page.waitForURL(/\/message\/\d+/);
  await page.getByText(order.pec).first().waitFor();
  await screenshot(page, shots, name);
  return page.content();
}
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
    // It comes from the Order's mailbox through the first provider's relay.
    const text = await readMessage(sud, mailbox, /accesso all'area riservata/, "webmail-link");
    const found = text.match(/https:\/\/[^\s"<]+\/area-riservata\/[^\s"<\/]+\/accesso\/[0-9a-f]{64}/);
    expect(found, "the link in the message's text");
    link = found[0];
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
  ["communicate the new PEC: a mailbox here, to confirm from it", async () => {
    await page.getByLabel("Nuovo indirizzo PEC").fill(NEW_PEC);
    await page.getByRole("button", { name: "Comunica", exact: true }).click();
    await page.locator("#to-confirm").getByText(NEW_PEC).waitFor();
    await screenshot(page, shots, "reserved-to-confirm");
    await page.getByRole("link", { name: "Torna alla sua scheda" }).click();
    await page.waitForURL(record);
    await page.getByRole("heading", { name: "In attesa di conferma" }).waitFor();
    await page.locator("#official-pec").getByText(luca.pec).waitFor();
    await screenshot(page, shots, "reserved-awaiting");
  }],
  ["confirm it from the new mailbox's webmail", async () => {
    const text = await readMessage(nord, luca.new_mailbox, /conferma dell'indirizzo PEC/, "webmail-confirmation");
    const found = text.match(/https:\/\/[^\s"<]+\/area-riservata\/[^\s"<\/]+\/conferma\/[0-9a-f]{64}/);
    expect(found, "the confirmation link in the message's text");
    await page.goto(found[0]);
    await page.getByRole("heading", { name: "Conferma dell'indirizzo PEC" }).waitFor();
    await screenshot(page, shots, "reserved-confirm");
    await page.getByRole("button", { name: "Conferma" }).click();
    await page.locator("#recorded").getByText(NEW_PEC).waitFor();
    await screenshot(page, shots, "reserved-recorded");
  }],
  ["the record: the new PEC official from today, channel reserved area", async () => {
    await page.getByRole("link", { name: "Torna alla sua scheda" }).click();
    await page.waitForURL(record);
    await page.locator("#official-pec").getByText(NEW_PEC).waitFor();
    const row = page.locator("#pec-history tr").filter({ hasText: NEW_PEC });
    await row.getByText("area riservata").waitFor();
    await row.getByText("ufficiale").waitFor();
    expect(!(await page.getByRole("heading", { name: "In attesa di conferma" }).count()), "nothing awaiting");
    await screenshot(page, shots, "reserved-record-after");
  }],
  ["log out", async () => {
    await page.getByRole("button", { name: "Esci" }).click();
    await page.getByRole("button", { name: "Ricevi il link di accesso" }).waitFor();
  }],
], page, shots);

await b.close();
