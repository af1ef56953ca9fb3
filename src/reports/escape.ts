/**
 * Text for HTML, SVG and XML (JUnit): & < > " escaped, so it is safe between tags and inside
 * a double-quoted attribute (the only quoting c1m's renderers use). The one escape every
 * renderer uses.
 */
export function escapeXml(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;')
}

/**
 * Text from a file c1m did not write (a host's report in doctor --merge), made safe for a
 * terminal: control characters, escape sequences among them, become "?".
 */
export function printable(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replaceAll(/[\u0000-\u001f\u007f-\u009f]/g, '?')
}
