//! Parameter attributes: SetParameterAttributes and GetParameterAttributes (TR-069 §A.3.2.4,
//! §A.3.2.5), with the notification setting and the access list.

use crate::error::WriteError;
use crate::rpc::checks::{each_max, non_empty};
use crate::rpc::enums::int_enum;
use crate::rpc::lists::cwmp_array_item;
use crate::xml::field::wire_struct;
use crate::xml::writer::Writer;

int_enum! {
    /// When the CPE tells the ACS about a change of the parameter
    /// (`ParameterAttributeNotificationValueType`). Values 3–6, the lightweight notifications,
    /// exist since CWMP 1.4.
    pub enum Notification {
        /// 0: never.
        Off = 0,
        /// 1: passive, in the next Inform.
        Passive = 1,
        /// 2: active, the CPE opens a session at once.
        Active = 2,
        /// 3: passive lightweight notification.
        PassiveLightweight = 3 since V1_4,
        /// 4: passive notification plus passive lightweight notification.
        PassiveWithPassiveLightweight = 4 since V1_4,
        /// 5: active lightweight notification.
        ActiveLightweight = 5 since V1_4,
        /// 6: passive notification plus active lightweight notification.
        PassiveWithActiveLightweight = 6 since V1_4,
    }
}

/// The only access-list entry the schemas define (`AccessListValueType`).
pub const SUBSCRIBER: &str = "Subscriber";

/// An `AccessList`: every entry must be `Subscriber`.
fn access_list(_: &Writer, items: &[String], field: &'static str) -> Result<(), WriteError> {
    match items.iter().find(|item| *item != SUBSCRIBER) {
        Some(other) => Err(WriteError::Invalid {
            field,
            reason: format!("{other:?} is not an access list entry (only \"Subscriber\" is)"),
        }),
        None => Ok(()),
    }
}

wire_struct! {
    /// The attributes to change on one parameter or subtree (`SetParameterAttributesStruct`).
    pub struct SetParameterAttributesStruct {
        /// A parameter, or a partial path ending with a dot; at most 256 characters.
        name: String = "Name" (max 256),
        /// True to change the notification setting.
        notification_change: bool = "NotificationChange",
        /// The new notification setting.
        notification: Notification = "Notification",
        /// True to change the access list.
        access_list_change: bool = "AccessListChange",
        /// Who besides the ACS may write the parameter; entries are `Subscriber` only.
        access_list: Vec<String> = "AccessList" (check access_list),
    }
}

wire_struct! {
    /// The attributes of one parameter (`ParameterAttributeStruct`).
    pub struct ParameterAttributeStruct {
        /// The parameter; at most 256 characters.
        name: String = "Name" (max 256),
        /// Its notification setting.
        notification: Notification = "Notification",
        /// Who besides the ACS may write it; entries are `Subscriber` only.
        access_list: Vec<String> = "AccessList" (check access_list),
    }
}

cwmp_array_item!(SetParameterAttributesStruct, ParameterAttributeStruct);

wire_struct! {
    /// Changes notification and access attributes of parameters (TR-069 §A.3.2.4).
    pub struct SetParameterAttributes {
        /// At least one entry.
        parameter_list: Vec<SetParameterAttributesStruct> = "ParameterList" (check non_empty),
    }
}

wire_struct! {
    /// The (empty) answer to [`SetParameterAttributes`].
    pub struct SetParameterAttributesResponse {}
}

wire_struct! {
    /// Asks for the attributes of parameters (TR-069 §A.3.2.5).
    pub struct GetParameterAttributes {
        /// Parameter paths or partial paths; at least one, each at most 256 characters.
        parameter_names: Vec<String> = "ParameterNames" (check non_empty) (check each_max::<256>),
    }
}

wire_struct! {
    /// The answer to [`GetParameterAttributes`].
    pub struct GetParameterAttributesResponse {
        /// One entry per parameter.
        parameter_list: Vec<ParameterAttributeStruct> = "ParameterList",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Body;
    use crate::rpc::test_util::{parse, round_trip, write_err};
    use crate::version::CwmpVersion;

    fn attrs(notification: Notification) -> SetParameterAttributes {
        SetParameterAttributes {
            parameter_list: vec![SetParameterAttributesStruct {
                name: "Device.ManagementServer.".into(),
                notification_change: true,
                notification,
                access_list_change: false,
                access_list: vec![SUBSCRIBER.into()],
            }],
        }
    }

    #[test]
    fn set_parameter_attributes() {
        let body = parse(
            "1-0",
            r#"<cwmp:SetParameterAttributes><ParameterList SOAP-ENC:arrayType="cwmp:SetParameterAttributesStruct[0001]">
                <SetParameterAttributesStruct>
                  <AccessList SOAP-ENC:arrayType="xsd:string[0]"><string>Subscriber</string></AccessList>
                  <AccessListChange>false</AccessListChange>
                  <Notification>2</Notification><NotificationChange>TRUE</NotificationChange>
                  <Name>Device.ManagementServer.</Name>
                </SetParameterAttributesStruct></ParameterList></cwmp:SetParameterAttributes>"#,
        );
        let expected = attrs(Notification::Active);
        assert_eq!(body, Body::SetParameterAttributes(expected.clone()));
        let xml = round_trip(CwmpVersion::V1_0, expected);
        assert!(xml.contains(
            "<SetParameterAttributesStruct><Name>Device.ManagementServer.</Name>\
             <NotificationChange>1</NotificationChange><Notification>2</Notification>\
             <AccessListChange>0</AccessListChange>\
             <AccessList soap-enc:arrayType=\"xsd:string[1]\"><string>Subscriber</string></AccessList>"
        ));
        round_trip(CwmpVersion::V1_0, SetParameterAttributesResponse {});
    }

    #[test]
    fn lightweight_notifications_need_1_4() {
        round_trip(CwmpVersion::V1_4, attrs(Notification::ActiveLightweight));
        for version in [CwmpVersion::V1_0, CwmpVersion::V1_2, CwmpVersion::V1_3] {
            let err = write_err(version, attrs(Notification::PassiveLightweight));
            assert!(matches!(err, WriteError::NotInVersion { .. }), "{err:?}");
        }
        assert!(matches!(
            write_err(CwmpVersion::V1_4, attrs(Notification::Other(7))),
            WriteError::Invalid {
                field: "Notification",
                ..
            }
        ));
    }

    #[test]
    fn get_parameter_attributes() {
        let body = parse(
            "1-0",
            r#"<cwmp:GetParameterAttributesResponse>
              <ParameterList SOAP-ENC:arrayType="cwmp:ParameterAttributeStruct[0002]">
                <ParameterAttributeStruct><Name>Device.A</Name><Notification>6</Notification>
                  <AccessList SOAP-ENC:arrayType="xsd:string[1]"/></ParameterAttributeStruct>
              </ParameterList></cwmp:GetParameterAttributesResponse>"#,
        );
        let expected = GetParameterAttributesResponse {
            parameter_list: vec![ParameterAttributeStruct {
                name: "Device.A".into(),
                notification: Notification::PassiveWithActiveLightweight,
                access_list: vec![],
            }],
        };
        assert_eq!(body, Body::GetParameterAttributesResponse(expected.clone()));
        round_trip(CwmpVersion::V1_4, expected);

        let request = GetParameterAttributes {
            parameter_names: vec!["Device.".into()],
        };
        round_trip(CwmpVersion::V1_0, request);
    }

    #[test]
    fn write_bounds() {
        let mut bad = attrs(Notification::Off);
        bad.parameter_list[0].access_list = vec!["Everyone".into()];
        assert!(matches!(
            write_err(CwmpVersion::V1_0, bad),
            WriteError::Invalid {
                field: "AccessList",
                ..
            }
        ));
        let mut long = attrs(Notification::Off);
        long.parameter_list[0].name = "n".repeat(257);
        assert!(matches!(
            write_err(CwmpVersion::V1_0, long),
            WriteError::TooLong { field: "Name", .. }
        ));
        let empty = SetParameterAttributes {
            parameter_list: vec![],
        };
        assert!(matches!(
            write_err(CwmpVersion::V1_0, empty),
            WriteError::Invalid {
                field: "ParameterList",
                ..
            }
        ));
        let empty = GetParameterAttributes {
            parameter_names: vec![],
        };
        assert!(matches!(
            write_err(CwmpVersion::V1_0, empty),
            WriteError::Invalid {
                field: "ParameterNames",
                ..
            }
        ));
    }
}
