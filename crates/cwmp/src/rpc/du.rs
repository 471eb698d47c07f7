//! Software modules: ChangeDUState (TR-069 §A.4.1.10, CWMP 1.2) and its operations.
//!
//! In the schema, `Operations` is not a SOAP array: it is an element of the abstract type
//! `OperationStruct`, repeated once per operation, each occurrence naming its concrete type in
//! `xsi:type` (`<Operations xsi:type="cwmp:InstallOpStruct">`). That is how they are written.
//! Peers also send a wrapper holding typed items (`<Operations><InstallOpStruct>…`); both are
//! read.

use serde::{Deserialize, Serialize};

use crate::error::{ParseError, WriteError};
use crate::rpc::checks::{any_uri, opt_any_uri, opt_uuid, uuid};
use crate::rpc::lists::{decode_list_and_command_key, encode_list_and_command_key};
use crate::xml::field::{Field, wire_struct};
use crate::xml::reader::{Element, Reader};
use crate::xml::writer::Writer;

wire_struct! {
    /// Installs a Deployment Unit (`InstallOpStruct`).
    pub struct InstallOpStruct {
        /// Where to get it (a URI reference); at most 1024 characters.
        url: String = "URL" (max 1024) (check any_uri),
        /// The UUID to give it (8-4-4-4-12 hexadecimal digits).
        uuid: Option<String> = "UUID" (check opt_uuid),
        /// For the file server; at most 256 characters.
        username: Option<String> = "Username" (max 256),
        /// For the file server; at most 256 characters.
        password: Option<String> = "Password" (max 256),
        /// The Execution Environment to install it in; at most 256 characters.
        execution_env_ref: Option<String> = "ExecutionEnvRef" (max 256),
    }
}

wire_struct! {
    /// Updates one Deployment Unit, or all when neither UUID nor URL is given
    /// (`UpdateOpStruct`).
    pub struct UpdateOpStruct {
        /// The unit to update.
        uuid: Option<String> = "UUID" (check opt_uuid),
        /// Which installed version; at most 32 characters.
        version: Option<String> = "Version" (max 32),
        /// Where to get the update (a URI reference); at most 1024 characters.
        url: Option<String> = "URL" (max 1024) (check opt_any_uri),
        /// For the file server; at most 256 characters.
        username: Option<String> = "Username" (max 256),
        /// For the file server; at most 256 characters.
        password: Option<String> = "Password" (max 256),
    }
}

wire_struct! {
    /// Uninstalls a Deployment Unit (`UninstallOpStruct`).
    pub struct UninstallOpStruct {
        /// The unit to uninstall.
        uuid: String = "UUID" (check uuid),
        /// Which version, or all when absent; at most 32 characters.
        version: Option<String> = "Version" (max 32),
        /// The Execution Environment to remove it from; at most 256 characters.
        execution_env_ref: Option<String> = "ExecutionEnvRef" (max 256),
    }
}

/// One operation of a [`ChangeDUState`]: the concrete types of the schema's abstract
/// `OperationStruct`. Serialized with the type name as the tag.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Operation {
    /// Install a unit.
    #[serde(rename = "InstallOpStruct")]
    Install(InstallOpStruct),
    /// Update a unit.
    #[serde(rename = "UpdateOpStruct")]
    Update(UpdateOpStruct),
    /// Uninstall a unit.
    #[serde(rename = "UninstallOpStruct")]
    Uninstall(UninstallOpStruct),
}

impl Operation {
    /// The schema type name, as written in `xsi:type`.
    pub fn type_name(&self) -> &'static str {
        match self {
            Operation::Install(_) => "InstallOpStruct",
            Operation::Update(_) => "UpdateOpStruct",
            Operation::Uninstall(_) => "UninstallOpStruct",
        }
    }

    /// Reads an operation of type `type_name` (local name) from `element`.
    fn decode_as<'a>(
        r: &mut Reader<'a>,
        element: &Element<'a>,
        type_name: &str,
    ) -> Result<Option<Self>, ParseError> {
        Ok(Some(match type_name {
            "InstallOpStruct" => {
                Operation::Install(InstallOpStruct::decode(r, element, "Operations")?)
            }
            "UpdateOpStruct" => {
                Operation::Update(UpdateOpStruct::decode(r, element, "Operations")?)
            }
            "UninstallOpStruct" => {
                Operation::Uninstall(UninstallOpStruct::decode(r, element, "Operations")?)
            }
            _ => return Ok(None),
        }))
    }

    /// Reads one `Operations` element: a typed operation, or a wrapper of typed items.
    fn decode_occurrence<'a>(
        r: &mut Reader<'a>,
        element: &Element<'a>,
        out: &mut Vec<Operation>,
    ) -> Result<(), ParseError> {
        if let Some(type_name) = element.xsi_type.as_deref().map(local_name) {
            if let Some(op) = Operation::decode_as(r, element, type_name)? {
                out.push(op);
                return Ok(());
            }
        }
        while let Some(child) = r.next_child(element)? {
            let type_name = child.xsi_type.as_deref().map_or(child.local, local_name);
            match Operation::decode_as(r, &child, type_name)? {
                Some(op) => out.push(op),
                None => {
                    return Err(r.invalid(
                        &child,
                        "Operations",
                        format!(
                            "{type_name:?} is not an operation; expected an xsi:type or item of \
                             InstallOpStruct, UpdateOpStruct or UninstallOpStruct"
                        ),
                    ));
                }
            }
        }
        Ok(())
    }
}

/// The local part of a possibly prefixed type name.
fn local_name(qname: &str) -> &str {
    let qname = qname.trim();
    qname.rsplit_once(':').map_or(qname, |(_, local)| local)
}

/// `<Operations xsi:type="cwmp:InstallOpStruct">…</Operations>`.
impl Field for Operation {
    fn decode<'a>(
        r: &mut Reader<'a>,
        element: &Element<'a>,
        name: &'static str,
    ) -> Result<Self, ParseError> {
        let type_name = element
            .xsi_type
            .as_deref()
            .map_or(element.local, local_name);
        match Operation::decode_as(r, element, type_name)? {
            Some(op) => Ok(op),
            None => Err(r.invalid(element, name, format!("{type_name:?} is not an operation"))),
        }
    }

    fn encode(&self, w: &mut Writer, name: &'static str) -> Result<(), WriteError> {
        // The struct writes `<name>`; the same bytes with the xsi:type added go out instead.
        let mut inner = Writer::new(w.version(), 256);
        match self {
            Operation::Install(op) => op.encode(&mut inner, name)?,
            Operation::Update(op) => op.encode(&mut inner, name)?,
            Operation::Uninstall(op) => op.encode(&mut inner, name)?,
        }
        let inner = inner.finish();
        let body = inner.strip_prefix(&format!("<{name}>")).unwrap_or(&inner);
        w.raw(&format!("<{name} xsi:type=\"cwmp:{}\">", self.type_name()));
        w.raw(body);
        Ok(())
    }
}

/// Installs, updates and uninstalls Deployment Units (TR-069 §A.4.1.10, CWMP 1.2); the CPE
/// answers at once and reports the results with DUStateChangeComplete.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChangeDUState {
    /// The operations, in order; at least one.
    #[serde(rename = "Operations")]
    pub operations: Vec<Operation>,
    /// Echoed in DUStateChangeComplete; at most 32 characters.
    #[serde(
        rename = "CommandKey",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub command_key: Option<String>,
}

impl Field for ChangeDUState {
    fn decode<'a>(
        r: &mut Reader<'a>,
        element: &Element<'a>,
        _: &'static str,
    ) -> Result<Self, ParseError> {
        let (operations, command_key) =
            decode_list_and_command_key(r, element, "Operations", Operation::decode_occurrence)?;
        Ok(ChangeDUState {
            operations,
            command_key,
        })
    }

    fn encode(&self, w: &mut Writer, name: &'static str) -> Result<(), WriteError> {
        encode_list_and_command_key(w, name, "Operations", &self.operations, &self.command_key)
    }
}

wire_struct! {
    /// The (empty) answer to [`ChangeDUState`].
    pub struct ChangeDUStateResponse {}
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Body;
    use crate::error::ParseErrorKind;
    use crate::rpc::test_util::{parse, round_trip, write_err};
    use crate::version::CwmpVersion;

    const UUID: &str = "12345678-9abc-DEF0-1234-56789abcdef0";

    fn install() -> InstallOpStruct {
        InstallOpStruct {
            url: "http://example.com/du.ipk".into(),
            uuid: Some(UUID.into()),
            username: Some("user".into()),
            password: Some("pass".into()),
            execution_env_ref: Some("Device.SoftwareModules.ExecEnv.1".into()),
        }
    }

    /// An update of every unit: no field given.
    fn update_all() -> UpdateOpStruct {
        UpdateOpStruct {
            uuid: None,
            version: None,
            url: None,
            username: None,
            password: None,
        }
    }

    /// A request of one operation, without a `CommandKey`.
    fn change(op: Operation) -> ChangeDUState {
        ChangeDUState {
            operations: vec![op],
            command_key: None,
        }
    }

    fn all_three() -> ChangeDUState {
        ChangeDUState {
            operations: vec![
                Operation::Install(install()),
                Operation::Update(UpdateOpStruct {
                    uuid: Some(UUID.into()),
                    version: Some("2.0".into()),
                    ..update_all()
                }),
                Operation::Uninstall(UninstallOpStruct {
                    uuid: UUID.into(),
                    version: None,
                    execution_env_ref: None,
                }),
            ],
            command_key: Some("cdu".into()),
        }
    }

    #[test]
    fn schema_form() {
        let body = parse(
            "1-2",
            r#"<cwmp:ChangeDUState>
              <Operations xsi:type="cwmp:InstallOpStruct"><URL>http://example.com/du.ipk</URL>
                <UUID>12345678-9abc-DEF0-1234-56789abcdef0</UUID><Username>user</Username>
                <Password>pass</Password><ExecutionEnvRef>Device.SoftwareModules.ExecEnv.1</ExecutionEnvRef>
              </Operations>
              <Operations xsi:type="urn:UpdateOpStruct"><Version>2.0</Version>
                <UUID>12345678-9abc-DEF0-1234-56789abcdef0</UUID></Operations>
              <Operations xmlns:c="urn:dslforum-org:cwmp-1-2" xsi:type="c:UninstallOpStruct">
                <UUID>12345678-9abc-DEF0-1234-56789abcdef0</UUID></Operations>
              <CommandKey>cdu</CommandKey>
            </cwmp:ChangeDUState>"#,
        );
        assert_eq!(body, Body::ChangeDUState(all_three()));
        let xml = round_trip(CwmpVersion::V1_2, all_three());
        assert!(xml.contains(
            "<cwmp:ChangeDUState><Operations xsi:type=\"cwmp:InstallOpStruct\">\
             <URL>http://example.com/du.ipk</URL><UUID>"
        ));
        assert!(xml.contains(
            "<Operations xsi:type=\"cwmp:UninstallOpStruct\"><UUID>12345678-9abc-DEF0-1234-56789abcdef0</UUID>\
             </Operations><CommandKey>cdu</CommandKey></cwmp:ChangeDUState>"
        ));
        round_trip(CwmpVersion::V1_2, ChangeDUStateResponse {});
    }

    #[test]
    fn wrapper_form() {
        // cwmp_ex: one Operations wrapping items named after their type; a UUID that is no
        // UUID; CommandKey first.
        let body = parse(
            "1-0",
            r#"<cwmp:ChangeDUState><CommandKey>cmdkey</CommandKey>
              <Operations SOAP-ENC:arrayType="cwmp:OperationStruct[2]">
                <InstallOpStruct><URL>http://example.com/url</URL><UUID>some-uuid</UUID></InstallOpStruct>
                <OperationStruct xsi:type="cwmp:UninstallOpStruct"><UUID>some-uuid</UUID></OperationStruct>
              </Operations></cwmp:ChangeDUState>"#,
        );
        let Body::ChangeDUState(request) = body else {
            panic!("{body:?}")
        };
        assert_eq!(request.command_key.as_deref(), Some("cmdkey"));
        assert_eq!(request.operations.len(), 2);
        assert!(matches!(&request.operations[1], Operation::Uninstall(u) if u.uuid == "some-uuid"));
        // Read as sent, but the UUID is refused on writing.
        assert!(matches!(
            write_err(CwmpVersion::V1_2, request),
            WriteError::Invalid { field: "UUID", .. }
        ));
        let untyped = crate::rpc::test_util::envelope(
            "1-2",
            "<cwmp:ChangeDUState><Operations><URL>http://x/</URL></Operations></cwmp:ChangeDUState>",
        );
        let err = crate::Envelope::parse(&untyped).unwrap_err();
        assert!(matches!(
            err.kind,
            ParseErrorKind::InvalidValue {
                field: "Operations",
                ..
            }
        ));
    }

    #[test]
    fn json_names() {
        let json = serde_json::to_value(all_three()).unwrap();
        assert_eq!(
            json["Operations"][0]["InstallOpStruct"]["URL"],
            "http://example.com/du.ipk"
        );
        assert_eq!(json["CommandKey"], "cdu");
        let back: ChangeDUState = serde_json::from_value(json).unwrap();
        assert_eq!(back, all_three());
    }

    #[test]
    fn write_bounds() {
        let mut no_key = all_three();
        no_key.command_key = None;
        let xml = round_trip(CwmpVersion::V1_2, no_key);
        assert!(!xml.contains("CommandKey"));
        let empty = ChangeDUState {
            operations: vec![],
            command_key: None,
        };
        assert!(matches!(
            write_err(CwmpVersion::V1_2, empty),
            WriteError::Invalid {
                field: "Operations",
                ..
            }
        ));
        let mut key = all_three();
        key.command_key = Some("k".repeat(33));
        assert!(matches!(
            write_err(CwmpVersion::V1_2, key),
            WriteError::TooLong {
                field: "CommandKey",
                ..
            }
        ));
        let long_url = InstallOpStruct {
            url: "u".repeat(1025),
            ..install()
        };
        assert!(matches!(
            write_err(CwmpVersion::V1_2, change(Operation::Install(long_url))),
            WriteError::TooLong {
                field: "URL",
                max: 1024,
                ..
            }
        ));
        // 1024 is fine (Download's URL stops at 256).
        let max_url = InstallOpStruct {
            url: format!("http://{}", "u".repeat(1017)),
            ..install()
        };
        round_trip(CwmpVersion::V1_2, change(Operation::Install(max_url)));
        let bad_url = UpdateOpStruct {
            url: Some("http://[host/".into()),
            ..update_all()
        };
        assert!(matches!(
            write_err(CwmpVersion::V1_2, change(Operation::Update(bad_url))),
            WriteError::Invalid { field: "URL", .. }
        ));
        let version = UpdateOpStruct {
            version: Some("v".repeat(33)),
            ..update_all()
        };
        assert!(matches!(
            write_err(CwmpVersion::V1_2, change(Operation::Update(version))),
            WriteError::TooLong {
                field: "Version",
                ..
            }
        ));
        assert!(matches!(
            write_err(CwmpVersion::V1_1, all_three()),
            WriteError::NotInVersion { .. }
        ));
    }
}
