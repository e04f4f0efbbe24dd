/**
 * Goal: traces are canonical (same events → same JSONL and hash), ordered in time, bounded, and
 * parse back; the virtual clock never goes backwards.
 * Method: emit small traces by hand and compare.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { AssertionError } from '../../sim/kernel/assert.js';
import { canonicalJson } from '../../sim/kernel/canonical-json.js';
import { VirtualClock } from '../../sim/kernel/clock.js';
import { errorCode } from '../../sim/kernel/errors.js';
import { Trace, parseTraceJsonl } from '../../sim/kernel/trace.js';

test('kernel/canonical-json: key order does not change the text', () => {
  assert.is(canonicalJson({ b: 1, a: { d: 2, c: 3 } }), canonicalJson({ a: { c: 3, d: 2 }, b: 1 }));
});

test('kernel/canonical-json: bigint and bytes become hex strings', () => {
  assert.is(canonicalJson({ x: 255n, y: new Uint8Array([1, 171]) }), '{"x":"0xff","y":"01ab"}');
});

test('kernel/trace: two equal traces have the same hash; a different payload changes it', () => {
  const make = (value: number): Trace => {
    const trace = new Trace();
    trace.emit(0, 'host', 'mount_device', { target: '/run/mounts/scsi/m1', value });
    trace.emit(5, 'guest', 'mounted', {});
    return trace;
  };
  assert.is(make(1).hash(), make(1).hash());
  assert.is.not(make(1).hash(), make(2).hash());
});

test('kernel/trace: JSONL parses back to the same events', () => {
  const trace = new Trace();
  trace.emit(1, 'snp', 'report', { vmpl: 0 });
  trace.emit(2, 'verifier', 'verdict', { ok: true });
  assert.equal(parseTraceJsonl(trace.toJsonl()), trace.all().map((e) => ({ ...e })));
});

test('kernel/trace: an event earlier than the last one is our bug (assertion)', () => {
  const trace = new Trace();
  trace.emit(10, 'sim', 'a');
  assert.throws(() => trace.emit(9, 'sim', 'b'), (e: unknown) => e instanceof AssertionError);
});

test('kernel/trace: going past maxEvents throws SIM_LIMIT_EXCEEDED', () => {
  const trace = new Trace(2);
  trace.emit(0, 'sim', 'a');
  trace.emit(0, 'sim', 'b');
  assert.is(errorCode(() => trace.emit(0, 'sim', 'c')), 'SIM_LIMIT_EXCEEDED');
});

test('kernel/trace: a line that is not an event is refused with its line number', () => {
  assert.is(errorCode(() => parseTraceJsonl('{"seq":0}\n')), 'SIM_BAD_TRACE');
});

test('kernel/clock: advance moves forward and negative steps are refused', () => {
  const clock = new VirtualClock();
  assert.is(clock.advance(5), 5);
  assert.throws(() => clock.advance(-1), (e: unknown) => e instanceof AssertionError);
  assert.is(VirtualClock.toDate(0).toISOString(), '2026-01-01T00:00:00.000Z');
});


test('kernel/canonical-json: a "__proto__" key survives as data', () => {
  const value = JSON.parse('{"matches": {"__proto__": ["c1"]}}') as unknown;
  assert.is(canonicalJson(value), '{"matches":{"__proto__":["c1"]}}');
});

test.run();
