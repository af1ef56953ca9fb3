/*
 * c1m echo server: one epoll loop, one listening socket, echoes every byte back.
 *
 *   echo-server --listen IP:PORT [--backlog N] [--reuseport] [--protocol tcp|ws|sse|stream] [--tls] [--no-batch]
 *               [--app socketio|phoenix [--ping-interval MS] [--ping-timeout MS] [--idle-timeout MS]]
 *               [--broadcast-every MS [--broadcast-size B]]   (ws, sse, stream: broadcast.h)
 *
 * Each protocol is one row of the table `protocols` below: tcp echoes bytes as they come (here),
 * ws, sse and stream open with HTTP first (server-http.h says what each does). With --tls every
 * connection first does a TLS handshake (tls.h: a key and self-signed certificate made for the
 * run), and all of the above runs inside it. --app (with --protocol ws) speaks an application
 * dialect over the WebSocket instead of echoing frames: server-socketio.h, server-phoenix.h.
 *
 * It prints one JSON object per line on stdout and reads commands from stdin:
 *   (start)   {"event":"ready","pid":P,"port":PORT,"nofile":N,"v6only":V,"batch":B}
 *             (B: new connections' epoll registrations go in one io_uring submission, up to B
 *             at a time; 0 without io_uring or with --no-batch: an epoll_ctl() each; server-accept.h)
 *   count     {"event":"count","open":N,"peakOpen":P,"accepted":A,"closed":C,"rejected":R,"bytes":B}
 *             (P: the most connections open at once since the start)
 *             with --app also "sessions","refused","heartbeats","timeouts","events" (server-app.h)
 *   detach    {"event":"detach",...the fields of count}: the epoll set goes; from then on only count,
 *             close and quit are answered
 *   close     {"event":"close",...}: resets every connection and stays, detached, until quit
 *   EOF/quit  resets every connection (none are left after close) and exits after a last "count" line.
 * The parent that started it owns its life: stdin closing, SIGTERM or the parent dying
 * (PR_SET_PDEATHSIG) ends it the same way.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "endpoint.h"
#include "process.h"
#include "broadcast.h"
#include "server-http.h"
#include "server-phoenix.h"
#include "server-socketio.h"
#include "server-accept.h"
#include "server.h"

#define STDIN_TAG -1

static void die(const char *what) {
  printf("{\"event\":\"error\",\"message\":\"%s: %s\"}\n", what, strerror(errno));
  fflush(stdout);
  exit(1);
}

static void print_count_as(const char *event) {
  printf("{\"event\":\"%s\",\"open\":%ld,\"peakOpen\":%ld,\"accepted\":%ld,\"closed\":%ld,\"rejected\":%ld,\"bytes\":%llu", event,
         open_conns, peak_open, accepted, closed_conns, rejected, echoed_bytes);
  if (app) {
    printf(",\"sessions\":%ld,\"refused\":%ld,\"heartbeats\":%ld,\"timeouts\":%ld,\"events\":%ld", app_sessions, app_refused,
           app_heartbeats, app_timeouts, app_events);
  }
  broadcast_print();
  printf("}\n");
  fflush(stdout);
}

static void print_count(void) { print_count_as("count"); }

/* --protocol tcp: every byte read is written back. */
static void on_readable_tcp(int fd) {
  char buf[16384];
  for (int rounds = 0; rounds < 16; rounds++) {
    if (exts[fd].pending) return; /* wait for the peer to read before echoing more */
    ssize_t n = conn_read(fd, buf, sizeof buf);
    if (n == 0 || (n < 0 && errno != EAGAIN)) { drop(fd); return; }
    if (n < 0) return;
    if (send_or_queue(fd, buf, (size_t)n) < 0) { drop(fd); return; }
    echoed_bytes += (unsigned long long)n;
    if (exts[fd].pending) return;
    if (n < (ssize_t)sizeof buf && !more_in_tls(fd)) return;
  }
}

static const struct protocol proto_tcp = {.name = "tcp", .on_readable = on_readable_tcp};
static const struct protocol *const protocols[] = {&proto_tcp, &proto_ws, &proto_sse, &proto_stream};
static const struct server_app *const apps[] = {&app_socketio, &app_phoenix};

/* One step of an accepted connection's TLS handshake; a failed one is a rejected connection. */
static void on_tls(int fd) {
  int want_write = 0;
  char why[160];
  int rc = tls_step(exts[fd].ssl, &want_write, why, sizeof why);
  if (rc < 0) { rejected++; drop(fd); return; }
  watch(fd, rc == 0 && want_write ? EPOLLOUT | EPOLLRDHUP : EPOLLIN | EPOLLRDHUP);
  if (rc == 1) conns[fd].tls_shaking = 0;
}

static void on_conn_event(int fd, uint32_t events) {
  struct conn *c = &conns[fd];
  if (events & (EPOLLERR | EPOLLHUP)) drop_reset(fd); /* the peer is gone: no FIN to send */
  else if (c->tls_shaking) {
    on_tls(fd);
    if (c->is_conn && !c->tls_shaking && more_in_tls(fd)) proto->on_readable(fd);
  } else if (events & EPOLLOUT) {
    if (flush_pending(fd) < 0) drop(fd);
  } else if (exts[fd].pending) drop(fd); /* peer hung up with an echo still queued */
  else proto->on_readable(fd);
}

/* After `detach`: no epoll set; the server waits for its quit, which resets every connection. */
static int detached;

/* Stop watching the connections and the listener: the epoll set goes, in one pass. */
static void detach(void) {
  if (!detached) close(epfd);
  detached = 1;
  print_count_as("detach");
}

/*
 * Reset every connection and answer `event`; the epoll set goes first (see the client's close_all).
 * With the ring, the close() calls go to the kernel in batches too.
 * The process stays, detached, until quit: its exit, and the parent's reaping of it, come after
 * the close (reaping a process whose descriptors a /proc walker visited frees a proc inode each).
 */
static void shutdown_all(const char *event) {
  if (!detached) close(epfd);
  detached = 1;
  for (long fd = 0; fd < fd_slots; fd++) {
    if (!conns[fd].is_conn) continue;
    forget_conn((int)fd);
    if (uring_fd >= 0) uring_close((int)fd, CLOSE_TAG); /* a reset (SO_LINGER 0): no TIME_WAIT left */
    else close((int)fd);
  }
  if (uring_fd >= 0) uring_drain(); /* the closes, a ring at a time */
  print_count_as(event);
}

/* Commands arrive one per line; returns 0 when the loop should end. */
static int run_command(const char *line) {
  if (strcmp(line, "count") == 0) print_count();
  else if (strcmp(line, "quit") == 0) return 0;
  else if (strcmp(line, "detach") == 0) detach();
  else if (strcmp(line, "close") == 0) shutdown_all("close");
  else if (detached && *line) reply_detached();
  else if (strncmp(line, "broadcast ", 10) == 0) {
    if (broadcast_command(line + 10) < 0) printf("{\"event\":\"error\",\"message\":\"broadcast wants MS (0 or 10 to 86400000) and BYTES (48 to 65536) over ws, sse or stream without --app\"}\n");
    else print_count_as("broadcast");
    fflush(stdout);
  }
  else if (*line) reply_unknown_command();
  return 1;
}

/* A period in milliseconds from 10 ms to a day, or 0 when it is not one. */
static long period_ms(const char *text) {
  char *end;
  long ms = strtol(text, &end, 10);
  return *end || ms < 10 || ms > 86400000L ? 0 : ms;
}

/* --app NAME and its periods; returns 1 when argv[*i] was one of them, -1 when its value is wrong. */
static int parse_app_option(int argc, char **argv, int *i) {
  const char *opt = argv[*i];
  if (*i + 1 >= argc) return 0;
  long *period = strcmp(opt, "--ping-interval") == 0 ? &ping_interval_ms : strcmp(opt, "--ping-timeout") == 0 ? &ping_timeout_ms
               : strcmp(opt, "--idle-timeout") == 0 ? &idle_timeout_ms : NULL;
  if (period) return (*period = period_ms(argv[++*i])) ? 1 : -1;
  if (strcmp(opt, "--app") != 0) return 0;
  const char *name = argv[++*i];
  for (size_t k = 0; k < sizeof apps / sizeof *apps; k++) if (strcmp(apps[k]->name, name) == 0) app = apps[k];
  return app ? 1 : -1;
}

/* The options into their variables; returns 0, or the exit code of a usage error. */
static int parse_options(int argc, char **argv, const char **listen_at, int *backlog, int *reuseport) {
  proto = &proto_tcp;
  for (int i = 1; i < argc; i++) {
    int app_option = parse_app_option(argc, argv, &i);
    if (app_option < 0) { fprintf(stderr, "echo-server: --app wants socketio or phoenix, a period 10 to 86400000 ms\n"); return 2; }
    if (app_option) continue;
    int broadcast_option = parse_broadcast_option(argc, argv, &i);
    if (broadcast_option < 0) { fprintf(stderr, "echo-server: --broadcast-every wants 10 to 86400000 ms, --broadcast-size 48 to 65536 bytes\n"); return 2; }
    if (broadcast_option) continue;
    if (strcmp(argv[i], "--listen") == 0 && i + 1 < argc) *listen_at = argv[++i];
    else if (strcmp(argv[i], "--backlog") == 0 && i + 1 < argc) *backlog = atoi(argv[++i]);
    else if (strcmp(argv[i], "--reuseport") == 0) *reuseport = 1;
    else if (strcmp(argv[i], "--tls") == 0) use_tls = 1;
    else if (strcmp(argv[i], "--no-batch") == 0) no_batch = 1;
    else if (strcmp(argv[i], "--protocol") == 0 && i + 1 < argc) {
      const char *p = argv[++i];
      proto = NULL;
      for (size_t k = 0; k < sizeof protocols / sizeof *protocols; k++) if (strcmp(protocols[k]->name, p) == 0) proto = protocols[k];
      if (!proto) { fprintf(stderr, "echo-server: unknown --protocol\n"); return 2; }
    } else {
      fprintf(stderr, "usage: echo-server --listen IP:PORT [--backlog N] [--reuseport] [--protocol tcp|ws|sse|stream] [--tls] [--no-batch]"
                      " [--app socketio|phoenix [--ping-interval MS] [--ping-timeout MS] [--idle-timeout MS]]\n");
      return 2;
    }
  }
  if (broadcast_every_ms && !broadcast_carried()) { fprintf(stderr, "echo-server: --broadcast-every needs --protocol ws, sse or stream without --app\n"); return 2; }
  if (app && proto != &proto_ws) { fprintf(stderr, "echo-server: --app needs --protocol ws\n"); return 2; }
  if (app) app_set_tick(app == &app_phoenix ? idle_timeout_ms : ping_interval_ms > ping_timeout_ms ? ping_interval_ms : ping_timeout_ms);
  return 0;
}

int main(int argc, char **argv) {
  const char *listen_at = "127.0.0.1:9000";
  int backlog = 65535, reuseport = 0;
  int usage = parse_options(argc, argv, &listen_at, &backlog, &reuseport);
  if (usage) return usage;
  if (use_tls) {
    char why[200];
    if (tls_server_setup(why, sizeof why) < 0) { printf("{\"event\":\"error\",\"message\":\"%s\"}\n", why); fflush(stdout); return 3; }
  }
  fd_slots = setup_process();
  conns = calloc((size_t)fd_slots, sizeof *conns);
  exts = calloc((size_t)fd_slots, sizeof *exts);
  if (!conns || !exts) die("calloc");

  struct sockaddr_storage addr;
  if (parse_endpoint(listen_at, &addr, 0) < 0) {
    fprintf(stderr, "echo-server: --listen wants IPv4:PORT or [IPv6]:PORT, got %s\n", listen_at);
    return 2;
  }
  listen_fd = socket(addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (listen_fd < 0) die("socket");
  int one = 1;
  setsockopt(listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (reuseport) setsockopt(listen_fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
  reset_on_close(listen_fd); /* inherited: a connection's close is a reset unless drop() asks for a FIN */
  int v6only = set_v6only(listen_fd, &addr);
  if (bind(listen_fd, (struct sockaddr *)&addr, addr_len(&addr)) < 0) die("bind");
  if (listen(listen_fd, backlog) < 0) die("listen");
  socklen_t len = sizeof addr;
  getsockname(listen_fd, (struct sockaddr *)&addr, &len);
  spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

  epfd = epoll_create1(EPOLL_CLOEXEC);
  if (epfd < 0) die("epoll_create1");
  start_accepting();
  fcntl(0, F_SETFL, fcntl(0, F_GETFL) | O_NONBLOCK);
  struct epoll_event ev = {.events = EPOLLIN, .data.fd = STDIN_TAG};
  epoll_ctl(epfd, EPOLL_CTL_ADD, 0, &ev);

  printf("{\"event\":\"ready\",\"pid\":%d,\"port\":%d,\"nofile\":%ld,\"v6only\":%d,\"batch\":%d}\n", getpid(), get_port(&addr), fd_slots, v6only,
         uring_fd >= 0 ? ACCEPT_BATCH : 0);
  fflush(stdout);

  struct epoll_event events[1024];
  for (;;) {
    if (detached) { /* stdin alone */
      wait_for_stdin();
      if (stop_requested || read_commands(run_command) < 0) { shutdown_all("count"); return 0; }
      continue;
    }
    if (sq_queued) submit_registrations(); /* registrations a busy kernel did not take yet */
    int n = epoll_wait(epfd, events, 1024, broadcast_timer(now(), app_timers(now())));
    if (stop_requested) { shutdown_all("count"); return 0; }
    if (n < 0) {
      if (errno == EINTR) continue;
      die("epoll_wait");
    }
    for (int i = 0; i < n; i++) {
      int fd = events[i].data.fd;
      if (fd == LISTEN_TAG) on_accept();
      else if (fd == STDIN_TAG) {
        if (read_commands(run_command) < 0) { shutdown_all("count"); return 0; }
      } else if (conns[fd].is_conn) on_conn_event(fd, events[i].events);
    }
  }
}
