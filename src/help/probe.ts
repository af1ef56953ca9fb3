// The help of `c1m probe`: its description, examples and usage lines, as `c1m probe --help` prints
// them, kept apart so that the command reads as its flags and its run.

export const description = `Measure what connections cost on this host: ramp real loopback connections through the bundled epoll echo server and client, sample kernel and process memory at each step, and fit memory = base + N x per-connection.

Connections are split over as many server and client processes as the per-process open-file limit requires; each client binds explicit 127.x source addresses and ports. Run as root, it works in a network namespace of its own (lo up, net.core.somaxconn and net.ipv4.ip_local_port_range set there) and deletes it at the end, also after Ctrl-C or SIGTERM (and deletes those a killed c1m left); if it cannot make one it fails (exit 9) rather than use the host loopback unasked. Not root, or with --no-netns, it uses the host loopback and the host limits, and says so. Every connection is reset at the end, so none is left in TIME_WAIT. The report (--out) calibrates \`c1m estimate --calibration FILE\`.

Exit 10 when the ramp stopped short, a process died, or connections did not echo or were not accepted; exit 13 when the connections were held but the kernel figure is not a measurement (another probe ran too, or the fit is poor: too few connections, a busy host); the report holds what was measured either way. A finished run also keeps a copy of its report in $C1M_PROBE_DIR (default ~/.local/state/c1m/probes; off turns this off), where \`c1m estimate\` finds the newest.`

export const examples = [
  {description: 'Measure 100,000 connections in 5 steps with the native C engine', command: '<%= config.bin %> <%= command.id %> --conns 100k'},
  {description: 'A million connections, saved for estimate, with a chart (the extension picks the format)', command: '<%= config.bin %> <%= command.id %> --conns 1M --steps 10 --out probe-1m.json --out probe-1m.html'},
  {description: 'Hold 200k connections for a minute with 64 bytes each way on each every second; TCP buffer memory under load', command: '<%= config.bin %> <%= command.id %> --conns 200k --hold 60s --message-size 64 --interval 1s'},
  {description: 'A two-hour soak of your server with traffic: memory per connection every 5 s, a line a minute, its growth per connection per hour and whether it is above noise (Ctrl-C ends it early, report written)', command: '<%= config.bin %> <%= command.id %> --target 127.0.0.1:9000 --server-pid 4242 --conns 10k --hold 2h --message-size 512 --interval 1s --out soak.json --html soak.html'},
  {description: 'What your own server (PID 4242, listening on 127.0.0.1:8080) costs per connection', command: '<%= config.bin %> <%= command.id %> --target 127.0.0.1:8080 --server-pid 4242 --conns 50k --no-echo'},
  {description: '200,000 connections from 8 simulated client hosts behind NAT: what conntrack costs per connection (root)', command: '<%= config.bin %> <%= command.id %> --conns 200k --client-hosts 8 --nat'},
  {description: 'One run from the results of 8 client hosts (each ran `c1m client --shard I/8 --json > hostI.json`)', command: '<%= config.bin %> <%= command.id %> --merge host1.json host2.json host3.json host4.json host5.json host6.json host7.json host8.json'},
  {description: 'What your WebSocket server (PID 4242) costs per upgraded connection', command: '<%= config.bin %> <%= command.id %> --target ws://127.0.0.1:8080/chat --server-pid 4242 --conns 20k'},
  {description: 'What your Server-Sent Events endpoint costs per open stream, with what it pushes during a minute', command: '<%= config.bin %> <%= command.id %> --target http://127.0.0.1:8080/events --http sse --server-pid 4242 --conns 20k --hold 60s'},
  {description: 'A long-poll endpoint: each GET held until the server answers, then asked again; answers and the statuses that ended connections are counted', command: '<%= config.bin %> <%= command.id %> --target http://127.0.0.1:8080/poll --http long-poll --server-pid 4242 --conns 20k --hold 60s'},
  {description: 'Your WebSocket server over TLS, its certificate checked against your CA; the figure after one message per connection (permessage-deflate offered)', command: '<%= config.bin %> <%= command.id %> --target wss://10.0.0.5:443/live --servername chat.example.com --ca ca.pem --server-pid 4242 --conns 20k --ws-deflate --echo-each-step'},
  {description: 'Your MQTT broker over TLS, every client subscribed to one topic; what it fans out during a minute is counted', command: '<%= config.bin %> <%= command.id %> --target mqtts://127.0.0.1:8883 --ca ca.pem --server-pid 4242 --conns 20k --mqtt-subscribe news/all --hold 60s'},
  {description: 'What the WebSocket protocol itself costs, with the bundled server', command: '<%= config.bin %> <%= command.id %> --protocol ws --conns 100k'},
  {description: 'What TLS adds on each side of an idle WebSocket, with the bundled server (its certificate is made for the run)', command: '<%= config.bin %> <%= command.id %> --protocol wss --conns 20k'},
  {description: 'What a node.js server costs per connection, with a chart', command: '<%= config.bin %> <%= command.id %> --conns 50k --engine node --html probe-node.html'},
]

// Written out: a run and --merge take different flags, which oclif's one generated line shows as a
// broken either-or group (with an empty alternative). A test holds every flag here.
export const usage = [
  '<%= command.id %> [--conns N] [--engine ENGINE] [--steps K] [--out FILE...] [--html FILE] [--settle DURATION] [--inflight N] [--open-timeout DURATION] [--hold DURATION] [--message-size SIZE] [--interval DURATION] [--protocol PROTOCOL] [--target URL --server-pid PID...] [--http MODE] [--header \'NAME: VALUE\'...] [--[no-]ws-deflate] [--mqtt-subscribe TOPIC] [--mqtt-keepalive SECONDS] [--app APP [--send TEXT...] [--expect TEXT] [--reply \'MATCH=>ANSWER\'...] [--greeting] [--namespace /NS] [--auth JSON] [--eio N] [--init-payload JSON] [--subscribe QUERY] [--topic TOPIC] [--destination DEST] [--login USER:PASS] [--subject SUBJECT] [--heartbeat-every DURATION]] [--ca FILE] [--insecure] [--servername NAME] [--echo-each-step] [--[no-]echo] [--own-ehash] [--[no-]netns] [--family 4|6] [--client-hosts K [--nat]] [--json] [--no-color]',
  '<%= command.id %> --merge FILE... [--out FILE...] [--json] [--no-color]',
]
