// A name (a file, a prompt's mask) as an error message shows it. Browser-safe.

/**
 * A name as messages show it: whole up to `max` characters, else its start and end with the length said (a 5 MB
 * mask name in a prompt file must not be echoed whole). Invisible characters are shown as escapes.
 */
export function clipName(name: string, max = 240): string {
  // eslint-disable-next-line no-control-regex
  const visible = name.replace(/[\u0000-\u001f\u007f\u200b-\u200f\u2028\u2029\ufeff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  if (visible.length <= max) return visible;
  const half = Math.floor((max - 40) / 2);
  return `${visible.slice(0, half)}…${visible.slice(-half)} (a name of ${name.length} characters)`;
}
