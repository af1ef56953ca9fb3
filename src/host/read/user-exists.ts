import {spawnSync} from 'node:child_process'

import {passwdHasUser} from '../../core/profile/user-name.js'
import {type HostRoot, readHostText} from '../files/root.js'

/**
 * Whether a (validated) user exists on the target: in ROOT/etc/passwd under a --root tree;
 * on the live host in /etc/passwd, else through `getent passwd` (users from LDAP or sssd).
 */
export function userExists(root: HostRoot, name: string): boolean {
  const passwd = readHostText(root, '/etc/passwd')
  if (passwd.ok && passwdHasUser(passwd.text, name)) return true
  if (!root.live) return false
  const result = spawnSync('getent', ['passwd', name], {encoding: 'utf8', timeout: 5000})
  return result.status === 0 && passwdHasUser(result.stdout, name)
}
