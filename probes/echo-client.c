/*
 * c1m load client: opens TCP connections with non-blocking connect() on one epoll loop,
 * holds them idle, and checks on request that each one echoes.
 *
 * A connection counts only while the server keeps it quietly: one the server closes, or one
 * that receives bytes nobody asked for (Redis's "-DENIED" banner, an HTTP 400), is refused,
 * and the first bytes of the first such reply are kept for the report. An echo counts only
 * when its 16 bytes come back byte for byte. Connection attempts are bounded by 2N + 1000.
 *
 *   echo-client --target IP:PORT [--target IP:PORT ...] [--source IP:LO-HI ...] [--no-reuseaddr]
 *               [--batch] [--inflight K] [--open-timeout SECONDS] [--protocol tcp|ws|mqtt|sse|stream|long-poll]
 *               [--path P] [--host H] [--header 'K: V' ...] [--ws-deflate]
 *               [--mqtt-keepalive S] [--mqtt-subscribe TOPIC] [--mqtt-echo]
 *               [--tls [--ca FILE | --insecure] [--servername NAME] [--alpn PROTO]]
 *               [--app generic|socketio|graphql-ws|nats|phoenix|stomp [the dialect's options]]
 *
 * Each protocol is one row of the table `protocols` below, written in its own file: client-tcp.h,
 * client-ws.h, client-mqtt.h, client-http.h (sse, stream, long-poll) say what each does. --header
 * adds lines to the upgrade or GET. With --tls every connection does a TLS handshake first
 * (tls.h), and the time from connect() to counting goes into a histogram (hist.h) each "open" reports.
 * With --app the connection counts once the application session is accepted (client-app.h; the
 * dialects in app-*.h, rows of `apps`), and no echo check is sent.
 *
 * With --source, every socket is bound to the next explicit (address, port) pair of the
 * slices, so connect() never searches for a free port. Without it the kernel picks. Bound
 * sockets set SO_REUSEADDR unless --no-reuseaddr (the probe's own namespace: nothing to reuse).
 * With --batch, where the kernel has io_uring, the sockets, binds, connects and epoll registrations
 * of 64 connections go to the kernel in one system call (client-batch.h, uring.h).
 * Commands on stdin, one JSON line back on stdout for each (client-reply.h):
 *   open N    open connections until N are established (or it cannot go on)
 *   echo      send 16 bytes on every connection and count those that come back
 *   count     report the counters
 *   fanout    the delays of the fan-out messages received (client-fanout.h)
 *   publish MS TEXT  one connection publishes TEXT with a timestamp every MS ms (client-publish.h)
 *   traffic B MS [R]  from now on send B bytes on every connection every MS milliseconds
 *                 (while idle between commands), or with R > 0 R messages a second spread
 *                 over the connections in turn (client-traffic.h: the echo latency of each,
 *                 timed from when it was due); "traffic 0 0" stops, waits up to 10 s
 *                 for the echoes in flight and reports the bytes sent and received. With
 *                 WebSocket the B bytes go in a masked text frame and only echoed payload
 *                 counts as received; a write cut short there (or over TLS) breaks the
 *                 connection's stream, so the connection is dropped and counted as failed
 *   latency   the traffic's echo latency since the last "latency" (a window), traffic flowing on
 *   detach    stop watching the connections (the epoll set goes); then only count, close, quit
 *   close     close every connection (a reset unless detached) and stay, detached, until quit
 *   quit/EOF  reset every connection (no TIME_WAIT) and exit; SIGTERM, also sent when
 *             the parent dies (PR_SET_PDEATHSIG), does the same
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "app-generic.h"
#include "app-graphql-ws.h"
#include "app-nats.h"
#include "app-phoenix.h"
#include "app-socketio.h"
#include "app-stomp.h"
#include "client-http.h"
#include "client-loop.h"
#include "client-mqtt.h"
#include "client-publish.h"
#include "client-traffic.h"
#include "client-tcp.h"
#include "client-ws.h"

static const struct protocol *const protocols[] = {&proto_tcp, &proto_ws, &proto_mqtt, &proto_sse, &proto_stream, &proto_long_poll};
/* --app: the application sessions (client-app.h), one file each. */
static const struct app *const apps[] = {&app_generic, &app_socketio, &app_graphql_ws, &app_nats, &app_phoenix, &app_stomp};

static int inflight_max = 256;
static double open_timeout = 300;

static void open_until(long target) {
  double deadline = now() + open_timeout;
  long failed_at_start = failed, refused_at_start = refused;
  long give_up = target / 20 > 64 ? target / 20 : 64;
  long max_attempts = 2 * target + 1000;
  int stop = 0;
  last_error[0] = 0;
  hist_reset(&open_hist);
  while (established < target) {
    while (!stop && inflight < inflight_max && established + inflight < target) {
      if (attempts >= max_attempts) {
        snprintf(last_error, sizeof last_error, "gave up after %ld connection attempts for %ld connections", attempts, target);
        stop = 1;
        break;
      }
      int rc = start_connect();
      if (rc < 0) stop = 1;
      if (failed - failed_at_start >= give_up) stop = 1;
      if (refused - refused_at_start >= give_up) {
        snprintf(last_error, sizeof last_error, "the server refused %ld connections", refused - refused_at_start);
        stop = 1;
      }
    }
    if (inflight == 0 && (stop || established >= target)) break;
    if (now() > deadline) {
      if (uring_fd >= 0) cancel_batch();
      long sessions = 0;
      for (long fd = 0; fd < fd_slots; fd++) {
        if (conns[fd].state == SESSION) sessions++;
        if (conns[fd].state == CONNECTING || conns[fd].state == SESSION) { drop((int)fd, 1); failed++; }
      }
      note_error("connect", ETIMEDOUT);
      /* Sessions the server neither accepted nor refused in time: said in the application's terms. */
      if (sessions) snprintf(last_error, sizeof last_error, "%s: %ld sessions not accepted within the open timeout", app->name, sessions);
      break;
    }
    poll_once(100);
  }
  print_count("open", target);
}

static void echo_round(void) {
  long sent = 0, write_failed = 0;
  echoed_total = 0;
  echoed_compressed = 0;
  mismatched = 0;
  echo_closed = 0;
  echo_round_on = 1;
  for (long fd = 0; fd < fd_slots; fd++) {
    if (conns[fd].state != OPEN) continue;
    conns[fd].echo_got = 0;
    if (sent_whole((int)fd, echo_request, (size_t)echo_request_len)) sent++;
    else write_failed++;
  }
  /* A 2-vCPU host with a hundred probe processes needs time: 30 s plus 0.5 ms per connection. */
  double deadline = now() + 30 + (double)sent / 2000;
  while (echoed_total + mismatched + echo_closed < sent && now() < deadline) poll_once(50);
  echo_round_on = 0;
  print_echo(sent, write_failed);
}

/* After `detach`: no epoll set; the servers reset the connections and quit only closes them. */
static int detached;

/*
 * Stop watching the connections: the epoll set goes, in one pass, so the servers' resets that
 * follow wake nobody here and each later close() finds no epoll entry to take out.
 */
static void detach(void) {
  if (!detached) close(epfd);
  detached = 1;
  print_count("detach", established);
}

/*
 * Close every connection and answer `event`: with a reset (no FIN, no TIME_WAIT) unless detached,
 * when the servers' resets have closed them already and a close() needs no SO_LINGER first. The
 * process stays, detached, until quit, so its exit (and its reaping) comes after the close.
 */
static void close_all(const char *event) {
  int reset = !detached;
  if (!detached) close(epfd);
  detached = 1;
  for (long fd = 0; fd < fd_slots; fd++) {
    if (conns[fd].state == NONE) continue;
    forget((int)fd, reset);
    if (uring_fd >= 0) uring_close((int)fd, TAG_CLOSE); /* --batch: the close() calls in batches too */
    else close((int)fd);
  }
  if (uring_fd >= 0) uring_drain(); /* the closes, a ring at a time */
  print_count(event, 0);
}

static void quit(void) {
  close_all("count");
  exit(0);
}

/* One command from stdin (quit exits here). */
static int run_command(const char *line) {
  long count, interval;
  double rate = 0;
  if (strcmp(line, "quit") == 0) quit();
  else if (strcmp(line, "count") == 0) print_count("count", established);
  else if (strcmp(line, "detach") == 0) detach();
  else if (strcmp(line, "close") == 0) close_all("close");
  else if (detached && *line) reply_detached();
  else if (sscanf(line, "open %ld", &count) == 1 && count >= 0) open_until(count);
  else if (strcmp(line, "echo") == 0) echo_round();
  else if (sscanf(line, "traffic %ld %ld %lf", &count, &interval, &rate) >= 2 && count >= 0 && rate >= 0 && rate <= 1e7) traffic(count, interval, rate);
  else if (strcmp(line, "latency") == 0) latency_window();
  else if (strcmp(line, "fanout") == 0) fanout_print();
  else if (strncmp(line, "publish ", 8) == 0) publish_command(line + 8);
  else if (*line) reply_unknown_command();
  return 1;
}

static void usage(void) {
  fprintf(stderr, "usage: echo-client --target IP:PORT|[IPv6]:PORT [--target ...] [--source IP:LO-HI|[IPv6]:LO-HI ...] [--no-reuseaddr] [--batch] [--inflight K] [--open-timeout S] [--protocol tcp|ws|mqtt|sse|stream|long-poll] [--path P] [--host H] [--tls [--ca FILE | --insecure] [--servername NAME] [--alpn P]] [--header 'K: V' ...] [--mqtt-keepalive S] [--mqtt-subscribe TOPIC] [--mqtt-echo] [--ws-deflate] [--app generic|socketio|graphql-ws|nats|phoenix|stomp] [--send TEXT ...] [--expect TEXT | --expect-regex RE] [--reply MATCH=>ANSWER ...] [--reply-regex RE=>ANSWER ...] [--greeting] [--namespace NS] [--auth JSON] [--eio 3|4] [--event NAME] [--init-payload JSON] [--subscribe-query Q] [--subject S] [--topic T] [--destination D] [--login U:P] [--heartbeat-every S]\n");
  exit(2);
}

/* The row of --protocol's value; usage when there is none. */
static const struct protocol *protocol_named(const char *name) {
  for (size_t i = 0; i < sizeof protocols / sizeof *protocols; i++) {
    if (strcmp(protocols[i]->name, name) == 0) return protocols[i];
  }
  usage();
  return NULL;
}

/* The row of --app's value; usage when there is none. */
static const struct app *app_named(const char *name) {
  for (size_t i = 0; i < sizeof apps / sizeof *apps; i++) {
    if (strcmp(apps[i]->name, name) == 0) return apps[i];
  }
  usage();
  return NULL;
}

/* A dialect's option (and its value), given to every dialect that has it; 1 when one took it. */
static int app_option(int argc, char **argv, int *i) {
  if (*i + 1 >= argc) return 0;
  int taken = 0;
  for (size_t a = 0; a < sizeof apps / sizeof *apps; a++) {
    int rc = apps[a]->option ? apps[a]->option(argv[*i], argv[*i + 1]) : 0;
    if (rc < 0) usage();
    taken |= rc > 0;
  }
  if (taken) ++*i;
  return taken;
}

/* A flag's value, when the flag is `name` and a value follows it. */
static const char *value_of(int argc, char **argv, int *i, const char *name) {
  if (strcmp(argv[*i], name) != 0 || *i + 1 >= argc) return NULL;
  return argv[++*i];
}

/* Append a --header line (CRLF-ended) to extra_headers; -1 when it is not a header or too long. */
static int add_header(const char *h) {
  size_t used = strlen(extra_headers), len = strlen(h);
  if (!strchr(h, ':') || strpbrk(h, "\r\n") || used + len + 3 > sizeof extra_headers) return -1;
  memcpy(extra_headers + used, h, len);
  memcpy(extra_headers + used + len, "\r\n", 3);
  return 0;
}

/* The flags without a value: set the one named; 0 when there is none of that name. */
static int set_switch(const char *arg) {
  static const struct { const char *name; int *on; } switches[] = {
    {"--ws-deflate", &ws_deflate}, {"--mqtt-echo", &mqtt_echo}, {"--tls", &use_tls}, {"--insecure", &tls_insecure},
    {"--greeting", &generic_greeting}, {"--no-reuseaddr", &no_reuseaddr}, {"--batch", &use_batch},
  };
  for (size_t i = 0; i < sizeof switches / sizeof *switches; i++) {
    if (strcmp(arg, switches[i].name) == 0) return *switches[i].on = 1;
  }
  return 0;
}

static void parse_options(int argc, char **argv) {
  proto = &proto_tcp;
  for (int i = 1; i < argc; i++) {
    const char *v;
    if ((v = value_of(argc, argv, &i, "--target"))) {
      if (ntargets == MAX_TARGETS || parse_endpoint(v, &targets[ntargets++], 1) < 0) usage();
    } else if ((v = value_of(argc, argv, &i, "--source"))) {
      if (nsources == MAX_SOURCES || parse_source(v, &sources[nsources++]) < 0) usage();
    } else if ((v = value_of(argc, argv, &i, "--inflight"))) {
      if ((inflight_max = atoi(v)) < 1) usage();
    } else if ((v = value_of(argc, argv, &i, "--protocol"))) {
      proto = protocol_named(v);
    } else if ((v = value_of(argc, argv, &i, "--path"))) {
      ws_path = v;
      if (ws_path[0] != '/' || strpbrk(ws_path, " \r\n") || strlen(ws_path) > 512) usage();
    } else if ((v = value_of(argc, argv, &i, "--host"))) {
      ws_host = v;
      if (strpbrk(ws_host, " \r\n") || strlen(ws_host) > 256) usage();
    } else if ((v = value_of(argc, argv, &i, "--mqtt-keepalive"))) {
      mqtt_keepalive = atoi(v);
      if (mqtt_keepalive < 0 || mqtt_keepalive > 65535) usage();
    } else if ((v = value_of(argc, argv, &i, "--mqtt-subscribe"))) {
      mqtt_topic = v;
      if (!*mqtt_topic || strlen(mqtt_topic) > 512) usage();
    } else if ((v = value_of(argc, argv, &i, "--header"))) {
      if (add_header(v) < 0) usage();
    } else if ((v = value_of(argc, argv, &i, "--ca"))) {
      tls_ca = v;
    } else if ((v = value_of(argc, argv, &i, "--servername"))) {
      tls_name = v;
      if (strlen(tls_name) > 253 || strpbrk(tls_name, " \r\n/")) usage();
    } else if ((v = value_of(argc, argv, &i, "--alpn"))) {
      tls_alpn = v;
    } else if ((v = value_of(argc, argv, &i, "--open-timeout"))) {
      if ((open_timeout = atof(v)) <= 0) usage();
    } else if ((v = value_of(argc, argv, &i, "--app"))) {
      app = app_named(v);
    } else if (!app_option(argc, argv, &i) && !set_switch(argv[i])) usage();
  }
  if (!ntargets) usage();
  /* A session lives on WebSocket or raw TCP (and TLS), some on WebSocket only. */
  if (app && (proto->on_bytes != tcp_on_bytes && !proto->ws_frames)) usage();
  if (app && app->ws_only && !proto->ws_frames) usage();
  if (app && app->setup && app->setup() < 0) usage();
  if (ws_deflate && !inflate_built) { fprintf(stderr, "echo-client: --ws-deflate needs a build with zlib (zlib1g-dev)\n"); exit(2); }
}

/* The generator of WebSocket keys and masks: seeded from /dev/urandom and the PID. */
static void seed_random(void) {
  FILE *urandom = fopen("/dev/urandom", "rb");
  if (urandom) { if (fread(&rng_state, sizeof rng_state, 1, urandom) != 1 || !rng_state) rng_state = 0x9E3779B97F4A7C15ull; fclose(urandom); }
  rng_state ^= (uint64_t)getpid() << 32;
  if (!rng_state) rng_state = 1;
}

int main(int argc, char **argv) {
  parse_options(argc, argv);
  fd_slots = setup_process();
  clock_start = now();
  conns = calloc((size_t)fd_slots, sizeof *conns);
  exts = calloc((size_t)fd_slots, sizeof *exts);
  if (!conns || !exts) { perror("echo-client"); return 1; }
  if (use_tls) {
    char why[200];
    if (tls_setup(tls_ca, tls_insecure, tls_alpn, why, sizeof why) < 0) { fprintf(stderr, "echo-client: %s\n", why); return 3; }
  }
  seed_random();
  memcpy(echo_request, ECHO_MSG, ECHO_LEN);
  memcpy(echo_reply, ECHO_MSG, ECHO_LEN);
  if (proto->setup) proto->setup();
  app_seed_token();
  next_keepalive = now() + keepalive_every;
  epfd = epoll_create1(EPOLL_CLOEXEC);
  if (epfd < 0) { perror("echo-client"); return 1; }
  fcntl(0, F_SETFL, fcntl(0, F_GETFL) | O_NONBLOCK);
  struct epoll_event ev = {.events = EPOLLIN, .data.fd = STDIN_TAG};
  epoll_ctl(epfd, EPOLL_CTL_ADD, 0, &ev);
  start_batch();

  printf("{\"event\":\"ready\",\"pid\":%d,\"nofile\":%ld,\"tls\":%s,\"batch\":%d}\n", getpid(), fd_slots, tls_available() ? "true" : "false",
         uring_fd >= 0 ? BATCH_CONNECTS : 0);
  fflush(stdout);
  for (;;) {
    int rc = read_commands(run_command);
    if (rc < 0) quit();
    if (rc == 0 && detached) {
      wait_for_stdin();
      if (stop_requested) quit();
    } else if (rc == 0) poll_once(publish_timer(idle_timeout()));
  }
}
