/**
 * Goal: the lexical layer of policy text (models/policy/policy-syntax.ts) tokenises, parses and
 * rejects exactly as documented: positions are 1-based line:column, every problem is one
 * POLICY_PARSE (or POLICY_UNSUPPORTED) error whose message names the place and the problem.
 * Method: small hand-written texts whose token positions and error positions are counted by hand
 * in the text (written next to each case); expected messages are the documented wording.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  MAX_NESTING_DEPTH, MAX_TEXT_CHARS, TokenStream, describeNode, describeToken, nodeToJson,
  parseJsonText, tokenize, type SyntaxDialect, type Token,
} from '../../models/policy/policy-syntax.js';
import { failure } from '../support/failure.js';
import { parseError, rego } from './syntax-support.js';

/** kind:text@line:column of each token, eof included. */
function lex(text: string, dialect: SyntaxDialect = 'rego'): string[] {
  return tokenize(text, dialect).map((t) => `${t.kind}:${t.text}@${t.pos.line}:${t.pos.column}`);
}

test('policy/syntax: spaces, tabs, CR and newlines only move the position', () => {
  assert.equal(lex('a\tb\r\n  c\n\nd'), ['ident:a@1:1', 'ident:b@1:3', 'ident:c@2:3',
    'ident:d@4:1', 'eof:@4:2']);
  assert.equal(lex(''), ['eof:@1:1']);
  assert.equal(lex(' \n '), ['eof:@2:2']);
});

test('policy/syntax: # starts a comment to the end of the line in Rego and is an error in JSON',
    () => {
  assert.equal(lex('a # b c\nd'), ['ident:a@1:1', 'ident:d@2:1', 'eof:@2:2']);
  assert.equal(lex('# only'), ['eof:@1:7']);
  parseError(() => tokenize('[#]', 'json'), 1, 2, "unexpected character '#'");
});

test('policy/syntax: := is one token in Rego; in JSON it is a colon then an equals sign', () => {
  assert.equal(lex('x := 1'), ['ident:x@1:1', 'punct::=@1:3', 'number:1@1:6', 'eof:@1:7']);
  assert.equal(lex('x:=1', 'json'), ['ident:x@1:1', 'punct::@1:2', 'punct:=@1:3',
    'number:1@1:4', 'eof:@1:5']);
  assert.equal(lex('x: 1'), ['ident:x@1:1', 'punct::@1:2', 'number:1@1:4', 'eof:@1:5']);
  assert.equal(lex('{}[](),:=.;').length, 11);   // ten one-character punctuations and :=, then eof
});

test('policy/syntax: every punctuation character is its own token', () => {
  assert.equal(tokenize('{}[](),:.;=', 'json').map((t) => `${t.kind}${t.text}`),
    ['punct{', 'punct}', 'punct[', 'punct]', 'punct(', 'punct)', 'punct,', 'punct:', 'punct.',
      'punct;', 'punct=', 'eof']);
});

test('policy/syntax: double-quoted strings decode JSON escapes and keep their raw text', () => {
  const [token] = tokenize('"a\\"b\\n\\u0041"', 'json');
  assert.is(token!.kind, 'string');
  assert.is(token!.value, 'a"b\nA');
  assert.is(token!.text, '"a\\"b\\n\\u0041"');
  assert.equal(lex('"x" "y"'), ['string:"x"@1:1', 'string:"y"@1:5', 'eof:@1:8']);
  assert.is(tokenize('" "', 'json')[0]!.value, ' ');
  assert.is(tokenize('"~"', 'json')[0]!.value, '~');
});

test('policy/syntax: a string left open is an error at its opening quote', () => {
  parseError(() => tokenize('x "abc\n"', 'rego'), 1, 3,
    'string is not closed before the end of the line');
  parseError(() => tokenize('\n  "abc', 'rego'), 2, 3,
    'string is not closed before the end of the input');
  parseError(() => tokenize('"ab\\"', 'json'), 1, 1,
    'string is not closed before the end of the input');
});

test('policy/syntax: a control character or a bad escape inside a string is an error', () => {
  parseError(() => tokenize('  "a\tb"', 'json'), 1, 3, 'control character inside a string');
  parseError(() => tokenize('"a\u001fb"', 'json'), 1, 1, 'control character inside a string');
  parseError(() => tokenize('"a\\qb"', 'json'), 1, 1, 'bad escape in string "a\\qb"');
  const long = `"${'x'.repeat(70)}\\q"`;
  parseError(() => tokenize(long, 'json'), 1, 1, `bad escape in string ${long.slice(0, 60)}`);
});

test('policy/syntax: raw strings are Rego only, keep backslashes and count their newlines', () => {
  assert.equal(lex('`a\\n`'), ['string:`a\\n`@1:1', 'eof:@1:6']);
  assert.is(tokenize('`a\\n`', 'rego')[0]!.value, 'a\\n');
  assert.equal(lex('`a\nbc\nd` x'), ['string:`a\nbc\nd`@1:1', 'ident:x@3:4', 'eof:@3:5']);
  parseError(() => tokenize('x `abc', 'rego'), 1, 3, 'raw string `...` is not closed');
  parseError(() => tokenize('`a`', 'json'), 1, 1, "unexpected character '`'");
});

test('policy/syntax: numbers are JSON numbers; a lone minus is an error', () => {
  assert.equal(lex('-0 12 3.25 1e5 -2E-3 7e+1'), ['number:-0@1:1', 'number:12@1:4',
    'number:3.25@1:7', 'number:1e5@1:12', 'number:-2E-3@1:16', 'number:7e+1@1:22',
    'eof:@1:26']);
  assert.equal(lex('012'), ['number:0@1:1', 'number:12@1:2', 'eof:@1:4']);
  parseError(() => tokenize(' -x', 'rego'), 1, 2, "'-' does not start a number");
  const digits = '9'.repeat(450);
  assert.equal(tokenize(digits, 'json').map((t) => t.text.length), [400, 50, 0]);
});

test('policy/syntax: names are [A-Za-z_][A-Za-z0-9_]* and other characters are errors', () => {
  assert.equal(lex('_a9 Zz'), ['ident:_a9@1:1', 'ident:Zz@1:5', 'eof:@1:7']);
  parseError(() => tokenize('a-b', 'rego'), 1, 2, "'-' does not start a number");
  parseError(() => tokenize('a |', 'rego'), 1, 3, "unexpected character '|'");
  parseError(() => tokenize('~', 'rego'), 1, 1, "unexpected character '~'");
  parseError(() => tokenize('a\u007f', 'rego'), 1, 2, 'unexpected character U+007F');
  parseError(() => tokenize('\u0001', 'rego'), 1, 1, 'unexpected character U+0001');
  parseError(() => tokenize('\u00e9', 'rego'), 1, 1, 'unexpected character U+00E9');
});

test('policy/syntax: @@NAME@@ is a placeholder token; a lone @ is an error', () => {
  assert.equal(lex('x @@A_1@@ y'), ['ident:x@1:1', 'placeholder:@@A_1@@@1:3', 'ident:y@1:11',
    'eof:@1:12']);
  parseError(() => tokenize('@@ x', 'rego'), 1, 1, "unexpected character '@'");
  parseError(() => tokenize('@a', 'rego'), 1, 1, "unexpected character '@'");
});

test('policy/syntax: text longer than the limit is refused before it is read', () => {
  const error = failure(() => tokenize(' '.repeat(MAX_TEXT_CHARS + 1), 'json'));
  assert.is(error.message, `POLICY_PARSE: 1:1: policy text of ${MAX_TEXT_CHARS + 1} characters `
    + `is larger than the ${MAX_TEXT_CHARS} limit`);
  assert.equal(error.detail, { line: 1, column: 1, chars: MAX_TEXT_CHARS + 1 });
  assert.is(MAX_TEXT_CHARS, 16 * 1024 * 1024);
  assert.equal(lex(' '.repeat(MAX_TEXT_CHARS), 'json'), [`eof:@1:${MAX_TEXT_CHARS + 1}`]);
});

test('policy/syntax: a token stream stays on eof and knows the previous token', () => {
  const stream = new TokenStream(tokenize('a b', 'rego'), 'rego');
  assert.is(stream.previous(), undefined);
  assert.is(stream.peek(1).text, 'b');
  assert.is(stream.peek(5).kind, 'eof');
  assert.is(stream.next().text, 'a');
  assert.is(stream.previous()!.text, 'a');
  assert.is(stream.next().text, 'b');
  assert.is(stream.next().kind, 'eof');
  assert.is(stream.next().kind, 'eof');
  assert.is(stream.previous()!.text, 'b');
  assert.ok(!stream.isPunct('('));
});

test('policy/syntax: expectPunct names what it wanted and what it found', () => {
  const stream = new TokenStream(tokenize('x', 'rego'), 'rego');
  parseError(() => stream.expectPunct('(', 'to start'), 1, 1, "expected '(' to start, found 'x'");
  const other = new TokenStream(tokenize(')', 'rego'), 'rego');
  parseError(() => other.expectPunct('(', 'here'), 1, 1, "expected '(' here, found ')'");
});

test('policy/syntax: tokens are described by kind, long ones cut at 40 characters', () => {
  const token = (kind: Token['kind'], text: string): Token =>
    ({ kind, text, value: text, pos: { line: 1, column: 1 } });
  assert.is(describeToken(token('eof', '')), 'the end of the input');
  assert.is(describeToken(token('string', `"${'s'.repeat(50)}"`)), `string "${'s'.repeat(39)}`);
  assert.is(describeToken(token('placeholder', '@@P@@')), 'template placeholder @@P@@');
  assert.is(describeToken(token('ident', 'n'.repeat(45))), `'${'n'.repeat(40)}'`);
  assert.is(describeToken(token('punct', ':=')), "':='");
});

test('policy/syntax: values parse to nodes with the position of their first token', () => {
  const node = rego('{\n  "a": [1, true, false, null, "s"],\n  "b": {}\n}');
  assert.equal(nodeToJson(node), { a: [1, true, false, null, 's'], b: {} });
  assert.equal(node.pos, { line: 1, column: 1 });
  assert.is(node.kind, 'object');
  if (node.kind !== 'object') return;
  assert.equal(node.entries.map((e) => [e.key, e.keyPos.line, e.keyPos.column, e.value.pos.line,
    e.value.pos.column]), [['a', 2, 3, 2, 8], ['b', 3, 3, 3, 8]]);
  const array = node.entries[0]!.value;
  assert.ok(array.kind === 'array' && array.items[1]!.kind === 'boolean'
    && array.items[1]!.value && array.items[2]!.kind === 'boolean' && !array.items[2]!.value);
  assert.equal(rego('2.5'), { kind: 'number', value: 2.5, text: '2.5', pos: { line: 1,
    column: 1 } });
});

test('policy/syntax: Rego allows trailing commas; JSON does not', () => {
  assert.equal(nodeToJson(rego('[1, 2,]')), [1, 2]);
  assert.equal(nodeToJson(rego('{"a": 1,}')), { a: 1 });
  parseError(() => parseJsonText('[1, 2,]'), 1, 6, 'trailing comma in a JSON array');
  parseError(() => parseJsonText('{"a": 1,}'), 1, 8, 'trailing comma in a JSON object');
  assert.equal(nodeToJson(parseJsonText('[1, [2], {"c": [3]}]')), [1, [2], { c: [3] }]);
});

test('policy/syntax: unclosed arrays and objects name where they were opened', () => {
  parseError(() => parseJsonText('[1,\n[2'), 2, 3, 'expected \',\' or \']\' in the array opened '
    + 'at 2:1, found the end of the input');
  parseError(() => parseJsonText(' [1,'), 1, 5, 'array opened at 1:2 is not closed');
  parseError(() => parseJsonText('[1 2]'), 1, 4,
    "expected ',' or ']' in the array opened at 1:1, found '2'");
  parseError(() => parseJsonText('{"a": 1,'), 1, 9, 'object opened at 1:1 is not closed');
  parseError(() => parseJsonText('{"a": 1 "b": 2}'), 1, 9,
    'expected \',\' or \'}\' in the object opened at 1:1, found string "b"');
  parseError(() => parseJsonText('{"a" 1}'), 1, 6, 'expected \':\' after the key "a", found \'1\'');
  parseError(() => parseJsonText('\n {1: 2}'), 2, 3,
    "expected a string key in the object opened at 2:2, found '1'");
});

test('policy/syntax: a key written twice in one object is an error at the second one', () => {
  parseError(() => parseJsonText('{"k": 1,\n "j": 2, "k": 3}'), 2, 10,
    'key "k" appears twice in one object (first at 1:2)');
  assert.equal(nodeToJson(parseJsonText('[{"k": 1}, {"k": 2}]')), [{ k: 1 }, { k: 2 }]);
});

test('policy/syntax: placeholders where a value or key belongs are templates', () => {
  for (const [text, column] of [['[@@V@@]', 2], ['{@@K@@: 1}', 2]] as const) {
    const error = failure(() => parseJsonText(text));
    assert.is(error.code, 'POLICY_UNSUPPORTED');
    assert.equal(error.detail, { line: 1, column, placeholder: text.slice(column - 1,
      column + 4), construct: 'template' });
    assert.is(error.message, `POLICY_UNSUPPORTED: 1:${column}: this is a template, not a policy: `
      + `placeholder ${text.slice(column - 1, column + 4)} must be substituted before use`);
  }
});

test('policy/syntax: nesting deeper than the limit is refused, the limit itself is not', () => {
  assert.is(MAX_NESTING_DEPTH, 64);
  // The outermost value is at depth 0: 65 nested arrays put the innermost at depth 64.
  const ok = '['.repeat(MAX_NESTING_DEPTH + 1) + ']'.repeat(MAX_NESTING_DEPTH + 1);
  assert.is(parseJsonText(ok).kind, 'array');
  const deep = '['.repeat(MAX_NESTING_DEPTH + 2) + ']'.repeat(MAX_NESTING_DEPTH + 2);
  parseError(() => parseJsonText(deep), 1, MAX_NESTING_DEPTH + 2, 'values nested deeper than 64');
  const objects = '{"a":'.repeat(MAX_NESTING_DEPTH + 1) + '1' + '}'.repeat(MAX_NESTING_DEPTH + 1);
  parseError(() => parseJsonText(objects), 1, 5 * (MAX_NESTING_DEPTH + 1) + 1,
    'values nested deeper than 64');
  const calls = 'f('.repeat(MAX_NESTING_DEPTH + 1) + '1' + ')'.repeat(MAX_NESTING_DEPTH + 1);
  parseError(() => rego(calls), 1, 2 * (MAX_NESTING_DEPTH + 1) + 1,
    'values nested deeper than 64');
});

test('policy/syntax: numbers out of the double range are errors; names are not values in JSON',
    () => {
  parseError(() => parseJsonText('[1e400]'), 1, 2, 'number 1e400 is out of range');
  parseError(() => parseJsonText('[-1e400]'), 1, 2, 'number -1e400 is out of range');
  parseError(() => parseJsonText('[yes]'), 1, 2, "expected a value, found 'yes'");
  parseError(() => parseJsonText(']'), 1, 1, "expected a value, found ']'");
  parseError(() => parseJsonText('1 2'), 1, 3, "unexpected '2' after the JSON value");
  parseError(() => parseJsonText(''), 1, 1, 'expected a value, found the end of the input');
  assert.equal(nodeToJson(parseJsonText(' true ')), true);
});

test('policy/syntax: Rego references and calls parse with their dotted path', () => {
  assert.equal(rego('data.framework.errors'), { kind: 'ref',
    path: ['data', 'framework', 'errors'], pos: { line: 1, column: 1 } });
  const call = rego('f.g("a", [1],)');
  assert.is(call.kind, 'call');
  if (call.kind !== 'call') return;
  assert.is(call.name, 'f.g');
  assert.equal(call.args.map(nodeToJson), ['a', [1]]);
  assert.equal(rego('h()'), { kind: 'call', name: 'h', args: [], pos: { line: 1, column: 1 } });
  parseError(() => rego('data.1'), 1, 6, "expected a name after '.', found '1'");
  parseError(() => rego('f.g(1 2)'), 1, 7, "expected ',' or ')' in the call of f.g, found '2'");
  parseError(() => rego('f(1'), 1, 4, "expected ',' or ')' in the call of f, found the end of "
    + 'the input');
});

test('policy/syntax: plain data of references and calls is refused with their place', () => {
  const ref = failure(() => nodeToJson(rego('\n  data.x')));
  assert.is(ref.code, 'POLICY_UNSUPPORTED');
  assert.equal(ref.detail, { line: 2, column: 3, ref: 'data.x' });
  assert.is(ref.message, 'POLICY_UNSUPPORTED: 2:3: reference data.x where a constant value is '
    + 'needed');
  const call = failure(() => nodeToJson(rego('[parameter("p")]')));
  assert.is(call.code, 'POLICY_UNSUPPORTED');
  assert.equal(call.detail, { line: 1, column: 2, call: 'parameter' });
  assert.is(call.message, 'POLICY_UNSUPPORTED: 1:2: call parameter(...) where a constant value '
    + 'is needed');
});

test('policy/syntax: nodes are described by kind and value for messages', () => {
  assert.is(describeNode(rego('null')), 'null');
  assert.is(describeNode(rego('true')), 'boolean true');
  assert.is(describeNode(rego('false')), 'boolean false');
  assert.is(describeNode(rego('1.50')), 'number 1.50');
  assert.is(describeNode(rego(`"${'q'.repeat(45)}"`)), `string "${'q'.repeat(40)}"`);
  assert.is(describeNode(rego('"a\\"b"')), 'string "a\\"b"');
  assert.is(describeNode(rego('[]')), 'an array');
  assert.is(describeNode(rego('{}')), 'an object');
  assert.is(describeNode(rego('a.b')), 'reference a.b');
  assert.is(describeNode(rego('a.b(1)')), 'call a.b(...)');
});

test.run();
