//! The challenge's fixed vocabulary: topics, the command table and the final message.
//!
//! Everything both roles must agree on lives here, so the client and the server cannot
//! drift apart. Quotes are from the seed (`challenge-client.md`).

use core::fmt;

use thiserror::Error;

/// "Send a message containing **User ID** to the topic 'login'."
pub const LOGIN_TOPIC: &str = "login";

/// The last level of the topic the unique id arrives on: "we shall receive a message on
/// the topic '**User ID**/UUID'".
pub const UUID_LEVEL: &str = "UUID";

/// "we shall receive the following message from broker: '**Well done my IoT!**' on the
/// topic '**UNIQUE ID**'."
pub const FINAL_MESSAGE: &str = "Well done my IoT!";

/// One of the seven commands, each with its fixed reply word (the seed's table).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Command {
    Cmd1,
    Cmd2,
    Cmd3,
    Cmd4,
    Cmd5,
    Cmd6,
    Cmd7,
}

impl Command {
    /// Every command, in table order.
    pub const ALL: [Command; 7] = [
        Command::Cmd1,
        Command::Cmd2,
        Command::Cmd3,
        Command::Cmd4,
        Command::Cmd5,
        Command::Cmd6,
        Command::Cmd7,
    ];

    /// The command a payload names, exactly as the server writes it (`CMD1`…`CMD7`).
    ///
    /// No trimming or case folding: a payload that is not exactly a command name is
    /// something the server did not say, and the client reports it instead of guessing.
    pub fn parse(text: &str) -> Option<Command> {
        Command::ALL.into_iter().find(|c| c.name() == text)
    }

    /// The name on the wire: the payload of the command and the last level of the reply topic.
    pub fn name(self) -> &'static str {
        match self {
            Command::Cmd1 => "CMD1",
            Command::Cmd2 => "CMD2",
            Command::Cmd3 => "CMD3",
            Command::Cmd4 => "CMD4",
            Command::Cmd5 => "CMD5",
            Command::Cmd6 => "CMD6",
            Command::Cmd7 => "CMD7",
        }
    }

    /// "For each command we should send a specific reply": the seed's table.
    pub fn reply(self) -> &'static str {
        match self {
            Command::Cmd1 => "Apple",
            Command::Cmd2 => "Cat",
            Command::Cmd3 => "Dog",
            Command::Cmd4 => "Rat",
            Command::Cmd5 => "Boy",
            Command::Cmd6 => "Girl",
            Command::Cmd7 => "Toy",
        }
    }

    /// Position in [`Command::ALL`], for per-command tables.
    pub fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for Command {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A count per command: how many were received, sent, answered or are missing.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct CommandCounts([u32; 7]);

impl CommandCounts {
    /// The count for one command.
    pub fn get(&self, command: Command) -> u32 {
        self.0[command.index()]
    }

    /// Adds one to a command's count.
    pub fn add(&mut self, command: Command) {
        self.0[command.index()] += 1;
    }

    /// The sum over all commands.
    pub fn total(&self) -> u32 {
        self.0.iter().sum()
    }

    /// Every command with its count, zeros included, in table order.
    pub fn iter(&self) -> impl Iterator<Item = (Command, u32)> + '_ {
        Command::ALL.into_iter().map(|c| (c, self.get(c)))
    }

    /// Per command, how many `self` has beyond `other` (zero where it has fewer).
    pub fn saturating_sub(&self, other: &CommandCounts) -> CommandCounts {
        let mut out = CommandCounts::default();
        for (c, n) in self.iter() {
            out.0[c.index()] = n.saturating_sub(other.get(c));
        }
        out
    }
}

/// `CMD1 ×2, CMD4 ×1` (non-zero counts only), or `none`.
impl fmt::Display for CommandCounts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for (command, n) in self.iter().filter(|(_, n)| *n > 0) {
            if !first {
                f.write_str(", ")?;
            }
            write!(f, "{command} ×{n}")?;
            first = false;
        }
        if first {
            f.write_str("none")?;
        }
        Ok(())
    }
}

/// The topic the unique id arrives on: `<user id>/UUID`.
pub fn uuid_topic(user_id: &str) -> String {
    format!("{user_id}/{UUID_LEVEL}")
}

/// Where a command's reply goes: "to the following topic: '**UNIQUE ID**/**CMD**'".
pub fn reply_topic(unique_id: &str, command: Command) -> String {
    format!("{unique_id}/{}", command.name())
}

/// The user id cannot become part of the topics it must name.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum UserIdError {
    #[error("the user id is empty; enter one, like 12345")]
    Empty,
    /// `+` and `#` are wildcards, `/` would add a topic level to `<user id>/UUID`, and
    /// MQTT forbids NUL in any string [MQTT-4.7.3-2].
    #[error("the user id '{user_id}' contains {found:?}; it cannot contain '+', '#', '/' or NUL")]
    ForbiddenCharacter { user_id: String, found: char },
    /// `<user id>/UUID` must fit in an MQTT string [MQTT-1.5.3].
    #[error("the user id is {0} bytes long; at most 65,000 fit in a topic")]
    TooLong(usize),
}

/// Longest user id accepted: `<user id>/UUID` must stay under MQTT's 65,535-byte strings.
pub const MAX_USER_ID_LEN: usize = 65_000;

/// Checks that a user id can name the login payload and the `<user id>/UUID` topic.
pub fn validate_user_id(user_id: &str) -> Result<(), UserIdError> {
    if user_id.is_empty() {
        return Err(UserIdError::Empty);
    }
    if user_id.len() > MAX_USER_ID_LEN {
        return Err(UserIdError::TooLong(user_id.len()));
    }
    if let Some(found) = user_id
        .chars()
        .find(|c| matches!(c, '+' | '#' | '/' | '\0'))
    {
        return Err(UserIdError::ForbiddenCharacter {
            user_id: user_id.to_string(),
            found,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_command_table_is_the_seeds() {
        let table: Vec<(&str, &str)> = Command::ALL.iter().map(|c| (c.name(), c.reply())).collect();
        assert_eq!(
            table,
            [
                ("CMD1", "Apple"),
                ("CMD2", "Cat"),
                ("CMD3", "Dog"),
                ("CMD4", "Rat"),
                ("CMD5", "Boy"),
                ("CMD6", "Girl"),
                ("CMD7", "Toy"),
            ]
        );
    }

    #[test]
    fn parse_accepts_exactly_the_command_names() {
        for command in Command::ALL {
            assert_eq!(Command::parse(command.name()), Some(command));
            assert_eq!(command.to_string(), command.name());
        }
        for other in [
            "", "CMD0", "CMD8", "cmd1", " CMD1", "CMD1 ", "Apple", "CMD10",
        ] {
            assert_eq!(Command::parse(other), None, "{other:?}");
        }
    }

    #[test]
    fn topics_are_built_as_the_seed_shows() {
        assert_eq!(uuid_topic("12345"), "12345/UUID");
        assert_eq!(
            reply_topic("1234-fdsfs-12441-qa241", Command::Cmd1),
            "1234-fdsfs-12441-qa241/CMD1"
        );
    }

    #[test]
    fn counts_add_subtract_and_print_only_what_is_there() {
        let mut sent = CommandCounts::default();
        assert_eq!(sent.to_string(), "none");
        sent.add(Command::Cmd1);
        sent.add(Command::Cmd1);
        sent.add(Command::Cmd4);
        let mut answered = CommandCounts::default();
        answered.add(Command::Cmd1);
        answered.add(Command::Cmd7);
        assert_eq!(sent.total(), 3);
        assert_eq!(sent.to_string(), "CMD1 ×2, CMD4 ×1");
        assert_eq!(
            sent.saturating_sub(&answered).to_string(),
            "CMD1 ×1, CMD4 ×1"
        );
    }

    #[test]
    fn user_ids_that_would_break_the_topics_are_refused() {
        assert_eq!(validate_user_id("12345"), Ok(()));
        assert_eq!(validate_user_id(""), Err(UserIdError::Empty));
        for (id, found) in [("a+b", '+'), ("#", '#'), ("12/34", '/'), ("a\0", '\0')] {
            assert_eq!(
                validate_user_id(id),
                Err(UserIdError::ForbiddenCharacter {
                    user_id: id.to_string(),
                    found
                })
            );
        }
        let long = "1".repeat(MAX_USER_ID_LEN + 1);
        assert_eq!(
            validate_user_id(&long),
            Err(UserIdError::TooLong(long.len()))
        );
    }
}
