// Reads what a fan-out client saved and turns it into latencies. Format: float64 records of
// position, width, then `width` arrival times and `width` read times (0: never received).
export interface ReceiptRow {
  readonly arrived: Float64Array
  readonly read: Float64Array
}

export async function loadReceipts(path: string): Promise<Map<number, ReceiptRow>> {
  const all = new Float64Array(await Bun.file(path).arrayBuffer())
  const rows = new Map<number, ReceiptRow>()
  for (let at = 0; at < all.length; ) {
    const position = all[at] as number
    const width = all[at + 1] as number
    const arrived = all.subarray(at + 2, at + 2 + width)
    rows.set(position, { arrived, read: all.subarray(at + 2 + width, at + 2 + 2 * width) })
    at += 2 + 2 * width
  }
  return rows
}

export interface Latencies {
  readonly deliveries: number
  readonly missing: number
  /** When the last client had the last event (epoch ms). */
  readonly lastReceipt: number
  readonly deliveryP50: number
  readonly deliveryP99: number
  /** Per command: until the last client had it. */
  readonly everyClientP50: number
  readonly everyClientP99: number
}

function quantile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return Number.NaN
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number
}

/** Latencies from each command's start time (`from`: position → epoch ms) to arrival or read. */
export function latencies(
  rows: Map<number, ReceiptRow>,
  from: Record<number, number>,
  clients: number,
  time: 'arrived' | 'read',
): Latencies {
  const positions = Object.keys(from).map(Number)
  const all = new Float64Array(positions.length * clients)
  const perCommand = new Float64Array(positions.length)
  let deliveries = 0
  let commands = 0
  let missing = 0
  let lastReceipt = 0
  for (const position of positions) {
    const start = from[position] as number
    const row = rows.get(position)?.[time]
    if (!row) {
      missing += clients
      continue
    }
    let last = 0
    for (const at of row) {
      if (at === 0) {
        missing++
        continue
      }
      all[deliveries++] = at - start
      if (at > last) last = at
    }
    perCommand[commands++] = last - start
    if (last > lastReceipt) lastReceipt = last
  }
  const delivered = all.subarray(0, deliveries).sort()
  const everyClient = perCommand.subarray(0, commands).sort()
  return {
    deliveries,
    missing,
    lastReceipt,
    deliveryP50: quantile(delivered, 0.5),
    deliveryP99: quantile(delivered, 0.99),
    everyClientP50: quantile(everyClient, 0.5),
    everyClientP99: quantile(everyClient, 0.99),
  }
}
