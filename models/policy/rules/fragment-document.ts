/**
 * Models: the data of a loaded fragment module (data[namespace].svn, framework_version,
 * containers, fragments, external_processes) as load_fragment's second call reads it.
 * Real counterpart: the fragment's Rego module, after the Go side verified its COSE_Sign1 envelope.
 * Differs: objects must already be normalised by the fragment's own framework_version (the
 *   compatibility shim is the importer's); this module only validates their shape.
 * Invariants: hostile JSON gets POLICY_BAD_INPUT naming the field, never a crash.
 */
import { bad } from '../input-shapes.js';
import { ShapeReader } from '../shape-reader.js';
import type {
  ExternalProcess, FragmentReference, PolicyContainer,
} from '../policy-model.js';

export type FragmentDocument = Readonly<{
  svn: string | number | null;
  framework_version: string | null;
  containers: readonly PolicyContainer[];
  fragments: readonly FragmentReference[];
  external_processes: readonly ExternalProcess[];
}>;

const RULE = 'load_fragment';
const read = new ShapeReader((field, problem) => bad(RULE, field, problem));

export function parseFragmentDocument(field: string, v: unknown): FragmentDocument {
  const o = read.object(field, v);
  const svn = o['svn'] ?? null;
  const fw = o['framework_version'] ?? null;
  return {
    svn: svn === null ? null : read.svn(`${field}.svn`, svn),
    framework_version: fw === null ? null : read.string(`${field}.framework_version`, fw),
    containers: read.list(`${field}.containers`, o['containers'], (p, x) => read.container(p, x)),
    fragments: read.list(`${field}.fragments`, o['fragments'],
      (p, x) => read.fragmentReference(p, x)),
    external_processes: read.list(`${field}.external_processes`, o['external_processes'],
      (p, x) => read.externalProcess(p, x)),
  };
}

/**
 * The data of an imported fragment module (importer output for a `package <name>` text that
 * carries svn / framework_version / containers ...): what load_fragment's second call reads.
 */
export function fragmentDocumentFromPolicy(
  fragment: Readonly<{ svn: string | number | null; framework_version: string }> &
    Pick<FragmentDocument, 'containers' | 'fragments' | 'external_processes'>,
): FragmentDocument {
  return {
    svn: fragment.svn,
    framework_version: fragment.framework_version === '' ? null : fragment.framework_version,
    containers: fragment.containers, fragments: fragment.fragments,
      external_processes: fragment.external_processes,
  };
}
