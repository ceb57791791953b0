//! Subject normalization for joining threads (METRICS.md section 2).

/// Reply and forward prefixes in the languages mail clients write them.
const PREFIXES: [&str; 9] = ["re", "fw", "fwd", "aw", "wg", "sv", "vs", "antw", "tr"];

/// Strips, repeatedly, leading white space, `[list tags]` and reply
/// prefixes (`Re:`, `AW[2]:`, `RE :`), then collapses white space and
/// lower-cases. The subject is already RFC 2047-decoded.
pub fn normalize(subject: &str) -> String {
    let mut rest = subject;
    loop {
        rest = rest.trim_start();
        if let Some(tagged) = rest.strip_prefix('[')
            && let Some(close) = tagged.find(']')
        {
            rest = &tagged[close + 1..];
        } else if let Some(after) = strip_reply_prefix(rest) {
            rest = after;
        } else {
            break;
        }
    }
    let mut out = String::with_capacity(rest.len());
    for word in rest.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        if word.is_ascii() {
            out.extend(word.bytes().map(|b| char::from(b.to_ascii_lowercase())));
        } else {
            out.extend(word.chars().flat_map(char::to_lowercase));
        }
    }
    out
}

/// `re`, then an optional `[n]` or `(n)` counter, optional spaces, `:`.
fn strip_reply_prefix(text: &str) -> Option<&str> {
    let word_len = text
        .find(|c: char| !c.is_ascii_alphabetic())
        .unwrap_or(text.len());
    let word = &text[..word_len];
    if !PREFIXES.iter().any(|p| p.eq_ignore_ascii_case(word)) {
        return None;
    }
    let mut rest = &text[word_len..];
    for (open, close) in [('[', ']'), ('(', ')')] {
        if let Some(counter) = rest.strip_prefix(open)
            && let Some(end) = counter.find(close)
            && end > 0
            && counter[..end].bytes().all(|b| b.is_ascii_digit())
        {
            rest = &counter[end + 1..];
            break;
        }
    }
    rest.trim_start().strip_prefix(':')
}

#[cfg(test)]
mod tests {
    use super::normalize;

    #[test]
    fn strips_prefixes_tags_and_counters() {
        for variant in [
            "Budget Q1",
            "Re: Budget Q1",
            "RE: re: Budget Q1",
            "AW: Budget Q1",
            "Fwd: WG: SV: VS: Antw: TR: FW: Budget Q1",
            "Re[2]: Budget Q1",
            "RE(3): Budget  Q1",
            "RE : Budget Q1",
            "[team] Re: [team] budget q1",
            "  Re:\tBudget\n Q1  ",
        ] {
            assert_eq!(normalize(variant), "budget q1", "{variant:?}");
        }
    }

    #[test]
    fn keeps_what_is_not_a_prefix() {
        assert_eq!(normalize("Ref: Budget"), "ref: budget");
        assert_eq!(normalize("Reply: Budget"), "reply: budget");
        assert_eq!(normalize("Budget Re:"), "budget re:");
        assert_eq!(normalize("Re[x]: Budget"), "re[x]: budget");
        assert_eq!(normalize("Büdget"), "büdget");
    }

    #[test]
    fn empty_after_stripping() {
        for empty in ["", "Re:", "[list]", "  Re: [list] Fwd:  "] {
            assert_eq!(normalize(empty), "", "{empty:?}");
        }
    }
}
