/**
 * Models: the lexical layer of policy text: the value syntax shared by the data part of a Rego
 * module (OPA's Rego grammar: JSON-like terms, raw `...` strings, trailing commas, `#` comments,
 * references such as `data.framework.mount_device`, calls) and strict JSON (RFC 8259).
 * Real counterpart: the OPA parser (github.com/open-policy-agent/opa/ast) for the subset that
 * `az confcom` and hcsshim write, and Go's encoding/json for JSON policies.
 * Differs: only terms, no operators, comprehensions or sets; every value keeps its line:column so
 * that a bad field can be reported where it is written.
 * Invariants: a ValueNode's position points into the text it came from (1-based line and column,
 * columns in UTF-16 code units); anything not understood is a SimError('POLICY_PARSE') with
 * detail.line and detail.column, never a silent skip.
 */
import { assert } from '../../sim/kernel/assert.js';
import { SimError } from '../../sim/kernel/errors.js';
import type { Json } from '../../sim/kernel/canonical-json.js';

export type TextPosition = Readonly<{ line: number; column: number }>;

export type ValueNode =
  | Readonly<{ kind: 'null'; pos: TextPosition }>
  | Readonly<{ kind: 'boolean'; value: boolean; pos: TextPosition }>
  | Readonly<{ kind: 'number'; value: number; text: string; pos: TextPosition }>
  | Readonly<{ kind: 'string'; value: string; pos: TextPosition }>
  | Readonly<{ kind: 'array'; items: readonly ValueNode[]; pos: TextPosition }>
  | Readonly<{ kind: 'object'; entries: readonly ObjectEntry[]; pos: TextPosition }>
  /** A Rego reference such as `data.framework.errors` or `input.envList`. */
  | Readonly<{ kind: 'ref'; path: readonly string[]; pos: TextPosition }>
  /** A Rego call such as `parameter("env_param")` (fw 0.5.0 fragment parameters). */
  | Readonly<{ kind: 'call'; name: string; args: readonly ValueNode[]; pos: TextPosition }>;

export type ObjectEntry = Readonly<{ key: string; keyPos: TextPosition; value: ValueNode }>;

export type TokenKind = 'ident' | 'string' | 'number' | 'punct' | 'placeholder' | 'eof';

export type Token = Readonly<{ kind: TokenKind; text: string; value: string; pos: TextPosition }>;

/** `rego`: comments, raw strings, references, trailing commas. `json`: RFC 8259 only. */
export type SyntaxDialect = 'rego' | 'json';

/** Upper bounds, so hostile text cannot make the parser recurse or loop without end. */
export const MAX_NESTING_DEPTH = 64;
export const MAX_TEXT_CHARS = 16 * 1024 * 1024;

const PUNCTUATION = ['{', '}', '[', ']', '(', ')', ',', ':', '=', '.', ';'] as const;

/** Throws the one error every syntax problem becomes. */
export function syntaxError(pos: TextPosition, message: string, extra: Record<string,
    unknown> = {}): never {
  throw new SimError('POLICY_PARSE', { line: pos.line, column: pos.column, ...extra },
    `${pos.line}:${pos.column}: ${message}`);
}

/** A `@@NAME@@` placeholder: the text is a template (hcsshim test policies, confcom includes). */
export function templatePlaceholder(token: Token): never {
  assert(token.kind === 'placeholder');
  throw new SimError('POLICY_UNSUPPORTED',
    { line: token.pos.line, column: token.pos.column, placeholder: token.text,
      construct: 'template' },
    `${token.pos.line}:${token.pos.column}: this is a template, not a policy: placeholder `
      + `${token.text} ` +
    'must be substituted before use');
}

/** Splits text into tokens; `:=` is one token. Newlines only advance the position. */
export function tokenize(text: string, dialect: SyntaxDialect): Token[] {
  if (text.length > MAX_TEXT_CHARS) {
    throw new SimError('POLICY_PARSE', { line: 1, column: 1, chars: text.length },
      `1:1: policy text of ${text.length} characters is larger than the ${MAX_TEXT_CHARS} limit`);
  }
  const tokens: Token[] = [];
  let index = 0;
  let line = 1;
  let lineStart = 0;
  const here = (): TextPosition => ({ line, column: index - lineStart + 1 });
  while (index < text.length) {
    const char = text[index]!;
    if (char === '\n') { index++; line++; lineStart = index; continue; }
    if (char === ' ' || char === '\t' || char === '\r') { index++; continue; }
    const pos = here();
    if (char === '#' && dialect === 'rego') {
      while (index < text.length && text[index] !== '\n') index++;
      continue;
    }
    if (char === '"') {
      const end = scanQuoted(text, index, pos);
      const raw = text.slice(index, end);
      tokens.push({ kind: 'string', text: raw, value: decodeQuoted(raw, pos), pos });
      index = end;
      continue;
    }
    if (char === '`' && dialect === 'rego') {
      const end = text.indexOf('`', index + 1);
      if (end < 0) syntaxError(pos, 'raw string `...` is not closed');
      const raw = text.slice(index, end + 1);
      tokens.push({ kind: 'string', text: raw, value: raw.slice(1, -1), pos });
      const lastNewline = raw.lastIndexOf('\n');
      if (lastNewline !== -1) {
        line += raw.split('\n').length - 1;
        lineStart = index + lastNewline + 1;
      }
      index = end + 1;
      continue;
    }
    if (char === '-' || (char >= '0' && char <= '9')) {
      const match = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/.exec(text.slice(index, index
        + 400));
      if (match === null) syntaxError(pos, `'${char}' does not start a number`);
      tokens.push({ kind: 'number', text: match[0], value: match[0], pos });
      index += match[0].length;
      continue;
    }
    if (/[A-Za-z_]/.test(char)) {
      const match = /^[A-Za-z_][A-Za-z0-9_]*/.exec(text.slice(index, index + 400))!;
      tokens.push({ kind: 'ident', text: match[0], value: match[0], pos });
      index += match[0].length;
      continue;
    }
    // Stryker disable next-line ConditionalExpression: a guard that only saves the regex below
    if (char === '@') {
      const match = /^@@[A-Za-z0-9_]+@@/.exec(text.slice(index, index + 200));
      if (match !== null) {
        tokens.push({ kind: 'placeholder', text: match[0], value: match[0], pos });
        index += match[0].length;
        continue;
      }
    }
    if (char === ':' && text[index + 1] === '=' && dialect === 'rego') {
      tokens.push({ kind: 'punct', text: ':=', value: ':=', pos });
      index += 2;
      continue;
    }
    if ((PUNCTUATION as readonly string[]).includes(char)) {
      tokens.push({ kind: 'punct', text: char, value: char, pos });
      index++;
      continue;
    }
    syntaxError(pos, `unexpected character ${describeChar(char)}`);
  }
  tokens.push({ kind: 'eof', text: '', value: '', pos: here() });
  assert(tokens.length >= 1);
  assert(tokens[tokens.length - 1]!.kind === 'eof');
  return tokens;
}

function describeChar(char: string): string {
  const code = char.codePointAt(0)!;
  const printable = code < 0x7f && code >= 0x20;
  return printable ? `'${char}'` : `U+${code.toString(16).toUpperCase().padStart(4, '0')}`;
}

/** Index just past the closing quote of the string starting at `start`. */
function scanQuoted(text: string, start: number, pos: TextPosition): number {
  let index = start + 1;
  while (index < text.length) {
    const char = text[index]!;
    if (char === '"') return index + 1;
    if (char === '\\') { index += 2; continue; }
    if (char === '\n') syntaxError(pos, 'string is not closed before the end of the line');
    index++;
  }
  return syntaxError(pos, 'string is not closed before the end of the input');
}

function decodeQuoted(raw: string, pos: TextPosition): string {
  assert(raw.startsWith('"'));
  // JSON.parse refuses these too, but its message would blame an escape.
  if (/[\u0000-\u001f]/.test(raw)) syntaxError(pos, 'control character inside a string');
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch (error) {
    // `raw` is one quoted token (scanQuoted): JSON.parse of it throws only a SyntaxError.
    // Stryker disable next-line ConditionalExpression: no other error reaches here (see above)
    if (!(error instanceof SyntaxError)) throw error;
    return syntaxError(pos, `bad escape in string ${raw.slice(0, 60)}`);
  }
  assert(typeof value === 'string');
  return value;
}

/** A cursor over tokens with the helpers every parser here needs. */
export class TokenStream {
  private index = 0;
  constructor(readonly tokens: readonly Token[], readonly dialect: SyntaxDialect) {
    assert(tokens.length >= 1);
    assert(tokens[tokens.length - 1]!.kind === 'eof');
  }

  peek(offset = 0): Token {
    return this.tokens[Math.min(this.index + offset, this.tokens.length - 1)]!;
  }

  next(): Token {
    const token = this.peek();
    if (this.index < this.tokens.length - 1) this.index++;
    return token;
  }

  /** The token before the current one (for "after X" messages). */
  previous(): Token | undefined {
    return this.tokens[this.index - 1];   // index -1 reads undefined: no token before the first
  }

  isPunct(text: string, offset = 0): boolean {
    const token = this.peek(offset);
    return token.kind === 'punct' && token.text === text;
  }

  expectPunct(text: string, context: string): Token {
    const token = this.peek();
    if (!this.isPunct(text)) {
      syntaxError(token.pos, `expected '${text}' ${context}, found ${describeToken(token)}`);
    }
    return this.next();
  }
}

export function describeToken(token: Token): string {
  if (token.kind === 'eof') return 'the end of the input';
  if (token.kind === 'string') return `string ${token.text.slice(0, 40)}`;
  if (token.kind === 'placeholder') return `template placeholder ${token.text}`;
  return `'${token.text.slice(0, 40)}'`;
}

/** Parses one value (a Rego term or a JSON value) at the stream's position. */
export function parseValue(stream: TokenStream, depth = 0): ValueNode {
  const token = stream.peek();
  if (depth > MAX_NESTING_DEPTH) {
    syntaxError(token.pos, `values nested deeper than ${MAX_NESTING_DEPTH}`);
  }
  if (token.kind === 'string') { stream.next(); return { kind: 'string', value: token.value,
    pos: token.pos }; }
  if (token.kind === 'number') return parseNumber(stream.next());
  if (stream.isPunct('[')) return parseArray(stream, depth);
  if (stream.isPunct('{')) return parseObject(stream, depth);
  if (token.kind === 'ident') {
    if (token.text === 'true' || token.text === 'false') {
      stream.next();
      return { kind: 'boolean', value: token.text === 'true', pos: token.pos };
    }
    if (token.text === 'null') { stream.next(); return { kind: 'null', pos: token.pos }; }
    if (stream.dialect === 'rego') return parseRefOrCall(stream, depth);
  }
  if (token.kind === 'placeholder') templatePlaceholder(token);
  return syntaxError(token.pos, `expected a value, found ${describeToken(token)}`);
}

function parseNumber(token: Token): ValueNode {
  assert(token.kind === 'number');
  const value = Number(token.text);
  if (!Number.isFinite(value)) syntaxError(token.pos, `number ${token.text} is out of range`);
  return { kind: 'number', value, text: token.text, pos: token.pos };
}

function parseArray(stream: TokenStream, depth: number): ValueNode {
  const open = stream.next();   // parseValue saw the '['
  assert(open.text === '[');
  const items: ValueNode[] = [];
  while (!stream.isPunct(']')) {
    if (stream.peek().kind === 'eof') {
      syntaxError(stream.peek().pos,
        `array opened at ${open.pos.line}:${open.pos.column} is not closed`);
    }
    items.push(parseValue(stream, depth + 1));
    if (stream.isPunct(',')) {
      const comma = stream.next();
      if (stream.isPunct(']') && stream.dialect === 'json') {
        syntaxError(comma.pos, 'trailing comma in a JSON array');
      }
      continue;
    }
    if (!stream.isPunct(']')) {
      syntaxError(stream.peek().pos, `expected ',' or ']' in the array opened at `
        + `${open.pos.line}:${open.pos.column}, found ${describeToken(stream.peek())}`);
    }
  }
  const close = stream.next();   // the loop ends only at the ']'
  assert(close.pos.line > open.pos.line || close.pos.column > open.pos.column);
  assert(items.length === 0 || items[0]!.pos.line >= open.pos.line);
  return { kind: 'array', items, pos: open.pos };
}

function parseObject(stream: TokenStream, depth: number): ValueNode {
  const open = stream.next();   // parseValue saw the '{'
  assert(open.text === '{');
  const entries: ObjectEntry[] = [];
  const seen = new Map<string, TextPosition>();
  while (!stream.isPunct('}')) {
    const keyToken = stream.next();
    if (keyToken.kind === 'eof') {
      syntaxError(keyToken.pos,
        `object opened at ${open.pos.line}:${open.pos.column} is not closed`);
    }
    if (keyToken.kind !== 'string') {
      if (keyToken.kind === 'placeholder') templatePlaceholder(keyToken);
      syntaxError(keyToken.pos, `expected a string key in the object opened at `
        + `${open.pos.line}:${open.pos.column}, found ${describeToken(keyToken)}`);
    }
    const first = seen.get(keyToken.value);
    if (first !== undefined) {
      syntaxError(keyToken.pos, `key "${keyToken.value}" appears twice in one object (first at `
        + `${first.line}:${first.column})`);
    }
    seen.set(keyToken.value, keyToken.pos);
    stream.expectPunct(':', `after the key "${keyToken.value}"`);
    entries.push({ key: keyToken.value, keyPos: keyToken.pos,
      value: parseValue(stream, depth + 1) });
    if (stream.isPunct(',')) {
      const comma = stream.next();
      if (stream.isPunct('}') && stream.dialect === 'json') {
        syntaxError(comma.pos, 'trailing comma in a JSON object');
      }
      continue;
    }
    if (!stream.isPunct('}')) {
      syntaxError(stream.peek().pos, `expected ',' or '}' in the object opened at `
        + `${open.pos.line}:${open.pos.column}, found ${describeToken(stream.peek())}`);
    }
  }
  const close = stream.next();   // the loop ends only at the '}'
  assert(entries.length === seen.size);
  assert(close.pos.line > open.pos.line || close.pos.column > open.pos.column);
  return { kind: 'object', entries, pos: open.pos };
}

function parseRefOrCall(stream: TokenStream, depth: number): ValueNode {
  const head = stream.next();
  assert(head.kind === 'ident');
  const path = [head.text];
  while (stream.isPunct('.')) {
    stream.next();
    const part = stream.next();
    if (part.kind !== 'ident') {
      syntaxError(part.pos, `expected a name after '.', found ${describeToken(part)}`);
    }
    path.push(part.text);
  }
  if (!stream.isPunct('(')) return { kind: 'ref', path, pos: head.pos };
  stream.next();
  const args: ValueNode[] = [];
  while (!stream.isPunct(')')) {
    args.push(parseValue(stream, depth + 1));
    if (stream.isPunct(',')) { stream.next(); continue; }
    if (!stream.isPunct(')')) {
      syntaxError(stream.peek().pos, `expected ',' or ')' in the call of ${path.join('.')}, found `
        + `${describeToken(stream.peek())}`);
    }
  }
  stream.next();   // the loop ends only at the ')'
  return { kind: 'call', name: path.join('.'), args, pos: head.pos };
}

/** Parses a whole text that must hold exactly one JSON value. */
export function parseJsonText(text: string): ValueNode {
  const stream = new TokenStream(tokenize(text, 'json'), 'json');
  const value = parseValue(stream);
  const rest = stream.peek();
  if (rest.kind !== 'eof') {
    syntaxError(rest.pos, `unexpected ${describeToken(rest)} after the JSON value`);
  }
  return value;
}

/** Plain data of a node; references and calls are the caller's to reject first. */
export function nodeToJson(node: ValueNode): Json {
  switch (node.kind) {
    case 'null': return null;
    case 'boolean':
    case 'number':
    case 'string': return node.value;
    case 'array': return node.items.map(nodeToJson);
    case 'object': {
      const out: Record<string, Json> = {};
      for (const entry of node.entries) out[entry.key] = nodeToJson(entry.value);
      return out;
    }
    case 'ref':
      throw new SimError('POLICY_UNSUPPORTED', { line: node.pos.line, column: node.pos.column,
        ref: node.path.join('.') },
        `${node.pos.line}:${node.pos.column}: reference ${node.path.join('.')} where a constant `
          + `value is needed`);
    case 'call':
      throw new SimError('POLICY_UNSUPPORTED', { line: node.pos.line, column: node.pos.column,
        call: node.name },
        `${node.pos.line}:${node.pos.column}: call ${node.name}(...) where a constant value is `
          + `needed`);
  }
}

/** Describes a node's kind for "expected X, found Y" messages. */
export function describeNode(node: ValueNode): string {
  switch (node.kind) {
    case 'null': return 'null';
    case 'boolean': return `boolean ${node.value}`;
    case 'number': return `number ${node.text}`;
    case 'string': return `string ${JSON.stringify(node.value.slice(0, 40))}`;
    case 'array': return 'an array';
    case 'object': return 'an object';
    case 'ref': return `reference ${node.path.join('.')}`;
    case 'call': return `call ${node.name}(...)`;
  }
}
