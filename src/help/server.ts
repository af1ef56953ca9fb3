// The help of `c1m server`: its description and examples, as `c1m server --help` prints them.

export const description = `Run the bundled epoll echo server on its own, to take load from \`c1m client\` on this or another host.

Worker i listens on --port + i, or with --reuse-port every worker shares --port (each is one process, so each may hold as many connections as the per-process open-file limit allows). It runs until Ctrl-C or --duration, printing the connection count to stderr as it changes.

With --app it speaks an application's protocol over the WebSocket instead of echoing frames: socketio (Engine.IO 4 at /socket.io/?EIO=4&transport=websocket: open packet, namespace connects, pings every --ping-interval, a connection whose pong is later than --ping-timeout closed, events echoed to their sender) or phoenix (Phoenix channels V2 at /socket/websocket?vsn=2.0.0: joins to room:* topics, heartbeats answered, a socket silent for --idle-timeout closed, pushes answered and sent back to their sender).`

export const examples = [
  {description: 'One worker on 127.0.0.1:9000 until Ctrl-C', command: '<%= config.bin %> <%= command.id %>'},
  {description: 'Enough workers for a million connections, on every address', command: '<%= config.bin %> <%= command.id %> --host 0.0.0.0 --port 9000 --conns 1M'},
  {description: 'The node.js engine for one minute', command: '<%= config.bin %> <%= command.id %> --engine node --duration 60s'},
  {description: 'On every IPv6 and IPv4 address of the host (dual-stack, where the kernel allows it)', command: '<%= config.bin %> <%= command.id %> --host :: --port 9000'},
  {description: 'Four workers sharing port 9000 (SO_REUSEPORT)', command: '<%= config.bin %> <%= command.id %> --port 9000 --workers 4 --reuse-port'},
  {description: 'A WebSocket server that pushes every connection one 512-byte frame a second ("c1m-fanout SEQ SENT_US ..."), for a fan-out test of your own clients', command: '<%= config.bin %> <%= command.id %> --protocol ws --broadcast-every 1s --broadcast-size 512'},
  {description: 'A Socket.IO server for socket.io-client, pinging every 10 s', command: '<%= config.bin %> <%= command.id %> --app socketio --ping-interval 10s'},
]
