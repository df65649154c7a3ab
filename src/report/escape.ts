/** Escaping for text placed in HTML/SVG element content or double-quoted attributes. */

/** Escape `& < > " '` so user text can never open a tag or end an attribute. */
export function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}
