import { networkInterfaces } from 'node:os'
import { HttpError } from './errors.ts'

/**
 * The addresses this server answers for. A request whose `Host` is not one of `hosts` is
 * refused (DNS rebinding: a page on `attacker.example` resolved to this machine sends its own
 * host name), and a state-changing request from a browser must come from one of `origins`.
 */
export interface OriginPolicy {
  /** `scheme://host[:port]`, as browsers write `Origin`. */
  readonly origins: ReadonlySet<string>
  /** `host[:port]`, lowercase, as clients write `Host`. */
  readonly hosts: ReadonlySet<string>
  /** What to tell a visitor at the wrong address: the public origin(s), else the listen address. */
  readonly publicOrigins: readonly string[]
}

export interface OriginPolicyOptions {
  /** PUBLIC_ORIGIN, parsed; empty means "the listen address". */
  readonly publicOrigins: readonly string[]
  /** The interface the server is bound to (HOST). */
  readonly hostname: string
  /** The port it actually listens on (not 0). */
  readonly port: number
  /** What the listener speaks, so the machine's own names get the origins browsers send. @default 'http:' */
  readonly scheme?: 'http:' | 'https:'
}

const LOOPBACK = ['localhost', '127.0.0.1', '[::1]']
const WILDCARDS = new Set(['0.0.0.0', '::', '[::]'])
/** Header values echoed in messages are cut here, so an absurd header cannot make an absurd page. */
const MAX_ECHO = 200

/** Parses one public origin (`https://app.example.com`); null unless it is http(s) with nothing after the host. */
export function parseOrigin(raw: string): string | null {
  let url: URL
  try {
    url = new URL(raw.trim())
  } catch {
    return null
  }
  const bare = !url.username && !url.password && url.pathname === '/' && !url.search && !url.hash
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || !bare) return null
  return url.origin
}

function bracketed(address: string): string {
  return address.includes(':') && !address.startsWith('[') ? `[${address}]` : address
}

/** This machine's own names on the bound port: loopback always, every interface when bound to all. */
function localHostNames(hostname: string): string[] {
  const name = bracketed(hostname.toLowerCase())
  if (!WILDCARDS.has(name)) return LOOPBACK.includes(name) ? LOOPBACK : [...LOOPBACK, name]
  const addresses = Object.values(networkInterfaces()).flatMap((entries) => entries ?? [])
  // A link-local address needs a zone id that no Host header carries usefully.
  const routable = addresses.filter((entry) => !entry.address.startsWith('fe80:'))
  return [...new Set([...LOOPBACK, ...routable.map((entry) => bracketed(entry.address))])]
}

/** `host:port`, and the bare host too when the port is the scheme's default. */
function hostForms(host: string, port: number, scheme: 'http:' | 'https:'): string[] {
  const isDefault = port === (scheme === 'https:' ? 443 : 80)
  return isDefault ? [host, `${host}:${port}`] : [`${host}:${port}`]
}

export function createOriginPolicy(options: OriginPolicyOptions): OriginPolicy {
  const { publicOrigins, hostname, port, scheme: ownScheme = 'http:' } = options
  const origins = new Set<string>()
  const hosts = new Set<string>()
  for (const origin of publicOrigins) {
    const url = new URL(origin)
    const scheme = url.protocol === 'https:' ? 'https:' : 'http:'
    origins.add(url.origin)
    for (const form of hostForms(url.hostname, Number(url.port || (scheme === 'https:' ? 443 : 80)), scheme)) {
      hosts.add(form)
    }
  }
  // The machine itself is always allowed: a health check, a tunnel, the reverse proxy next door.
  // An address is never a rebinding risk; only a DNS name an attacker controls is.
  for (const name of localHostNames(hostname)) {
    for (const form of hostForms(name, port, ownScheme)) {
      hosts.add(form)
      origins.add(`${ownScheme}//${form}`)
    }
  }
  const listen = `${ownScheme}//${bracketed(hostname)}:${port}`
  return { origins, hosts, publicOrigins: publicOrigins.length > 0 ? publicOrigins : [listen] }
}

/** A header value fit for a message: bounded, since it is the sender's to choose. */
export function forMessage(value: string): string {
  return value.length > MAX_ECHO ? `${value.slice(0, MAX_ECHO)}…` : value
}

/**
 * Refuses a request addressed to a host this server is not (421), or with no usable `Host`
 * (400). `url` is what Bun made of the request; its host must be expected as well as the
 * header's, in case an absolute-form target ever carries an authority of its own.
 */
export function checkHost(req: Request, url: URL, policy: OriginPolicy): void {
  const host = req.headers.get('host')?.toLowerCase()
  if (!host) throw new HttpError(400, 'Cannot answer a request without a Host header: send the address you asked for')
  for (const asked of new Set([host, url.host.toLowerCase()])) {
    if (!policy.hosts.has(asked)) {
      throw new HttpError(
        421,
        `Cannot answer for "${forMessage(asked)}": this site is ${policy.publicOrigins.join(' or ')}. ` +
          'An operator sets its address with PUBLIC_ORIGIN',
      )
    }
  }
}
