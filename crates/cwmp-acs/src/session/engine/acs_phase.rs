//! The ACS's half of a session: sending due tasks one request at a time and storing the
//! answers.

use std::collections::HashSet;

use cwmp::{Body, Envelope, Header};
use serde_json::json;

use super::{NO_RETRY, Phase, Running, Session};
use crate::events::EventKind;
use crate::metrics::StoreOp;
use crate::session::results::{answers, engine_fault, fault_info, interpret, merge};
use crate::session::types::{Outcome, SessionError};
use crate::store::{FaultInfo, RetryPolicy, Task, Timestamp};
use crate::task::{Facts, InvalidTask, Next, TaskRun};

impl Session {
    /// A message while an ACS request is outstanding.
    pub(super) async fn acs_answer(
        &mut self,
        message: Option<Envelope>,
        now: Timestamp,
    ) -> Result<Outcome, SessionError> {
        if self.presets.is_waiting() {
            return self.preset_answer(message, now).await;
        }
        let Some(running) = &self.running else {
            return Err(SessionError::Protocol("no ACS request outstanding".into()));
        };
        let Some(env) = message else {
            let fault = engine_fault("no_response", "the CPE sent an empty message");
            return self.fault_running(fault, self.config.retry, now).await;
        };
        if env.body.is_request() {
            return Err(SessionError::Protocol(format!(
                "request {} while the ACS waits for the answer to {}",
                env.body.name(),
                running.request.name()
            )));
        }
        if env.header.id.as_deref() != Some(running.id.as_str()) {
            let fault = engine_fault(
                "cwmp_id_mismatch",
                format!(
                    "answer carries cwmp:ID {:?}, the request had {:?}",
                    env.header.id, running.id
                ),
            );
            return self.fault_running(fault, self.config.retry, now).await;
        }
        if let Body::Fault(f) = &env.body {
            let fault = fault_info(f);
            return self.fault_running(fault, self.config.retry, now).await;
        }
        if !answers(&running.request, &env.body) {
            let fault = engine_fault(
                "unexpected_response",
                format!(
                    "{} does not answer {}",
                    env.body.name(),
                    running.request.name()
                ),
            );
            return self.fault_running(fault, NO_RETRY, now).await;
        }
        let (mut batch, result) = interpret(&running.request, &env.body, now);
        let device = self.device_id()?;
        if let Body::GetParameterNames(req) = &running.request
            && !req.next_level
            && let Body::GetParameterNamesResponse(r) = &env.body
        {
            batch.delete_paths = self.unlisted(&device, &req.parameter_path, r).await?;
        }
        if !batch.updates.is_empty()
            || !batch.delete_prefixes.is_empty()
            || !batch.delete_paths.is_empty()
        {
            let timer = std::time::Instant::now();
            self.store.write_parameters(&device, batch).await?;
            self.metrics()
                .store_op(StoreOp::WriteBatch, timer.elapsed());
        }
        let Some(mut running) = self.running.take() else {
            return Err(SessionError::Protocol("no ACS request outstanding".into()));
        };
        // The values a set reads first to learn their types are not what it set.
        let type_read = matches!(running.request, Body::GetParameterValues(_))
            && matches!(
                running.task.name.as_str(),
                "setParameterValues" | "addObject"
            );
        if !type_read {
            merge(&mut running.result, result);
        }
        match running.run.answered(&env.body) {
            Ok(Next::Send(next)) => return self.send_step(running, next, now).await,
            Ok(Next::Done) => {}
            Err(e) => {
                self.running = Some(running);
                let fault = engine_fault("invalid_task", e.to_string());
                return self.fault_running(fault, NO_RETRY, now).await;
            }
        }
        if self.transfer_answered(&mut running, &env.body, now).await? {
            return self.next_request(now).await;
        }
        self.store.complete_task(&running.task.id).await?;
        self.task_done(&running.task.id, running.result);
        self.next_request(now).await
    }

    /// Stored parameters under `prefix` that a full GetParameterNames listing no longer
    /// shows: gone from the device (a refresh deletes them, as GenieACS does).
    async fn unlisted(
        &self,
        device: &crate::store::DeviceId,
        prefix: &str,
        listing: &cwmp::rpc::GetParameterNamesResponse,
    ) -> Result<Vec<String>, SessionError> {
        if !(prefix.is_empty() || prefix.ends_with('.')) {
            return Ok(Vec::new());
        }
        let listed: HashSet<&str> = listing
            .parameter_list
            .iter()
            .map(|p| p.name.as_str())
            .collect();
        let stored = self.store.get_parameters(device, prefix).await?;
        Ok(stored
            .into_iter()
            .map(|p| p.path)
            .filter(|p| p.as_str() != prefix && !listed.contains(p.as_str()))
            .collect())
    }

    /// Checks `request` (the next step of `running`) against the session's CWMP version and
    /// sends it, or faults the task when the version cannot carry it.
    async fn send_step(
        &mut self,
        running: Running,
        request: Body,
        now: Timestamp,
    ) -> Result<Outcome, SessionError> {
        if let Err(e) = self.writable(&request) {
            self.running = Some(running);
            let fault = engine_fault("invalid_task", e.to_string());
            return self.fault_running(fault, NO_RETRY, now).await;
        }
        Ok(self.send(running, request))
    }

    /// Refuses what could not be written in the session's CWMP version.
    fn writable(&self, request: &Body) -> Result<(), InvalidTask> {
        Envelope::new(self.version, Header::with_id("0"), request.clone())
            .validate()
            .map_err(|e| InvalidTask(e.to_string()))
    }

    /// Records a fault on the running task and moves on to the next.
    pub(super) async fn fault_running(
        &mut self,
        fault: FaultInfo,
        policy: RetryPolicy,
        now: Timestamp,
    ) -> Result<Outcome, SessionError> {
        if let Some(running) = self.running.take() {
            self.store
                .fault_task(&running.task.id, fault.clone(), policy)
                .await?;
            self.task_faulted(&running.task.id, fault);
        }
        self.next_request(now).await
    }

    /// Sends the next due task's first request, or ends the ACS's turn.
    pub(super) async fn next_request(&mut self, now: Timestamp) -> Result<Outcome, SessionError> {
        let device = self.device_id()?;
        loop {
            let read_at_inform = self
                .none_due_at
                .take()
                .is_some_and(|at| now <= at.plus(super::DUE_READ_FRESH));
            if self.queue.is_empty() && !read_at_inform {
                // Asked again each time the queue runs dry, so tasks queued during the
                // session run in it too.
                let due = self.store.due_tasks(&device, now).await?;
                self.queue = due
                    .into_iter()
                    .filter(|t| !self.seen.contains(&t.id))
                    .collect();
            }
            let Some(task) = self.queue.pop_front() else {
                if let Some(outcome) = self.preset_next(now).await? {
                    return Ok(outcome);
                }
                return self.end_turn(now).await;
            };
            self.seen.insert(task.id.clone());
            if !self.store.claim_task(&task.id).await? {
                continue;
            }
            let planned = match self.plan(&device, &task, now).await? {
                Ok(run) => run,
                Err(e) => {
                    let fault = engine_fault("invalid_task", e.to_string());
                    self.store
                        .fault_task(&task.id, fault.clone(), NO_RETRY)
                        .await?;
                    self.task_faulted(&task.id, fault);
                    continue;
                }
            };
            let (run, first) = planned;
            let Some(first) = first else {
                self.store.complete_task(&task.id).await?;
                self.task_done(&task.id, json!({}));
                continue;
            };
            let running = Running {
                task,
                run,
                request: first.clone(),
                id: String::new(),
                result: json!({}),
            };
            return Ok(self.send(running, first));
        }
    }

    /// Plans `task`: its typed form, stored files resolved, the device's known types read
    /// when the task needs them, and its first request (`None`: nothing to send). The inner
    /// error is the task's own fault.
    async fn plan(
        &self,
        device: &crate::store::DeviceId,
        task: &Task,
        now: Timestamp,
    ) -> Result<Result<(TaskRun, Option<Body>), InvalidTask>, SessionError> {
        let spec = match task.spec() {
            Ok(spec) => spec,
            Err(e) => return Ok(Err(e)),
        };
        let spec = match self.resolve_transfer(task, spec, now).await {
            Ok(spec) => spec,
            Err(e) => return Ok(Err(e)),
        };
        let mut known = Vec::new();
        for prefix in TaskRun::fact_prefixes(&spec) {
            known.extend(self.store.get_parameters(device, &prefix).await?);
        }
        let facts = Facts::new(
            known
                .into_iter()
                .map(|p| (p.path, p.value.and_then(|v| v.xsd_type()))),
        );
        let planned = TaskRun::new(&spec, &task.id, facts).and_then(|mut run| {
            let first = match run.start()? {
                Next::Send(body) => {
                    self.writable(&body)?;
                    Some(body)
                }
                Next::Done => None,
            };
            Ok((run, first))
        });
        Ok(planned)
    }

    /// Puts `request` on the wire for `running` with a fresh cwmp:ID.
    fn send(&mut self, mut running: Running, request: Body) -> Outcome {
        let (id, outcome) = self.wire(request.clone());
        running.id = id;
        running.request = request;
        self.running = Some(running);
        outcome
    }

    /// The reply carrying ACS request `request` under a fresh cwmp:ID, and that ID.
    pub(super) fn wire(&mut self, request: Body) -> (String, Outcome) {
        self.next_id += 1;
        let id = format!("acs-{}", self.next_id);
        self.rpc_count += 1;
        self.metrics().rpc_sent(request.name());
        // The session's history, request by request, for operators and the e2e tests.
        tracing::debug!(
            device = %self.device().map_or("", |d| d.as_str()),
            method = request.name(),
            %id,
            "request sent"
        );
        let header = Header {
            id: Some(id.clone()),
            hold_requests: self.config.hold_requests.then_some(true),
            ..Header::default()
        };
        let outcome = Outcome::Reply(Box::new(Envelope::new(self.version, header, request)));
        (id, outcome)
    }

    /// Announces a completed task with its result.
    pub(super) fn task_done(&self, task: &str, result: serde_json::Value) {
        if let Some(device) = self.device() {
            let task = task.to_owned();
            self.bus()
                .publish(device, EventKind::TaskDone { task, result });
        }
    }

    /// Counts and announces a task fault (already stored).
    pub(super) fn task_faulted(&self, task: &str, fault: FaultInfo) {
        self.metrics().fault(&fault.code);
        if let Some(device) = self.device() {
            let task = task.to_owned();
            self.bus()
                .publish(device, EventKind::TaskFault { task, fault });
        }
    }

    /// The ACS has nothing more to send: the empty response.
    async fn end_turn(&mut self, now: Timestamp) -> Result<Outcome, SessionError> {
        if self.config.hold_requests && self.phase == Phase::AcsRequests {
            // The CPE may still have held requests (TR-069 §3.7.1.4): keep the lease until
            // its next empty POST or the connection closes.
            self.phase = Phase::Draining;
            return Ok(Outcome::End);
        }
        self.finish("ok", now).await
    }
}
