import { describe, expect, it } from 'bun:test'
import { parseElementsPatch, SseParser } from '../../../src/core/testing/sse-client.ts'
import { encodePatch } from '../../../src/core/web/sse/encode.ts'

describe('SseParser', () => {
  it('dispatches events at blank lines whatever the chunking and line endings', () => {
    // A CR at the very end may be half of a CRLF, so the wire ends with CR CRLF.
    const wire = 'event: a\r\nid: 1\r\ndata: x\r\ndata: y\r\n\r\n: note\n\nevent: b\rdata: z\r\r\n'
    for (const size of [1, 2, 5, wire.length]) {
      const parser = new SseParser()
      const events = []
      for (let i = 0; i < wire.length; i += size) events.push(...parser.push(wire.slice(i, i + size)))
      expect(events).toEqual([
        { event: 'a', id: '1', data: 'x\ny', retry: null },
        { event: 'b', id: null, data: 'z', retry: null },
      ])
      expect(parser.comments).toBe(1)
    }
  })

  it('ignores events without data and reads a retry field', () => {
    const parser = new SseParser()
    expect(parser.push('event: empty\n\nretry: 500\ndata\n\n')).toEqual([
      { event: 'message', id: null, data: '', retry: 500 },
    ])
  })
})

describe('parseElementsPatch', () => {
  it('joins the elements lines of an encoded patch back into the HTML', () => {
    const html = '<div id="a">one\ntwo</div>'
    const [event] = new SseParser().push(new TextDecoder().decode(encodePatch(html, 5)))
    expect(event?.id).toBe('5')
    expect(parseElementsPatch(event as NonNullable<typeof event>)).toEqual({
      elements: html,
      selector: null,
      mode: 'outer',
    })
  })
})
