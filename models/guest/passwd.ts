/**
 * Models: /etc/passwd and /etc/group as the GCS reads them to name a container's user and groups
 * (hcsshim securitypolicy GetUserInfo with runc's libcontainer/user parser): uid and gid come
 * from the OCI process, the names from the container's own files; exactly one entry must match
 * an id when the file exists; no file means an empty name.
 * Real counterpart: user.ParsePasswdFileFilter / ParseGroupFileFilter over the container rootfs.
 * An OCI `username` (what containerd sends for LCOW: the image's USER string, resolved only in
 * the guest) goes through ParseUserStr (internal/guest/spec): user, uid, user:group, uid:gid,
 * uid:group or user:gid, names looked up in the container's own files.
 * Differs: the files arrive as bytes the caller read through dm-verity (layer-reads.ts); a
 * missing file's error names the path the GCS would open.
 * Invariants: parsing is total (runc's parser never fails on a line: a numeric field that is not
 * a number reads as 0, as strconv.Atoi's ignored error leaves it); lines are trimmed and blank
 * ones skipped; ids compare as uint32; the umask is four octal digits ("0022" when unset).
 */
import { assert } from '../../sim/kernel/assert.js';
import type { ResolvedGroup, ResolvedUser } from './guest-state.js';

export type PasswdEntry = Readonly<{
  name: string; pass: string; uid: number; gid: number; gecos: string; home: string;
  shell: string;
}>;

export type GroupEntry = Readonly<{ name: string; pass: string; gid: number;
  members: readonly string[] }>;

/** Lines bound: a passwd file is small; a hostile one is cut here (the rest is not read). */
export const MAX_PASSWD_LINES = 100_000;

const utf8 = new TextDecoder('utf-8');

function lines(bytes: Uint8Array): string[] {
  const out: string[] = [];
  for (const raw of utf8.decode(bytes).split('\n')) {
    if (out.length >= MAX_PASSWD_LINES) break;
    const line = raw.trim();
    if (line !== '') out.push(line);
  }
  return out;
}

/** strconv.Atoi with its error ignored: an optional sign and decimal digits, else 0. */
export function atoiOrZero(text: string): number {
  if (!/^[+-]?[0-9]+$/.test(text)) return 0;
  const value = Number(text);
  return Number.isSafeInteger(value) ? value : 0;
}

export function parsePasswd(bytes: Uint8Array): readonly PasswdEntry[] {
  const entries = lines(bytes).map((line) => {
    const f = line.split(':');
    return Object.freeze({
      name: f[0] ?? '', pass: f[1] ?? '', uid: atoiOrZero(f[2] ?? ''), gid: atoiOrZero(f[3] ?? ''),
      gecos: f[4] ?? '', home: f[5] ?? '', shell: f[6] ?? '',
    });
  });
  assert(entries.length <= MAX_PASSWD_LINES, 'bounded');
  return Object.freeze(entries);
}

export function parseGroup(bytes: Uint8Array): readonly GroupEntry[] {
  const entries = lines(bytes).map((line) => {
    const f = line.split(':');
    const list = f[3] ?? '';
    return Object.freeze({ name: f[0] ?? '', pass: f[1] ?? '', gid: atoiOrZero(f[2] ?? ''),
      members: Object.freeze(list === '' ? [] : list.split(',')) });
  });
  assert(entries.length <= MAX_PASSWD_LINES, 'bounded');
  return Object.freeze(entries);
}

/** The OCI process user (runtime-spec User); `username` is "" when absent. */
export type OciUserIds = Readonly<{
  uid: number; gid: number; additionalGids: readonly number[]; umask: number | null;
  username: string;
}>;

export type UserInfo = Readonly<{
  user: ResolvedUser;
  /** The primary group first, then the additional groups in spec order. */
  groups: readonly ResolvedGroup[];
  umask: string;
}>;

export type UserLookup = Readonly<{ ok: true; info: UserInfo }>
  | Readonly<{ ok: false; reason: string }>;

/** The files as read from the rootfs: null when the file does not exist. */
export type UserFiles = Readonly<{ passwd: Uint8Array | null; group: Uint8Array | null;
  /** The rootfs path, for the error of a missing file (open <root>/etc/passwd). */
  root?: string }>;

const UINT32_MAX = 0xffff_ffffn;
const INT64_MAX = 0x7fff_ffff_ffff_ffffn;

/** strconv.Atoi: an optional sign and decimal digits within int64, else null (not a number). */
export function goAtoi(text: string): bigint | null {
  if (!/^[+-]?[0-9]+$/.test(text)) return null;
  const value = BigInt(text);
  return value > INT64_MAX || value < -INT64_MAX - 1n ? null : value;
}

type Found<T> = Readonly<{ entry: T }> | Readonly<{ error: string }>;

/** GetUser / GetGroup: exactly one entry matches, ids within uint32. */
function exactlyOne<T extends { gid: number }>(file: readonly T[] | null, path: string,
  matches: (e: T) => boolean, what: 'user' | 'group', uidOf: (e: T) => number): Found<T> {
  if (file === null) return { error: `open ${path}: no such file or directory` };
  const found = file.filter(matches);
  if (found.length !== 1) return { error: `expected exactly 1 ${what} matched '${found.length}'` };
  const entry = found[0]!;
  if (uidOf(entry) < 0 || uidOf(entry) > 0xffff_ffff) {
    return { error: `${what === 'user' ? 'UID' : 'GID'} (${uidOf(entry)}) exceeds uint32 bounds` };
  }
  if (entry.gid < 0 || entry.gid > 0xffff_ffff) {
    return { error: `GID (${entry.gid}) exceeds uint32 bounds` };
  }
  return { entry };
}

/** What ParseUserStr gives: ids for the process and the names it found (or ""). */
export type UserStrResult = Readonly<{ uid: number; gid: number; username: string;
  groupname: string }>;

export type UserStrLookup = Readonly<{ ok: true; result: UserStrResult }>
  | Readonly<{ ok: false; reason: string }>;

/**
 * specGuest.ParseUserStr over the container's files: the user part by name (must exist) or by
 * uid (kept as is when absent, gid 0), then the group part by name (must exist) or by gid (kept
 * as is when absent); with no group part the user's primary group is named when it exists.
 */
export function parseUserStr(files: UserFiles, userStr: string): UserStrLookup {
  const parts = userStr.split(':');
  if (parts.length > 2) return { ok: false, reason: `invalid userstr: '${userStr}'` };
  const root = files.root ?? '';
  const users = files.passwd === null ? null : parsePasswd(files.passwd);
  const groups = files.group === null ? null : parseGroup(files.group);
  const userFile = `${root}/etc/passwd`;
  const groupFile = `${root}/etc/group`;
  let uid = 0;
  let gid = 0;
  let username = '';
  const userPart = goAtoi(parts[0]!);
  if (userPart === null) {
    const u = exactlyOne(users, userFile, (e) => e.name === parts[0], 'user', (e) => e.uid);
    if ('error' in u) {
      return { ok: false, reason: `failed to find user by username: ${parts[0]}: ${u.error}` };
    }
    ({ uid, gid, name: username } = u.entry);
  } else {
    const u = exactlyOne(users, userFile, (e) => BigInt(e.uid) === userPart, 'user', (e) => e.uid);
    if ('entry' in u) ({ uid, gid, name: username } = u.entry);
    else if (userPart < 0n || userPart > UINT32_MAX) {
      return { ok: false, reason: `UID (${userPart}) exceeds uint32 bounds` };
    } else uid = Number(userPart);
  }
  let groupname = '';
  if (parts.length === 1) {
    const g = exactlyOne(groups, groupFile, (e) => e.gid === gid, 'group', (e) => e.gid);
    if ('entry' in g) groupname = g.entry.name;
  } else {
    const groupPart = goAtoi(parts[1]!);
    const g = groupPart === null
      ? exactlyOne(groups, groupFile, (e) => e.name === parts[1], 'group', (e) => e.gid)
      : exactlyOne(groups, groupFile, (e) => BigInt(e.gid) === groupPart, 'group', (e) => e.gid);
    if ('entry' in g) ({ gid, name: groupname } = g.entry);
    else if (groupPart === null) {
      return { ok: false, reason: `failed to find group by groupname: ${parts[1]}: ${g.error}` };
    } else if (groupPart < 0n || groupPart > UINT32_MAX) {
      return { ok: false, reason: `GID (${groupPart}) exceeds uint32 bounds` };
    } else gid = Number(groupPart);
  }
  assert(uid >= 0 && uid <= 0xffff_ffff, 'a uint32 uid');
  assert(gid >= 0 && gid <= 0xffff_ffff, 'a uint32 gid');
  return { ok: true, result: Object.freeze({ uid, gid, username, groupname }) };
}

function oneMatch<T extends { name: string }>(entries: readonly T[], matches: (e: T) => boolean,
  what: string, id: number): string | Readonly<{ error: string }> {
  const found = entries.filter(matches);
  if (found.length !== 1) {
    return { error: `expected exactly 1 ${what} matched '${found.length}' for id ${id}` };
  }
  return found[0]!.name;
}

/** The additional groups named from /etc/group (each must match exactly once). */
function additionalGroups(groups: readonly GroupEntry[], gids: readonly number[]):
  ResolvedGroup[] | Readonly<{ error: string }> {
  const out: ResolvedGroup[] = [];
  for (const gid of gids) {
    const found = oneMatch(groups, (g) => g.gid >>> 0 === gid, 'group', gid);
    if (typeof found !== 'string') return found;
    out.push(Object.freeze({ id: gid, name: found }));
  }
  return out;
}

/** GetAllUserInfo's username branch: ParseUserStr, then the additional groups. */
function resolveUserStr(files: UserFiles, ids: OciUserIds): UserLookup {
  const parsed = parseUserStr(files, ids.username);
  if (!parsed.ok) {
    return { ok: false, reason: `failed to parse user str ${JSON.stringify(ids.username)}: `
      + parsed.reason };
  }
  const { uid, gid, username, groupname } = parsed.result;
  const groups: ResolvedGroup[] = [Object.freeze({ id: gid, name: groupname })];
  if (ids.additionalGids.length > 0) {
    if (files.group === null) {
      return { ok: false, reason: `open ${files.root ?? ''}/etc/group: no such file or directory` };
    }
    const more = additionalGroups(parseGroup(files.group), ids.additionalGids);
    if ('error' in more) return { ok: false, reason: more.error };
    groups.push(...more);
  }
  const umask = ids.umask === null ? '0022' : ids.umask.toString(8).padStart(4, '0');
  return { ok: true, info: Object.freeze({ user: Object.freeze({ uid, gid, name: username }),
    groups: Object.freeze(groups), umask }) };
}

/**
 * GetUserInfo (securitypolicy GetAllUserInfo at HEAD): with an OCI username, ParseUserStr names
 * the user and primary group; otherwise the user's name from /etc/passwd by uid and the groups'
 * names from /etc/group by gid. The umask as %04o. Fails (as the GCS does, before the policy is
 * asked) when a file exists and does not have exactly one entry for an id.
 */
export function resolveUserInfo(files: UserFiles, ids: OciUserIds): UserLookup {
  assert(ids.uid >= 0 && ids.uid <= 0xffff_ffff, 'uid is a uint32');
  if (ids.username !== '') return resolveUserStr(files, ids);
  let name = '';
  if (files.passwd !== null) {
    const users = parsePasswd(files.passwd);
    const found = oneMatch(users, (u) => u.uid >>> 0 === ids.uid, 'user', ids.uid);
    if (typeof found !== 'string') return { ok: false, reason: found.error };
    name = found;
  }
  const groupEntries = files.group === null ? null : parseGroup(files.group);
  const groups: ResolvedGroup[] = [];
  for (const gid of [ids.gid, ...ids.additionalGids]) {
    let groupName = '';
    if (groupEntries !== null) {
      const found = oneMatch(groupEntries, (g) => g.gid >>> 0 === gid, 'group', gid);
      if (typeof found !== 'string') return { ok: false, reason: found.error };
      groupName = found;
    }
    groups.push(Object.freeze({ id: gid, name: groupName }));
  }
  const umask = ids.umask === null ? '0022' : ids.umask.toString(8).padStart(4, '0');
  assert(groups.length === 1 + ids.additionalGids.length, 'one group per gid');
  return { ok: true, info: Object.freeze({
    user: Object.freeze({ uid: ids.uid, gid: ids.gid, name }), groups: Object.freeze(groups),
    umask }) };
}
