//! The sample bank: one-shot and sustained samples held in memory for the
//! sampler to play.
//!
//! A sample is loaded once, before playback: [`SampleBank::add`] allocates
//! zeroed storage and returns the sample's id, the host writes the audio into
//! [`SampleBank::data_mut`] (in wasm: straight into linear memory), then calls
//! [`SampleBank::sanitize`] once. Voices read the data in place through
//! [`SampleBank::get`]; nothing is copied per note.
//!
//! [`SampleBank::sanitize`] also builds the sample's pyramid: copies low-passed
//! and decimated by 2, 4, 8, … (see [`crate::sources::resample`]) from which
//! the sampler reads notes pitched up by an octave or more. The pyramid holds
//! `⌈n/2⌉ + ⌈n/4⌉ + …` frames per channel (below `n + 25` for `n` frames), so
//! a sample takes at most twice its own size; it is allocated by
//! [`SampleBank::add`], which also builds the sampler's interpolation table
//! (about 800 KiB, once per bank) when the first sample is added.
//!
//! Storage is planar: a stereo sample of `n` frames holds `n` left samples
//! followed by `n` right samples; a mono sample holds one plane, which serves
//! as both the left and the right channel.

use crate::math::flush;
use crate::sources::resample::{self, Kernel};

/// Most samples a bank holds.
pub const MAX_SAMPLES: usize = 256;
/// Longest sample, in frames (2^24: about 5.8 minutes at 48 kHz).
pub const MAX_FRAMES_PER_SAMPLE: usize = 1 << 24;
/// Most frames all samples of a bank hold together (2^26: 256 MiB as mono
/// f32, 512 MiB if every sample is stereo). Their pyramids hold at most as
/// many frames again, so a full bank takes at most 512 MiB (mono) or 1 GiB
/// (stereo) in all.
pub const MAX_TOTAL_FRAMES: usize = 1 << 26;
/// Lowest accepted sample rate of a sample, Hz.
pub const SAMPLE_RATE_MIN_HZ: f32 = 1000.0;
/// Highest accepted sample rate of a sample, Hz.
pub const SAMPLE_RATE_MAX_HZ: f32 = 768_000.0;

/// Why a sample could not be added.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BankError {
    /// Channel count other than 1 (mono) or 2 (stereo).
    Channels,
    /// A sample of zero frames.
    NoFrames,
    /// Sample rate not finite or outside
    /// [`SAMPLE_RATE_MIN_HZ`, `SAMPLE_RATE_MAX_HZ`].
    SampleRate,
    /// The bank already holds [`MAX_SAMPLES`] samples.
    TooManySamples,
    /// More than [`MAX_FRAMES_PER_SAMPLE`] frames.
    TooLong,
    /// The bank's frames would exceed [`MAX_TOTAL_FRAMES`].
    BankFull,
    /// The allocator could not provide the storage.
    OutOfMemory,
}

/// Read-only view of one sample.
#[derive(Clone, Copy, Debug)]
pub struct SampleRef<'a> {
    /// Left channel (the only channel of a mono sample), `frames` long.
    pub left: &'a [f32],
    /// Right channel; the same slice as `left` for a mono sample.
    pub right: &'a [f32],
    /// Frames per channel.
    pub frames: usize,
    /// 1 (mono) or 2 (stereo).
    pub channels: usize,
    /// The rate the sample was recorded at, Hz.
    pub sample_rate_hz: f32,
    /// Levels 1, 2, … of the pyramid, one after the other, each planar.
    pyramid: &'a [f32],
    /// Levels of the pyramid, level 0 (the sample itself) included.
    pub levels: usize,
}

impl<'a> SampleRef<'a> {
    /// Left and right channel of pyramid level `k` (level 0 is the sample,
    /// level `k` the sample decimated by `2^k`, `⌈frames/2^k⌉` frames), or
    /// `None` above the top level.
    pub fn level(&self, k: usize) -> Option<(&'a [f32], &'a [f32])> {
        if k == 0 {
            return Some((self.left, self.right));
        }
        if k >= self.levels {
            return None;
        }
        let mut off = 0;
        for j in 1..k {
            off += resample::level_frames(self.frames, j) * self.channels;
        }
        let n = resample::level_frames(self.frames, k);
        let left = self.pyramid.get(off..off + n)?;
        let right = if self.channels == 2 {
            self.pyramid.get(off + n..off + 2 * n)?
        } else {
            left
        };
        Some((left, right))
    }
}

#[derive(Debug)]
struct Entry {
    data: Vec<f32>,
    pyramid: Vec<f32>,
    levels: usize,
    frames: usize,
    channels: usize,
    sample_rate_hz: f32,
}

/// Frames per channel of the levels above level 0 of an `n`-frame sample.
fn pyramid_frames(n: usize) -> usize {
    (1..resample::level_count(n))
        .map(|k| resample::level_frames(n, k))
        .sum()
}

/// The samples a sampler can play, addressed by id (0, 1, 2, … in the order
/// they were added).
#[derive(Debug, Default)]
pub struct SampleBank {
    entries: Vec<Entry>,
    total_frames: usize,
    kernel: Option<Kernel>,
}

impl SampleBank {
    /// An empty bank; allocates nothing.
    pub fn new() -> Self {
        SampleBank {
            entries: Vec::new(),
            total_frames: 0,
            kernel: None,
        }
    }

    /// Check a request against the limits without allocating.
    fn check(&self, frames: usize, channels: usize, sample_rate_hz: f32) -> Result<(), BankError> {
        if channels != 1 && channels != 2 {
            return Err(BankError::Channels);
        }
        if frames == 0 {
            return Err(BankError::NoFrames);
        }
        if !(SAMPLE_RATE_MIN_HZ..=SAMPLE_RATE_MAX_HZ).contains(&sample_rate_hz) {
            return Err(BankError::SampleRate);
        }
        if self.entries.len() >= MAX_SAMPLES {
            return Err(BankError::TooManySamples);
        }
        if frames > MAX_FRAMES_PER_SAMPLE {
            return Err(BankError::TooLong);
        }
        if self.total_frames + frames > MAX_TOTAL_FRAMES {
            return Err(BankError::BankFull);
        }
        Ok(())
    }

    /// Allocate zeroed storage for a sample of `frames` frames and `channels`
    /// channels (1 or 2) recorded at `sample_rate_hz`, and its pyramid, and
    /// return its id; the first call also builds the interpolation table.
    /// This is the only allocating call; it reports allocation failure as
    /// [`BankError::OutOfMemory`] instead of aborting.
    pub fn add(
        &mut self,
        frames: usize,
        channels: usize,
        sample_rate_hz: f32,
    ) -> Result<u32, BankError> {
        self.check(frames, channels, sample_rate_hz)?;
        if self.kernel.is_none() {
            self.kernel = Some(Kernel::new().ok_or(BankError::OutOfMemory)?);
        }
        let n = frames * channels;
        let mut data = Vec::new();
        data.try_reserve_exact(n)
            .map_err(|_| BankError::OutOfMemory)?;
        let np = pyramid_frames(frames) * channels;
        let mut pyramid = Vec::new();
        pyramid
            .try_reserve_exact(np)
            .map_err(|_| BankError::OutOfMemory)?;
        self.entries
            .try_reserve(1)
            .map_err(|_| BankError::OutOfMemory)?;
        data.resize(n, 0.0);
        pyramid.resize(np, 0.0);
        let id = self.entries.len() as u32;
        self.entries.push(Entry {
            data,
            pyramid,
            levels: resample::level_count(frames),
            frames,
            channels,
            sample_rate_hz,
        });
        self.total_frames += frames;
        Ok(id)
    }

    /// The planar storage of sample `id` (`frames · channels` values: all
    /// left frames, then all right frames) for the host to fill, or `None`
    /// for an unknown id.
    pub fn data_mut(&mut self, id: u32) -> Option<&mut [f32]> {
        self.entries
            .get_mut(id as usize)
            .map(|e| e.data.as_mut_slice())
    }

    /// A view of sample `id`, or `None` for an unknown id.
    pub fn get(&self, id: u32) -> Option<SampleRef<'_>> {
        let e = self.entries.get(id as usize)?;
        let (left, rest) = e.data.split_at(e.frames.min(e.data.len()));
        let right = if e.channels == 2 { rest } else { left };
        Some(SampleRef {
            left,
            right,
            frames: left.len(),
            channels: e.channels,
            sample_rate_hz: e.sample_rate_hz,
            pyramid: &e.pyramid,
            levels: e.levels,
        })
    }

    /// The sampler's interpolation table (built with the first sample).
    pub fn kernel(&self) -> Option<&Kernel> {
        self.kernel.as_ref()
    }

    /// Number of samples held.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when the bank holds no sample.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Frames held by all samples together.
    pub fn total_frames(&self) -> usize {
        self.total_frames
    }

    /// Replace NaN, infinities and values below [`crate::math::FLUSH_THRESHOLD`]
    /// in magnitude (subnormals included) with exactly `0.0` in sample `id`,
    /// then build its pyramid: each level is [`resample::decimate`] of the
    /// one below, channel by channel, flushed the same way. Call once after
    /// the host has written the data (and again after rewriting it); unknown
    /// ids are ignored. Allocates nothing.
    pub fn sanitize(&mut self, id: u32) {
        if let Some(e) = self.entries.get_mut(id as usize) {
            for v in e.data.iter_mut() {
                *v = flush(*v);
            }
            let taps = resample::halfband_taps();
            let (frames, channels) = (e.frames, e.channels);
            let mut off = 0;
            for k in 1..e.levels {
                let n = resample::level_frames(frames, k);
                let prev_n = resample::level_frames(frames, k - 1);
                let (done, rest) = e.pyramid.split_at_mut(off);
                for c in 0..channels {
                    let src: &[f32] = if k == 1 {
                        e.data.get(c * prev_n..(c + 1) * prev_n).unwrap_or(&[])
                    } else {
                        let prev_off = off - prev_n * channels;
                        done.get(prev_off + c * prev_n..prev_off + (c + 1) * prev_n)
                            .unwrap_or(&[])
                    };
                    if let Some(dst) = rest.get_mut(c * n..(c + 1) * n) {
                        resample::decimate(src, dst, &taps);
                        for v in dst.iter_mut() {
                            *v = flush(*v);
                        }
                    }
                }
                off += n * channels;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_bank_is_empty_and_allocates_nothing() {
        let b = SampleBank::new();
        assert!(b.is_empty());
        assert_eq!(b.len(), 0);
        assert_eq!(b.entries.capacity(), 0);
        assert!(b.get(0).is_none());
    }

    #[test]
    fn add_returns_sequential_ids_with_zeroed_planar_storage() {
        let mut b = SampleBank::new();
        assert_eq!(b.add(10, 2, 44100.0), Ok(0));
        assert_eq!(b.add(5, 1, 48000.0), Ok(1));
        assert_eq!(b.len(), 2);
        assert_eq!(b.total_frames(), 15);
        let d = b.data_mut(0).unwrap();
        assert_eq!(d.len(), 20);
        assert!(d.iter().all(|v| *v == 0.0));
        for (i, v) in d.iter_mut().enumerate() {
            *v = i as f32;
        }
        let s = b.get(0).unwrap();
        assert_eq!(s.frames, 10);
        assert_eq!(s.channels, 2);
        assert_eq!(s.sample_rate_hz, 44100.0);
        assert_eq!(s.left, &[0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0]);
        assert_eq!(s.right[0], 10.0);
        assert_eq!(s.right[9], 19.0);
        assert_eq!(s.right.len(), 10);
    }

    #[test]
    fn mono_sample_serves_both_channels() {
        let mut b = SampleBank::new();
        let id = b.add(4, 1, 48000.0).unwrap();
        b.data_mut(id)
            .unwrap()
            .copy_from_slice(&[0.5, -0.5, 0.25, 1.0]);
        let s = b.get(id).unwrap();
        assert_eq!(s.left, s.right);
        assert_eq!(s.left.as_ptr(), s.right.as_ptr());
        assert_eq!(s.frames, 4);
    }

    #[test]
    fn bad_requests_are_refused_without_allocating() {
        let mut b = SampleBank::new();
        assert_eq!(b.add(10, 0, 48000.0), Err(BankError::Channels));
        assert_eq!(b.add(10, 3, 48000.0), Err(BankError::Channels));
        assert_eq!(b.add(0, 1, 48000.0), Err(BankError::NoFrames));
        assert_eq!(b.add(10, 1, f32::NAN), Err(BankError::SampleRate));
        assert_eq!(b.add(10, 1, 0.0), Err(BankError::SampleRate));
        assert_eq!(b.add(10, 1, f32::INFINITY), Err(BankError::SampleRate));
        assert_eq!(
            b.add(MAX_FRAMES_PER_SAMPLE + 1, 1, 48000.0),
            Err(BankError::TooLong)
        );
        assert_eq!(b.add(usize::MAX, 2, 48000.0), Err(BankError::TooLong));
        assert!(b.is_empty());
        assert_eq!(b.total_frames(), 0);
    }

    #[test]
    fn limits_on_count_and_total_frames_hold() {
        let mut b = SampleBank::new();
        for i in 0..MAX_SAMPLES {
            assert_eq!(b.add(1, 1, 48000.0), Ok(i as u32));
        }
        assert_eq!(b.add(1, 1, 48000.0), Err(BankError::TooManySamples));
        // The total is checked before any allocation: pretend the bank is
        // almost full instead of allocating 2^26 frames.
        let mut b = SampleBank::new();
        b.total_frames = MAX_TOTAL_FRAMES - 10;
        assert_eq!(b.add(11, 1, 48000.0), Err(BankError::BankFull));
        assert_eq!(b.add(10, 2, 48000.0), Ok(0));
        assert_eq!(b.total_frames(), MAX_TOTAL_FRAMES);
        assert_eq!(b.add(1, 1, 48000.0), Err(BankError::BankFull));
    }

    #[test]
    fn sanitize_flushes_non_finite_and_subnormal_values() {
        let mut b = SampleBank::new();
        let id = b.add(3, 2, 48000.0).unwrap();
        b.data_mut(id).unwrap().copy_from_slice(&[
            f32::NAN,
            0.5,
            f32::INFINITY,
            f32::NEG_INFINITY,
            1e-40,
            -0.25,
        ]);
        b.sanitize(id);
        b.sanitize(99);
        let s = b.get(id).unwrap();
        assert_eq!(s.left, &[0.0, 0.5, 0.0]);
        assert_eq!(s.right, &[0.0, 0.0, -0.25]);
    }

    #[test]
    fn unknown_ids_give_none() {
        let mut b = SampleBank::new();
        b.add(3, 1, 48000.0).unwrap();
        assert!(b.get(1).is_none());
        assert!(b.get(u32::MAX).is_none());
        assert!(b.data_mut(7).is_none());
    }
}
