import { afterAll, beforeAll, describe, expect, it } from 'bun:test'
import { mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { Analytics } from '../../../src/core/analytics/analytics.ts'
import { resolveSamplesDir, useEmbeddedSamples } from '../../../src/core/analytics/samples-dir.ts'
import { BroadcastRing } from '../../../src/core/eventsourcing/bus.ts'
import { createAssetServer } from '../../../src/core/web/assets.ts'
import { makeTempDir, openTestStore, type TestStore } from '../../fixtures/store.ts'

let test: TestStore
let analytics: Analytics

beforeAll(async () => {
  test = openTestStore()
  analytics = await Analytics.start(test.store, new BroadcastRing(), { samplesDir: await resolveSamplesDir(test.dir) })
})

afterAll(async () => {
  await analytics.close()
  await test.close()
})

describe('bundled sample data', () => {
  it('is queryable as samples.* views from a read-only query', async () => {
    expect(analytics.sampleViews).toEqual(['samples.stations', 'samples.trips'])
    const result = await analytics.db.queryUntrusted(
      `SELECT s.district, count(*) AS trips FROM samples.trips t JOIN samples.stations s ON s.station_id = t.from_station
       GROUP BY ALL ORDER BY trips DESC`,
    )
    expect(result.rows.reduce((sum, row) => sum + Number(row[1]), 0)).toBe(20_000)
  })

  it('can be read by path, since the sample directory is the allowed one', async () => {
    const path = join(analytics.db.sandbox.samplesDir ?? '', 'stations.parquet')
    const result = await analytics.db.queryUntrusted(`SELECT count(*) FROM read_parquet('${path}')`)
    expect(result.rows).toEqual([[48]])
  })

  it('resolveSamplesDir() writes embedded samples to the data directory for the built binary', async () => {
    const dataDir = makeTempDir('ironstar-samples-')
    useEmbeddedSamples(async () => [{ name: 'tiny.csv', bytes: new Blob(['x\n1\n']) }])
    try {
      const dir = await resolveSamplesDir(dataDir)
      expect(dir).toBe(join(dataDir, 'samples'))
      expect(await Bun.file(join(dataDir, 'samples', 'tiny.csv')).text()).toBe('x\n1\n')
    } finally {
      useEmbeddedSamples(null)
      rmSync(dataDir, { recursive: true, force: true })
    }
  })
})

describe('the sample directory from source', () => {
  it('is never served as web content, while the other assets are', async () => {
    const root = makeTempDir('ironstar-assets-')
    mkdirSync(join(root, 'assets', 'samples'), { recursive: true })
    writeFileSync(join(root, 'assets', 'samples', 'planted.html'), '<script>alert(document.cookie)</script>')
    writeFileSync(join(root, 'assets', 'samples', 'trips.parquet'), 'PAR1')
    writeFileSync(join(root, 'assets', 'robots.txt'), 'User-agent: *')
    const assets = createAssetServer({ env: 'test', rootDir: root })
    try {
      const status = async (path: string) => (await assets.handle(new Request(`http://localhost${path}`))).status
      expect(await status('/assets/robots.txt')).toBe(200)
      for (const path of [
        '/assets/samples/planted.html',
        '/assets/samples/trips.parquet',
        '/assets/Samples/planted.html',
      ]) {
        expect(await status(path)).toBe(404)
      }
    } finally {
      assets.close()
      rmSync(root, { recursive: true, force: true })
    }
  })
})
