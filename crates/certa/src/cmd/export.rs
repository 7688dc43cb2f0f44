//! `certa export inipec|reginde|esiti|history`: the files for the national
//! registers. Each export is recorded with the state it leaves the register in,
//! so the next delta starts from what was sent (registries.md 1.3, 2.4); a day
//! without INI-PEC changes is recorded as such (the Order confirms it on the portal).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use chrono::{Datelike, NaiveDate};
use registry::inipec::{self, DailyDelta, IniPecFormat, IniPecState};
use registry::reginde::{self, esiti, xml};
use store::registry::{self as reg, IniPecExport, RegindeExport, StoredEsito};

use super::DataArgs;
use super::member::{Roll, today};
use super::order::{mail_domain, send_once, stored_order, why_mailbox_cannot_send};
use crate::provider::Provider;
use pec::smime::Signer;
use store::registry::StoredOrder;

#[derive(clap::Subcommand)]
pub enum Command {
    /// The day's INI-PEC upload file: the changes since the last export.
    Inipec {
        #[arg(long)]
        order: String,
        /// The day (default today); an export of a day already exported writes the recorded file again.
        #[arg(long)]
        date: Option<NaiveDate>,
        /// Where to write the CSV (nothing is written on a day without changes).
        #[arg(long)]
        out: Option<PathBuf>,
        /// The file's details (TOML: separator, header, date_format, encoding, line_ending,
        /// [codes] update/insert/delete); default as in crates/registry/src/inipec.md.
        #[arg(long)]
        format: Option<PathBuf>,
        #[command(flatten)]
        data: DataArgs,
    },
    /// The court experts' ComunicazioniSoggetti.xml for ReGIndE.
    Reginde {
        #[arg(long)]
        order: String,
        /// YYYY-MM (default this month).
        #[arg(long)]
        month: Option<String>,
        /// The whole roll (the default for the first communication).
        #[arg(long, conflicts_with = "incremental")]
        whole: bool,
        /// The changes since the last communication (the default after the first).
        #[arg(long)]
        incremental: bool,
        /// Where to write the XML (default standard output).
        #[arg(long)]
        out: Option<PathBuf>,
        #[command(flatten)]
        send: SendArgs,
        #[command(flatten)]
        data: DataArgs,
    },
    /// Read ReGIndE's Esiti.xml answer and record each member's outcome.
    Esiti {
        file: PathBuf,
        #[arg(long)]
        order: String,
        #[command(flatten)]
        data: DataArgs,
    },
    /// What was sent when.
    History {
        #[arg(long)]
        order: String,
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        data: DataArgs,
    },
}

/// Sending the ReGIndE file: signed by the Order's delegate (CAdES, `.p7m`) and
/// sent as a PEC from the Order's mailbox, which must be on this installation.
#[derive(clap::Args)]
pub struct SendArgs {
    /// Sign the file and send it by PEC to this address (the one the Ministry's
    /// answer to the Order's registration gives).
    #[arg(long, requires_all = ["signer_cert", "signer_key"])]
    send_to: Option<String>,
    /// The delegate's signing certificate (PEM): its subject's serialNumber must be
    /// the codice fiscale of the delegate registered for the Order.
    #[arg(long, requires = "send_to")]
    signer_cert: Option<PathBuf>,
    /// The delegate's private key (PEM, unencrypted).
    #[arg(long, requires = "send_to")]
    signer_key: Option<PathBuf>,
    /// Certificates of the delegate's CA to embed (PEM).
    #[arg(long, requires = "send_to")]
    signer_chain: Option<PathBuf>,
    /// The attachment's name before `.p7m`: the Ministry's answer names the one it checks.
    #[arg(long, default_value = "ComunicazioniSoggetti.xml")]
    file_name: String,
}

pub async fn run(cmd: Command) -> Result<ExitCode> {
    match cmd {
        Command::Inipec {
            order,
            date,
            out,
            format,
            data,
        } => inipec(&order, date.unwrap_or_else(today), out, format, &data).await,
        Command::Reginde {
            order,
            month,
            whole,
            incremental,
            out,
            send,
            data,
        } => {
            let mode = match (whole, incremental) {
                (true, _) => Some(true),
                (_, true) => Some(false),
                _ => None,
            };
            reginde(&order, month, mode, out, &send, &data).await
        }
        Command::Esiti { file, order, data } => esiti(&file, &order, &data).await,
        Command::History { order, json, data } => history(&order, json, &data).await,
    }
}

fn read_format(path: Option<PathBuf>) -> Result<IniPecFormat> {
    let Some(path) = path else {
        return Ok(IniPecFormat::default());
    };
    let text = std::fs::read_to_string(&path).with_context(|| format!("--format: cannot read {}", path.display()))?;
    toml::from_str(&text).map_err(|e| anyhow::anyhow!("--format {}: {e}", path.display()))
}

/// Today's INI-PEC positions from the roll.
pub fn inipec_state(roll: &Roll) -> IniPecState {
    IniPecState::from_members(
        roll.with_pec()
            .map(|(_, m, pec)| (m, pec.filter(|p| p.valid).map(|p| p.address.as_str()))),
    )
}

async fn inipec(
    order: &str,
    day: NaiveDate,
    out: Option<PathBuf>,
    format: Option<PathBuf>,
    data: &DataArgs,
) -> Result<ExitCode> {
    let format = read_format(format)?;
    let store = data.store().await?;
    let mut tx = store.begin().await?;
    let roll = Roll::load(&mut tx, order).await?;
    let code = roll.order.code.clone();
    let day_text = day.to_string();
    let export = match reg::inipec_export(&mut tx, &code, &day_text).await? {
        Some(done) => {
            eprintln!("{code}: INI-PEC of {day} already exported; the recorded file is written again");
            done
        }
        None => {
            let last = reg::last_inipec(&mut tx, &code).await?;
            if let Some(last) = &last
                && last.day > day_text
            {
                bail!(
                    "--date {day}: INI-PEC was already exported for the later day {}",
                    last.day
                );
            }
            let sent: IniPecState = match &last {
                Some(l) => serde_json::from_str(&l.state).context("the last INI-PEC state in the database")?,
                None => IniPecState::default(),
            };
            let now_state = inipec_state(&roll);
            let (file, rows) = match inipec::daily_delta(&sent, &now_state) {
                DailyDelta::NoChanges => (None, 0),
                DailyDelta::Changes(rows) => (
                    Some(inipec::render_csv(&rows, &format).map_err(|e| anyhow::anyhow!("INI-PEC file: {e}"))?),
                    rows.len(),
                ),
            };
            let export = IniPecExport {
                id: 0,
                order_code: code.clone(),
                day: day_text,
                no_changes: file.is_none(),
                row_count: rows as i64,
                file,
                // Only `listed` is read back as the next day's "last sent".
                state: serde_json::to_string(&IniPecState {
                    listed: now_state.listed,
                    left: Default::default(),
                })?,
                created_at: store::millis(chrono::Utc::now()),
            };
            reg::record_inipec(&mut tx, &export).await?;
            export
        }
    };
    tx.commit().await?;
    store.close().await;
    match (&export.file, &out) {
        (None, _) => {
            println!("{code}: no changes on {day}: nothing to upload; confirm \"no changes\" on the INI-PEC portal")
        }
        (Some(bytes), Some(path)) => {
            std::fs::write(path, bytes).with_context(|| format!("--out: cannot write {}", path.display()))?;
            println!(
                "{code}: {} rows for {day} written to {}",
                export.row_count,
                path.display()
            );
        }
        (Some(bytes), None) => {
            use std::io::Write as _;
            std::io::stdout().write_all(bytes)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn reginde(
    order: &str,
    month: Option<String>,
    whole: Option<bool>,
    out: Option<PathBuf>,
    send: &SendArgs,
    data: &DataArgs,
) -> Result<ExitCode> {
    let month = match month {
        Some(m) => {
            NaiveDate::parse_from_str(&format!("{m}-01"), "%Y-%m-%d")
                .map_err(|_| anyhow::anyhow!("--month {m:?}: not YYYY-MM"))?;
            m
        }
        None => {
            let t = today();
            format!("{:04}-{:02}", t.year(), t.month())
        }
    };
    let delegate_signer = send.signer()?;
    // Sending goes through the engine: the provider is opened, and its store read.
    let provider = match &send.send_to {
        Some(_) => Some(Provider::open(&data.data, data.database.as_deref()).await?),
        None => None,
    };
    let store = match &provider {
        Some(p) => p.engine.store().clone(),
        None => data.store().await?,
    };
    let mut tx = store.begin().await?;
    let roll = Roll::load(&mut tx, order).await?;
    let code = roll.order.code.clone();
    if let Some(signer) = &delegate_signer {
        check_sender(&mut tx, &roll.order, signer).await?;
    }
    let (today_subjects, refused) = reginde::subjects(
        roll.with_pec()
            .map(|(_, m, pec)| (m, pec.filter(|p| p.valid).map(|p| p.address.as_str()))),
    );
    for r in &refused {
        eprintln!("warning: not sent to ReGIndE: {r}");
    }
    let last = reg::last_reginde(&mut tx, &code).await?;
    let whole = whole.unwrap_or(last.is_none());
    let communication = if whole {
        Some(reginde::whole_roll(&roll.order.codice_ente, &today_subjects))
    } else {
        let sent: reginde::Subjects = match &last {
            Some(l) => serde_json::from_str(&l.subjects).context("the last ReGIndE subjects in the database")?,
            None => Default::default(),
        };
        reginde::incremental(&roll.order.codice_ente, &sent, &today_subjects)
    };
    let Some(communication) = communication else {
        println!("{code}: no changes for ReGIndE since the last communication: nothing to send");
        return Ok(ExitCode::SUCCESS);
    };
    let text = xml::render(&communication);
    let mut export = RegindeExport {
        id: 0,
        order_code: code.clone(),
        month: month.clone(),
        whole,
        xml: text.clone(),
        subjects: serde_json::to_string(&today_subjects)?,
        created_at: store::millis(chrono::Utc::now()),
        message: None,
    };
    if let (Some(provider), Some(signer), Some(to)) = (&provider, &delegate_signer, &send.send_to) {
        // Nothing is recorded until the PEC is accepted: a failed send leaves the
        // next communication where this one started.
        tx.rollback().await?;
        let identificativo = send_reginde(&provider.engine, &roll.order, &export, signer, to, &send.file_name).await?;
        export.message = Some(identificativo.clone());
        let mut tx = store.begin().await?;
        reg::record_reginde(&mut tx, &export).await?;
        tx.commit().await?;
        println!(
            "{code}: {} {} subjects for {month}, signed by {} and sent by PEC from {} to {to} ({identificativo})",
            if whole { "whole roll," } else { "incremental," },
            communication.subjects.len(),
            signer.subject(),
            roll.order.pec,
        );
    } else {
        reg::record_reginde(&mut tx, &export).await?;
        tx.commit().await?;
    }
    store.close().await;
    match &out {
        Some(path) => {
            std::fs::write(path, &text).with_context(|| format!("--out: cannot write {}", path.display()))?;
            if send.send_to.is_some() {
                println!("{code}: the XML sent is written to {}", path.display());
            } else {
                println!(
                    "{code}: {} {} subjects for {month} written to {} (sign it and send it by PEC from {})",
                    if whole { "whole roll," } else { "incremental," },
                    communication.subjects.len(),
                    path.display(),
                    roll.order.pec
                );
            }
        }
        None if send.send_to.is_none() => print!("{text}"),
        None => {}
    }
    Ok(ExitCode::SUCCESS)
}

impl SendArgs {
    /// The delegate's signing identity, when sending.
    fn signer(&self) -> Result<Option<Signer>> {
        let (Some(cert), Some(key)) = (&self.signer_cert, &self.signer_key) else {
            return Ok(None);
        };
        let read =
            |flag: &str, p: &Path| std::fs::read(p).with_context(|| format!("{flag}: cannot read {}", p.display()));
        let chain = match &self.signer_chain {
            Some(p) => read("--signer-chain", p)?,
            None => Vec::new(),
        };
        let signer = Signer::from_pem(&read("--signer-cert", cert)?, &read("--signer-key", key)?, &chain)
            .map_err(|e| anyhow::anyhow!("--signer-cert/--signer-key: {e}"))?;
        Ok(Some(signer))
    }
}

/// What the Ministry checks before reading the file (registries.md 2.3): the
/// sender is the Order's registered mailbox, here and able to send, and the
/// signer is the Order's registered delegate, matched by codice fiscale (F001).
async fn check_sender(c: &mut store::Conn, order: &StoredOrder, signer: &Signer) -> Result<()> {
    if let Some(why) = why_mailbox_cannot_send(c, order).await? {
        bail!("--send-to: {why}: export the file without --send-to, and sign and send it from there");
    }
    let Some(delegate) = super::order::delegate(order)? else {
        bail!(
            "Order {}: no signing delegate registered (certa order add ... --delegate CF): ReGIndE refuses a file signed by anyone else",
            order.code
        );
    };
    let expected = delegate.codice_fiscale.as_str();
    match signer.holder_tax_id() {
        Some(cf) if cf == expected => Ok(()),
        Some(cf) => bail!(
            "--signer-cert: the certificate is {cf}'s, not the Order's delegate {expected} ({} {}): ReGIndE would refuse it (F001)",
            delegate.name,
            delegate.surname
        ),
        None => bail!(
            "--signer-cert: the certificate's subject ({}) carries no codice fiscale (serialNumber TINIT-...): \
             ReGIndE matches the signer by it",
            signer.subject()
        ),
    }
}

/// The communication signed (CAdES) and sent by PEC as the message's one
/// attachment; its identificativo. The Message-ID depends on the file, so a send
/// accepted before an interruption is found instead of made twice.
async fn send_reginde(
    engine: &engine::Engine,
    order: &StoredOrder,
    export: &RegindeExport,
    signer: &Signer,
    to: &str,
    file_name: &str,
) -> Result<String> {
    let digest = store::BlobId::of(export.xml.as_bytes());
    let id = format!(
        "reginde.{}.{}.{}@{}",
        order.code.to_ascii_lowercase(),
        export.month,
        &digest.0[..16],
        mail_domain(order)
    );
    let kind = if export.whole { "intero albo" } else { "variazioni" };
    let sent = send_once(engine, order, to, &id, |m| {
        let signed = signer
            .sign_cades(export.xml.as_bytes())
            .map_err(|e| anyhow::anyhow!("cannot sign the ReGIndE file: {e}"))?;
        m.subject(format!(
            "ReGIndE - comunicazione soggetti {} {} ({kind})",
            order.codice_ente, export.month
        ))
        .text_body(format!(
            "{}\n\nComunicazione dei soggetti al ReGIndE (DM 44/2011 art. 7), {kind}, {}.\n\
             In allegato il file {file_name} firmato digitalmente dal delegato.\n",
            order.name, export.month
        ))
        .attachment("application/pkcs7-mime", format!("{file_name}.p7m"), signed)
        .write_to_vec()
        .context("cannot write the ReGIndE message")
    })
    .await?;
    sent.map_err(|refusal| anyhow::anyhow!("--send-to: the PEC to {to} was refused: {refusal}"))
}

fn subject_code(c: &esiti::SubjectCode) -> String {
    use esiti::SubjectCode::*;
    match c {
        Done => "S000".into(),
        PresentUnderAnotherBody => "W001".into(),
        InvalidPec => "E001".into(),
        InvalidPersonalData => "E002".into(),
        AlreadyPresent => "E003".into(),
        DeleteNotPresent => "E004".into(),
        UpdateNotPresent => "E005".into(),
        Generic => "E999".into(),
        Other(c) => c.clone(),
    }
}

fn file_code(c: &esiti::FileCode) -> String {
    use esiti::FileCode::*;
    match c {
        SignerNotAuthorised => "F001".into(),
        SenderPecNotAuthorised => "F002".into(),
        NotValidAgainstSchema => "F003".into(),
        WholeRollNotAllowed => "F004".into(),
        MessageFormat => "F005".into(),
        Generic => "F999".into(),
        Other(c) => c.clone(),
    }
}

fn severity(s: esiti::Severity) -> &'static str {
    match s {
        esiti::Severity::Success => "success",
        esiti::Severity::Warning => "warning",
        esiti::Severity::Error => "error",
    }
}

async fn esiti(file: &std::path::Path, order: &str, data: &DataArgs) -> Result<ExitCode> {
    let bytes = std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
    let answer = esiti::parse_esiti(&bytes).map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
    let store = data.store().await?;
    let mut tx = store.begin().await?;
    let order = stored_order(&mut tx, order).await?;
    let now = store::millis(chrono::Utc::now());
    let mut diverged = false;
    if let Some(f) = &answer.file_outcome {
        let code = file_code(&f.code);
        println!(
            "whole file refused: {code} {}",
            f.description.as_deref().unwrap_or_default()
        );
        let e = StoredEsito {
            order_code: order.code.clone(),
            message_id: answer.message_id.clone(),
            codice_fiscale: None,
            code,
            severity: "error".into(),
            description: f.description.clone(),
            recorded_at: now,
        };
        reg::record_esito(&mut tx, &e).await?;
    }
    for s in &answer.subjects {
        diverged |= s.outcome.code.diverged();
        let e = StoredEsito {
            order_code: order.code.clone(),
            message_id: answer.message_id.clone(),
            codice_fiscale: s.codice_fiscale.clone(),
            code: subject_code(&s.outcome.code),
            severity: severity(s.outcome.code.severity()).into(),
            description: s.outcome.description.clone(),
            recorded_at: now,
        };
        println!(
            "{:<16}  {}  {:<7}  {}",
            e.codice_fiscale.as_deref().unwrap_or("-"),
            e.code,
            e.severity,
            e.description.as_deref().unwrap_or_default()
        );
        reg::record_esito(&mut tx, &e).await?;
    }
    tx.commit().await?;
    store.close().await;
    println!("{}: {} outcomes recorded", order.code, answer.subjects.len());
    if diverged {
        println!("ReGIndE's view differs from the Order's: send the whole roll (certa export reginde --whole)");
    }
    Ok(ExitCode::SUCCESS)
}

async fn history(order: &str, json: bool, data: &DataArgs) -> Result<ExitCode> {
    let store = data.store().await?;
    let mut c = store.conn().await?;
    let order = stored_order(&mut c, order).await?;
    let inipec = reg::inipec_exports(&mut c, &order.code).await?;
    let reginde = reg::reginde_exports(&mut c, &order.code).await?;
    if json {
        let v = serde_json::json!({ "inipec": inipec, "reginde": reginde });
        println!("{}", serde_json::to_string_pretty(&v)?);
        return Ok(ExitCode::SUCCESS);
    }
    for e in &inipec {
        if e.no_changes {
            println!("INI-PEC  {}  no changes", e.day);
        } else {
            println!("INI-PEC  {}  {} rows", e.day, e.row_count);
        }
    }
    for e in &reginde {
        let at = store::instant(e.created_at).format("%Y-%m-%d %H:%M UTC");
        let kind = if e.whole { "whole roll" } else { "incremental" };
        match &e.message {
            Some(id) => println!("ReGIndE  {}  {kind} (sent by PEC {at}, {id})", e.month),
            None => println!("ReGIndE  {}  {kind} (made {at})", e.month),
        }
    }
    Ok(ExitCode::SUCCESS)
}
