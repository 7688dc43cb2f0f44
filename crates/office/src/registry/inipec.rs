//! The day's INI-PEC upload (registries.md 1.3): the rows that bring the
//! national register from the last export to the roll as it is now. Each
//! export is recorded with the state it leaves INI-PEC in, so the next delta
//! starts from what was sent; a day without changes is recorded as such (the
//! Order confirms "no changes" on the portal).

use chrono::NaiveDate;
use registry::inipec::{self, DailyDelta, IniPecFormat, IniPecState};
use serde::Serialize;
use store::registry::{self as reg, IniPecExport};

use super::roll::Roll;
use super::stored;
use crate::{Error, Office, Result};

/// A day's export.
#[derive(Debug, Clone, Serialize)]
pub struct IniPecReport {
    pub order: String,
    pub day: NaiveDate,
    /// The upload file's rows (0 on a day without changes).
    pub rows: i64,
    pub no_changes: bool,
    /// The day was exported before: this is the recorded file, unchanged.
    pub again: bool,
    /// A new export for a day before today: the file holds the roll as it is
    /// today, dated `day` (the day INI-PEC receives it).
    pub backdated: bool,
    /// The upload file (absent on a day without changes), in the format asked
    /// for (it may not be UTF-8).
    #[serde(skip)]
    pub file: Option<Vec<u8>>,
}

/// The INI-PEC positions the roll gives today.
fn state(roll: &Roll) -> IniPecState {
    IniPecState::from_members(roll.with_valid_pec())
}

/// The upload of `day` (default today) in `format`. A day exported before gives
/// its recorded file again. A new day's file is the delta from the last export
/// to the roll as it is now: a day after today is refused (its state is not
/// known yet), and so is a day before the last one exported (INI-PEC has the
/// later one already).
pub async fn export(
    office: &Office,
    order: &str,
    day: Option<NaiveDate>,
    format: &IniPecFormat,
) -> Result<IniPecReport> {
    let today = office.today();
    let day = day.unwrap_or(today);
    let day_text = day.to_string();
    let mut tx = office.store().begin().await?;
    let order = stored::order(&mut tx, order).await?;
    if let Some(done) = reg::inipec_export(&mut tx, &order.code, &day_text).await? {
        return Ok(report(order.code, day, done, true, false));
    }
    if day > today {
        return Err(Error::refused_on(
            "date",
            format!(
                "a day to come: a day's file holds the roll as it is when exported, so a new day is \
                 exported on that day (today is {today})"
            ),
        ));
    }
    let last = reg::last_inipec(&mut tx, &order.code).await?;
    if let Some(last) = &last
        && last.day > day_text
    {
        return Err(Error::refused_on(
            "date",
            format!("INI-PEC was already exported for the later day {}", last.day),
        ));
    }
    let sent: IniPecState = match &last {
        Some(l) => serde_json::from_str(&l.state)
            .map_err(|e| Error::corrupt(format!("the last INI-PEC state in the database: {e}")))?,
        None => IniPecState::default(),
    };
    let roll = Roll::load(&mut tx, &order.code).await?;
    let now_state = state(&roll);
    let (file, rows) = match inipec::daily_delta(&sent, &now_state) {
        DailyDelta::NoChanges => (None, 0),
        DailyDelta::Changes(rows) => {
            let file = inipec::render_csv(&rows, format)
                .map_err(|e| Error::refused_on("format", format!("the INI-PEC file cannot be written: {e}")))?;
            (Some(file), rows.len())
        }
    };
    let export = IniPecExport {
        id: 0,
        order_code: order.code.clone(),
        day: day_text,
        no_changes: file.is_none(),
        row_count: rows as i64,
        file,
        // Only `listed` is read back as the next day's "last sent".
        state: stored::json(&IniPecState {
            listed: now_state.listed,
            left: Default::default(),
        })?,
        created_at: office.now_ms(),
    };
    reg::record_inipec(&mut tx, &export).await?;
    tx.commit().await?;
    Ok(report(order.code, day, export, false, day < today))
}

fn report(order: String, day: NaiveDate, e: IniPecExport, again: bool, backdated: bool) -> IniPecReport {
    IniPecReport {
        order,
        day,
        rows: e.row_count,
        no_changes: e.no_changes,
        again,
        backdated,
        file: e.file,
    }
}
