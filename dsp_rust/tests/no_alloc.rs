//! Rendering allocates nothing: a counting global allocator sees zero
//! allocations on the rendering thread across thousands of quanta with
//! random parameter changes, random events (notes, ramps) and resets, once
//! the engine, its tracks, sources, inserts and buses exist.
#![deny(unsafe_op_in_unsafe_fn)]

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicUsize, Ordering};

use dawg_dsp::engine::{target, Config, Engine, TARGET_BUS, TARGET_MASTER, TARGET_TRACK};
use dawg_dsp::events::{EventRecord, EVENT_NOTE_OFF, EVENT_NOTE_ON, EVENT_PARAM_RAMP};
use dawg_dsp::params::{self, Owner};
use dawg_dsp::sources::SourceKind;
use dawg_dsp::spec::{ParamId, Scope};
use dawg_dsp::units::UNITS;

use common::Rng;

struct Counting;

static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

thread_local! {
    static ARMED: Cell<bool> = const { Cell::new(false) };
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if ARMED.with(|a| a.get()) {
            ALLOCATIONS.fetch_add(1, Ordering::SeqCst);
        }
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if ARMED.with(|a| a.get()) {
            ALLOCATIONS.fetch_add(1, Ordering::SeqCst);
        }
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if ARMED.with(|a| a.get()) {
            ALLOCATIONS.fetch_add(1, Ordering::SeqCst);
        }
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn random_target(rng: &mut Rng, id: u32, tracks: u32) -> u32 {
    let (owner, spec) = params::lookup(id).unwrap();
    let t = (rng.next() % tracks as u64) as u32;
    match owner {
        Owner::Unit { kind, .. } => {
            // Track t holds unit kind `1 + t % units` in insert slot 1.
            let units = UNITS.len() as u32;
            let t = (kind - 1) + units * (t / units.max(1));
            target(TARGET_TRACK, t.min(tracks - 1), 1)
        }
        Owner::Source { .. } => target(TARGET_TRACK, t, 0),
        Owner::Core(_) => match spec.scope {
            Scope::Master => 0,
            Scope::Channel if rng.next() % 4 == 0 => target(TARGET_BUS, t % 2, 0),
            _ => target(TARGET_TRACK, t, 0),
        },
    }
}

#[test]
fn rendering_allocates_nothing() {
    let tracks = 16;
    let mut engine = Engine::new(Config {
        sample_rate_hz: 48000.0,
        tracks,
        quantum_frames: 128,
        max_quanta: 4,
    })
    .unwrap();
    // Configure everything first (this allocates): every source kind, every
    // unit kind in an insert, two buses fed by sends.
    let sources = SourceKind::ALL.len() as u32;
    for (frames, channels) in [(4800usize, 1usize), (9000, 2)] {
        let id = engine.add_sample(frames, channels, 44100.0).unwrap();
        for (i, v) in engine.sample_data_mut(id).unwrap().iter_mut().enumerate() {
            *v = ((i % 97) as f32 / 48.0 - 1.0) * 0.5;
        }
        assert!(engine.commit_sample(id));
    }
    for t in 0..tracks {
        engine.input_mut(t as usize).unwrap();
        engine.set_source(t as usize, t % sources).unwrap();
        if !UNITS.is_empty() {
            let kind = 1 + t % UNITS.len() as u32;
            engine
                .set_insert(target(TARGET_TRACK, t, 0), 1, kind)
                .unwrap();
        }
        engine
            .set_param(target(TARGET_TRACK, t, 0), ParamId::Send1Db as u32, -6.0)
            .unwrap();
        engine
            .set_param(target(TARGET_TRACK, t, 0), ParamId::Send2Db as u32, -6.0)
            .unwrap();
    }
    for b in 0..2 {
        engine
            .set_param(target(TARGET_BUS, b, 0), ParamId::GainDb as u32, -3.0)
            .unwrap();
    }
    for (b, kind) in (1..=UNITS.len() as u32).enumerate().take(2) {
        engine
            .set_insert(target(TARGET_BUS, b as u32, 0), 1, kind)
            .unwrap();
    }
    if let Some(kind) = (1..=UNITS.len() as u32).last() {
        engine
            .set_insert(target(TARGET_MASTER, 0, 0), 1, kind)
            .unwrap();
    }
    let count = params::count();
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    ARMED.with(|a| a.set(true));
    for i in 0..10_000u32 {
        for _ in 0..3 {
            let id = (rng.next() % count as u64) as u32;
            let p = params::spec(id).unwrap();
            let target = random_target(&mut rng, id, tracks);
            let value = p.min - 5.0 + rng.unit() * (p.max - p.min + 10.0);
            let _ = engine.set_param(target, id, value);
        }
        let staged = 1 + (rng.next() % 8) as usize;
        for e in engine.event_staging_mut()[..staged].iter_mut() {
            let t = (rng.next() % tracks as u64) as u32;
            *e = EventRecord {
                offset_frames: (rng.next() % 600) as u32,
                kind: [EVENT_NOTE_ON, EVENT_NOTE_OFF, EVENT_PARAM_RAMP][(rng.next() % 3) as usize],
                target: target(TARGET_TRACK, t, 0),
                id: if rng.next() % 2 == 0 {
                    36 + (rng.next() % 60) as u32
                } else {
                    ParamId::GainDb as u32
                },
                value: rng.unit(),
                aux: rng.unit() * 50.0,
                reserved: [0; 2],
            };
        }
        let _ = engine.push_events(staged);
        let t = (rng.next() % tracks as u64) as usize;
        for v in engine.input_mut(t).unwrap().iter_mut() {
            *v = rng.unit() * 2.0 - 1.0;
        }
        engine.process(1 + i % 4).unwrap();
        if i % 997 == 0 {
            engine.reset();
        }
    }
    ARMED.with(|a| a.set(false));
    assert_eq!(ALLOCATIONS.load(Ordering::SeqCst), 0);
    assert!(engine.output().iter().all(|v| v.is_finite()));
}
