import { describe, expect, it } from 'bun:test'
import { constants, createGunzip } from 'node:zlib'
import { EMPTY_BLOCK, GZIP_HEADER, negotiateEncoding, SharedMessage } from '../../../../src/core/web/sse/compression.ts'

describe('negotiateEncoding', () => {
  it('returns null without a header or with identity only', () => {
    expect(negotiateEncoding(null)).toBeNull()
    expect(negotiateEncoding('')).toBeNull()
    expect(negotiateEncoding('identity')).toBeNull()
  })

  it('picks gzip whenever it is accepted, whatever else is offered', () => {
    expect(negotiateEncoding('gzip, deflate, br, zstd')).toBe('gzip')
    expect(negotiateEncoding('br;q=1, gzip;q=0.1')).toBe('gzip')
    expect(negotiateEncoding('br, zstd')).toBeNull()
  })

  it('treats q=0 as a refusal and honours the wildcard', () => {
    expect(negotiateEncoding('br, gzip;q=0')).toBeNull()
    expect(negotiateEncoding('*')).toBe('gzip')
    expect(negotiateEncoding('*;q=0.5, br;q=0')).toBe('gzip')
    expect(negotiateEncoding('*, gzip;q=0')).toBeNull()
  })

  it('ignores case and whitespace, and an unparseable q-value refuses', () => {
    expect(negotiateEncoding('  GZIP ; Q=1 ')).toBe('gzip')
    expect(negotiateEncoding('gzip;q=abc')).toBeNull()
  })
})

/** A streaming gunzip that hands back what each chunk decodes to, as a browser reads a feed. */
function decoder() {
  const gunzip = createGunzip({ flush: constants.Z_SYNC_FLUSH })
  let text = ''
  gunzip.on('data', (chunk: Buffer) => {
    text += chunk.toString('utf8')
  })
  return {
    async push(bytes: Uint8Array): Promise<string> {
      const before = text.length
      await new Promise<void>((resolve, reject) => gunzip.write(bytes, (error) => (error ? reject(error) : resolve())))
      await new Promise((resolve) => setImmediate(resolve))
      return text.slice(before)
    },
  }
}

const utf8 = new TextEncoder()
const render = (n: number) => utf8.encode(`data: ${'<li>an item that repeats</li>'.repeat(50)}<p>${n}</p>\n\n`)

describe('SharedMessage', () => {
  it('decodes warm after its previous message and cold anywhere, each block on its own', async () => {
    const first = new SharedMessage(render(1), null)
    const second = new SharedMessage(render(2), first)
    const inStep = decoder()
    expect(await inStep.push(GZIP_HEADER)).toBe('')
    expect(await inStep.push(first.compressedAfter(null))).toBe(new TextDecoder().decode(render(1)))
    expect(await inStep.push(EMPTY_BLOCK)).toBe('') // a keep-alive keeps it in step
    const warm = second.compressedAfter(first.token)
    expect(await inStep.push(warm)).toBe(new TextDecoder().decode(render(2)))

    const joinedLate = decoder()
    await joinedLate.push(GZIP_HEADER)
    const cold = second.compressedAfter(null)
    expect(await joinedLate.push(cold)).toBe(new TextDecoder().decode(render(2)))
    expect(warm.byteLength).toBeLessThan(cold.byteLength / 2)
    // Compressed once per form, however many connections ask.
    expect(second.compressedAfter(first.token)).toBe(warm)
    expect(second.compressedAfter({})).toBe(cold)
  })
})
