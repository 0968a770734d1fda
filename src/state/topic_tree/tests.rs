use super::*;

fn at(ms: u64) -> Instant {
    Instant::from_millis(ms)
}

fn labels(tree: &TopicTree) -> Vec<String> {
    tree.visible()
        .into_iter()
        .filter_map(|id| tree.row(id, at(0)))
        .map(|r| format!("{}{}", "  ".repeat(r.depth), r.label))
        .collect()
}

#[test]
fn each_level_is_a_node_under_its_parent_in_name_order() {
    let mut tree = TopicTree::new();
    tree.on_message("home/kitchen/temp", b"21", false, at(0));
    tree.on_message("home/attic", b"x", false, at(0));
    tree.on_message("/iot/user/student", b"y", false, at(0));
    tree.on_message("home/kitchen/humidity", b"40", false, at(0));
    assert_eq!(
        labels(&tree),
        [
            "∅",
            "  iot",
            "    user",
            "      student",
            "home",
            "  attic",
            "  kitchen",
            "    humidity",
            "    temp",
        ]
    );
    assert_eq!(tree.topics(), 4, "levels passed through are not topics");
    assert_eq!(tree.nodes(), 9);
    let kitchen = tree.row(tree.find("home/kitchen").unwrap(), at(0)).unwrap();
    assert_eq!(kitchen.topic, "home/kitchen");
    assert_eq!((kitchen.value, kitchen.count, kitchen.below), (None, 0, 2));
    assert!(kitchen.has_children);
    assert_eq!(tree.find("home/kitchen/temp/x"), None);
    assert_eq!(tree.find("/iot"), tree.visible().get(1).copied());
}

#[test]
fn a_topic_can_have_a_value_and_levels_below_it() {
    let mut tree = TopicTree::new();
    tree.on_message("a/b", b"1", false, at(0));
    tree.on_message("a/b/c", b"2", false, at(0));
    let b = tree.row(tree.find("a/b").unwrap(), at(0)).unwrap();
    assert_eq!((b.value.as_deref(), b.count, b.below), (Some("1"), 1, 2));
    assert!(b.has_children);
    assert_eq!(tree.topics(), 2);
}

#[test]
fn a_folded_level_hides_everything_below_it_and_unfolds_again() {
    let mut tree = TopicTree::new();
    tree.on_message("a/b/c", b"1", false, at(0));
    tree.on_message("a/d", b"2", false, at(0));
    tree.on_message("e", b"3", false, at(0));
    let a = tree.find("a").unwrap();
    tree.toggle(a);
    assert_eq!(labels(&tree), ["a", "e"]);
    assert!(tree.row(a, at(0)).unwrap().folded);
    tree.on_message("a/new", b"4", false, at(0));
    assert_eq!(
        labels(&tree),
        ["a", "e"],
        "new levels stay inside a folded one"
    );
    tree.toggle(a);
    assert_eq!(labels(&tree), ["a", "  b", "    c", "  d", "  new", "e"]);

    tree.fold_all(true);
    assert_eq!(labels(&tree), ["a", "e"]);
    assert!(
        !tree.row(tree.find("e").unwrap(), at(0)).unwrap().folded,
        "a leaf is never folded"
    );
    tree.set_folded(a, false);
    assert_eq!(
        labels(&tree),
        ["a", "  b", "  d", "  new", "e"],
        "b stays folded"
    );
    tree.fold_all(false);
    assert_eq!(labels(&tree).len(), 6);
}

#[test]
fn the_latest_value_is_shown_and_the_history_keeps_the_last_ones_newest_first() {
    let mut tree = TopicTree::new();
    for i in 0..(HISTORY as u64 + 20) {
        tree.on_message("t", i.to_string().as_bytes(), false, at(i * 100));
    }
    let row = tree.row(tree.find("t").unwrap(), at(0)).unwrap();
    assert_eq!(row.value.as_deref(), Some("69"));
    assert_eq!(row.count, 70, "the count is exact beyond the history");
    let detail = tree.detail("t", at(7_000)).unwrap();
    assert_eq!(detail.history.len(), HISTORY);
    assert_eq!(detail.history[0].preview, "69");
    assert_eq!(detail.history[HISTORY - 1].preview, "20");
    assert_eq!(detail.history[0].at, at(6_900));
    assert_eq!(detail.count, 70);
}

#[test]
fn binary_payloads_are_shown_as_hex() {
    let mut tree = TopicTree::new();
    tree.on_message("bin", &[0x00, 0xff], false, at(0));
    let row = tree.row(tree.find("bin").unwrap(), at(0)).unwrap();
    assert_eq!((row.value.as_deref(), row.hex), (Some("00 ff"), true));
}

#[test]
fn retain_1_marks_retain_0_keeps_the_mark_and_an_empty_retained_message_removes_it() {
    let mut tree = TopicTree::new();
    tree.on_message("r", b"on", true, at(0));
    let retained = |tree: &TopicTree| tree.row(tree.find("r").unwrap(), at(0)).unwrap().retained;
    assert!(retained(&tree));
    assert_eq!(
        tree.detail("r", at(0)).unwrap().retained.unwrap().preview,
        "on"
    );

    // Forwarded to an established subscription: RETAIN=0, says nothing about the store.
    tree.on_message("r", b"off", false, at(1));
    assert!(retained(&tree));
    assert_eq!(
        tree.detail("r", at(1)).unwrap().retained.unwrap().preview,
        "on"
    );

    // A newer retained message replaces it.
    tree.on_message("r", b"off", true, at(2));
    assert_eq!(
        tree.detail("r", at(2)).unwrap().retained.unwrap().preview,
        "off"
    );

    tree.on_message("r", b"", true, at(3));
    assert!(!retained(&tree));
    let detail = tree.detail("r", at(3)).unwrap();
    assert_eq!(detail.retained, None);
    assert_eq!(detail.history[0].one_line(), "(empty)");
    assert_eq!(detail.count, 4, "the empty message is still a message");
}

#[test]
fn clearing_from_this_page_removes_the_retained_value_and_keeps_the_history() {
    let mut tree = TopicTree::new();
    tree.on_message("r", b"42", true, at(0));
    tree.retained_cleared("r");
    let detail = tree.detail("r", at(0)).unwrap();
    assert_eq!(detail.retained, None);
    assert_eq!(detail.history.len(), 1);
    tree.retained_cleared("not/there"); // nothing to do, no panic
    assert_eq!(tree.find("not/there"), None);
}

#[test]
fn the_rate_follows_virtual_time() {
    let mut tree = TopicTree::new();
    for i in 0..30 {
        tree.on_message("fast", b"x", false, at(i * 100)); // 10 a second for 3 s
    }
    tree.on_message("slow", b"x", false, at(2_500));
    let rate = |tree: &TopicTree, topic: &str, now: u64| {
        tree.row(tree.find(topic).unwrap(), at(now)).unwrap().rate
    };
    assert_eq!(
        rate(&tree, "fast", 2_999),
        "3.0/s",
        "30 messages over a 10 s window"
    );
    assert_eq!(rate(&tree, "slow", 2_999), "0.1/s");
    assert_eq!(rate(&tree, "fast", 12_000), "", "all of it left the window");
    assert_eq!(tree.detail("fast", at(2_999)).unwrap().rate, "3.0/s");
}

#[test]
fn numbers_among_the_values_make_a_chart() {
    let mut tree = TopicTree::new();
    tree.on_message("n", b"1", false, at(0));
    assert_eq!(
        tree.detail("n", at(0)).unwrap().chart,
        None,
        "one number is no line"
    );
    tree.on_message("n", b"not a number", false, at(500));
    tree.on_message(
        "n",
        br#"{"timestamp":1,"type":"temperature","value":3}"#,
        false,
        at(1_000),
    );
    let chart = tree.detail("n", at(1_000)).unwrap().chart.unwrap();
    assert_eq!(
        (chart.values, chart.min, chart.max, chart.last),
        (2, 1.0, 3.0, 3.0)
    );
    assert_eq!(chart.points, "0.0,57.0 300.0,3.0");
    tree.on_message("text", b"on", false, at(0));
    tree.on_message("text", b"off", false, at(1));
    assert_eq!(tree.detail("text", at(1)).unwrap().chart, None);
}

#[test]
fn beyond_the_node_cap_new_topics_are_counted_not_shown() {
    let mut tree = TopicTree::with_max_nodes(4);
    tree.on_message("a/b", b"1", false, at(0));
    tree.on_message("a/c", b"1", false, at(0));
    assert_eq!(tree.nodes(), 3);
    tree.on_message("d/e", b"1", false, at(0)); // needs two nodes: does not fit
    tree.on_message("d/e", b"2", false, at(0));
    tree.on_message("f", b"1", false, at(0)); // one node: fits
    tree.on_message("g", b"1", false, at(0));
    tree.on_message("a/b", b"2", false, at(0)); // known topics go on
    assert_eq!(tree.nodes(), 4);
    assert_eq!(tree.find("d"), None, "no partial levels");
    assert_eq!(
        tree.not_shown(),
        NotShown {
            topics: 2,
            at_least: false,
            messages: 3
        }
    );
    assert_eq!(tree.messages(), 7);
    assert_eq!(tree.row(tree.find("a/b").unwrap(), at(0)).unwrap().count, 2);
}

#[test]
fn the_default_caps_hold_under_a_flood_of_distinct_topics() {
    let mut tree = TopicTree::new();
    for i in 0..(MAX_NODES + MAX_HIDDEN_TRACKED + 5) {
        tree.on_message(&format!("t{i}"), b"x", false, at(0));
    }
    assert_eq!(tree.nodes(), MAX_NODES);
    assert_eq!(tree.topics(), MAX_NODES);
    let hidden = tree.not_shown();
    assert_eq!(hidden.topics, MAX_HIDDEN_TRACKED);
    assert!(hidden.at_least);
    assert_eq!(hidden.messages, (MAX_HIDDEN_TRACKED + 5) as u64);
    assert_eq!(tree.visible().len(), MAX_NODES);
}

#[test]
fn clear_starts_over_with_the_same_cap() {
    let mut tree = TopicTree::with_max_nodes(2);
    tree.on_message("a/b/c", b"1", false, at(0));
    tree.on_message("a", b"1", false, at(0));
    tree.clear();
    assert_eq!((tree.nodes(), tree.topics(), tree.messages()), (0, 0, 0));
    assert_eq!(tree.not_shown(), NotShown::default());
    assert_eq!(tree.max_nodes(), 2);
    assert!(tree.visible().is_empty());
}

#[test]
fn rows_of_the_same_state_are_equal_so_a_view_redraws_only_what_changed() {
    let mut tree = TopicTree::new();
    tree.on_message("a/x", b"1", false, at(0));
    tree.on_message("a/y", b"1", false, at(0));
    let x = tree.find("a/x").unwrap();
    let y = tree.find("a/y").unwrap();
    let (x0, y0) = (tree.row(x, at(0)), tree.row(y, at(0)));
    tree.on_message("a/x", b"2", false, at(0));
    assert_ne!(tree.row(x, at(0)), x0);
    assert_eq!(tree.row(y, at(0)), y0);
    assert_eq!(tree.row(0, at(0)), None, "the root is not drawn");
    assert_eq!(tree.row(999, at(0)), None);
}

#[test]
fn a_rows_figures_say_count_rate_and_what_a_fold_hides() {
    let mut tree = TopicTree::new();
    tree.on_message("a", b"1", false, at(0));
    tree.on_message("a/b", b"1", false, at(0));
    tree.on_message("a/c", b"1", false, at(0));
    tree.on_message("x/y", b"1", false, at(0));
    let meta = |tree: &TopicTree, topic: &str, now: u64| {
        tree.row(tree.find(topic).unwrap(), at(now)).unwrap().meta()
    };
    assert_eq!(meta(&tree, "a", 0), "1 msg · 0.1/s");
    assert_eq!(
        meta(&tree, "x", 0),
        "",
        "a level with no message of its own"
    );
    tree.fold_all(true);
    assert_eq!(meta(&tree, "a", 60_000), "1 msg · 2 below");
    assert_eq!(meta(&tree, "x", 0), "1 below");
}
