//! Object instances: AddObject and DeleteObject (TR-069 §A.3.2.6, §A.3.2.7).

use crate::error::WriteError;
use crate::rpc::checks::object_name;
use crate::rpc::enums::Status;
use crate::xml::field::wire_struct;
use crate::xml::writer::Writer;

/// `InstanceNumber` is at least 1.
fn instance_number(_: &Writer, n: &u32, field: &'static str) -> Result<(), WriteError> {
    if *n == 0 {
        return Err(WriteError::Invalid {
            field,
            reason: "instance numbers start at 1".into(),
        });
    }
    Ok(())
}

wire_struct! {
    /// Creates an instance of a multi-instance object (TR-069 §A.3.2.6).
    pub struct AddObject {
        /// The object path, ending with a dot (`Device.IP.Interface.`); at most 256 characters.
        object_name: String = "ObjectName" (max 256) (check object_name),
        /// Stored in `ParameterKey` on success; at most 32 characters. Read as empty when
        /// absent.
        parameter_key: String = "ParameterKey" (max 32) (default),
    }
}

wire_struct! {
    /// The answer to [`AddObject`].
    pub struct AddObjectResponse {
        /// The number of the new instance, 1 or more.
        instance_number: u32 = "InstanceNumber" (check instance_number),
        /// Whether the object is already in use.
        status: Status = "Status",
    }
}

wire_struct! {
    /// Deletes an object instance and everything below it (TR-069 §A.3.2.7).
    pub struct DeleteObject {
        /// The instance path, ending with a dot (`Device.IP.Interface.3.`); at most 256
        /// characters.
        object_name: String = "ObjectName" (max 256) (check object_name),
        /// Stored in `ParameterKey` on success; at most 32 characters. Read as empty when
        /// absent.
        parameter_key: String = "ParameterKey" (max 32) (default),
    }
}

wire_struct! {
    /// The answer to [`DeleteObject`].
    pub struct DeleteObjectResponse {
        /// Whether the deletion has taken effect.
        status: Status = "Status",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Body;
    use crate::rpc::test_util::{parse, round_trip, write_err};
    use crate::version::CwmpVersion;

    #[test]
    fn add_and_delete() {
        let body = parse(
            "1-2",
            "<cwmp:AddObject><ParameterKey>k1</ParameterKey>\
             <ObjectName>Device.IP.Interface.</ObjectName></cwmp:AddObject>",
        );
        let add = AddObject {
            object_name: "Device.IP.Interface.".into(),
            parameter_key: "k1".into(),
        };
        assert_eq!(body, Body::AddObject(add.clone()));
        let xml = round_trip(CwmpVersion::V1_0, add);
        assert!(xml.contains(
            "<cwmp:AddObject><ObjectName>Device.IP.Interface.</ObjectName>\
             <ParameterKey>k1</ParameterKey></cwmp:AddObject>"
        ));

        let body = parse(
            "1-0",
            "<cwmp:AddObjectResponse><Status>0</Status><InstanceNumber>+3</InstanceNumber>\
             </cwmp:AddObjectResponse>",
        );
        let response = AddObjectResponse {
            instance_number: 3,
            status: Status::Applied,
        };
        assert_eq!(body, Body::AddObjectResponse(response.clone()));
        round_trip(CwmpVersion::V1_1, response);

        let body = parse(
            "1-0",
            "<cwmp:DeleteObject><ObjectName>Device.IP.Interface.3.</ObjectName>\
             <ParameterKey/></cwmp:DeleteObject>",
        );
        let delete = DeleteObject {
            object_name: "Device.IP.Interface.3.".into(),
            parameter_key: String::new(),
        };
        assert_eq!(body, Body::DeleteObject(delete.clone()));
        round_trip(CwmpVersion::V1_4, delete);

        // cwmp_ex: a status outside the enumeration is kept on reading.
        let body = parse(
            "1-0",
            "<cwmp:DeleteObjectResponse><Status>2</Status></cwmp:DeleteObjectResponse>",
        );
        let Body::DeleteObjectResponse(odd) = body else {
            panic!("{body:?}")
        };
        assert_eq!(odd.status, Status::Other(2));
        round_trip(
            CwmpVersion::V1_0,
            DeleteObjectResponse {
                status: Status::Pending,
            },
        );
    }

    #[test]
    fn write_bounds() {
        let no_dot = AddObject {
            object_name: "Device.IP.Interface".into(),
            parameter_key: String::new(),
        };
        assert!(matches!(
            write_err(CwmpVersion::V1_0, no_dot),
            WriteError::Invalid {
                field: "ObjectName",
                ..
            }
        ));
        let long = DeleteObject {
            object_name: format!("{}.", "o".repeat(256)),
            parameter_key: String::new(),
        };
        assert!(matches!(
            write_err(CwmpVersion::V1_0, long),
            WriteError::TooLong {
                field: "ObjectName",
                len: 257,
                max: 256
            }
        ));
        let key = DeleteObject {
            object_name: "A.1.".into(),
            parameter_key: "k".repeat(33),
        };
        assert!(matches!(
            write_err(CwmpVersion::V1_0, key),
            WriteError::TooLong {
                field: "ParameterKey",
                ..
            }
        ));
        let zero = AddObjectResponse {
            instance_number: 0,
            status: Status::Applied,
        };
        assert!(matches!(
            write_err(CwmpVersion::V1_0, zero),
            WriteError::Invalid {
                field: "InstanceNumber",
                ..
            }
        ));
        let other = DeleteObjectResponse {
            status: Status::Other(2),
        };
        assert!(matches!(
            write_err(CwmpVersion::V1_0, other),
            WriteError::Invalid {
                field: "Status",
                ..
            }
        ));
    }
}
