import pkg from '../../../package.json' with { type: 'json' }

/** What `ironstar version` prints; the compiled binary's entry fills in the commit and build time. */
export interface BuildInfo {
  readonly version: string
  readonly commit: string | null
  readonly builtAt: string | null
  readonly bun: string
}

let info: BuildInfo = { version: pkg.version, commit: null, builtAt: null, bun: Bun.version }

export function setBuildInfo(values: Pick<BuildInfo, 'commit' | 'builtAt'>): void {
  info = { ...info, ...values }
}

export function buildInfo(): BuildInfo {
  return info
}
