//! SetParameterAttributes / GetParameterAttributes (TR-069 A.3.2.4, A.3.2.5).

use std::collections::HashSet;

use cwmp::FaultCode;
use cwmp::rpc::{Notification, ParameterAttributeStruct, SUBSCRIBER, SetParameterAttributesStruct};

use super::Fault;
use crate::schema::ActiveNotify;
use crate::tree::{Attr, Instance, Tree};

/// The stored form of a wire notification (0–6); `None` for a value outside the enumeration.
pub(crate) fn notification_code(n: Notification) -> Option<u8> {
    match n {
        Notification::Other(_) => None,
        known => u8::try_from(known.value()).ok(),
    }
}

/// The wire notification of a stored one.
pub(crate) fn notification_of(code: u8) -> Notification {
    Notification::from_value(code.into())
}

/// The wire AccessList of the stored "Subscriber may write" flag.
pub(crate) fn access_list_of(subscriber: bool) -> Vec<String> {
    if subscriber {
        vec![SUBSCRIBER.to_owned()]
    } else {
        Vec::new()
    }
}

/// The stored flag of a wire AccessList; `Err` with the first entry that is not `Subscriber`.
pub(crate) fn subscriber_of(access_list: &[String]) -> Result<bool, &str> {
    match access_list.iter().find(|e| *e != SUBSCRIBER) {
        Some(bad) => Err(bad),
        None => Ok(!access_list.is_empty()),
    }
}

/// An attribute change to apply: parameter, instance, notification, subscriber.
type Planned = (u32, Vec<u32>, Option<u8>, Option<bool>);

/// Notification values that ask for an active (session-triggering) CWMP notification.
fn is_active(n: u8) -> bool {
    n == 2
}

impl Tree {
    /// The attribute in force for a parameter instance (stored, else its default:
    /// notification 2 for `forceEnabled`/`forceDefaultEnabled`, else 0).
    pub(crate) fn attr_of(&self, param: u32, inst: &Instance) -> Attr {
        let m = &self.model;
        if m.param(param).active_notify == ActiveNotify::ForceEnabled {
            return Attr {
                notification: 2,
                subscriber: inst
                    .attr(m.local(param) as u32)
                    .is_some_and(|a| a.subscriber),
            };
        }
        inst.attr(m.local(param) as u32).unwrap_or(Attr {
            notification: m.default_notification(param),
            subscriber: false,
        })
    }

    /// SetParameterAttributes, all or nothing. Notification 3–6 needs
    /// [`crate::ModelOptions::allow_lightweight_notification`]; changing a
    /// `forceEnabled` parameter, or asking active notification on a `canDeny`
    /// one (when denied by the options), is 9009 when the parameter is named
    /// in full and silently skipped inside a partial path. Any AccessList entry
    /// other than `Subscriber` is 9003.
    pub fn set_parameter_attributes(
        &mut self,
        changes: &[SetParameterAttributesStruct],
    ) -> Result<(), Fault> {
        let opts = self.model.options().clone();
        let mut plan: Vec<Planned> = Vec::new();
        for c in changes {
            let at = self.locate(&c.name)?;
            let explicit = matches!(at, super::get::Located::Param { .. });
            let notif = match c.notification_change.then_some(c.notification) {
                None => None,
                Some(n) => Some(notification_code(n).ok_or_else(|| {
                    Fault::new(
                        FaultCode::INVALID_ARGUMENTS,
                        format!("{}: notification {} is not defined", c.name, n.value()),
                    )
                })?),
            };
            if let Some(n) = notif {
                if n >= 3 && !opts.allow_lightweight_notification {
                    return Err(Fault::new(
                        FaultCode::NOTIFICATION_REQUEST_REJECTED,
                        format!("{}: lightweight notification {n} not supported", c.name),
                    ));
                }
            }
            let subscriber = if c.access_list_change {
                Some(subscriber_of(&c.access_list).map_err(|bad| {
                    Fault::new(
                        FaultCode::INVALID_ARGUMENTS,
                        format!("{}: unknown AccessList entry {bad:?}", c.name),
                    )
                })?)
            } else {
                None
            };
            let mut refused = None;
            let m = &self.model;
            self.each_param(&at, &mut |param, nums, _inst| {
                let an = m.param(param).active_notify;
                let mut n = notif;
                if let Some(v) = n {
                    let forced = an == ActiveNotify::ForceEnabled && v != 2;
                    let denied =
                        an == ActiveNotify::CanDeny && is_active(v) && opts.deny_active_on_can_deny;
                    if forced || denied {
                        if explicit {
                            refused = Some(if forced {
                                "notification is forced active"
                            } else {
                                "active notification denied"
                            });
                        }
                        n = None;
                    }
                }
                plan.push((param, nums.to_vec(), n, subscriber));
            });
            if let Some(why) = refused {
                return Err(Fault::new(
                    FaultCode::NOTIFICATION_REQUEST_REJECTED,
                    format!("{}: {why}", c.name),
                ));
            }
        }
        let m = self.model.clone();
        for (param, nums, n, sub) in plan {
            let obj = m.param(param).object;
            let Some(inst) = self.st.get(obj, &nums) else {
                continue;
            };
            let mut a = self.attr_of(param, inst);
            if let Some(n) = n {
                a.notification = n;
            }
            if let Some(s) = sub {
                a.subscriber = s;
            }
            let default = Attr {
                notification: m.default_notification(param),
                subscriber: false,
            };
            let local = m.local(param) as u32;
            if let Some(inst) = self.st.get_mut(obj, &nums) {
                inst.set_attr(local, a, default);
            }
        }
        Ok(())
    }

    /// GetParameterAttributes for names or partial paths (9005 if unknown);
    /// each parameter is reported once.
    pub fn get_parameter_attributes<S: AsRef<str>>(
        &self,
        names: &[S],
    ) -> Result<Vec<ParameterAttributeStruct>, Fault> {
        let located = names
            .iter()
            .map(|n| self.locate(n.as_ref()))
            .collect::<Result<Vec<_>, _>>()?;
        let mut out = Vec::new();
        let mut seen: HashSet<(u32, &[u32])> = HashSet::new();
        for at in &located {
            self.each_param(at, &mut |param, nums, inst| {
                if located.len() > 1 && !seen.insert((param, nums)) {
                    return;
                }
                let a = self.attr_of(param, inst);
                out.push(ParameterAttributeStruct {
                    name: self.model.param_path(param, nums),
                    notification: notification_of(a.notification),
                    access_list: access_list_of(a.subscriber),
                });
            });
        }
        Ok(out)
    }
}
