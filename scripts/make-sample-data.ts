#!/usr/bin/env bun
// `bun scripts/make-sample-data.ts`: writes the bundled analytics sample datasets to
// assets/samples/ as Parquet. The data is made up here, from a seeded generator, so the files
// are reproducible byte for byte and carry nobody's real data. Queries read them as
// `samples.stations` and `samples.trips` (views the analytics service creates at start).
import { mkdirSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { DuckDBInstance } from '@duckdb/node-api'
import { seededRandom } from '../src/core/testing/seeded-random.ts'

const OUT_DIR = resolve(import.meta.dir, '../assets/samples')
const TRIPS = 20_000
const DISTRICTS = ['Harbour', 'Old Town', 'University', 'Riverside', 'Market', 'Station', 'Park', 'Docks']

async function main(): Promise<void> {
  const next = seededRandom(20_260_101)
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)] as T
  const stations = Array.from({ length: 48 }, (_, i) => ({
    id: i + 1,
    name: `${pick(DISTRICTS)} ${['North', 'South', 'East', 'West', 'Square', 'Gate'][i % 6]} ${i + 1}`,
    district: DISTRICTS[i % DISTRICTS.length] as string,
    docks: 10 + Math.floor(next() * 30),
  }))
  const start = Date.UTC(2025, 5, 1)
  const trips = Array.from({ length: TRIPS }, (_, i) => {
    const from = pick(stations)
    const to = next() < 0.1 ? from : pick(stations)
    // Busier at the commuting peaks: hours drawn from a two-hump distribution.
    const hour = next() < 0.5 ? 7 + Math.floor(next() * 3) : 16 + Math.floor(next() * 4)
    const startedAt =
      start + Math.floor(i / (TRIPS / 30)) * 86_400_000 + hour * 3_600_000 + Math.floor(next() * 3_600_000)
    const minutes = Math.max(2, Math.round(-Math.log(1 - next()) * 14))
    return {
      id: i + 1,
      startedAt,
      minutes,
      from: from.id,
      to: to.id,
      member: next() < 0.7,
      bike: next() < 0.35 ? 'electric' : 'classic',
    }
  })

  const instance = await DuckDBInstance.create(':memory:')
  const db = await instance.connect()
  await db.run('CREATE TABLE stations (station_id INTEGER, name VARCHAR, district VARCHAR, docks INTEGER)')
  await db.run(`CREATE TABLE trips (trip_id INTEGER, started_at TIMESTAMP, duration_minutes INTEGER,
    from_station INTEGER, to_station INTEGER, is_member BOOLEAN, bike_type VARCHAR)`)
  const stationRows = await db.createAppender('stations')
  for (const s of stations) {
    stationRows.appendInteger(s.id)
    stationRows.appendVarchar(s.name)
    stationRows.appendVarchar(s.district)
    stationRows.appendInteger(s.docks)
    stationRows.endRow()
  }
  stationRows.closeSync()
  const tripRows = await db.createAppender('trips')
  for (const t of trips) {
    tripRows.appendInteger(t.id)
    tripRows.appendVarchar(new Date(t.startedAt).toISOString().replace('T', ' ').replace('Z', ''))
    tripRows.appendInteger(t.minutes)
    tripRows.appendInteger(t.from)
    tripRows.appendInteger(t.to)
    tripRows.appendBoolean(t.member)
    tripRows.appendVarchar(t.bike)
    tripRows.endRow()
  }
  tripRows.closeSync()
  mkdirSync(OUT_DIR, { recursive: true })
  for (const table of ['stations', 'trips']) {
    const path = join(OUT_DIR, `${table}.parquet`).replaceAll("'", "''")
    await db.run(`COPY (SELECT * FROM ${table} ORDER BY 1) TO '${path}' (FORMAT parquet, COMPRESSION zstd)`)
    console.log(`Wrote ${path} (${(Bun.file(path).size / 1024).toFixed(1)} KiB)`)
  }
  db.closeSync()
  instance.closeSync()
}

await main()
