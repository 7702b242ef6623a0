import { createPrivateKey, X509Certificate } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { ConfigError, type TlsFiles } from './config.ts'

/** What Bun.serve's `tls` takes: the PEM texts. */
export interface TlsCredentials {
  readonly cert: string
  readonly key: string
}

/**
 * Reads TLS_CERT and TLS_KEY and checks that they are a PEM certificate (chain) and the private key
 * that belongs to it. Each fault is one ConfigError sentence naming the variable: Bun's own error for
 * the same files is an OpenSSL code such as `KEY_VALUES_MISMATCH`.
 */
export function readTlsCredentials({ certPath, keyPath }: TlsFiles): TlsCredentials {
  const cert = readPem('TLS_CERT', certPath, 'certificate')
  const key = readPem('TLS_KEY', keyPath, 'private key')
  let certificate: X509Certificate
  try {
    certificate = new X509Certificate(cert)
  } catch {
    throw new ConfigError(`Cannot use TLS_CERT "${certPath}": it is not a PEM certificate (BEGIN CERTIFICATE)`)
  }
  let privateKey: ReturnType<typeof createPrivateKey>
  try {
    privateKey = createPrivateKey(key)
  } catch {
    throw new ConfigError(
      `Cannot use TLS_KEY "${keyPath}": it is not an unencrypted PEM private key (BEGIN PRIVATE KEY)`,
    )
  }
  if (!certificate.checkPrivateKey(privateKey)) {
    throw new ConfigError(`Cannot use TLS_KEY "${keyPath}": it is not the private key of the certificate in TLS_CERT`)
  }
  return { cert, key }
}

function readPem(variable: string, path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8')
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    const reason = code === 'ENOENT' ? 'there is no such file' : `it cannot be read (${code ?? 'unknown error'})`
    throw new ConfigError(`Cannot use ${variable} "${path}": ${reason}; set it to the ${what}'s PEM file`)
  }
}
