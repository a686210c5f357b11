//! The C ABI: the only `extern "C"` exports and the only `unsafe` code.
//!
//! Every function takes and returns plain integers, floats and pointers
//! (32-bit offsets into linear memory under wasm32), never panics on bad
//! arguments, and reports problems through the `DAWG_*` status codes below
//! (text for each through [`dawg_status_text`]).
//!
//! Engines are addressed by handles (small positive integers), not raw
//! pointers, so a stale or garbage handle is an error code rather than a
//! crash. One engine is meant to be used from one thread at a time; a call
//! that overlaps another call on the same engine returns `DAWG_ERR_BUSY`
//! instead of touching it.
//!
//! Lifecycle: [`dawg_engine_new`] → configure: [`dawg_track_source`],
//! [`dawg_insert_set`], [`dawg_sample_add`], first [`dawg_set_param`] on a
//! track or bus, [`dawg_input_ptr`] (these create tracks and buses on first
//! use and may allocate, so wasm memory may grow: re-create views of linear
//! memory after them) → map [`dawg_output_ptr`], [`dawg_meters_ptr`],
//! [`dawg_events_ptr`] → render: [`dawg_set_param`] on existing targets,
//! [`dawg_events_push`], [`dawg_process`], [`dawg_reset`],
//! [`dawg_input_silent`] (these never allocate) → [`dawg_engine_free`].
//!
//! Targets: `slot << 16 | kind << 12 | index`, kind 0 track, 1 bus,
//! 2 master; slot 0 is the channel, slots 1..=8 its inserts. Parameters of
//! master scope take target 0.
#![allow(unsafe_code)]

use core::ptr;
use core::sync::atomic::{AtomicBool, AtomicPtr, Ordering};

use crate::engine::{self, Config, ConfigError, Engine, ParamError, ProcessError};
use crate::events::{EventError, EventRecord, EVENTS_QUEUE_MAX, EVENTS_STAGING_MAX};
use crate::params;
use crate::sources::bank::{BankError, MAX_SAMPLES};
use crate::sources::SourceKind;
use crate::spec::ParamSpec;
use crate::units::UNITS;

/// ABI version; bumped on any change to exports, their meaning, or parameter ids.
pub const ABI_VERSION: u32 = 3;

/// Success.
pub const DAWG_OK: i32 = 0;
/// The value was out of range and was clamped into it before use.
pub const DAWG_CLAMPED: i32 = 1;
/// No engine has this handle.
pub const DAWG_ERR_BAD_HANDLE: i32 = -1;
/// Sample rate not finite or outside the supported range.
pub const DAWG_ERR_SAMPLE_RATE: i32 = -2;
/// Track count zero or above the limit.
pub const DAWG_ERR_TRACKS: i32 = -3;
/// Render quantum outside the supported range.
pub const DAWG_ERR_QUANTUM: i32 = -4;
/// Quanta per call zero, above the limit, or buffers too large.
pub const DAWG_ERR_QUANTA: i32 = -5;
/// No parameter has this id.
pub const DAWG_ERR_UNKNOWN_PARAM: i32 = -6;
/// The target (track index, or 0 for master) does not exist.
pub const DAWG_ERR_BAD_TARGET: i32 = -7;
/// The value is NaN or infinite; the previous value is kept.
pub const DAWG_ERR_NOT_FINITE: i32 = -8;
/// More quanta requested than the engine was created for; nothing rendered.
pub const DAWG_ERR_TOO_MANY_QUANTA: i32 = -9;
/// Every engine handle is in use.
pub const DAWG_ERR_NO_FREE_HANDLE: i32 = -10;
/// Not enough memory for the engine's buffers; nothing was created.
pub const DAWG_ERR_NO_MEMORY: i32 = -11;
/// Another thread is inside a call on this engine; nothing was done.
pub const DAWG_ERR_BUSY: i32 = -12;

const STATUS_TEXT: &[(i32, &str)] = &[
    (DAWG_OK, "ok"),
    (
        DAWG_CLAMPED,
        "value out of range; clamped into the parameter's range",
    ),
    (DAWG_ERR_BAD_HANDLE, "no engine has this handle"),
    (
        DAWG_ERR_SAMPLE_RATE,
        "sample rate must be finite and within the supported range",
    ),
    (
        DAWG_ERR_TRACKS,
        "track count must be between 1 and the track limit",
    ),
    (
        DAWG_ERR_QUANTUM,
        "render quantum must be within the supported range of frames",
    ),
    (
        DAWG_ERR_QUANTA,
        "quanta per call must be at least 1 and within the limit and buffer budget",
    ),
    (DAWG_ERR_UNKNOWN_PARAM, "no parameter has this id"),
    (
        DAWG_ERR_BAD_TARGET,
        "no such target: track index out of range, or master target not 0",
    ),
    (
        DAWG_ERR_NOT_FINITE,
        "value is NaN or infinite; the previous value is kept",
    ),
    (
        DAWG_ERR_TOO_MANY_QUANTA,
        "more quanta than the engine's maximum per call; nothing rendered",
    ),
    (
        DAWG_ERR_NO_FREE_HANDLE,
        "every engine handle is in use; free one first",
    ),
    (
        DAWG_ERR_NO_MEMORY,
        "not enough memory for the engine's buffers; use fewer tracks or quanta per call",
    ),
    (
        DAWG_ERR_BUSY,
        "another thread is using this engine; use one engine from one thread at a time",
    ),
    (
        DAWG_ERR_UNKNOWN_KIND,
        "no effect unit or source has this kind number",
    ),
    (
        DAWG_ERR_EVENTS_FULL,
        "the event queue is full; push fewer events per call or render first",
    ),
    (
        DAWG_ERR_BAD_EVENT,
        "malformed event (kind, note or value) or its target does not exist or cannot take it",
    ),
    (
        DAWG_ERR_BAD_SAMPLE,
        "bad sample: 1 or 2 channels, 1 to the frame limit, within the bank's size and count",
    ),
];

/// No effect unit or source has this kind number.
pub const DAWG_ERR_UNKNOWN_KIND: i32 = -13;
/// The event queue or staging area cannot take that many events.
pub const DAWG_ERR_EVENTS_FULL: i32 = -14;
/// An event is malformed or addresses a target that cannot take it.
pub const DAWG_ERR_BAD_EVENT: i32 = -15;
/// A sample cannot be added or addressed (bad size, channels or id).
pub const DAWG_ERR_BAD_SAMPLE: i32 = -16;

/// Engines that may exist at once in one module instance.
pub const MAX_ENGINES: usize = 64;

/// One engine slot: the engine (null when free) and a busy flag held for the
/// duration of every call that touches it, so two threads can never reach
/// the same engine at once: the second gets `DAWG_ERR_BUSY`.
struct Slot {
    engine: AtomicPtr<Engine>,
    busy: AtomicBool,
}

#[allow(clippy::declare_interior_mutable_const)]
const EMPTY_SLOT: Slot = Slot {
    engine: AtomicPtr::new(ptr::null_mut()),
    busy: AtomicBool::new(false),
};
static SLOTS: [Slot; MAX_ENGINES] = [EMPTY_SLOT; MAX_ENGINES];

fn slot(handle: i32) -> Option<&'static Slot> {
    if handle < 1 {
        return None;
    }
    SLOTS.get(handle as usize - 1)
}

/// Holds a slot's busy flag; releases it when dropped.
struct SlotGuard(&'static Slot);

impl SlotGuard {
    fn acquire(handle: i32) -> Result<SlotGuard, i32> {
        let s = slot(handle).ok_or(DAWG_ERR_BAD_HANDLE)?;
        if s.busy
            .compare_exchange(false, true, Ordering::Acquire, Ordering::Relaxed)
            .is_err()
        {
            return Err(DAWG_ERR_BUSY);
        }
        Ok(SlotGuard(s))
    }
}

impl Drop for SlotGuard {
    fn drop(&mut self) {
        self.0.busy.store(false, Ordering::Release);
    }
}

fn with_engine<R>(handle: i32, f: impl FnOnce(&mut Engine) -> R) -> Result<R, i32> {
    let guard = SlotGuard::acquire(handle)?;
    let p = guard.0.engine.load(Ordering::Acquire);
    if p.is_null() {
        return Err(DAWG_ERR_BAD_HANDLE);
    }
    // SAFETY: non-null slot pointers come from `Box::into_raw` in
    // `dawg_engine_new` and are only freed by `dawg_engine_free`, which must
    // hold this slot's busy flag to do so. We hold that flag, so the engine
    // is alive and no other reference to it exists until the guard drops.
    let engine = unsafe { &mut *p };
    Ok(f(engine))
}

fn config_status(e: ConfigError) -> i32 {
    match e {
        ConfigError::SampleRate => DAWG_ERR_SAMPLE_RATE,
        ConfigError::Tracks => DAWG_ERR_TRACKS,
        ConfigError::Quantum => DAWG_ERR_QUANTUM,
        ConfigError::Quanta => DAWG_ERR_QUANTA,
        ConfigError::OutOfMemory => DAWG_ERR_NO_MEMORY,
    }
}

fn param_status(e: ParamError) -> i32 {
    match e {
        ParamError::UnknownParam => DAWG_ERR_UNKNOWN_PARAM,
        ParamError::BadTarget => DAWG_ERR_BAD_TARGET,
        ParamError::NotFinite => DAWG_ERR_NOT_FINITE,
        ParamError::UnknownKind => DAWG_ERR_UNKNOWN_KIND,
        ParamError::OutOfMemory => DAWG_ERR_NO_MEMORY,
    }
}

/// The ABI version this module implements.
#[no_mangle]
pub extern "C" fn dawg_abi_version() -> u32 {
    ABI_VERSION
}

fn status_text(code: i32) -> &'static str {
    STATUS_TEXT
        .iter()
        .find(|(c, _)| *c == code)
        .map(|(_, t)| *t)
        .unwrap_or("unknown status code")
}

/// UTF-8 text describing status `code` (see [`dawg_status_text_len`]).
#[no_mangle]
pub extern "C" fn dawg_status_text(code: i32) -> *const u8 {
    status_text(code).as_ptr()
}

/// Length in bytes of [`dawg_status_text`].
#[no_mangle]
pub extern "C" fn dawg_status_text_len(code: i32) -> u32 {
    status_text(code).len() as u32
}

// ---- parameter table -------------------------------------------------------

/// Number of rows in the parameter table; ids are `0..count`.
#[no_mangle]
pub extern "C" fn dawg_param_count() -> u32 {
    params::count()
}

fn param_str(id: u32, field: fn(&ParamSpec) -> &'static str) -> &'static str {
    params::spec(id).map(field).unwrap_or("")
}

fn param_f32(id: u32, field: fn(&ParamSpec) -> f32) -> f32 {
    params::spec(id).map(field).unwrap_or(f32::NAN)
}

/// UTF-8 name of parameter `id` (empty for an unknown id).
#[no_mangle]
pub extern "C" fn dawg_param_name(id: u32) -> *const u8 {
    param_str(id, |p| p.name).as_ptr()
}

/// Length in bytes of [`dawg_param_name`].
#[no_mangle]
pub extern "C" fn dawg_param_name_len(id: u32) -> u32 {
    param_str(id, |p| p.name).len() as u32
}

/// UTF-8 unit symbol of parameter `id`.
#[no_mangle]
pub extern "C" fn dawg_param_unit(id: u32) -> *const u8 {
    param_str(id, |p| p.unit).as_ptr()
}

/// Length in bytes of [`dawg_param_unit`].
#[no_mangle]
pub extern "C" fn dawg_param_unit_len(id: u32) -> u32 {
    param_str(id, |p| p.unit).len() as u32
}

/// UTF-8 one-sentence description of parameter `id`.
#[no_mangle]
pub extern "C" fn dawg_param_doc(id: u32) -> *const u8 {
    param_str(id, |p| p.doc).as_ptr()
}

/// Length in bytes of [`dawg_param_doc`].
#[no_mangle]
pub extern "C" fn dawg_param_doc_len(id: u32) -> u32 {
    param_str(id, |p| p.doc).len() as u32
}

/// Scope of parameter `id`: 0 track, 1 master, 2 channel (track or bus),
/// 3 insert, 4 synth, 5 sampler; `u32::MAX` for an unknown id.
#[no_mangle]
pub extern "C" fn dawg_param_scope(id: u32) -> u32 {
    params::spec(id).map(|p| p.scope as u32).unwrap_or(u32::MAX)
}

/// Effect unit kind owning parameter `id` (0 if it is not a unit parameter).
#[no_mangle]
pub extern "C" fn dawg_param_unit_kind(id: u32) -> u32 {
    params::unit_kind(id)
}

/// Flags of parameter `id` (bit 0: stepped), `u32::MAX` for an unknown id.
#[no_mangle]
pub extern "C" fn dawg_param_flags(id: u32) -> u32 {
    params::spec(id).map(|p| p.flags).unwrap_or(u32::MAX)
}

fn param_group(id: u32) -> &'static str {
    match params::lookup(id) {
        Some((params::Owner::Core(pid), _)) => pid.group(),
        Some((params::Owner::Unit { kind, .. }, _)) => unit_name(kind),
        Some((params::Owner::Source { kind, .. }, _)) => kind.name(),
        None => "",
    }
}

/// UTF-8 name of the group of parameter `id`: for the engine's own rows
/// the group of `spec::GROUPS` holding it, for a unit's or source's rows
/// the unit's or source's name; empty for an unknown id.
#[no_mangle]
pub extern "C" fn dawg_param_group(id: u32) -> *const u8 {
    param_group(id).as_ptr()
}

/// Length in bytes of [`dawg_param_group`].
#[no_mangle]
pub extern "C" fn dawg_param_group_len(id: u32) -> u32 {
    param_group(id).len() as u32
}

/// The target that addresses insert `slot` (0: the channel itself) of
/// channel `index` of target kind `kind` (0 track, 1 bus, 2 master), as
/// [`dawg_set_param`] and events take it. Hosts read the bit layout from it.
#[no_mangle]
pub extern "C" fn dawg_target(kind: u32, index: u32, slot: u32) -> u32 {
    engine::target(kind, index, slot)
}

// ---- units and sources -----------------------------------------------------

/// Number of effect unit kinds; kinds are `1..=count` (0 is an empty slot).
#[no_mangle]
pub extern "C" fn dawg_unit_count() -> u32 {
    UNITS.len() as u32
}

fn unit_name(kind: u32) -> &'static str {
    crate::units::unit_info(kind).map(|u| u.name).unwrap_or("")
}

/// UTF-8 name of effect unit `kind` (empty if unknown).
#[no_mangle]
pub extern "C" fn dawg_unit_name(kind: u32) -> *const u8 {
    unit_name(kind).as_ptr()
}

/// Length in bytes of [`dawg_unit_name`].
#[no_mangle]
pub extern "C" fn dawg_unit_name_len(kind: u32) -> u32 {
    unit_name(kind).len() as u32
}

/// Number of source kinds; kinds are `0..count`.
#[no_mangle]
pub extern "C" fn dawg_source_count() -> u32 {
    SourceKind::ALL.len() as u32
}

fn source_name(kind: u32) -> &'static str {
    SourceKind::from_u32(kind).map(|k| k.name()).unwrap_or("")
}

/// UTF-8 name of source `kind` (empty if unknown).
#[no_mangle]
pub extern "C" fn dawg_source_name(kind: u32) -> *const u8 {
    source_name(kind).as_ptr()
}

/// Length in bytes of [`dawg_source_name`].
#[no_mangle]
pub extern "C" fn dawg_source_name_len(kind: u32) -> u32 {
    source_name(kind).len() as u32
}

/// Minimum of parameter `id` (NaN for an unknown id).
#[no_mangle]
pub extern "C" fn dawg_param_min(id: u32) -> f32 {
    param_f32(id, |p| p.min)
}

/// Maximum of parameter `id` (NaN for an unknown id).
#[no_mangle]
pub extern "C" fn dawg_param_max(id: u32) -> f32 {
    param_f32(id, |p| p.max)
}

/// Default of parameter `id` (NaN for an unknown id).
#[no_mangle]
pub extern "C" fn dawg_param_default(id: u32) -> f32 {
    param_f32(id, |p| p.default)
}

/// Smoothing time of parameter `id` in ms (NaN for an unknown id).
#[no_mangle]
pub extern "C" fn dawg_param_smoothing_ms(id: u32) -> f32 {
    param_f32(id, |p| p.smoothing_ms)
}

// ---- limits ----------------------------------------------------------------

/// Lowest accepted sample rate, Hz.
#[no_mangle]
pub extern "C" fn dawg_limit_sample_rate_min_hz() -> f32 {
    engine::SAMPLE_RATE_MIN_HZ
}

/// Highest accepted sample rate, Hz.
#[no_mangle]
pub extern "C" fn dawg_limit_sample_rate_max_hz() -> f32 {
    engine::SAMPLE_RATE_MAX_HZ
}

/// Most tracks per engine.
#[no_mangle]
pub extern "C" fn dawg_limit_tracks_max() -> u32 {
    engine::TRACKS_MAX
}

/// Smallest render quantum, frames.
#[no_mangle]
pub extern "C" fn dawg_limit_quantum_min_frames() -> u32 {
    engine::QUANTUM_MIN_FRAMES
}

/// Largest render quantum, frames.
#[no_mangle]
pub extern "C" fn dawg_limit_quantum_max_frames() -> u32 {
    engine::QUANTUM_MAX_FRAMES
}

/// Most quanta per process call.
#[no_mangle]
pub extern "C" fn dawg_limit_quanta_per_call_max() -> u32 {
    engine::QUANTA_PER_CALL_MAX
}

/// Buses per engine.
#[no_mangle]
pub extern "C" fn dawg_limit_buses_max() -> u32 {
    engine::BUSES_MAX as u32
}

/// Insert slots per channel.
#[no_mangle]
pub extern "C" fn dawg_limit_inserts_max() -> u32 {
    engine::INSERTS_MAX as u32
}

/// Events one [`dawg_events_push`] can commit.
#[no_mangle]
pub extern "C" fn dawg_limit_events_per_push_max() -> u32 {
    EVENTS_STAGING_MAX as u32
}

/// Events the queue holds at once.
#[no_mangle]
pub extern "C" fn dawg_limit_events_queued_max() -> u32 {
    EVENTS_QUEUE_MAX as u32
}

/// Floats per channel in the meter area.
#[no_mangle]
pub extern "C" fn dawg_limit_meter_stride() -> u32 {
    engine::METER_STRIDE as u32
}

/// Samples one engine's bank holds.
#[no_mangle]
pub extern "C" fn dawg_limit_samples_max() -> u32 {
    MAX_SAMPLES as u32
}

/// Auto-bypass threshold (linear amplitude).
#[no_mangle]
pub extern "C" fn dawg_limit_quiet() -> f32 {
    engine::QUIET
}

// ---- engines ---------------------------------------------------------------

fn config(sample_rate_hz: f32, tracks: u32, quantum_frames: u32, max_quanta: u32) -> Config {
    Config {
        sample_rate_hz,
        tracks,
        quantum_frames,
        max_quanta,
    }
}

/// Check an engine configuration without creating anything: `DAWG_OK` or
/// the status [`dawg_engine_new`] would return.
#[no_mangle]
pub extern "C" fn dawg_config_check(
    sample_rate_hz: f32,
    tracks: u32,
    quantum_frames: u32,
    max_quanta: u32,
) -> i32 {
    match config(sample_rate_hz, tracks, quantum_frames, max_quanta).validate() {
        Ok(()) => DAWG_OK,
        Err(e) => config_status(e),
    }
}

/// Create an engine. Returns its handle (≥ 1) or a negative status.
#[no_mangle]
pub extern "C" fn dawg_engine_new(
    sample_rate_hz: f32,
    tracks: u32,
    quantum_frames: u32,
    max_quanta: u32,
) -> i32 {
    let cfg = config(sample_rate_hz, tracks, quantum_frames, max_quanta);
    if let Err(e) = cfg.validate() {
        return config_status(e);
    }
    if SLOTS
        .iter()
        .all(|s| !s.engine.load(Ordering::Acquire).is_null())
    {
        return DAWG_ERR_NO_FREE_HANDLE;
    }
    let engine = match Engine::new(cfg) {
        Ok(e) => e,
        Err(e) => return config_status(e),
    };
    let p = Box::into_raw(Box::new(engine));
    for (i, s) in SLOTS.iter().enumerate() {
        if s.engine
            .compare_exchange(ptr::null_mut(), p, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
        {
            return i as i32 + 1;
        }
    }
    // SAFETY: `p` came from `Box::into_raw` above and was never published.
    drop(unsafe { Box::from_raw(p) });
    DAWG_ERR_NO_FREE_HANDLE
}

/// Destroy an engine and release its memory.
#[no_mangle]
pub extern "C" fn dawg_engine_free(handle: i32) -> i32 {
    let guard = match SlotGuard::acquire(handle) {
        Ok(g) => g,
        Err(code) => return code,
    };
    let p = guard.0.engine.swap(ptr::null_mut(), Ordering::AcqRel);
    drop(guard);
    if p.is_null() {
        return DAWG_ERR_BAD_HANDLE;
    }
    // SAFETY: `p` came from `Box::into_raw` in `dawg_engine_new`; the swap,
    // made while holding the slot's busy flag, removed the only published
    // copy, so no call can reach this engine any more.
    drop(unsafe { Box::from_raw(p) });
    DAWG_OK
}

/// Frames per channel of every input and of the output (0 for a bad handle).
#[no_mangle]
pub extern "C" fn dawg_capacity_frames(handle: i32) -> u32 {
    with_engine(handle, |e| e.capacity_frames() as u32).unwrap_or(0)
}

/// Planar stereo input buffer of `track`, created with the track on first
/// use (null for a bad handle or track, or out of memory).
#[no_mangle]
pub extern "C" fn dawg_input_ptr(handle: i32, track: u32) -> *mut f32 {
    with_engine(handle, |e| {
        e.input_mut(track as usize)
            .map(|b| b.as_mut_ptr())
            .unwrap_or(ptr::null_mut())
    })
    .unwrap_or(ptr::null_mut())
}

/// Declare `track`'s input silent (`silent` ≠ 0) or fed (0): a silent
/// input is silence whatever its buffer holds, and is neither read nor
/// scanned, so an asleep track waiting on it costs next to nothing. A host
/// declares an input silent once when its source disconnects (instead of
/// writing zeros every quantum) and fed again before writing sound into it.
/// Tracks start fed; [`dawg_reset`] keeps the declaration. Never allocates:
/// `DAWG_ERR_BAD_TARGET` for a track not created yet.
#[no_mangle]
pub extern "C" fn dawg_input_silent(handle: i32, track: u32, silent: u32) -> i32 {
    unit_status(with_engine(handle, |e| {
        e.set_input_silent(track as usize, silent != 0)
    }))
}

/// Planar stereo master output buffer (null for a bad handle).
#[no_mangle]
pub extern "C" fn dawg_output_ptr(handle: i32) -> *mut f32 {
    with_engine(handle, |e| e.output_mut().as_mut_ptr()).unwrap_or(ptr::null_mut())
}

/// Set parameter `id` of `target` (see the module docs; 0 for a master
/// parameter). Creates the addressed track or bus on first use.
/// `DAWG_OK`, `DAWG_CLAMPED` (applied after clamping), or an error status.
#[no_mangle]
pub extern "C" fn dawg_set_param(handle: i32, target: u32, id: u32, value: f32) -> i32 {
    match with_engine(handle, |e| e.set_param(target, id, value)) {
        Err(code) => code,
        Ok(Ok(false)) => DAWG_OK,
        Ok(Ok(true)) => DAWG_CLAMPED,
        Ok(Err(e)) => param_status(e),
    }
}

/// Last value set for parameter `id` of `target` (NaN on any error).
#[no_mangle]
pub extern "C" fn dawg_get_param(handle: i32, target: u32, id: u32) -> f32 {
    with_engine(handle, |e| e.get_param(target, id).unwrap_or(f32::NAN)).unwrap_or(f32::NAN)
}

/// Render `quanta` render quanta from the inputs into the output.
#[no_mangle]
pub extern "C" fn dawg_process(handle: i32, quanta: u32) -> i32 {
    match with_engine(handle, |e| e.process(quanta)) {
        Err(code) => code,
        Ok(Ok(())) => DAWG_OK,
        Ok(Err(ProcessError::TooManyQuanta)) => DAWG_ERR_TOO_MANY_QUANTA,
    }
}

/// Set `track`'s source to `kind` (0 input, 1 synth, 2 sampler; see
/// [`dawg_source_name`]). Creates the track; allocates.
#[no_mangle]
pub extern "C" fn dawg_track_source(handle: i32, track: u32, kind: u32) -> i32 {
    unit_status(with_engine(handle, |e| e.set_source(track as usize, kind)))
}

/// Put effect unit `kind` (0: empty) in insert `slot` (1..=8) of the
/// channel `channel` (a target with slot 0). Allocates.
#[no_mangle]
pub extern "C" fn dawg_insert_set(handle: i32, channel: u32, slot: u32, kind: u32) -> i32 {
    unit_status(with_engine(handle, |e| e.set_insert(channel, slot, kind)))
}

fn unit_status(r: Result<Result<(), ParamError>, i32>) -> i32 {
    match r {
        Err(code) => code,
        Ok(Ok(())) => DAWG_OK,
        Ok(Err(e)) => param_status(e),
    }
}

/// Add a zero-filled sample of `frames` frames and `channels` channels (1 or
/// 2) recorded at `sample_rate_hz` to the engine's bank; returns its id
/// (≥ 0, for `sampler_sample`) or a negative status. Allocates: load
/// samples before playback, fill them through [`dawg_sample_ptr`], then call
/// [`dawg_sample_commit`].
#[no_mangle]
pub extern "C" fn dawg_sample_add(
    handle: i32,
    frames: u32,
    channels: u32,
    sample_rate_hz: f32,
) -> i32 {
    match with_engine(handle, |e| {
        e.add_sample(frames as usize, channels as usize, sample_rate_hz)
    }) {
        Err(code) => code,
        Ok(Ok(id)) => id as i32,
        Ok(Err(BankError::OutOfMemory)) => DAWG_ERR_NO_MEMORY,
        Ok(Err(_)) => DAWG_ERR_BAD_SAMPLE,
    }
}

/// Planar storage of sample `id` (all left frames, then all right frames
/// for a stereo sample); null for a bad handle or id.
#[no_mangle]
pub extern "C" fn dawg_sample_ptr(handle: i32, id: u32) -> *mut f32 {
    with_engine(handle, |e| {
        e.sample_data_mut(id)
            .map(|d| d.as_mut_ptr())
            .unwrap_or(ptr::null_mut())
    })
    .unwrap_or(ptr::null_mut())
}

/// Finish loading sample `id` (NaN, infinities and subnormals become 0).
#[no_mangle]
pub extern "C" fn dawg_sample_commit(handle: i32, id: u32) -> i32 {
    match with_engine(handle, |e| e.commit_sample(id)) {
        Err(code) => code,
        Ok(true) => DAWG_OK,
        Ok(false) => DAWG_ERR_BAD_SAMPLE,
    }
}

/// The event staging area: [`dawg_limit_events_per_push_max`] records of
/// eight 32-bit words (offset, kind, target, id, value f32, aux f32, 0, 0).
#[no_mangle]
pub extern "C" fn dawg_events_ptr(handle: i32) -> *mut EventRecord {
    with_engine(handle, |e| e.event_staging_mut().as_mut_ptr()).unwrap_or(ptr::null_mut())
}

/// Queue the first `count` staged events, all or none.
#[no_mangle]
pub extern "C" fn dawg_events_push(handle: i32, count: u32) -> i32 {
    match with_engine(handle, |e| e.push_events(count as usize)) {
        Err(code) => code,
        Ok(Ok(())) => DAWG_OK,
        Ok(Err(EventError::Full)) => DAWG_ERR_EVENTS_FULL,
        Ok(Err(EventError::Malformed)) => DAWG_ERR_BAD_EVENT,
    }
}

/// Events waiting in the queue (negative status for a bad handle).
#[no_mangle]
pub extern "C" fn dawg_events_queued(handle: i32) -> i32 {
    with_engine(handle, |e| e.queued_events() as i32).unwrap_or_else(|c| c)
}

/// The meter area: [`dawg_limit_meter_stride`] floats per channel (peak L,
/// peak R, RMS L, RMS R, state 0 absent / 1 active / 2 bypassed, reserved);
/// tracks, then buses, then the master; covering the last process call.
#[no_mangle]
pub extern "C" fn dawg_meters_ptr(handle: i32) -> *mut f32 {
    with_engine(handle, |e| e.meters_mut().as_mut_ptr()).unwrap_or(ptr::null_mut())
}

/// Floats in the meter area (0 for a bad handle).
#[no_mangle]
pub extern "C" fn dawg_meters_len(handle: i32) -> u32 {
    with_engine(handle, |e| e.meters().len() as u32).unwrap_or(0)
}

/// Clear all audio state and jump every parameter ramp to its target.
#[no_mangle]
pub extern "C" fn dawg_reset(handle: i32) -> i32 {
    match with_engine(handle, |e| e.reset()) {
        Err(code) => code,
        Ok(()) => DAWG_OK,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_status_has_text() {
        for code in -16..=1 {
            assert_ne!(status_text(code), "unknown status code", "{code}");
        }
    }

    #[test]
    fn a_call_overlapping_another_on_the_same_engine_is_refused() {
        let h = dawg_engine_new(48000.0, 1, 128, 1);
        assert!(h >= 1);
        let guard = SlotGuard::acquire(h).unwrap();
        assert_eq!(dawg_process(h, 1), DAWG_ERR_BUSY);
        assert_eq!(dawg_engine_free(h), DAWG_ERR_BUSY);
        drop(guard);
        assert_eq!(dawg_process(h, 1), DAWG_OK);
        assert_eq!(dawg_engine_free(h), DAWG_OK);
    }

    #[test]
    fn engines_used_from_many_threads_at_once_never_collide() {
        let handles: Vec<i32> = (0..4)
            .map(|_| dawg_engine_new(48000.0, 2, 128, 2))
            .collect();
        let threads: Vec<_> = (0..8)
            .map(|t| {
                let handles = handles.clone();
                std::thread::spawn(move || {
                    let mut busy = 0;
                    for i in 0..2000 {
                        let h = handles[(t + i) % handles.len()];
                        let status = dawg_process(h, 2);
                        assert!(status == DAWG_OK || status == DAWG_ERR_BUSY);
                        busy += (status == DAWG_ERR_BUSY) as u32;
                        let _ = dawg_set_param(h, 0, 11, -3.0);
                    }
                    busy
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        for h in handles {
            assert_eq!(dawg_engine_free(h), DAWG_OK);
        }
    }

    #[test]
    fn misuse_returns_status_codes() {
        assert_eq!(dawg_engine_new(f32::NAN, 1, 128, 1), DAWG_ERR_SAMPLE_RATE);
        assert_eq!(dawg_engine_new(48000.0, 0, 128, 1), DAWG_ERR_TRACKS);
        assert_eq!(dawg_engine_new(48000.0, 1, 3, 1), DAWG_ERR_QUANTUM);
        assert_eq!(dawg_engine_new(48000.0, 1, 128, 0), DAWG_ERR_QUANTA);
        let h = dawg_engine_new(48000.0, 2, 128, 4);
        assert!(h >= 1);
        assert_eq!(dawg_set_param(h, 0, 999, 0.0), DAWG_ERR_UNKNOWN_PARAM);
        assert_eq!(dawg_set_param(h, 2, 0, 100.0), DAWG_ERR_BAD_TARGET);
        assert_eq!(dawg_set_param(h, 0, 0, f32::NAN), DAWG_ERR_NOT_FINITE);
        assert_eq!(dawg_set_param(h, 0, 0, 1e9), DAWG_CLAMPED);
        assert_eq!(dawg_get_param(h, 0, 0), 1000.0);
        assert_eq!(dawg_process(h, 5), DAWG_ERR_TOO_MANY_QUANTA);
        assert_eq!(dawg_process(h, 0), DAWG_OK);
        assert_eq!(dawg_engine_free(h), DAWG_OK);
        assert_eq!(dawg_engine_free(h), DAWG_ERR_BAD_HANDLE);
        assert_eq!(dawg_process(h, 1), DAWG_ERR_BAD_HANDLE);
        assert_eq!(dawg_process(-3, 1), DAWG_ERR_BAD_HANDLE);
        assert!(dawg_input_ptr(12345, 0).is_null());
    }
}
