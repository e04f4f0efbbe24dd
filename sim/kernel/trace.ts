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

export class Trace {
  private readonly events: TraceEvent[] = [];

  constructor(readonly maxEvents = 1_000_000) {
    assert(Number.isSafeInteger(maxEvents) && maxEvents > 0);
  }

  emit(tick: number, source: TraceSource, type: string, data: unknown = {}): TraceEvent {
    const last = this.events[this.events.length - 1];
    if (last !== undefined) assert(tick >= last.tick, 'trace: time went backwards');
    if (this.events.length >= this.maxEvents) {
      throw new SimError('SIM_LIMIT_EXCEEDED', { what: 'trace events', limit: this.maxEvents });
    }
    const event: TraceEvent = Object.freeze({
      seq: this.events.length, tick, source, type, data: JSON.parse(canonicalJson(data)) as Json,
    });
    this.events.push(event);
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
    } catch {
      throw new SimError('SIM_USAGE', { line: i + 1 }, `trace line ${i + 1} is not JSON`);
    }
    const event = parsed as Partial<TraceEvent>;
    if (typeof event.seq !== 'number' || typeof event.tick !== 'number'
      || typeof event.type !== 'string' || typeof event.source !== 'string') {
      throw new SimError('SIM_USAGE', { line: i + 1 }, `trace line ${i + 1} is not a trace event`);
    }
    out.push(event as TraceEvent);
  }
  return out;
}
