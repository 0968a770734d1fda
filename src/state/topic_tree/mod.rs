//! The topic tree: every topic received, one node per topic level, with its latest value,
//! whether the broker holds a retained message for it, its count and rate, and its recent
//! values. Fed from the same messages as the log; rendered by `views::topic_tree`.
//!
//! Memory is bounded whatever arrives: at most [`MAX_NODES`] nodes (each level of a topic
//! is a node; a topic that would need more is counted as not shown, by a fingerprint, up to
//! [`MAX_HIDDEN_TRACKED`] of them), [`HISTORY`] values per topic of [`PREVIEW_BYTES`] bytes
//! each, and a fixed-size rate window.
//!
//! Retained messages: a broker sends a retained message with RETAIN=1 only to a new
//! subscription [MQTT-3.3.1-8]; a message forwarded to an established subscription arrives
//! with RETAIN=0 whatever the publisher set [MQTT-3.3.1-9]. So RETAIN=1 marks the topic as
//! retained, RETAIN=0 leaves the mark as it was, and a retained message with an empty
//! payload removes it ("a zero byte retained message … will be removed" [MQTT-3.3.1-10]),
//! as does this page's own clearing ([`TopicTree::retained_cleared`]).

mod rate;
mod sample;
#[cfg(test)]
mod tests;

use std::collections::hash_map::DefaultHasher;
use std::collections::{BTreeMap, HashSet, VecDeque};
use std::hash::{Hash, Hasher};

use mqtt_session::Instant;

pub use rate::{rate_text, Rate, RATE_WINDOW_SECS};
pub use sample::{number_in, Chart, Sample, CHART_HEIGHT, CHART_WIDTH, PREVIEW_BYTES};

/// Nodes kept at most (topic levels: `a/b/c` takes three).
pub const MAX_NODES: usize = 10_000;
/// Values kept per topic.
pub const HISTORY: usize = 50;
/// Topics not shown that are told apart (by a 64-bit fingerprint); beyond, the count says
/// "at least".
pub const MAX_HIDDEN_TRACKED: usize = 10_000;

/// A node's index; stable until [`TopicTree::clear`].
pub type NodeId = usize;
const ROOT: NodeId = 0;

/// What a topic that received messages holds.
#[derive(Debug, Clone, Default, PartialEq)]
struct TopicData {
    count: u64,
    rate: Rate,
    /// Oldest first; the last one is the latest value.
    history: VecDeque<Sample>,
    /// The retained message the broker holds, as far as this page saw.
    retained: Option<Sample>,
}

#[derive(Debug, Clone, PartialEq)]
struct Node {
    /// This level's name (may be empty: `/a` starts with an empty level).
    name: String,
    /// The full topic up to this level.
    topic: String,
    parent: NodeId,
    depth: usize,
    children: BTreeMap<String, NodeId>,
    folded: bool,
    /// Messages on this topic and every topic below.
    below: u64,
    data: Option<TopicData>,
}

impl Node {
    fn new(name: &str, topic: String, parent: NodeId, depth: usize) -> Self {
        Self {
            name: name.to_string(),
            topic,
            parent,
            depth,
            children: BTreeMap::new(),
            folded: false,
            below: 0,
            data: None,
        }
    }
}

/// Topics received beyond the cap.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct NotShown {
    pub topics: usize,
    /// More topics than could be told apart: `topics` is a lower bound.
    pub at_least: bool,
    pub messages: u64,
}

/// One line of the rendered tree. Plain values only (the rate already as text), so a view
/// can key its rows by the whole row and redraw only the ones that changed.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Row {
    pub id: NodeId,
    pub topic: String,
    /// The level's name; "∅" for an empty level.
    pub label: String,
    /// 0 for a first level.
    pub depth: usize,
    pub has_children: bool,
    pub folded: bool,
    /// The latest value on one line (`None` for a level no message was sent to).
    pub value: Option<String>,
    pub hex: bool,
    pub retained: bool,
    pub count: u64,
    /// Messages here and below (what a folded level sums up).
    pub below: u64,
    pub rate: String,
}

impl Row {
    /// The figures after the value: "12 msgs · 2.0/s", and what a folded level hides
    /// ("· 30 below").
    pub fn meta(&self) -> String {
        let mut parts = Vec::new();
        if self.count > 0 {
            let plural = if self.count == 1 { "" } else { "s" };
            parts.push(format!("{} msg{plural}", self.count));
        }
        if !self.rate.is_empty() {
            parts.push(self.rate.clone());
        }
        if self.folded && self.below > self.count {
            parts.push(format!("{} below", self.below - self.count));
        }
        parts.join(" · ")
    }
}

/// A selected topic in full.
#[derive(Debug, Clone, PartialEq)]
pub struct TopicDetail {
    pub topic: String,
    pub count: u64,
    pub rate: String,
    pub retained: Option<Sample>,
    /// Newest first.
    pub history: Vec<Sample>,
    /// Of the numbers among the values kept, when there are two or more.
    pub chart: Option<Chart>,
}

/// The tree of topics seen.
#[derive(Debug, Clone, PartialEq)]
pub struct TopicTree {
    nodes: Vec<Node>,
    max_nodes: usize,
    topics: usize,
    messages: u64,
    hidden: HashSet<u64>,
    not_shown: NotShown,
}

impl Default for TopicTree {
    fn default() -> Self {
        Self::new()
    }
}

impl TopicTree {
    pub fn new() -> Self {
        Self::with_max_nodes(MAX_NODES)
    }

    /// A tree of at most `max_nodes` nodes (tests use small ones).
    pub fn with_max_nodes(max_nodes: usize) -> Self {
        Self {
            nodes: vec![Node::new("", String::new(), ROOT, 0)],
            max_nodes,
            topics: 0,
            messages: 0,
            hidden: HashSet::new(),
            not_shown: NotShown::default(),
        }
    }

    /// Records a message received at `now`.
    pub fn on_message(&mut self, topic: &str, payload: &[u8], retain: bool, now: Instant) {
        self.messages += 1;
        let Some(id) = self.find_or_insert(topic) else {
            self.count_not_shown(topic);
            return;
        };
        let mut up = id;
        loop {
            self.nodes[up].below += 1;
            if up == ROOT {
                break;
            }
            up = self.nodes[up].parent;
        }
        let node = &mut self.nodes[id];
        if node.data.is_none() {
            self.topics += 1;
        }
        let data = node.data.get_or_insert_with(TopicData::default);
        let sample = Sample::of(payload, retain, now);
        data.count += 1;
        data.rate.add(now);
        if retain {
            data.retained = (!payload.is_empty()).then(|| sample.clone());
        }
        if data.history.len() == HISTORY {
            data.history.pop_front();
        }
        data.history.push_back(sample);
    }

    /// This page published an empty retained message on `topic`: the broker no longer holds
    /// one for it.
    pub fn retained_cleared(&mut self, topic: &str) {
        if let Some(data) = self.find(topic).and_then(|id| self.nodes[id].data.as_mut()) {
            data.retained = None;
        }
    }

    /// Forgets everything.
    pub fn clear(&mut self) {
        *self = Self::with_max_nodes(self.max_nodes);
    }

    /// The node of `topic`, if it is in the tree.
    pub fn find(&self, topic: &str) -> Option<NodeId> {
        let mut at = ROOT;
        for level in topic.split('/') {
            at = *self.nodes[at].children.get(level)?;
        }
        (at != ROOT).then_some(at)
    }

    /// Folds an unfolded node, unfolds a folded one.
    pub fn toggle(&mut self, id: NodeId) {
        if let Some(node) = self.nodes.get_mut(id).filter(|_| id != ROOT) {
            node.folded = !node.folded;
        }
    }

    pub fn set_folded(&mut self, id: NodeId, folded: bool) {
        if let Some(node) = self.nodes.get_mut(id).filter(|_| id != ROOT) {
            node.folded = folded;
        }
    }

    /// Folds every level that has levels below it, or unfolds every level.
    pub fn fold_all(&mut self, folded: bool) {
        for node in self.nodes.iter_mut().skip(1) {
            node.folded = folded && !node.children.is_empty();
        }
    }

    /// The nodes to draw, in order: every first level, and the levels below each
    /// unfolded one.
    pub fn visible(&self) -> Vec<NodeId> {
        let mut out = Vec::new();
        let mut stack: Vec<NodeId> = self.nodes[ROOT].children.values().rev().copied().collect();
        while let Some(id) = stack.pop() {
            out.push(id);
            let node = &self.nodes[id];
            if !node.folded {
                stack.extend(node.children.values().rev().copied());
            }
        }
        out
    }

    /// The line drawn for `id`, with its rate at `now`.
    pub fn row(&self, id: NodeId, now: Instant) -> Option<Row> {
        let node = self.nodes.get(id).filter(|_| id != ROOT)?;
        let latest = node.data.as_ref().and_then(|d| d.history.back());
        Some(Row {
            id,
            topic: node.topic.clone(),
            label: if node.name.is_empty() {
                "∅".to_string()
            } else {
                node.name.clone()
            },
            depth: node.depth,
            has_children: !node.children.is_empty(),
            folded: node.folded,
            value: latest.map(Sample::one_line),
            hex: latest.is_some_and(|s| s.hex),
            retained: node.data.as_ref().is_some_and(|d| d.retained.is_some()),
            count: node.data.as_ref().map_or(0, |d| d.count),
            below: node.below,
            rate: node
                .data
                .as_ref()
                .map(|d| rate_text(d.rate.per_second(now)))
                .unwrap_or_default(),
        })
    }

    /// `topic` in full, with its rate at `now`; `None` unless messages arrived on it.
    pub fn detail(&self, topic: &str, now: Instant) -> Option<TopicDetail> {
        let data = self.nodes[self.find(topic)?].data.as_ref()?;
        let numbers: Vec<(Instant, f64)> = data
            .history
            .iter()
            .filter_map(|s| Some((s.at, s.number?)))
            .collect();
        Some(TopicDetail {
            topic: topic.to_string(),
            count: data.count,
            rate: rate_text(data.rate.per_second(now)),
            retained: data.retained.clone(),
            history: data.history.iter().rev().cloned().collect(),
            chart: Chart::of(&numbers),
        })
    }

    /// Topics that received messages (levels only passed through are not counted).
    pub fn topics(&self) -> usize {
        self.topics
    }

    /// Nodes in the tree (every level), against [`TopicTree::max_nodes`].
    pub fn nodes(&self) -> usize {
        self.nodes.len() - 1
    }

    pub fn max_nodes(&self) -> usize {
        self.max_nodes
    }

    /// Messages recorded, shown or not.
    pub fn messages(&self) -> u64 {
        self.messages
    }

    pub fn not_shown(&self) -> NotShown {
        self.not_shown
    }

    /// The node of `topic`, adding its missing levels if they fit under the cap; `None` for
    /// an empty topic or one that does not fit.
    fn find_or_insert(&mut self, topic: &str) -> Option<NodeId> {
        if topic.is_empty() {
            return None;
        }
        let mut at = ROOT;
        let mut levels = topic.split('/').enumerate().peekable();
        while let Some((_, level)) = levels.peek() {
            match self.nodes[at].children.get(*level) {
                Some(child) => {
                    at = *child;
                    levels.next();
                }
                None => break,
            }
        }
        let missing = levels.clone().count();
        if missing == 0 {
            return Some(at);
        }
        if self.nodes() + missing > self.max_nodes {
            return None;
        }
        for (depth, level) in levels {
            let path = if at == ROOT {
                level.to_string()
            } else {
                format!("{}/{level}", self.nodes[at].topic)
            };
            let id = self.nodes.len();
            self.nodes.push(Node::new(level, path, at, depth));
            self.nodes[at].children.insert(level.to_string(), id);
            at = id;
        }
        Some(at)
    }

    fn count_not_shown(&mut self, topic: &str) {
        self.not_shown.messages += 1;
        let mut hasher = DefaultHasher::new();
        topic.hash(&mut hasher);
        let fingerprint = hasher.finish();
        if self.hidden.contains(&fingerprint) {
            return;
        }
        if self.hidden.len() < MAX_HIDDEN_TRACKED {
            self.hidden.insert(fingerprint);
            self.not_shown.topics += 1;
        } else {
            self.not_shown.at_least = true;
        }
    }
}
