//! Who is who: the addresses and chat names of one person merged under
//! one name, and senders known to be machines. Applied to the rows before
//! anything is counted, so every per-person figure, follow-up and "me"
//! sees one person where the exports saw several identities.

use crate::model::Message;
use rayon::prelude::*;
use std::collections::{HashMap, HashSet};

#[derive(Debug, Clone, Default)]
pub struct People {
    /// Lower-cased identity → the person's name.
    names: HashMap<String, String>,
    /// Lower-cased identities of automated senders.
    automated: HashSet<String>,
}

impl People {
    /// Records `alias` (an address or a chat name) as `name`'s; the name
    /// is an alias of itself. Fails with the other name when the alias
    /// already belongs to someone else.
    pub fn add(&mut self, name: &str, alias: &str) -> Result<(), String> {
        for identity in [name, alias] {
            let key = key(identity);
            match self.names.get(&key) {
                Some(other) if other != name => return Err(other.clone()),
                _ => {
                    self.names.insert(key, name.to_string());
                }
            }
        }
        Ok(())
    }

    /// Marks an address or chat name as automated (a bot, a CI server).
    pub fn add_automated(&mut self, identity: &str) {
        self.automated.insert(key(identity));
    }

    pub fn is_empty(&self) -> bool {
        self.names.is_empty() && self.automated.is_empty()
    }

    /// The person an identity belongs to, if the table names one.
    pub fn name_of(&self, identity: &str) -> Option<&str> {
        self.names.get(&key(identity)).map(String::as_str)
    }

    /// Identities as the rows will carry them once `apply`'d: a known
    /// alias becomes its person's name.
    pub fn resolve(&self, identities: &[String]) -> Vec<String> {
        let mut resolved: Vec<String> = identities
            .iter()
            .map(|i| self.name_of(i).map_or_else(|| i.clone(), str::to_string))
            .collect();
        resolved.sort();
        resolved.dedup();
        resolved
    }

    /// Renames senders and recipients to their person, and marks the
    /// listed automated senders.
    pub fn apply(&self, messages: &mut [Message]) {
        if self.is_empty() {
            return;
        }
        for m in messages {
            if self.automated.contains(&key(&m.sender)) {
                m.automated = true;
            }
            if let Some(name) = self.name_of(&m.sender) {
                m.sender = name.into();
            }
            m.recipients = m
                .recipients
                .iter()
                .map(|r| self.name_of(r).unwrap_or(r))
                .collect();
        }
    }
}

fn key(identity: &str) -> String {
    identity.trim().to_lowercase()
}

/// "Me" as the rows spell it: each of `me` (folded as aliases are, `Ana`
/// for `ana`) replaced by the senders it matches, so that `--me ana`
/// finds the chat sender `Ana`; one that matches none stays as given.
pub fn as_senders(me: &[String], messages: &[Message]) -> Vec<String> {
    let wanted: HashSet<String> = me.iter().map(|m| key(m)).collect();
    let mut found: HashMap<String, Vec<&str>> = HashMap::new();
    let mut seen: HashSet<&str> = HashSet::new();
    for m in messages {
        if seen.insert(&m.sender) {
            let folded = key(&m.sender);
            if wanted.contains(&folded) {
                found.entry(folded).or_default().push(&m.sender);
            }
        }
    }
    let mut senders: Vec<String> = me
        .iter()
        .flat_map(|m| match found.get(&key(m)) {
            Some(spellings) => spellings.iter().map(|s| s.to_string()).collect(),
            None => vec![m.clone()],
        })
        .collect();
    senders.sort();
    senders.dedup();
    senders
}

/// The senders of Gmail Takeout's sent mail (the `Sent` label): "me",
/// when the user has not said who that is.
pub fn senders_of_sent_mail(messages: &[Message]) -> Vec<String> {
    // On every core: a row's labels lie anywhere in memory.
    let mut senders: Vec<String> = messages
        .par_iter()
        .filter(|m| !m.sender.is_empty() && m.labels.iter().any(|l| l.trim().eq_ignore_ascii_case("sent")))
        .map(|m| m.sender.to_string())
        .collect();
    senders.sort();
    senders.dedup();
    senders
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Kind, Text};

    fn message(sender: &str, recipients: &[&str]) -> Message {
        let mut m = Message::new(0, Kind::Email, Text::EMAIL);
        m.sender = sender.into();
        m.recipients = recipients.iter().map(|r| r.to_string()).collect();
        m
    }

    #[test]
    fn aliases_merge_identities_under_one_name() {
        let mut people = People::default();
        people.add("Alice Example", "alice@example.com").unwrap();
        people.add("Alice Example", "Alice E").unwrap();
        people.add_automated("ci@example.com");
        assert_eq!(
            people.add("Bob", "ALICE@example.com"),
            Err("Alice Example".into())
        );

        let mut rows = vec![
            message("alice@example.com", &["bob@example.com", "alice e"]),
            message("ci@example.com", &["alice@example.com"]),
        ];
        people.apply(&mut rows);
        assert_eq!(rows[0].sender, "Alice Example");
        assert_eq!(rows[0].recipients, ["bob@example.com", "Alice Example"]);
        assert!(!rows[0].automated);
        assert!(rows[1].automated);
        assert_eq!(
            people.resolve(&[
                "alice e".into(),
                "alice example".into(),
                "carol@example.com".into()
            ]),
            ["Alice Example", "carol@example.com"]
        );
    }

    #[test]
    fn hardening_17_me_matches_chat_senders_folded_as_aliases_are() {
        let rows = [
            message("Ana", &[]),
            message("ANA", &[]),
            message("bob@example.com", &[]),
            message("Ana", &[]),
        ];
        let me = as_senders(&["ana".into(), "carol@example.com".into()], &rows);
        assert_eq!(me, ["ANA", "Ana", "carol@example.com"]);
        assert_eq!(as_senders(&[], &rows), Vec::<String>::new());
    }

    #[test]
    fn me_is_whoever_sent_the_sent_mail() {
        let mut sent = message("me@example.com", &[]);
        sent.labels = ["Sent", "Important"].iter().collect();
        let mut also = message("me@work.example", &[]);
        also.labels = [" sent"].iter().collect();
        let rows = [message("bob@example.com", &[]), sent, also];
        assert_eq!(senders_of_sent_mail(&rows), ["me@example.com", "me@work.example"]);
    }
}
