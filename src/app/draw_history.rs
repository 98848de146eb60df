//! Draw's Undo and Redo: each drawing edit is a browser history entry (so Back undoes it), and
//! [`EditHistory`] tracks which of the entries around the current one are Draw's own edits, so
//! the page knows whether an Undo (Back) or a Redo (Forward) stays on Draw. Pure data: the
//! page reports the addresses it pushes and the ones it is moved to.

/// The Draw addresses before the current one that this page pushed (`past`, the newest last),
/// and those after it that Back or Undo left (`future`, the nearest last).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct EditHistory {
    past: Vec<String>,
    future: Vec<String>,
}

impl EditHistory {
    /// An edit pushed a new address on top of `from`: `from` can be undone to, nothing redone.
    pub fn pushed(&mut self, from: String) {
        self.past.push(from);
        self.future.clear();
    }

    /// The address changed from `from` to `to` without an edit: one step back or forward in
    /// Draw's own entries, or anything else (a link, a history jump), which forgets them.
    pub fn moved(&mut self, from: String, to: &str) {
        if self.past.last().is_some_and(|p| p == to) {
            self.past.pop();
            self.future.push(from);
        } else if self.future.last().is_some_and(|f| f == to) {
            self.future.pop();
            self.past.push(from);
        } else {
            *self = Self::default();
        }
    }

    /// Whether Back (Undo) goes to an earlier drawing of this page.
    pub fn can_undo(&self) -> bool {
        !self.past.is_empty()
    }

    /// Whether Forward (Redo) goes to a drawing that was undone.
    pub fn can_redo(&self) -> bool {
        !self.future.is_empty()
    }
}
