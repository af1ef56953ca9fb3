// The parts of npm phoenix's client (it ships no types) that the tests use.
declare module 'phoenix' {
  interface Push {
    receive(status: string, callback: (response: unknown) => void): Push
  }
  interface Channel {
    join(timeout?: number): Push
    leave(timeout?: number): Push
    push(event: string, payload: object, timeout?: number): Push
    on(event: string, callback: (payload: unknown) => void): number
  }
  interface SocketOptions {
    transport?: unknown
    heartbeatIntervalMs?: number
    reconnectAfterMs?: (tries: number) => number
    rejoinAfterMs?: (tries: number) => number
    timeout?: number
  }
  export class Socket {
    constructor(endPoint: string, options?: SocketOptions)
    connect(): void
    disconnect(callback?: () => void, code?: number, reason?: string): void
    channel(topic: string, params?: object): Channel
    onOpen(callback: () => void): string
    onClose(callback: (event: {code: number; reason: string}) => void): string
    onError(callback: (error: unknown) => void): string
    onMessage(callback: (message: {topic: string; event: string; payload: unknown; ref: string | null}) => void): string
    isConnected(): boolean
  }
}
