/**
 * Models: /etc/passwd and /etc/group as the GCS reads them to name a container's user and groups
 * (hcsshim securitypolicy GetUserInfo with runc's libcontainer/user parser): uid and gid come
 * from the OCI process, the names from the container's own files; exactly one entry must match
 * an id when the file exists; no file means an empty name.
 * Real counterpart: user.ParsePasswdFileFilter / ParseGroupFileFilter over the container rootfs.
 * Differs: the files arrive as bytes the caller read through dm-verity (layer-reads.ts);
 * OCI `username` is not resolved (only CRI sandboxes set it, on the host side).
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

/** The OCI process user (runtime-spec User). */
export type OciUserIds = Readonly<{
  uid: number; gid: number; additionalGids: readonly number[]; umask: number | null;
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
export type UserFiles = Readonly<{ passwd: Uint8Array | null; group: Uint8Array | null }>;

function oneMatch<T extends { name: string }>(entries: readonly T[], matches: (e: T) => boolean,
  what: string, id: number): string | Readonly<{ error: string }> {
  const found = entries.filter(matches);
  if (found.length !== 1) {
    return { error: `expected exactly 1 ${what} matched '${found.length}' for id ${id}` };
  }
  return found[0]!.name;
}

/**
 * GetUserInfo: the user's name from /etc/passwd by uid, the groups' names from /etc/group by gid,
 * the umask as %04o. Fails (as the GCS does, before the policy is asked) when a file exists and
 * does not have exactly one entry for an id.
 */
export function resolveUserInfo(files: UserFiles, ids: OciUserIds): UserLookup {
  assert(ids.uid >= 0 && ids.uid <= 0xffff_ffff, 'uid is a uint32');
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
