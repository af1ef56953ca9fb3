/**
 * Text for HTML, SVG and XML (JUnit): & < > " ' escaped, so it is safe both between tags
 * and inside a quoted attribute. The one escape every renderer uses.
 */
export function escapeXml(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;').replaceAll("'", '&#39;')
}
