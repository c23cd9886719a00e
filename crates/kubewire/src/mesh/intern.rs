//! Shared strings: namespaces, service accounts, node names and label
//! keys and values repeat across thousands of pods, so the index keeps each
//! once and refers to it by a 4-byte symbol.
//!
//! Counted, so that churn (a rollout's new `pod-template-hash` values)
//! does not grow the table without end: a string whose last user is gone
//! is dropped and its slot reused.

use alloc::collections::BTreeMap;
use alloc::sync::Arc;
use alloc::vec::Vec;

/// A string held by an [`Interner`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct Sym(u32);

#[derive(Debug, Default)]
pub(crate) struct Interner {
    // `Arc<str>`, not `Rc<str>`: the index must stay `Send` for hosts that
    // share it between threads. The map and the slot share one allocation.
    ids: BTreeMap<Arc<str>, Sym>,
    slots: Vec<Option<(Arc<str>, u32)>>,
    free: Vec<u32>,
}

impl Interner {
    /// The symbol for `s`, counting one more user.
    pub(crate) fn intern(&mut self, s: &str) -> Sym {
        if let Some(&sym) = self.ids.get(s) {
            if let Some(Some((_, refs))) = self.slots.get_mut(sym.0 as usize) {
                *refs += 1;
            }
            return sym;
        }
        let shared: Arc<str> = Arc::from(s);
        let sym = match self.free.pop() {
            Some(i) => {
                self.slots[i as usize] = Some((shared.clone(), 1));
                Sym(i)
            }
            None => {
                // More than 4 billion distinct strings cannot fit in memory
                // anyway; saturate rather than wrap onto a live symbol.
                let i = u32::try_from(self.slots.len()).unwrap_or(u32::MAX);
                self.slots.push(Some((shared.clone(), 1)));
                Sym(i)
            }
        };
        self.ids.insert(shared, sym);
        sym
    }

    /// The symbol of `s` if it is held, without counting a user.
    pub(crate) fn find(&self, s: &str) -> Option<Sym> {
        self.ids.get(s).copied()
    }

    /// One user less; the string goes when none is left.
    pub(crate) fn release(&mut self, sym: Sym) {
        let Some(slot) = self.slots.get_mut(sym.0 as usize) else {
            return;
        };
        let gone = match slot {
            Some((_, refs)) if *refs > 1 => {
                *refs -= 1;
                false
            }
            Some(_) => true,
            None => false,
        };
        if gone {
            if let Some((s, _)) = slot.take() {
                self.ids.remove(&s);
                self.free.push(sym.0);
            }
        }
    }

    /// The string of a symbol.
    pub(crate) fn get(&self, sym: Sym) -> &str {
        match self.slots.get(sym.0 as usize) {
            Some(Some((s, _))) => s,
            _ => "",
        }
    }

    /// How many distinct strings are held.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.ids.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_are_shared_counted_and_dropped_with_their_last_user() {
        let mut i = Interner::default();
        let a = i.intern("demo");
        let b = i.intern("demo");
        assert_eq!(a, b);
        assert_eq!(i.get(a), "demo");
        i.release(a);
        assert_eq!(i.find("demo"), Some(a), "one user left");
        i.release(b);
        assert_eq!(i.find("demo"), None);
        assert_eq!(i.len(), 0);
        let c = i.intern("other");
        assert_eq!(c, a, "the freed slot is reused");
        assert_eq!(i.get(c), "other");
    }
}
