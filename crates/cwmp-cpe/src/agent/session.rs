//! One session with the ACS and what it leaves to do afterwards.

use cwmp::DateTime;
use cwmp_datamodel::Tree;

use super::{Agent, AgentError, Outcome, seed};
use crate::session::{Context, Effect, Options, Permissions, Session};
use crate::transport::{TransportError, TransportOptions, run_session_with};

impl Agent {
    /// Runs one session now and carries out what it left to do.
    pub async fn session(&mut self) -> Result<Outcome, AgentError> {
        self.retry.attempt_started();
        // This session is the one any pending request for a session asked for.
        self.force = false;
        let url = self.acs_url();
        let creds = self.credentials();
        let device_id = self.device_id();
        let retry_count = self.retry.retry_count();
        let started = self.clock.unix();
        let now = DateTime::from_unix(started, 0).unwrap_or(DateTime::UNKNOWN);
        let options = Options {
            permissions: Permissions {
                download: self.config.transfer.download,
                upload: self.config.transfer.upload,
            },
            ..Options::default()
        };
        let transport = TransportOptions {
            timeout: self.config.timeout(),
            ..TransportOptions::default()
        };
        self.push_transfer_completes();
        let ctx = Context {
            tree: &mut self.tree,
            backend: self.backend.as_mut(),
            queue: &mut self.queue,
            requests: &mut self.requests,
        };
        let (mut session, first) = Session::start(ctx, &options, device_id, retry_count, now);
        session.attach_transfers(&mut self.transfers, started);
        tracing::info!(%url, retry_count, "session starts");
        let result = run_session_with(
            &self.connector,
            &url,
            creds.as_ref(),
            &mut session,
            first,
            &transport,
        )
        .await;
        let effects = session.take_effects();
        for note in session.notes() {
            tracing::info!("{note}");
        }
        let methods = session.acs_methods().map(<[String]>::to_vec);
        let next_url = session.kicked_next_url().map(str::to_owned);
        drop(session);
        self.record_answers(methods.as_deref(), next_url.as_deref());
        let result = match result {
            Ok(_) => {
                self.retry.session_succeeded();
                tracing::info!("session done");
                Ok(())
            }
            Err(e) => {
                let wait = self.retry.session_refused(
                    self.clock.monotonic(),
                    &mut self.rng,
                    e.retry_after(),
                );
                tracing::warn!("session failed: {e}; retry in {wait:?}");
                Err(describe(&e))
            }
        };
        self.tree.save(&self.tree_path)?;
        self.transfers_after_session(result.is_ok())?;
        self.after_session(&url, effects)?;
        let outcome = Outcome {
            started,
            result,
            retry_count,
        };
        self.last = Some(outcome.clone());
        Ok(outcome)
    }

    fn after_session(&mut self, url_before: &str, effects: Vec<Effect>) -> Result<(), AgentError> {
        let now = self.clock.unix();
        let mut reboot = false;
        for effect in effects {
            match effect {
                Effect::ScheduleInform {
                    delay_seconds,
                    command_key,
                } => self
                    .scheduler
                    .schedule_inform(now, delay_seconds, &command_key),
                Effect::Reboot { .. } => reboot = true,
                Effect::FactoryReset => {
                    tracing::warn!("factory reset");
                    self.tree = Tree::new(self.model.clone());
                    seed(&mut self.tree, &self.config)?;
                    self.tree.save(&self.tree_path)?;
                    self.queue.factory_reset()?;
                    self.transfers.clear()?;
                    self.scheduler.clear_scheduled();
                    reboot = true;
                }
                Effect::Download(_) | Effect::Upload(_) => {
                    // The session answers transfers from the attached queue instead.
                    tracing::error!("a transfer effect from a session without a transfer queue");
                }
            }
        }
        self.management_changed(url_before)?;
        self.start_diagnostics();
        if reboot {
            tracing::warn!("reboot (simulated: the loop state restarts)");
            self.tree.save(&self.tree_path)?;
            self.boot()?;
        }
        Ok(())
    }
}

fn describe(e: &TransportError) -> String {
    e.to_string()
}
