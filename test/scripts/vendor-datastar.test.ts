import { afterAll, expect, it } from 'bun:test'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { BundleRefused, vendorBundle } from '../../scripts/vendor-datastar.ts'
import { checkDatastarBundle, DATASTAR_PIN } from '../../src/core/datastar-pin.ts'

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

it('vendorBundle() writes bytes that match the pin, atomically', () => {
  const bytes = new TextEncoder().encode('// a stand-in bundle\n')
  const pin = checkDatastarBundle(bytes, { sha256: '', integrity: '' })
  const out = join(dir, 'ok', 'datastar.js')
  vendorBundle(bytes, out, { pin })
  expect(readFileSync(out, 'utf8')).toBe('// a stand-in bundle\n')
  expect(existsSync(`${out}.tmp`)).toBe(false)
  expect(() => vendorBundle(new TextEncoder().encode('tampered'), join(dir, 'bad.js'), { pin })).toThrow(BundleRefused)
  expect(existsSync(join(dir, 'bad.js'))).toBe(false)
})
