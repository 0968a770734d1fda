//! Which subscription brought a message: a received message gets the colour of the first
//! subscription in the list whose filter matches its topic (colour = its place in the
//! list, in a palette of [`PALETTE_SIZE`]), and that subscription's alias, a short label
//! the user may give it. Sent messages and notes get none.

use std::collections::BTreeMap;

use mqtt_session::topic::matches;

/// Colours in the palette (`style/main.css`: `.sub-0` … `.sub-7`).
pub const PALETTE_SIZE: usize = 8;

/// Longest alias kept, in characters.
pub const ALIAS_MAX: usize = 24;

/// A row's colour and label.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Tag {
    /// Index into the palette.
    pub colour: usize,
    /// Empty when the subscription has none.
    pub alias: String,
}

/// The palette index of the subscription at `position` in the list.
pub fn colour_of(position: usize) -> usize {
    position % PALETTE_SIZE
}

/// Position of the first filter matching `topic`. A shared subscription
/// (`$share/group/filter`) matches as its filter does.
pub fn subscription_of(topic: &str, filters: &[String]) -> Option<usize> {
    filters
        .iter()
        .position(|filter| matches(topic, without_share(filter)))
}

/// The tag of a message on `topic` under these subscriptions and aliases (by filter).
pub fn tag_of(topic: &str, filters: &[String], aliases: &BTreeMap<String, String>) -> Option<Tag> {
    let position = subscription_of(topic, filters)?;
    Some(Tag {
        colour: colour_of(position),
        alias: aliases.get(&filters[position]).cloned().unwrap_or_default(),
    })
}

/// What is kept of a typed alias: trimmed, at most [`ALIAS_MAX`] characters.
pub fn clean_alias(input: &str) -> String {
    input.trim().chars().take(ALIAS_MAX).collect()
}

fn without_share(filter: &str) -> &str {
    filter
        .strip_prefix("$share/")
        .and_then(|rest| rest.split_once('/'))
        .map_or(filter, |(_group, filter)| filter)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_matching_subscription_gives_its_colour_and_alias() {
        let filters: Vec<String> = ["device/+/event", "device/#", "$share/g/sensor/+", "#"]
            .map(String::from)
            .to_vec();
        let aliases = BTreeMap::from([("device/#".to_string(), "devices".to_string())]);
        assert_eq!(
            tag_of("device/d1/event", &filters, &aliases),
            Some(Tag {
                colour: 0,
                alias: String::new()
            })
        );
        assert_eq!(
            tag_of("device/d1/telemetry/temp", &filters, &aliases),
            Some(Tag {
                colour: 1,
                alias: "devices".into()
            })
        );
        assert_eq!(subscription_of("sensor/temperature", &filters), Some(2));
        assert_eq!(subscription_of("other", &filters), Some(3));
        assert_eq!(subscription_of("$SYS/uptime", &filters), None);
        assert_eq!(subscription_of("x", &[]), None);
    }

    #[test]
    fn the_palette_repeats_and_aliases_stay_short() {
        assert_eq!(colour_of(9), 1);
        assert_eq!(clean_alias("  kitchen  "), "kitchen");
        assert_eq!(clean_alias(&"é".repeat(40)).chars().count(), ALIAS_MAX);
    }
}
