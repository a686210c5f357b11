//! Rendering allocates nothing: a counting global allocator sees zero
//! allocations on the rendering thread across thousands of quanta with
//! random parameter changes and resets, once the engine exists.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicUsize, Ordering};

use dawg_dsp::engine::{Config, Engine};
use dawg_dsp::spec::PARAMS;

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

struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn unit(&mut self) -> f32 {
        (self.next() >> 40) as f32 / (1u64 << 24) as f32
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
    let mut rng = XorShift(0x9e37_79b9_7f4a_7c15);
    ARMED.with(|a| a.set(true));
    for i in 0..10_000u32 {
        for _ in 0..3 {
            let id = (rng.next() % PARAMS.len() as u64) as u32;
            let p = &PARAMS[id as usize];
            let target = match p.scope {
                dawg_dsp::spec::Scope::Track => (rng.next() % tracks as u64) as u32,
                dawg_dsp::spec::Scope::Master => 0,
            };
            let value = p.min - 5.0 + rng.unit() * (p.max - p.min + 10.0);
            let _ = engine.set_param(target, id, value);
        }
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
