import { timingSafeEqual } from 'node:crypto'

const NONCE_BYTES = 12
const TIME_BYTES = 4
const MAC_BYTES = 16
const SIGNED_BYTES = NONCE_BYTES + TIME_BYTES

/**
 * Session tokens that prove where they came from: 12 random bytes, the issue time (seconds,
 * 4 bytes) and an HMAC-SHA256 of both under the mint's key (16 bytes);
 * 32 bytes in all, 43 characters of base64url. The session store uses this to give a visitor
 * who only reads a cookie without writing a row: a token it issued that no row knows yet is
 * a session not yet stored. A key drawn in memory is forgotten
 * by a restart, and unstored sessions with it; one kept in a shared database is not.
 */
export class TokenMint {
  readonly #key: Uint8Array

  /** A key of its own unless given one: nodes that share a key recognise each other's tokens. */
  constructor(key: Uint8Array = crypto.getRandomValues(new Uint8Array(32))) {
    this.#key = key
  }

  issue(nowMs: number): string {
    const token = new Uint8Array(SIGNED_BYTES + MAC_BYTES)
    token.set(crypto.getRandomValues(new Uint8Array(NONCE_BYTES)))
    new DataView(token.buffer).setUint32(NONCE_BYTES, Math.floor(nowMs / 1000))
    token.set(this.#mac(token.subarray(0, SIGNED_BYTES)), SIGNED_BYTES)
    return Buffer.from(token).toString('base64url')
  }

  /** When this mint issued `token`, in Unix milliseconds; null for a token it did not issue. */
  issuedAt(token: string): number | null {
    const bytes = Buffer.from(token, 'base64url')
    if (bytes.length !== SIGNED_BYTES + MAC_BYTES) return null
    const expected = this.#mac(bytes.subarray(0, SIGNED_BYTES))
    if (!timingSafeEqual(expected, bytes.subarray(SIGNED_BYTES))) return null
    return bytes.readUInt32BE(NONCE_BYTES) * 1000
  }

  #mac(data: Uint8Array): Uint8Array {
    const hmac = new Bun.CryptoHasher('sha256', this.#key)
    return hmac.update(data).digest().subarray(0, MAC_BYTES)
  }
}

/**
 * The session id that belongs to a token when the session is first stored: a one-way hash,
 * so an id (which may be logged) never reveals the token, shaped as a UUID (version 8).
 */
export function sessionIdFor(token: string): string {
  const hex = Bun.CryptoHasher.hash('sha256', `ironstar-session-id:${token}`, 'hex').slice(0, 32)
  const variant = ((Number.parseInt(hex.charAt(16), 16) & 0x3) | 0x8).toString(16)
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`
}
