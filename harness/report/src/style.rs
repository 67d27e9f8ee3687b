//! Terminal colours: ANSI escapes when the caller asks for them (a TTY without NO_COLOR), plain text otherwise.

use netreach_core::verdict::Verdict;

/// Whether to colour; the CLI decides, renderers only obey.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Palette {
    pub colour: bool,
}

impl Palette {
    pub const PLAIN: Palette = Palette { colour: false };

    fn paint(self, code: &str, text: &str) -> String {
        if self.colour && !text.is_empty() {
            format!("\u{1b}[{code}m{text}\u{1b}[0m")
        } else {
            text.to_owned()
        }
    }

    pub fn red(self, text: &str) -> String {
        self.paint("1;31", text)
    }

    pub fn green(self, text: &str) -> String {
        self.paint("32", text)
    }

    pub fn yellow(self, text: &str) -> String {
        self.paint("33", text)
    }

    pub fn magenta(self, text: &str) -> String {
        self.paint("1;35", text)
    }

    pub fn cyan(self, text: &str) -> String {
        self.paint("36", text)
    }

    pub fn dim(self, text: &str) -> String {
        self.paint("2", text)
    }

    /// Red for a failure, yellow known, cyan implementation-defined, magenta error, dim skipped; a pass as is.
    pub fn verdict(self, verdict: &Verdict, text: &str) -> String {
        match verdict {
            Verdict::Pass => text.to_owned(),
            Verdict::Fail => self.red(text),
            Verdict::Known { .. } => self.yellow(text),
            Verdict::ImplementationDefined => self.cyan(text),
            Verdict::Error => self.magenta(text),
            Verdict::Skipped => self.dim(text),
        }
    }
}

/// Width of `text` on a terminal, ANSI escapes excluded.
pub(crate) fn visible_width(text: &str) -> usize {
    let mut width = 0;
    let mut in_escape = false;
    for c in text.chars() {
        match (in_escape, c) {
            (false, '\u{1b}') => in_escape = true,
            (true, 'm') => in_escape = false,
            (true, _) => {}
            (false, _) => width += 1,
        }
    }
    width
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_palette_adds_nothing_and_width_ignores_escapes() {
        assert_eq!(Palette::PLAIN.red("X"), "X");
        let red = Palette { colour: true }.red("\u{2717} ./X");
        assert!(red.starts_with("\u{1b}[1;31m"));
        assert_eq!(visible_width(&red), 5);
    }
}
