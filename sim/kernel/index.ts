export * from './assert.js';
export * from './bytes.js';
export * from './canonical-json.js';
export * from './clock.js';
export * from './errors.js';
export * from './layout.js';
export * from './rng.js';
export * from './trace.js';
