//! The whole parameter table: the engine's own rows ([`crate::spec::PARAMS`])
//! followed by each effect unit's rows in [`crate::units::UNITS`] order and
//! each source's rows. A parameter's id is its position in that sequence;
//! ids are stable within an ABI version.

use crate::sources::SourceKind;
use crate::sources::SOURCE_PARAMS;
use crate::spec::{ParamId, ParamSpec, PARAMS};
use crate::units::UNITS;

/// Who owns a parameter, with its row index inside the owner's table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Owner {
    /// The engine's own rows: strips, faders, sends, master.
    Core(ParamId),
    /// Row `index` of effect unit kind `kind` (1-based, as in insert slots).
    Unit {
        /// Unit kind.
        kind: u32,
        /// Row in the unit's table.
        index: usize,
    },
    /// Row `index` of a source's table.
    Source {
        /// Source kind.
        kind: SourceKind,
        /// Row in the source's table.
        index: usize,
    },
}

/// Number of parameters; ids are `0..count()`.
pub fn count() -> u32 {
    let units: usize = UNITS.iter().map(|u| u.params.len()).sum();
    let sources: usize = SOURCE_PARAMS.iter().map(|(_, p)| p.len()).sum();
    (PARAMS.len() + units + sources) as u32
}

/// The owner and row of parameter `id`.
pub fn lookup(id: u32) -> Option<(Owner, &'static ParamSpec)> {
    let mut i = id as usize;
    if let Some(pid) = ParamId::from_u32(id) {
        return Some((Owner::Core(pid), pid.spec()));
    }
    i -= PARAMS.len();
    for (k, u) in UNITS.iter().enumerate() {
        if i < u.params.len() {
            let owner = Owner::Unit {
                kind: k as u32 + 1,
                index: i,
            };
            return Some((owner, &u.params[i]));
        }
        i -= u.params.len();
    }
    for (kind, table) in SOURCE_PARAMS {
        if i < table.len() {
            let owner = Owner::Source {
                kind: *kind,
                index: i,
            };
            return Some((owner, &table[i]));
        }
        i -= table.len();
    }
    None
}

/// Row of parameter `id`.
pub fn spec(id: u32) -> Option<&'static ParamSpec> {
    lookup(id).map(|(_, s)| s)
}

/// Effect unit kind owning parameter `id` (0 if not a unit parameter).
pub fn unit_kind(id: u32) -> u32 {
    match lookup(id) {
        Some((Owner::Unit { kind, .. }, _)) => kind,
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_id_resolves_and_names_are_unique() {
        let n = count();
        let mut names = Vec::new();
        for id in 0..n {
            let s = spec(id).expect("id in range resolves");
            assert!(s.min < s.max, "{}", s.name);
            assert!(s.default >= s.min && s.default <= s.max, "{}", s.name);
            assert!(!s.doc.is_empty(), "{}", s.name);
            names.push(s.name);
        }
        assert!(spec(n).is_none());
        let mut sorted = names.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), names.len(), "parameter names must be unique");
    }
}
