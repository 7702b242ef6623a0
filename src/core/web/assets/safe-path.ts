/**
 * Turns the part of a URL path after `/assets/` into a relative asset name, or null when it could escape the
 * asset root. Checked on the raw (still percent-encoded) path because WHATWG URL parsing only folds literal
 * `..` segments: `%2e%2e`, encoded slashes and backslashes would otherwise survive to the file system.
 */
export function toAssetName(rawTail: string): string | null {
  if (rawTail === '' || rawTail.length > 512) return null
  // Encoded separators are never legitimate in an asset name; refuse instead of guessing what was meant.
  if (/%(2f|5c|00)/i.test(rawTail)) return null
  let decoded: string
  try {
    decoded = decodeURIComponent(rawTail)
  } catch {
    return null
  }
  if (decoded.includes('\\') || decoded.includes('\0')) return null
  const segments = decoded.split('/')
  for (const segment of segments) {
    if (segment === '' || segment === '.' || segment === '..') return null
    // Dot files (.DS_Store, .gitignore) are never assets.
    if (segment.startsWith('.')) return null
  }
  return segments.join('/')
}

/** The raw path of a request URL, before any decoding (`new URL()` keeps percent-escapes as sent). */
export function rawAssetTail(url: string, prefix: string): string | null {
  const { pathname } = new URL(url)
  return pathname.startsWith(prefix) ? pathname.slice(prefix.length) : null
}
