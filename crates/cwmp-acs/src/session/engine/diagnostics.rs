//! `8 DIAGNOSTICS COMPLETE` (TR-069 §A.3.3.1, TR-143): a diagnostic the ACS requested (a
//! `DiagnosticsState` set to `Requested`) has finished on the CPE. The session reads its
//! results back: each such object is refreshed by a task of its own, queued first, so that
//! the results are on the device (and the waiting API call sees them) when the session ends.

use super::Session;
use crate::session::types::SessionError;
use crate::store::{DeviceId, NewTask};
use crate::task::{Refresh, TaskSpec};

/// Most diagnostics objects read back in one session.
const MAX_READ_BACK: usize = 16;

/// The suffix that marks a diagnostic's state.
const STATE: &str = "DiagnosticsState";

/// The objects of `params` whose diagnostic was requested and not read back yet.
pub(crate) fn requested<'a>(
    params: impl Iterator<Item = (&'a str, Option<String>)>,
) -> Vec<String> {
    params
        .filter(|(path, value)| path.ends_with(STATE) && value.as_deref() == Some("Requested"))
        .map(|(path, _)| path.trim_end_matches(STATE).to_owned())
        .take(MAX_READ_BACK)
        .collect()
}

impl Session {
    /// Queues a refresh of every diagnostics object the ACS requested, ahead of the due
    /// tasks.
    pub(super) async fn read_back_diagnostics(
        &mut self,
        device: &DeviceId,
    ) -> Result<(), SessionError> {
        let params = self.store.get_parameters(device, "").await?;
        let objects = requested(params.iter().map(|p| {
            (
                p.path.as_str(),
                p.value.as_ref().map(|v| v.as_text().into_owned()),
            )
        }));
        for object in objects.into_iter().rev() {
            let task = self
                .store
                .create_task(NewTask {
                    device: device.clone(),
                    spec: TaskSpec::RefreshObject(Refresh {
                        object_name: object.clone(),
                    }),
                    expiry: None,
                })
                .await?;
            tracing::debug!(%device, object, task = task.id, "reading diagnostics results");
            self.queue.push_front(task);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_requested_states_are_read_back() {
        let params = [
            (
                "Device.IP.Diagnostics.IPPing.DiagnosticsState",
                Some("Requested".to_owned()),
            ),
            (
                "Device.IP.Diagnostics.TraceRoute.DiagnosticsState",
                Some("Complete".to_owned()),
            ),
            (
                "Device.IP.Diagnostics.IPPing.Host",
                Some("Requested".to_owned()),
            ),
            (
                "InternetGatewayDevice.DownloadDiagnostics.DiagnosticsState",
                Some("Requested".to_owned()),
            ),
        ];
        assert_eq!(
            requested(params.iter().map(|(p, v)| (*p, v.clone()))),
            [
                "Device.IP.Diagnostics.IPPing.",
                "InternetGatewayDevice.DownloadDiagnostics."
            ]
        );
    }
}
