/*
 * c1m echo server: one epoll loop, one listening socket, echoes every byte back.
 *
 *   echo-server --listen IP:PORT [--backlog N] [--reuseport] [--protocol tcp|ws|sse|stream] [--tls]
 *
 * With --protocol ws each connection first gets the WebSocket opening handshake (RFC 6455):
 * a GET with Upgrade: websocket and a Sec-WebSocket-Key is answered 101 with its
 * Sec-WebSocket-Accept, anything else 400 and a close. After it, every frame (masked, as a
 * client's must be) comes back unmasked with the same opcode and payload; a ping gets a pong,
 * a close is answered with a close. With --protocol sse a GET is answered 200 with
 * Content-Type text/event-stream and one event; with --protocol stream, 200 with a chunked body
 * and one chunk; the stream then stays open and idle, and whatever the client sends is read and
 * dropped. With --tls every connection first does a TLS handshake (tls.h: a key and self-signed
 * certificate made for the run), and all of the above runs inside it.
 *
 * It prints one JSON object per line on stdout and reads commands from stdin:
 *   (start)   {"event":"ready","pid":P,"port":PORT,"nofile":N}
 *   count     {"event":"count","open":N,"peakOpen":P,"accepted":A,"closed":C,"rejected":R,"bytes":B}
 *             (P: the most connections open at once since the start)
 *   EOF/quit  resets every connection and exits after a last "count" line.
 * The parent that started it owns its life: stdin closing, SIGTERM or the parent dying
 * (PR_SET_PDEATHSIG) ends it the same way.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "echo-common.h"
#include "tls.h"
#include "ws.h"

#define STDIN_TAG -1
#define LISTEN_TAG -2

/* Bytes a connection could not write back yet (rare: only when the peer stops reading). */
struct pending {
  size_t len;
  size_t off;
  char data[];
};

static struct pending **pending_by_fd;
/* WebSocket: bytes of a handshake or a frame not yet whole, and whether the upgrade is done. */
struct wsin { size_t len; unsigned char data[]; };
static struct wsin **in_by_fd;
static unsigned char *upgraded;
/* What connections speak once accepted: raw bytes, or an HTTP opening first. */
enum mode { M_TCP, M_WS, M_SSE, M_STREAM };
static enum mode mode = M_TCP;
/* --tls: each connection's SSL, and 1 while its handshake runs. */
static tls_conn **ssl_by_fd;
static unsigned char *tls_shaking;
static int use_tls;
#define WS_MAX_FRAME (1 << 20)
#define WS_MAX_HEAD 8192
static unsigned char *is_conn;
static long fd_slots;
/* peak_open: the most connections open at once since the start (every accept checks it). */
static long open_conns, peak_open, accepted, closed_conns, rejected;
static unsigned long long echoed_bytes;
static int epfd, listen_fd, spare_fd = -1;
static volatile sig_atomic_t stop_requested;

/* SIGTERM (also sent when the parent dies) ends the server as EOF on stdin does. */
static void on_sigterm(int sig) {
  (void)sig;
  stop_requested = 1;
}

static void die(const char *what) {
  printf("{\"event\":\"error\",\"message\":\"%s: %s\"}\n", what, strerror(errno));
  fflush(stdout);
  exit(1);
}

static void print_count(void) {
  printf("{\"event\":\"count\",\"open\":%ld,\"peakOpen\":%ld,\"accepted\":%ld,\"closed\":%ld,\"rejected\":%ld,\"bytes\":%llu}\n",
         open_conns, peak_open, accepted, closed_conns, rejected, echoed_bytes);
  fflush(stdout);
}

/* read() and write() of a connection, through TLS when it has it. */
static ssize_t io_read(int fd, void *buf, size_t n) {
  return ssl_by_fd && ssl_by_fd[fd] ? tls_read(ssl_by_fd[fd], buf, n) : read(fd, buf, n);
}

static ssize_t io_write(int fd, const void *buf, size_t n) {
  return ssl_by_fd && ssl_by_fd[fd] ? tls_write(ssl_by_fd[fd], buf, n) : write(fd, buf, n);
}

/* Decrypted bytes TLS holds that epoll cannot see: the reader must go on. */
static int more_in_tls(int fd) {
  return ssl_by_fd && ssl_by_fd[fd] && tls_pending(ssl_by_fd[fd]) > 0;
}

static void close_conn(int fd) {
  if (ssl_by_fd && ssl_by_fd[fd]) { tls_free(ssl_by_fd[fd]); ssl_by_fd[fd] = NULL; tls_shaking[fd] = 0; }
  free(pending_by_fd[fd]);
  pending_by_fd[fd] = NULL;
  if (in_by_fd) { free(in_by_fd[fd]); in_by_fd[fd] = NULL; upgraded[fd] = 0; }
  is_conn[fd] = 0;
  close(fd); /* closing the fd also removes it from the epoll set */
  open_conns--;
  closed_conns++;
}

/* Write what is queued for fd; returns 0 when all is written, 1 when some is left, -1 on error. */
static int flush_pending(int fd) {
  struct pending *p = pending_by_fd[fd];
  while (p && p->off < p->len) {
    ssize_t n = io_write(fd, p->data + p->off, p->len - p->off);
    if (n < 0) return errno == EAGAIN ? 1 : -1;
    p->off += (size_t)n;
  }
  free(p);
  pending_by_fd[fd] = NULL;
  struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP, .data.fd = fd};
  epoll_ctl(epfd, EPOLL_CTL_MOD, fd, &ev);
  return 0;
}

static void on_readable(int fd) {
  char buf[16384];
  for (int rounds = 0; rounds < 16; rounds++) {
    if (pending_by_fd[fd]) return; /* wait for the peer to read before echoing more */
    ssize_t n = io_read(fd, buf, sizeof buf);
    if (n == 0) { close_conn(fd); return; }
    if (n < 0) {
      if (errno != EAGAIN) close_conn(fd);
      return;
    }
    ssize_t w = io_write(fd, buf, (size_t)n);
    if (w < 0 && errno != EAGAIN) { close_conn(fd); return; }
    if (w < 0) w = 0;
    echoed_bytes += (unsigned long long)w;
    if (w < n) {
      struct pending *p = malloc(sizeof *p + (size_t)(n - w));
      if (!p) { close_conn(fd); return; }
      p->len = (size_t)(n - w);
      p->off = 0;
      memcpy(p->data, buf + w, p->len);
      pending_by_fd[fd] = p;
      echoed_bytes += p->len;
      struct epoll_event ev = {.events = EPOLLOUT | EPOLLRDHUP, .data.fd = fd};
      epoll_ctl(epfd, EPOLL_CTL_MOD, fd, &ev);
      return;
    }
    if (n < (ssize_t)sizeof buf && !more_in_tls(fd)) return;
  }
}

/* Write all of it, or queue the rest and wait for EPOLLOUT. Returns -1 when the connection failed. */
static int send_or_queue(int fd, const void *data, size_t n) {
  ssize_t w = pending_by_fd[fd] ? 0 : io_write(fd, data, n);
  if (w < 0 && errno != EAGAIN) return -1;
  if (w < 0) w = 0;
  if ((size_t)w == n) return 0;
  struct pending *old = pending_by_fd[fd];
  size_t left = old ? old->len - old->off : 0;
  struct pending *p = malloc(sizeof *p + left + n - (size_t)w);
  if (!p) return -1;
  if (old) memcpy(p->data, old->data + old->off, left);
  memcpy(p->data + left, (const char *)data + w, n - (size_t)w);
  p->len = left + n - (size_t)w;
  p->off = 0;
  free(old);
  pending_by_fd[fd] = p;
  struct epoll_event ev = {.events = EPOLLOUT | EPOLLRDHUP, .data.fd = fd};
  epoll_ctl(epfd, EPOLL_CTL_MOD, fd, &ev);
  return 0;
}

/*
 * The HTTP opening once its head is whole: the WebSocket upgrade answered 101, or the GET of a
 * stream answered 200 and its first message. Returns the bytes used, 0 to wait for more, -1 to close.
 */
static long http_opening(int fd, const unsigned char *data, size_t len) {
  const unsigned char *end = memmem(data, len, "\r\n\r\n", 4);
  if (!end) return len > WS_MAX_HEAD ? -1 : 0;
  size_t head_len = (size_t)(end - data) + 4;
  char head[WS_MAX_HEAD + 8];
  if (head_len > WS_MAX_HEAD) return -1;
  memcpy(head, data, head_len);
  head[head_len] = 0;
  size_t key_len = 0, up_len = 0;
  const char *key = ws_header(head, "Sec-WebSocket-Key:", &key_len);
  const char *up = ws_header(head, "Upgrade:", &up_len);
  int is_get = strncmp(head, "GET ", 4) == 0;
  int ok = mode == M_WS ? is_get && key && key_len > 0 && key_len <= 64 && up && up_len == 9 && strncasecmp(up, "websocket", 9) == 0 : is_get;
  if (!ok) {
    static const char bad[] = "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
    if (io_write(fd, bad, sizeof bad - 1) < 0) { /* closing anyway */ }
    rejected++;
    return -1;
  }
  static const char sse[] = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\n\r\ndata: c1m\n\n";
  static const char stream[] = "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nc1m\n\r\n";
  char upgrade[256];
  const char *reply = mode == M_SSE ? sse : stream;
  size_t n = mode == M_SSE ? sizeof sse - 1 : sizeof stream - 1;
  if (mode == M_WS) {
    char accept[29];
    ws_accept(key, key_len, accept);
    n = (size_t)snprintf(upgrade, sizeof upgrade, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n\r\n", accept);
    reply = upgrade;
  }
  if (send_or_queue(fd, reply, n) < 0) return -1;
  upgraded[fd] = 1;
  return (long)head_len;
}

/* Echo every whole frame in data: bytes used (the rest waits for more), or -1 to close. */
static long ws_frames(int fd, const unsigned char *data, size_t len) {
  size_t off = 0;
  while (len - off >= 2) {
    const unsigned char *f = data + off;
    size_t plen = f[1] & 0x7f, hdr = 2;
    if (!(f[1] & 0x80)) return -1; /* a client's frames are masked */
    if (plen == 126) { if (len - off < 4) break; plen = (size_t)f[2] << 8 | f[3]; hdr = 4; }
    else if (plen == 127) {
      if (len - off < 10) break;
      uint64_t v = 0;
      for (int i = 0; i < 8; i++) v = v << 8 | f[2 + i];
      if (v > WS_MAX_FRAME) return -1;
      plen = (size_t)v;
      hdr = 10;
    }
    if (plen > WS_MAX_FRAME) return -1;
    if (len - off < hdr + 4 + plen) break;
    const unsigned char *mask = f + hdr, *payload = f + hdr + 4;
    int opcode = f[0] & 0x0f;
    off += hdr + 4 + plen;
    if (opcode == 0xA) continue; /* a pong: nothing to answer */
    unsigned char small[16384 + 10];
    unsigned char *out = plen + 10 <= sizeof small ? small : malloc(plen + 10);
    if (!out) return -1;
    size_t o = 0;
    out[o++] = opcode == 0x9 ? 0x8A : f[0];
    if (plen < 126) out[o++] = (unsigned char)plen;
    else if (plen < 65536) { out[o++] = 126; out[o++] = (unsigned char)(plen >> 8); out[o++] = (unsigned char)plen; }
    else { out[o++] = 127; for (int i = 7; i >= 0; i--) out[o++] = (unsigned char)((uint64_t)plen >> (8 * i)); }
    for (size_t i = 0; i < plen; i++) out[o++] = payload[i] ^ mask[i % 4];
    int rc = send_or_queue(fd, out, o);
    if (out != small) free(out);
    if (rc < 0) return -1;
    echoed_bytes += plen;
    if (opcode == 0x8) return -1; /* close answered with a close */
  }
  return (long)off;
}

/* A connection that opens with HTTP: its head, then WebSocket frames, or bytes dropped for a stream. */
static void on_readable_http(int fd) {
  unsigned char buf[16384];
  for (int rounds = 0; rounds < 16; rounds++) {
    if (pending_by_fd[fd]) return; /* wait for the peer to read before answering more */
    ssize_t n = io_read(fd, buf, sizeof buf);
    if (n == 0 || (n < 0 && errno != EAGAIN)) { close_conn(fd); return; }
    if (n < 0) return;
    struct wsin *in = in_by_fd[fd];
    const unsigned char *data = buf;
    size_t len = (size_t)n;
    if (in) {
      if (in->len + len > WS_MAX_FRAME + WS_MAX_HEAD) { close_conn(fd); return; }
      struct wsin *grown = realloc(in, sizeof *in + in->len + len);
      if (!grown) { close_conn(fd); return; }
      memcpy(grown->data + grown->len, buf, len);
      grown->len += len;
      in = in_by_fd[fd] = grown;
      data = in->data;
      len = in->len;
    }
    long used = 0;
    if (!upgraded[fd]) used = http_opening(fd, data, len);
    if (used >= 0 && upgraded[fd]) {
      long more = mode == M_WS ? ws_frames(fd, data + used, len - (size_t)used) : (long)(len - (size_t)used);
      used = more < 0 ? -1 : used + more;
    }
    if (used < 0) { close_conn(fd); return; }
    size_t rest = len - (size_t)used;
    if (rest == 0) { free(in); in_by_fd[fd] = NULL; }
    else if (!in || used > 0) {
      struct wsin *keep = malloc(sizeof *keep + rest);
      if (!keep) { close_conn(fd); return; }
      keep->len = rest;
      memcpy(keep->data, data + used, rest);
      free(in);
      in_by_fd[fd] = keep;
    }
    if (n < (ssize_t)sizeof buf && !more_in_tls(fd)) return;
  }
}

/* One step of an accepted connection's TLS handshake; a failed one is a rejected connection. */
static void on_tls(int fd) {
  int want_write = 0;
  char why[160];
  int rc = tls_step(ssl_by_fd[fd], &want_write, why, sizeof why);
  uint32_t events = EPOLLIN | EPOLLRDHUP;
  if (rc < 0) { rejected++; close_conn(fd); return; }
  if (rc == 0 && want_write) events = EPOLLOUT | EPOLLRDHUP;
  struct epoll_event ev = {.events = events, .data.fd = fd};
  epoll_ctl(epfd, EPOLL_CTL_MOD, fd, &ev);
  if (rc == 1) tls_shaking[fd] = 0;
}

static void on_accept(void) {
  for (int i = 0; i < 1024; i++) {
    int fd = accept4(listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EMFILE || errno == ENFILE) {
        /* Out of descriptors: take the connection with the spare one and refuse it,
           or the listening socket stays readable and the loop spins. accept() fails with
           EMFILE before it looks at the queue, so only a connection really taken counts. */
        if (spare_fd < 0) return;
        close(spare_fd);
        int victim = accept4(listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (victim >= 0) {
          struct linger lg = {.l_onoff = 1, .l_linger = 0}; /* refuse with a reset, no TIME_WAIT */
          setsockopt(victim, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
          close(victim);
          rejected++;
        }
        spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
        if (victim < 0) return; /* the queue is empty */
        continue;
      }
      return; /* EAGAIN or a connection that died in the queue */
    }
    if (fd >= fd_slots) { close(fd); rejected++; continue; }
    struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP, .data.fd = fd};
    if (epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) < 0) { close(fd); rejected++; continue; }
    if (use_tls && !(ssl_by_fd[fd] = tls_accept_new(fd))) { close(fd); rejected++; continue; }
    if (use_tls) tls_shaking[fd] = 1;
    is_conn[fd] = 1;
    if (++open_conns > peak_open) peak_open = open_conns;
    accepted++;
  }
}

static void shutdown_all(void) {
  for (long fd = 0; fd < fd_slots; fd++) {
    if (!is_conn[fd]) continue;
    struct linger lg = {.l_onoff = 1, .l_linger = 0}; /* reset: leave no TIME_WAIT behind */
    setsockopt((int)fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    close_conn((int)fd);
  }
  print_count();
}

/* Commands arrive one per line; returns 0 when the loop should end. */
static int on_stdin(void) {
  static char line[256];
  static size_t used;
  ssize_t n = read(0, line + used, sizeof line - 1 - used);
  if (n <= 0) return n < 0 && errno == EAGAIN;
  used += (size_t)n;
  line[used] = 0;
  char *start = line, *nl;
  while ((nl = strchr(start, '\n'))) {
    *nl = 0;
    if (strcmp(start, "count") == 0) print_count();
    else if (strcmp(start, "quit") == 0) return 0;
    else if (*start) {
      printf("{\"event\":\"error\",\"message\":\"unknown command\"}\n");
      fflush(stdout);
    }
    start = nl + 1;
  }
  used = strlen(start);
  memmove(line, start, used);
  if (used >= sizeof line - 1) used = 0; /* a line too long to be a command */
  return 1;
}

int main(int argc, char **argv) {
  const char *listen_at = "127.0.0.1:9000";
  int backlog = 65535, reuseport = 0;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--listen") == 0 && i + 1 < argc) listen_at = argv[++i];
    else if (strcmp(argv[i], "--backlog") == 0 && i + 1 < argc) backlog = atoi(argv[++i]);
    else if (strcmp(argv[i], "--reuseport") == 0) reuseport = 1;
    else if (strcmp(argv[i], "--tls") == 0) use_tls = 1;
    else if (strcmp(argv[i], "--protocol") == 0 && i + 1 < argc) {
      const char *p = argv[++i];
      if (strcmp(p, "tcp") == 0) mode = M_TCP;
      else if (strcmp(p, "ws") == 0) mode = M_WS;
      else if (strcmp(p, "sse") == 0) mode = M_SSE;
      else if (strcmp(p, "stream") == 0) mode = M_STREAM;
      else i = argc; /* an unknown protocol: usage */
      if (i == argc) { fprintf(stderr, "echo-server: unknown --protocol\n"); return 2; }
    } else {
      fprintf(stderr, "usage: echo-server --listen IP:PORT [--backlog N] [--reuseport] [--protocol tcp|ws|sse|stream] [--tls]\n");
      return 2;
    }
  }
  if (use_tls) {
    char why[200];
    if (tls_server_setup(why, sizeof why) < 0) { printf("{\"event\":\"error\",\"message\":\"%s\"}\n", why); fflush(stdout); return 3; }
  }
  fd_slots = setup_process(on_sigterm);
  pending_by_fd = calloc((size_t)fd_slots, sizeof *pending_by_fd);
  is_conn = calloc((size_t)fd_slots, 1);
  if (!pending_by_fd || !is_conn) die("calloc");
  if (mode != M_TCP) {
    in_by_fd = calloc((size_t)fd_slots, sizeof *in_by_fd);
    upgraded = calloc((size_t)fd_slots, 1);
    if (!in_by_fd || !upgraded) die("calloc");
  }
  if (use_tls) {
    ssl_by_fd = calloc((size_t)fd_slots, sizeof *ssl_by_fd);
    tls_shaking = calloc((size_t)fd_slots, 1);
    if (!ssl_by_fd || !tls_shaking) die("calloc");
  }

  struct sockaddr_in addr;
  if (parse_endpoint(listen_at, &addr, 0) < 0) {
    fprintf(stderr, "echo-server: --listen wants IPv4:PORT, got %s\n", listen_at);
    return 2;
  }
  listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (listen_fd < 0) die("socket");
  int one = 1;
  setsockopt(listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (reuseport) setsockopt(listen_fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
  if (bind(listen_fd, (struct sockaddr *)&addr, sizeof addr) < 0) die("bind");
  if (listen(listen_fd, backlog) < 0) die("listen");
  socklen_t len = sizeof addr;
  getsockname(listen_fd, (struct sockaddr *)&addr, &len);
  spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

  epfd = epoll_create1(EPOLL_CLOEXEC);
  if (epfd < 0) die("epoll_create1");
  struct epoll_event ev = {.events = EPOLLIN, .data.fd = LISTEN_TAG};
  epoll_ctl(epfd, EPOLL_CTL_ADD, listen_fd, &ev);
  fcntl(0, F_SETFL, fcntl(0, F_GETFL) | O_NONBLOCK);
  ev.data.fd = STDIN_TAG;
  epoll_ctl(epfd, EPOLL_CTL_ADD, 0, &ev);

  printf("{\"event\":\"ready\",\"pid\":%d,\"port\":%d,\"nofile\":%ld}\n", getpid(), ntohs(addr.sin_port), fd_slots);
  fflush(stdout);

  struct epoll_event events[1024];
  for (;;) {
    int n = epoll_wait(epfd, events, 1024, -1);
    if (stop_requested) { shutdown_all(); return 0; }
    if (n < 0) {
      if (errno == EINTR) continue;
      die("epoll_wait");
    }
    for (int i = 0; i < n; i++) {
      int fd = events[i].data.fd;
      if (fd == LISTEN_TAG) on_accept();
      else if (fd == STDIN_TAG) {
        if (!on_stdin()) { shutdown_all(); return 0; }
      } else if (is_conn[fd]) {
        if (events[i].events & (EPOLLERR | EPOLLHUP)) close_conn(fd);
        else if (tls_shaking && tls_shaking[fd]) {
          on_tls(fd);
          if (is_conn[fd] && !tls_shaking[fd] && more_in_tls(fd)) {
            if (mode != M_TCP) on_readable_http(fd);
            else on_readable(fd);
          }
        } else if (events[i].events & EPOLLOUT) {
          if (flush_pending(fd) < 0) close_conn(fd);
        } else if (pending_by_fd[fd]) close_conn(fd); /* peer hung up with an echo still queued */
        else if (mode != M_TCP) on_readable_http(fd);
        else on_readable(fd);
      }
    }
  }
}
