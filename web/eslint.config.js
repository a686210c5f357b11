// ESLint for dawgwasm's hand-written JavaScript: the worklet and main-thread
// modules copied into every build, the demo page and the profile page.
import js from "@eslint/js";
import globals from "globals";

const strict = {
  "no-var": "error",
  "prefer-const": "error",
  eqeqeq: ["error", "always"],
  "no-implicit-globals": "error",
  "no-shadow": "error",
  "no-unused-vars": ["error", { args: "after-used", caughtErrors: "none" }],
};

// What AudioWorkletGlobalScope provides (and no window, document or fetch).
const audioWorklet = {
  AudioWorkletProcessor: "readonly",
  registerProcessor: "readonly",
  sampleRate: "readonly",
  currentFrame: "readonly",
  currentTime: "readonly",
  WebAssembly: "readonly",
  console: "readonly",
};

export default [
  { ignores: ["node_modules/**"] },
  js.configs.recommended,
  {
    files: [
      "static/dawg-worklet-core.js",
      "static/dawg-worklet-events.js",
      "static/dawg-worklet-meters.js",
      "static/dawg-worklet-wasm.js",
      "profile/profile-processors.js",
      "profile/profile-tap.js",
    ],
    languageOptions: { ecmaVersion: 2022, sourceType: "module", globals: audioWorklet },
    rules: strict,
  },
  {
    // Imported by the worklet and by the main thread: only what both scopes have.
    files: ["static/dawg-ring.js"],
    languageOptions: { ecmaVersion: 2022, sourceType: "module", globals: {} },
    rules: strict,
  },
  {
    files: [
      "static/dawg-engine-core.js",
      "static/dawg-engine-class.js",
      "static/dawg-checks.js",
      "static/dawg-meters.js",
      "static/dawg-outbox.js",
      "static/dawg-structure.js",
      "static/dawg-session.js",
      "static/dawg-session-load.js",
      "demo/**/*.js",
      "profile/profile-page.js",
    ],
    languageOptions: { ecmaVersion: 2022, sourceType: "module", globals: globals.browser },
    rules: strict,
  },
  {
    files: ["eslint.config.js"],
    languageOptions: { ecmaVersion: 2022, sourceType: "module", globals: globals.node },
  },
];
