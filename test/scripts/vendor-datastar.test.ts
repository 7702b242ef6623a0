import { afterAll, describe, expect, it } from 'bun:test'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { BundleRefused, recordPathFor, vendorBundle } from '../../scripts/vendor-datastar.ts'
import { checkDatastarBundle, DATASTAR_PIN, inspectVendoredDatastar } from '../../src/core/web/datastar-pin.ts'

const dir = mkdtempSync(join(tmpdir(), 'ironstar-vendor-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const SCRIPT = join(import.meta.dir, '../../scripts/vendor-datastar.ts')

it('pins v1.0.4 with the sha256 and SRI of its official bundle', () => {
  expect(DATASTAR_PIN.version).toBe('1.0.4')
  expect(DATASTAR_PIN.url).toEndWith('/datastar@1.0.4/bundles/datastar.js')
  expect(DATASTAR_PIN.sha256).toMatch(/^[0-9a-f]{64}$/)
  expect(DATASTAR_PIN.integrity).toStartWith('sha384-')
})

it('checkDatastarBundle() reports the hashes of bytes that are not the pinned bundle', () => {
  const check = checkDatastarBundle(new TextEncoder().encode('// Datastar v9'))
  expect(check.ok).toBe(false)
  expect(check.sha256).toMatch(/^[0-9a-f]{64}$/)
  expect(check.integrity).toMatch(/^sha384-[A-Za-z0-9+/]+=*$/)
})

it('vendor:datastar refuses a file with the wrong hash loudly and writes nothing', () => {
  const source = join(dir, 'fake.js')
  const out = join(dir, 'out', 'datastar.js')
  writeFileSync(source, '// Datastar v1.0.4 (not really)\n')
  const run = Bun.spawnSync(['bun', SCRIPT, '--from', source, '--out', out], { stderr: 'pipe', stdout: 'pipe' })
  expect(run.exitCode).toBe(1)
  expect(run.stderr.toString()).toContain('REFUSED: the Datastar bundle does not match the pin for v1.0.4')
  expect(existsSync(out)).toBe(false)
})

it('vendorBundle() writes bytes that match the pin, atomically, and records them as pinned', () => {
  const bytes = new TextEncoder().encode('// a stand-in bundle\n')
  const pin = checkDatastarBundle(bytes, { sha256: '', integrity: '' })
  const out = join(dir, 'ok', 'datastar.js')
  vendorBundle(bytes, out, { pin })
  expect(readFileSync(out, 'utf8')).toBe('// a stand-in bundle\n')
  expect(existsSync(`${out}.tmp`)).toBe(false)
  expect(JSON.parse(readFileSync(recordPathFor(out), 'utf8'))).toMatchObject({ sha256: pin.sha256, pinned: true })
  expect(() => vendorBundle(new TextEncoder().encode('tampered'), join(dir, 'bad.js'), { pin })).toThrow(BundleRefused)
  expect(existsSync(join(dir, 'bad.js'))).toBe(false)
})

describe('vendor:datastar --from <file> --unpinned: an offline copy of another 1.0.x release', () => {
  const bundle = '// Datastar v1.0.3\nexport const datastar = "another patch release"\n'
  const vendor = (args: string[]) => Bun.spawnSync(['bun', SCRIPT, ...args], { stderr: 'pipe', stdout: 'pipe' })

  it('is refused without --unpinned, with the way to accept it, and nothing is written', () => {
    const source = join(dir, 'v103.js')
    const out = join(dir, 'refused', 'datastar.js')
    writeFileSync(source, bundle)
    const run = vendor(['--from', source, '--out', out])
    expect(run.exitCode).toBe(1)
    expect(run.stderr.toString()).toContain('its first line says v1.0.3')
    expect(run.stderr.toString()).toContain('run again with --unpinned')
    expect(existsSync(out)).toBe(false)
    expect(existsSync(recordPathFor(out))).toBe(false)
  })

  it('is accepted with --unpinned, its hash recorded, and then reported as unpinned', () => {
    const source = join(dir, 'v103.js')
    const assets = join(dir, 'accepted')
    const out = join(assets, 'vendor', 'datastar.js')
    writeFileSync(source, bundle)
    const run = vendor(['--from', source, '--out', out, '--unpinned'])
    expect(run.stderr.toString()).toBe('')
    expect(run.exitCode).toBe(0)
    const { sha256, integrity } = checkDatastarBundle(new TextEncoder().encode(bundle))
    expect(run.stdout.toString()).toContain(`Vendored Datastar unpinned v1.0.3 (sha256 ${sha256})`)
    expect(readFileSync(out, 'utf8')).toBe(bundle)
    expect(JSON.parse(readFileSync(recordPathFor(out), 'utf8'))).toEqual({
      version: '1.0.3',
      sha256,
      integrity,
      pinned: false,
    })
    expect(inspectVendoredDatastar(assets)).toEqual({ kind: 'unpinned', version: '1.0.3', sha256 })

    // Bytes changed after vendoring no longer match the record: unchecked again.
    writeFileSync(out, `${bundle}// edited by hand\n`)
    expect(inspectVendoredDatastar(assets).kind).toBe('unchecked')
  })

  it('still refuses what is not a 1.0.x bundle, and --unpinned without --from', () => {
    for (const [name, text] of [
      ['v110.js', '// Datastar v1.1.0\nexport {}\n'],
      ['none.js', 'export const notDatastar = 1\n'],
    ] as const) {
      writeFileSync(join(dir, name), text)
      const out = join(dir, `refused-${name}`, 'datastar.js')
      const run = vendor(['--from', join(dir, name), '--out', out, '--unpinned'])
      expect(run.exitCode).toBe(1)
      expect(run.stderr.toString()).toContain('--unpinned takes a Datastar 1.0.x bundle')
      expect(existsSync(out)).toBe(false)
    }
    const download = vendor(['--unpinned', '--out', join(dir, 'nowhere', 'datastar.js')])
    expect(download.exitCode).toBe(1)
    expect(download.stderr.toString()).toContain('--unpinned needs --from <file>')
  })
})
