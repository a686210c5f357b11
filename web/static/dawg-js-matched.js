// dawg-js-matched.js — second-order sections matched to their analog
// prototypes (M. Vicanek, "Matched Second Order Digital Filters", 2016),
// mirroring dsp_rust/src/dsp/matched.rs: poles by impulse invariance, the
// numerator solved from the squared magnitude so that the response equals
// the prototype's at DC and at the corner (a bell having its extremum there).
//
// With φ1 = sin²(ω/2), φ0 = 1 − φ1, φ2 = 4·φ0·φ1, the squared magnitude of
// b0 + b1·z⁻¹ + b2·z⁻² is B0·φ0 + B1·φ1 + B2·φ2 with B0 = (b0 + b1 + b2)²,
// B1 = (b0 − b1 + b2)², B2 = −4·b0·b2 (A0…A2 likewise for the denominator).
//
// A design reads its inputs from MATCHED_ARGS and writes its section into
// SECTION: the designs run on the audio thread at every update point of a
// ramp, and doubles passed to or returned from a call V8 does not inline are
// boxed (a heap number each), so no number crosses a call here.

/** Where a design reads its inputs: corner in radians per sample, Q, gain (dB, bells only). */
export const MATCHED_W0 = 0;
export const MATCHED_Q = 1;
export const MATCHED_GAIN_DB = 2;
/** A design's inputs. */
export const MATCHED_ARGS = new Float64Array(3);

/** The last design's section: b0, b1, b2, a1, a2 (a0 = 1). */
export const SECTION = new Float64Array(5);

// Working values of the design in progress.
const A1 = 0; // a1
const A2 = 1; // a2
const BIG_A0 = 2; // A0, A1, A2
const PHI0 = 5; // φ0, φ1, φ2 at the corner
const POLE_Q = 8; // the poles' quality factor (input of poles())
const BIG_B0 = 9; // B0, B1, B2 (input of numerator())
const AT_CORNER = 12; // the denominator's squared magnitude at the corner
const T = new Float64Array(13);

/** The poles of s² + s·ω0/q + ω0² by impulse invariance, with A0…A2, φ and the denominator's squared magnitude at the corner. */
function poles() {
  const w0 = MATCHED_ARGS[MATCHED_W0];
  const q = T[POLE_Q];
  const zeta = 0.5 / (q > 1e-3 ? q : 1e-3);
  const decay = Math.exp(-zeta * w0);
  if (zeta <= 1.0) {
    T[A1] = -2.0 * decay * Math.cos(w0 * Math.sqrt(1.0 - zeta * zeta));
  } else {
    const x = w0 * Math.sqrt(zeta * zeta - 1.0);
    T[A1] = -decay * (Math.exp(x) + Math.exp(-x));
  }
  T[A2] = decay * decay;
  const dc = 1.0 + T[A1] + T[A2];
  const ny = 1.0 - T[A1] + T[A2];
  T[BIG_A0] = dc * dc;
  T[BIG_A0 + 1] = ny * ny;
  T[BIG_A0 + 2] = -4.0 * T[A2];
  const s = Math.sin(0.5 * w0);
  T[PHI0 + 1] = s * s;
  T[PHI0] = 1.0 - T[PHI0 + 1];
  T[PHI0 + 2] = 4.0 * T[PHI0] * T[PHI0 + 1];
  T[AT_CORNER] = T[BIG_A0] * T[PHI0] + T[BIG_A0 + 1] * T[PHI0 + 1] + T[BIG_A0 + 2] * T[PHI0 + 2];
  SECTION[3] = T[A1];
  SECTION[4] = T[A2];
}

/** The minimum-phase numerator with squared magnitude B0, B1, B2 (T[BIG_B0…]) into SECTION[0..3]. */
function numerator() {
  const bigB0 = T[BIG_B0];
  const bigB1 = T[BIG_B0 + 1];
  const bigB2 = T[BIG_B0 + 2];
  const r0 = Math.sqrt(bigB0 > 0.0 ? bigB0 : 0.0);
  const r1 = Math.sqrt(bigB1 > 0.0 ? bigB1 : 0.0);
  const w = 0.5 * (r0 + r1);
  const d = w * w + bigB2;
  const b0 = 0.5 * (w + Math.sqrt(d > 0.0 ? d : 0.0));
  SECTION[0] = b0;
  SECTION[1] = 0.5 * (r0 - r1);
  SECTION[2] = b0 !== 0.0 ? -bigB2 / (4.0 * b0) : 0.0;
}

function boost() {
  const a = Math.pow(10, Math.abs(MATCHED_ARGS[MATCHED_GAIN_DB]) / 40.0);
  const q = MATCHED_ARGS[MATCHED_Q];
  const g2 = a * a * (a * a);
  T[POLE_Q] = a * (q > 1e-3 ? q : 1e-3);
  poles();
  const r1 = g2 * T[AT_CORNER];
  const r2 = g2 * (-T[BIG_A0] + T[BIG_A0 + 1] + 4.0 * (T[PHI0] - T[PHI0 + 1]) * T[BIG_A0 + 2]);
  const p1 = T[PHI0 + 1];
  T[BIG_B0] = T[BIG_A0];
  T[BIG_B0 + 2] = (r1 - r2 * p1 - T[BIG_B0]) / (4.0 * p1 * p1);
  T[BIG_B0 + 1] = r2 + T[BIG_B0] + 4.0 * (p1 - T[PHI0]) * T[BIG_B0 + 2];
  numerator();
}

/**
 * Peaking band (MATCHED_ARGS: corner, Q, gain): the prototype
 * (s² + s·A/q + 1)/(s² + s/(A·q) + 1), A = 10^(gain/40); a cut is the exact
 * inverse of the boost by as many dB, as its prototype is.
 */
export function matchedPeaking() {
  boost();
  if (MATCHED_ARGS[MATCHED_GAIN_DB] < 0.0) {
    const b0 = SECTION[0];
    const b1 = SECTION[1];
    const b2 = SECTION[2];
    SECTION[0] = 1.0 / b0;
    SECTION[1] = SECTION[3] / b0;
    SECTION[2] = SECTION[4] / b0;
    SECTION[3] = b1 / b0;
    SECTION[4] = b2 / b0;
  }
}

/** Low-pass (MATCHED_ARGS: corner, Q): 1/(s² + s/q + 1), 1 at DC and q at the corner. */
export function matchedLowPass() {
  const q = MATCHED_ARGS[MATCHED_Q];
  const qq = q > 1e-3 ? q : 1e-3;
  T[POLE_Q] = qq;
  poles();
  T[BIG_B0] = T[BIG_A0];
  T[BIG_B0 + 1] = (T[AT_CORNER] * qq * qq - T[BIG_A0] * T[PHI0]) / T[PHI0 + 1];
  T[BIG_B0 + 2] = 0.0;
  numerator();
}

/** High-pass (MATCHED_ARGS: corner, Q): s²/(s² + s/q + 1), a double zero at DC, q at the corner. */
export function matchedHighPass() {
  const q = MATCHED_ARGS[MATCHED_Q];
  const qq = q > 1e-3 ? q : 1e-3;
  T[POLE_Q] = qq;
  poles();
  const b0 = (qq * Math.sqrt(T[AT_CORNER])) / (4.0 * T[PHI0 + 1]);
  SECTION[0] = b0;
  SECTION[1] = -2.0 * b0;
  SECTION[2] = b0;
}
