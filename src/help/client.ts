// The help of `c1m client`: its description and examples, as `c1m client --help` prints them.

export const description = `Open N connections to an echo server (\`c1m server\` here or on another host), check that each one echoes, hold them, then reset them all.

Connections are split over as many processes as the per-process open-file limit requires. To a 127.x target every process binds its own 127.1.x.y address and explicit ports, so connect() never searches for a free port; with --source the given addresses' ports are split between the processes; otherwise the kernel picks ports. Exit 10 when not every connection opened or echoed, or the server closed them all: one error line says what happened (a refused connect, the server's answer, a WebSocket close code and reason) and what to do.`

export const examples = [
  {description: '50,000 connections to a local server, checked and released', command: '<%= config.bin %> <%= command.id %> --target 127.0.0.1:9000 --conns 50k'},
  {description: 'A million connections to 53 server workers, held until Ctrl-C', command: '<%= config.bin %> <%= command.id %> --target 127.0.0.1:9000 --ports 53 --conns 1M --hold forever'},
  {description: 'Host 3 of 8 client hosts (an indexed Job, an Ansible batch): 1M/8 connections and its own eighth of the source ports', command: '<%= config.bin %> <%= command.id %> --target 10.0.0.2:9000 --ports 16 --conns 1M --shard 3/8 --source 10.0.3.1 --hold 10m'},
  {description: 'Traffic while holding: 500 messages of 256 bytes a second spread over 20k WebSocket connections, each echo timed from when it was due', command: '<%= config.bin %> <%= command.id %> --target ws://10.0.0.2:8080/echo --conns 20k --hold 5m --message-size 256 --rate 500/s'},
  {description: 'Fan-out through your MQTT broker on this host: 20k subscribers of room/1, one of them publishing to it every second; each receipt timed', command: '<%= config.bin %> <%= command.id %> --target mqtt://127.0.0.1:1883 --conns 20k --mqtt-subscribe room/1 --hold 60s --publish "hello room"'},
  {description: 'Fan-out through your Phoenix channel on this host: 20k sockets joined to room:lobby, one pushing new_msg with {"body": "hello room"} every second; each receipt timed', command: '<%= config.bin %> <%= command.id %> --target ws://127.0.0.1:4000/ --conns 20k --app phoenix --hold 60s --publish "hello room"'},
  {description: 'From two source addresses of this host to a remote server', command: '<%= config.bin %> <%= command.id %> --target 10.0.0.2:9000 --ports 4 --conns 100k --source 10.0.0.5 --source 10.0.0.6'},
]
