// Names c1m passes to `ip` as root, from flags and from the apply record: checked before use.

/** A network namespace name as `ip netns add` makes it: a file name in /run/netns. */
export function isNetnsName(name: unknown): name is string {
  return typeof name === 'string' && /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$/.test(name)
}

/**
 * An interface name the kernel accepts (dev_valid_name): 1-15 bytes, no slash, colon or space, not
 * . or ..
 */
export function isIfaceName(name: unknown): name is string {
  return typeof name === 'string' && /^[A-Za-z0-9_][A-Za-z0-9_.@-]{0,14}$/.test(name)
}

/** A dotted-quad IPv4 address, each part 0-255 without leading zeros. */
export function isIpv4(address: unknown): address is string {
  if (typeof address !== 'string') return false
  const parts = address.split('.')
  return parts.length === 4 && parts.every((p) => /^(0|[1-9]\d{0,2})$/.test(p) && Number(p) <= 255)
}
