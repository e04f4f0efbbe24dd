/**
 * Models: the host → guest bridge protocol of the Linux GCS (spec d): message identifiers
 * (hcsshim internal/guest/prot: 4-bit type | 8-bit category | 12-bit message | 8-bit version),
 * the request bodies (prot.MessageBase, ContainerCreate, ContainerExecuteProcess, ...,
 * guestrequest.ModificationRequest and the guestresource settings) with their Go JSON field
 * names, the JSON strings nested in them (ContainerConfig, ProcessParameters, Query), and the
 * responses (MessageResponseBase: Result as an HRESULT, ErrorMessage).
 * Real counterpart: the GCS bridge's unmarshalling (commonutils.UnmarshalJSONWithHresult,
 * prot.UnmarshalContainerModifySettings) before any handler runs.
 * Differs: the 16-byte frame header arrives as `{type, id}` next to the parsed JSON `message`
 * (the world passes JSON values, not bytes); keys match exactly (Go's encoding/json also accepts
 * other letter cases); unknown keys are ignored and missing or null ones take Go's zero values, as
 * in Go; the OCI specification and OciProcess stay raw JSON here (oci-spec.ts decodes them);
 * protocol versions below V4 do not exist.
 * Invariants: decoding never decides policy; a body that Go would fail to unmarshal (a wrong JSON
 * type, an integer out of its Go type's range, a nested string that is not JSON, an unknown
 * ResourceType or message type) is a SimError GUEST_BAD_MESSAGE naming the field; a decoded
 * request is plain frozen data.
 */
import { assert } from '../../sim/kernel/assert.js';
import { SimError } from '../../sim/kernel/errors.js';
import { memo } from '../../sim/kernel/memo.js';

/** Message type (bits 28..31) and category (bits 20..27), prot.MessageType / MessageCategory. */
export const MESSAGE_TYPE = Object.freeze({ request: 0x1000_0000, response: 0x2000_0000,
  notification: 0x3000_0000 });
const MESSAGE_TYPE_MASK = 0xf000_0000;
export const MESSAGE_CATEGORY_COMPUTE_SYSTEM = 0x0010_0000;

/** Request identifiers (prot.ComputeSystem*V1), one row per GCS request of spec (d). */
export const GCS_REQUEST_IDS = Object.freeze({
  Create: 0x1010_0101,
  Start: 0x1010_0201,
  ShutdownGraceful: 0x1010_0301,
  ShutdownForced: 0x1010_0401,
  ExecuteProcess: 0x1010_0501,
  WaitForProcess: 0x1010_0601,
  SignalProcess: 0x1010_0701,
  ResizeConsole: 0x1010_0801,
  GetProperties: 0x1010_0901,
  ModifySettings: 0x1010_0a01,
  NegotiateProtocol: 0x1010_0b01,
  DumpStacks: 0x1010_0c01,
  DeleteContainerState: 0x1010_0d01,
} as const);

export type GcsMessageKind = keyof typeof GCS_REQUEST_IDS;
export const GCS_MESSAGE_KINDS = Object.freeze(Object.keys(GCS_REQUEST_IDS) as GcsMessageKind[]);

/** The request kind a frame's `type` names (a frozen table scan: no module-level Map). */
function kindById(type: number): GcsMessageKind | undefined {
  return GCS_MESSAGE_KINDS.find((kind) => GCS_REQUEST_IDS[kind] === type);
}

/** prot.GetResponseIdentifier: the response type with the request's category, id and version. */
export function responseIdentifier(requestId: number): number {
  const id = (MESSAGE_TYPE.response | (requestId & ~MESSAGE_TYPE_MASK)) >>> 0;
  assert((id & MESSAGE_TYPE_MASK) >>> 0 === MESSAGE_TYPE.response, 'a response identifier');
  return id;
}

for (const kind of GCS_MESSAGE_KINDS) {
  const id = GCS_REQUEST_IDS[kind];
  assert((id & MESSAGE_TYPE_MASK) >>> 0 === MESSAGE_TYPE.request, `${kind} is a request`);
  assert((id & 0x0ff0_0000) === MESSAGE_CATEGORY_COMPUTE_SYSTEM, `${kind} is compute system`);
}
assert(responseIdentifier(GCS_REQUEST_IDS.Create) === 0x2010_0101, 'ResponseCreateV1');

/** Protocol versions (prot.PvV4 is the only one, and the maximum). */
export const PROTOCOL_VERSION_V4 = 4;

/** HRESULTs the GCS answers with (bridgeutils/gcserr), as Go's int32 `Result`. */
export const HRESULT = Object.freeze({
  S_OK: 0,
  E_FAIL: 0x8000_4005 | 0,
  E_NOT_FOUND: 0x8007_0490 | 0,
  VMCOMPUTE_TIMEOUT: 0xc037_0109 | 0,
  VMCOMPUTE_INVALID_JSON: 0xc037_010d | 0,
  VMCOMPUTE_SYSTEM_NOT_FOUND: 0xc037_010e | 0,
  VMCOMPUTE_SYSTEM_ALREADY_EXISTS: 0xc037_010f | 0,
  VMCOMPUTE_UNSUPPORTED_PROTOCOL: 0xc037_010c | 0,
  VMCOMPUTE_UNKNOWN_MESSAGE: 0xc037_010b | 0,
  VMCOMPUTE_INVALID_STATE: 0x8037_0105 | 0,
} as const);
assert(HRESULT.E_FAIL === -2147467259, 'E_FAIL as int32');

/** Upper bound on a nested JSON string (ContainerConfig, ProcessParameters, Query). */
export const MAX_NESTED_JSON_CHARS = 1 << 20;

// ---------------------------------------------------------------------------------------------
// Typed requests: Go JSON field names kept as they are on the wire.

export type MessageBase = Readonly<{
  /** The frame header's sequence id, echoed by the response. */
  MessageId: number;
  ContainerId: string;
  ActivityId: string;
}>;

export type SchemaVersion = Readonly<{ Major: number; Minor: number }>;

/** prot.VMHostedContainerSettingsV2 (Create's ContainerConfig, itself a JSON string). */
export type ContainerSettings = Readonly<{
  SchemaVersion: SchemaVersion;
  OciBundlePath: string;
  /** The OCI runtime spec as JSON (null when absent): oci-spec.ts decodes it. */
  OciSpecification: unknown;
  ScratchDirPath: string;
}>;

/** prot.ProcessParameters (ExecuteProcess's Settings.ProcessParameters, a JSON string). */
export type ProcessParameters = Readonly<{
  CommandLine: string;
  CommandArgs: readonly string[];
  WorkingDirectory: string;
  /** Name → value, as sent (a Go map: no order). */
  Environment: Readonly<Record<string, string>>;
  EmulateConsole: boolean;
  CreateStdInPipe: boolean;
  CreateStdOutPipe: boolean;
  CreateStdErrPipe: boolean;
  /** prot IsExternal, tagged CreateInUtilityVM on the wire. */
  CreateInUtilityVM: boolean;
  OciSpecification: unknown;
  /** The OCI process of an exec in a container (null: start the container's init process). */
  OciProcess: unknown;
}>;

export type VsockStdioRelaySettings = Readonly<{ StdIn: number; StdOut: number; StdErr: number }>;

/** guestresource.LCOWMappedVirtualDisk. */
export type MappedVirtualDiskSettings = Readonly<{
  MountPath: string; Lun: number; Controller: number; Partition: number; ReadOnly: boolean;
  Encrypted: boolean; Options: readonly string[]; BlockDev: boolean;
  /** Deprecated: the guest reads verity from the device; kept only to show it is ignored. */
  VerityInfo: unknown;
  EnsureFilesystem: boolean; Filesystem: string;
}>;

/** guestresource.LCOWCombinedLayers; Layers are hcsschema.Layer {Id, Path, PathType}. */
export type CombinedLayersSettings = Readonly<{
  ContainerID: string; ContainerRootPath: string; Layers: readonly Readonly<{ Path: string }>[];
  ScratchPath: string;
}>;

/** guestresource.LCOWMappedDirectory (plan9). */
export type MappedDirectorySettings = Readonly<{
  MountPath: string; Port: number; ShareName: string; ReadOnly: boolean;
}>;

/** guestresource.LCOWMappedVPMemDevice. */
export type VPMemDeviceSettings = Readonly<{
  DeviceNumber: number; MountPath: string; MappingInfo: unknown;
}>;

/** guestresource.ConfidentialOptions. */
export type SecurityPolicySettings = Readonly<{
  EnforcerType: string; EncodedSecurityPolicy: string; EncodedUVMReference: string;
  EncodedUVMHashEnvelopeReference: string;
}>;

/** guestresource.SecurityPolicyFragment. */
export type SecurityPolicyFragmentSettings = Readonly<{ Fragment: string; MediaType: string }>;

/** Resource types the GCS accepts without asking the policy (spec d, "Unenforced"). */
export const UNENFORCED_RESOURCE_TYPES = Object.freeze(['SCSIDevice', 'Network', 'VPCIDevice',
  'ContainerConstraints', 'PodCgroupMemoryLimit'] as const);
export type UnenforcedResourceType = (typeof UNENFORCED_RESOURCE_TYPES)[number];

/** guestrequest.ModificationRequest with its Settings decoded by ResourceType. */
export type ModificationRequest = Readonly<{ RequestType: string }> & (
  | Readonly<{ ResourceType: 'MappedVirtualDisk'; Settings: MappedVirtualDiskSettings }>
  | Readonly<{ ResourceType: 'CombinedLayers'; Settings: CombinedLayersSettings }>
  | Readonly<{ ResourceType: 'MappedDirectory'; Settings: MappedDirectorySettings }>
  | Readonly<{ ResourceType: 'VPMemDevice'; Settings: VPMemDeviceSettings }>
  | Readonly<{ ResourceType: 'SecurityPolicy'; Settings: SecurityPolicySettings }>
  | Readonly<{ ResourceType: 'SecurityPolicyFragment'; Settings: SecurityPolicyFragmentSettings }>
  | Readonly<{ ResourceType: UnenforcedResourceType; Settings: unknown }>);

export type ResourceType = ModificationRequest['ResourceType'];

export type BridgeRequest = MessageBase & (
  | Readonly<{ kind: 'NegotiateProtocol'; MinimumVersion: number; MaximumVersion: number }>
  | Readonly<{ kind: 'Create'; ContainerConfig: ContainerSettings;
      /** The ContainerConfig JSON text as sent (keys the memo of what is derived from it). */
      ContainerConfigText: string }>
  | Readonly<{ kind: 'Start' }>
  | Readonly<{ kind: 'ShutdownGraceful' }>
  | Readonly<{ kind: 'ShutdownForced' }>
  | Readonly<{ kind: 'DumpStacks' }>
  | Readonly<{ kind: 'DeleteContainerState' }>
  | Readonly<{ kind: 'ExecuteProcess'; ProcessParameters: ProcessParameters;
      VsockStdioRelaySettings: VsockStdioRelaySettings }>
  | Readonly<{ kind: 'WaitForProcess'; ProcessId: number; TimeoutInMs: number }>
  | Readonly<{ kind: 'SignalProcess'; ProcessId: number; Signal: number }>
  | Readonly<{ kind: 'ResizeConsole'; ProcessId: number; Height: number; Width: number }>
  | Readonly<{ kind: 'GetProperties'; PropertyTypes: readonly string[] }>
  | Readonly<{ kind: 'ModifySettings'; Request: ModificationRequest }>);

export type BridgeRequestOf<K extends GcsMessageKind> = Extract<BridgeRequest, { kind: K }>;

/** What the host sends: the frame header's type and id, and the JSON body. */
export type RawBridgeMessage = Readonly<{ type: number; id: number; message: unknown }>;

// ---------------------------------------------------------------------------------------------
// Go-lenient field reading

export function badMessage(field: string, problem: string,
  result: number = HRESULT.VMCOMPUTE_INVALID_JSON): SimError {
  return new SimError('GUEST_BAD_MESSAGE', { field, result },
    `bridge message: ${field} ${problem}`);
}

function isObject(value: unknown): value is Readonly<Record<string, unknown>> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/**
 * A JSON object read the way Go's encoding/json fills a struct: a missing or null key gives the
 * zero value, a present key of the wrong JSON type is an error naming `where.key`.
 */
export class GoFields {
  private readonly fields: Readonly<Record<string, unknown>>;

  constructor(value: unknown, private readonly where: string) {
    if (value === null || value === undefined) this.fields = {};
    else if (isObject(value)) this.fields = value;
    else throw badMessage(where, 'must be a JSON object');
  }

  private at(key: string): string {
    return this.where === '' ? key : `${this.where}.${key}`;
  }

  raw(key: string): unknown {
    const value = Object.hasOwn(this.fields, key) ? this.fields[key] : undefined;
    return value === undefined ? null : value;
  }

  str(key: string): string {
    const value = this.raw(key);
    if (value === null) return '';
    if (typeof value !== 'string') throw badMessage(this.at(key), 'must be a string');
    return value;
  }

  bool(key: string): boolean {
    const value = this.raw(key);
    if (value === null) return false;
    if (typeof value !== 'boolean') throw badMessage(this.at(key), 'must be a boolean');
    return value;
  }

  /** An integer in [min, max] (Go's integer types refuse fractions and overflow). */
  int(key: string, min: number, max: number): number {
    assert(Number.isSafeInteger(min) && Number.isSafeInteger(max) && min <= max, 'int range');
    const value = this.raw(key);
    if (value === null) return 0;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      throw badMessage(this.at(key), `must be an integer in [${min}, ${max}]`);
    }
    return value;
  }

  strList(key: string): readonly string[] {
    const value = this.raw(key);
    if (value === null) return Object.freeze([]);
    if (!Array.isArray(value) || !value.every((item) => typeof item === 'string')) {
      throw badMessage(this.at(key), 'must be an array of strings');
    }
    return Object.freeze([...value as string[]]);
  }

  /** A JSON object of strings (a Go map[string]string). */
  strMap(key: string): Readonly<Record<string, string>> {
    const value = this.raw(key);
    if (value === null) return Object.freeze({});
    if (!isObject(value) || !Object.values(value).every((item) => typeof item === 'string')) {
      throw badMessage(this.at(key), 'must be an object of strings');
    }
    return Object.freeze({ ...value as Record<string, string> });
  }

  obj(key: string): GoFields {
    return new GoFields(this.raw(key), this.at(key));
  }

  /**
   * A JSON string holding JSON (Go: a string field unmarshalled again). Parsed once per text
   * (kernel memo): the parsed value is shared and only ever read.
   */
  nested(key: string): GoFields {
    const text = this.str(key);
    if (text.length > MAX_NESTED_JSON_CHARS) throw badMessage(this.at(key), 'is over 1 MiB');
    const at = this.at(key);
    return new GoFields(text === '' ? null
      : memo('guest/nested-json', text, () => parseJsonText(text, at), 1024), at);
  }
}

/** JSON.parse with its SyntaxError turned into GUEST_BAD_MESSAGE. */
export function parseJsonText(text: string, field: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    if (!(error instanceof SyntaxError)) throw error;
    throw badMessage(field, 'is not valid JSON');
  }
}

const U8 = 0xff;
const U16 = 0xffff;
const U32 = 0xffff_ffff;
const I32_MIN = -0x8000_0000;
const I32_MAX = 0x7fff_ffff;

// ---------------------------------------------------------------------------------------------
// Decoding

function decodeSettings(type: string, settings: GoFields): ModificationRequest['Settings'] {
  switch (type) {
    case 'MappedVirtualDisk':
      return Object.freeze({
        MountPath: settings.str('MountPath'), Lun: settings.int('Lun', 0, U8),
        Controller: settings.int('Controller', 0, U8),
        Partition: settings.int('Partition', 0, Number.MAX_SAFE_INTEGER),
        ReadOnly: settings.bool('ReadOnly'), Encrypted: settings.bool('Encrypted'),
        Options: settings.strList('Options'), BlockDev: settings.bool('BlockDev'),
        VerityInfo: settings.raw('VerityInfo'), EnsureFilesystem: settings.bool('EnsureFilesystem'),
        Filesystem: settings.str('Filesystem'),
      } satisfies MappedVirtualDiskSettings);
    case 'CombinedLayers':
      return decodeCombinedLayers(settings);
    case 'MappedDirectory':
      return Object.freeze({
        MountPath: settings.str('MountPath'), Port: settings.int('Port', I32_MIN, I32_MAX),
        ShareName: settings.str('ShareName'), ReadOnly: settings.bool('ReadOnly'),
      } satisfies MappedDirectorySettings);
    case 'VPMemDevice':
      return Object.freeze({
        DeviceNumber: settings.int('DeviceNumber', 0, U32), MountPath: settings.str('MountPath'),
        MappingInfo: settings.raw('MappingInfo'),
      } satisfies VPMemDeviceSettings);
    case 'SecurityPolicy':
      return Object.freeze({
        EnforcerType: settings.str('EnforcerType'),
        EncodedSecurityPolicy: settings.str('EncodedSecurityPolicy'),
        EncodedUVMReference: settings.str('EncodedUVMReference'),
        EncodedUVMHashEnvelopeReference: settings.str('EncodedUVMHashEnvelopeReference'),
      } satisfies SecurityPolicySettings);
    case 'SecurityPolicyFragment':
      return Object.freeze({ Fragment: settings.str('Fragment'),
        MediaType: settings.str('MediaType') } satisfies SecurityPolicyFragmentSettings);
    default:
      assert((UNENFORCED_RESOURCE_TYPES as readonly string[]).includes(type), 'a known type');
      return null;
  }
}

function decodeCombinedLayers(settings: GoFields): CombinedLayersSettings {
  const layers = settings.raw('Layers');
  if (layers !== null && !Array.isArray(layers)) {
    throw badMessage('Request.Settings.Layers', 'must be an array');
  }
  return Object.freeze({
    ContainerID: settings.str('ContainerID'),
    ContainerRootPath: settings.str('ContainerRootPath'),
    Layers: Object.freeze((layers ?? []).map((layer: unknown, i: number) =>
      Object.freeze({ Path: new GoFields(layer, `Request.Settings.Layers[${i}]`).str('Path') }))),
    ScratchPath: settings.str('ScratchPath'),
  });
}

const DECODED_RESOURCE_TYPES: readonly string[] = Object.freeze(['MappedVirtualDisk',
  'CombinedLayers', 'MappedDirectory', 'VPMemDevice', 'SecurityPolicy', 'SecurityPolicyFragment',
  ...UNENFORCED_RESOURCE_TYPES]);

/** prot.UnmarshalContainerModifySettings: RequestType defaults to Add; unknown types fail. */
function decodeModification(body: GoFields): ModificationRequest {
  const request = body.obj('Request');
  const resourceType = request.str('ResourceType');
  if (!DECODED_RESOURCE_TYPES.includes(resourceType)) {
    throw badMessage('Request.ResourceType', `is not a resource type: ${
      JSON.stringify(resourceType.slice(0, 80))}`);
  }
  const requestType = request.str('RequestType');
  const settings = request.obj('Settings');
  return Object.freeze({
    ResourceType: resourceType, RequestType: requestType === '' ? 'Add' : requestType,
    Settings: decodeSettings(resourceType, settings),
  }) as ModificationRequest;
}

function decodeProcessParameters(settings: GoFields): ProcessParameters {
  const params = settings.nested('ProcessParameters');
  return Object.freeze({
    CommandLine: params.str('CommandLine'), CommandArgs: params.strList('CommandArgs'),
    WorkingDirectory: params.str('WorkingDirectory'), Environment: params.strMap('Environment'),
    EmulateConsole: params.bool('EmulateConsole'), CreateStdInPipe: params.bool('CreateStdInPipe'),
    CreateStdOutPipe: params.bool('CreateStdOutPipe'),
    CreateStdErrPipe: params.bool('CreateStdErrPipe'),
    CreateInUtilityVM: params.bool('CreateInUtilityVM'),
    OciSpecification: params.raw('OciSpecification'), OciProcess: params.raw('OciProcess'),
  });
}

function decodeContainerSettings(body: GoFields): ContainerSettings {
  const config = body.nested('ContainerConfig');
  const version = config.obj('SchemaVersion');
  return Object.freeze({
    SchemaVersion: Object.freeze({ Major: version.int('Major', 0, U32),
      Minor: version.int('Minor', 0, U32) }),
    OciBundlePath: config.str('OciBundlePath'), OciSpecification: config.raw('OciSpecification'),
    ScratchDirPath: config.str('ScratchDirPath'),
  });
}

type BodyOf<K extends GcsMessageKind> = Omit<BridgeRequestOf<K>, keyof MessageBase | 'kind'>;

const BODY_DECODERS: { readonly [K in GcsMessageKind]: (body: GoFields) => BodyOf<K> } = {
  NegotiateProtocol: (b) => ({ MinimumVersion: b.int('MinimumVersion', 0, U32),
    MaximumVersion: b.int('MaximumVersion', 0, U32) }),
  Create: (b) => ({ ContainerConfig: decodeContainerSettings(b),
    ContainerConfigText: b.str('ContainerConfig') }),
  Start: () => ({}),
  ShutdownGraceful: () => ({}),
  ShutdownForced: () => ({}),
  DumpStacks: () => ({}),
  DeleteContainerState: () => ({}),
  ExecuteProcess: (b) => {
    const settings = b.obj('Settings');
    const relay = settings.obj('VsockStdioRelaySettings');
    return { ProcessParameters: decodeProcessParameters(settings),
      VsockStdioRelaySettings: Object.freeze({ StdIn: relay.int('StdIn', 0, U32),
        StdOut: relay.int('StdOut', 0, U32), StdErr: relay.int('StdErr', 0, U32) }) };
  },
  WaitForProcess: (b) => ({ ProcessId: b.int('ProcessId', 0, U32),
    TimeoutInMs: b.int('TimeoutInMs', 0, U32) }),
  SignalProcess: (b) => ({ ProcessId: b.int('ProcessId', 0, U32),
    Signal: b.obj('Options').int('Signal', I32_MIN, I32_MAX) }),
  ResizeConsole: (b) => ({ ProcessId: b.int('ProcessId', 0, U32),
    Height: b.int('Height', 0, U16), Width: b.int('Width', 0, U16) }),
  GetProperties: (b) => ({ PropertyTypes: b.nested('Query').strList('PropertyTypes') }),
  ModifySettings: (b) => ({ Request: decodeModification(b) }),
};

/**
 * Decodes what the host sent into a typed request. Anything Go's unmarshalling would refuse is a
 * SimError GUEST_BAD_MESSAGE (detail.result: the HRESULT the GCS answers with).
 */
export function decodeBridgeRequest(raw: unknown): BridgeRequest {
  const frame = new GoFields(raw, '(frame)');
  const type = frame.raw('type');
  const id = frame.raw('id');
  if (typeof id !== 'number' || !Number.isSafeInteger(id) || id < 0) {
    throw badMessage('(frame).id', 'must be a non-negative integer');
  }
  const kind = typeof type === 'number' ? kindById(type) : undefined;
  if (kind === undefined) {
    throw badMessage('(frame).type', `is not a GCS request identifier: ${
      JSON.stringify(type)?.slice(0, 40) ?? 'undefined'}`, HRESULT.VMCOMPUTE_UNKNOWN_MESSAGE);
  }
  const body = new GoFields(frame.raw('message'), '');
  const base: MessageBase = { MessageId: id, ContainerId: body.str('ContainerId'),
    ActivityId: body.str('ActivityId') };
  const decoded = (BODY_DECODERS[kind] as (b: GoFields) => object)(body);
  const request = Object.freeze({ kind, ...base, ...decoded }) as BridgeRequest;
  assert(request.kind === kind && request.MessageId === id, 'the header is kept');
  return request;
}

/** The message id of a raw frame if it has a usable one (for answering a malformed body). */
export function rawMessageId(raw: unknown): number {
  if (!isObject(raw)) return 0;
  const id = Object.hasOwn(raw, 'id') ? raw['id'] : undefined;
  return typeof id === 'number' && Number.isSafeInteger(id) && id >= 0 ? id : 0;
}

/** The request identifier of a raw frame, if it is a known one. */
export function rawMessageKind(raw: unknown): GcsMessageKind | null {
  if (!isObject(raw)) return null;
  const type = Object.hasOwn(raw, 'type') ? raw['type'] : undefined;
  return typeof type === 'number' ? kindById(type) ?? null : null;
}

// ---------------------------------------------------------------------------------------------
// Responses

/** prot.MessageResponseBase plus the payload of the request's response type. */
export type BridgeResponse = Readonly<{
  MessageType: number;
  MessageId: number;
  Result: number;
  ErrorMessage: string;
  Version?: number;
  Capabilities?: Readonly<Record<string, unknown>>;
  ProcessId?: number;
  ExitCode?: number;
  Properties?: string;
  GuestStacks?: string;
}>;

export type ResponsePayload = Omit<BridgeResponse, 'MessageType' | 'MessageId' | 'Result'
  | 'ErrorMessage'>;

/** A response to a request of `kind` with message id `id`. */
export function bridgeResponse(kind: GcsMessageKind | null, id: number, result: number,
  errorMessage: string, payload: ResponsePayload = {}): BridgeResponse {
  assert(Number.isInteger(result) && result >= I32_MIN && result <= I32_MAX, 'an int32 Result');
  if (result === HRESULT.S_OK) assert(errorMessage === '', 'success carries no error');
  else assert(errorMessage.length > 0, 'a failure says why');
  const type = kind === null ? MESSAGE_TYPE.response
    : responseIdentifier(GCS_REQUEST_IDS[kind]);
  return Object.freeze({ MessageType: type, MessageId: id, Result: result,
    ErrorMessage: errorMessage, ...payload });
}

// ---------------------------------------------------------------------------------------------
// Building requests (the host side and tests)

/** A raw frame for `kind` with `message` as its JSON body. */
export function bridgeMessage(kind: GcsMessageKind, id: number,
  message: Readonly<Record<string, unknown>>): RawBridgeMessage {
  assert(Number.isSafeInteger(id) && id >= 0, 'a message id');
  return Object.freeze({ type: GCS_REQUEST_IDS[kind], id, message });
}

/** A ModifySettings frame (the Request wrapper of a guestrequest.ModificationRequest). */
export function modifySettingsMessage(id: number, containerId: string, resourceType: string,
  requestType: string, settings: unknown): RawBridgeMessage {
  return bridgeMessage('ModifySettings', id, { ContainerId: containerId, ActivityId: '',
    Request: { ResourceType: resourceType, RequestType: requestType, Settings: settings } });
}
