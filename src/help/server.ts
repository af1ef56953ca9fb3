// The help of `c1m server`: its description and examples, as `c1m server --help` prints them.

export const description = `Run the bundled epoll echo server on its own, to take load from \`c1m client\` on this or another host.

Worker i listens on --port + i, or with --reuse-port every worker shares --port (each is one process, so each may hold as many connections as the per-process open-file limit allows). It runs until Ctrl-C or --duration, printing the connection count to stderr as it changes.`

export const examples = [
  {description: 'One worker on 127.0.0.1:9000 until Ctrl-C', command: '<%= config.bin %> <%= command.id %>'},
  {description: 'Enough workers for a million connections, on every address', command: '<%= config.bin %> <%= command.id %> --host 0.0.0.0 --port 9000 --conns 1M'},
  {description: 'The node.js engine for one minute', command: '<%= config.bin %> <%= command.id %> --engine node --duration 60s'},
  {description: 'Four workers sharing port 9000 (SO_REUSEPORT)', command: '<%= config.bin %> <%= command.id %> --port 9000 --workers 4 --reuse-port'},
]
