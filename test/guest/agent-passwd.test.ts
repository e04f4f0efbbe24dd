/**
 * Goal: the user and groups of a container are named the way the GCS names them (runc's
 * libcontainer/user parser under hcsshim GetUserInfo): by uid and gid from the OCI process, the
 * names from /etc/passwd and /etc/group, exactly one entry per id when the file exists, empty
 * names when it does not, umask as four octal digits.
 * Method: small hand-written files; the expected names are in the files.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  atoiOrZero, goAtoi, parseGroup, parsePasswd, parseUserStr, resolveUserInfo,
} from '../../models/guest/passwd.js';

const text = (s: string): Uint8Array => new TextEncoder().encode(s);
const PASSWD = text('root:x:0:0:root:/root:/bin/sh\n\n  app:x:1000:1000::/home/app:/bin/sh  \n');
const GROUP = text('root:x:0:\napp:x:1000:alice,bob\nextra:x:2000:\n');
const ids = (uid: number, gid: number, additionalGids: number[] = [],
  umask: number | null = null) =>
  ({ uid, gid, additionalGids, umask, username: '' });

test('guest/passwd: lines are trimmed, blank lines skipped, fields split on ":"', () => {
  const users = parsePasswd(PASSWD);
  assert.equal(users.map((u) => [u.name, u.uid, u.gid, u.shell]),
    [['root', 0, 0, '/bin/sh'], ['app', 1000, 1000, '/bin/sh']]);
  assert.equal(parseGroup(GROUP)[1]!.members, ['alice', 'bob']);
});

test('guest/passwd: a numeric field that is not a number reads as 0 (strconv.Atoi, error '
  + 'ignored)', () => {
  assert.equal([atoiOrZero('42'), atoiOrZero('+7'), atoiOrZero('-1'), atoiOrZero('x'),
    atoiOrZero(''), atoiOrZero('1e3')], [42, 7, -1, 0, 0, 0]);
  const sneaky = text('evil:x:notanumber:0::/:/bin/sh\n');
  const r = resolveUserInfo({ passwd: sneaky, group: null }, ids(0, 0));
  assert.ok(r.ok && r.info.user.name === 'evil', 'uid 0 is "evil" in this file, as in runc');
});

test('guest/passwd: names come from the files; groups are the primary then the additional', () => {
  const r = resolveUserInfo({ passwd: PASSWD, group: GROUP }, ids(1000, 1000, [2000], 0o27));
  assert.ok(r.ok);
  if (!r.ok) return;
  assert.equal(r.info.user, { uid: 1000, gid: 1000, name: 'app' });
  assert.equal(r.info.groups, [{ id: 1000, name: 'app' }, { id: 2000, name: 'extra' }]);
  assert.is(r.info.umask, '0027');
});

test('guest/passwd: no files, empty names and umask 0022', () => {
  const r = resolveUserInfo({ passwd: null, group: null }, ids(5, 6, [7]));
  assert.ok(r.ok && r.info.user.name === '' && r.info.groups.every((g) => g.name === ''));
  assert.ok(r.ok && r.info.umask === '0022');
});

test('guest/passwd: an id with no entry, or two, fails when the file exists', () => {
  assert.not.ok(resolveUserInfo({ passwd: PASSWD, group: null }, ids(4242, 0)).ok);
  const twice = text('a:x:7:7::/:/bin/sh\nb:x:7:7::/:/bin/sh\n');
  const r = resolveUserInfo({ passwd: twice, group: null }, ids(7, 7));
  assert.ok(!r.ok && r.reason.includes("matched '2'"));
  assert.not.ok(resolveUserInfo({ passwd: PASSWD, group: GROUP }, ids(0, 0, [3000])).ok);
});

const FILES = { passwd: PASSWD, group: GROUP, root: '/run/gcs/c/x/rootfs' };
const userStr = (files: Parameters<typeof parseUserStr>[0], text: string) => {
  const r = parseUserStr(files, text);
  return r.ok ? r.result : r.reason;
};

test('guest/passwd: ParseUserStr resolves user, uid, user:group, uid:gid, uid:group, user:gid '
  + 'from the container files', () => {
  assert.equal(userStr(FILES, 'app'), { uid: 1000, gid: 1000, username: 'app', groupname: 'app' });
  assert.equal(userStr(FILES, '1000'), { uid: 1000, gid: 1000, username: 'app',
    groupname: 'app' });
  assert.equal(userStr(FILES, 'app:extra'), { uid: 1000, gid: 2000, username: 'app',
    groupname: 'extra' });
  assert.equal(userStr(FILES, '0:2000'), { uid: 0, gid: 2000, username: 'root',
    groupname: 'extra' });
  assert.equal(userStr(FILES, 'app:4242'), { uid: 1000, gid: 4242, username: 'app',
    groupname: '' });
  assert.equal(userStr(FILES, '+1000'), { uid: 1000, gid: 1000, username: 'app',
    groupname: 'app' });
});

test('guest/passwd: ParseUserStr keeps an unknown uid as is with gid 0 (the GCS\'s NB)', () => {
  assert.equal(userStr(FILES, '4242'), { uid: 4242, gid: 0, username: '', groupname: 'root' });
  assert.equal(userStr({ passwd: null, group: null }, '7'), { uid: 7, gid: 0, username: '',
    groupname: '' });
});

test('guest/passwd: ParseUserStr refuses an unknown name, a third part and ids beyond uint32',
  () => {
  assert.is(userStr(FILES, 'ghost'),
    "failed to find user by username: ghost: expected exactly 1 user matched '0'");
  assert.is(userStr(FILES, 'app:nogroup'),
    "failed to find group by groupname: nogroup: expected exactly 1 group matched '0'");
  assert.is(userStr(FILES, 'a:b:c'), "invalid userstr: 'a:b:c'");
  assert.is(userStr(FILES, '4294967296'), 'UID (4294967296) exceeds uint32 bounds');
  assert.is(userStr(FILES, 'app:-1'), 'GID (-1) exceeds uint32 bounds');
  assert.is(userStr({ passwd: null, group: null, root: '/r' }, 'app'),
    'failed to find user by username: app: open /r/etc/passwd: no such file or directory');
});

test('guest/passwd: strconv.Atoi accepts a sign and int64 digits only (else the text is a name)',
  () => {
  assert.is(goAtoi('-12'), -12n);
  assert.is(goAtoi('9223372036854775807'), 9223372036854775807n);
  assert.is(goAtoi('9223372036854775808'), null);
  assert.is(goAtoi('1e3'), null);
  assert.is(goAtoi(''), null);
});

test('guest/passwd: GetUserInfo with a username names what ParseUserStr resolves, not the '
  + 'uid the process carries', () => {
  const r = resolveUserInfo(FILES, { ...ids(0, 0, [2000]), username: 'app' });
  assert.ok(r.ok);
  assert.equal(r.info.user, { uid: 1000, gid: 1000, name: 'app' });
  assert.equal(r.info.groups, [{ id: 1000, name: 'app' }, { id: 2000, name: 'extra' }]);
  const missing = resolveUserInfo({ passwd: PASSWD, group: null, root: '/r' },
    { ...ids(0, 0, [2000]), username: 'app' });
  assert.equal(missing, { ok: false, reason: 'open /r/etc/group: no such file or directory' });
});

test.run();
