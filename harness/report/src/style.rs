//! Terminal colours (`console`'s styles) when the caller asks for them (a TTY without NO_COLOR), plain text
//! otherwise, and the display width of styled text.

use console::Style;
use netreach_core::verdict::Verdict;

/// Whether to colour; the CLI decides, renderers only obey.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Palette {
    pub colour: bool,
}

impl Palette {
    pub const PLAIN: Palette = Palette { colour: false };

    fn paint(self, style: Style, text: &str) -> String {
        if self.colour && !text.is_empty() {
            style.force_styling(true).apply_to(text).to_string()
        } else {
            text.to_owned()
        }
    }

    pub fn red(self, text: &str) -> String {
        self.paint(Style::new().red().bold(), text)
    }

    pub fn green(self, text: &str) -> String {
        self.paint(Style::new().green(), text)
    }

    pub fn yellow(self, text: &str) -> String {
        self.paint(Style::new().yellow(), text)
    }

    pub fn magenta(self, text: &str) -> String {
        self.paint(Style::new().magenta().bold(), text)
    }

    pub fn cyan(self, text: &str) -> String {
        self.paint(Style::new().cyan(), text)
    }

    pub fn dim(self, text: &str) -> String {
        self.paint(Style::new().dim(), text)
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
    console::measure_text_width(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_palette_adds_nothing_and_width_ignores_escapes() {
        assert_eq!(Palette::PLAIN.red("X"), "X");
        let red = Palette { colour: true }.red("\u{2717} ./X");
        assert!(red.starts_with('\u{1b}') && red.contains("31"));
        assert_eq!(visible_width(&red), 5);
    }
}
