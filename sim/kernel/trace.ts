/**
 * Models: nothing real. The trace: typed, serialisable events that every model step emits.
 * Checkers judge the trace; the trace is all they share with the system (Jepsen style).
 * Invariants: sequence numbers strictly increase; virtual time never decreases; JSONL is canonical.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { assert } from './assert.js';
import { toHex } from './bytes.js';
import { canonicalJson, type Json } from './canonical-json.js';
import { SimError } from './errors.js';

export type TraceSource = 'host' | 'hypervisor' | 'snp' | 'guest' | 'policy' | 'verifier' | 'sim';

export type TraceEvent = Readonly<{
  seq: number;
  tick: number;
  source: TraceSource;
  type: string;
  data: Json;
}>;

/**
 * Where a trace stands, as plain data: the next sequence number and the last event's tick. A
 * snapshot stores this, not the events (they are output, already written or kept by the caller);
 * `Trace.resume(position)` continues numbering from it.
 */
export type TracePosition = Readonly<{ seq: number; tick: number }>;

export class Trace {
  private readonly events: TraceEvent[] = [];
  private nextSeq = 0;
  private lastTick = 0;

  constructor(readonly maxEvents = 1_000_000) {
    assert(Number.isSafeInteger(maxEvents) && maxEvents > 0);
  }

  /** A trace that continues from `position` (events before it are not held). */
  static resume(position: TracePosition, maxEvents = 1_000_000): Trace {
    assert(Number.isSafeInteger(position.seq) && position.seq >= 0, 'trace position seq');
    assert(Number.isSafeInteger(position.tick) && position.tick >= 0, 'trace position tick');
    const trace = new Trace(maxEvents);
    trace.nextSeq = position.seq;
    trace.lastTick = position.tick;
    return trace;
  }

  position(): TracePosition {
    return Object.freeze({ seq: this.nextSeq, tick: this.lastTick });
  }

  emit(tick: number, source: TraceSource, type: string, data: unknown = {}): TraceEvent {
    assert(tick >= this.lastTick, 'trace: time went backwards');
    if (this.events.length >= this.maxEvents) {
      throw new SimError('SIM_LIMIT_EXCEEDED', { what: 'trace events', limit: this.maxEvents });
    }
    const event: TraceEvent = Object.freeze({
      seq: this.nextSeq, tick, source, type, data: JSON.parse(canonicalJson(data)) as Json,
    });
    this.events.push(event);
    this.nextSeq++;
    this.lastTick = tick;
    return event;
  }

  all(): readonly TraceEvent[] {
    return this.events;
  }

  toJsonl(): string {
    return this.events.map((event) => canonicalJson(event)).join('\n')
      + (this.events.length ? '\n' : '');
  }

  /** SHA-256 of the JSONL form: two runs with the same seed must give the same hash. */
  hash(): string {
    return toHex(sha256(new TextEncoder().encode(this.toJsonl())));
  }
}

/** Parses JSONL back into events; bad lines get a clear error naming the line. */
export function parseTraceJsonl(text: string): TraceEvent[] {
  const out: TraceEvent[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.trim() === '') continue;
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch (error) {
      if (!(error instanceof SyntaxError)) throw error;
      throw new SimError('SIM_BAD_TRACE', { line: i + 1 }, `trace line ${i + 1} is not JSON`);
    }
    const event = parsed as Partial<TraceEvent>;
    if (typeof event.seq !== 'number' || typeof event.tick !== 'number'
      || typeof event.type !== 'string' || typeof event.source !== 'string') {
      throw new SimError('SIM_BAD_TRACE', { line: i + 1 },
        `trace line ${i + 1} is not a trace event`);
    }
    out.push(event as TraceEvent);
  }
  return out;
}
