/**
 * Text for HTML, SVG and XML (JUnit): & < > " escaped, so it is safe between tags and inside
 * a double-quoted attribute (the only quoting c1m's renderers use). The one escape every
 * renderer uses.
 */
export function escapeXml(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;')
}
