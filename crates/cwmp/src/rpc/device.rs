//! Device control: Reboot, FactoryReset and ScheduleInform (TR-069 §A.3.2.9, §A.4.1.4,
//! §A.4.1.5).

use crate::xml::field::wire_struct;

wire_struct! {
    /// Reboots the CPE (TR-069 §A.3.2.9); it then informs with `M Reboot` and this key.
    pub struct Reboot {
        /// Echoed in the `M Reboot` event; at most 32 characters.
        command_key: String = "CommandKey" (max 32),
    }
}

wire_struct! {
    /// The (empty) answer to [`Reboot`].
    pub struct RebootResponse {}
}

wire_struct! {
    /// Resets the CPE to its factory defaults (TR-069 §A.4.1.4).
    pub struct FactoryReset {}
}

wire_struct! {
    /// The (empty) answer to [`FactoryReset`].
    pub struct FactoryResetResponse {}
}

wire_struct! {
    /// Asks the CPE to inform again after a delay (TR-069 §A.4.1.5), with `M ScheduleInform`
    /// and this key.
    pub struct ScheduleInform {
        /// Seconds from now.
        delay_seconds: u32 = "DelaySeconds",
        /// Echoed in the `M ScheduleInform` event; at most 32 characters.
        command_key: String = "CommandKey" (max 32),
    }
}

wire_struct! {
    /// The (empty) answer to [`ScheduleInform`].
    pub struct ScheduleInformResponse {}
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Body;
    use crate::error::WriteError;
    use crate::rpc::test_util::{parse, round_trip, write_err};
    use crate::version::CwmpVersion;

    #[test]
    fn reboot_and_factory_reset() {
        let body = parse(
            "1-0",
            "<cwmp:Reboot><CommandKey>  key with spaces </CommandKey></cwmp:Reboot>",
        );
        // Strings are kept exactly, spaces included.
        let reboot = Reboot {
            command_key: "  key with spaces ".into(),
        };
        assert_eq!(body, Body::Reboot(reboot.clone()));
        let xml = round_trip(CwmpVersion::V1_0, reboot);
        assert!(
            xml.contains("<cwmp:Reboot><CommandKey>  key with spaces </CommandKey></cwmp:Reboot>")
        );
        let body = parse("1-0", "<cwmp:Reboot><CommandKey/></cwmp:Reboot>");
        assert_eq!(
            body,
            Body::Reboot(Reboot {
                command_key: String::new()
            })
        );

        // Empty bodies, written as `<x></x>`, read back in any form.
        assert_eq!(
            parse("1-2", "<cwmp:RebootResponse>\n</cwmp:RebootResponse>"),
            Body::RebootResponse(RebootResponse {})
        );
        let xml = round_trip(CwmpVersion::V1_0, FactoryReset {});
        assert!(xml.contains("<cwmp:FactoryReset></cwmp:FactoryReset>"));
        round_trip(CwmpVersion::V1_0, FactoryResetResponse {});
        round_trip(CwmpVersion::V1_0, RebootResponse {});
    }

    #[test]
    fn schedule_inform() {
        let body = parse(
            "1-0",
            "<cwmp:ScheduleInform><CommandKey>si</CommandKey><DelaySeconds>60</DelaySeconds>\
             </cwmp:ScheduleInform>",
        );
        let request = ScheduleInform {
            delay_seconds: 60,
            command_key: "si".into(),
        };
        assert_eq!(body, Body::ScheduleInform(request.clone()));
        let xml = round_trip(CwmpVersion::V1_2, request);
        assert!(xml.contains(
            "<cwmp:ScheduleInform><DelaySeconds>60</DelaySeconds><CommandKey>si</CommandKey>"
        ));
        round_trip(CwmpVersion::V1_0, ScheduleInformResponse {});
    }

    #[test]
    fn write_bounds() {
        let long = Reboot {
            command_key: "é".repeat(33),
        };
        assert_eq!(
            write_err(CwmpVersion::V1_0, long),
            WriteError::TooLong {
                field: "CommandKey",
                len: 33,
                max: 32
            }
        );
        // 32 characters is fine, whatever their UTF-8 length.
        round_trip(
            CwmpVersion::V1_0,
            Reboot {
                command_key: "é".repeat(32),
            },
        );
        let long = ScheduleInform {
            delay_seconds: 1,
            command_key: "k".repeat(33),
        };
        assert!(matches!(
            write_err(CwmpVersion::V1_0, long),
            WriteError::TooLong {
                field: "CommandKey",
                ..
            }
        ));
    }
}
