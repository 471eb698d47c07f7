use cwmp::Value;
use cwmp::rpc::{
    AddObjectResponse, GetParameterNamesResponse, GetParameterValuesResponse, ParameterInfoStruct,
    ParameterValueStruct, SetParameterValuesResponse, Status,
};
use serde_json::json;

use super::*;

fn spec(v: serde_json::Value) -> TaskSpec {
    TaskSpec::from_request(v).expect("task").spec
}

fn sent(n: Result<Next, InvalidTask>) -> Body {
    match n.expect("step") {
        Next::Send(b) => b,
        Next::Done => panic!("done too early"),
    }
}

fn gpv_answer(values: &[(&str, Value)]) -> Body {
    GetParameterValuesResponse {
        parameter_list: values
            .iter()
            .map(|(n, v)| ParameterValueStruct {
                name: (*n).into(),
                value: v.clone(),
            })
            .collect(),
    }
    .into()
}

#[test]
fn refresh_reads_names_then_leaf_values_in_batches() {
    let mut run = TaskRun::new(
        &spec(json!({"name": "refreshObject", "objectName": "Device.X"})),
        "t",
        Facts::default(),
    )
    .expect("plan");
    // Unknown to the store and written without its dot: the parent's listing tells.
    let Body::GetParameterNames(probe) = sent(run.start()) else {
        panic!("not GPN")
    };
    assert_eq!(
        (probe.parameter_path.as_str(), probe.next_level),
        ("Device.", true)
    );
    let parent: Body = GetParameterNamesResponse {
        parameter_list: vec![ParameterInfoStruct {
            name: "Device.X.".into(),
            writable: false,
        }],
    }
    .into();
    let Body::GetParameterNames(gpn) = sent(run.answered(&parent)) else {
        panic!("not GPN")
    };
    assert_eq!(gpn.parameter_path, "Device.X.");
    assert!(!gpn.next_level);
    let mut list = vec![ParameterInfoStruct {
        name: "Device.X.".into(),
        writable: false,
    }];
    for i in 0..70 {
        list.push(ParameterInfoStruct {
            name: format!("Device.X.{i}."),
            writable: true,
        });
        list.push(ParameterInfoStruct {
            name: format!("Device.X.{i}.Name"),
            writable: true,
        });
    }
    let names: Body = GetParameterNamesResponse {
        parameter_list: list,
    }
    .into();
    let mut batches = Vec::new();
    let mut answer = names;
    loop {
        match run.answered(&answer).expect("step") {
            Next::Send(Body::GetParameterValues(g)) => {
                assert!(
                    g.parameter_names.iter().all(|n| !n.ends_with('.')),
                    "object in a GPV"
                );
                batches.push(g.parameter_names.len());
                answer = gpv_answer(&[]);
            }
            Next::Send(other) => panic!("unexpected {}", other.name()),
            Next::Done => break,
        }
    }
    assert_eq!(batches, [GPV_BATCH, GPV_BATCH, 70 - 2 * GPV_BATCH]);
}

#[test]
fn refresh_of_an_unknown_leaf_or_an_absent_path() {
    let leaf = |listed: &str| -> Body {
        GetParameterNamesResponse {
            parameter_list: vec![ParameterInfoStruct {
                name: listed.into(),
                writable: false,
            }],
        }
        .into()
    };
    let task = spec(json!({"name": "refreshObject", "objectName": "Device.DeviceInfo.UpTime"}));
    let mut run = TaskRun::new(&task, "t", Facts::default()).expect("plan");
    let Body::GetParameterNames(probe) = sent(run.start()) else {
        panic!("not GPN")
    };
    assert_eq!(probe.parameter_path, "Device.DeviceInfo.");
    let Body::GetParameterValues(gpv) = sent(run.answered(&leaf("Device.DeviceInfo.UpTime")))
    else {
        panic!("not GPV")
    };
    assert_eq!(gpv.parameter_names, ["Device.DeviceInfo.UpTime"]);
    assert_eq!(run.answered(&gpv_answer(&[])), Ok(Next::Done));

    let mut absent = TaskRun::new(&task, "t", Facts::default()).expect("plan");
    sent(absent.start());
    assert_eq!(
        absent.answered(&leaf("Device.DeviceInfo.Other")),
        Ok(Next::Done)
    );
}

#[test]
fn refresh_of_everything_and_of_a_known_leaf() {
    let mut all = TaskRun::new(
        &spec(json!({"name": "refreshObject", "objectName": ""})),
        "t",
        Facts::default(),
    )
    .expect("plan");
    let Body::GetParameterNames(gpn) = sent(all.start()) else {
        panic!("not GPN")
    };
    assert_eq!(gpn.parameter_path, "");
    let empty: Body = GetParameterNamesResponse {
        parameter_list: vec![],
    }
    .into();
    assert_eq!(all.answered(&empty), Ok(Next::Done));

    let facts = Facts::new([(
        "Device.DeviceInfo.UpTime".to_owned(),
        Some(XsdType::UnsignedInt),
    )]);
    let mut leaf = TaskRun::new(
        &spec(json!({"name": "refreshObject", "objectName": "Device.DeviceInfo.UpTime"})),
        "t",
        facts,
    )
    .expect("plan");
    let Body::GetParameterValues(gpv) = sent(leaf.start()) else {
        panic!("not GPV")
    };
    assert_eq!(gpv.parameter_names, ["Device.DeviceInfo.UpTime"]);
    assert_eq!(leaf.answered(&gpv_answer(&[])), Ok(Next::Done));
}

#[test]
fn set_uses_the_device_type_over_the_given_one_and_reads_unknown_types_first() {
    let facts = Facts::new([(
        "Device.ManagementServer.PeriodicInformInterval".to_owned(),
        Some(XsdType::UnsignedInt),
    )]);
    let task = spec(json!({"name": "setParameterValues", "parameterValues": [
        ["Device.ManagementServer.PeriodicInformInterval", "300", "xsd:string"],
        ["Device.ManagementServer.UpgradesManaged", false],
        ["Device.X.Name", 7, "xsd:string"]]}));
    let mut run = TaskRun::new(&task, "t", facts).expect("plan");
    let Body::GetParameterValues(gpv) = sent(run.start()) else {
        panic!("not GPV")
    };
    // GenieACS's way: the device's type wins; a type given with the value only stands in
    // when the CPE reports none (Device.X.Name is not in the answer).
    assert_eq!(
        gpv.parameter_names,
        ["Device.ManagementServer.UpgradesManaged", "Device.X.Name"]
    );
    let read = gpv_answer(&[(
        "Device.ManagementServer.UpgradesManaged",
        Value::Boolean(true),
    )]);
    let Body::SetParameterValues(spv) = sent(run.answered(&read)) else {
        panic!("not SPV")
    };
    let values: Vec<_> = spv.parameter_list.iter().map(|p| p.value.clone()).collect();
    assert_eq!(
        values,
        [
            Value::UnsignedInt(300),
            Value::Boolean(false),
            Value::string("7")
        ]
    );
    let done: Body = SetParameterValuesResponse {
        status: Status::Applied,
    }
    .into();
    assert_eq!(run.answered(&done), Ok(Next::Done));
}

#[test]
fn a_value_that_does_not_fit_the_device_type_is_refused() {
    let facts = Facts::new([("Device.A".to_owned(), Some(XsdType::UnsignedInt))]);
    let task =
        spec(json!({"name": "setParameterValues", "parameterValues": [["Device.A", "abc"]]}));
    let mut run = TaskRun::new(&task, "t", facts).expect("plan");
    let err = run.start().expect_err("refused");
    assert!(
        err.0.contains("Device.A") && err.0.contains("unsignedInt"),
        "{err}"
    );
}

#[test]
fn add_object_then_sets_the_new_instance() {
    let facts = Facts::new([(
        "Device.NAT.PortMapping.1.ExternalPort".to_owned(),
        Some(XsdType::UnsignedInt),
    )]);
    let task = spec(
        json!({"name": "addObject", "objectName": "Device.NAT.PortMapping",
        "parameterValues": [["ExternalPort", 8080], ["Description", "web"]]}),
    );
    let mut run = TaskRun::new(&task, "t", facts).expect("plan");
    let Body::AddObject(add) = sent(run.start()) else {
        panic!("not AddObject")
    };
    assert_eq!(add.object_name, "Device.NAT.PortMapping.");
    let added: Body = AddObjectResponse {
        instance_number: 3,
        status: Status::Applied,
    }
    .into();
    let Body::GetParameterValues(gpv) = sent(run.answered(&added)) else {
        panic!("not GPV")
    };
    assert_eq!(
        gpv.parameter_names,
        ["Device.NAT.PortMapping.3.Description"]
    );
    let read = gpv_answer(&[("Device.NAT.PortMapping.3.Description", Value::string(""))]);
    let Body::SetParameterValues(spv) = sent(run.answered(&read)) else {
        panic!("not SPV")
    };
    assert_eq!(
        spv.parameter_list[0].name,
        "Device.NAT.PortMapping.3.ExternalPort"
    );
    assert_eq!(spv.parameter_list[0].value, Value::UnsignedInt(8080));
    let done: Body = SetParameterValuesResponse {
        status: Status::Applied,
    }
    .into();
    assert_eq!(run.answered(&done), Ok(Next::Done));
    // Without values the task is the AddObject alone.
    let mut plain = TaskRun::new(
        &spec(json!({"name": "addObject", "objectName": "Device.X"})),
        "t",
        Facts::default(),
    )
    .expect("plan");
    sent(plain.start());
    assert_eq!(plain.answered(&added), Ok(Next::Done));
}

#[test]
fn single_requests_default_their_command_key_to_the_task_id() {
    let mut run =
        TaskRun::new(&spec(json!({"name": "reboot"})), "abc", Facts::default()).expect("plan");
    assert_eq!(
        sent(run.start()),
        Body::Reboot(Reboot {
            command_key: "abc".into()
        })
    );
    let download = spec(json!({"name": "download", "file": "fw.bin"}));
    assert!(
        TaskRun::new(&download, "t", Facts::default()).is_err(),
        "unresolved URL"
    );
}

#[test]
fn a_refresh_of_too_many_parameters_faults_instead_of_cutting() {
    let mut run = TaskRun::new(
        &spec(json!({"name": "refreshObject", "objectName": ""})),
        "t",
        Facts::default(),
    )
    .expect("plan");
    sent(run.start());
    let list = (0..=100_000)
        .map(|i| ParameterInfoStruct {
            name: format!("Device.X.{i}"),
            writable: false,
        })
        .collect();
    let err = run
        .answered(
            &GetParameterNamesResponse {
                parameter_list: list,
            }
            .into(),
        )
        .expect_err("too many");
    assert!(err.0.contains("100001"), "{err}");
}

#[test]
fn planning_reads_only_the_subtrees_it_needs() {
    let set = spec(json!({"name": "setParameterValues", "parameterValues": [
        ["Device.A", 1], ["Device.B", "x", "xsd:string"]]}));
    assert_eq!(TaskRun::fact_prefixes(&set), ["Device.A", "Device.B"]);
    let many: Vec<_> = (0..20)
        .map(|i| json!([format!("Device.P{i}"), 1]))
        .collect();
    let many = spec(json!({"name": "setParameterValues", "parameterValues": many}));
    assert_eq!(TaskRun::fact_prefixes(&many), [""]);
    let refresh = spec(json!({"name": "refreshObject", "objectName": "Device.X"}));
    assert_eq!(TaskRun::fact_prefixes(&refresh), ["Device.X"]);
    let all = spec(json!({"name": "refreshObject", "objectName": ""}));
    assert!(TaskRun::fact_prefixes(&all).is_empty());
    assert!(TaskRun::fact_prefixes(&spec(json!({"name": "reboot"}))).is_empty());
}
