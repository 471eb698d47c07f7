//! Recording the CPE's answer to a preset request: faults go to the preset's fault channel,
//! values to the parameter store, and the plan's progress moves on.

use std::collections::BTreeSet;

use cwmp::{Body, Envelope};

use super::super::Session;
use crate::session::presets::plan::Purpose;
use crate::session::results::{answers, engine_fault, fault_info, interpret};
use crate::session::types::{Outcome, SessionError};
use crate::store::{DeviceCredentials, ParamUpdate, Timestamp};

impl Session {
    /// The CPE's answer to a preset request.
    pub(in crate::session::engine) async fn preset_answer(
        &mut self,
        message: Option<Envelope>,
        now: Timestamp,
    ) -> Result<Outcome, SessionError> {
        let device = self.device_id()?;
        let Some(out) = self.presets.outstanding.take() else {
            return Err(SessionError::Protocol("no ACS request outstanding".into()));
        };
        let fault = match &message {
            None => Some(engine_fault("no_response", "the CPE sent an empty message")),
            Some(env) if env.body.is_request() => {
                return Err(SessionError::Protocol(format!(
                    "request {} while the ACS waits for the answer to {}",
                    env.body.name(),
                    out.request.name()
                )));
            }
            Some(env) if env.header.id.as_deref() != Some(out.id.as_str()) => Some(engine_fault(
                "cwmp_id_mismatch",
                format!(
                    "answer carries cwmp:ID {:?}, the request had {:?}",
                    env.header.id, out.id
                ),
            )),
            Some(Envelope {
                body: Body::Fault(f),
                ..
            }) => Some(fault_info(f)),
            Some(env) if !answers(&out.request, &env.body) => Some(engine_fault(
                "unexpected_response",
                format!("{} does not answer {}", env.body.name(), out.request.name()),
            )),
            Some(_) => None,
        };
        if matches!(out.purpose, Purpose::Credentials { .. }) {
            self.presets.progress.credentials_done = true;
        }
        if let Some(fault) = fault {
            tracing::info!(device = %device, presets = ?out.presets, code = %fault.code, "preset request faulted");
            self.preset_fault(&device, &out.presets, fault, now).await?;
            return self.next_request(now).await;
        }
        let Some(env) = message else {
            return Err(SessionError::Protocol("no answer".into()));
        };
        let (mut batch, _) = interpret(&out.request, &env.body, now);
        match &out.purpose {
            Purpose::Credentials { username, password } => {
                // The password is kept with the credentials only, not in the parameter tree.
                batch.updates.retain(|u| u.path.ends_with("Username"));
                let mut creds = self
                    .store
                    .get_credentials(&device)
                    .await?
                    .unwrap_or_else(|| DeviceCredentials {
                        device: device.clone(),
                        ..DeviceCredentials::default()
                    });
                creds.cr_username = Some(username.clone());
                creds.cr_password = Some(password.clone());
                self.store.put_credentials(creds).await?;
            }
            Purpose::Enumerate(object) => {
                let listed: BTreeSet<&str> =
                    batch.updates.iter().map(|u| u.path.as_str()).collect();
                let known = self.store.get_parameters(&device, object).await?;
                let stale: Vec<String> = known
                    .iter()
                    .filter(|p| {
                        p.path
                            .strip_prefix(object.as_str())
                            .is_some_and(is_instance)
                    })
                    .filter(|p| !listed.contains(p.path.as_str()))
                    .map(|p| p.path.clone())
                    .collect();
                batch.delete_prefixes.extend(stale);
                batch.updates.push(ParamUpdate {
                    path: object.clone(),
                    ..ParamUpdate::default()
                });
                self.presets.progress.enumerated.insert(object.clone());
            }
            Purpose::Read => match &out.request {
                Body::GetParameterValues(r) => {
                    self.presets
                        .progress
                        .read_values
                        .extend(r.parameter_names.iter().cloned());
                }
                Body::GetParameterAttributes(r) => {
                    self.presets
                        .progress
                        .read_attrs
                        .extend(r.parameter_names.iter().cloned());
                }
                _ => {}
            },
            Purpose::Write => self
                .presets
                .progress
                .changed
                .extend(out.presets.iter().cloned()),
            Purpose::AddInstance(alias) => {
                // The new instance's row was written by `interpret`: the only update.
                if let Some(instance) = batch.updates.first() {
                    self.presets
                        .progress
                        .created
                        .insert(alias.clone(), instance.path.clone());
                }
                self.presets
                    .progress
                    .changed
                    .extend(out.presets.iter().cloned());
            }
            Purpose::Download(key) => {
                for name in &out.presets {
                    self.state(name).download = Some(key.clone());
                }
                self.presets
                    .progress
                    .changed
                    .extend(out.presets.iter().cloned());
                self.save_preset_states(&device).await?;
            }
        }
        if !batch.updates.is_empty() || !batch.delete_prefixes.is_empty() {
            self.store.write_parameters(&device, batch).await?;
        }
        self.next_request(now).await
    }
}

/// True for `N.` (an instance directly under an object).
fn is_instance(rest: &str) -> bool {
    rest.strip_suffix('.')
        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}
