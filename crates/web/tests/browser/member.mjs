// A member's journey in a real browser against `certa demo` and its
// convention OMCEO-AL-0056: activate a new mailbox by convention code (a bad
// codice fiscale and a taken name refused on the way), pay it on the built-in
// test payment page, log in to the webmail with it and send a PEC; then the
// daily machine (driven by `certa lifecycle run --now`, $CERTA) sends the
// renewal notice: open its link, change plan, pay, see the new expiry; and
// the demo's first mailbox, left unpaid past its expiry, is suspended, paid
// from its notice's link and reactivated at once. A screenshot of every page.
import { execFileSync } from "node:child_process";
import { args, browser, expect, run, screenshot } from "./lib.mjs";

const { demo, shots, spki } = args();
const nord = demo.providers[0];
const luca = demo.providers[1].mailboxes[0];
const mario = nord.mailboxes[0];
const code = demo.convention.code;
const CERTA = process.env.CERTA;
expect(CERTA, "the certa binary in $CERTA");
const GIULIA = { cf: "BNCGLI80A41A182V", name: "Giulia Bianchi", address: `giulia.bianchi@${nord.domain}`, password: "una password lunga" };
const SUBJECT = "Prima PEC dalla nuova casella";

const b = await browser(spki);
const page = await (await b.newContext({ locale: "it-IT" })).newPage();
const url = (path) => new URL(path, nord.web_url).toString();

// The daily machine of the first provider, at `now`.
function daily(now) {
  const out = execFileSync(CERTA, ["lifecycle", "run", "--data", nord.data, "--now", now], { encoding: "utf8" });
  console.log(`     certa lifecycle run --now ${now}: ${out.trim().split("\n").slice(0, 3).join(" / ")}`);
}

async function login(who, password) {
  await page.goto(url("/login"));
  await page.getByLabel("Indirizzo PEC").fill(who);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Accedi" }).click();
  await page.waitForURL(url("/mail"));
}

async function logout() {
  await page.getByRole("button", { name: "Esci" }).click();
  await page.waitForURL(/\/login/);
}

// Opens the INBOX message whose subject matches and returns the renewal link in its text.
async function renewalLinkIn(subject) {
  await page.goto(url("/mail"));
  await page.getByRole("link", { name: /Posta in arrivo/ }).click();
  await page.getByRole("link", { name: subject }).first().click();
  await page.waitForURL(/\/message\/\d+/);
  const text = await page.locator("main").innerText();
  const link = text.match(/https:\/\/\S+\/rinnovo\/[A-Za-z0-9_.-]+/);
  expect(link, `a renewal link in the notice:\n${text}`);
  return link[0];
}

async function payOnTheTestPage() {
  await page.getByRole("button", { name: /^Paga con carta/ }).click();
  await page.waitForURL(/\/pagamento-di-prova\//);
  await page.getByText("PAGINA DI PAGAMENTO DI PROVA").waitFor();
  await screenshot(page, shots, "test-payment");
  await page.getByRole("button", { name: /^Paga / }).click();
  await page.waitForURL(/esito=pagato/);
}

await run([
  ["type the convention code and see its offer", async () => {
    await page.goto(url("/attiva"));
    await screenshot(page, shots, "activation-code");
    await page.getByLabel("Codice convenzione").fill("OMCEO-XX-0000");
    await page.getByRole("button", { name: "Vedi l'offerta" }).click();
    await page.getByText("no convention has the code").waitFor();
    await page.getByLabel("Codice convenzione").fill(code.toLowerCase());
    await page.getByRole("button", { name: "Vedi l'offerta" }).click();
    await page.waitForURL(url(`/attiva/${code}`));
    const plans = page.locator("#plans");
    await plans.getByText("triennale").waitFor();
    await plans.getByText("4,88 €").waitFor();
    await screenshot(page, shots, "activation-offer");
  }],
  ["a bad codice fiscale and a taken name are refused in words", async () => {
    await page.getByLabel("Codice fiscale o partita IVA").fill("BNCGLI80A41A182M");
    await page.getByLabel(/^Nome e cognome/).fill(GIULIA.name);
    await page.getByLabel("Indirizzo di fatturazione").fill("Via Po 2, 15121 Alessandria");
    const name = page.getByLabel(/^Nome della casella/);
    await name.fill(mario.address.split("@")[0]);
    await page.locator("#name-status").getByText("è già in uso").waitFor();
    await page.getByLabel(/^Password/).fill(GIULIA.password);
    await page.getByLabel("Ripeta la password").fill(GIULIA.password);
    await page.getByRole("button", { name: "Ordina la casella" }).click();
    await page.locator("#tax_id-problem").getByText("wrong check character").waitFor();
    await screenshot(page, shots, "activation-bad-tax-id");
  }],
  ["order the mailbox: the name checked as typed, an order to pay", async () => {
    await page.getByLabel("Codice fiscale o partita IVA").fill(GIULIA.cf);
    await page.getByLabel(/^Nome della casella/).fill("giulia.bianchi");
    await page.locator("#name-status").getByText("è disponibile").waitFor();
    await page.getByLabel(/^Password/).fill(GIULIA.password);
    await page.getByLabel("Ripeta la password").fill(GIULIA.password);
    await screenshot(page, shots, "activation-form");
    await page.getByRole("button", { name: "Ordina la casella" }).click();
    await page.waitForURL(/\/attivazione\//);
    await page.getByText("In attesa di pagamento").waitFor();
    const reference = await page.locator("#transfer-reference").innerText();
    expect(/^CRT-\d{4}-\d{6} giulia\.bianchi@/.test(reference), `the transfer reference (${reference})`);
    await screenshot(page, shots, "activation-order");
  }],
  ["pay on the test payment page: the mailbox is active", async () => {
    await payOnTheTestPage();
    await page.locator("#stage").getByText("la casella è attiva").waitFor();
    await screenshot(page, shots, "activation-paid");
  }],
  ["log in with the new mailbox, find the activation notice, send a PEC", async () => {
    await page.getByRole("link", { name: "Accedi alla webmail" }).click();
    await login(GIULIA.address, GIULIA.password);
    await page.getByRole("link", { name: /Posta in arrivo/ }).click();
    await page.getByRole("link", { name: `Casella PEC ${GIULIA.address} attivata` }).click();
    await page.getByText(`Webmail: ${nord.web_url}`).waitFor();
    await screenshot(page, shots, "activation-notice");
    await page.getByRole("link", { name: "Scrivi" }).click();
    await page.getByLabel("A", { exact: true }).fill(luca.address);
    await page.getByLabel("Oggetto").fill(SUBJECT);
    await page.getByLabel("Testo").fill("Gentile collega,\nquesta è la mia nuova casella PEC.\n");
    await page.getByRole("button", { name: "Invia" }).click();
    await page.waitForURL(/\/sent\/[^/?]+\?sent/);
    await page.getByText("Ogni destinatario ha il suo esito finale.").waitFor({ timeout: 60000 });
    await page.locator("article.recipient").getByText("Consegnato nella casella del destinatario").waitFor();
    await screenshot(page, shots, "first-pec-delivered");
  }],
  ["the renewal notice's link: change plan, pay, see the new expiry", async () => {
    daily("2029-11-03T10:00:00+01:00");
    const link = await renewalLinkIn(`Casella PEC ${GIULIA.address} in scadenza il 02/12/2029: rinnovo`);
    await screenshot(page, shots, "renewal-notice");
    await logout();
    await page.goto(link);
    await page.getByRole("heading", { name: "Rinnovo della casella PEC" }).waitFor();
    await page.getByText("il rinnovo decorre dalla scadenza attuale").waitFor();
    await screenshot(page, shots, "renewal");
    await page.getByLabel("Piano per il rinnovo").selectOption("annuale");
    await page.getByRole("button", { name: "Cambia piano" }).click();
    await page.waitForURL((u) => u.toString() !== link && /\/rinnovo\//.test(u.toString()));
    await page.getByText("2,44 €").first().waitFor();
    await screenshot(page, shots, "renewal-plan-changed");
    await payOnTheTestPage();
    await page.getByText("Ordine pagato il").waitFor();
    await page.getByText("02/12/2030").first().waitFor();
    await screenshot(page, shots, "renewal-paid");
  }],
  ["a box left unpaid past its expiry is suspended; paid, it is reactivated at once", async () => {
    daily("2029-12-03T12:00:00+01:00");
    await login(mario.address, mario.password);
    const link = await renewalLinkIn(`Casella PEC ${mario.address} sospesa per mancato rinnovo`);
    await logout();
    await page.goto(link);
    await page.getByText("sospesa per mancato rinnovo").waitFor();
    await screenshot(page, shots, "renewal-suspended");
    await payOnTheTestPage();
    await page.getByText("Ordine pagato il").waitFor();
    await page.locator("dl.facts").first().getByText("attiva", { exact: true }).waitFor();
    await screenshot(page, shots, "renewal-reactivated");
  }],
], page, shots);

await b.close();
