"""The built-in reference session: the standard workload of the demo, the
benchmarks and the golden renders.

Modelled on the default project of the web DAW dawgwasm descends from: 20
tracks at 90 BPM — eight drum tracks playing one-shots the project
synthesises itself (:mod:`dawgwasm._samples`), one sampled keys track, ten
synth tracks, and an external-input track (a microphone or line in the
browser; silent offline, so it shows what an idle track costs). Two buses
(reverb and delay) are fed by sends; the master ends in a limiter. The
4-bar loop has rests, so tracks fall silent and auto-bypass matters. Every
band of the channel strip is in use somewhere, and automation moves a fader
and an EQ band in ramps and a pan, an insert's drive and a synth's cutoff in
steps (each smoothed by the engine).
"""

from __future__ import annotations

from typing import Any

__all__ = ["reference_session"]

BEATS_PER_BAR = 4
BARS = 4


def _hits(
    beats: list[float], note: int = 60, velocity: float = 0.9, length: float = 0.25
) -> list[dict[str, Any]]:
    return [{"beat": b, "note": note, "velocity": velocity, "length_beats": length} for b in beats]


def _every_bar(offsets: list[float], bars: list[int]) -> list[float]:
    return [bar * BEATS_PER_BAR + o for bar in bars for o in offsets]


def _drum(
    name: str,
    sample: str,
    beats: list[float],
    *,
    gain_db: float,
    pan: float = 0.0,
    velocity: float = 0.9,
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    track: dict[str, Any] = {
        "name": name,
        "source": {"type": "sampler", "sample": sample, "params": {"sampler_mode": 0}},
        "gain_db": gain_db,
        "pan": pan,
        "pattern": {"length_beats": BARS * BEATS_PER_BAR, "notes": _hits(beats, velocity=velocity)},
    }
    if extra:
        track.update(extra)
    return track


def _synth(
    name: str,
    params: dict[str, float],
    notes: list[tuple[float, int, float]],
    *,
    gain_db: float,
    pan: float = 0.0,
    velocity: float = 0.8,
    sends: list[dict[str, Any]] | None = None,
    inserts: list[dict[str, Any]] | None = None,
    strip: dict[str, float] | None = None,
    automation: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    return {
        "name": name,
        "source": {"type": "synth", "params": {"synth_gain_db": 0.0, **params}},
        "strip": strip or {},
        "inserts": inserts or [],
        "sends": sends or [],
        "automation": automation or [],
        "gain_db": gain_db,
        "pan": pan,
        "pattern": {
            "length_beats": BARS * BEATS_PER_BAR,
            "notes": [
                {"beat": b, "note": n, "velocity": velocity, "length_beats": length}
                for b, n, length in notes
            ],
        },
    }


# A minor, F major, C major, G major: one chord per bar.
CHORDS = [[57, 60, 64], [53, 57, 60], [48, 52, 55], [55, 59, 62]]
ROOTS = [45, 41, 36, 43]


def reference_session() -> dict[str, Any]:
    """The reference session as a JSON-ready document."""
    all_bars = [0, 1, 2, 3]
    reverb = {"bus": 0, "level_db": -14.0}
    delay = {"bus": 1, "level_db": -18.0}
    tracks: list[dict[str, Any]] = [
        _drum(
            "Kick",
            "kick",
            [*_every_bar([0.0, 1.5, 2.0], [0, 1, 2]), 12.0],
            gain_db=-2.0,
            extra={
                "strip": {
                    "low_hz": 60.0,
                    "low_gain_db": 2.0,
                    "comp_threshold_db": -12.0,
                    "comp_ratio": 3.0,
                    "comp_attack_ms": 5.0,
                    "comp_release_ms": 80.0,
                }
            },
        ),
        _drum(
            "Snare",
            "snare",
            _every_bar([1.0, 3.0], [0, 1, 2]),
            gain_db=-5.0,
            pan=0.05,
            extra={
                "sends": [reverb],
                "strip": {
                    "mid_hz": 900.0,
                    "mid_gain_db": -3.0,
                    "mid_q": 1.4,
                    "high_hz": 7000.0,
                    "high_gain_db": 3.0,
                },
            },
        ),
        _drum(
            "Hi-hat",
            "closed_hat",
            _every_bar([x * 0.5 for x in range(8)], [0, 1, 2]),
            gain_db=-12.0,
            pan=0.25,
            velocity=0.6,
        ),
        _drum("Open hat", "open_hat", _every_bar([3.5], [1, 3]), gain_db=-14.0, pan=-0.2),
        _drum(
            "Clap",
            "clap",
            _every_bar([3.0], [1, 3]),
            gain_db=-8.0,
            pan=-0.05,
            extra={"sends": [{"bus": 0, "level_db": -10.0}]},
        ),
        _drum(
            "808",
            "bass_808",
            _every_bar([0.0, 0.75, 2.5], [0, 2]),
            gain_db=-6.0,
            extra={
                "inserts": [{"unit": "saturator", "params": {"sat_drive_db": 9.0, "sat_mix": 0.6}}],
                "automation": [
                    {
                        "beat": 8.0,
                        "param": "sat_drive_db",
                        "value": 15.0,
                        "ramp_ms": 0.0,
                        "slot": 1,
                    },
                    {
                        "beat": 12.0,
                        "param": "sat_drive_db",
                        "value": 9.0,
                        "ramp_ms": 0.0,
                        "slot": 1,
                    },
                ],
            },
        ),
        _drum("Rim", "rim", _every_bar([1.75, 3.25], [2, 3]), gain_db=-13.0, pan=0.4),
        _drum(
            "Perc",
            "perc",
            [12.0 + x * 0.25 for x in (0, 2, 3, 5, 6, 10, 11, 14)],
            gain_db=-12.0,
            pan=-0.4,
            extra={"sends": [delay]},
        ),
        {
            "name": "Keys",
            "source": {
                "type": "sampler",
                "sample": "keys",
                "params": {"sampler_mode": 1, "sampler_root_note": 60, "sampler_release_ms": 300.0},
            },
            "inserts": [
                {
                    "unit": "peq",
                    "params": {
                        "peq_1_type": 5,
                        "peq_1_hz": 120.0,
                        "peq_2_type": 1,
                        "peq_2_hz": 2500.0,
                        "peq_2_gain_db": -3.0,
                        "peq_2_q": 1.2,
                    },
                }
            ],
            "sends": [{"bus": 0, "level_db": -12.0}],
            "gain_db": -10.0,
            "pan": -0.15,
            "pattern": {
                "length_beats": 16,
                "notes": [
                    {"beat": bar * 4.0, "note": n, "velocity": 0.7, "length_beats": 3.5}
                    for bar in (0, 1, 2)
                    for n in CHORDS[bar]
                ],
            },
        },
        _synth(
            "Bass",
            {
                "synth_osc1_wave": 0,
                "synth_osc_mix": 0.3,
                "synth_osc2_semitones": -12.0,
                "synth_cutoff_hz": 300.0,
                "synth_resonance": 0.3,
                "synth_filter_env_octaves": 2.0,
                "synth_fenv_decay_ms": 180.0,
                "synth_fenv_sustain": 0.0,
                "synth_attack_ms": 2.0,
                "synth_decay_ms": 200.0,
                "synth_sustain": 0.7,
                "synth_release_ms": 60.0,
            },
            [
                (bar * 4.0 + o, ROOTS[bar], 0.4)
                for bar in (0, 1, 2)
                for o in (0.0, 1.0, 2.0, 2.5, 3.0)
            ],
            gain_db=-9.0,
            inserts=[
                {
                    "unit": "compressor",
                    "params": {"compressor_threshold_db": -20.0, "compressor_ratio": 4.0},
                }
            ],
        ),
        _synth(
            "Pad",
            {
                "synth_osc1_wave": 0,
                "synth_osc2_wave": 1,
                "synth_osc_mix": 0.5,
                "synth_osc2_detune_cents": 9.0,
                "synth_cutoff_hz": 1400.0,
                "synth_attack_ms": 400.0,
                "synth_decay_ms": 800.0,
                "synth_sustain": 0.8,
                "synth_release_ms": 1200.0,
            },
            [(bar * 4.0, n, 3.8) for bar in all_bars for n in CHORDS[bar]],
            gain_db=-17.0,
            sends=[{"bus": 0, "level_db": -6.0}],
            strip={
                "mid_hz": 450.0,
                "mid_gain_db": -2.5,
                "mid_q": 0.8,
                "high_hz": 5000.0,
                "high_gain_db": -4.0,
            },
        ),
        _synth(
            "Lead",
            {
                "synth_osc1_wave": 1,
                "synth_osc_mix": 0.2,
                "synth_cutoff_hz": 2600.0,
                "synth_resonance": 0.4,
                "synth_filter_env_octaves": 1.5,
                "synth_attack_ms": 5.0,
                "synth_sustain": 0.6,
                "synth_release_ms": 150.0,
            },
            [
                (4.0, 72, 0.5),
                (4.5, 74, 0.5),
                (5.0, 76, 1.0),
                (6.5, 74, 0.5),
                (7.0, 72, 1.0),
                (12.0, 79, 0.75),
                (13.0, 76, 0.5),
                (13.5, 74, 0.5),
                (14.0, 72, 1.5),
            ],
            gain_db=-14.0,
            pan=0.1,
            sends=[{"bus": 1, "level_db": -8.0}, {"bus": 0, "level_db": -16.0}],
            strip={"mid_hz": 2200.0, "mid_q": 1.0},
            automation=[
                {"beat": 4.0, "param": "mid_gain_db", "value": 4.0, "ramp_ms": 200.0},
                {"beat": 12.0, "param": "pan", "value": -0.2},
                {"beat": 15.5, "param": "mid_gain_db", "value": 0.0},
            ],
        ),
        _synth(
            "Arp",
            {
                "synth_osc1_wave": 0,
                "synth_osc_mix": 0.0,
                "synth_cutoff_hz": 1800.0,
                "synth_filter_env_octaves": 2.5,
                "synth_fenv_decay_ms": 90.0,
                "synth_fenv_sustain": 0.0,
                "synth_attack_ms": 1.0,
                "synth_decay_ms": 120.0,
                "synth_sustain": 0.0,
                "synth_release_ms": 60.0,
            },
            [(8.0 + i * 0.25, CHORDS[2][i % 3] + 12, 0.2) for i in range(16)],
            gain_db=-16.0,
            pan=-0.3,
            sends=[{"bus": 1, "level_db": -12.0}],
        ),
        _synth(
            "Pluck",
            {
                "synth_osc1_wave": 1,
                "synth_osc2_wave": 0,
                "synth_osc_mix": 0.4,
                "synth_cutoff_hz": 900.0,
                "synth_filter_env_octaves": 3.0,
                "synth_fenv_decay_ms": 60.0,
                "synth_fenv_sustain": 0.0,
                "synth_attack_ms": 0.5,
                "synth_decay_ms": 250.0,
                "synth_sustain": 0.0,
                "synth_release_ms": 100.0,
            },
            [
                (bar * 4.0 + o, CHORDS[bar][k] + 12, 0.25)
                for bar in (1, 3)
                for k, o in enumerate((0.5, 1.5, 2.5))
            ],
            gain_db=-15.0,
            pan=0.35,
            sends=[reverb],
        ),
        _synth(
            "Strings",
            {
                "synth_osc1_wave": 0,
                "synth_osc2_wave": 0,
                "synth_osc_mix": 0.5,
                "synth_osc2_detune_cents": -12.0,
                "synth_cutoff_hz": 3000.0,
                "synth_attack_ms": 600.0,
                "synth_sustain": 0.9,
                "synth_release_ms": 900.0,
            },
            [(8.0, 64, 7.5), (8.0, 69, 7.5)],
            gain_db=-20.0,
            pan=-0.25,
            sends=[{"bus": 0, "level_db": -8.0}],
            automation=[
                {"beat": 10.0, "param": "gain_db", "value": -15.0, "ramp_ms": 300.0},
                {"beat": 15.0, "param": "gain_db", "value": -20.0},
            ],
        ),
        _synth(
            "Sub",
            {
                "synth_osc1_wave": 0,
                "synth_osc2_wave": 0,
                "synth_osc_mix": 1.0,
                "synth_cutoff_hz": 200.0,
                "synth_attack_ms": 3.0,
                "synth_sustain": 1.0,
                "synth_release_ms": 80.0,
            },
            [(bar * 4.0, ROOTS[bar] - 12, 3.5) for bar in (1, 3)],
            gain_db=-12.0,
        ),
        _synth(
            "Brass",
            {
                "synth_osc1_wave": 0,
                "synth_osc_mix": 0.1,
                "synth_cutoff_hz": 700.0,
                "synth_filter_env_octaves": 2.0,
                "synth_fenv_attack_ms": 60.0,
                "synth_fenv_decay_ms": 300.0,
                "synth_fenv_sustain": 0.3,
                "synth_attack_ms": 30.0,
                "synth_sustain": 0.7,
                "synth_release_ms": 200.0,
            },
            [(7.0, 67, 0.5), (7.5, 69, 0.5), (15.0, 67, 0.75)],
            gain_db=-15.0,
            pan=0.2,
            sends=[reverb],
        ),
        _synth(
            "Bell",
            {
                "synth_osc1_wave": 1,
                "synth_osc2_wave": 0,
                "synth_osc_mix": 0.7,
                "synth_osc2_semitones": 19.0,
                "synth_cutoff_hz": 6000.0,
                "synth_attack_ms": 1.0,
                "synth_decay_ms": 900.0,
                "synth_sustain": 0.0,
                "synth_release_ms": 900.0,
            },
            [(2.0, 84, 0.25), (6.0, 81, 0.25), (10.0, 79, 0.25)],
            gain_db=-20.0,
            pan=0.45,
            sends=[{"bus": 1, "level_db": -6.0}, {"bus": 0, "level_db": -10.0}],
        ),
        _synth(
            "Sweep",
            {
                "synth_osc1_wave": 0,
                "synth_osc2_wave": 1,
                "synth_osc_mix": 0.5,
                "synth_osc2_detune_cents": 25.0,
                "synth_cutoff_hz": 400.0,
                "synth_resonance": 0.6,
                "synth_filter_env_octaves": 4.0,
                "synth_fenv_attack_ms": 1500.0,
                "synth_fenv_sustain": 1.0,
                "synth_attack_ms": 800.0,
                "synth_sustain": 0.8,
                "synth_release_ms": 500.0,
            },
            [(12.0, 57, 3.75), (12.0, 64, 3.75)],
            gain_db=-22.0,
            sends=[{"bus": 0, "level_db": -6.0}],
            automation=[{"beat": 14.0, "param": "synth_cutoff_hz", "value": 1200.0}],
        ),
        {"name": "Line in", "source": {"type": "input"}, "gain_db": -6.0},
    ]
    return {
        "format": "dawgwasm-session",
        "version": 1,
        "name": "reference",
        "tempo_bpm": 90.0,
        "length_beats": BARS * BEATS_PER_BAR,
        "samples": {
            name: {"builtin": name}
            for name in (
                "kick",
                "snare",
                "closed_hat",
                "open_hat",
                "clap",
                "bass_808",
                "rim",
                "perc",
                "keys",
            )
        },
        "tracks": tracks,
        "buses": [
            {
                "name": "Reverb",
                "inserts": [
                    {
                        "unit": "reverb",
                        "params": {
                            "reverb_size": 0.8,
                            "reverb_damping": 0.4,
                            "reverb_predelay_ms": 20.0,
                            "reverb_mix": 1.0,
                        },
                    }
                ],
            },
            {
                "name": "Delay",
                "inserts": [
                    {
                        "unit": "delay",
                        "params": {
                            "delay_sync": 3,
                            "delay_feedback": 0.4,
                            "delay_ping_pong": 1,
                            "delay_damping_hz": 4000.0,
                            "delay_mix": 1.0,
                        },
                    }
                ],
            },
        ],
        "master": {
            "inserts": [
                {
                    "unit": "compressor",
                    "params": {
                        "compressor_threshold_db": -10.0,
                        "compressor_ratio": 2.0,
                        "compressor_knee_db": 6.0,
                        "compressor_attack_ms": 20.0,
                        "compressor_release_ms": 200.0,
                    },
                },
                {
                    "unit": "limiter",
                    "params": {
                        "lim_ceiling_db": -0.3,
                        "lim_release_ms": 80.0,
                        "lim_lookahead_ms": 2.0,
                        "lim_true_peak": 1.0,
                    },
                },
            ]
        },
    }
