/**
 * Goal: the edits a hostile host makes to the shim's own requests, in one place: change one
 * field of a GCS frame (a ModifySettings resource, the Create's OCI spec, an exec's process) and
 * send the rest as the benign host would have. Attacks read as "the benign step, with X changed".
 * Method: a bridge action's JSON body is deep-copied, edited, and put back in a new action;
 * nested JSON strings (ContainerConfig, ProcessParameters) are parsed and re-serialised as the
 * real host does. Builders for whole frames come from models/host/shim.ts.
 * Invariants: an edit never changes the action it was given (actions are shared with the plan);
 * an edit of the wrong kind of frame is an assertion (a scenario bug), not a silent no-op.
 */
import { assert } from '../sim/kernel/assert.js';
import type { Json } from '../sim/kernel/canonical-json.js';
import type { HostAction } from '../models/host/adversary.js';

export type JsonObject = { [key: string]: Json };
type BridgeAction = Extract<HostAction, { kind: 'bridge' }>;

function asBridge(action: HostAction): BridgeAction {
  assert(action.kind === 'bridge', `a bridge frame, not ${action.kind}`);
  return action;
}

/** A deep copy of a bridge frame's JSON body. */
export function bodyOf(action: HostAction): JsonObject {
  const body = structuredClone(asBridge(action).message.message) as Json;
  assert(body !== null && typeof body === 'object' && !Array.isArray(body), 'a JSON object body');
  return body as JsonObject;
}

/** The same frame (type, id) with another body. */
export function withBody(action: HostAction, body: JsonObject): HostAction {
  const bridge = asBridge(action);
  return { kind: 'bridge', message: { ...bridge.message, message: body } };
}

/** Edits `Request.Settings` of a ModifySettings frame. */
export function editSettings(action: HostAction, edit: (settings: JsonObject) => void,
  requestType?: 'Add' | 'Remove'): HostAction {
  const body = bodyOf(action);
  const request = body['Request'] as JsonObject | undefined;
  assert(request !== undefined && typeof request === 'object', 'a ModifySettings frame');
  const settings = request['Settings'] as JsonObject;
  edit(settings);
  if (requestType !== undefined) request['RequestType'] = requestType;
  return withBody(action, body);
}

/** The Create frame's ContainerConfig (a JSON string) as the host builds it. */
export type ContainerConfigJson = {
  OciBundlePath: string;
  ScratchDirPath: string;
  OciSpecification: JsonObject & {
    process: JsonObject & { args: string[]; env: string[]; user: JsonObject;
      capabilities: Record<string, string[]> };
    root: { path: string };
    linux: JsonObject;
    mounts: JsonObject[];
    hostname?: string;
  };
};

/** Edits the OCI spec (and the rest of the ContainerConfig) of a Create frame. */
export function editCreate(action: HostAction,
  edit: (config: ContainerConfigJson) => void): HostAction {
  const body = bodyOf(action);
  assert(typeof body['ContainerConfig'] === 'string', 'a Create frame');
  const config = JSON.parse(body['ContainerConfig']) as ContainerConfigJson;
  edit(config);
  body['ContainerConfig'] = JSON.stringify(config);
  return withBody(action, body);
}

export type ProcessParametersJson = JsonObject & {
  OciProcess?: JsonObject & { args: string[]; env: string[] };
  CommandArgs?: string[];
  CreateInUtilityVM?: boolean;
};

/** Edits the ProcessParameters (a JSON string) of an ExecuteProcess frame. */
export function editProcess(action: HostAction,
  edit: (params: ProcessParametersJson) => void): HostAction {
  const body = bodyOf(action);
  const settings = body['Settings'] as JsonObject | undefined;
  assert(settings !== undefined && typeof settings['ProcessParameters'] === 'string',
    'an ExecuteProcess frame');
  const params = JSON.parse(settings['ProcessParameters'] as string) as ProcessParametersJson;
  edit(params);
  settings['ProcessParameters'] = JSON.stringify(params);
  return withBody(action, body);
}

/** The same frame addressed to another container. */
export function withContainerId(action: HostAction, id: string): HostAction {
  const body = bodyOf(action);
  body['ContainerId'] = id;
  return withBody(action, body);
}

/** The container id a frame is addressed to. */
export function containerIdOf(action: HostAction): string {
  const id = bodyOf(action)['ContainerId'];
  assert(typeof id === 'string', 'a frame addressed to a container');
  return id;
}
