// Ports for the reference benches' servers on 127.0.0.1.
import net from 'node:net'

/** A free TCP port on 127.0.0.1 (the kernel picks it; the server binds it right after). */
export function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const {port} = s.address()
      s.close(() => resolve(port))
    })
  })
}

/** Wait until something accepts on the port: tries every 50 ms, `tries` times at most. */
export async function waitForPort(port, tries = 400) {
  for (let i = 0; i < tries; i++) {
    const ok = await new Promise((resolve) => {
      const s = net.connect(port, '127.0.0.1', () => { s.destroy(); resolve(true) })
      s.on('error', () => resolve(false))
    })
    if (ok) return
    await new Promise((r) => setTimeout(r, 50))
  }
  throw new Error(`nothing on port ${port}`)
}
