//! Thread: parents and conversations (METRICS.md sections 2 and 3).
//!
//! Mail threads are connected components of message ids, parent ids and
//! References (ids missing from the data still link), joined by subject
//! where a message names no id at all. Gmail's X-GM-THRID and a message
//! log's conversation name the conversation directly. Log rows without an
//! explicit parent answer the previous timed row of their conversation.

use crate::index::first_of_each;
use crate::model::{Kind, Message, MessageIdx, Millis, Text};
use foldhash::{HashMap, HashMapExt};

/// Subject joins reach at most this far back (inclusive).
pub const SUBJECT_WINDOW: Millis = 30 * 86_400_000;

/// How a parent was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Link {
    /// A header or an export field names it.
    Explicit,
    /// The previous timed row of a chat conversation.
    Inferred,
}

/// Conversations and parents of the kept messages, index for index.
#[derive(Debug)]
pub struct Threads {
    /// Conversation of each message, numbered by first appearance.
    pub conversation: Vec<u32>,
    /// A readable key for each conversation (a message's own string, shared).
    pub names: Vec<Text>,
    pub parent: Vec<Option<MessageIdx>>,
    pub link: Vec<Option<Link>>,
}

/// Links every message to its parent and conversation.
pub fn link(messages: &[Message]) -> Threads {
    // Three strands that share nothing until the components are joined:
    // on two cores they run side by side.
    let ((mut sets, (parent, link)), subject_links) = rayon::join(
        || {
            let ids = Ids::index(messages);
            rayon::join(|| id_sets(messages, &ids), || parents(messages, &ids))
        },
        || subject_links(messages),
    );
    for (a, b) in subject_links {
        sets.union(a, b);
    }
    let components: Vec<MessageIdx> = (0..messages.len() as MessageIdx).map(|i| sets.find(i)).collect();
    drop(sets);
    let (conversation, names) = conversations(messages, components);
    Threads {
        conversation,
        names,
        parent,
        link,
    }
}

/// Which message each id names: mail ids are global (and unique after
/// de-duplication); a log's ids are scoped by its conversation.
struct Ids<'a> {
    mail: HashMap<&'a str, MessageIdx>,
    log: HashMap<(&'a str, &'a str), MessageIdx>,
}

impl<'a> Ids<'a> {
    fn index(messages: &'a [Message]) -> Ids<'a> {
        let mut ids = Ids {
            mail: HashMap::with_capacity(messages.len()),
            log: HashMap::new(),
        };
        for (i, m) in messages.iter().enumerate() {
            let Some(id) = m.message_id.as_deref() else {
                continue;
            };
            match (m.kind, m.conversation.as_deref()) {
                (Kind::Email, _) => ids.mail.entry(id).or_insert(i as MessageIdx),
                (Kind::Log, Some(conversation)) => {
                    ids.log.entry((conversation, id)).or_insert(i as MessageIdx)
                }
                // Calls and meetings neither answer nor are answered.
                (Kind::Log, None) | (Kind::Event, _) => continue,
            };
        }
        ids
    }

    /// The message `id` names, as seen from message `m`.
    fn find(&self, m: &Message, id: &str) -> Option<MessageIdx> {
        match (m.kind, m.conversation.as_deref()) {
            (Kind::Email, _) => self.mail.get(id).copied(),
            (Kind::Log, Some(conversation)) => self.log.get(&(conversation, id)).copied(),
            (Kind::Log, None) | (Kind::Event, _) => None,
        }
    }
}

/// Mail joined by ids: the sets of messages that name each other, where
/// ids that name no message in the data are nodes of their own past the
/// messages (they still link those naming them).
fn id_sets(messages: &[Message], ids: &Ids) -> UnionFind {
    let mut sets = UnionFind::new(messages.len());
    let mut ghosts: HashMap<&str, MessageIdx> = HashMap::new();
    for (i, m) in messages.iter().enumerate().filter(|(_, m)| m.kind == Kind::Email) {
        let linked = m.parent_id.as_deref().into_iter().chain(m.references.iter());
        for id in linked {
            let node = match ids.mail.get(id) {
                Some(&message) => message,
                None => *ghosts.entry(id).or_insert_with(|| sets.add()),
            };
            sets.union(i as MessageIdx, node);
        }
    }
    sets
}

/// Mail that names no id joined to the latest earlier mail of its subject
/// within `SUBJECT_WINDOW`.
fn subject_links(messages: &[Message]) -> Vec<(MessageIdx, MessageIdx)> {
    let mut timed: Vec<(Millis, MessageIdx)> = messages
        .iter()
        .enumerate()
        .filter(|(_, m)| m.kind == Kind::Email && !m.subject_key.is_empty())
        .filter_map(|(i, m)| Some((m.timestamp?, i as MessageIdx)))
        .collect();
    timed.sort_unstable();
    let mut links = Vec::new();
    // Grown to the subjects there are, fewer than the messages.
    let mut latest: HashMap<&str, (Millis, MessageIdx)> = HashMap::new();
    for (t, i) in timed {
        let m = &messages[i as usize];
        if !m.has_link_ids
            && let Some(&(earlier, j)) = latest.get(m.subject_key.as_str())
            && t - earlier <= SUBJECT_WINDOW
        {
            links.push((i, j));
        }
        latest.insert(&m.subject_key, (t, i));
    }
    links
}

/// Dense conversation numbers, in order of first appearance, with names.
fn conversations(messages: &[Message], components: Vec<MessageIdx>) -> (Vec<u32>, Vec<Text>) {
    #[derive(PartialEq, Eq, Hash)]
    enum Key<'a> {
        Named(Kind, &'a str),
        Component(MessageIdx),
    }
    let key = |i: usize| {
        let m = &messages[i];
        Some(match &m.conversation {
            Some(name) => Key::Named(m.kind, name),
            None => Key::Component(components[i]),
        })
    };
    let first = first_of_each(messages.len(), key);
    let mut names = Vec::new();
    let mut conversation = Vec::with_capacity(messages.len());
    for (i, m) in messages.iter().enumerate() {
        let number = match first[i] {
            Some(earlier) if (earlier as usize) < i => conversation[earlier as usize],
            _ => {
                names.push(match (&m.conversation, &m.message_id) {
                    (Some(name), _) => name.clone(),
                    (None, Some(id)) => id.clone(),
                    (None, None) => format!("#{}", names.len() + 1).into(),
                });
                (names.len() - 1) as u32
            }
        };
        conversation.push(number);
    }
    (conversation, names)
}

/// Explicit parents by id (mail: anywhere; logs: in the own conversation),
/// and inferred parents for log rows that name none.
fn parents(messages: &[Message], ids: &Ids) -> (Vec<Option<MessageIdx>>, Vec<Option<Link>>) {
    let mut parent = vec![None; messages.len()];
    let mut link = vec![None; messages.len()];
    let mut chat_rows: HashMap<&str, Vec<(Millis, usize)>> = HashMap::new();
    for (i, m) in messages.iter().enumerate() {
        if let (Kind::Log, Some(conv), Some(t)) = (m.kind, &m.conversation, m.timestamp) {
            chat_rows.entry(conv).or_default().push((t, i));
        }
        if let Some(pid) = &m.parent_id {
            parent[i] = ids.find(m, pid).filter(|&p| p as usize != i);
            link[i] = parent[i].map(|_| Link::Explicit);
        }
    }
    for rows in chat_rows.values_mut() {
        rows.sort_unstable();
        for pair in rows.windows(2) {
            let (previous, row) = (pair[0].1, pair[1].1);
            if messages[row].parent_id.is_none() {
                parent[row] = Some(previous as MessageIdx);
                link[row] = Some(Link::Inferred);
            }
        }
    }
    (parent, link)
}

/// Disjoint sets with path halving and union by size.
struct UnionFind {
    parent: Vec<MessageIdx>,
    size: Vec<u32>,
}

impl UnionFind {
    fn new(n: usize) -> UnionFind {
        UnionFind {
            parent: (0..n as MessageIdx).collect(),
            size: vec![1; n],
        }
    }

    /// A new set of one node, after the others.
    fn add(&mut self) -> MessageIdx {
        let node = self.parent.len() as MessageIdx;
        self.parent.push(node);
        self.size.push(1);
        node
    }

    fn find(&mut self, mut x: MessageIdx) -> MessageIdx {
        while self.parent[x as usize] != x {
            self.parent[x as usize] = self.parent[self.parent[x as usize] as usize];
            x = self.parent[x as usize];
        }
        x
    }

    fn union(&mut self, a: MessageIdx, b: MessageIdx) {
        let (mut a, mut b) = (self.find(a), self.find(b));
        if a == b {
            return;
        }
        if self.size[a as usize] < self.size[b as usize] {
            std::mem::swap(&mut a, &mut b);
        }
        self.parent[b as usize] = a;
        self.size[a as usize] += self.size[b as usize];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINUTE: Millis = 60_000;

    fn mail(id: &str, parent: Option<&str>, refs: &[&str], subject: &str, t: Option<Millis>) -> Message {
        let mut m = Message::new(0, Kind::Email, Text::EMAIL);
        m.message_id = (!id.is_empty()).then(|| id.into());
        m.parent_id = parent.map(Into::into);
        m.references = refs.iter().collect();
        m.has_link_ids = parent.is_some() || !refs.is_empty();
        m.subject = subject.into();
        m.subject_key = crate::normalize::subject::normalize(subject).into();
        m.timestamp = t;
        m
    }

    fn chat(conv: &str, id: &str, parent: &str, t: Option<Millis>) -> Message {
        let mut m = Message::new(0, Kind::Log, Text::CHAT);
        m.conversation = Some(conv.into());
        m.message_id = (!id.is_empty()).then(|| id.into());
        m.parent_id = (!parent.is_empty()).then(|| parent.into());
        m.timestamp = t;
        m
    }

    #[test]
    fn ghost_ids_still_link_threads() {
        let messages = [
            mail("a", None, &[], "x", Some(0)),
            mail("b", Some("ghost"), &[], "y", Some(MINUTE)),
            mail("c", Some("ghost"), &["a"], "z", Some(2 * MINUTE)),
            mail("d", None, &[], "w", Some(3 * MINUTE)),
        ];
        let t = link(&messages);
        assert_eq!(t.conversation, [0, 0, 0, 1]);
        assert_eq!(t.parent, [None, None, None, None], "ghost is not in the data");
    }

    #[test]
    fn parents_may_come_later_in_the_file() {
        let messages = [
            mail("b", Some("a"), &[], "", Some(MINUTE)),
            mail("a", None, &[], "", Some(0)),
        ];
        let t = link(&messages);
        assert_eq!(t.parent, [Some(1), None]);
        assert_eq!(t.link[0], Some(Link::Explicit));
    }

    #[test]
    fn subject_joins_within_thirty_days_by_time() {
        let day = 24 * 60 * MINUTE;
        let messages = [
            mail("1", None, &[], "Plan", Some(0)),
            mail("2", None, &[], "Re: plan", Some(30 * day)), // joins 1 (inclusive)
            mail("3", None, &[], "RE: Plan", Some(60 * day + 1000)), // 30 d + 1 s after 2
            mail("4", None, &[], "Re:", Some(61 * day)),
            mail("5", None, &[], "Re:", Some(61 * day + 1)), // empty subjects never join
            mail("6", Some("x"), &[], "Plan", Some(62 * day)), // linked: never joins
        ];
        let t = link(&messages);
        assert_eq!(t.conversation, [0, 0, 1, 2, 3, 4]);
        assert_eq!(t.parent, [None; 6], "a subject join makes no parent");
    }

    #[test]
    fn gmail_thread_ids_name_the_conversation() {
        let mut a = mail("a", None, &[], "", Some(0));
        a.conversation = Some("100".into());
        let mut b = mail("b", Some("a"), &[], "", Some(MINUTE));
        b.conversation = Some("200".into());
        let t = link(&[a, b]);
        assert_eq!(t.conversation, [0, 1]);
        assert_eq!(t.names, ["100", "200"]);
        assert_eq!(t.parent, [None, Some(0)]);
    }

    #[test]
    fn chat_rows_answer_the_previous_timed_row() {
        let messages = [
            chat("a", "a1", "", Some(0)),
            chat("b", "b1", "", Some(0)),
            chat("a", "a3", "", Some(2 * MINUTE)),
            chat("a", "a2", "a1", Some(MINUTE)),
            chat("a", "a4", "zzz", Some(3 * MINUTE)), // not found: no parent
            chat("a", "a5", "b1", Some(4 * MINUTE)),  // other conversation
            chat("a", "", "", None),                  // undated: no parent
        ];
        let t = link(&messages);
        assert_eq!(t.parent, [None, None, Some(3), Some(0), None, None, None]);
        assert_eq!(t.link[2], Some(Link::Inferred));
        assert_eq!(t.link[3], Some(Link::Explicit));
        assert_eq!(t.conversation, [0, 1, 0, 0, 0, 0, 0]);
    }

    #[test]
    fn hardening_18_two_exports_of_one_whatsapp_chat_are_one_conversation() {
        let options = crate::ingest::Options::default();
        let first = "31/12/2023, 21:41 - Ana: one\n31/12/2023, 21:42 - Bo: two\n";
        let second = "31/12/2023, 21:42 - Bo: two\n31/12/2023, 21:50 - Ana: three\n";
        let (_, mut messages) =
            crate::ingest::read_bytes(first.as_bytes(), "WhatsApp Chat with Ana.txt", &options);
        let (_, later) =
            crate::ingest::read_bytes(second.as_bytes(), "WhatsApp Chat with Ana (1).txt", &options);
        messages.extend(later.into_iter().map(|m| Message { source: 1, ..m }));
        let table = crate::normalize::dedup(messages);
        assert_eq!((table.messages.len(), table.duplicates), (3, 1));
        let t = link(&table.messages);
        assert_eq!(t.conversation, [0, 0, 0]);
        assert_eq!(t.names, ["Ana"]);
        assert_eq!(t.parent, [None, Some(0), Some(1)]);
    }
}
