/*
 * c1m echo server: one epoll loop, one listening socket, echoes every byte back.
 *
 *   echo-server --listen IP:PORT [--backlog N] [--reuseport]
 *
 * It prints one JSON object per line on stdout and reads commands from stdin:
 *   (start)   {"event":"ready","pid":P,"port":PORT,"nofile":N}
 *   count     {"event":"count","open":N,"accepted":A,"closed":C,"rejected":R,"bytes":B}
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

#define STDIN_TAG -1
#define LISTEN_TAG -2

/* Bytes a connection could not write back yet (rare: only when the peer stops reading). */
struct pending {
  size_t len;
  size_t off;
  char data[];
};

static struct pending **pending_by_fd;
static unsigned char *is_conn;
static long fd_slots;
static long open_conns, accepted, closed_conns, rejected;
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
  printf("{\"event\":\"count\",\"open\":%ld,\"accepted\":%ld,\"closed\":%ld,\"rejected\":%ld,\"bytes\":%llu}\n",
         open_conns, accepted, closed_conns, rejected, echoed_bytes);
  fflush(stdout);
}

static void close_conn(int fd) {
  free(pending_by_fd[fd]);
  pending_by_fd[fd] = NULL;
  is_conn[fd] = 0;
  close(fd); /* closing the fd also removes it from the epoll set */
  open_conns--;
  closed_conns++;
}

/* Write what is queued for fd; returns 0 when all is written, 1 when some is left, -1 on error. */
static int flush_pending(int fd) {
  struct pending *p = pending_by_fd[fd];
  while (p && p->off < p->len) {
    ssize_t n = write(fd, p->data + p->off, p->len - p->off);
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
    ssize_t n = read(fd, buf, sizeof buf);
    if (n == 0) { close_conn(fd); return; }
    if (n < 0) {
      if (errno != EAGAIN) close_conn(fd);
      return;
    }
    ssize_t w = write(fd, buf, (size_t)n);
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
    if (n < (ssize_t)sizeof buf) return;
  }
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
    is_conn[fd] = 1;
    open_conns++;
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
    else {
      fprintf(stderr, "usage: echo-server --listen IP:PORT [--backlog N] [--reuseport]\n");
      return 2;
    }
  }
  fd_slots = setup_process(on_sigterm);
  pending_by_fd = calloc((size_t)fd_slots, sizeof *pending_by_fd);
  is_conn = calloc((size_t)fd_slots, 1);
  if (!pending_by_fd || !is_conn) die("calloc");

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
        else if (events[i].events & EPOLLOUT) {
          if (flush_pending(fd) < 0) close_conn(fd);
        } else if (pending_by_fd[fd]) close_conn(fd); /* peer hung up with an echo still queued */
        else on_readable(fd);
      }
    }
  }
}
