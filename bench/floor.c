/*
 * The floor: what opening, echoing and closing N loopback connections costs the kernel when
 * nothing else is in the way. No epoll, no JSON, no sampling: P worker processes each hold
 * K connections (both ends, so 2K descriptors, under this host's hard nofile cap), and the
 * parent times each phase and reads the CPU time it took from /proc/stat (user, system,
 * softirq: all CPUs). bench/floor.js compiles it and runs it in a private network namespace.
 *
 *   floor N [K [epoll]]   N connections in all, K per worker (default 9000)
 *
 * With "epoll", each worker also registers every socket it makes or accepts in an epoll set of
 * its own (as any epoll server or load client must) and closes that set first at the close, as
 * c1m's engines do: the floor of an event-driven program rather than of the kernel alone.
 *
 * Each worker listens on 127.0.0.1:(20000 + its index) and connects from its own source
 * address 127.2.x.y with explicit ports, so no connect() searches for a port. Loopback
 * completes the handshake inside connect(), so accepting after every 256 connects keeps the
 * accept queue (somaxconn) from overflowing. Client sockets get SO_LINGER 0 when they are
 * made, so closing them resets them (no TIME_WAIT).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MSG_LEN 16
static const char MSG[MSG_LEN + 1] = "c1m floor check\n";

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* user, system and softirq seconds of all CPUs, from the first line of /proc/stat */
static void cpu_times(double out[3]) {
  unsigned long long v[7] = {0};
  FILE *f = fopen("/proc/stat", "r");
  if (!f || fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6]) != 7) {
    fprintf(stderr, "floor: cannot read /proc/stat\n");
    exit(1);
  }
  fclose(f);
  double hz = (double)sysconf(_SC_CLK_TCK);
  out[0] = (v[0] + v[1]) / hz;
  out[1] = v[2] / hz;
  out[2] = v[6] / hz;
}

static void die(const char *what) {
  perror(what);
  exit(1);
}

/* the worker's epoll set, or -1 without "epoll" */
static int epfd = -1;

static void watch(int fd, unsigned events) {
  struct epoll_event ev = {.events = events, .data.fd = fd};
  if (epfd >= 0 && epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev)) die("epoll_ctl");
}

static int accept_ready(int lfd, int *servers, int accepted, int k) {
  while (accepted < k) {
    int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK);
    if (fd < 0) break;
    watch(fd, EPOLLIN | EPOLLRDHUP);
    servers[accepted++] = fd;
  }
  return accepted;
}

/* read exactly MSG_LEN bytes from a non-blocking socket, waiting at most 5 s */
static int read_msg(int fd, char *buf) {
  int got = 0;
  double deadline = now() + 5;
  while (got < MSG_LEN && now() < deadline) {
    ssize_t n = read(fd, buf + got, MSG_LEN - got);
    if (n > 0) got += n;
    else if (n == 0 || errno != EAGAIN) return -1;
    else poll(&(struct pollfd){.fd = fd, .events = POLLIN}, 1, 100);
  }
  return got == MSG_LEN ? 0 : -1;
}

static void worker(int index, int k, int cmd, int done, int use_epoll) {
  if (use_epoll && (epfd = epoll_create1(0)) < 0) die("epoll_create1");
  struct rlimit rl;
  getrlimit(RLIMIT_NOFILE, &rl);
  rl.rlim_cur = rl.rlim_max;
  setrlimit(RLIMIT_NOFILE, &rl);
  int *clients = calloc(k, sizeof(int)), *servers = calloc(k, sizeof(int));
  if (!clients || !servers) die("calloc");
  struct sockaddr_in dst = {.sin_family = AF_INET, .sin_port = htons(20000 + index)};
  dst.sin_addr.s_addr = htonl(0x7f000001);
  int lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0), one = 1;
  setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (bind(lfd, (struct sockaddr *)&dst, sizeof dst) || listen(lfd, 65535)) die("listen");
  struct sockaddr_in src = {.sin_family = AF_INET};
  src.sin_addr.s_addr = htonl(0x7f020000 | (index + 1));
  struct linger reset = {.l_onoff = 1, .l_linger = 0};
  char c, buf[MSG_LEN];
  long bad = 0;
  while (read(cmd, &c, 1) == 1) {
    if (c == 'R') {
      int accepted = 0;
      for (int i = 0; i < k; i++) {
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
        if (fd < 0) die("socket");
        setsockopt(fd, SOL_SOCKET, SO_LINGER, &reset, sizeof reset);
        src.sin_port = htons(10000 + i);
        if (bind(fd, (struct sockaddr *)&src, sizeof src)) die("bind");
        if (connect(fd, (struct sockaddr *)&dst, sizeof dst) && errno != EINPROGRESS) die("connect");
        watch(fd, EPOLLIN | EPOLLRDHUP);
        clients[i] = fd;
        if ((i & 255) == 255) accepted = accept_ready(lfd, servers, accepted, k);
      }
      double deadline = now() + 30;
      while (accepted < k && now() < deadline) {
        accepted = accept_ready(lfd, servers, accepted, k);
        if (accepted < k) poll(&(struct pollfd){.fd = lfd, .events = POLLIN}, 1, 100);
      }
      if (accepted < k) bad += k - accepted;
    } else if (c == 'E') {
      for (int i = 0; i < k; i++)
        if (write(clients[i], MSG, MSG_LEN) != MSG_LEN) bad++;
      for (int i = 0; i < k; i++)
        if (read_msg(servers[i], buf) || write(servers[i], buf, MSG_LEN) != MSG_LEN) bad++;
      for (int i = 0; i < k; i++)
        if (read_msg(clients[i], buf) || memcmp(buf, MSG, MSG_LEN)) bad++;
    } else if (c == 'C') {
      if (epfd >= 0) close(epfd);
      for (int i = 0; i < k; i++) close(clients[i]);
      for (int i = 0; i < k; i++) close(servers[i]);
      close(lfd);
    }
    if (write(done, &bad, sizeof bad) != sizeof bad) die("write");
    bad = 0;
    if (c == 'C') exit(0);
  }
  exit(1);
}

int main(int argc, char **argv) {
  long n = argc > 1 ? strtol(argv[1], NULL, 10) : 0, k = argc > 2 ? strtol(argv[2], NULL, 10) : 9000;
  int use_epoll = argc > 3 && strcmp(argv[3], "epoll") == 0;
  if (n < 1 || n > 4000000 || k < 1 || k > 50000 || (argc > 3 && !use_epoll) || argc > 4) {
    fprintf(stderr, "usage: floor N [K [epoll]]   (1 <= N <= 4000000, 1 <= K <= 50000)\n");
    return 2;
  }
  int workers = (int)((n + k - 1) / k), done[2];
  if (workers > 65000 || pipe(done)) die("pipe");
  int *cmds = calloc(workers, sizeof(int));
  for (int w = 0; w < workers; w++) {
    int p[2];
    if (pipe(p)) die("pipe");
    long share = w == workers - 1 ? n - k * (long)(workers - 1) : k;
    pid_t pid = fork();
    if (pid < 0) die("fork");
    if (pid == 0) {
      close(p[1]);
      worker(w, (int)share, p[0], done[1], use_epoll);
    }
    close(p[0]);
    cmds[w] = p[1];
  }
  printf("{\"conns\": %ld, \"workers\": %d, \"cpus\": %ld, \"epoll\": %s, \"phases\": [", n, workers, sysconf(_SC_NPROCESSORS_ONLN), use_epoll ? "true" : "false");
  const char *names[] = {"ramp", "echo", "close"};
  for (int phase = 0; phase < 3; phase++) {
    double before[3], after[3], started = now();
    long bad = 0, got;
    cpu_times(before);
    for (int w = 0; w < workers; w++)
      if (write(cmds[w], &"REC"[phase], 1) != 1) die("write");
    for (int w = 0; w < workers; w++) {
      if (read(done[0], &got, sizeof got) != sizeof got) die("read");
      bad += got;
    }
    double wall = now() - started;
    cpu_times(after);
    printf("%s{\"phase\": \"%s\", \"wallSeconds\": %.3f, \"userSeconds\": %.2f, \"systemSeconds\": %.2f, \"softirqSeconds\": %.2f, \"failed\": %ld}",
           phase ? ", " : "", names[phase], wall, after[0] - before[0], after[1] - before[1], after[2] - before[2], bad);
    fflush(stdout);
  }
  printf("]}\n");
  while (wait(NULL) > 0) {}
  return 0;
}
