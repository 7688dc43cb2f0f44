//! The bench's report: counts, throughput and nearest-rank latency percentiles,
//! and which messages failed and why.

use std::time::{Duration, Instant};

use super::{Arrivals, Outcome, Shape, Watched};

#[derive(Debug, serde::Serialize)]
pub struct Report {
    pub messages: usize,
    pub concurrency: usize,
    pub recipients: usize,
    pub size: usize,
    /// The data directory, when it is kept.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data: Option<String>,
    /// Until every session had logged in (STARTTLS and AUTH), before the clock starts.
    pub login_seconds: f64,
    /// From the first MAIL FROM to the last receipt seen.
    pub wall_seconds: f64,
    /// 250 to DATA.
    pub submitted: usize,
    /// The acceptance receipt in the sender's INBOX.
    pub accepted: usize,
    /// Every delivery receipt in the sender's INBOX.
    pub delivered: usize,
    pub failed: usize,
    pub throughput: Throughput,
    pub latency_ms: Latencies,
    pub failures: Vec<Failure>,
}

/// Messages per second, each count over the time from the start to its last event.
#[derive(Debug, serde::Serialize)]
pub struct Throughput {
    pub submitted_per_second: f64,
    pub accepted_per_second: f64,
    pub delivered_per_second: f64,
}

/// From just before MAIL FROM.
#[derive(Debug, serde::Serialize)]
pub struct Latencies {
    /// To the 250 reply to DATA.
    pub smtp_reply: Option<Percentiles>,
    /// To the acceptance receipt in the sender's INBOX.
    pub acceptance: Option<Percentiles>,
    /// To the last delivery receipt in the sender's INBOX.
    pub delivery: Option<Percentiles>,
}

#[derive(Debug, serde::Serialize)]
pub struct Percentiles {
    pub p50: f64,
    pub p90: f64,
    pub p99: f64,
    pub max: f64,
}

#[derive(Debug, serde::Serialize)]
pub struct Failure {
    pub message: usize,
    pub reason: String,
}

impl Report {
    pub(super) fn new(
        shape: &Shape,
        watched: &Watched,
        start: Instant,
        login_time: Duration,
        timeout: Duration,
    ) -> Report {
        let mut smtp = Vec::new();
        let mut acceptance = Vec::new();
        let mut delivery = Vec::new();
        let (mut last_reply, mut last_acceptance, mut last_delivery) = (start, start, start);
        let mut failures = Vec::new();
        let none = Arrivals::default();
        let outcomes = &watched.outcomes;
        for outcome in outcomes {
            let (message, sent, replied, msgid) = match outcome {
                Outcome::Accepted {
                    message,
                    sent,
                    replied,
                    msgid,
                } => (*message, *sent, *replied, msgid),
                Outcome::Refused { message, why } => {
                    failures.push(Failure {
                        message: *message,
                        reason: format!("not accepted: {why}"),
                    });
                    continue;
                }
            };
            smtp.push(millis(replied - sent));
            last_reply = last_reply.max(replied);
            // Not yet in the provider's records when the watch ended: named by its Message-ID.
            let identificativo = watched.identificativi.get(msgid).unwrap_or(msgid);
            let a = watched.arrivals.get(identificativo).unwrap_or(&none);
            if let Some(at) = a.acceptance {
                acceptance.push(millis(at.saturating_duration_since(sent)));
                last_acceptance = last_acceptance.max(at);
            }
            if let Some(at) = a.delivered {
                delivery.push(millis(at.saturating_duration_since(sent)));
                last_delivery = last_delivery.max(at);
            }
            let reason = match (&a.failure, a.acceptance, a.delivered) {
                (Some(kind), ..) => Some(format!("{identificativo}: {kind} received")),
                (None, None, _) => Some(format!("{identificativo}: no acceptance receipt after {timeout:?}")),
                (None, Some(_), None) => Some(format!(
                    "{identificativo}: {} of {} delivery receipts after {timeout:?}",
                    a.deliveries, shape.recipients
                )),
                (None, Some(_), Some(_)) => None,
            };
            if let Some(reason) = reason {
                failures.push(Failure { message, reason });
            }
        }
        let unreported = shape.messages.saturating_sub(outcomes.len());
        if unreported > 0 {
            let reported: Vec<usize> = outcomes
                .iter()
                .map(|o| match o {
                    Outcome::Accepted { message, .. } | Outcome::Refused { message, .. } => *message,
                })
                .collect();
            for message in (0..shape.messages).filter(|m| !reported.contains(m)) {
                failures.push(Failure {
                    message,
                    reason: format!("not submitted after {timeout:?}"),
                });
            }
        }
        failures.sort_by_key(|f| f.message);
        let rate = |count: usize, last: Instant| {
            let seconds = (last - start).as_secs_f64();
            if seconds > 0.0 {
                round1(count as f64 / seconds)
            } else {
                0.0
            }
        };
        let end = last_reply.max(last_acceptance).max(last_delivery);
        Report {
            messages: shape.messages,
            concurrency: shape.concurrency,
            recipients: shape.recipients,
            size: shape.size,
            data: None,
            login_seconds: round3(login_time.as_secs_f64()),
            wall_seconds: round3((end - start).as_secs_f64()),
            submitted: smtp.len(),
            accepted: acceptance.len(),
            delivered: delivery.len(),
            failed: failures.len(),
            throughput: Throughput {
                submitted_per_second: rate(smtp.len(), last_reply),
                accepted_per_second: rate(acceptance.len(), last_acceptance),
                delivered_per_second: rate(delivery.len(), last_delivery),
            },
            latency_ms: Latencies {
                smtp_reply: percentiles(smtp),
                acceptance: percentiles(acceptance),
                delivery: percentiles(delivery),
            },
            failures,
        }
    }
}

fn millis(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

/// Nearest-rank percentiles, to 0.1 ms.
fn percentiles(mut ms: Vec<f64>) -> Option<Percentiles> {
    ms.sort_by(f64::total_cmp);
    let max = *ms.last()?;
    let rank = |p: f64| ms[((p / 100.0 * ms.len() as f64).ceil() as usize).clamp(1, ms.len()) - 1];
    Some(Percentiles {
        p50: round1(rank(50.0)),
        p90: round1(rank(90.0)),
        p99: round1(rank(99.0)),
        max: round1(max),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_nearest_rank() {
        let p = percentiles((1..=100).map(f64::from).collect()).unwrap();
        assert_eq!((p.p50, p.p90, p.p99, p.max), (50.0, 90.0, 99.0, 100.0));
        assert!(percentiles(Vec::new()).is_none());
    }
}
