//! Parse and write throughput for the messages that dominate an ACS's load: a typical Inform,
//! a GetParameterValuesResponse of 1,000 parameters and a ~600 KB GetParameterNamesResponse.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use cwmp::Envelope;

const HEAD: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<soap-env:Envelope xmlns:soap-env="http://schemas.xmlsoap.org/soap/envelope/" xmlns:soap-enc="http://schemas.xmlsoap.org/soap/encoding/" xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:cwmp="urn:dslforum-org:cwmp-1-0">
<soap-env:Header><cwmp:ID soap-env:mustUnderstand="1">1234567</cwmp:ID></soap-env:Header>
<soap-env:Body>
"#;
const TAIL: &str = "</soap-env:Body>\n</soap-env:Envelope>\n";

fn param(out: &mut String, name: &str, ty: &str, value: &str) {
    out.push_str(&format!(
        "<ParameterValueStruct>\n  <Name>{name}</Name>\n  <Value xsi:type=\"xsd:{ty}\">{value}</Value>\n</ParameterValueStruct>\n"
    ));
}

/// A boot Inform of a TR-181 gateway, as real devices send it (~3 KB).
fn inform() -> String {
    let mut s = String::from(HEAD);
    s.push_str("<cwmp:Inform>\n<DeviceId>\n  <Manufacturer>ExampleNet Communications</Manufacturer>\n  <OUI>00D09E</OUI>\n  <ProductClass>HomeGateway-AX3000</ProductClass>\n  <SerialNumber>EXN4455667788</SerialNumber>\n</DeviceId>\n");
    s.push_str("<Event soap-enc:arrayType=\"cwmp:EventStruct[3]\">\n");
    for (code, key) in [
        ("1 BOOT", ""),
        ("4 VALUE CHANGE", ""),
        ("M Reboot", "reboot-2026-11-21"),
    ] {
        s.push_str(&format!(
            "<EventStruct>\n  <EventCode>{code}</EventCode>\n  <CommandKey>{key}</CommandKey>\n</EventStruct>\n"
        ));
    }
    s.push_str("</Event>\n<MaxEnvelopes>1</MaxEnvelopes>\n<CurrentTime>2026-11-21T20:26:35+01:00</CurrentTime>\n<RetryCount>0</RetryCount>\n");
    let params = [
        ("Device.RootDataModelVersion", "string", "2.17"),
        ("Device.DeviceInfo.HardwareVersion", "string", "HW-REV-C2"),
        (
            "Device.DeviceInfo.SoftwareVersion",
            "string",
            "5.4.2-build.20261102",
        ),
        (
            "Device.DeviceInfo.ProvisioningCode",
            "string",
            "ISP1.RES.FTTH",
        ),
        ("Device.DeviceInfo.UpTime", "unsignedInt", "360125"),
        (
            "Device.ManagementServer.ParameterKey",
            "string",
            "cfg-000193",
        ),
        (
            "Device.ManagementServer.ConnectionRequestURL",
            "string",
            "http://203.0.113.45:7547/cr/EXN4455667788",
        ),
        (
            "Device.ManagementServer.UDPConnectionRequestAddress",
            "string",
            "203.0.113.45:37000",
        ),
        (
            "Device.ManagementServer.PeriodicInformInterval",
            "unsignedInt",
            "3600",
        ),
        (
            "Device.ManagementServer.PeriodicInformEnable",
            "boolean",
            "1",
        ),
        (
            "Device.IP.Interface.1.IPv4Address.1.IPAddress",
            "string",
            "203.0.113.45",
        ),
        (
            "Device.Ethernet.Interface.1.MACAddress",
            "string",
            "00:d0:9e:12:34:56",
        ),
        ("Device.WiFi.SSID.1.SSID", "string", "ExampleNet-5G-3A7F"),
        ("Device.WiFi.SSID.2.SSID", "string", "ExampleNet-2G-3A7F"),
        (
            "Device.Time.CurrentLocalTime",
            "dateTime",
            "2026-11-21T20:26:35+01:00",
        ),
        ("Device.X_00D09E_Firmware.BankActive", "int", "1"),
    ];
    s.push_str(&format!(
        "<ParameterList soap-enc:arrayType=\"cwmp:ParameterValueStruct[{}]\">\n",
        params.len()
    ));
    for (name, ty, value) in params {
        param(&mut s, name, ty, value);
    }
    s.push_str("</ParameterList>\n</cwmp:Inform>\n");
    s.push_str(TAIL);
    s
}

/// A GetParameterValuesResponse of `n` parameters of mixed types.
fn gpv_response(n: usize) -> String {
    let mut s = String::from(HEAD);
    s.push_str(&format!(
        "<cwmp:GetParameterValuesResponse>\n<ParameterList soap-enc:arrayType=\"cwmp:ParameterValueStruct[{n}]\">\n"
    ));
    for i in 0..n {
        let (leaf, ty, value) = match i % 4 {
            0 => (
                "BytesSent",
                "unsignedLong",
                format!("{}", 1_000_000_007u64 * i as u64),
            ),
            1 => ("Enable", "boolean", "true".to_owned()),
            2 => ("Name", "string", format!("eth{i} &amp; uplink")),
            _ => ("LastChange", "dateTime", "2026-11-21T20:26:35Z".to_owned()),
        };
        param(
            &mut s,
            &format!("Device.Hosts.Host.{}.{leaf}", i / 4 + 1),
            ty,
            &value,
        );
    }
    s.push_str("</ParameterList>\n</cwmp:GetParameterValuesResponse>\n");
    s.push_str(TAIL);
    s
}

/// A GetParameterNamesResponse of a whole gateway tree, about `bytes` long.
fn gpn_response(bytes: usize) -> String {
    let item = "<ParameterInfoStruct>\n  <Name>InternetGatewayDevice.LANDevice.1.WLANConfiguration.1.AssociatedDevice.10.AssociatedDeviceMACAddress</Name>\n  <Writable>0</Writable>\n</ParameterInfoStruct>\n";
    let n = bytes / item.len();
    let mut s = String::from(HEAD);
    s.push_str(&format!(
        "<cwmp:GetParameterNamesResponse>\n<ParameterList soap-enc:arrayType=\"cwmp:ParameterInfoStruct[{n}]\">\n"
    ));
    for _ in 0..n {
        s.push_str(item);
    }
    s.push_str("</ParameterList>\n</cwmp:GetParameterNamesResponse>\n");
    s.push_str(TAIL);
    s
}

fn bench(c: &mut Criterion) {
    let cases = [
        ("inform", inform()),
        ("gpv_response_1000", gpv_response(1000)),
        ("gpn_response_600k", gpn_response(600 * 1024)),
    ];
    for (name, xml) in &cases {
        let envelope = Envelope::parse(xml).expect("benchmark input parses");
        let written = envelope.to_xml().expect("benchmark input writes");
        let mut group = c.benchmark_group(*name);
        group.throughput(Throughput::Bytes(xml.len() as u64));
        group.bench_function("parse", |b| {
            b.iter(|| Envelope::parse(black_box(xml)).unwrap())
        });
        group.throughput(Throughput::Bytes(written.len() as u64));
        group.bench_function("write", |b| {
            b.iter(|| black_box(&envelope).to_xml().unwrap())
        });
        group.finish();
    }
    let xml = inform();
    c.bench_function("inform/round_trip", |b| {
        b.iter(|| Envelope::parse(black_box(&xml)).unwrap().to_xml().unwrap())
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
