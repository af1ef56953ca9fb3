// `c1m apply --user NAME` writes NAME into limits.d as root: only the characters a login
// name may have (shadow-utils' default rule, with upper case and dots allowed), at most 32.

const USER_NAME = /^[A-Za-z_][A-Za-z0-9_.-]{0,30}\$?$/

/** Whether a string is a safe login name for a limits.d line. */
export function isUserName(name: unknown): name is string {
  return typeof name === 'string' && USER_NAME.test(name)
}

/** Whether an /etc/passwd text has an entry for the user. */
export function passwdHasUser(passwd: string, name: string): boolean {
  return passwd.split('\n').some((line) => line.split(':')[0] === name)
}
