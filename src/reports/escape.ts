import {cleanLine} from '../core/clean-text.js'

/**
 * Text for HTML, SVG and XML (JUnit): & < > " escaped, so it is safe between tags and inside
 * a double-quoted attribute (the only quoting c1m's renderers use). The one escape every
 * renderer uses.
 */
export function escapeXml(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;')
}

/**
 * Text from a file c1m did not write, made safe for a terminal: control characters, escape sequences
 * among them, become "?". The readers already clean what they read (core/clean-text.ts); this is
 * the same sanitizer, for what a renderer is given from elsewhere.
 */
export function printable(text: string): string {
  return cleanLine(text)
}
