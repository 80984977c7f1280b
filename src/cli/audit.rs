//! `stockroom audit verify`: the chain walked from the command line, with progress on a
//! terminal, the counts and the first break at the end; `stockroom audit keygen`.

use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

use crate::config::Config;
use crate::domain::audit::{Actor, AuditAction, AuditEvent, Outcome, Target, TargetKind};
use crate::domain::audit_checkpoint::AuditKeys;
use crate::service::audit_integrity::{AuditIntegrityService, Verification, WalkStart};
use crate::service::error::ServiceResult;
use crate::startup::audit_integrity;

/// How the command ended, as its exit status says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VerifyExit {
    Intact = 0,
    Broken = 1,
    CouldNotRun = 2,
}

/// `stockroom audit keygen`: a new seed and its public key, on standard output only.
pub fn keygen() -> std::process::ExitCode {
    match AuditKeys::generate() {
        Ok((seed, public_key)) => {
            println!("AUDIT_SIGNING_KEY={seed}");
            println!("# public key (for AUDIT_PREVIOUS_PUBLIC_KEYS once retired): {public_key}");
            std::process::ExitCode::SUCCESS
        }
        Err(err) => {
            eprintln!("stockroom: no random source: {err}");
            std::process::ExitCode::from(2)
        }
    }
}

/// Progress is redrawn at most this often.
const REDRAW: Duration = Duration::from_millis(250);

pub async fn verify(config: &Config, from: i64) -> VerifyExit {
    let (service, client) = match audit_integrity(config).await {
        Ok(built) => built,
        Err(err) => {
            eprintln!("stockroom: cannot verify: {err:#}");
            return VerifyExit::CouldNotRun;
        }
    };
    let terminal = std::io::stderr().is_terminal();
    let started = Instant::now();
    let mut drawn = Instant::now();
    let result = service
        .verify(WalkStart::At(from), |seq, head| {
            if terminal && drawn.elapsed() >= REDRAW {
                drawn = Instant::now();
                draw_progress(seq, from, head, started.elapsed());
            }
        })
        .await;
    if terminal {
        eprint!("\r\x1b[K");
    }
    let result = match result {
        Ok(verification) => record(&service, &verification, from)
            .await
            .map(|()| verification),
        Err(err) => Err(err),
    };
    crate::repo::mongo::shutdown(client, config.shutdown_timeout).await;
    match result {
        Ok(verification) => {
            report(&verification, started.elapsed());
            if verification.is_intact() {
                VerifyExit::Intact
            } else {
                VerifyExit::Broken
            }
        }
        Err(err) => {
            eprintln!("stockroom: cannot verify: {err}");
            VerifyExit::CouldNotRun
        }
    }
}

/// A run of the command line is an `audit.verified` event by `system`.
async fn record(
    service: &AuditIntegrityService,
    verification: &Verification,
    from: i64,
) -> ServiceResult<()> {
    let event = AuditEvent::new(
        AuditAction::AuditVerified,
        Outcome::Success,
        Actor::system(),
        Target::unidentified(TargetKind::AuditTrail),
    );
    service
        .record_verified(event, verification, WalkStart::At(from))
        .await
}

fn draw_progress(seq: i64, from: i64, head: i64, elapsed: Duration) {
    let done = (seq - from + 1).max(0) as f64;
    let rate = done / elapsed.as_secs_f64().max(0.001);
    let left = ((head - seq).max(0) as f64 / rate.max(1.0)).round();
    eprint!(
        "\r\x1b[Kverified through seq {seq} of {head} ({rate:.0} events/s, about {left} s left)"
    );
    let _ = std::io::stderr().flush();
}

fn report(verification: &Verification, elapsed: Duration) {
    let checked = verification.verified_through_seq;
    println!(
        "head seq {}, verified through seq {checked}, {} pending delivery, in {:.1} s",
        verification.head_seq,
        verification.pending,
        elapsed.as_secs_f64()
    );
    match &verification.first_break {
        None => println!("intact"),
        Some(broken) => {
            let event = broken
                .event_id
                .map(|id| format!(" (event {id})"))
                .unwrap_or_default();
            println!(
                "broken at seq {}{event}: {}: {}",
                broken.seq,
                broken.kind.as_str(),
                broken.detail
            );
        }
    }
}
