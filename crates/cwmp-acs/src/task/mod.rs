//! Tasks: what an operator asks of one device through the API ([`TaskSpec`], GenieACS's
//! task shapes, parsed once when POSTed) and how a session carries one out ([`TaskRun`]: the
//! CWMP requests it takes, chosen from the CPE's answers).

pub mod keys;
mod run;
mod spec;

pub use run::{Facts, GPV_BATCH, Next, TaskRun};
pub use spec::{
    AddInstance, AttributeSpec, Cancel, Command, DeleteInstance, InvalidTask, MAX_ENTRIES, MAX_KEY,
    MAX_PATH, Names, NamesOf, NoArgs, Refresh, Scalar, SetAttributes, SetValues, TaskRequest,
    TaskSpec, TimeWindowSpec, TransferSpec, ValueSpec,
};

use cwmp::{Value, XsdType};
use serde_json::Value as Json;

/// The diagnostics object (`Device.IP.Diagnostics.IPPing.`) whose `DiagnosticsState` is
/// `path`, when `value` requests the diagnostic (TR-143: `Requested`).
pub fn requested_diagnostic<'a>(path: &'a str, value: &str) -> Option<&'a str> {
    path.strip_suffix("DiagnosticsState")
        .filter(|object| object.ends_with('.') && value == "Requested")
}

/// The type named `xsd:unsignedInt`, `unsignedInt`, `cwmp:…` (any prefix, any case).
pub fn xsd_type(name: &str) -> Option<XsdType> {
    let local = name.rsplit_once(':').map_or(name, |(_, l)| l);
    XsdType::from_wire_name(local)
}

/// The value to send for `value`: as type `ty` when known (declared, or the device's own),
/// else as JSON says (boolean, integer, text). A value that does not fit its type is refused.
pub fn typed(value: &Scalar, ty: Option<XsdType>) -> Result<Value, InvalidTask> {
    let text = value.text();
    if let Some(ty) = ty {
        return Value::parse(ty, &text).map_err(|e| {
            InvalidTask(format!(
                "{text:?} is not a valid {}: {}",
                ty.wire_name(),
                e.reason
            ))
        });
    }
    Ok(match value {
        Scalar::Bool(b) => Value::Boolean(*b),
        Scalar::Number(n) => match n.as_i64() {
            Some(i) => i32::try_from(i).map_or_else(
                |_| u32::try_from(i).map_or(Value::Long(i), Value::UnsignedInt),
                Value::Int,
            ),
            None => Value::String(text),
        },
        Scalar::Text(_) => Value::String(text),
    })
}

/// [`typed`] for a JSON value and an optional type name (preset configurations).
pub fn typed_value(value: &Json, ty: Option<&str>) -> Result<Value, InvalidTask> {
    let scalar: Scalar = serde_json::from_value(value.clone())
        .map_err(|_| InvalidTask("a parameter value must be a string, number or boolean".into()))?;
    let ty = match ty {
        None => None,
        Some(name) => match xsd_type(name) {
            Some(t) => Some(t),
            // A vendor type the crate does not model: sent as declared.
            None => return Ok(Value::from_wire(Some(name), &scalar.text())),
        },
    };
    typed(&scalar, ty)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn values_take_the_given_type_else_the_json_kind() {
        let n = |v: Json| serde_json::from_value::<Scalar>(v).expect("scalar");
        assert_eq!(
            typed(&n(json!(300)), Some(XsdType::UnsignedInt)),
            Ok(Value::UnsignedInt(300))
        );
        assert_eq!(
            typed(&n(json!("300")), Some(XsdType::UnsignedInt)),
            Ok(Value::UnsignedInt(300))
        );
        assert_eq!(
            typed(&n(json!(false)), Some(XsdType::Boolean)),
            Ok(Value::Boolean(false))
        );
        assert_eq!(
            typed(&n(json!("true")), Some(XsdType::Boolean)),
            Ok(Value::Boolean(true))
        );
        assert_eq!(
            typed(&n(json!(7)), Some(XsdType::String)),
            Ok(Value::string("7"))
        );
        assert!(typed(&n(json!(-1)), Some(XsdType::UnsignedInt)).is_err());
        assert_eq!(typed(&n(json!(true)), None), Ok(Value::Boolean(true)));
        assert_eq!(typed(&n(json!(-4)), None), Ok(Value::Int(-4)));
        assert_eq!(
            typed(&n(json!(3_000_000_000u64)), None),
            Ok(Value::UnsignedInt(3_000_000_000))
        );
        assert_eq!(typed(&n(json!("x")), None), Ok(Value::string("x")));
        assert_eq!(xsd_type("xsd:unsignedInt"), Some(XsdType::UnsignedInt));
        assert_eq!(xsd_type("boolean"), Some(XsdType::Boolean));
        assert_eq!(xsd_type("xsd:nope"), None);
    }

    #[test]
    fn a_diagnostic_is_requested_by_its_state() {
        let ping = "Device.IP.Diagnostics.IPPing.DiagnosticsState";
        assert_eq!(
            requested_diagnostic(ping, "Requested"),
            Some("Device.IP.Diagnostics.IPPing.")
        );
        assert_eq!(requested_diagnostic(ping, "Complete"), None);
        assert_eq!(requested_diagnostic("Device.X.Host", "Requested"), None);
        assert_eq!(requested_diagnostic("DiagnosticsState", "Requested"), None);
    }
}
