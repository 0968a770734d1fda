use super::*;
use crate::state::log::MessageLog;

fn message(topic: &str, payload: &[u8], qos: QoS, retain: bool) -> Body {
    Body::Message {
        topic: topic.into(),
        qos,
        retain,
        payload: Bytes::copy_from_slice(payload),
        properties: None,
    }
}

fn sample() -> MessageLog {
    let mut log = MessageLog::new(100);
    log.push(
        1_733_159_999_123.0,
        Direction::In,
        message("device/d1/temp", b"21.5", QoS::AtMostOnce, true),
    );
    log.push(1.0, Direction::Info, Body::Note("connected".into()));
    log.push(
        1_733_160_000_000.0,
        Direction::Out,
        message(
            "a \"quoted\", topic",
            &[0xff, 0x00, b'\n'],
            QoS::ExactlyOnce,
            false,
        ),
    );
    let properties = PublishProperties {
        payload_format_indicator: Some(1),
        message_expiry_interval: Some(60),
        content_type: Some("application/json".into()),
        response_topic: Some("reply/here".into()),
        correlation_data: Some(Bytes::from_static(&[1, 2, 0xff])),
        user_properties: vec![("k".into(), "v,\"w\"".into())],
        subscription_identifiers: vec![7, 268_435_455],
        topic_alias: Some(3),
    };
    log.push(
        1_733_160_000_001.0,
        Direction::In,
        Body::Message {
            topic: "r".into(),
            qos: QoS::AtLeastOnce,
            retain: false,
            payload: Bytes::from_static(b"line 1\r\nline 2"),
            properties: Some(Box::new(properties)),
        },
    );
    log
}

fn messages_of(log: &MessageLog) -> Vec<(f64, Direction, Body)> {
    log.iter()
        .filter(|e| matches!(e.body, Body::Message { .. }))
        .map(|e| (e.at_ms, e.direction, e.body.clone()))
        .collect()
}

fn entries_of(import: &Import) -> Vec<(f64, Direction, Body)> {
    import
        .entries
        .iter()
        .map(|e| (e.at_ms, e.direction, e.body.clone()))
        .collect()
}

#[test]
fn jsonl_has_one_object_per_message_with_the_payload_in_base64() {
    let log = sample();
    let text = to_jsonl(log.iter());
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3, "notes are not exported: {text}");
    assert_eq!(
        lines[0],
        r#"{"time_ms":1733159999123,"direction":"in","topic":"device/d1/temp","qos":0,"retain":true,"payload_base64":"MjEuNQ=="}"#
    );
    assert_eq!(
        lines[1],
        r#"{"time_ms":1733160000000,"direction":"out","topic":"a \"quoted\", topic","qos":2,"retain":false,"payload_base64":"/wAK"}"#
    );
    assert!(
        lines[2].ends_with(
            r#""properties":{"payload_format_indicator":1,"message_expiry_interval":60,"topic_alias":3,"response_topic":"reply/here","correlation_data_base64":"AQL/","user_properties":[["k","v,\"w\""]],"subscription_identifiers":[7,268435455],"content_type":"application/json"}}"#
        ),
        "{}",
        lines[2]
    );
}

#[test]
fn jsonl_reads_back_exactly() {
    let log = sample();
    let import = import(&to_jsonl(log.iter()));
    assert_eq!((import.format, import.invalid), ("JSON Lines", 0));
    assert_eq!(entries_of(&import), messages_of(&log));
}

#[test]
fn csv_quotes_as_rfc_4180_says_and_reads_back_exactly() {
    let log = sample();
    let text = to_csv(log.iter());
    let mut lines = text.split("\r\n");
    assert_eq!(
        lines.next(),
        Some("time_ms,direction,topic,qos,retain,payload,payload_base64,properties")
    );
    assert_eq!(
        lines.next(),
        Some("1733159999123,in,device/d1/temp,0,true,21.5,MjEuNQ==,")
    );
    // A quote doubled inside a quoted field; not UTF-8: no text column.
    assert_eq!(
        lines.next(),
        Some(r#"1733160000000,out,"a ""quoted"", topic",2,false,,/wAK,"#)
    );
    // A CRLF inside a quoted field stays in the field.
    assert_eq!(lines.next(), Some(r#"1733160000001,in,r,1,false,"line 1"#));
    let import = import(&text);
    assert_eq!((import.format, import.invalid), ("CSV", 0));
    assert_eq!(entries_of(&import), messages_of(&log));
}

#[test]
fn bad_lines_are_counted_and_the_first_is_named() {
    let good = to_jsonl(sample().iter());
    let text = format!(
        "{good}not json\n\n[1]\n{{\"time_ms\":1,\"direction\":\"sideways\",\"topic\":\"t\",\"qos\":0,\"payload_base64\":\"\"}}\n\
         {{\"time_ms\":1,\"direction\":\"in\",\"topic\":\"t\",\"qos\":3,\"payload_base64\":\"\"}}\n\
         {{\"time_ms\":1,\"direction\":\"in\",\"topic\":\"t\",\"qos\":0,\"payload_base64\":\"*\"}}\n"
    );
    let import = import(&text);
    assert_eq!((import.entries.len(), import.invalid), (3, 5));
    let sentence = import.sentence("log.jsonl");
    assert!(
        sentence.starts_with(
            "imported 3 messages from log.jsonl (JSON Lines); 5 lines were not a log entry and were skipped (first: line 4: not JSON (expected ident at line 1 column 2))"
        ),
        "{sentence}"
    );
}

#[test]
fn csv_problems_are_counted_too() {
    let text = "time_ms,direction,topic,qos,retain,payload,payload_base64,properties\r\n\
                1,in,t,0,false,x,eA==,\r\n\
                1,in,t,0\r\n\
                x,in,t,0,false,,,\r\n\
                1,in,t,0,maybe,,,\r\n\
                1,in,t,0,false,,,\"{unclosed\r\n";
    let import = import(text);
    assert_eq!((import.entries.len(), import.invalid), (1, 4));
    assert_eq!(
        import.first_problem.as_deref(),
        Some("line 3: 4 fields where the header has 8")
    );
    let other = super::import("hello,world\n1,2\n");
    assert_eq!((other.entries.len(), other.invalid), (0, 1));
    assert!(other.sentence("x.csv").contains("line 1: neither"));
    let empty = super::import("");
    assert_eq!(
        empty.sentence("e.jsonl"),
        "imported 0 messages from e.jsonl (JSON Lines)"
    );
}

#[test]
fn retain_and_properties_are_optional_on_import() {
    let import =
        import(r#"{"time_ms":5,"direction":"out","topic":"t","qos":1,"payload_base64":"aGk="}"#);
    assert_eq!(import.invalid, 0);
    assert_eq!(
        entries_of(&import),
        [(
            5.0,
            Direction::Out,
            message("t", b"hi", QoS::AtLeastOnce, false)
        )]
    );
}
