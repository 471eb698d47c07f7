//! A small inline data model and profile shared by the integration tests.
#![allow(dead_code)]

use std::path::PathBuf;
use std::sync::Arc;

use cwmp::Value;
use cwmp::rpc::{Notification, ParameterValueStruct, SetParameterAttributesStruct};
use cwmp_datamodel::{LoadOptions, Model, ModelOptions, Profile, Schema, Tree};

pub const MINI_XML: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<dm:document xmlns:dm="urn:broadband-forum-org:cwmp:datamodel-1-14" spec="urn:test">
  <model name="Device:2.17">
    <object name="Device." access="readOnly" minEntries="1" maxEntries="1">
      <parameter name="RootDataModelVersion" access="readOnly" forcedInform="true">
        <syntax><string><size maxLength="32"/></string></syntax>
      </parameter>
      <parameter name="InterfaceNumberOfEntries" access="readOnly"><syntax><unsignedInt/></syntax></parameter>
      <parameter name="HostNumberOfEntries" access="readOnly"><syntax><unsignedInt/></syntax></parameter>
    </object>
    <object name="Device.DeviceInfo." access="readOnly" minEntries="1" maxEntries="1">
      <parameter name="SoftwareVersion" access="readOnly" activeNotify="forceEnabled" forcedInform="true">
        <syntax><string><size maxLength="64"/></string></syntax>
      </parameter>
      <parameter name="ProvisioningCode" access="readWrite" activeNotify="forceEnabled" forcedInform="true">
        <syntax><string><size maxLength="64"/></string></syntax>
      </parameter>
      <parameter name="UpTime" access="readOnly" activeNotify="canDeny"><syntax><unsignedInt/></syntax></parameter>
      <parameter name="HostName" access="readWrite"><syntax><string><size maxLength="64"/></string></syntax></parameter>
    </object>
    <object name="Device.ManagementServer." access="readOnly" minEntries="1" maxEntries="1">
      <parameter name="ParameterKey" access="readOnly" activeNotify="canDeny" forcedInform="true">
        <syntax><string><size maxLength="32"/></string></syntax>
      </parameter>
      <parameter name="ConnectionRequestURL" access="readOnly" activeNotify="forceDefaultEnabled" forcedInform="true">
        <syntax><string><size maxLength="256"/></string></syntax>
      </parameter>
      <parameter name="PeriodicInformInterval" access="readWrite">
        <syntax><unsignedInt><range minInclusive="1"/></unsignedInt><default type="factory" value="86400"/></syntax>
      </parameter>
      <parameter name="PeriodicInformEnable" access="readWrite"><syntax><boolean/></syntax></parameter>
      <parameter name="URL" access="readWrite"><syntax><string><size maxLength="256"/></string></syntax></parameter>
      <parameter name="Password" access="readWrite"><syntax secured="true"><string><size maxLength="256"/></string></syntax></parameter>
      <parameter name="Even" access="readWrite"><syntax><int><range minInclusive="-10" maxInclusive="10" step="2"/></int></syntax></parameter>
      <parameter name="Load" access="readWrite"><syntax><decimal><range minInclusive="0.0" maxInclusive="1.5"/></decimal></syntax></parameter>
      <parameter name="When" access="readWrite"><syntax><dateTime/></syntax></parameter>
      <parameter name="Blob" access="readWrite"><syntax><base64><size maxLength="4"/></base64></syntax></parameter>
      <parameter name="Mac" access="readWrite">
        <syntax><string><pattern value=""/><pattern value="([0-9A-Fa-f][0-9A-Fa-f]:){5}([0-9A-Fa-f][0-9A-Fa-f])"/></string></syntax>
      </parameter>
      <parameter name="Servers" access="readWrite">
        <syntax><list maxItems="2"/><string><size maxLength="16"/></string></syntax>
      </parameter>
      <parameter name="Mode" access="readWrite">
        <syntax><string><enumeration value="On"/><enumeration value="Off"/><enumeration value="Auto" access="readOnly"/></string>
        <default type="factory" value="On"/></syntax>
      </parameter>
      <parameter name="Big" access="readWrite"><syntax><unsignedLong/></syntax></parameter>
    </object>
    <object name="Device.Interface.{i}." access="readWrite" minEntries="0" maxEntries="3"
        numEntriesParameter="InterfaceNumberOfEntries">
      <parameter name="Enable" access="readWrite"><syntax><boolean/><default type="object" value="false"/></syntax></parameter>
      <parameter name="Alias" access="readWrite"><syntax><string><size maxLength="64"/></string></syntax></parameter>
      <parameter name="Name" access="readOnly"><syntax><string><size maxLength="64"/></string></syntax></parameter>
      <parameter name="AddressNumberOfEntries" access="readOnly"><syntax><unsignedInt/></syntax></parameter>
    </object>
    <object name="Device.Interface.{i}.Stats." access="readOnly" minEntries="1" maxEntries="1">
      <parameter name="BytesSent" access="readOnly" activeNotify="canDeny"><syntax><unsignedLong/></syntax></parameter>
    </object>
    <object name="Device.Interface.{i}.Address.{i}." access="readWrite" minEntries="0" maxEntries="unbounded"
        numEntriesParameter="AddressNumberOfEntries">
      <parameter name="IP" access="readWrite"><syntax><string><size maxLength="45"/></string></syntax></parameter>
    </object>
    <object name="Device.Host.{i}." access="readOnly" minEntries="0" maxEntries="unbounded"
        numEntriesParameter="HostNumberOfEntries">
      <parameter name="MAC" access="readOnly"><syntax><string><size maxLength="17"/></string></syntax></parameter>
    </object>
  </model>
</dm:document>
"#;

pub const MINI_PROFILE: &str = r#"
name = "mini"
root = "Device."

[[object]]
path = "*"
parameters = ["*"]

[[object]]
path = "Device.DeviceInfo."
parameters = ["*"]
values = { SoftwareVersion = "1.0", HostName = "box" }

[[instance]]
path = "Device.Interface.1."
values = { Name = "eth0", Enable = true }

[[instance]]
path = "Device.Interface.1.Address.1."
values = { IP = "192.168.1.1" }

[[parameter]]
path = "Device.DeviceInfo.X_ACME_Led"
type = "string"
access = "readWrite"
enumeration = ["On", "Off"]
default = "On"
"#;

/// A parameter and its value.
pub fn pv(name: impl Into<String>, value: impl Into<Value>) -> ParameterValueStruct {
    ParameterValueStruct {
        name: name.into(),
        value: value.into(),
    }
}

/// A SetParameterAttributes entry that changes the notification only.
pub fn notification(name: &str, n: u32) -> SetParameterAttributesStruct {
    SetParameterAttributesStruct {
        name: name.into(),
        notification_change: true,
        notification: Notification::from_value(n),
        access_list_change: false,
        access_list: Vec::new(),
    }
}

pub fn mini_schema() -> Arc<Schema> {
    match Schema::from_xml(MINI_XML, "mini.xml", &LoadOptions::default()) {
        Ok(s) => Arc::new(s),
        Err(e) => panic!("mini schema: {e}"),
    }
}

pub fn mini_model_with(options: ModelOptions) -> Arc<Model> {
    let profile = Profile::from_toml(MINI_PROFILE).expect("profile parses");
    match Model::new(mini_schema(), &profile, options) {
        Ok(m) => Arc::new(m),
        Err(e) => panic!("mini model: {e}"),
    }
}

pub fn mini_model() -> Arc<Model> {
    mini_model_with(ModelOptions::default())
}

pub fn mini_tree() -> Tree {
    Tree::new(mini_model())
}

/// `../shared/ref/datamodels/<name>`, beside the checkout; `None` (with a message) if absent.
pub fn model_file(name: &str) -> Option<PathBuf> {
    let dir = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/ref/datamodels"
    ));
    let found = Some(dir.join(name)).filter(|p| p.is_file());
    if found.is_none() {
        eprintln!("SKIPPED: {name} not found in shared/ref/datamodels");
    }
    found
}
