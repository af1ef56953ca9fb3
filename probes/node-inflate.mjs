// permessage-deflate (RFC 7692) for the node engine's client, as inflate.h is for the native one:
// what the server compresses is inflated, so an echo is compared byte for byte and a pushed
// message counts its uncompressed bytes. The server may keep its window from one message to the
// next, so each connection keeps one inflater; Node's zlib streams are asynchronous, so messages
// of a connection that come while one inflates wait their turn, in order.
import zlib from 'node:zlib'

/** What the client offers in the upgrade, as browsers do. */
export const DEFLATE_OFFER = 'permessage-deflate; client_max_window_bits'
const TAIL = Buffer.from([0, 0, 0xff, 0xff])

export class MessageInflater {
  #zin = zlib.createInflateRaw()
  #turn = Promise.resolve()
  #parts = []
  #waiting = 0
  /** A compressed message's first frame came and its last has not. */
  inMessage = false

  /** Whether a message is being inflated: what comes next must wait (run it with after()). */
  get busy() {
    return this.#waiting > 0
  }

  /**
   * One frame's payload of a compressed message; at the last (fin), done(text) gets the message
   * inflated, or failed() when it does not inflate.
   */
  push(payload, fin, done, failed) {
    this.inMessage = !fin
    this.#parts.push(payload)
    if (!fin) return
    const compressed = Buffer.concat([...this.#parts.splice(0), TAIL])
    this.after(() => this.#inflate(compressed).then(done, failed))
  }

  /** Run fn after every message before it (fn may return a promise). */
  after(fn) {
    this.#waiting++
    this.#turn = this.#turn.then(fn).catch(() => {}).finally(() => this.#waiting--)
  }

  #inflate(bytes) {
    return new Promise((resolve, reject) => {
      const out = []
      const take = (chunk) => out.push(chunk)
      const fail = (error) => {
        this.#zin.off('data', take)
        reject(error)
      }
      this.#zin.on('data', take)
      this.#zin.once('error', fail)
      this.#zin.write(bytes)
      this.#zin.flush(zlib.constants.Z_SYNC_FLUSH, () => {
        this.#zin.off('data', take)
        this.#zin.off('error', fail)
        resolve(Buffer.concat(out))
      })
    })
  }

  close() {
    this.#zin.close()
  }
}
