/**
 * Models: nothing real. Virtual time for the whole simulation, in integer ticks (1 tick = 1 ms of
 * simulated time). Models never read the wall clock; they read this.
 * Invariants: time never goes backwards; it advances only when told to.
 */
import { assert } from './assert.js';

/** 2026-01-01T00:00:00Z: the simulated epoch, so certificates get stable validity dates. */
export const SIM_EPOCH_UNIX_MS = 1_767_225_600_000;

/** The clock's position as plain data (what a snapshot stores). */
export type ClockState = Readonly<{ ticks: number }>;

export class VirtualClock {
  private ticks: number;

  constructor(startTicks = 0) {
    assert(Number.isSafeInteger(startTicks) && startTicks >= 0, 'clock start must be >= 0');
    this.ticks = startTicks;
  }

  static fromState(state: ClockState): VirtualClock {
    return new VirtualClock(state.ticks);
  }

  state(): ClockState {
    assert(Number.isSafeInteger(this.ticks) && this.ticks >= 0);
    return Object.freeze({ ticks: this.ticks });
  }

  now(): number {
    return this.ticks;
  }

  advance(ticks: number): number {
    assert(Number.isSafeInteger(ticks) && ticks >= 0, 'clock advance must be >= 0');
    this.ticks += ticks;
    return this.ticks;
  }

  /** The simulated wall-clock instant of a tick, for certificate validity and token times. */
  static toDate(ticks: number): Date {
    assert(Number.isSafeInteger(ticks) && ticks >= 0, 'ticks');
    return new Date(SIM_EPOCH_UNIX_MS + ticks);
  }
}
