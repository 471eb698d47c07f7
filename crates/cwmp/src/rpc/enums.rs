//! Enumerations on the wire: the [`int_enum!`] and [`str_enum!`] macros that define them, and
//! the integer-coded enumerations several RPCs share.

/// Defines an enumeration coded as an integer (`xs:int`/`xs:unsignedInt` with enumerated
/// values): lenient on reading (an unlisted number becomes `Other`), strict on writing (`Other`
/// is a [`WriteError::Invalid`](crate::WriteError::Invalid), a value newer than the version
/// written a [`WriteError::NotInVersion`](crate::WriteError::NotInVersion)). Serialized as the plain number.
macro_rules! int_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident = $value:literal $(since $since:ident)? ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
        #[serde(from = "u32", into = "u32")]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )+
            /// A number outside the schema's enumeration, kept as read from a peer; refused on
            /// writing.
            Other(u32),
        }

        impl $name {
            /// The number on the wire.
            pub const fn value(self) -> u32 {
                match self {
                    $( $name::$variant => $value, )+
                    $name::Other(value) => value,
                }
            }

            /// The variant for a number; unlisted numbers become `Other`.
            pub const fn from_value(value: u32) -> Self {
                match value {
                    $( $value => $name::$variant, )+
                    other => $name::Other(other),
                }
            }

            /// The first CWMP version that has this value; `None` for `Other`.
            pub fn since(self) -> Option<$crate::version::CwmpVersion> {
                match self {
                    $(
                        $name::$variant => {
                            #[allow(unused_variables)]
                            let since = $crate::version::CwmpVersion::V1_0;
                            $( let since = $crate::version::CwmpVersion::$since; )?
                            Some(since)
                        }
                    )+
                    $name::Other(_) => None,
                }
            }
        }

        #[cfg(test)]
        impl $crate::arbitrary::Arb for $name {
            fn arb(_: Option<usize>) -> proptest::strategy::BoxedStrategy<Self> {
                use proptest::strategy::Strategy as _;
                proptest::sample::select(vec![$( $name::$variant ),+]).boxed()
            }
        }

        impl From<u32> for $name {
            fn from(value: u32) -> Self {
                $name::from_value(value)
            }
        }

        impl From<$name> for u32 {
            fn from(value: $name) -> u32 {
                value.value()
            }
        }

        impl $crate::xml::field::Field for $name {
            fn decode<'a>(
                r: &mut $crate::xml::reader::Reader<'a>,
                element: &$crate::xml::reader::Element<'a>,
                name: &'static str,
            ) -> Result<Self, $crate::error::ParseError> {
                let value = <u32 as $crate::xml::field::Field>::decode(r, element, name)?;
                Ok($name::from_value(value))
            }

            fn encode(
                &self,
                w: &mut $crate::xml::writer::Writer,
                name: &'static str,
            ) -> Result<(), $crate::error::WriteError> {
                match self.since() {
                    None => {
                        let allowed: &[u32] = &[$( $value ),+];
                        return Err($crate::error::WriteError::Invalid {
                            field: name,
                            reason: format!("{} is not one of {allowed:?}", self.value()),
                        });
                    }
                    Some(since) => $crate::xml::field::require_version(
                        w,
                        since,
                        &format!("{name} {}", self.value()),
                    )?,
                }
                w.leaf(name, &self.value().to_string())
            }
        }
    };
}
pub(crate) use int_enum;

/// Defines a string enumeration with an `Other` variant: read leniently, serialized as text.
macro_rules! str_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )+
            /// Any other text, kept as read.
            Other(String),
        }

        impl $name {
            /// The text on the wire.
            pub fn as_str(&self) -> &str {
                match self {
                    $( $name::$variant => $text, )+
                    $name::Other(text) => text,
                }
            }

            /// The variant for a text (surrounding whitespace ignored).
            pub fn from_text(text: &str) -> Self {
                match text.trim() {
                    $( $text => $name::$variant, )+
                    other => $name::Other(other.to_owned()),
                }
            }
        }

        #[cfg(test)]
        impl $crate::arbitrary::Arb for $name {
            fn arb(_: Option<usize>) -> proptest::strategy::BoxedStrategy<Self> {
                use proptest::strategy::Strategy as _;
                proptest::sample::select(vec![$( $name::$variant ),+]).boxed()
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                Ok($name::from_text(&<String as serde::Deserialize>::deserialize(deserializer)?))
            }
        }
    };
}
pub(crate) use str_enum;

int_enum! {
    /// Whether a change has taken effect: the `Status` of SetParameterValuesResponse,
    /// AddObjectResponse, DeleteObjectResponse, DownloadResponse and UploadResponse.
    pub enum Status {
        /// 0: done and applied.
        Applied = 0,
        /// 1: validated and committed, but applied only later (after a reboot, or once the
        /// transfer completes).
        Pending = 1,
    }
}

int_enum! {
    /// The state of a queued transfer (`TransferStateType`).
    pub enum TransferState {
        /// 1: not yet started.
        NotStarted = 1,
        /// 2: in progress.
        InProgress = 2,
        /// 3: completed, finishing or not yet reported.
        Completed = 3,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn int_enums() {
        assert_eq!(Status::from_value(1), Status::Pending);
        assert_eq!(Status::from_value(2), Status::Other(2));
        assert_eq!(u32::from(TransferState::Completed), 3);
        assert_eq!(serde_json::to_string(&Status::Applied).unwrap(), "0");
        assert_eq!(
            serde_json::from_str::<Status>("7").unwrap(),
            Status::Other(7)
        );
    }
}
