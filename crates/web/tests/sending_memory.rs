//! The peak memory of sending a 30 MB attachment from the webmail (issue 12,
//! "measured"): the form's body is generated as it is sent (the test holds no
//! copy of it), and the process's peak resident size (VmHWM of
//! /proc/self/status, reset through /proc/self/clear_refs) is read around the
//! request, then around the jobs that build, sign and deliver the envelope.
//! A measurement, not a timed test: run it with
//! `cargo test -p web --test sending_memory -- --ignored --nocapture`.

mod common;

use std::net::SocketAddr;

use axum::body::Body;
use axum::extract::connect_info::MockConnectInfo;
use axum::http::{Request, StatusCode, header};
use common::{Browser, HOST};
use store::Backend;
use testkit::net::Net;
use tokio::io::AsyncReadExt;
use web::tls::Peer;
use web::{AppState, Settings};

const MB: u64 = 1024 * 1024;
const BOUNDARY: &str = "----certa-memory-boundary";

/// A field of /proc/self/status, in bytes.
fn status_kb(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with(field)).unwrap();
    let kb: u64 = line.split_whitespace().nth(1).unwrap().parse().unwrap();
    kb * 1024
}

/// Resets the peak resident size to the current one (Linux >= 4.0, proc(5)).
fn reset_peak() -> u64 {
    std::fs::write("/proc/self/clear_refs", "5").unwrap();
    status_kb("VmRSS:")
}

fn mb(bytes: u64) -> String {
    format!("{:.1} MB", bytes as f64 / MB as f64)
}

#[tokio::test]
#[ignore = "a measurement: run with --ignored --nocapture"]
async fn peak_memory_while_sending_a_30_mb_attachment_from_the_web() {
    // 30 MB of attachment are 41 MB of message: a provider that allows it.
    let mut net = Net::start_with(Backend::Sqlite, |c| c.max_recipients_x_size = 64 * MB as usize).await;
    let mario = net.nord().create_mailbox("mario").await;
    net.nord().create_mailbox("anna").await;
    let office = net.nord().office();
    let router = web::router(AppState::new(office, Settings::default()))
        .layer(MockConnectInfo(Peer(SocketAddr::from(([192, 0, 2, 9], 40000)))));
    let mut b = Browser::on(router);
    assert_eq!(
        b.login(&mario, testkit::net::PASSWORD).await.status,
        StatusCode::SEE_OTHER
    );
    let csrf = b.get("/compose").await.csrf();

    let size = 30 * MB;
    let cookies: Vec<String> = b.cookies.iter().map(|(n, v)| format!("{n}={v}")).collect();
    let cookies = cookies.join("; ");
    let post = |attachment: u64| {
        let head = format!(
            "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{csrf}\r\n\
             --{BOUNDARY}\r\nContent-Disposition: form-data; name=\"to\"\r\n\r\nanna@nord.pec.test\r\n\
             --{BOUNDARY}\r\nContent-Disposition: form-data; name=\"subject\"\r\n\r\nMisura\r\n\
             --{BOUNDARY}\r\nContent-Disposition: form-data; name=\"attachments\"; filename=\"grande.bin\"\r\n\
             Content-Type: application/octet-stream\r\n\r\n"
        );
        let tail = format!("\r\n--{BOUNDARY}--\r\n");
        let reader = std::io::Cursor::new(head.into_bytes())
            .chain(tokio::io::repeat(0x5a).take(attachment))
            .chain(std::io::Cursor::new(tail.into_bytes()));
        Request::builder()
            .method("POST")
            .uri("/compose")
            .header(header::HOST, HOST)
            .header(header::ORIGIN, format!("https://{HOST}"))
            .header(header::COOKIE, &cookies)
            .header(
                header::CONTENT_TYPE,
                format!("multipart/form-data; boundary={BOUNDARY}"),
            )
            .body(Body::from_stream(tokio_util::io::ReaderStream::with_capacity(
                reader,
                64 * 1024,
            )))
            .unwrap()
    };

    // Warm up: the first message makes what is made once (pools, caches).
    let warm = post(64 * 1024);
    assert_eq!(b.send(warm).await.status, StatusCode::SEE_OTHER);
    net.pump().await;

    let before = reset_peak();
    let request = post(size);
    let sent = b.send(request).await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER, "{}", sent.body);
    let request_peak = status_kb("VmHWM:").saturating_sub(before);

    let before_jobs = reset_peak();
    net.pump().await;
    let jobs_peak = status_kb("VmHWM:").saturating_sub(before_jobs);

    eprintln!(
        "attachment {}: peak above the baseline while the web request ran (upload, message \
         written, access point, copy in Sent): {} ({:.2}x the attachment); while the jobs built, \
         signed and delivered the envelope and the receipts: {} ({:.2}x)",
        mb(size),
        mb(request_peak),
        request_peak as f64 / size as f64,
        mb(jobs_peak),
        jobs_peak as f64 / size as f64,
    );
    net.stop().await;
}
