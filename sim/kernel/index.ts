/**
 * Models: nothing real. The kernel's public surface: assertions, bytes, canonical JSON, the
 * virtual clock, the canonical state codec, errors, layout tables, the memo, the seeded RNG and
 * traces.
 */
export * from './assert.js';
export * from './bytes.js';
export * from './canonical-json.js';
export * from './clock.js';
export * from './codec.js';
export * from './errors.js';
export * from './layout.js';
export * from './memo.js';
export * from './rng.js';
export * from './trace.js';
