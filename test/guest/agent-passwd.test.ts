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
  atoiOrZero, parseGroup, parsePasswd, resolveUserInfo,
} from '../../models/guest/passwd.js';

const text = (s: string): Uint8Array => new TextEncoder().encode(s);
const PASSWD = text('root:x:0:0:root:/root:/bin/sh\n\n  app:x:1000:1000::/home/app:/bin/sh  \n');
const GROUP = text('root:x:0:\napp:x:1000:alice,bob\nextra:x:2000:\n');
const ids = (uid: number, gid: number, additionalGids: number[] = [],
  umask: number | null = null) =>
  ({ uid, gid, additionalGids, umask });

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

test.run();
