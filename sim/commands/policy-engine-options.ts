/**
 * Models: nothing real. The engine options `policy eval` and `policy simulate` share:
 * `--dialect head|v0.14.1`, `--null-command framework|empty-argv` and `--metadata FILE`.
 */
import { SimError } from '../kernel/errors.js';
import {
  POLICY_DIALECTS, decodePolicyMetadata, initialMetadata, type NullCommandReading,
    type PolicyDialect, type PolicyMetadata,
} from '../index.js';
import { readJson } from './policy-args.js';

export const ENGINE_OPTIONS_USAGE = '[--metadata METADATA.json] [--dialect head|v0.14.1] '
  + '[--null-command framework|empty-argv]';

export function parseDialect(value: string | undefined, usage: string): PolicyDialect {
  if (value === undefined) return 'head';
  const dialect = POLICY_DIALECTS.find((d) => d === value);
  if (dialect === undefined) {
    throw new SimError('SIM_USAGE', { dialect: value },
      `--dialect must be ${POLICY_DIALECTS.join(' or ')}\n${usage}`);
  }
  return dialect;
}

export function parseNullCommand(value: string | undefined, usage: string): NullCommandReading {
  if (value === undefined || value === 'framework') return 'framework';
  if (value === 'empty-argv') return 'empty-argv';
  throw new SimError('SIM_USAGE', { nullCommand: value },
    `--null-command must be framework or empty-argv\n${usage}`);
}

/** The starting metadata: the dialect's initial one, or FILE decoded (POLICY_BAD_METADATA). */
export function readMetadata(file: string | undefined, dialect: PolicyDialect): PolicyMetadata {
  if (file === undefined) return initialMetadata(dialect);
  const json = readJson(file, 'metadata');
  try {
    return decodePolicyMetadata(json, dialect);
  } catch (error) {
    if (!(error instanceof SimError) || error.code !== 'POLICY_BAD_METADATA') throw error;
    throw new SimError(error.code, { file, ...error.detail },
      `${file}: ${error.message.slice(error.code.length + 2)}`);
  }
}
