// `c1m apply --unit NAME` writes /etc/systemd/system/NAME.service.d/90-c1m.conf as root, so
// NAME becomes part of a path: only systemd's unit name characters, never `/` or `..`.

const UNIT_NAME = /^[A-Za-z0-9_@:][A-Za-z0-9_.@:-]{0,200}$/
const DROP_IN_DIR = /^\/etc\/systemd\/system\/([^/]+)\.service\.d$/

/**
 * The service name of --unit (an optional `.service` suffix dropped), or undefined when it is not a
 * safe unit name.
 */
export function parseUnitName(input: string): string | undefined {
  const name = input.endsWith('.service') ? input.slice(0, -'.service'.length) : input
  if (!UNIT_NAME.test(name) || name.includes('..')) return undefined
  return name
}

/** The directory of the unit's drop-ins under /etc. */
export const unitDropInDir = (name: string) => `/etc/systemd/system/${name}.service.d`

/** The drop-in apply writes for the unit. */
export const unitDropInFile = (name: string) => `${unitDropInDir(name)}/90-c1m.conf`

/** Whether a path is the drop-in directory of a safe unit name, and nothing else. */
export function isUnitDropInDir(file: unknown): boolean {
  if (typeof file !== 'string') return false
  const match = DROP_IN_DIR.exec(file)
  return match !== null && parseUnitName(match[1]) === match[1]
}

/** Whether a path is exactly the drop-in apply writes for some safe unit name. */
export function isUnitDropInFile(file: unknown): boolean {
  if (typeof file !== 'string' || !file.endsWith('/90-c1m.conf')) return false
  return isUnitDropInDir(file.slice(0, -'/90-c1m.conf'.length))
}
