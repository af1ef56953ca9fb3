// A throwaway CA and a server certificate it signed, made with the openssl command for tests
// that speak TLS: the certificate names IP 127.0.0.1 and DNS c1m.test unless told other names.
import {execFileSync} from 'node:child_process'
import {writeFileSync} from 'node:fs'
import path from 'node:path'

export interface TestCerts {
  /** The CA's certificate (PEM): what --ca is given. */
  ca: string
  cert: string
  key: string
}

export function makeCerts(dir: string, san = 'IP:127.0.0.1,DNS:c1m.test'): TestCerts {
  const file = (name: string) => path.join(dir, name)
  const openssl = (...args: string[]) => execFileSync('openssl', args, {stdio: 'pipe', timeout: 30_000})
  openssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', file('ca.key'), '-out', file('ca.pem'), '-days', '2', '-subj', '/CN=c1m test CA')
  openssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', file('server.key'), '-out', file('server.csr'), '-subj', '/CN=c1m.test')
  writeFileSync(file('san.ext'), `subjectAltName=${san}\n`)
  openssl('x509', '-req', '-in', file('server.csr'), '-CA', file('ca.pem'), '-CAkey', file('ca.key'), '-CAcreateserial', '-out', file('server.pem'), '-days', '2', '-extfile', file('san.ext'))
  return {ca: file('ca.pem'), cert: file('server.pem'), key: file('server.key')}
}
